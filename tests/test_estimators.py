"""MBGDRegressor / MBGDClassifier: scikit-learn's own estimator checks, composition, quality."""
import pickle
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine  # noqa: E402
from sklearn.linear_model import SGDClassifier, SGDRegressor  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mbgd_fast import MBGDClassifier, MBGDRegressor  # noqa: E402

ESTIMATORS = [MBGDRegressor(random_state=0), MBGDClassifier(random_state=0),
              MBGDClassifier(loss="log_loss", multi_class="multinomial", random_state=0),
              MBGDRegressor(batch_size=16, optimizer="adam", learning_rate="constant", random_state=0),
              MBGDClassifier(average=True, batch_size=4, random_state=0)]


DIVERGES = ("diverges on the check's unscaled data (X ~ N(100, 1)) at the default learning "
            "rate: we raise DivergenceError; scikit-learn's SGD clips dloss at 1e12 and returns "
            "weights ~1e10 instead")
RESAMPLING = ("stochastic: repeating a row changes the epoch's order and number of updates "
              "(scikit-learn's SGD fails it too)")


def expected_failed_checks(estimator):
    failed = {"check_sample_weight_equivalence_on_dense_data": RESAMPLING,
              "check_sample_weight_equivalence_on_sparse_data": RESAMPLING}
    if isinstance(estimator, MBGDRegressor) and estimator.learning_rate == "invscaling":
        for check in ("check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in"):
            failed[check] = DIVERGES
    return failed


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=sklearn.exceptions.ConvergenceWarning)
        check(estimator)


def test_pipeline_gridsearch_clone_pickle():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MBGDClassifier(loss="log_loss", batch_size=8, random_state=0))
    grid = GridSearchCV(pipe, {"mbgdclassifier__batch_size": [1, 32], "mbgdclassifier__alpha": [1e-4, 1e-2]}, cv=3)
    grid.fit(X, y)
    assert grid.best_score_ > 0.9
    est = grid.best_estimator_
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))
    c = clone(MBGDRegressor(batch_size=7, alpha=0.1))
    assert c.get_params()["batch_size"] == 7 and not hasattr(c, "coef_")


def test_pickle_mid_training_continues_identically():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    a = MBGDRegressor(batch_size=8, optimizer="momentum", learning_rate="constant", eta0=1e-3,
                      random_state=0).partial_fit(X, y)
    b = pickle.loads(pickle.dumps(a))
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    assert a.coef_.tobytes() == b.coef_.tobytes() and a.t_ == b.t_


def test_partial_fit_continues_state_and_schedule():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    est = MBGDRegressor(batch_size=10, random_state=0)
    losses = []
    for _ in range(5):
        est.partial_fit(X, y)
        losses.append(est.loss_curve_.mean())
    assert est.t_ == 5 * 45 + 1 and losses[-1] < losses[0]
    clf = MBGDClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:10], np.arange(10) % 2)
    clf.partial_fit(X[:10], np.arange(10) % 3, classes=[0, 1, 2])
    assert clf.coef_.shape == (3, X.shape[1])


