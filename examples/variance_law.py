"""Var(ĝ_b) measured against Σ/b (with replacement) and Σ/b·(N−b)/(N−1) (without).
python examples/variance_law.py  ->  examples/figures/variance_law.png"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _plot import FIGURES, plt, save  # noqa: E402

import mbgd_fast as mf  # noqa: E402
from mbgd_fast.datasets import load_breast_cancer  # noqa: E402


def main(out=os.path.join(FIGURES, "variance_law.png"), quick=False):
    X, y = load_breast_cancer()
    w = mf.train(X, y, loss="logistic", batch_size=32, epochs=2, lr=0.1, seed=0)
    bs = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 569]
    draws = 50 if quick else 1000
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for replace, marker in ((True, "o"), (False, "s")):
        r = mf.batch_gradient_variance(X, y, w.coef, w.intercept, loss="logistic",
                                       batch_sizes=bs[:-1] if replace else bs, n_draws=draws,
                                       replace=replace)
        tag = "with" if replace else "without"
        ok = r["measured"] > 1e-12 * r["measured"].max()  # b = N without replacement: exactly 0
        ax.errorbar(r["batch_sizes"][ok], r["measured"][ok], yerr=2 * r["stderr"][ok], fmt=marker,
                    label=f"measured, {tag} replacement")
        ax.plot(r["batch_sizes"][ok], r["theory"][ok], "-",
                label="tr(Σ)/b" if replace else "tr(Σ)/b · (N−b)/(N−1)")
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel="E|ĝ_b − ∇L|²",
           title=f"Var of the mini-batch gradient (breast cancer, {draws} draws per b; 0 at b = N "
                 "without replacement)")
    ax.legend()
    return save(fig, out)


if __name__ == "__main__":
    print(main())
