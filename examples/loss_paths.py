"""BGD, SGD and MBGD on the same data: the smooth path and the noisy ones (reference text,
"Noisy Convergence Path").  python examples/loss_paths.py  ->  examples/figures/loss_paths.png"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _plot import FIGURES, plt, save  # noqa: E402

import mbgd_fast as mf  # noqa: E402
from mbgd_fast.datasets import load_breast_cancer  # noqa: E402


def main(out=os.path.join(FIGURES, "loss_paths.png"), quick=False):
    X, y = load_breast_cancer()
    epochs = 3 if quick else 30
    fig, ax = plt.subplots(figsize=(7, 4.5))
    runs = ((1, 0.05, "SGD (b = 1)", "C1", 0.4), (32, 0.2, "MBGD (b = 32)", "C0", 0.9),
            (len(X), 0.5, "BGD (b = N): smooth, monotone", "k", 1.0))
    for b, lr, name, color, alpha in runs:
        r = mf.train(X, y, loss="logistic", batch_size=b, epochs=epochs, lr=lr, l2=1e-3, seed=0)
        samples = np.arange(1, r.n_iter + 1) * b / len(X)  # epochs of data seen
        ax.plot(samples, r.batch_loss, lw=2.5 if b == len(X) else 0.7, color=color, alpha=alpha,
                label=name)
    ax.set(xlabel="epochs of data processed", ylabel="mini-batch loss before the step",
           yscale="log", title="Loss paths on breast cancer (logistic, L2 = 1e-3)")
    ax.legend()
    return save(fig, out)


if __name__ == "__main__":
    print(main())
