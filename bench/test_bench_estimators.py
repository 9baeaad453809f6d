"""MBGDRegressor / MBGDClassifier .fit next to SGDRegressor / SGDClassifier .fit, and
.partial_fit on a stream of small batches next to theirs.

fit: 200,000 x 256 float32 (scikit-learn converts to float64: it has no float32 path), 5
epochs (max_iter=5, tol=None), constant learning rate, L2 penalty alpha=1e-4, batch sizes 1
and 32 for ours (scikit-learn's SGD is b = 1).  The check: the training score of ours is
within 0.02 of scikit-learn's (accuracy, or R^2).

partial_fit: 40 batches of 256 rows a round (d = 16 and 256), each estimator's calls in turn
within every round (test_bench_paired.paired_rounds).  Ours at batch_size=1, so both make the
same 256 updates a call: what a streaming user pays per batch, most of it beyond the
arithmetic (validation, set-up).

small fits: scikit-learn's own small datasets (iris, diabetes, breast cancer; standardized),
each estimator with its defaults (tol=1e-3, n_iter_no_change=5, L2 alpha=1e-4; ours at
batch_size=1, float64 as given), each fit in turn within every round: a scikit-learn sized
fit, tens of short epochs, most of its time beyond the arithmetic.  The check: the training
score of ours is within 0.05 of scikit-learn's.

one-vs-rest side by side: MBGDClassifier's binary fits of a multiclass target on threads, one
OpenMP thread each (estimators._ovr_plan), against the same estimator fitting them one after
another (estimators.OVR_SIDE_BY_SIDE False), with scikit-learn's SGDClassifier (n_jobs None:
one after another; n_jobs=2: its own fits on two threads) in the same rounds: digits (10
classes, sklearn's defaults), 50,000 x 128 float32 rows of 10 classes at b = 16 (3 epochs),
and 20,000 x 100,000 CSR rows of 100 values, 10 classes (5 epochs).  The check: both of ours
give the same bits, the first class's loss falls, and at b = 1 the training score is within
0.05 of scikit-learn's.

float64 b = 1 steps with an L2 penalty in registers (the kernels' l2_run, AVX-512, d < 136:
scikit-learn's defaults on small float64 data) against each step as it comes
(MBGD_FAST_L2_RUN=0), paired: train() on digits (d = 64, class 3 against the rest) and on
2,000 random rows of 10, 30 and 128, hinge loss, alpha 1e-4, 20 epochs, 1 thread.  The check: the
same bits either way.
"""
import warnings

import numpy as np
import pytest

sklm = pytest.importorskip("sklearn.linear_model")

from mbgd_fast import MBGDClassifier, MBGDRegressor  # noqa: E402

from test_bench_paired import paired_rounds  # noqa: E402
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


PF_BATCH, PF_CALLS, PF_ROUNDS = 256, 40, 9


@pytest.mark.parametrize("d", [16, 256])
def test_partial_fit_stream(benchmark, record, dataset, d):
    X, y = dataset(d)
    X, y = X[: PF_BATCH * PF_CALLS], y[: PF_BATCH * PF_CALLS]
    yc = (y > np.median(y)).astype(np.int64)
    common = dict(learning_rate="constant", eta0=lr_for(d), alpha=1e-4, random_state=0)
    ests = {("regressor", "sklearn"): sklm.SGDRegressor(**common),
            ("regressor", "mbgd_fast"): MBGDRegressor(batch_size=1, n_threads=1, **common),
            ("classifier", "sklearn"): sklm.SGDClassifier(**common),
            ("classifier", "mbgd_fast"): MBGDClassifier(batch_size=1, n_threads=1, **common)}

    def run(cell, r):
        est = ests[cell]
        target = y if cell[0] == "regressor" else yc
        extra = {"classes": [0, 1]} if cell[0] == "classifier" else {}
        for s in range(0, len(X), PF_BATCH):
            est.partial_fit(X[s : s + PF_BATCH], target[s : s + PF_BATCH], **extra)
        return None

    benchmark.group = f"partial_fit d={d}"
    per_round = paired_rounds(benchmark, list(ests), run, PF_ROUNDS)
    us = {f"{k}-{s}": float(np.median(v)) / PF_CALLS * 1e6 for (k, s), v in per_round.items()}
    ratio = {k: float(np.median(per_round[(k, "sklearn")] / per_round[(k, "mbgd_fast")]))
             for k in ("regressor", "classifier")}
    scores = {f"{k}-{s}": float(e.score(X, y if k == "regressor" else yc)) for (k, s), e in ests.items()}
    ok = (scores["classifier-mbgd_fast"] > 0.8 and scores["regressor-mbgd_fast"] > 0.8
          and all(np.isfinite(v) for v in scores.values()))
    record(backend="paired-partial_fit", d=d, b=PF_BATCH, calls=PF_CALLS,
           rounds=len(per_round[("regressor", "sklearn")]), us_per_call=us, ratio=ratio,
           scores=scores, check=f"training scores {scores}", ok=ok)
    assert ok


