"""The machine's read bandwidth, measured in the same run as the kernels it bounds.

A NumPy sum over 1 GiB of float32 on 1 thread, and on 2 threads (each summing
half; NumPy releases the GIL).  The report divides the bytes of X that train()
reads per second by these to give "% of bandwidth".
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

GIB = 1 << 30


@pytest.fixture(scope="module")
def big():
    return np.ones(GIB // 4, dtype=np.float32)


@pytest.mark.parametrize("threads", [1, 2])
def test_read_bandwidth(benchmark, big, threads):
    parts = np.array_split(big, threads)
    pool = ThreadPoolExecutor(threads)

    def read():
        return sum(pool.map(lambda a: float(a.sum(dtype=np.float32)), parts))

    benchmark.group = "bandwidth"
    total = benchmark.pedantic(read, rounds=5, warmup_rounds=1)
    pool.shutdown()
    benchmark.extra_info.update(backend="numpy-sum", threads=threads, bytes=big.nbytes,
                                check=f"sum {total:.4g} == {big.size}", ok=bool(total == big.size))
    assert total == big.size


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("d", [16, 256])
def test_shuffled_row_read(benchmark, dataset, d, threads):
    """The ceiling for shuffled epochs: reading X's rows in a random order, nothing else,
    with the kernels' own prefetching (mbgd_fast._native.probe_read)."""
    from mbgd_fast import _native

    X, _ = dataset(d)
    rows = np.random.default_rng(1).permutation(len(X))
    benchmark.group = "bandwidth"
    total = benchmark.pedantic(_native.probe_read, args=(X, rows, threads), rounds=7, warmup_rounds=1)
    expect = float(X.sum(dtype=np.float64))
    ok = abs(total - expect) <= 1e-3 * max(1.0, abs(expect)) + 1e-3 * X.size ** 0.5
    benchmark.extra_info.update(backend="shuffled-read", threads=threads, d=d, bytes=X.nbytes,
                                check=f"sum {total:.6g} ~ {expect:.6g}", ok=bool(ok))
    assert ok
