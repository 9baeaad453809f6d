"""CSR input: every CPU kernel against the same computation on the dense twin."""
import numpy as np
import pytest
import scipy.sparse as sp

import mbgd_fast as mf
from mbgd_fast.noise import gradient_noise

from conftest import make_problem
from test_parity import OPTIMIZERS, PENALTIES, _batch_size, _lr, assert_same_run

LOSSES = ("squared", "huber", "logistic", "hinge", "modified_huber", "softmax")


def sparse_problem(loss, n=53, d=37, density=0.2, dtype=np.float64, seed=0, index_dtype=np.int32):
    """A CSR X with empty rows and a duplicate-free random pattern, its dense twin, y."""
    Xd, y = make_problem(loss, n, d, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    Xd = np.where(rng.random((n, d)) < density, Xd, 0).astype(dtype)
    Xd[3] = 0  # an all-zero row
    Xs = sp.csr_matrix(Xd)
    Xs.indices = Xs.indices.astype(index_dtype)
    Xs.indptr = Xs.indptr.astype(index_dtype)
    return Xs, Xd, y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("b_kind", ["1", "2", "non_divisor", "N"])
@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("loss", LOSSES)
def test_train_sparse_equals_dense(loss, optimizer, penalty, b_kind, dtype):
    Xs, Xd, y = sparse_problem(loss, dtype=dtype)
    kw = dict(loss=loss, batch_size=_batch_size(b_kind, Xd.shape[0]), epochs=3,
              lr=_lr(loss, optimizer), optimizer=optimizer, seed=4, **PENALTIES[penalty])
    assert_same_run(mf.train(Xs, y, **kw), mf.train(Xd, y, **kw), dtype)


@pytest.mark.parametrize("b", [1, 5])
@pytest.mark.parametrize("average", [True, 7])
def test_averaged_sgd_sparse(b, average):
    Xs, Xd, y = sparse_problem("squared")
    kw = dict(batch_size=b, epochs=2, lr=0.05, l2=0.01, average=average)
    a, r = mf.train(Xs, y, **kw), mf.train(Xd, y, backend="numpy", **kw)
    assert_same_run(a, r, np.float64)
    np.testing.assert_allclose(a.average_coef, r.average_coef, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_sparse_against_reference_and_index_types(index_dtype):
    Xs, Xd, y = sparse_problem("logistic", index_dtype=index_dtype)
    assert Xs.indices.dtype == index_dtype
    kw = dict(loss="logistic", batch_size=3, epochs=2, lr=0.1, l2=0.02, sample_weight=np.linspace(0.5, 2, len(y)))
    assert_same_run(mf.train(Xs, y, **kw), mf.train(Xd, y, backend="numpy", **kw), np.float64)


@pytest.mark.parametrize("lr_l2", [0.5, 1.0, 1.7])
def test_lazy_scale_folds(lr_l2):
    """lr*l2 = 0.5 halves the scale each step (folded every ~20 steps); 1.0 zeroes it;
    1.7 flips its sign: all equal the dense update."""
    Xs, Xd, y = sparse_problem("squared", n=40)
    kw = dict(batch_size=1, epochs=3, lr=0.1, l2=lr_l2 / 0.1, reduction="sum")
    assert_same_run(mf.train(Xs, y, **kw), mf.train(Xd, y, **kw), np.float64)


def test_other_formats_are_converted_and_nothing_is_modified():
    Xs, Xd, y = sparse_problem("squared")
    ref = mf.train(Xd, y, batch_size=4, epochs=2, l2=0.01)
    for X in (Xs.tocsc(), Xs.tocoo(), sp.csr_array(Xs), Xs.tolil(), Xs.astype(np.int64) * 0 + Xs):
        before = X.copy()
        res = mf.train(X, y, batch_size=4, epochs=2, l2=0.01)
        np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-10, atol=1e-12)
        assert (X != before).nnz == 0 and X.format == before.format


def test_sparse_integer_data_becomes_float64():
    Xs, Xd, y = sparse_problem("squared")
    Xi = sp.csr_matrix(np.round(Xd * 3).astype(np.int32))
    res = mf.train(Xi, y, batch_size=2, epochs=1)
    assert res.coef.dtype == np.float64
    np.testing.assert_allclose(res.coef, mf.train(Xi.toarray(), y, batch_size=2, epochs=1).coef,
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("rows", [None, [0, 3, 3, 7, 50]])
def test_gradient_and_noise_sparse(loss, rows):
    Xs, Xd, y = sparse_problem(loss)
    K, d = 3, Xd.shape[1]
    rng = np.random.default_rng(2)
    coef = rng.normal(size=(K, d) if loss == "softmax" else d)
    b = rng.normal(size=K) if loss == "softmax" else 0.3
    for got, want in zip(mf.gradient(Xs, y, coef, b, loss, rows, l2=0.1, l1=0.01),
                         mf.gradient(Xd, y, coef, b, loss, rows, l2=0.1, l1=0.01)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    gs, gd = gradient_noise(Xs, y, coef, b, loss), gradient_noise(Xd, y, coef, b, loss)
    assert gs.trace_sigma == pytest.approx(gd.trace_sigma, rel=1e-10)
    np.testing.assert_allclose(gs.grad_coef, gd.grad_coef, rtol=1e-10, atol=1e-12)


def test_bad_csr_is_refused_with_the_argument_named():
    Xs, _, y = sparse_problem("squared")
    bad = Xs.copy()
    bad.indices[5] = Xs.shape[1] + 3
    with pytest.raises(ValueError, match=r"X: a CSR column index"):
        mf.train(bad, y)
    nan = Xs.copy()
    nan.data[7] = np.nan
    with pytest.raises(ValueError, match=r"X.data contains NaN"):
        mf.gradient(nan, y, np.zeros(Xs.shape[1]), 0.0)
    with pytest.raises(ValueError, match="X is empty"):
        mf.train(sp.csr_matrix((0, 4)), np.zeros(0))


def test_all_zero_matrix():
    X = sp.csr_matrix((10, 6))
    y = np.arange(10.0)
    res = mf.train(X, y, batch_size=3, epochs=5, lr=0.1)
    assert np.all(res.coef == 0) and res.intercept == pytest.approx(
        mf.train(np.zeros((10, 6)), y, batch_size=3, epochs=5, lr=0.1).intercept, rel=1e-12)


def test_divergence_on_sparse_keeps_last_finite_weights():
    Xs, Xd, y = sparse_problem("squared")
    with pytest.raises(mf.DivergenceError) as e_s:
        mf.train(Xs * 1e3, y, batch_size=2, lr=10.0, epochs=5)
    with pytest.raises(mf.DivergenceError) as e_d:
        mf.train(Xd * 1e3, y, batch_size=2, lr=10.0, epochs=5)
    assert e_s.value.iteration == e_d.value.iteration
    assert np.isfinite(e_s.value.result.coef).all()


def test_huge_d_lazy_step_is_sparse():
    """d = 20 million and plain SGD with L2: each step touches only its row's columns
    (a dense step would be 20M updates x 2000 steps), and the result is exact."""
    n, d = 200, 20_000_000
    rng = np.random.default_rng(0)
    cols = rng.integers(0, d, size=(n, 5))
    X = sp.csr_matrix((rng.normal(size=n * 5), cols.ravel(), np.arange(0, 5 * n + 1, 5)), shape=(n, d))
    y = rng.normal(size=n)
    res = mf.train(X, y, batch_size=1, epochs=10, lr=0.05, l2=1e-3)
    w = res.coef
    assert w.shape == (d,) and np.count_nonzero(w) <= 5 * n
    used = np.unique(cols)
    small = mf.train(sp.csr_matrix(X[:, used]), y, batch_size=1, epochs=10, lr=0.05, l2=1e-3)
    np.testing.assert_allclose(w[used], small.coef, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("Est,loss", [("MBGDRegressor", "squared_error"), ("MBGDClassifier", "hinge"),
                                      ("MBGDClassifier", "log_loss")])
def test_estimators_sparse_equals_dense(Est, loss):
    from mbgd_fast import estimators

    Xs, Xd, y = sparse_problem("logistic" if Est == "MBGDClassifier" else "squared", n=80)
    if Est == "MBGDClassifier" and loss == "log_loss":
        y = (np.arange(80) % 3).astype(float)
    est = getattr(estimators, Est)
    kw = dict(loss=loss, batch_size=4, max_iter=5, tol=None, random_state=0, alpha=1e-3)
    a, b = est(**kw).fit(Xs, y), est(**kw).fit(Xd, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.predict(Xs), b.predict(Xd))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_duplicate_columns_add_up(optimizer):
    """A non-canonical CSR (a column repeated within a row, unsorted) means the sum, as
    toarray() does; side by side and far apart in the row."""
    rng = np.random.default_rng(3)
    n, d = 30, 8
    indptr = np.arange(0, 6 * n + 1, 6)
    cols = rng.integers(0, d, size=(n, 6))
    cols[:, 1] = cols[:, 0]  # adjacent duplicates
    cols[:, 5] = cols[:, 2]
    X = sp.csr_matrix((rng.normal(size=6 * n), cols.ravel(), indptr), shape=(n, d))
    assert not X.has_canonical_format
    y = rng.normal(size=n)
    kw = dict(batch_size=3, epochs=3, lr=0.02, l2=0.05, optimizer=optimizer)
    assert_same_run(mf.train(X, y, **kw), mf.train(X.toarray(), y, **kw), np.float64)
