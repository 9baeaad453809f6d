"""The fused C kernel against the NumPy reference twin, step for step."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mbgd_fast as mf
from mbgd_fast import losses

from conftest import diverging_iterations, make_problem

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
PENALTIES = {"none": {}, "l2": {"l2": 0.05}, "l1": {"l1": 0.02}, "elasticnet": {"l2": 0.03, "l1": 0.01}}


def _lr(loss, optimizer):
    """A stable step: parity of a diverging float32 run would only measure chaos."""
    if optimizer == "adam":
        return 0.01
    lr = 0.02 if loss in ("squared_hinge", "modified_huber", "squared_epsilon_insensitive") else 0.05
    return lr / 5 if optimizer in ("momentum", "nesterov") else lr  # their step is ~lr / (1 - mu)


def _batch_size(kind, n):
    return {"1": 1, "2": 2, "non_divisor": next(b for b in range(2, n) if n % b), "N": n}[kind]


def assert_same_run(a, r, dtype):
    tol = 1e-10 if dtype == np.float64 else 1e-4
    assert a.coef.dtype == dtype and a.n_iter == r.n_iter
    np.testing.assert_allclose(a.coef, r.coef, rtol=tol, atol=tol)
    np.testing.assert_allclose(a.intercept, r.intercept, rtol=tol, atol=tol)
    np.testing.assert_allclose(a.batch_loss, r.batch_loss, rtol=tol, atol=tol)
    for name in ("buf1", "buf2", "avg"):
        x, y = getattr(a.state, name), getattr(r.state, name)
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=tol, atol=tol)


def run_both(loss, optimizer, n, d, dtype, b, penalty, seed=0, **kw):
    X, y = make_problem(loss, n, d, dtype=dtype, seed=seed)
    args = dict(loss=loss, optimizer=optimizer, batch_size=b, epochs=2, lr=_lr(loss, optimizer),
                seed=seed, **PENALTIES[penalty], **kw)
    return mf.train(X, y, backend="cpu", **args), mf.train(X, y, backend="numpy", **args)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("loss", losses.LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_loss_optimizer_penalty_and_batch_kind(loss, optimizer, dtype):
    n = 23
    for penalty in PENALTIES:
        for kind in ("1", "2", "non_divisor", "N"):
            a, r = run_both(loss, optimizer, n, 4, dtype, _batch_size(kind, n), penalty)
            assert_same_run(a, r, dtype)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("loss", losses.LOSSES)
@settings(max_examples=8)
@given(
    n=st.integers(3, 60),
    d=st.integers(1, 12),
    dtype=st.sampled_from([np.float32, np.float64]),
    kind=st.sampled_from(["1", "2", "non_divisor", "N"]),
    penalty=st.sampled_from(list(PENALTIES)),
    fit_intercept=st.booleans(),
    reduction=st.sampled_from(["mean", "sum"]),
    drop_last=st.booleans(),
    weighted=st.booleans(),
    average=st.sampled_from([False, True, 3]),
    seed=st.integers(0, 2**16),
)
def test_random_shapes(loss, optimizer, n, d, dtype, kind, penalty, fit_intercept, reduction,
                       drop_last, weighted, average, seed):
    b = _batch_size(kind, n)
    if reduction == "sum":
        b = min(b, 4)  # keep the summed step stable
    sw = np.random.default_rng(seed).uniform(0, 2, size=n) if weighted else None
    a, r = run_both(loss, optimizer, n, d, dtype, b, penalty, seed=seed,
                    fit_intercept=fit_intercept, reduction=reduction, drop_last=drop_last,
                    sample_weight=sw, average=average)
    assert_same_run(a, r, dtype)
    if not fit_intercept:
        assert np.all(np.asarray(a.intercept) == 0)


def test_large_problem_uses_groups_and_chunks():
    # b * d large enough for several groups and theta larger than one update chunk
    for loss, d in (("squared", 3000), ("softmax", 900), ("logistic", 64)):
        X, y = make_problem(loss, 600, d, seed=4)
        kw = dict(loss=loss, batch_size=200, epochs=1, lr=0.001, optimizer="adam", l2=0.01, l1=0.001,
                  average=True)
        assert_same_run(mf.train(X, y, backend="cpu", **kw), mf.train(X, y, backend="numpy", **kw),
                        np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_rows_longer_than_1k_prefetched_in_halves(dtype, n_threads):
    """Rows longer than 1 KiB have the row ahead asked for in two halves (before and after the
    row in hand's dot product; MBGD_PF_SPLIT_ABOVE), in batches (accumulate) and at b = 1
    (iterate_alone), on shuffled rows: the same run as the NumPy twin's, for b = 1, 2, one
    that does not divide N, and N, with and without sample weights."""
    for d in (257, 300, 1100):
        X, y = make_problem("squared", 60, d, dtype=dtype, seed=d)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=60)
        for loss in ("squared", "logistic"):
            yl = y if loss == "squared" else np.where(y > np.median(y), 1.0, -1.0).astype(dtype)
            for b in (1, 2, 7, 60):
                kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.1 / d, seed=b,
                          sample_weight=sw if b == 7 else None, n_threads=n_threads)
                assert_same_run(mf.train(X, yl, backend="cpu", **kw),
                                mf.train(X, yl, backend="numpy", **kw), dtype)


@pytest.mark.parametrize("isa", ["generic", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K", [4, 5, 10, 11, 16, 17])
def test_softmax_b1_steps_four_outputs_at_a_time(K, dtype, isa, monkeypatch):
    """The b = 1 softmax step (l2 = 0) updates the outputs with c_k != 0 four at a time, then
    the rest one by one: every K mod 4, rows with and without a tail past whole vectors of 8,
    rows of weight 0 (every c_k = 0: nothing stepped), and the l2 != 0 step beside it.  With
    AVX-512 the scores and softmax of K <= 16 outputs are one vector (d = 3, 37: a masked
    last vector; 64: pairs of whole ones), K = 17 the scalar code."""
    if isa:
        monkeypatch.setenv("MBGD_FAST_ISA", isa)
    for d in (3, 8, 37, 64, 100):
        X, y = make_problem("softmax", 40, d, dtype=dtype, seed=K + d, K=K)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=40)
        sw[::7] = 0.0
        for l2 in (0.0, 0.01):
            kw = dict(loss="softmax", batch_size=1, epochs=2, lr=0.05, l2=l2, sample_weight=sw,
                      seed=d)
            assert_same_run(mf.train(X, y, backend="cpu", **kw),
                            mf.train(X, y, backend="numpy", **kw), dtype)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("K", [2, 3, 5, 10, 13, 16, 17])
def test_softmax_b1_step_takes_the_next_scores_in_the_same_bits(K, isa, monkeypatch):
    """The b = 1 softmax step (float32, l2 = 0, K <= 16) gives the next row's scores out of
    its own pass over the weights when the next iteration is one row of the same kernel call
    (AVX-512: step_dotN1, d a multiple of 16 or d >= 96; AVX2: step_dot4, d a multiple of
    8): the same bits as every step taking its scores alone, as calls of one iteration do
    (eval_every=1).  Rows of weight 0 (nothing stepped), no intercept, d with and without a
    last part-vector, K = 17 (never fused), and a run that diverges: at the same iteration,
    with the same weights before it."""
    from mbgd_fast import _native

    monkeypatch.setenv("MBGD_FAST_ISA", isa)
    if _native.isa() != isa:
        pytest.skip(f"this CPU does not run {isa}")
    for d in (12, 16, 37, 64, 96, 100, 256):
        X, y = make_problem("softmax", 30, d, dtype=np.float32, seed=K + d, K=K)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=30)
        sw[::5] = 0.0
        for kw in (dict(), dict(sample_weight=sw, fit_intercept=False)):
            kw.update(loss="softmax", batch_size=1, epochs=2, lr=0.05, seed=d, n_threads=1)
            whole, alone = mf.train(X, y, **kw), mf.train(X, y, eval_every=1, **kw)
            assert whole.state.theta.tobytes() == alone.state.theta.tobytes()
            assert whole.batch_loss.tobytes() == alone.batch_loss.tobytes()
        # weights that grow until a score or weight overflows (or a run that never does:
        # then the same bits, as above)
        Xb, kw["lr"] = X * np.float32(1e9), 1e19
        outcomes = []
        for extra in (dict(), dict(eval_every=1)):
            try:
                r = mf.train(Xb, y, **kw, **extra)
                outcomes.append((None, r.state.theta.tobytes()))
            except mf.DivergenceError as e:
                outcomes.append(((e.epoch, e.iteration), e.result.state.theta.tobytes()))
        assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("isa", ["generic", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K", [2, 3, 4, 6, 10, 32, 33])
def test_softmax_blocks_of_four_rows(K, dtype, isa, monkeypatch):
    """Softmax batches of b >= 4 take the softmax of four rows at a time (softmax4: any K in
    the AVX2 and AVX-512 float32 variants, on scores interleaved by output; K <= 32 in the
    portable one: even and odd K, its largest K) and the rows past the last four, or there
    every row when K > 32, one by one: weighted, rows of weight 0, with and without an
    intercept, and the gradient-noise pass (which also sums each row's |g_i|^2).  Rows of 9
    and 57 values: the scores' vector loops (16 wide with AVX-512, then 8 wide) and their
    scalar tails.  K from 2 to 6, 10 and 32, 33: the AVX-512 scores and gradient terms take
    five outputs per pass, then the 1 to 4 left; the AVX2 ones two and four."""
    if isa:
        monkeypatch.setenv("MBGD_FAST_ISA", isa)
    for d in (9, 57):
        _softmax_blocks_of_four_rows(K, d, dtype)


def _softmax_blocks_of_four_rows(K, d, dtype):
    X, y = make_problem("softmax", 46, d, dtype=dtype, seed=K, K=K)
    sw = np.random.default_rng(K).uniform(0.5, 2.0, size=46)
    sw[::5] = 0.0
    for b, fit_intercept in ((4, True), (7, False), (46, True)):
        kw = dict(loss="softmax", batch_size=b, epochs=2, lr=0.05, sample_weight=sw, seed=K,
                  fit_intercept=fit_intercept)
        assert_same_run(mf.train(X, y, backend="cpu", **kw),
                        mf.train(X, y, backend="numpy", **kw), dtype)
    coef = np.random.default_rng(K + 1).standard_normal((K, d)) * 0.3
    a, r = (mf.gradient_noise(X, y, coef, np.zeros(K), loss="softmax", sample_weight=sw,
                              backend=be) for be in ("cpu", "numpy"))
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for name in ("loss", "grad_coef", "grad_intercept", "trace_sigma", "b_simple"):
        np.testing.assert_allclose(getattr(a, name), getattr(r, name), rtol=tol, atol=tol)


@pytest.mark.parametrize("isa", ["avx2", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K", [2, 3, 10])
def test_softmax_groups_of_k_rows_derive_the_last_outputs_sums(K, dtype, isa, monkeypatch):
    """The AVX-512 float32 variant's training steps' softmax groups of K rows or more sum the
    terms of the first K - 1 outputs alone and set the last output's sums to minus theirs
    (MBGD_SM_DERIVE; the AVX2 variant and float64 sum all K): batches of one group of K - 1,
    K and K + 1 rows and of all rows, weighted with rows of weight 0, with and without an
    intercept, against the NumPy twin; and mf.gradient over all rows, which sums every
    output's terms.  Rows of 57 values (vectors and a masked tail) and 32.  A last row left
    unwritten or of the wrong sign fails."""
    if isa:
        monkeypatch.setenv("MBGD_FAST_ISA", isa)
    n = 4 * K + 3
    for d in (57, 32):
        X, y = make_problem("softmax", n, d, dtype=dtype, seed=K + d, K=K)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
        sw[::4] = 0.0
        for b in sorted({max(K - 1, 2), K, K + 1, n}):
            for fit_intercept in (True, False):
                kw = dict(loss="softmax", batch_size=b, epochs=2, lr=0.05, sample_weight=sw,
                          seed=K, fit_intercept=fit_intercept)
                assert_same_run(mf.train(X, y, backend="cpu", **kw),
                                mf.train(X, y, backend="numpy", **kw), dtype)
        coef = np.random.default_rng(K + d).standard_normal((K, d)) * 0.3
        a, r = (mf.gradient(X, y, coef, np.ones(K), loss="softmax", sample_weight=sw,
                            backend=be) for be in ("cpu", "numpy"))
        tol = 1e-10 if dtype == np.float64 else 1e-5
        for u, v in zip(a, r):
            np.testing.assert_allclose(u, v, rtol=tol, atol=tol)


@pytest.mark.parametrize("isa", ["generic", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K", [3, 10])
def test_softmax_losses_held_back_over_64_rows(K, dtype, isa, monkeypatch):
    """A softmax group's blocks of four rows hold their losses back (softmax_losses: ln s, up
    to 64 rows at a time, then the rest).  Batches of 272 and 136 rows are groups of 68: 64
    rows, then the last block's four at the group's end.  Batches of 300 and 150 are groups of
    75: 64 rows, two blocks, then the last three rows one by one.  The losses of every batch,
    the weights and the gradient pass's loss are compared against the NumPy twin's."""
    if isa:
        monkeypatch.setenv("MBGD_FAST_ISA", isa)
    for n in (272, 300):
        X, y = make_problem("softmax", n, 24, dtype=dtype, seed=n + K, K=K)
        sw = np.random.default_rng(n).uniform(0.5, 2.0, size=n)
        for b in (n, n // 2):
            kw = dict(loss="softmax", batch_size=b, epochs=2, lr=0.05, sample_weight=sw, seed=K)
            assert_same_run(mf.train(X, y, backend="cpu", **kw),
                            mf.train(X, y, backend="numpy", **kw), dtype)
        coef = np.random.default_rng(K).standard_normal((K, 24)) * 0.3
        a, r = (mf.gradient(X, y, coef, np.zeros(K), loss="softmax", sample_weight=sw,
                            backend=be) for be in ("cpu", "numpy"))
        tol = 1e-10 if dtype == np.float64 else 1e-5
        for u, v in zip(a, r):
            np.testing.assert_allclose(u, v, rtol=tol, atol=tol)


@pytest.mark.parametrize("isa", ["generic", None])
def test_softmax_loss_of_exact_scores_float32(isa, monkeypatch):
    """float32 softmax losses ln s - (z_c - max z) where the scores are exact (rows of 0 and 1,
    weights and intercepts multiples of 1/64): the kernels' own ln s (LOG_SUM, for the sums s
    in [1, K]) and e^t against float64's, over sums spread across [1, 10], in blocks of four
    rows and one by one (the last rows, and three rows alone)."""
    if isa:
        monkeypatch.setenv("MBGD_FAST_ISA", isa)
    rng = np.random.default_rng(7)
    K, d, n = 10, 16, 403
    X = (rng.random((n, d)) < 0.3).astype(np.float32)
    y = rng.integers(0, K, size=n).astype(np.float32)
    coef = np.round(rng.uniform(-1.0, 0.3, size=(K, d)) * 64).astype(np.float32) / 64
    b = np.round(rng.uniform(-2.0, 2.0, size=K) * 64).astype(np.float32) / 64
    for rows in (None, np.arange(3), np.arange(n)[::-1].copy()):
        loss, _, _ = mf.gradient(X, y, coef, b, loss="softmax", indices=rows)
        Z = (X if rows is None else X[rows]).astype(np.float64) @ coef.T.astype(np.float64) + b
        yc = (y if rows is None else y[rows]).astype(np.int64)
        m = Z.max(axis=1)
        s = np.exp(Z - m[:, None]).sum(axis=1)
        if rows is None:
            assert s.min() < 1.5 and s.max() > 5
        want = np.mean(np.log(s) - (Z[np.arange(len(Z)), yc] - m))
        np.testing.assert_allclose(loss, want, rtol=2e-7)


@pytest.mark.parametrize("isa", ["generic", None])
def test_softmax_probabilities_of_exact_scores_float32(isa, monkeypatch):
    """float32 softmax probabilities e^(z_k - max z) / s where the scores are exact, their
    differences t = z_k - max z spread over [-80, 0]: the kernels' own e^t (EXP_NONPOS)
    against float64's.  Row i is the unit vector e_i (d = n), so with reduction="sum" column
    i of the coefficients' gradient is row i's p - onehot(y_i), each exactly as the kernel made
    it; in blocks of four rows, and one by one (the last rows, and rows alone)."""
    if isa:
        monkeypatch.setenv("MBGD_FAST_ISA", isa)
    rng = np.random.default_rng(11)
    K, n = 10, 67
    X = np.eye(n, dtype=np.float32)
    y = np.zeros(n, dtype=np.float32)  # class 0 holds the maximum, 0: t = z_k exactly
    t = rng.uniform(-80.0, 0.0, size=(K, n)).astype(np.float32)
    t[1:, ::3] /= 40  # a third of the rows near 0 (sums up to 10)
    t[0] = 0
    for rows in (None, np.arange(3), np.arange(n)[::-1].copy()):
        _, g, _ = mf.gradient(X, y, t, np.zeros(K, np.float32), loss="softmax", indices=rows,
                              reduction="sum")
        cols = np.arange(n) if rows is None else np.unique(rows)
        T = t[:, cols].astype(np.float64)
        P = np.exp(T) / np.exp(T).sum(axis=0)
        np.testing.assert_allclose(g[1:, cols], P[1:], rtol=4e-7, atol=0)
        np.testing.assert_allclose(g[0, cols], P[0] - 1, rtol=0, atol=1.2e-7)


@pytest.mark.parametrize("isa", ["generic", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["squared", "logistic", "hinge"])
def test_rows_of_one_to_four_vectors(loss, dtype, isa, monkeypatch):
    """Rows of 8, 16, 24 or 32 values take dot, axpy and the b = 1 step with their length fixed
    at compile time; their neighbours (7, 17, 33) the same code with it at run time: b = 1
    (with and without L2), 4 and one that does not divide N, weighted, with and without an
    intercept."""
    if isa:
        monkeypatch.setenv("MBGD_FAST_ISA", isa)
    for d in (7, 8, 16, 17, 24, 32, 33):
        X, y = make_problem(loss, 45, d, dtype=dtype, seed=d)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=45)
        for b, l2, fit_intercept in ((1, 0.0, True), (1, 0.01, False), (4, 0.0, False), (7, 0.0, True)):
            kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.01, l2=l2, sample_weight=sw, seed=d,
                      fit_intercept=fit_intercept)
            assert_same_run(mf.train(X, y, backend="cpu", **kw),
                            mf.train(X, y, backend="numpy", **kw), dtype)


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_instruction_set_matches_reference(isa, dtype, monkeypatch):
    from mbgd_fast import _native

    monkeypatch.setenv("MBGD_FAST_ISA", isa)
    ran = _native.isa()  # capped at what this CPU runs
    if ran != isa:
        pytest.skip(f"this CPU runs {ran}, not {isa}")
    for loss in ("squared", "logistic", "softmax"):
        X, y = make_problem(loss, 300, 37, dtype=dtype, seed=9)
        kw = dict(loss=loss, batch_size=7, epochs=2, lr=0.01, optimizer="adam", l2=1e-3, l1=1e-4)
        assert_same_run(mf.train(X, y, backend="cpu", **kw), mf.train(X, y, backend="numpy", **kw), dtype)


def test_bad_isa_name(monkeypatch):
    monkeypatch.setenv("MBGD_FAST_ISA", "sse9")
    X, y = make_problem("squared", 10, 2)
    with pytest.raises(ValueError, match="MBGD_FAST_ISA='sse9' is not one of"):
        mf.train(X, y, batch_size=2)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("d", [5, 8, 13, 16, 20, 24, 31, 32])
def test_runs_with_weights_in_registers(d, isa, monkeypatch):
    """float32 rows of up to 32 values (K = 1, no L2, no averaging) run in the x86 variants
    with the weights in vector registers across runs of batches: b = 1 (direct_run) and batches
    of one group (small_run, b = 2, 4, 8), the row's last vector masked when d is not a
    multiple of 8.  Every K = 1 loss, with and without an intercept and
    sample weights, mean and sum, b = 2 over an odd N (a last batch of one row), against the
    NumPy twin; and a step that overflows a weight ends training at that iteration, as the
    twin says."""
    from mbgd_fast import _native

    monkeypatch.setenv("MBGD_FAST_ISA", isa)
    if _native.isa() != isa:
        pytest.skip(f"this CPU does not run {isa}")
    for loss in (l for l in losses.LOSSES if l != "softmax"):
        X, y = make_problem(loss, 45, d, dtype=np.float32, seed=d)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=45)
        for b, fit_intercept, weights, reduction in ((1, True, None, "mean"), (1, False, sw, "mean"),
                                                     (2, True, sw, "mean"), (4, False, None, "sum"),
                                                     (8, True, sw, "mean")):
            kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.01, sample_weight=weights, seed=d,
                      fit_intercept=fit_intercept, reduction=reduction)
            assert_same_run(mf.train(X, y, backend="cpu", **kw),
                            mf.train(X, y, backend="numpy", **kw), np.float32)
    X, y = make_problem("squared", 40, d, dtype=np.float32, seed=d)
    X = X * np.float32(1e19)  # the first loss is finite (z = 0); its step, about 1e40, is not
    for b in (1, 4):
        assert diverging_iterations(X, y, batch_size=b, epochs=1, lr=1e21) == [0, 0]


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_batches_of_rows_of_64_to_256_values_skewed(isa, n_threads, monkeypatch):
    """float32 rows of 64 to 256 values (K = 1) in batches run skewed in the x86 variants
    (accumulate: a row's products, then the row before's sum, loss and terms), with the
    products' lanes in registers across the two parts; the generic variant and float64 keep
    the plain loop; the AVX-512 one keeps the sums in registers across a group when d is a
    multiple of 16 (skew_regs: 64, 80, 128, 240, 256).  Whole lanes only (64, 128, 256), a tail
    of sixteen (80, 240), of eight (72), eight and one by one (100, 201), one by one (65);
    squared, logistic and hinge loss; b = 2, 7 (weighted, no
    intercept), and N; and mf.gradient and the noise sums over given rows, repeats included:
    the NumPy twin's numbers."""
    from mbgd_fast import _native
    from mbgd_fast._reference import ReferenceKernel
    from mbgd_fast.core import Spec

    monkeypatch.setenv("MBGD_FAST_ISA", isa)
    if _native.isa() != isa:
        pytest.skip(f"this CPU does not run {isa}")
    n = 50
    for dtype in (np.float32, np.float64):
        for d in (64, 65, 72, 80, 100, 128, 201, 240, 256):
            X, y = make_problem("squared", n, d, dtype=dtype, seed=d)
            sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
            for loss in ("squared", "logistic", "hinge"):
                yl = y if loss == "squared" else np.where(y > np.median(y), 1.0, -1.0).astype(dtype)
                for b, weights, fit_intercept in ((2, None, True), (7, sw, False), (n, None, True)):
                    kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.1 / d, seed=b,
                              sample_weight=weights, fit_intercept=fit_intercept,
                              n_threads=n_threads)
                    assert_same_run(mf.train(X, yl, backend="cpu", **kw),
                                    mf.train(X, yl, backend="numpy", **kw), dtype)
            rows = np.random.default_rng(d).integers(0, n, size=40)  # repeats allowed
            coef = np.random.default_rng(d + 1).normal(size=d) / np.sqrt(d)
            got = mf.gradient(X, y, coef, 0.3, indices=rows, sample_weight=sw, backend="cpu",
                              n_threads=n_threads)
            ref = mf.gradient(X, y, coef, 0.3, indices=rows, sample_weight=sw, backend="numpy")
            tol = 1e-10 if dtype == np.float64 else 1e-4
            for a, r in zip(got, ref):
                np.testing.assert_allclose(a, r, rtol=tol, atol=tol)
            spec = Spec(loss="squared", n_threads=n_threads)
            theta = np.append(coef, 0.3).astype(dtype)
            got = _native.NativeKernel(spec, X, y).gradient_noise(theta, rows.astype(np.int64))
            ref = ReferenceKernel(spec, X, y).gradient_noise(theta, rows.astype(np.int64))
            for a, r in zip(got, ref):
                np.testing.assert_allclose(a, r, rtol=tol, atol=tol)
