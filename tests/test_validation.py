"""Bad input gets a clear exception naming the argument; the caller's arrays are never touched."""
import numpy as np
import pytest

import mbgd_fast as mf

from conftest import make_problem, placed

X0, Y0 = make_problem("squared", 20, 3)
YB = np.where(Y0 > np.median(Y0), 1.0, -1.0)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(X=np.ones(20)), ValueError, "X must be 2-D"),
    (dict(X=np.ones((20, 3, 1))), ValueError, "X must be 2-D"),
    (dict(y=np.ones((20, 2))), ValueError, "y must be 1-D"),
    (dict(y=np.ones(19)), ValueError, "y has 19 entries but X has 20 rows"),
    (dict(X=np.ones((0, 3)), y=np.ones(0)), ValueError, "X is empty"),
    (dict(X=np.ones((20, 0))), ValueError, "X is empty"),
    (dict(X=np.full((20, 3), "a")), TypeError, "X must hold real numbers"),
    (dict(X=np.ones((20, 3), dtype=object)), TypeError, "X must hold real numbers"),
    (dict(X=np.ones((20, 3), dtype=complex)), TypeError, "X must hold real numbers"),
    (dict(y=np.ones(20, dtype=complex)), TypeError, "y must hold real numbers"),
    (dict(X=np.where(np.eye(20, 3) > 0, np.nan, 1.0)), ValueError, r"X contains NaN or Inf \(first at index \[0, 0\]\)"),
    (dict(y=np.r_[np.ones(19), np.inf]), ValueError, r"y contains NaN or Inf \(first at index \[19\]\)"),
    (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
    (dict(batch_size=-1), ValueError, "batch_size must be >= 1"),
    (dict(batch_size=21), ValueError, "batch_size=21 exceeds the number of samples N=20"),
    (dict(batch_size=2.5), TypeError, "batch_size must be an integer"),
    (dict(lr=0.0), ValueError, "lr must be finite and > 0"),
    (dict(lr=-1.0), ValueError, "lr must be finite and > 0"),
    (dict(lr=np.nan), ValueError, "lr must be finite and > 0"),
    (dict(lr=np.inf), ValueError, "lr must be finite and > 0"),
    (dict(lr=lambda t: 0.1 if t < 5 else -1.0), ValueError, "at iteration 5"),
    (dict(lr="fast"), TypeError, "lr must be a number"),
    (dict(loss="cubic"), ValueError, "loss='cubic' is not one of"),
    (dict(optimizer="lbfgs"), ValueError, "optimizer='lbfgs' is not one of"),
    (dict(backend="tpu"), ValueError, "backend='tpu' is not one of"),
    (dict(reduction="max"), ValueError, "reduction='max' is not one of"),
    (dict(loss="logistic", y=np.arange(20) % 3), ValueError, "y: loss='logistic' is binary"),
    (dict(loss="softmax", y=np.arange(20) / 2), ValueError, "integer class labels"),
    (dict(loss="softmax", y=np.arange(20) - 1), ValueError, "integer class labels"),
    (dict(loss="softmax", y=np.zeros(20)), ValueError, "at least 2 classes"),
    (dict(momentum=-0.1, optimizer="momentum"), ValueError, "momentum must be >= 0"),
    (dict(momentum=1.0, optimizer="momentum"), ValueError, "momentum must be < 1"),
    (dict(betas=(0.9, 1.0), optimizer="adam"), ValueError, r"betas\[1\] must be < 1"),
    (dict(eps=0.0, optimizer="adam"), ValueError, "eps must be > 0"),
    (dict(l2=-1.0), ValueError, "l2 must be >= 0"),
    (dict(l1=-0.5), ValueError, "l1 must be >= 0"),
    (dict(l1=np.nan), ValueError, "l1 must be finite"),
    (dict(epochs=0), ValueError, "epochs must be >= 1"),
    (dict(n_threads=0), ValueError, "n_threads must be >= 1"),
    (dict(delta=0.0, loss="huber"), ValueError, "delta must be > 0"),
    (dict(sample_weight=-np.ones(20)), ValueError, "sample_weight must be non-negative"),
    (dict(sample_weight=np.ones(3)), ValueError, "sample_weight has 3 entries"),
    (dict(coef_init=np.ones(4)), ValueError, r"coef_init must have shape \(3,\)"),
    (dict(callback=5), TypeError, "callback must be callable"),
    (dict(backend="gpu"), ValueError, "backend='gpu' is not one of"),
])
def test_bad_train_input(kwargs, exc, match):
    args = dict(X=X0, y=YB if kwargs.get("loss") == "logistic" else Y0, batch_size=5)
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(exc, match=match):
        mf.train(X, y, **args)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(coef=np.ones(4)), ValueError, r"coef must have shape \(3,\)"),
    (dict(coef=np.ones(3), intercept=[1.0, 2.0]), ValueError, "intercept must be None or 1"),
    (dict(indices=np.array([0, 20])), ValueError, r"indices must lie in \[0, 20\)"),
    (dict(indices=np.array([], dtype=int)), ValueError, "indices is empty"),
    (dict(indices=np.array([0.5])), TypeError, "indices must be a 1-D integer array"),
    (dict(loss="softmax", coef=np.ones(3)), ValueError, "coef must have shape"),
])
def test_bad_gradient_input(kwargs, exc, match):
    args = dict(coef=np.zeros(3))
    args.update(kwargs)
    coef = args.pop("coef")
    with pytest.raises(exc, match=match):
        mf.gradient(X0, Y0, coef, **args)


