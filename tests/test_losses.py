"""Losses: a table of (z, y, loss, dloss) rows, and gradients against finite differences."""
import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import losses

from conftest import make_problem

L2 = np.log(2.0)
# loss, z, y, loss value, dloss/dz   (delta = 1, epsilon = 0.1)
TABLE = [
    ("squared", 3.0, 1.0, 2.0, 2.0),
    ("squared", -1.0, 1.0, 2.0, -2.0),
    ("huber", 0.5, 0.0, 0.125, 0.5),
    ("huber", 3.0, 0.0, 2.5, 1.0),
    ("huber", -3.0, 0.0, 2.5, -1.0),
    ("epsilon_insensitive", 1.05, 1.0, 0.0, 0.0),
    ("epsilon_insensitive", 2.0, 1.0, 0.9, 1.0),
    ("epsilon_insensitive", 0.0, 1.0, 0.9, -1.0),
    ("squared_epsilon_insensitive", 2.0, 1.0, 0.81, 1.8),
    ("squared_epsilon_insensitive", 0.0, 1.0, 0.81, -1.8),
    ("squared_epsilon_insensitive", 1.05, 1.0, 0.0, 0.0),
    ("logistic", 0.0, 1.0, L2, -0.5),
    ("logistic", 0.0, -1.0, L2, 0.5),
    ("logistic", 2.0, 1.0, np.log1p(np.exp(-2.0)), -1 / (1 + np.exp(2.0))),
    ("logistic", 800.0, -1.0, 800.0, 1.0),
    ("logistic", -800.0, -1.0, 0.0, 0.0),
    ("hinge", 0.5, 1.0, 0.5, -1.0),
    ("hinge", 1.0, 1.0, 0.0, -1.0),  # scikit-learn's subgradient at the kink
    ("hinge", 2.0, 1.0, 0.0, 0.0),
    ("hinge", 0.5, -1.0, 1.5, 1.0),
    ("squared_hinge", 0.5, 1.0, 0.25, -1.0),
    ("squared_hinge", 2.0, 1.0, 0.0, 0.0),
    ("modified_huber", 2.0, 1.0, 0.0, 0.0),
    ("modified_huber", 0.0, 1.0, 1.0, -2.0),
    ("modified_huber", -2.0, 1.0, 8.0, -4.0),
    ("perceptron", 0.0, 1.0, 0.0, -1.0),
    ("perceptron", -2.0, 1.0, 2.0, -1.0),
    ("perceptron", 2.0, 1.0, 0.0, 0.0),
]


@pytest.mark.parametrize("loss,z,y,value,deriv", TABLE)
def test_numpy_loss_table(loss, z, y, value, deriv):
    lv, dl = losses.evaluate(loss, np.array([z]), np.array([y]))
    assert lv[0] == pytest.approx(value, abs=1e-12)
    assert dl[0] == pytest.approx(deriv, abs=1e-12)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize("loss,z,y,value,deriv", TABLE)
def test_kernel_loss_table(backend, loss, z, y, value, deriv):
    # one sample with x = 0: z is the intercept, d loss / d intercept = dloss
    X = np.zeros((1, 1))
    v, gW, gb = mf.gradient(X, [y], [0.0], z, loss=loss, backend=backend)
    assert v == pytest.approx(value, abs=1e-12)
    assert gb == pytest.approx(deriv, abs=1e-12)
    assert gW[0] == 0.0


