"""b = 1's chain alone, in the run: bench/loops/b1_chain.c times the squared-loss step at
d = 16 with rows in cache in each way of taking z (after the step, one ahead as the kernels
do, two and four ahead, one ahead with the kernel's extras, one ahead's work with the
chain cut, and four ahead with its products given, made a pass ahead or in the loop, r
chained or not), in cycles a sample.  The report sets the one-ahead chain against the flat curve's
best b: how fast b = 1 could run with nothing but its own rule's chain to wait on."""
import re
import subprocess

import pytest

from test_loops import CC, _compile

SAMPLES, ROWS = 2_000_000, 4096
FORMS = ("after", "one ahead", "two ahead", "one ahead, kernel's extras", "four ahead",
         "one ahead, chain cut", "four ahead, products given", "four ahead, given, r chained",
         "four ahead, r chained", "four ahead, products a pass ahead")


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_b1_chain(benchmark, record, tmp_path):
    exe = _compile("b1_chain", tmp_path)
    out = {}

    def run():  # exit status 0: every form's weights match the same steps in double to 1e-3
        out["text"] = subprocess.run([str(exe), str(SAMPLES), str(ROWS)], capture_output=True,
                                     text=True, check=True).stdout

    benchmark.group = "b = 1 chain, d = 16"
    benchmark.pedantic(run, rounds=1, iterations=1)
    text = out["text"]
    if "needs AVX2 and FMA" in text:
        pytest.skip("this CPU has not AVX2 and FMA")
    clock = float(re.search(r"clock about ([0-9.]+) GHz", text).group(1))
    got = {m.group(1): (float(m.group(2)), float(m.group(3)))
           for m in re.finditer(r"^(\S.*?) +([0-9.]+) +([0-9.]+) +\S+$", text, re.M)}
    ok = all(f in got and got[f][0] > 0 for f in FORMS) and clock > 0
    record(backend="b1-chain", d=16, b=1, threads=1, rows=ROWS, steps=SAMPLES, clock_ghz=clock,
           cycles={f: got[f][0] for f in FORMS if f in got},
           ns={f: got[f][1] for f in FORMS if f in got},
           check="every form's weights match the same steps in double to 1e-3 (its exit "
                 "status)", ok=ok)
    assert ok, text
