"""Benchmark helpers: shared data, and a samples/s table printed at the end of the run.

Every benchmark records in ``extra_info`` what it ran (backend, threads, b, d,
dtype, loss), how many samples and iterations one round processed, and a
correctness check; ``python -m bench.report`` fits and plots from the JSON.
"""
import numpy as np
import pytest

_ROWS = []
N = 200_000


def placed_as_numpy(X):
    """A copy of X that starts 16 bytes past a 64-byte cache line, where NumPy's large arrays
    usually land (an mmap'd page and malloc's 16-byte header).  Where an array lands otherwise
    depends on the allocator's history: a 12.8 MB X once landed on a line, and the cells that
    compare X's layout with a copy on a line (test_bench_paired.py) failed in CI."""
    buf = np.empty(X.nbytes + 64 + 16, dtype=np.uint8)
    at = (-buf.ctypes.data) % 64 + 16
    out = buf[at : at + X.nbytes].view(X.dtype).reshape(X.shape)
    out[...] = X
    return out


def make_dataset(d, dtype=np.float32, loss="squared", n=N, classes=10):
    """The bench's (X, y) at d: n rows (N = 200,000 by default, larger than the caches
    together), X placed 16 bytes past a cache line (placed_as_numpy), y for the loss."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32).astype(dtype)
    w = rng.standard_normal(d).astype(dtype) / np.sqrt(d)
    # no BLAS here: OpenBLAS threads spin for a while after a call and would
    # steal a core from the kernels timed next
    z = (X * w).sum(axis=1) + 0.1 * rng.standard_normal(n)
    if loss == "softmax":
        y = np.digitize(z, np.quantile(z, np.linspace(0, 1, classes + 1)[1:-1]))
    elif loss in ("logistic", "hinge"):
        y = np.where(z > 0, 1.0, -1.0)
    else:
        y = z
    return placed_as_numpy(X), y.astype(dtype)


@pytest.fixture(scope="session")
def dataset():
    """make_dataset's (X, y), cached per (d, dtype, loss, n)."""
    cache = {}

    def get(d, dtype=np.float32, loss="squared", n=N, classes=10):
        key = (d, np.dtype(dtype).str, loss, n)
        if key not in cache:
            cache[key] = make_dataset(d, dtype, loss, n, classes)
        return cache[key]

    return get


@pytest.fixture
def record(benchmark):
    """Call after the benchmark ran: stores extra_info and the row for the summary table."""

    def rec(**info):
        info.setdefault("loss", "squared")
        info.setdefault("dtype", "float32")
        benchmark.extra_info.update(info)
        _ROWS.append((benchmark, info))

    return rec


def pytest_terminal_summary(terminalreporter):
    rows = []
    for bm, info in _ROWS:
        stats = getattr(bm, "stats", None)
        if stats is None or "samples" not in info:
            continue
        med = stats.stats.median
        rows.append((info["d"], info["b"], f'{info["backend"]}/{info["threads"]}t',
                     info["loss"], info["dtype"], info["samples"] / med, med, info["check"]))
    if not rows:
        return
    tr = terminalreporter
    tr.section("samples/s (median round)")
    tr.write_line(f"{'d':>5} {'b':>6} {'system':<22} {'loss':<9} {'dtype':<8} {'samples/s':>11} "
                  f"{'median s':>9}  check")
    for r in sorted(rows, key=lambda r: (r[0], r[3], r[4], r[1], r[2])):
        tr.write_line(f"{r[0]:>5} {r[1]:>6} {r[2]:<22} {r[3]:<9} {r[4]:<8} {r[5]:>11.4g} "
                      f"{r[6]:>9.4g}  {r[7]}")
