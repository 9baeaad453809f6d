"""The prefetch helper, switched off (MBGD_FAST_HELPER=0) vs on (1) vs the default (unset:
each slice takes it or not by timing), in the same run.

d = 256, float32, 2 threads, N = 200,000 rows shuffled every epoch, b in {1, 4, 16}: batches
too small to split between threads, where the second thread either idles (off) or runs ahead
of the first prefetching the upcoming rows (on).  All give the same bits (checked here).  The
block packer, which takes the second thread at b = 1 by default (test_bench_pack.py), is off
here (MBGD_FAST_PACK=0), so that b = 1 measures the helper; so is the relay, which takes all
these batches on two threads by default since session 74 (MBGD_FAST_RELAY=0;
test_bench_relay.py measures it).
"""
import numpy as np
import pytest

import mbgd_fast as mf

from test_bench_train import half_mse, lr_for

_RESULTS = {}


HELPER_NAMES = {"0": "off", "1": "on", None: "timed"}


@pytest.mark.parametrize("helper", ["0", "1", None])
@pytest.mark.parametrize("b", [1, 4, 16])
def test_prefetch_helper(benchmark, record, dataset, monkeypatch, b, helper):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")
    monkeypatch.setenv("MBGD_FAST_PACK", "0")
    if helper is None:
        monkeypatch.delenv("MBGD_FAST_HELPER", raising=False)
    else:
        monkeypatch.setenv("MBGD_FAST_HELPER", helper)
    d = 256
    X, y = dataset(d)
    benchmark.group = f"helper b={b}"
    res = benchmark.pedantic(mf.train, args=(X, y), kwargs=dict(batch_size=b, epochs=1, lr=lr_for(d),
                             seed=0, n_threads=2), rounds=5, warmup_rounds=1)
    _RESULTS[(b, helper)] = res.coef.tobytes()
    same = all(v == res.coef.tobytes() for (bb, _), v in _RESULTS.items() if bb == b)
    end = half_mse(X, y, res.coef, res.intercept)
    record(backend=f"helper-{HELPER_NAMES[helper]}", threads=2, b=b, d=d,
           samples=len(X), iters=res.n_iter,
           check=f"loss -> {end:.3g}; same bits as the other settings: {same}", ok=same)
    assert same and np.isfinite(end)


def test_helper_ab_script(monkeypatch):
    """bench/helper_ab.py's paired rounds run and report each batch size (a small problem),
    and leave MBGD_FAST_HELPER and MBGD_FAST_RELAY as they found them."""
    import os

    import helper_ab

    monkeypatch.setenv("MBGD_FAST_HELPER", "0")
    monkeypatch.delenv("MBGD_FAST_RELAY", raising=False)
    out = helper_ab.measure(d=64, rounds=2, n=2000, batch_sizes=(1, 4))
    assert os.environ["MBGD_FAST_HELPER"] == "0" and "MBGD_FAST_RELAY" not in os.environ
    assert set(out) == {1, 4} and all(len(s) == 2 for c in out.values() for s in c.values())
    lines = helper_ab.report(out, 2000, 64)
    assert len(lines) == 2 and "helper on against off" in lines[0]
