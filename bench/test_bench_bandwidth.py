"""The machine's read bandwidth, measured in the same run as the kernels it bounds.

A NumPy sum over 1 GiB of float32 on 1 thread, and on 2 threads (each summing
half; NumPy releases the GIL).  The report divides the bytes of X that train()
reads per second by these to give "% of bandwidth".
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from test_bench_train import evict_caches, threaded_sum

GIB = 1 << 30


@pytest.fixture(scope="module")
def big():
    return np.ones(GIB // 4, dtype=np.float32)


@pytest.mark.parametrize("threads", [1, 2])
def test_read_bandwidth(benchmark, big, threads):
    parts = np.array_split(big, threads)
    pool = ThreadPoolExecutor(threads)

    def read():
        return threaded_sum(pool, parts)

    benchmark.group = "bandwidth"
    total = benchmark.pedantic(read, rounds=5, warmup_rounds=1)
    pool.shutdown()
    benchmark.extra_info.update(backend="numpy-sum", threads=threads, bytes=big.nbytes,
                                check=f"sum {total:.4g} == {big.size}", ok=bool(total == big.size))
    assert total == big.size


LONG_ROWS = 50_000  # rows of d = 1024 (200 MB): rows of 4 KB, whose row ahead is asked for in parts


def rows_for(dataset, d):
    """The bench's (X, y) at d: N = 200,000 rows, or LONG_ROWS of d = 1024."""
    return dataset(d, n=LONG_ROWS) if d == 1024 else dataset(d)


def sum_close(total, expect, size):
    """Whether a probe's float32 sum of ``size`` values of X is X's (float64) sum ``expect``,
    within float32 rounding: the check of every shuffled-row read."""
    return abs(total - expect) <= 1e-3 * max(1.0, abs(expect)) + 1e-3 * size ** 0.5


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("d", [16, 256, 1024])
def test_shuffled_row_read(benchmark, dataset, d, threads):
    """The ceiling for shuffled epochs: reading X's rows in a random order, nothing else,
    with the kernels' own prefetching (mbgd_fast._native.probe_read)."""
    from mbgd_fast import _native

    X, _ = rows_for(dataset, d)
    rows = np.random.default_rng(1).permutation(len(X))
    benchmark.group = "bandwidth"
    total = benchmark.pedantic(_native.probe_read, args=(X, rows, threads), setup=evict_caches,
                               rounds=7, warmup_rounds=1)
    expect = float(X.sum(dtype=np.float64))
    ok = sum_close(total, expect, X.size)
    benchmark.extra_info.update(backend="shuffled-read", threads=threads, d=d, bytes=X.nbytes,
                                check=f"sum {total:.6g} ~ {expect:.6g}", ok=bool(ok))
    assert ok


KERNEL_ALONE = [(256, 2, b) for b in (256, 1024, 4096)] + \
    [(16, t, b) for t in (1, 2) for b in (256, 1024, 4096)] + [(16, 1, 1)] + \
    [(1024, t, 256) for t in (1, 2)]


@pytest.mark.parametrize("d,threads,b", KERNEL_ALONE)
def test_kernel_alone(benchmark, record, dataset, d, threads, b):
    """One epoch of the kernel alone: the compiled call train() makes
    (NativeKernel.train_slice), with the rows' order given (drawn beforehand) and no Python
    around it.  Against the ceiling above and train()'s cell at the same b (which draws its
    order and validates, sets up and returns in Python), the report tells how much of what
    train() misses of the ceiling is the kernel's own: d = 256 on 2 threads; d = 16 on 1 and
    2, where with test_draw below it bounds an epoch that draws its order beside the
    training; d = 16 at b = 1 on 1 thread, steps that each wait on the one before; and rows
    of 4 KB (d = 1024, N = 50,000), whose row ahead the kernel asks for in parts."""
    from mbgd_fast import _native
    from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch

    X, y = rows_for(dataset, d)
    spec = Spec(loss="squared", n_threads=threads)
    kernel = _native.NativeKernel(spec, X, y)
    rows = np.random.default_rng(1).permutation(len(X)).astype(np.int64)
    starts = _batch_starts(len(X), b, iterations_per_epoch(len(X), b))  # as train()'s
    lr = np.full(len(starts) - 1, (0.25 if b > 1 else 0.02) / d)
    losses = np.empty(len(lr))

    def fresh():
        evict_caches()
        return (State.zeros(spec, d, np.float32),), {}

    def epoch(state):
        kernel.train_slice(state, rows, starts, lr, losses)
        return state

    benchmark.group = "bandwidth"
    state = benchmark.pedantic(epoch, setup=fresh, rounds=5, warmup_rounds=1)
    # the epoch's first batch losses against its last: it trained
    k = max(3, len(losses) // 100)
    ok = bool(np.isfinite(losses).all() and losses[-k:].mean() < losses[:k].mean())
    record(backend="kernel-alone", threads=threads, b=b, d=d, samples=len(X), iters=len(lr),
           check=f"batch loss {losses[:k].mean():.3g} -> {losses[-k:].mean():.3g}", ok=ok)
    assert ok and np.isfinite(state.theta).all()


def test_draw(benchmark, dataset):
    """The order train() draws for an epoch, alone on one thread: Fisher-Yates from a NumPy
    Generator's bit generator (mbgd_fast._native.permutation_of), what the second thread does
    while the first trains, its PCG64 words drawn in C several streams at a time (32 with
    AVX-512).
    test_bench_paired.py's test_paired_draw times it against the same words through the
    generator's next_raw, one call a word (as before session 25), round by round."""
    from mbgd_fast import _native

    X, _ = dataset(16)
    bg = np.random.default_rng(0).bit_generator
    out = np.empty(len(X), dtype=np.int64)
    benchmark.group = "bandwidth"
    order = benchmark.pedantic(_native.permutation_of, args=(bg, len(X), out, 1), rounds=9,
                               warmup_rounds=1)
    ok = bool(np.array_equal(np.sort(order), np.arange(len(X))))
    benchmark.extra_info.update(backend="draw", threads=1, rows=len(X),
                                check=f"a permutation: {ok}", ok=ok)
    assert ok
