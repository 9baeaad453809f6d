"""The packer of b = 1 runs, switched off (MBGD_FAST_PACK=0) vs the default, in the same run.

d = 16, float32, b = 1, 2 threads, N = 200,000 rows shuffled every epoch: the second thread
either draws the order and then idles (off), or then packs the rows, their y and the products
of consecutive rows for the first (the default, while the cores hand lines over quickly:
csrc/kernel_impl.h, mbgd_pack).  Both give the same bits (checked here).  The paired record
is docs/pack-session21.txt; these cells are timed apart, so the machine's phase moves them.

The block packer of b = 1 runs in blocks (d = 256, squared loss and softmax with K = 10): the
second thread copies the shuffled rows into a ring the first reads in order, against
MBGD_FAST_PACK=0, where it is the prefetch helper (by timing) as before session 46.  The
paired record is docs/ab-session46-bpack.txt.  Since session 48 the same packer packs the rows
of batches of one group (squared loss, b = 4 here) for skew_regs: docs/ab-session48-bpack.txt.

Since session 74 the relay takes one-output batches too small to split on two threads by
default (test_bench_relay.py); it is off here (MBGD_FAST_RELAY=0), so that these cells measure
the packers.
"""
import numpy as np
import pytest

import mbgd_fast as mf

from test_bench_train import evict_caches, half_mse, lr_for

_RESULTS = {}


@pytest.mark.parametrize("pack", ["0", "1"])
def test_pack(benchmark, record, dataset, monkeypatch, pack):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")
    monkeypatch.setenv("MBGD_FAST_PACK", pack)
    d = 16
    X, y = dataset(d)
    benchmark.group = "pack b=1"
    res = benchmark.pedantic(mf.train, args=(X, y), kwargs=dict(batch_size=1, epochs=1,
                             lr=lr_for(d), seed=0, n_threads=2), setup=evict_caches, rounds=5,
                             warmup_rounds=1)
    _RESULTS[pack] = res.coef.tobytes()
    other = _RESULTS.get("1" if pack == "0" else "0")
    same = other is None or other == res.coef.tobytes()
    end = half_mse(X, y, res.coef, res.intercept)
    record(backend=f"pack-{'on' if pack == '1' else 'off'}", threads=2, b=1, d=d,
           samples=len(X), iters=res.n_iter,
           check=f"loss -> {end:.3g}; same bits as the other setting: {same}", ok=same)
    assert same and np.isfinite(end)


_BLOCKS = {}


@pytest.mark.parametrize("pack", ["0", "1"])
@pytest.mark.parametrize("loss,b", [("squared", 1), ("squared", 4), ("softmax", 1)])
def test_block_pack(benchmark, record, dataset, monkeypatch, loss, b, pack):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")
    monkeypatch.setenv("MBGD_FAST_PACK", pack)
    d = 256
    X, y = dataset(d, loss=loss)
    benchmark.group = f"block pack b={b} {loss}"
    res = benchmark.pedantic(mf.train, args=(X, y), kwargs=dict(loss=loss, batch_size=b, epochs=1,
                             lr=lr_for(d), seed=0, n_threads=2), rounds=5, warmup_rounds=1)
    _BLOCKS[(loss, b, pack)] = res.coef.tobytes()
    other = _BLOCKS.get((loss, b, "1" if pack == "0" else "0"))
    same = other is None or other == res.coef.tobytes()
    ok = bool(same and np.isfinite(res.coef).all() and res.epoch_loss[0] < res.batch_loss[0])
    record(backend=f"bpack{loss}-{'on' if pack == '1' else 'off'}", threads=2, b=b, d=d,
           loss=loss, samples=len(X), iters=res.n_iter,
           check=f"first batch {res.batch_loss[0]:.3g} > epoch mean {res.epoch_loss[0]:.3g}; "
                 f"same bits as the other setting: {same}", ok=ok)
    assert ok