def test_iterations_per_epoch_rejects():
    with pytest.raises(ValueError, match="batch_size=11 exceeds n_samples=10"):
        mf.iterations_per_epoch(10, 11)
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        mf.iterations_per_epoch(0, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("loss", ["squared", "logistic", "softmax"])
def test_caller_arrays_are_not_mutated(dtype, loss):
    X, y = make_problem(loss, 40, 4, seed=1)
    if loss == "logistic":
        y = (y > 0).astype(float)  # {0, 1} labels get re-encoded internally
    X = (X * 10).astype(dtype)
    y = y.astype(dtype) if loss != "squared" else y
    Xf = np.asfortranarray(X)[:, ::1]  # non-contiguous layout is accepted
    sw = np.linspace(0.5, 1.5, 40)
    copies = [a.copy() for a in (X, y, Xf, sw)]
    coef0 = np.zeros((3, 4)) if loss == "softmax" else np.zeros(4)
    c0 = coef0.copy()
    for data in (X, Xf):
        mf.train(data, y, loss=loss, epochs=2, lr=1e-3, sample_weight=sw, coef_init=coef0)
        mf.gradient(data, y, coef0, np.zeros(3) if loss == "softmax" else 0.0, loss=loss,
                    sample_weight=sw)
    for a, c in zip((X, y, Xf, sw), copies):
        assert a.tobytes() == c.tobytes()
    assert coef0.tobytes() == c0.tobytes()


def test_read_only_and_strided_inputs_are_accepted():
    X, y = make_problem("squared", 60, 4)
    Xs = np.repeat(X, 2, axis=1)[:, ::2]
    assert not Xs.flags.c_contiguous
    X.setflags(write=False)
    y.setflags(write=False)
    a = mf.train(X, y, epochs=2)
    b = mf.train(Xs, y, epochs=2)
    assert a.coef.tobytes() == b.coef.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_copies_of_X_start_on_a_cache_line(dtype):
    """The copy check_X makes (another dtype, a strided or Fortran-order X) is 64-byte
    aligned and holds X's values; an X that needs no copy is used as it is."""
    from mbgd_fast._validation import check_X

    X = np.random.default_rng(0).standard_normal((50, 37))
    for src in (np.asfortranarray(X), X[:, ::1][::2], X.astype(np.float32 if dtype == np.float64
                                                               else np.float64)):
        a = check_X(src, dtype=dtype)
        assert a.flags.c_contiguous and a.dtype == dtype and a.ctypes.data % 64 == 0
        np.testing.assert_array_equal(a, np.ascontiguousarray(src, dtype=dtype))
    same = np.ascontiguousarray(X, dtype=dtype)
    assert check_X(same, dtype=dtype) is same


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shuffled_epochs_copy_X_onto_a_line_when_it_pays(monkeypatch, dtype):
    """train() copies an X that starts off a cache line onto one when its shuffled epochs would
    read enough fewer lines (rows of 64 bytes: 4 epochs), and only then; the results are the
    same bits as on X where it is, and the caller's X is untouched."""
    from mbgd_fast import core

    copies = []
    real = core.aligned_copy

    def spy(a, dt):  # copies of X (not the weights' at each epoch)
        if a.ndim == 2:
            copies.append(a)
        return real(a, dt)

    monkeypatch.setattr(core, "aligned_copy", spy)
    d = 64 // np.dtype(dtype).itemsize  # a row is one line
    rng = np.random.default_rng(3)
    X0 = rng.standard_normal((301, d)).astype(dtype)
    y = (X0 @ rng.standard_normal(d) + 0.1).astype(dtype)
    X = placed(X0, 16)
    before = X.copy()
    for b in (1, 2, 7, 301):
        kw = dict(batch_size=b, lr=0.01, seed=5, n_threads=2)
        del copies[:]
        a = mf.train(X, y, epochs=4, **kw)  # 4 epochs x 1 line saved a row: copied
        assert len(copies) == 1 and copies[0] is X
        del copies[:]
        ref = mf.train(placed(X0, 0), y, epochs=4, **kw)  # on a line already: used as it is
        assert not copies
        monkeypatch.setattr(core, "ALIGN_PAYBACK", np.inf)  # never copied
        kept = mf.train(X, y, epochs=4, **kw)
        monkeypatch.undo()
        monkeypatch.setattr(core, "aligned_copy", spy)
        assert not copies
        for r in (ref, kept):
            assert a.coef.tobytes() == r.coef.tobytes()
            assert a.batch_loss.tobytes() == r.batch_loss.tobytes()
        mf.train(X, y, epochs=3, **kw)  # 3 epochs do not pay for it
        mf.train(X, y, epochs=50, shuffle=False, **kw)  # in order: every line is read anyway
        assert not copies
    np.testing.assert_array_equal(X, before)


def test_line_aligned_counts_lines_and_memory(monkeypatch):
    from mbgd_fast import core

    X0 = np.ones((40, 256), np.float32)  # rows of 1 KB: 17 lines off a line, 16 on one
    X = placed(X0, 16)
    assert core.line_aligned(X, 63) is X
    Y = core.line_aligned(X, 64)
    assert Y is not X and Y.ctypes.data % 64 == 0 and np.array_equal(Y, X)
    Z = placed(np.ones((40, 17), np.float32), 16)  # rows of 68 bytes: as many lines either way
    assert core.line_aligned(Z, 10**6) is Z
    monkeypatch.setattr(core, "_phys_memory", lambda: 8 * X.nbytes - 1)  # X > 1/8 of memory
    assert core.line_aligned(X, 10**6) is X
    monkeypatch.setattr(core, "_phys_memory", lambda: 8 * X.nbytes)
    assert core.line_aligned(X, 10**6) is not X
    sparse = pytest.importorskip("scipy.sparse")
    S = sparse.csr_matrix(X0)
    assert core.line_aligned(S, 10**6) is S


def test_integer_and_bool_X_become_float64():
    X = (np.arange(60).reshape(20, 3) % 4).astype(np.int32)
    r = mf.train(X, Y0, batch_size=4, epochs=1, lr=1e-3)
    assert r.coef.dtype == np.float64
    r = mf.train(X > 1, Y0, batch_size=4, epochs=1, lr=1e-3)
    assert r.coef.dtype == np.float64


def test_native_rejects_bad_indices_without_crashing():
    # the C layer re-checks what Python already validated
    from mbgd_fast._native import NativeError, NativeKernel
    from mbgd_fast.core import Spec, State

    X, y = make_problem("squared", 10, 2)
    k = NativeKernel(Spec(loss="squared"), X, y)
    st = State.zeros(Spec(loss="squared"), 2, np.float64)
    with pytest.raises(NativeError, match="row index is outside"):
        k.train_slice(st, np.array([0, 99], dtype=np.int64), np.array([0, 2], dtype=np.int64),
                      np.array([0.1]), np.empty(1))
    with pytest.raises(NativeError, match="batch is empty"):
        k.train_slice(st, np.array([0, 1], dtype=np.int64), np.array([1, 1], dtype=np.int64),
                      np.array([0.1]), np.empty(1))
    with pytest.raises(NativeError, match="out of range"):
        k.train_slice(st, np.array([0, 1], dtype=np.int64), np.array([0, 2], dtype=np.int64),
                      np.array([-0.1]), np.empty(1))
    assert st.step == 0 and not st.theta.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("drawn", [False, True])
def test_native_names_the_first_bad_softmax_label(dtype, drawn):
    # the C layer checks softmax labels (and row indices) in vectorized passes, then finds the
    # first bad row: through given rows, and over all labels when it draws the order itself
    from mbgd_fast._native import NativeError, NativeKernel
    from mbgd_fast.core import Spec, State

    n, K = 300, 5
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, 4)).astype(dtype)
    y = (np.arange(n) % K).astype(dtype)
    spec = Spec(loss="softmax", n_outputs=K)
    k = NativeKernel(spec, X, y)  # keeps y: the C struct reads it at every call
    rows, starts, lr = rng.permutation(n).astype(np.int64), np.arange(0, n + 1, 30, dtype=np.int64), np.full(10, 0.1)

    def run(rows=rows):
        st = State.zeros(spec, 4, dtype)
        draw = np.random.PCG64(0) if drawn else None
        k.train_slice(st, rows.copy(), starts, lr, np.empty(10), draw=draw)
        return st

    assert run().step == 10  # all labels good
    big = 2.0 ** 23 if dtype == np.float32 else 2.0 ** 52
    for v in (-1.0, float(K), K + 0.5, 2.5, 0.5, np.nan, np.inf, -np.inf, -0.5, big + 2, 1e30):
        y[rows[137]] = v
        with pytest.raises(NativeError, match="softmax label"):
            st = run()
        y[rows[137]] = 1.0
    for v in (0.0, -0.0, K - 1.0):  # edge values that are labels
        y[rows[137]] = v
        assert run().step == 10
    y[rows[137]] = 1.0
    if not drawn:  # the first bad row is named: an index before a label, a label before one
        bad = rows.copy()
        bad[40], y[rows[200]] = n, 2.5
        with pytest.raises(NativeError, match="row index is outside"):
            run(bad)
        bad = rows.copy()
        bad[250], y[rows[200]] = -1, 2.5
        with pytest.raises(NativeError, match="softmax label"):
            run(bad)
        y[rows[200]] = 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_names_the_first_bad_value_of_a_long_slice(dtype):
    # the C layer checks a slice's offsets and rates in vectorized passes, then finds the
    # first bad value; its rows likewise
    from mbgd_fast._native import NativeError, NativeKernel
    from mbgd_fast.core import Spec, State

    X, y = make_problem("squared", 50, 3, dtype=dtype)
    k = NativeKernel(Spec(loss="squared"), X, y)
    st = State.zeros(Spec(loss="squared"), 3, dtype)
    rows, starts, lr = np.arange(50, dtype=np.int64), np.arange(41, dtype=np.int64), np.full(40, 0.1)

    def fails(match, rows=rows, starts=starts, lr=lr):
        with pytest.raises(NativeError, match=match):
            k.train_slice(st, rows, starts, lr, np.empty(40))
        assert st.step == 0 and not st.theta.any()

    empty = starts.copy()
    empty[20] = empty[19]  # batch 19 is empty
    fails("batch is empty", starts=empty)
    for v in (np.nan, np.inf, 0.0, -1.0):
        bad_lr = lr.copy()
        bad_lr[25] = v
        fails("out of range", lr=bad_lr)
        bad_lr[10] = v  # before the empty batch: the rate is named
        fails("out of range", starts=empty, lr=bad_lr)
    late_lr = lr.copy()
    late_lr[30] = np.nan  # after the empty batch: the batch is named
    fails("batch is empty", starts=empty, lr=late_lr)
    for i in (-1, 50, 1 << 62):
        bad_rows = rows.copy()
        bad_rows[33] = i
        fails("row index is outside", rows=bad_rows)
    # batches of several sizes in one call: the bits of one call per batch
    sizes = np.array([0, 2, 3, 6, 10, 11, 19], dtype=np.int64)
    one = State.zeros(Spec(loss="squared"), 3, dtype)
    k.train_slice(one, rows, sizes, np.full(6, 0.1), np.empty(6))
    each = State.zeros(Spec(loss="squared"), 3, dtype)
    for t in range(6):
        k.train_slice(each, rows, sizes[t : t + 2], np.array([0.1]), np.empty(1))
    assert one.theta.tobytes() == each.theta.tobytes() and one.step == each.step == 6


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("loss", ["squared", "huber", "epsilon_insensitive",
                                  "squared_epsilon_insensitive"])
