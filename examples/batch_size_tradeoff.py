"""T(b) = K(b)·T_iter(b) measured on this machine, the fitted model, and the tuner's b_opt.
python examples/batch_size_tradeoff.py  ->  examples/figures/batch_size_tradeoff.png"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _plot import FIGURES  # noqa: E402

import mbgd_fast as mf  # noqa: E402
from mbgd_fast.datasets import make_tuning_problem  # noqa: E402
from mbgd_fast.tuner import plot_report  # noqa: E402


def main(out=os.path.join(FIGURES, "batch_size_tradeoff.png"), quick=False):
    X, y = make_tuning_problem(n_samples=5000 if quick else 50_000)
    rep = mf.tune_batch_size(X, y, loss="logistic", seeds=1 if quick else 3,
                             batch_sizes=[1, 8, 64] if quick else None)
    print(rep)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    return str(plot_report(rep, out))


if __name__ == "__main__":
    print(main())
