"""bench/ab_builds.py: the interleaved A/B of two builds runs, and rejects bad input by name."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ab_builds  # noqa: E402

import mbgd_fast  # noqa: E402

SO = os.path.join(os.path.dirname(mbgd_fast.__file__), ab_builds.EXT)
pytestmark = pytest.mark.skipif(not os.path.isfile(SO), reason="no built extension in place")


def test_two_builds_interleaved(tmp_path, capsys):
    other = tmp_path / "copy.so"
    other.write_bytes(open(SO, "rb").read())
    out = tmp_path / "ab.json"
    case = "squared:4:600:2:1:8"
    assert ab_builds.main([f"a={SO}", f"b={other}", "--case", case, "--case",
                           "softmax:3:500:1:2:5", "--rounds", "2", "--repeats", "1",
                           "--json", str(out)]) == 0
    text = capsys.readouterr().out
    # each round ran both builds, in turn, in their own copies of the package
    assert [line.split(":")[0] for line in text.splitlines() if line.startswith("round")] == [
        "round 1 a", "round 1 b", "round 2 a", "round 2 b"]
    assert f"| {case} | a |" in text and f"| {case} | b |" in text and "1.00x" in text
    res = json.loads(out.read_text())
    assert set(res) == {"a", "b"}
    for label in res:
        assert all(len(v) == 2 and min(v) > 0 for v in res[label].values())


def test_a_build_may_be_a_whole_package_folder(tmp_path, capsys):
    """A folder is staged as the package itself (its Python too): a marker in its __init__
    shows that its copy, not the working tree's, was imported."""
    import shutil

    pkg = tmp_path / "old" / "mbgd_fast"
    shutil.copytree(os.path.dirname(mbgd_fast.__file__), pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = pkg / "__init__.py"
    init.write_text(init.read_text() + "\nimport sys\nprint('old copy', file=sys.stderr)\n")
    dirs = ab_builds.stage([("a", SO), ("old", str(pkg))], str(tmp_path / "stage"))
    staged = os.path.join(dirs["old"], "mbgd_fast", "__init__.py")
    assert "old copy" in open(staged).read()
    assert "old copy" not in open(os.path.join(dirs["a"], "mbgd_fast", "__init__.py")).read()
    assert ab_builds.main([f"a={SO}", f"old={pkg}", "--case", "squared:4:600:1:1:8",
                           "--rounds", "1", "--repeats", "1"]) == 0
    assert "| squared:4:600:1:1:8 | old |" in capsys.readouterr().out
    (pkg / ab_builds.EXT).unlink()
    with pytest.raises(FileNotFoundError, match="no _mbgd.abi3.so in the folder"):
        ab_builds.stage([("old", str(pkg))], str(tmp_path / "stage2"))


def test_evict_before_each_timed_call():
    """--evict's read runs in the worker before each call (its sum is checked there) and the
    rates come back as without it."""
    got = ab_builds.time_cases(["squared:4:600:1:1:8", "squared:1:700:1:2:16"], 2, evict_mib=1)
    assert got["module"] == mbgd_fast.__file__
    assert set(got["rates"]) == {"squared:4:600:1:1:8", "squared:1:700:1:2:16"}
    assert all(v > 0 for v in got["rates"].values())


@pytest.mark.parametrize("args, needle", [
    (["a=/x.so", "b=/y.so", "--case", "squared:1:10:1:1:4", "--evict", "-1"], "--evict"),
    (["a=/x.so", "a=/y.so", "--case", "squared:1:10:1:1:4"], "given twice"),
    (["a=/x.so", "--case", "squared:1:10:1:1:4"], "two or more builds"),
    (["a=/no/such.so", "b=/no/such2.so", "--case", "squared:1:10:1:1:4"], "no file"),
    (["a=x", "b=y", "--case", "squared:1:10:1"], "loss:b:N:epochs:threads:d"),
    (["a=x", "b=y", "--case", "squared:0:10:1:1:4"], ">= 1"),
    (["ax", "b=y", "--case", "squared:1:10:1:1:4"], "LABEL=PATH"),
])
def test_bad_input_named(args, needle, capsys):
    with pytest.raises(SystemExit):
        ab_builds.main(args)
    assert needle in capsys.readouterr().err