def test_nonfinite_y_is_named_for_every_regression_loss(loss, bad, backend):
    # squared and Huber loss find it through the batch loss (DEFERRED_Y_CHECK), the others
    # by a scan before training; either way the same error, also when the row weighs 0
    X, y = make_problem(loss, 30, 3, seed=2)
    y[13] = bad
    for kw in (dict(), dict(batch_size=1), dict(batch_size=None), dict(drop_last=True),
               dict(optimizer="adam"), dict(sample_weight=np.where(np.arange(30) == 13, 0.0, 1.0)),
               dict(epochs=3, shuffle=False)):
        y0 = y.copy()
        with pytest.raises(ValueError, match=r"y contains NaN or Inf \(first at index \[13\]\)"):
            mf.train(X, y, loss=loss, backend=backend, **{"batch_size": 4, **kw})
        assert np.array_equal(y, y0, equal_nan=True)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("loss", ["squared", "epsilon_insensitive", "hinge", "perceptron", "softmax"])
def test_nonfinite_X_is_named_for_every_loss(loss, bad, backend):
    X, y = make_problem(loss, 30, 3, seed=2)
    X[17, 1] = bad
    for kw in (dict(), dict(drop_last=True), dict(batch_size=None)):
        with pytest.raises(ValueError, match=r"X contains NaN or Inf \(first at index \[17, 1\]\)"):
            mf.train(X, y, loss=loss, backend=backend, **{"batch_size": 4, **kw})
    coef = np.zeros((3, 3)) if loss == "softmax" else np.zeros(3)
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        mf.gradient(X, y, coef, loss=loss, backend=backend)
    with pytest.raises(ValueError, match=r"X\[indices\] contains NaN or Inf"):
        mf.gradient(X, y, coef, loss=loss, backend=backend, indices=[0, 17])
    mf.gradient(X, y, coef, loss=loss, backend=backend, indices=[0, 16])  # bad row unused
