"""Data-parallel training under a real mpiexec: equivalence, faults, local SGD."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("mpi4py")
MPIEXEC = shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec (pip install mpich)")
HERE = os.path.join(os.path.dirname(__file__), "mpi")


def _run(n, script, *args, timeout=300):
    return subprocess.run([MPIEXEC, "-n", str(n), sys.executable, os.path.join(HERE, script), *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("n", [2, 3])
def test_equals_single_process_training(n, tmp_path):
    out = tmp_path / "report.json"
    proc = _run(n, "equivalence.py", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    ck = report.pop()
    assert ck["case"] == "checkpoint" and ck["same"], ck
    assert ck["files"] == ["report.json", "report.json.ck.npz"]  # rank 0 wrote one file, atomically
    for row in report[:-2]:
        assert row["diff"] < 1e-10, row
        assert row["diff_loss"] < 1e-10, row
        assert row["ranks_agree"], row
    shuffled, local = report[-2], report[-1]
    assert shuffled["ranks_agree"] and shuffled["loss"] < shuffled["best"] * 1.05
    assert local["ranks_agree"] and local["loss"] < local["best"] * 1.2
    assert local["n_allreduce"] * 4 >= local["n_iter"]  # one average per 4 local steps


def test_a_bad_rank_stops_every_rank_with_the_same_error():
    proc = _run(2, "fault.py", timeout=120)
    assert proc.returncode != 0
    # the ranks' lines can interleave in the pipe: split on the marker each one starts with
    found = re.findall(r"RANK (\d) ERROR: (.*?)(?=RANK \d|$)", proc.stdout.replace("\n", " "))
    assert sorted(r for r, _ in found) == ["0", "1"], proc.stdout + proc.stderr
    messages = {m.strip() for _, m in found}
    assert len(messages) == 1 and "rank 1: ValueError: X contains NaN" in messages.pop()


def test_rank_threads_share_the_machine(monkeypatch):
    """n_threads=None gives each rank its share of OpenMP's count among the ranks on its
    machine (at least one), and one thread on small data as train() does; a given count is
    kept."""
    from mbgd_fast import _native, distributed

    monkeypatch.setattr(_native, "max_threads", lambda: 16)
    big = 1 << 22
    assert [distributed.rank_threads(None, k, big) for k in (1, 2, 3, 16, 40)] == [16, 8, 5, 1, 1]
    assert distributed.rank_threads(None, 2, 1000) == 1
    assert distributed.rank_threads(None, 1) == 16
    assert distributed.rank_threads(6, 4, big) == 6


def test_interleave_and_global_order():
    from mbgd_fast import distributed

    ranks, local = distributed.interleave([2, 4])
    assert sorted(zip(ranks, local)) == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (1, 3)]
    assert list(ranks) == [1, 0, 1, 1, 0, 1]  # proportional: rank 1 twice as often
    Xg, yg = distributed.global_order([np.zeros((2, 1)), np.ones((4, 1))], [np.zeros(2), np.ones(4)])
    assert list(yg) == [1, 0, 1, 1, 0, 1]
    starts, ipe = distributed._local_starts([2, 4], 1, 3, False)
    assert ipe == 2 and list(starts) == [0, 2, 4]