def test_partial_fit_classes_in_any_order_are_sorted():
    # classes_ sorted as scikit-learn's unique_labels keeps them: before session 26 classes
    # given as [1, 0] were kept in that order and the labels indexed against them wrongly
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    a = MBGDClassifier(random_state=0, batch_size=8).partial_fit(X, y, classes=[1, 0])
    b = MBGDClassifier(random_state=0, batch_size=8).partial_fit(X, y, classes=[0, 1])
    assert list(a.classes_) == [0, 1] and a.coef_.tobytes() == b.coef_.tobytes()
    assert (a.predict(X) == y).mean() > 0.9
    a.partial_fit(X, y, classes=[1, 0])  # the same classes, in another order: accepted
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        a.partial_fit(X, y, classes=[0, 1, 2])


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_partial_fit_shortcut_keeps_scikit_learns_checks(kind):
    """A continuing partial_fit, and predict, on plain arrays skip validate_data
    (estimators._validate_Xy, _validate_X); every input they do not take still gets
    scikit-learn's errors and warnings, and what they take gives the same bits as through
    validate_data."""
    pd = pytest.importorskip("pandas")
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Est = MBGDRegressor if kind == "regressor" else MBGDClassifier
    extra = {} if kind == "regressor" else {"classes": [0, 1]}
    est = Est(random_state=0, batch_size=8).partial_fit(X[:100], y[:100], **extra)
    with pytest.raises(ValueError, match="X has 29 features, but .* is expecting 30 features"):
        est.partial_fit(X[:50, :29], y[:50])
    bad = X[:50].copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.partial_fit(bad, y[:50])
    if kind == "regressor":
        yb = y[:50].astype(float)
        yb[7] = np.inf
        with pytest.raises(ValueError, match="Input y contains infinity"):
            est.partial_fit(X[:50], yb)
    else:
        with pytest.raises(ValueError, match=r"y contains labels \[2 5\] not in classes \[0 1\]"):
            est.partial_fit(X[:50], np.r_[y[:48], 5, 2])
        with pytest.raises(ValueError, match="Unknown label type"):
            est.partial_fit(X[:50], np.r_[y[:49], 0.5])
    # the same batches through validate_data (float64 labels in a list) and past it: same bits
    other = Est(random_state=0, batch_size=8).partial_fit(X[:100], y[:100], **extra)
    est.partial_fit(X[100:300], y[100:300])
    other.partial_fit(X[100:300].tolist(), y[100:300].astype(float).tolist())
    assert est.coef_.tobytes() == other.coef_.tobytes()
    # predict (decision_function) takes the same shortcut: the same values as through
    # validate_data (a list), and its errors for the rest
    np.testing.assert_array_equal(est.predict(X[:70]), est.predict(X[:70].tolist()))
    np.testing.assert_allclose(est.predict(np.asfortranarray(X[:70])), est.predict(X[:70]),
                               rtol=1e-12)  # the product's layout alone moves the last bits
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(bad)
    with pytest.raises(ValueError, match="X has 29 features, but .* is expecting 30 features"):
        est.predict(X[:5, :29])
    with pytest.raises(ValueError, match="0 sample"):
        est.predict(X[:0])
    # fitted with feature names: arrays without them are warned about, as scikit-learn does
    named = Est(random_state=0).partial_fit(pd.DataFrame(X[:100]).add_prefix("f"), y[:100], **extra)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        named.partial_fit(X[:50], y[:50])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        named.predict(X[:50])


def test_no_sample_weight_trains_as_weights_of_one():
    # without sample_weight the kernels read no weights (None), and train the same bits as
    # with weights of one
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    for Est, t in ((MBGDRegressor, y), (MBGDClassifier, y > 140)):
        for b in (1, 7):
            a = Est(random_state=0, batch_size=b, max_iter=3, tol=None).fit(X, t)
            w = Est(random_state=0, batch_size=b, max_iter=3, tol=None).fit(
                X, t, sample_weight=np.ones(len(X)))
            assert a.coef_.tobytes() == w.coef_.tobytes()


def test_predict_proba_only_where_the_loss_allows():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    assert not hasattr(MBGDClassifier(loss="hinge").fit(X, y), "predict_proba")
    for kw in (dict(loss="log_loss"), dict(loss="modified_huber"),
               dict(loss="log_loss", multi_class="multinomial")):
        p = MBGDClassifier(random_state=0, **kw).fit(X, y).predict_proba(X)
        np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
        assert (p >= 0).all()


