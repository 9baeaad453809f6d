"""The cost model T_iter(b) = tau_f + tau_d b and b_opt."""
import math

import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import costmodel

from conftest import make_problem


def test_fit_recovers_a_known_line_with_noise():
    rng = np.random.default_rng(0)
    b = np.array([1, 4, 16, 64, 256, 1024, 4096], float)
    t = (2e-7 + 3e-9 * b) * rng.lognormal(0, 0.02, size=b.size)
    m = costmodel.fit(b, t)
    assert m.tau_f == pytest.approx(2e-7, rel=0.05)
    assert m.tau_d == pytest.approx(3e-9, rel=0.05)
    assert 0.99 < m.r2 <= 1.0
    np.testing.assert_allclose(m.predict(b), 2e-7 + 3e-9 * b, rtol=0.05)
    assert m.samples_per_second(4096) == pytest.approx(4096 / m.predict(4096))


def test_fit_is_exact_on_exact_data_and_r2_drops_on_a_bad_model():
    b = np.array([1, 2, 8, 32, 128.0])
    m = costmodel.fit(b, 1e-6 + 1e-8 * b)
    assert m.tau_f == pytest.approx(1e-6, rel=1e-9) and m.tau_d == pytest.approx(1e-8, rel=1e-9)
    assert m.r2 == pytest.approx(1.0)
    bad = costmodel.fit(b, 1e-6 * b**2)  # quadratic: a line fits it poorly
    assert bad.r2 < 0.9


def test_fit_constrains_to_nonnegative():
    b = np.array([1, 10, 100.0])
    m = costmodel.fit(b, 1e-8 * b)  # pure per-sample cost
    assert m.tau_f >= 0 and m.tau_d > 0


@pytest.mark.parametrize("args,match", [
    (([1, 2], [1.0]), "has 2 values"),
    (([4, 4], [1.0, 1.0]), "2 or more distinct"),
    (([1, 2], [1.0, -1.0]), "finite and > 0"),
])
def test_fit_rejects(args, match):
    with pytest.raises(ValueError, match=match):
        costmodel.fit(*args)


def test_optimal_batch_size_minimises_total_time():
    c_var, n_iter, tau_f, tau_d = 5e5, 200.0, 4e-6, 2e-8
    b_opt = costmodel.optimal_batch_size(c_var, n_iter, tau_f, tau_d)
    assert b_opt == pytest.approx(math.sqrt(c_var * tau_f / (n_iter * tau_d)))
    m = costmodel.CostModel(tau_f, tau_d, 1.0)
    grid = np.geomspace(1, 1e5, 20001)
    assert grid[np.argmin(m.time_to_target(grid, n_iter, c_var))] == pytest.approx(b_opt, rel=1e-3)
    with pytest.raises(ValueError, match="tau_d must be a finite number > 0"):
        costmodel.optimal_batch_size(1, 1, 1, 0)


def test_profile_measures_every_batch_size():
    X, y = make_problem("squared", 2000, 8)
    m = mf.profile(X, y, batch_sizes=[1, 16, 256], repeats=2, min_seconds=0.001)
    assert list(m.batch_sizes) == [1, 16, 256]
    assert np.all(m.seconds > 0) and m.tau_f >= 0 and m.tau_d >= 0 and math.isfinite(m.r2)
