"""Escape from a sharp minimum into a flat one, as a function of the batch size.

A 1-D loss with two equally deep minima: a sharp one at w = +1 and a flat one at w = −1.
SGD starts in the sharp one with per-sample gradient noise σ², i.e. σ²/b per step; small
batches jostle it out into the flat basin, large ones leave it there (reference text,
"Stochastic Noise as Implicit Regularization").
python examples/double_well_escape.py  ->  examples/figures/double_well_escape.png"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _plot import FIGURES, plt, save  # noqa: E402

SHARP, FLAT = 0.15, 0.6  # widths of the two Gaussian wells


def loss(w):
    return -np.exp(-((w - 1) ** 2) / (2 * SHARP**2)) - np.exp(-((w + 1) ** 2) / (2 * FLAT**2))


def grad(w):
    return ((w - 1) / SHARP**2 * np.exp(-((w - 1) ** 2) / (2 * SHARP**2))
            + (w + 1) / FLAT**2 * np.exp(-((w + 1) ** 2) / (2 * FLAT**2)))


def escape_fraction(b, eta=0.002, sigma=30.0, steps=5000, walkers=2000, seed=0):
    rng = np.random.default_rng(seed)
    w = np.ones(walkers)
    for _ in range(steps):
        w -= eta * (grad(w) + sigma / np.sqrt(b) * rng.standard_normal(walkers))
    return float(np.mean(w < 0))


def main(out=os.path.join(FIGURES, "double_well_escape.png"), quick=False):
    bs = [1, 2, 4, 8, 16, 32, 64, 128]
    kw = dict(steps=500, walkers=200) if quick else {}
    frac = [escape_fraction(b, **kw) for b in bs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    w = np.linspace(-2.5, 2.5, 500)
    a1.plot(w, loss(w))
    a1.set(xlabel="w", ylabel="loss", title="sharp minimum (w = 1), flat minimum (w = −1)")
    a2.semilogx(bs, frac, "o-", base=2)
    a2.set(xlabel="batch size b", ylabel="fraction in the flat basin after 5000 steps",
           title="Small batches escape the sharp minimum", ylim=(-0.02, 1.02))
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
    return save(fig, out)


if __name__ == "__main__":
    print(main())