SMALL_ROUNDS = 9


@pytest.mark.parametrize("name", ["iris", "diabetes", "breast cancer"])
def test_small_fit(benchmark, record, name):
    datasets = pytest.importorskip("sklearn.datasets")
    load = {"iris": datasets.load_iris, "diabetes": datasets.load_diabetes,
            "breast cancer": datasets.load_breast_cancer}[name]
    X, y = load(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    regression = name == "diabetes"
    if regression:
        y = (y - y.mean()) / y.std()
    ests = {"sklearn": (sklm.SGDRegressor if regression else sklm.SGDClassifier)(random_state=0),
            "mbgd_fast": (MBGDRegressor if regression else MBGDClassifier)(random_state=0,
                                                                           batch_size=1)}

    def run(cell, r):
        _fit(ests[cell], X, y)
        return None

    benchmark.group = f"small fit {name}"
    per_round = paired_rounds(benchmark, list(ests), run, SMALL_ROUNDS)
    ms = {s: float(np.median(v)) * 1e3 for s, v in per_round.items()}
    ratio = float(np.median(per_round["sklearn"] / per_round["mbgd_fast"]))
    scores = {s: float(e.score(X, y)) for s, e in ests.items()}
    epochs = {s: int(e.n_iter_) for s, e in ests.items()}
    ok = scores["mbgd_fast"] >= scores["sklearn"] - 0.05
    record(backend="paired-small-fit", d=X.shape[1], b=1, dtype="float64",
           loss=ests["mbgd_fast"].loss, dataset=name, rows=len(X), threads=1,
           rounds=len(per_round["sklearn"]), ms=ms, ratio=ratio, epochs=epochs, scores=scores,
           check=f"training scores {scores}", ok=ok)
    assert ok


OVR_ROUNDS = 9


def _ovr_case(name):
    rng = np.random.default_rng(0)
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-9), y, {}
    if name == "sparse":
        sp = pytest.importorskip("scipy.sparse")
        n, d, k = 20_000, 100_000, 100  # k values a row at random columns (sp.random takes
        cols = np.sort(rng.integers(0, d, size=(n, k)), axis=1)  # minutes at this size)
        X = sp.csr_matrix((rng.standard_normal(n * k), cols.ravel(), np.arange(0, n * k + 1, k)),
                          shape=(n, d))
        X.sum_duplicates()
        return X, np.asarray(np.argmax(X @ rng.standard_normal((100_000, 10)), axis=1)).ravel(), \
            dict(max_iter=5, tol=None)
    X = rng.standard_normal((50_000, 128)).astype(np.float32)
    y = np.argmax(X @ rng.standard_normal((128, 10)) + rng.standard_normal((50_000, 10)), axis=1)
    return X, y, dict(batch_size=16, max_iter=3, tol=None)