@pytest.mark.parametrize("params,match", [
    (dict(loss="cubic"), "The 'loss' parameter must be one of"),
    (dict(penalty="l3"), "The 'penalty' parameter must be one of"),
    (dict(alpha=-1.0), "The 'alpha' parameter must be >= 0"),
    (dict(l1_ratio=1.5), "The 'l1_ratio' parameter must be <= 1"),
    (dict(max_iter=0), "The 'max_iter' parameter must be an int >= 1"),
    (dict(batch_size=0), "The 'batch_size' parameter must be an int >= 1"),
    (dict(learning_rate="constant", eta0=0.0), "eta0 must be > 0"),
    (dict(learning_rate="optimal", alpha=0.0), "alpha must be > 0 since learning_rate is 'optimal'"),
    (dict(optimizer="lbfgs"), "The 'optimizer' parameter must be one of"),
    (dict(average=-1), "The 'average' parameter must be a bool or an int >= 0"),
    (dict(momentum=1.0), "The 'momentum' parameter must be < 1"),
])
def test_parameter_validation_at_fit(params, match):
    X, y = load_diabetes(return_X_y=True)
    est = MBGDRegressor(**params)  # __init__ stores, never checks
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "coef_")


def test_average_matches_sklearn_asgd():
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(StandardScaler().fit_transform(X), y, random_state=0)
    kw = dict(average=True, max_iter=30, alpha=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SGDRegressor(**kw).fit(Xtr, ytr).score(Xte, yte)
    ours = MBGDRegressor(**kw).fit(Xtr, ytr)
    assert abs(ours.score(Xte, yte) - ref) <= 0.02
    np.testing.assert_array_equal(ours.coef_, ours._state.average[0])


def test_multinomial_needs_log_loss():
    X, y = load_wine(return_X_y=True)
    with pytest.raises(ValueError, match="multinomial"):
        MBGDClassifier(multi_class="multinomial").fit(X, y)


def test_batch_size_clipped_and_early_stopping_and_class_weight():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    est = MBGDClassifier(batch_size=10_000, loss="log_loss", learning_rate="constant", eta0=0.1,
                         random_state=0).fit(X, y)
    assert est.score(X, y) > 0.9 and len(est.loss_curve_) == est.n_iter_
    es = MBGDClassifier(early_stopping=True, n_iter_no_change=3, max_iter=200, random_state=0).fit(X, y)
    assert es.n_iter_ < 200 and es.score(X, y) > 0.9
    bal = MBGDClassifier(class_weight="balanced", random_state=0).fit(X, y)
    assert bal.score(X, y) > 0.9


def test_missing_sklearn_names_the_extra():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import mbgd_fast\n"
            "try:\n    mbgd_fast.MBGDRegressor\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "pip install 'mbgd_fast[sklearn]'" in out


def _datasets():
    out = {}
    for name, loader in (("breast_cancer", load_breast_cancer), ("wine", load_wine),
                         ("digits", load_digits), ("diabetes", load_diabetes)):
        X, y = loader(return_X_y=True)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0,
                                              stratify=None if name == "diabetes" else y)
        sc = StandardScaler().fit(Xtr)
        out[name] = (sc.transform(Xtr), sc.transform(Xte), ytr, yte)
    return out


