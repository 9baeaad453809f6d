"""Gradient statistics and the reference text's claims, each tested so that it could fail."""
import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import theory

from conftest import make_problem


def _point(loss, d, seed=0):
    rng = np.random.default_rng(seed)
    K = 3 if loss == "softmax" else 1
    return (rng.normal(size=(K, d)) if K > 1 else rng.normal(size=d)), (rng.normal(size=K) if K > 1 else 0.3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["squared", "huber", "logistic", "hinge", "softmax"])
@pytest.mark.parametrize("with_intercept", [True, False])
def test_fused_noise_pass_matches_explicit_per_sample_gradients(loss, dtype, with_intercept):
    X, y = make_problem(loss, 400, 7, dtype=dtype, seed=2)
    W, b = _point(loss, 7)
    b = b if with_intercept else None
    a = mf.gradient_noise(X, y, W, b, loss=loss, backend="cpu")
    r = mf.gradient_noise(X, y, W, b, loss=loss, backend="numpy")
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for name in ("loss", "grad_norm2", "trace_sigma", "b_simple"):
        assert getattr(a, name) == pytest.approx(getattr(r, name), rel=tol)
    np.testing.assert_allclose(a.grad_coef, r.grad_coef, rtol=tol, atol=tol)
    assert (a.grad_intercept is None) == (not with_intercept)
    # the full gradient is the one mf.gradient gives
    g = mf.gradient(X, y, W, b, loss=loss)
    np.testing.assert_allclose(a.grad_coef, g[1], rtol=tol, atol=tol)


def test_trace_sigma_definition():
    X, y = make_problem("squared", 300, 4, seed=3)
    W, b = _point("squared", 4)
    noise = mf.gradient_noise(X, y, W, b)
    r = X @ W + b - y
    G = np.c_[r[:, None] * X, r]  # per-sample gradients
    mean = G.mean(axis=0)
    assert noise.grad_norm2 == pytest.approx(mean @ mean, rel=1e-12)
    assert noise.trace_sigma == pytest.approx(((G - mean) ** 2).sum(axis=1).mean(), rel=1e-10)
    assert noise.b_simple == pytest.approx(noise.trace_sigma / noise.grad_norm2)


def test_variance_law_with_replacement_has_slope_minus_one():
    X, y = make_problem("logistic", 2000, 5, seed=4)
    W, b = _point("logistic", 5)
    bs = [1, 2, 4, 8, 16, 32, 64, 128]
    out = mf.batch_gradient_variance(X, y, W, b, loss="logistic", batch_sizes=bs, n_draws=1500)
    slope = np.polyfit(np.log(bs), np.log(out["measured"]), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.05)
    # and the level is tr(Sigma)/b, within the sampling error
    np.testing.assert_allclose(out["measured"], out["theory"], rtol=0.12)


def test_variance_without_replacement_follows_the_finite_population_factor():
    X, y = make_problem("squared", 64, 3, seed=5)
    W, b = _point("squared", 3)
    bs = [1, 8, 32, 48, 63, 64]
    out = mf.batch_gradient_variance(X, y, W, b, batch_sizes=bs, n_draws=3000, replace=False)
    theory_ = out["theory"]
    assert theory_[-1] == 0.0 and out["measured"][-1] < 1e-20  # b = N: the exact gradient
    np.testing.assert_allclose(out["measured"][:-1], theory_[:-1], rtol=0.1)
    # the shape: it falls faster than 1/b, by (N - b)/(N - 1)
    with_repl = out["noise"].variance(np.array(bs[:-1], float), replace=True)
    np.testing.assert_allclose(theory_[:-1] / with_repl, (64 - np.array(bs[:-1])) / 63)


def test_two_batch_estimator_agrees_with_the_full_pass():
    X, y = make_problem("logistic", 5000, 6, seed=6)
    W, b = _point("logistic", 6)
    full = mf.gradient_noise(X, y, W, b, loss="logistic")
    est = mf.two_batch_noise(X, y, W, b, loss="logistic", b_small=4, b_big=256, n_pairs=3000, seed=1)
    assert est.trace_sigma == pytest.approx(full.trace_sigma, rel=0.1)
    assert est.grad_norm2 == pytest.approx(full.grad_norm2, rel=0.15)


def test_epochs_and_iterations_closed_forms():
    assert theory.iterations_per_epoch(1_250_000, 512) == 2442
    assert theory.epochs_completed(100_000, 1_250_000, 512) == 40
    assert theory.optimal_batch_size(1e4, 100, 1e-5, 1e-7) == pytest.approx(100.0)


def test_stationary_variance_small_eta_k_matches_the_approximation():
    k, eta, sigma = 2.0, 0.005, 1.5  # eta k = 0.01
    _, var = theory.simulate_quadratic(k, eta, sigma, n_steps=2_000_000, seed=1)
    assert var == pytest.approx(theory.stationary_variance(eta, sigma**2, k), rel=0.10)


@pytest.mark.parametrize("b", [1, 8])
def test_stationary_variance_at_eta_k_half_matches_the_exact_form(b):
    k, eta, sigma = 1.0, 0.5, 2.0
    mean, var = theory.simulate_quadratic(k, eta, sigma, batch_size=b, n_steps=400_000, seed=2)
    exact = theory.stationary_variance_exact(eta, sigma**2, k, batch_size=b)
    assert var == pytest.approx(exact, rel=0.05)
    # and there the approximation is off by the factor 2 / (2 - eta k) = 4/3: distinguishable
    assert var / theory.stationary_variance(eta, sigma**2, k, b) == pytest.approx(4 / 3, rel=0.05)
    assert abs(mean) < 5 * np.sqrt(exact / 400_000 * 3)


def test_flatter_minimum_wider_fluctuation():
    # sigma_w^2 is inversely proportional to the curvature
    v = [theory.simulate_quadratic(k, 0.01, 1.0, n_steps=500_000, seed=3)[1] for k in (0.5, 2.0)]
    assert v[0] / v[1] == pytest.approx(4.0 * (2 - 0.02) / (2 - 0.005), rel=0.1)


def test_theory_rejects_unstable_steps():
    with pytest.raises(ValueError, match="eta \\* k must be < 2"):
        theory.stationary_variance_exact(1.0, 1.0, 3.0)
    with pytest.raises(ValueError, match="eta \\* k must be < 2"):
        theory.simulate_quadratic(3.0, 1.0, 1.0)
