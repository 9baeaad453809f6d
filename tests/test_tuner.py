"""The batch-size tuner: it recovers b_opt on synthetic measurements, and runs on real data."""
import math

import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import costmodel
from mbgd_fast.tuner import fit_iterations, plot_report

from conftest import make_problem


@pytest.mark.parametrize("seed", range(5))
def test_recovers_b_opt_from_noisy_measurements(seed):
    rng = np.random.default_rng(seed)
    n_iter, c_var, tau_f, tau_d = 150.0, 2.4e4, 3e-6, 2e-8  # b_opt = sqrt(c tf / (n td)) = 155
    true = costmodel.optimal_batch_size(c_var, n_iter, tau_f, tau_d)
    bs = np.array([1, 4, 16, 64, 256, 1024, 4096])
    K = (n_iter + c_var / bs) * rng.lognormal(0, 0.03, bs.size)
    T = (tau_f + tau_d * bs) * rng.lognormal(0, 0.03, bs.size)
    n_fit, c_fit = fit_iterations(bs, K)
    cost = costmodel.fit(bs, T)
    b_opt = costmodel.optimal_batch_size(c_fit, n_fit, cost.tau_f, cost.tau_d)
    assert b_opt == pytest.approx(true, rel=0.10)
    assert n_fit == pytest.approx(n_iter, rel=0.1) and c_fit == pytest.approx(c_var, rel=0.1)


def test_fit_iterations_exact_and_rejects():
    bs = [1, 2, 10, 100]
    n, c = fit_iterations(bs, [50 + 900 / b for b in bs])
    assert n == pytest.approx(50) and c == pytest.approx(900)
    n, c = fit_iterations(bs + [1000], [50 + 900 / b for b in bs] + [np.nan])  # not reached: skipped
    assert n == pytest.approx(50)
    with pytest.raises(ValueError, match="2 or more"):
        fit_iterations([4, 8], [np.nan, 10])


def test_tune_batch_size_on_a_real_problem(tmp_path):
    X, y = make_problem("logistic", 4000, 8, seed=1)
    rep = mf.tune_batch_size(X, y, loss="logistic", batch_sizes=[1, 8, 64], seeds=2, max_epochs=15,
                             time_budget=30)
    assert list(rep.batch_sizes) == [1, 8, 64]
    assert np.isfinite(rep.iterations).sum() >= 2 and rep.fastest_b in (1, 8, 64)
    assert rep.b_opt > 0 and rep.cost.tau_d > 0 and math.isfinite(rep.b_noise)
    assert rep.target < rep.initial_loss
    # what is measured is what the report tables
    ok = np.isfinite(rep.iterations)
    np.testing.assert_allclose(rep.measured_time[ok], rep.iterations[ok] * rep.seconds_per_iter[ok])
    text = str(rep)
    assert "b_opt" in text and "B_simple" in text
    pytest.importorskip("matplotlib")
    png = plot_report(rep, tmp_path / "tune.png")
    assert png.stat().st_size > 10_000


def test_tune_rejects_bad_arguments():
    X, y = make_problem("squared", 100, 3)
    with pytest.raises(ValueError, match="at least 2 distinct"):
        mf.tune_batch_size(X, y, batch_sizes=[4, 4])
    with pytest.raises(ValueError, match="batch_sizes must be <= 100"):
        mf.tune_batch_size(X, y, batch_sizes=[4, 400])