@pytest.mark.parametrize("name", ["digits", "dense b=16", "sparse"])
def test_ovr_side_by_side(benchmark, record, monkeypatch, name):
    from mbgd_fast import estimators

    X, y, kw = _ovr_case(name)
    sk_kw = {k: v for k, v in kw.items() if k != "batch_size"}
    ests = {"one after another": MBGDClassifier(random_state=0, **kw),
            "side by side": MBGDClassifier(random_state=0, **kw),
            "sklearn": sklm.SGDClassifier(random_state=0, **sk_kw),
            "sklearn n_jobs=2": sklm.SGDClassifier(random_state=0, n_jobs=2, **sk_kw)}
    plan = ests["side by side"]._ovr_plan(X, 10, True, kw.get("max_iter", 1000), True)

    def run(cell, r):
        monkeypatch.setattr(estimators, "OVR_SIDE_BY_SIDE", cell == "side by side")
        _fit(ests[cell], X, y)
        return None

    benchmark.group = f"one-vs-rest {name}"
    per_round = paired_rounds(benchmark, list(ests), run, OVR_ROUNDS)
    ms = {s: float(np.median(v)) * 1e3 for s, v in per_round.items()}
    ratios = {s: float(np.median(per_round[s] / per_round["side by side"]))
              for s in ests if s != "side by side"}
    scores = {s: float(e.score(X, y)) for s, e in ests.items()}
    a, b = ests["side by side"], ests["one after another"]
    same = a.coef_.tobytes() == b.coef_.tobytes() and a.intercept_.tobytes() == b.intercept_.tobytes()
    b = kw.get("batch_size", 1)  # b = 16's fewer updates are checked on their own curve
    ok = same and plan[0] >= 2 and (b > 1 or scores["side by side"] >= scores["sklearn"] - 0.05)
    ok = ok and a.loss_curve_[0][-64:].mean() < a.loss_curve_[0][:64].mean()
    record(backend="paired-ovr", d=X.shape[1], dataset=name, rows=X.shape[0], classes=10,
           b=b, dtype=str(X.dtype), threads=plan[0], rounds=OVR_ROUNDS,
           ms=ms, ratios=ratios, scores=scores, epochs=int(a.n_iter_),
           check=f"the same bits either way: {same}; plan {plan}; training scores {scores}", ok=ok)
    assert ok


L2_RUN_ROUNDS = 9


@pytest.mark.parametrize("d", [10, 30, 64, 128])
def test_l2_run(benchmark, record, monkeypatch, d):
    import mbgd_fast as mf
    from mbgd_fast import _native

    if d == 64:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-9)
        y = np.where(y == 3, 1.0, -1.0)
    else:
        rng = np.random.default_rng(d)
        X = rng.standard_normal((2000, d))
        y = np.sign(X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(2000))
    kw = dict(loss="hinge", batch_size=1, epochs=20, lr=0.01, l2=1e-4, n_threads=1, seed=0)
    out = {}

    def run(cell, r):
        monkeypatch.setenv("MBGD_FAST_L2_RUN", "1" if cell == "l2 run" else "0")
        out[cell] = mf.train(X, y, **kw)
        return None

    benchmark.group = f"l2 run d={d}"
    per_round = paired_rounds(benchmark, ["l2 run", "each step"], run, L2_RUN_ROUNDS)
    ns = {c: float(np.median(v)) / (kw["epochs"] * len(X)) * 1e9 for c, v in per_round.items()}
    ratio = float(np.median(per_round["each step"] / per_round["l2 run"]))
    a, b = out["l2 run"], out["each step"]
    same = a.coef.tobytes() == b.coef.tobytes() and a.batch_loss.tobytes() == b.batch_loss.tobytes()
    record(backend="paired-l2-run", d=d, b=1, dtype="float64", loss="hinge", rows=len(X),
           threads=1, isa=_native.isa(), rounds=L2_RUN_ROUNDS, ns=ns, ratio=ratio,
           check=f"the same bits either way: {same}", ok=same)
    assert same
