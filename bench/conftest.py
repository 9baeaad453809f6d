"""Benchmark helpers: shared data, and a samples/s table printed at the end of the run.

Every benchmark records in ``extra_info`` what it ran (backend, threads, b, d,
dtype), how many samples one round processed (``samples``) and a correctness
check; the table below divides samples by the median round time.
"""
import numpy as np
import pytest

_ROWS = []


@pytest.fixture(scope="session")
def dataset():
    """(X, y) float32, N = 200,000 rows, cached per d: larger than the caches together."""
    cache = {}

    def get(d, n=200_000, dtype=np.float32):
        key = (d, n, np.dtype(dtype).str)
        if key not in cache:
            rng = np.random.default_rng(0)
            X = rng.standard_normal((n, d), dtype=np.float32).astype(dtype)
            w = rng.standard_normal(d).astype(dtype) / np.sqrt(d)
            # no BLAS here: OpenBLAS threads spin for a while after a call and would
            # steal a core from the kernels timed next
            y = ((X * w).sum(axis=1) + 0.1 * rng.standard_normal(n)).astype(dtype)
            cache[key] = (X, y)
        return cache[key]

    return get


@pytest.fixture
def record(benchmark):
    """Call after the benchmark ran: stores its row for the summary table."""

    def rec(**info):
        benchmark.extra_info.update(info)
        _ROWS.append((benchmark, info))

    return rec


def pytest_terminal_summary(terminalreporter):
    rows = []
    for bm, info in _ROWS:
        stats = getattr(bm, "stats", None)
        if stats is None:
            continue
        med = stats.stats.median
        rows.append((info["d"], info["b"], info["backend"], info["samples"] / med, med, info["check"]))
    if not rows:
        return
    tr = terminalreporter
    tr.section("samples/s (median round)")
    tr.write_line(f"{'d':>5} {'b':>6} {'backend':<14} {'samples/s':>12} {'median s':>10}  check")
    for d, b, backend, sps, med, check in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        tr.write_line(f"{d:>5} {b:>6} {backend:<14} {sps:>12.4g} {med:>10.4g}  {check}")
