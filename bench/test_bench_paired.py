"""The targets that compare mbgd_fast's own cells, measured paired: the flat curve (each b
against the best b of the same thread count) and 1 -> 2 threads (each b at 2 threads against
1 thread).

In test_bench_train.py each cell runs its rounds back to back, minutes apart from the cells
it is compared with, and this shared machine's slow phases last that long: a cell that falls
in one moves a ratio by 1.5x (docs/performance.md).  Here one round runs every
(threads, b) cell once, one epoch each, back to back, in reverse order every other round;
each ratio is the median over rounds of that round's ratio, so a slow phase longer than a
round hits both sides of it.  bench/report.py prints them next to the unpaired figures.
"""
import time

import numpy as np
import pytest

import mbgd_fast as mf

from test_bench_train import BATCH_SIZES, DIMS, half_mse, lr_for

THREADS = [1, 2]
ROUNDS = 15


@pytest.mark.parametrize("d", DIMS)
def test_paired_curve(benchmark, record, dataset, d):
    X, y = dataset(d)
    cells = [(t, b) for t in THREADS for b in BATCH_SIZES]
    secs = {c: [] for c in cells}
    ends = []

    def one_round():
        r = len(secs[cells[0]])
        for t, b in (cells if r % 2 == 0 else cells[::-1]):
            t0 = time.perf_counter()
            res = mf.train(X, y, batch_size=b, epochs=1, lr=lr_for(d), seed=r, n_threads=t)
            secs[(t, b)].append(time.perf_counter() - t0)
            ends.append(half_mse(X, y, res.coef, res.intercept))

    benchmark.group = f"paired d={d}"
    benchmark.pedantic(one_round, rounds=ROUNDS, warmup_rounds=0)
    n = len(X)
    per_round = {c: np.array(v) for c, v in secs.items()}  # seconds, one per round
    flat = {t: float(np.median(np.max([per_round[(t, b)] for b in BATCH_SIZES], axis=0) /
                               np.min([per_round[(t, b)] for b in BATCH_SIZES], axis=0)))
            for t in THREADS}
    scale = {b: float(np.median(per_round[(1, b)] / per_round[(2, b)])) for b in BATCH_SIZES}
    sps = {f"{t}t b={b}": n / float(np.median(v)) for (t, b), v in per_round.items()}
    start = half_mse(X, y, np.zeros(d, np.float32), 0.0)
    record(backend="paired", d=d, rounds=len(per_round[cells[0]]), flat=flat, scale=scale,
           sps=sps, check=f"loss {start:.3g} -> at most {max(ends):.3g} in every cell",
           ok=bool(max(ends) < start))
    assert max(ends) < start


def test_report_prints_the_paired_ratios(tmp_path):
    import json

    import report

    info = dict(backend="paired", d=16, rounds=3, flat={"1": 1.5, "2": 2.25},
                scale={"1": 1.0, "4": 1.75},
                sps={"1t b=1": 1e7, "1t b=4": 1.5e7, "2t b=1": 1e7, "2t b=4": 2.25e7})
    other = dict(backend="numpy-sum", threads=1, bytes=1e9)
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"benchmarks": [{"extra_info": info, "stats": {"median": 1.0}},
                                               {"extra_info": other, "stats": {"median": 1.0}}]}))
    paired = report.load([str(path)])[3]
    assert list(paired) == [16]
    lines = []
    report.paired_tables(paired, lines.append)
    text = "\n".join(lines)
    assert "d = 16, 3 rounds:" in text
    assert "| 1 thread, samples/s | 1e+07 | 1.5e+07 | 1.50x |" in text
    assert "| 2 threads, samples/s | 1e+07 | 2.25e+07 | 2.25x |" in text
    assert "| 2 threads / 1 thread | 1.00x | 1.75x | |" in text
    lines = []
    report.paired_tables({}, lines.append)
    assert lines == []
