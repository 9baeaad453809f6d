"""Stationary Var(w) of SGD around a minimum of curvature k: simulated (in C) against
ησ²/(2k) and the exact ησ²/(b·k·(2−ηk)) (reference text, "Implicit Regularization").
python examples/stationary_variance.py  ->  examples/figures/stationary_variance.png"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _plot import FIGURES, plt, save  # noqa: E402

from mbgd_fast import theory  # noqa: E402


def main(out=os.path.join(FIGURES, "stationary_variance.png"), quick=False):
    eta, sigma = 0.05, 1.0
    ks = np.geomspace(0.02, 35, 8 if quick else 20)
    steps = 20_000 if quick else 1_000_000
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for b, color in ((1, "C0"), (8, "C1")):
        sim = [theory.simulate_quadratic(k, eta, sigma, batch_size=b, n_steps=steps, seed=1)[1]
               for k in ks]
        ax.plot(ks, sim, "o", color=color, label=f"simulated, b = {b}")
        ax.plot(ks, [theory.stationary_variance_exact(eta, sigma**2, k, b) for k in ks], "-",
                color=color, label=f"ησ²/(b k (2 − ηk)), b = {b}")
        ax.plot(ks, [theory.stationary_variance(eta, sigma**2, k, b) for k in ks], ":",
                color=color, label=f"ησ²/(2 k b), b = {b}")
    ax.set(xscale="log", yscale="log", xlabel="curvature k", ylabel="Var(w)",
           title=f"Flatter minimum, wider fluctuation (η = {eta}, σ = {sigma})")
    ax.legend(fontsize=8)
    return save(fig, out)


if __name__ == "__main__":
    print(main())
