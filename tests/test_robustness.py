"""Concurrency and numerical robustness."""
import threading

import numpy as np
import pytest

import mbgd_fast as mf

from conftest import make_problem


def test_four_threads_give_the_bits_of_sequential_runs():
    problems = [make_problem(loss, 20000, 40, seed=s)
                for s, loss in enumerate(["squared", "logistic", "softmax", "hinge"])]
    losses = ["squared", "logistic", "softmax", "hinge"]
    kw = dict(batch_size=32, epochs=2, lr=0.01, optimizer="momentum", n_threads=1)
    expect = [mf.train(X, y, loss=l, **kw) for (X, y), l in zip(problems, losses)]
    got = [None] * 4
    barrier = threading.Barrier(4)

    def work(i):
        barrier.wait()
        got[i] = mf.train(*problems[i], loss=losses[i], **kw)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e, g in zip(expect, got):
        assert g.coef.tobytes() == e.coef.tobytes() and g.batch_loss.tobytes() == e.batch_loss.tobytes()


def test_shared_per_call_arrays_are_read_only():
    from mbgd_fast import core

    starts = core._batch_starts(10, 3, 4)
    np.testing.assert_array_equal(starts, [0, 3, 6, 9, 10])
    rates = core._constant_rates(0.5, 4)
    np.testing.assert_array_equal(rates, [0.5] * 4)
    for a in (starts, rates):
        with pytest.raises(ValueError):
            a[0] = 1


def test_one_estimator_fitted_from_two_threads_is_refused():
    pytest.importorskip("sklearn")
    from mbgd_fast import MBGDRegressor

    X, y = make_problem("squared", 200_000, 32)
    est = MBGDRegressor(max_iter=20, tol=None, learning_rate="constant", eta0=1e-3)
    errors, started = [], threading.Event()

    def fit():
        started.set()
        est.fit(X, y)

    t = threading.Thread(target=fit)
    t.start()
    started.wait()
    for _ in range(200):  # while the other thread is inside fit
        try:
            est.fit(X[:10], y[:10])
        except RuntimeError as exc:
            errors.append(str(exc))
            break
    t.join()
    assert errors and "being fitted in another thread" in errors[0]
    assert est.coef_.shape == (32,) and np.isfinite(est.coef_).all()


@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_feature_scales_train_or_say_why(scale):
    X, y = make_problem("squared", 200, 4)
    Xs = X * scale
    try:
        r = mf.train(Xs, y, batch_size=10, epochs=5, lr=0.01)
        assert np.isfinite(r.coef).all()
    except mf.DivergenceError as exc:  # 1e30: the step size cannot be right; we say so
        assert scale > 1 and np.isfinite(exc.result.coef).all() and "smaller lr" in str(exc)
    # with a step size matched to the scale, both train
    r = mf.train(Xs, y, batch_size=10, epochs=20, lr=0.05 / scale**2, fit_intercept=False)
    assert np.isfinite(r.coef).all() and r.epoch_loss[-1] < r.epoch_loss[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_and_softmax_at_huge_margins(dtype):
    X = np.array([[1000.0], [-1000.0], [2000.0]], dtype=dtype)
    r = mf.train(X, [1, -1, -1], loss="logistic", batch_size=1, epochs=3, lr=1.0)
    assert np.isfinite(r.batch_loss).all() and np.isfinite(r.coef).all()
    v, g, _ = mf.gradient(X, [1, 0, 1], np.array([[1.5], [-1.5]]), [0.0, 0.0], loss="softmax")
    assert np.isfinite(v) and np.isfinite(g).all() and v > 1000  # log-sum-exp, no overflow


def test_float32_accumulation_over_ten_million_rows():
    n = 10_000_000
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 2), dtype=np.float32)
    y = (X[:, 0] + 0.5).astype(np.float32)
    w = np.array([0.3, -0.2])
    v32, g32, b32 = mf.gradient(X, y, w, 0.1)
    v64, g64, b64 = mf.gradient(X.astype(np.float64), y.astype(np.float64), w, 0.1)
    # stated bound (docs/reliability.md): relative error below 1e-4 of the gradient's scale
    scale = np.abs(np.r_[g64, b64]).max()
    assert np.abs(np.r_[g32, b32] - np.r_[g64, b64]).max() <= 1e-4 * scale
    assert abs(v32 - v64) <= 1e-5 * abs(v64)


def test_constant_features_and_constant_target():
    X = np.ones((100, 3))
    y = np.full(100, 2.0)
    r = mf.train(X, y, batch_size=10, epochs=50, lr=0.05)
    assert np.isfinite(r.coef).all()
    np.testing.assert_allclose(X @ r.coef + r.intercept, 2.0, atol=1e-6)
    noise = mf.gradient_noise(X, y, r.coef, r.intercept)
    assert noise.trace_sigma >= 0 and np.isfinite(noise.grad_norm2)
