"""Sparse (CSR) throughput against scikit-learn's SGD on the same data.

The problem of the issue: N = 1,000,000 rows, d = 100,000 features, 50 stored values
per row (float32 values, int32 indices), squared loss with L2 (alpha = l2 = 1e-4, so
both sides use their lazy weight scale), one epoch, rows shuffled.  With
``--benchmark-disable`` (CI) N is 20,000 so the suite stays quick; the shape of
the rows is the same.

- mbgd_fast: ``train(X, y, batch_size=b, epochs=1, l2=1e-4)``, b in {1, 32, 1024}.
- scikit-learn: ``SGDRegressor(max_iter=1, tol=None, learning_rate="constant",
  alpha=1e-4).fit`` (its b = 1 Cython loop over sparse rows), and ``partial_fit`` once
  per mini-batch of b rows (what a user streaming batches would write).
"""
import warnings

import numpy as np
import pytest

import mbgd_fast as mf

try:
    import scipy.sparse as sp
except ImportError:  # pragma: no cover
    sp = None
try:
    import sklearn.linear_model as sklearn_lm
except ImportError:  # pragma: no cover
    sklearn_lm = None

D, NNZ, L2 = 100_000, 50, 1e-4
SPARSE_B = (1, 32, 1024)
_CACHE = {}


def sparse_problem(n):
    """(X CSR float32 int32, y) with NNZ distinct increasing columns per row; cached."""
    if n not in _CACHE:
        rng = np.random.default_rng(0)
        cols = np.sort(rng.integers(0, D - NNZ, size=(n, NNZ), dtype=np.int32), axis=1)
        cols += np.arange(NNZ, dtype=np.int32)  # strictly increasing, hence distinct
        vals = rng.standard_normal(n * NNZ, dtype=np.float32) / np.float32(np.sqrt(NNZ))
        X = sp.csr_matrix((vals, cols.ravel(), np.arange(0, n * NNZ + 1, NNZ, dtype=np.int32)),
                          shape=(n, D))
        w = rng.standard_normal(D).astype(np.float32)
        y = (X @ w + 0.1 * rng.standard_normal(n)).astype(np.float32)
        _CACHE[n] = (X, y)
    return _CACHE[n]


def half_mse(X, y, w, b0):
    r = X[:20000] @ w + b0 - y[:20000]
    return float(np.mean(r.astype(np.float64) ** 2) / 2)


def _n(benchmark):
    return 20_000 if benchmark.disabled else 1_000_000


LR = 0.05  # |x|^2 ~ 1 per row


pytestmark = pytest.mark.skipif(sp is None, reason="scipy is not installed")


@pytest.mark.parametrize("b", SPARSE_B)
def test_mbgd_fast_sparse(benchmark, record, b):
    X, y = sparse_problem(_n(benchmark))
    benchmark.group = "sparse"
    res = benchmark.pedantic(lambda: mf.train(X, y, batch_size=b, epochs=1, lr=LR * min(b, 32) ** 0.5,
                                              l2=L2, n_threads=1), rounds=3, warmup_rounds=1)
    start, end = half_mse(X, y, np.zeros(D, np.float32), 0.0), half_mse(X, y, res.coef, res.intercept)
    record(backend="mbgd_fast-csr", threads=1, b=b, d=D, samples=X.shape[0], iters=res.n_iter,
           nnz_per_row=NNZ, check=f"loss {start:.3g} -> {end:.3g}", ok=bool(end < start))
    assert end < start


@pytest.mark.skipif(sklearn_lm is None, reason="scikit-learn is not installed")
def test_sklearn_sparse_fit_b1(benchmark, record):
    X, y = sparse_problem(_n(benchmark))

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter=1
            return sklearn_lm.SGDRegressor(max_iter=1, tol=None, learning_rate="constant", eta0=LR,
                                           alpha=L2, random_state=0).fit(X, y)

    benchmark.group = "sparse"
    est = benchmark.pedantic(fit, rounds=3, warmup_rounds=1)
    start = half_mse(X, y, np.zeros(D, np.float32), 0.0)
    end = half_mse(X, y, est.coef_.astype(np.float32), est.intercept_[0])
    record(backend="sklearn-fit-csr", threads=1, b=1, d=D, samples=X.shape[0], iters=X.shape[0],
           nnz_per_row=NNZ, check=f"loss {start:.3g} -> {end:.3g}", ok=bool(end < start))
    assert end < start


@pytest.mark.skipif(sklearn_lm is None, reason="scikit-learn is not installed")
@pytest.mark.parametrize("b", SPARSE_B[1:])
def test_sklearn_sparse_partial_fit(benchmark, record, b):
    X, y = sparse_problem(_n(benchmark))
    n_rows = min(X.shape[0], max(200 * b, 50_000))
    order = np.random.default_rng(0).permutation(X.shape[0])[:n_rows]

    def run():
        est = sklearn_lm.SGDRegressor(learning_rate="constant", eta0=LR, alpha=L2, shuffle=False,
                                      random_state=0)
        for s in range(0, n_rows, b):
            idx = order[s : s + b]
            est.partial_fit(X[idx], y[idx])
        return est

    benchmark.group = "sparse"
    est = benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    start = half_mse(X, y, np.zeros(D, np.float32), 0.0)
    end = half_mse(X, y, est.coef_.astype(np.float32), est.intercept_[0])
    record(backend="sklearn-partial_fit-csr", threads=1, b=b, d=D, samples=n_rows,
           iters=-(-n_rows // b), nnz_per_row=NNZ, check=f"loss {start:.3g} -> {end:.3g}",
           ok=bool(end < start))
    assert end < start
