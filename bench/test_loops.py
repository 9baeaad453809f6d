"""bench/loops/softmax_loops.c builds against csrc/ and its timed loops give the right scores."""
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CC = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_softmax_loops_build_and_check(tmp_path):
    exe = tmp_path / "softmax_loops"
    cmd = CC.split() + ["-O3", "-funroll-loops", "-std=c99", "-ffp-contract=fast", "-fopenmp",
                        "-w", "-I" + os.path.join(ROOT, "csrc"),
                        os.path.join(ROOT, "bench", "loops", "softmax_loops.c"), "-o", str(exe),
                        "-lm"]
    subprocess.run(cmd, check=True, capture_output=True)
    out = subprocess.run([str(exe), "50"], capture_output=True, text=True)
    # exit status 0: the timed scores equal a plain double loop's to 1e-4
    assert out.returncode == 0, out.stdout + out.stderr
    for part in ("scores4", "gradient"):
        m = re.search(part + r"\s+([0-9.]+) ns/row\s+([0-9.]+) cycles per 8-wide FMA", out.stdout)
        assert m and float(m.group(1)) > 0 and float(m.group(2)) > 0, out.stdout
    bad = subprocess.run([str(exe), "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "reps must be >= 1" in bad.stderr
