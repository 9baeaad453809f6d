"""Cost per sample of every loss family and both dtypes, against squared loss in the same run.

d = 256, N = 200,000, b in {1, 256}, 2 threads; softmax has K = 10 classes (so 10x
the arithmetic per row, but the same bytes of X).
"""
import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import _native

from test_bench_train import lr_for


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss", ["squared", "logistic", "hinge", "softmax"])
@pytest.mark.parametrize("b", [1, 256])
def test_loss_cost(benchmark, record, dataset, b, loss, dtype):
    if dtype == "float64" and loss != "squared":
        pytest.skip("float64 is measured on squared loss only")
    d = 256
    X, y = dataset(d, dtype=np.dtype(dtype), loss=loss)
    benchmark.group = f"loss d={d} b={b}"
    res = benchmark.pedantic(
        mf.train, args=(X, y),
        kwargs=dict(loss=loss, batch_size=b, epochs=1, lr=lr_for(d), seed=0, n_threads=2),
        rounds=5, warmup_rounds=1,
    )
    ok = bool(res.epoch_loss[0] < res.batch_loss[0] and np.isfinite(res.coef).all())
    record(backend="mbgd_fast", threads=2, b=b, d=d, loss=loss, dtype=dtype, samples=len(X),
           iters=res.n_iter, isa=_native.isa(),
           check=f"first batch {res.batch_loss[0]:.3g} > epoch mean {res.epoch_loss[0]:.3g}", ok=ok)
    assert ok


@pytest.mark.parametrize("loss", ["squared", "softmax"])
@pytest.mark.parametrize("b", [1, 256])
def test_loss_cost_in_cache(benchmark, record, dataset, b, loss):
    """The arithmetic alone: 1 thread on 2,048 rows (2 MB) in order, 20 epochs, so the rows
    come from cache and the cost per row is the kernel's compute, not memory's."""
    d = 256
    X, y = dataset(d, loss=loss)
    X, y = X[:2048], y[:2048]
    epochs = 20
    benchmark.group = f"loss in cache b={b}"
    res = benchmark.pedantic(
        mf.train, args=(X, y),
        kwargs=dict(loss=loss, batch_size=b, epochs=epochs, lr=lr_for(d), n_threads=1, shuffle=False),
        rounds=7, warmup_rounds=1,
    )
    ok = bool(np.isfinite(res.coef).all() and res.epoch_loss[-1] < res.batch_loss[0])
    record(backend=f"incache-{loss}", threads=1, b=b, d=d, loss=loss, samples=epochs * len(X),
           iters=res.n_iter, isa=_native.isa(),
           check=f"first batch {res.batch_loss[0]:.3g} > last epoch {res.epoch_loss[-1]:.3g}", ok=ok)
    assert ok