def quality_table():
    """Test accuracy / R^2 of scikit-learn's SGD and ours at b = 1 and b = 32 (eta0 scaled)."""
    rows = []
    data = _datasets()
    for name, (Xtr, Xte, ytr, yte) in data.items():
        reg = name == "diabetes"
        common = dict(loss="squared_error" if reg else "hinge", alpha=1e-3, max_iter=50,
                      learning_rate="invscaling" if reg else "optimal", random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = (SGDRegressor if reg else SGDClassifier)(**common).fit(Xtr, ytr).score(Xte, yte)
            ours = {}
            for b in (1, 32):
                kw = dict(common, batch_size=b)
                if b > 1:
                    # the per-update noise falls by b: take steps sqrt(b) larger (and for
                    # "optimal", start as if b times as many samples had been seen)
                    if reg:
                        kw.update(eta0=0.01 * np.sqrt(b))
                    else:
                        kw.update(learning_rate="constant", eta0=0.05 * np.sqrt(b))
                Est = MBGDRegressor if reg else MBGDClassifier
                ours[b] = Est(**kw).fit(Xtr, ytr).score(Xte, yte)
        rows.append((name, "R^2" if reg else "accuracy", ref, ours[1], ours[32]))
    return rows


def test_quality_matches_sklearn():
    for name, metric, ref, b1, b32 in quality_table():
        assert abs(b1 - ref) <= 0.02, (name, ref, b1)
        assert abs(b32 - ref) <= 0.02, (name, ref, b32)


def test_one_vs_rest_copies_X_onto_a_line_once(monkeypatch):
    """The K binary fits share one copy of an X off a cache line (their epochs together pay for
    it), not one each, and fit the same bits as on an X already on a line."""
    from mbgd_fast import core
    from mbgd_fast._validation import aligned_empty

    rng = np.random.default_rng(0)
    X0 = rng.standard_normal((300, 16)).astype(np.float32)  # rows of one line
    y = np.digitize(X0[:, 0] + X0[:, 1], [-0.5, 0.5])  # 3 classes
    buf = aligned_empty(X0.nbytes + 64, np.uint8)
    X = buf[16 : 16 + X0.nbytes].view(np.float32).reshape(X0.shape)
    X[...] = X0
    copies = []
    real = core.aligned_copy
    monkeypatch.setattr(core, "aligned_copy",
                        lambda a, dt: (copies.append(a) if a.ndim == 2 else None) or real(a, dt))
    kw = dict(max_iter=3, tol=None, batch_size=8, random_state=0)
    off = MBGDClassifier(**kw).fit(X, y)  # 3 fits x 3 epochs: one copy (one fit's 3: none)
    assert len(copies) == 1
    on = MBGDClassifier(**kw).fit(real(X0, np.float32), y)
    assert len(copies) == 1
    assert off.coef_.tobytes() == on.coef_.tobytes()
    assert off.intercept_.tobytes() == on.intercept_.tobytes()


def _ovr_data(sparse=False):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10000, 80))  # 810,000 values an epoch
    y = np.argmax(X @ rng.standard_normal((80, 4)) + rng.standard_normal((10000, 4)), axis=1)
    if sparse:
        import scipy.sparse as sp

        X = sp.csr_matrix(np.where(rng.random(X.shape) < 0.2, X, 0.0))
    return X, y


@pytest.mark.parametrize("kw", [dict(), dict(early_stopping=True, n_iter_no_change=3),
                                dict(batch_size=16, tol=None, max_iter=3, average=True),
                                dict(sparse=True, loss="modified_huber"), dict(partial=True)])
def test_one_vs_rest_side_by_side_same_model(monkeypatch, kw):
    """Above OVR_MIN_VALUES the one-vs-rest fits run side by side on threads, one OpenMP thread
    each, and give the model that one fit after another gives (the fits are independent and
    their bits do not depend on the thread count)."""
    from mbgd_fast import estimators as est_mod

    kw = dict(kw)
    X, y = _ovr_data(kw.pop("sparse", False))
    partial = kw.pop("partial", False)
    seen = []
    real = est_mod.train
    monkeypatch.setattr(est_mod, "train", lambda *a, **k: seen.append(
        (threading.current_thread().name, k["n_threads"])) or real(*a, **k))
    models = {}
    for side in (True, False):
        monkeypatch.setattr(est_mod, "OVR_SIDE_BY_SIDE", side)
        seen.clear()
        m = MBGDClassifier(random_state=0, n_threads=2, **kw)
        if partial:
            for _ in range(3):
                m.partial_fit(X, y, classes=np.arange(4))
        else:
            m.fit(X, y)
        models[side] = m
        if side:
            assert {t for t, _ in seen} >= {"MainThread", "mbgd-ovr-0"}  # two threads ran fits
            assert {n for _, n in seen} == {1}
        else:
            assert {t for t, _ in seen} == {"MainThread"} and {n for _, n in seen} == {2}
    a, b = models[True], models[False]
    assert a.coef_.tobytes() == b.coef_.tobytes()
    assert a.intercept_.tobytes() == b.intercept_.tobytes()
    assert (a.n_iter_, a.t_) == (b.n_iter_, b.t_)
    for la, lb in zip(a.loss_curve_, b.loss_curve_):
        assert la.tobytes() == lb.tobytes()


