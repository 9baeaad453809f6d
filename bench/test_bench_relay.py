"""The relay, switched off (MBGD_FAST_RELAY=0) vs on (the default), in the same run.

float32, squared loss, 2 threads, N = 200,000 rows shuffled every epoch, the caches emptied
before each call, d in {64, 256}, b in {1, 4, 16}: batches too small to split between the
threads.  With the relay their iterations run in legs of about 256 KiB of rows dealt to the
two threads in turn, each thread fetching its next leg's rows while the other trains
(csrc/kernel_impl.h, FN(relay)); off, the second thread is the prefetch helper or a packer,
as before session 74; a leg the other thread has not begun when one is ready to go on is
taken over (counted in the check).  Both give the same bits (checked here).  The paired record is
docs/ab-session74.txt; these cells are timed apart, so the machine's phase moves them.
"""
import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import _native

from test_bench_train import evict_caches, half_mse, lr_for

_RESULTS = {}


@pytest.mark.parametrize("relay", ["0", "1"])
@pytest.mark.parametrize("b", [1, 4, 16])
@pytest.mark.parametrize("d", [64, 256])
def test_relay(benchmark, record, dataset, monkeypatch, d, b, relay):
    monkeypatch.setenv("MBGD_FAST_RELAY", relay)
    X, y = dataset(d)
    benchmark.group = f"relay d={d} b={b}"
    legs, taken = _native.relay_legs(), _native.relay_legs(taken=True)
    res = benchmark.pedantic(mf.train, args=(X, y), kwargs=dict(batch_size=b, epochs=1,
                             lr=lr_for(d), seed=0, n_threads=2), setup=evict_caches, rounds=5,
                             warmup_rounds=1)
    ran = _native.relay_legs() > legs
    taken = _native.relay_legs(taken=True) - taken  # legs one thread took from the other
    _RESULTS[(d, b, relay)] = res.coef.tobytes()
    other = _RESULTS.get((d, b, "1" if relay == "0" else "0"))
    same = other is None or other == res.coef.tobytes()
    end = half_mse(X, y, res.coef, res.intercept)
    ok = bool(same and np.isfinite(end) and ran == (relay == "1"))
    record(backend=f"relay{d}-{'on' if relay == '1' else 'off'}", threads=2, b=b, d=d,
           samples=len(X), iters=res.n_iter,
           check=f"loss -> {end:.3g}; the relay ran: {ran} ({taken} legs taken over in these "
                 f"calls); same bits as the other setting: {same}", ok=ok)
    assert ok
