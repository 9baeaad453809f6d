"""What users would otherwise pick, on the same data: PyTorch and scikit-learn.

- PyTorch: autograd + torch.optim.SGD (foreach=True, and fused=True), a linear
  model with MSE, one mini-batch per Python iteration, first max(50 b, 20000) rows.
- scikit-learn: SGDRegressor(max_iter=1, tol=None, learning_rate="constant").fit
  (b = 1, one epoch of its Cython loop, its own shuffling), and partial_fit once
  per mini-batch of the NumPy loop's rows.
Each records a check that it learned (its loss fell) next to mbgd_fast's numbers.
"""
import warnings

import numpy as np
import pytest

from test_bench_train import BATCH_SIZES, DIMS, evict_caches, half_mse, lr_for, numpy_rows

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def torch_loop(X, y, order, b, n_rows, lr, fused):
    model = torch.nn.Linear(X.shape[1], 1)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    kw = {"fused": True} if fused else {"foreach": True}
    opt = torch.optim.SGD(model.parameters(), lr=lr, **kw)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    idx_all = torch.from_numpy(order[:n_rows])
    for s in range(0, n_rows, b):
        idx = idx_all[s : s + b]
        opt.zero_grad(set_to_none=True)
        loss = 0.5 * torch.mean((model(Xt[idx])[:, 0] - yt[idx]) ** 2)
        loss.backward()
        opt.step()
    return model.weight.detach().numpy()[0].copy(), float(model.bias.detach()[0])


@pytest.mark.skipif(torch is None, reason="torch is not installed (pip install torch)")
@pytest.mark.parametrize("fused", [False, True], ids=["foreach", "fused"])
@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("b", BATCH_SIZES)
def test_torch_sgd(benchmark, record, dataset, b, d, fused):
    X, y = dataset(d)
    n_rows = numpy_rows(b, len(X))
    order = np.random.default_rng(0).permutation(len(X))
    benchmark.group = f"train d={d}"
    w, b0 = benchmark.pedantic(torch_loop, args=(X, y, order, b, n_rows, lr_for(d), fused),
                               setup=evict_caches, rounds=3, warmup_rounds=1)
    start, end = half_mse(X, y, np.zeros(d, np.float32), 0.0), half_mse(X, y, w, b0)
    record(backend=f"torch-{'fused' if fused else 'foreach'}", threads=torch.get_num_threads(),
           b=b, d=d, samples=n_rows, iters=-(-n_rows // b),
           check=f"loss {start:.3g} -> {end:.3g}", ok=bool(end < start))
    assert end < start


try:
    import sklearn.linear_model as sklearn_lm
except ImportError:  # pragma: no cover
    sklearn_lm = None


@pytest.mark.skipif(sklearn_lm is None, reason="scikit-learn is not installed")
@pytest.mark.parametrize("d", DIMS)
def test_sklearn_sgd_fit_b1(benchmark, record, dataset, d):
    X, y = dataset(d)

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter=1
            return sklearn_lm.SGDRegressor(max_iter=1, tol=None, learning_rate="constant",
                                           eta0=lr_for(d), penalty=None, random_state=0).fit(X, y)

    benchmark.group = f"train d={d}"
    est = benchmark.pedantic(fit, setup=evict_caches, rounds=3, warmup_rounds=1)
    start = half_mse(X, y, np.zeros(d, np.float32), 0.0)
    end = half_mse(X, y, est.coef_.astype(np.float32), est.intercept_[0])
    record(backend="sklearn-fit", threads=1, b=1, d=d, samples=len(X), iters=len(X),
           check=f"loss {start:.3g} -> {end:.3g}", ok=bool(end < start))
    assert end < start


@pytest.mark.skipif(sklearn_lm is None, reason="scikit-learn is not installed")
@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("b", BATCH_SIZES)
def test_sklearn_partial_fit(benchmark, record, dataset, b, d):
    X, y = dataset(d)
    n_rows = numpy_rows(b, len(X))
    order = np.random.default_rng(0).permutation(len(X))[:n_rows]

    def run():
        est = sklearn_lm.SGDRegressor(learning_rate="constant", eta0=lr_for(d), penalty=None,
                                      shuffle=False, random_state=0)
        for s in range(0, n_rows, b):
            idx = order[s : s + b]
            est.partial_fit(X[idx], y[idx])
        return est

    benchmark.group = f"train d={d}"
    est = benchmark.pedantic(run, setup=evict_caches, rounds=3, warmup_rounds=1)
    start = half_mse(X, y, np.zeros(d, np.float32), 0.0)
    end = half_mse(X, y, est.coef_.astype(np.float32), est.intercept_[0])
    record(backend="sklearn-partial_fit", threads=1, b=b, d=d, samples=n_rows,
           iters=-(-n_rows // b), check=f"loss {start:.3g} -> {end:.3g}", ok=bool(end < start))
    assert end < start