def test_one_vs_rest_plan():
    """One after another where side by side gains nothing or cannot: a binary target, one
    thread, verbose output, another backend, too little work a fit (iris-sized)."""
    X, _ = _ovr_data()
    plan = lambda X, n, cpu=True, epochs=1000, stop=True, **kw: MBGDClassifier(  # noqa: E731
        **{"n_threads": 2, **kw})._ovr_plan(X, n, cpu, epochs, stop)
    assert plan(X, 4) == (2, 1)
    assert MBGDClassifier(n_threads=4)._ovr_plan(X, 3, True, 10, True) == (3, 1)
    assert MBGDClassifier(n_threads=4)._ovr_plan(X, 2, True, 10, True) == (2, 2)
    assert plan(X, 1) == (1, None)
    assert plan(X, 4, n_threads=1) == (1, None)
    assert plan(X, 4, verbose=1) == (1, None)
    assert plan(X, 4, cpu=False) == (1, None)
    assert plan(X[:150, :4], 3) == (1, None)  # 750 values an epoch
    # one partial_fit epoch of 8,000 x 81 values is under its line (786,432), of 10,000 x 81
    # over it; six fit epochs at least (n_iter_no_change = 5) of 200 x 81 values are under
    # the fit's line (131,072), of 300 x 81 over it, and 200 epochs tol does not stop too
    assert plan(X[:8000], 4, epochs=1, stop=False) == (1, None)
    assert plan(X, 4, epochs=1, stop=False) == (2, 1)
    assert plan(X[:200], 4) == (1, None)
    assert plan(X[:300], 4) == (2, 1)
    assert plan(X[:200], 4, epochs=200, tol=None) == (2, 1)
    assert plan(X[:200], 4, epochs=200, n_iter_no_change=199) == (2, 1)
    assert plan(X[:200], 4, epochs=5) == (1, None)


def test_one_vs_rest_side_by_side_failure_leaves_the_model(monkeypatch):
    """A fit that fails on a worker thread raises its error in the caller, once every fit
    started has ended, and the model keeps the previous fit."""
    from mbgd_fast import estimators as est_mod

    X, y = _ovr_data()
    m = MBGDClassifier(random_state=0, n_threads=2, max_iter=3, tol=None).fit(X, y)
    coef, intercept = m.coef_.copy(), m.intercept_.copy()
    real, calls = est_mod.train, []

    def train(X, y, **k):
        calls.append(threading.current_thread().name)
        if len(calls) == 2:
            raise FloatingPointError("fit number 2 failed")
        return real(X, y, **k)

    monkeypatch.setattr(est_mod, "train", train)
    with pytest.raises(FloatingPointError, match="fit number 2"):
        m.fit(X, y)
    assert m.coef_.tobytes() == coef.tobytes() and m.intercept_.tobytes() == intercept.tobytes()
    assert len(calls) <= 3  # after the failure no fit was started but the one on the other thread
    assert "mbgd-ovr-0" not in {t.name for t in threading.enumerate()}  # joined


def test_side_by_side_order_and_first_error():
    from mbgd_fast.estimators import _side_by_side

    assert _side_by_side(lambda j: j * j, 7, 3) == [0, 1, 4, 9, 16, 25, 36]
    assert _side_by_side(lambda j: j, 3, 1) == [0, 1, 2]

    def fn(j):
        if j in (1, 2):
            raise ValueError(f"call {j}")
        return j

    with pytest.raises(ValueError, match="call 1"):
        _side_by_side(fn, 2, 2)


if __name__ == "__main__":  # prints the README table
    print("| dataset | metric | SGD (scikit-learn) | MBGD b=1 | MBGD b=32 |")
    print("|---|---|---:|---:|---:|")
    for name, metric, ref, b1, b32 in quality_table():
        print(f"| {name} | {metric} | {ref:.4f} | {b1:.4f} | {b32:.4f} |")