def test_softmax_table():
    z = np.array([[1.0, 2.0, 3.0]])
    p = np.exp(z) / np.exp(z).sum()
    for backend in ("cpu", "numpy"):
        v, gW, gb = mf.gradient(np.zeros((1, 1)), [2], np.zeros((3, 1)), z[0], loss="softmax",
                                backend=backend)
        assert v == pytest.approx(-np.log(p[0, 2]))
        np.testing.assert_allclose(gb, p[0] - [0, 0, 1], atol=1e-14)
    # stable at |z| > 1000
    v, _, gb = mf.gradient(np.zeros((1, 1)), [0], np.zeros((2, 1)), [0.0, 1500.0], loss="softmax")
    assert v == pytest.approx(1500.0) and np.isfinite(gb).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_over_the_range_of_exp(dtype):
    # logits whose distances from the max cover the exponential's whole range, past
    # float32's smallest normal (e^-87.3) too: the kernel's (vectorized, in float32) exp
    # against NumPy's in float64
    z = np.concatenate([np.linspace(0.0, -120.0, 37),
                        [-1e-7, -0.34657, -0.34658, -0.6931, -87.3, -87.4, -200.0, 3.5]])
    z = z.astype(dtype)
    K = z.size
    p = np.exp(z.astype(np.float64) - z.max())
    p /= p.sum()
    tiny = np.finfo(dtype).tiny
    # z_k - max z is rounded to the dtype first: up to |z_k - max z| * eps / 2 of error in
    # the exponent, i.e. that relative error in e^(z_k - max z), ~1e-5 at 120 in float32
    rtol = 1.2e-5 if dtype == np.float32 else 1e-12
    for c in (0, 36, K - 1):
        v, _, gb = mf.gradient(np.zeros((1, 1), dtype), [c], np.zeros((K, 1), dtype), z,
                               loss="softmax")
        assert gb.dtype == dtype
        q = np.asarray(gb, np.float64) + np.eye(K)[c]  # the probabilities
        normal = p >= tiny / np.finfo(dtype).eps  # away from the clamp at e^t = tiny
        small = ~normal
        normal[c] = small[c] = False  # p_c - 1 keeps no digits of a small p_c: see the loss
        np.testing.assert_allclose(q[normal], p[normal], rtol=rtol, atol=0)
        # near and past the smallest normal, e^t is clamped at it: off by at most ~tiny
        assert np.all(np.abs(q[small] - p[small]) <= 2 * tiny + rtol * p[small])
        assert np.all(q >= 0)
        assert v == pytest.approx(-np.log(p[c]), rel=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_over_the_range_of_exp(dtype):
    # margins y z from -120 to 120, past float32's smallest normal e^-87.3 both ways: the
    # kernel's (branch-free, in float32 its own e^t and ln(1 + t)) loss and dloss against
    # the NumPy losses' (losses.evaluate) in float64
    z = np.concatenate([np.linspace(-120.0, 120.0, 241),
                        [-1e-7, 1e-7, 0.0, 5e-8, 16.6, 16.7, 17.4, 87.3, 87.4, -87.4, 103.0]])
    z = z.astype(dtype)
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    for y in (1.0, -1.0):
        for zi in z:
            v, _, gb = mf.gradient(np.zeros((1, 1), dtype), [y], np.zeros(1, dtype), zi,
                                   loss="logistic")
            want_v, want_d = (float(a[0]) for a in
                              losses.evaluate("logistic", np.array([zi], np.float64), np.array([y])))
            # float32: e^t within about 1.2 ulps and ln(1 + t) within 2.5 ulps
            # (bench/loops/math_ulp.c), then a quotient and a sum
            rtol = 6 * eps
            assert abs(v - want_v) <= rtol * want_v + 2 * tiny, (y, zi, v, want_v)
            assert abs(gb - want_d) <= rtol * abs(want_d) + 2 * tiny, (y, zi, gb, want_d)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize("loss", losses.LOSSES)
def test_gradient_matches_finite_differences(loss, backend):
    X, y = make_problem(loss, 40, 5, seed=3)
    rng = np.random.default_rng(1)
    K = 3 if loss == "softmax" else 1
    W = rng.normal(size=(K, 5)) if K > 1 else rng.normal(size=5)
    b = rng.normal(size=K) if K > 1 else 0.3
    kw = dict(loss=loss, backend=backend, l2=0.1, delta=0.7, epsilon=0.05)
    _, gW, gb = mf.gradient(X, y, W, b, **kw)
    h = 1e-6
    num = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += h
        Wm[idx] -= h
        num[idx] = (mf.gradient(X, y, Wp, b, **kw)[0] - mf.gradient(X, y, Wm, b, **kw)[0]) / (2 * h)
    np.testing.assert_allclose(gW, num, rtol=1e-5, atol=1e-6)
    bb = np.atleast_1d(np.asarray(b, float))
    numb = np.zeros_like(bb)
    for k in range(K):
        bp, bm = bb.copy(), bb.copy()
        bp[k] += h
        bm[k] -= h
        bp_ = bp if K > 1 else bp[0]
        bm_ = bm if K > 1 else bm[0]
        numb[k] = (mf.gradient(X, y, W, bp_, **kw)[0] - mf.gradient(X, y, W, bm_, **kw)[0]) / (2 * h)
    np.testing.assert_allclose(np.atleast_1d(gb), numb, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", losses.LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_kernel_matches_reference(loss, dtype):
    X, y = make_problem(loss, 300, 7, dtype=dtype, seed=5)
    rng = np.random.default_rng(2)
    K = 3 if loss == "softmax" else 1
    W = rng.normal(size=(K, 7)) if K > 1 else rng.normal(size=7)
    idx = rng.integers(0, 300, size=77)
    sw = rng.uniform(0.5, 2, size=300)
    for kw in (dict(), dict(indices=idx), dict(l2=0.3, l1=0.1, sample_weight=sw), dict(reduction="sum")):
        a = mf.gradient(X, y, W, 0.2 if K == 1 else np.ones(K), loss=loss, backend="cpu", **kw)
        r = mf.gradient(X, y, W, 0.2 if K == 1 else np.ones(K), loss=loss, backend="numpy", **kw)
        tol = 1e-10 if dtype == np.float64 else 1e-4
        assert a[0] == pytest.approx(r[0], rel=tol, abs=tol)
        assert a[1].dtype == dtype
        np.testing.assert_allclose(a[1], r[1], rtol=tol, atol=tol)
        np.testing.assert_allclose(a[2], r[2], rtol=tol, atol=tol)
