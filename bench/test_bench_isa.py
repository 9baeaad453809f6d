"""Runtime SIMD dispatch, forced off (MBGD_FAST_ISA=generic: the SSE2 baseline) vs on (auto).

d = 256, float32, 1 thread, b in {1, 256}, on a problem that stays in cache (N = 2,048 rows,
2 MB, 20 epochs in order) so that arithmetic, not memory, sets the pace: the same kernel
source compiled for the baseline and for AVX2+FMA (and AVX-512 where the CPU has it); the
ratio shows the vectorized variant is the one taken.  (On shuffled out-of-cache epochs the
two run at the memory's pace and differ little.)
"""
import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import _native

from test_bench_train import lr_for


@pytest.mark.parametrize("isa", ["generic", "auto"])
@pytest.mark.parametrize("b", [1, 256])
def test_isa_dispatch(benchmark, record, dataset, monkeypatch, b, isa):
    monkeypatch.setenv("MBGD_FAST_ISA", isa)
    d = 256
    X, y = dataset(d)
    X, y = X[:2048], y[:2048]
    epochs = 20
    benchmark.group = f"isa b={b}"
    res = benchmark.pedantic(mf.train, args=(X, y), kwargs=dict(batch_size=b, epochs=epochs,
                             lr=lr_for(d), n_threads=1, shuffle=False), rounds=7, warmup_rounds=1)
    ran = _native.isa()
    record(backend=f"isa-{ran}", threads=1, b=b, d=d, samples=epochs * len(X), iters=res.n_iter,
           check=f"ran {ran}; epoch loss {res.epoch_loss[0]:.3g}", ok=bool(np.isfinite(res.coef).all()))
    assert (ran == "generic") == (isa == "generic")
