"""train(): epochs and batches, unbiasedness, determinism, threads, schedules, divergence."""
import threading

import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import schedules
from mbgd_fast._native import NativeKernel
from mbgd_fast.core import Spec, State

from conftest import diverging_iterations, make_problem


@pytest.mark.parametrize("n,b", [(10, 1), (10, 3), (10, 10), (1_250_000, 512), (7, 2)])
def test_iterations_per_epoch(n, b):
    assert mf.iterations_per_epoch(n, b) == -(-n // b)
    assert mf.iterations_per_epoch(n, b, drop_last=True) == n // b


def test_reference_text_example():
    ipe = mf.iterations_per_epoch(1_250_000, 512)
    assert ipe == 2442 and 100_000 // ipe == 40


@pytest.mark.parametrize("b,drop_last", [(1, False), (3, False), (3, True), (10, False), (4, True)])
def test_batch_loss_count(b, drop_last):
    X, y = make_problem("squared", 10, 3)
    r = mf.train(X, y, batch_size=b, epochs=3, drop_last=drop_last)
    ipe = 10 // b if drop_last else -(-10 // b)
    assert r.iters_per_epoch == ipe and r.n_iter == 3 * ipe
    assert r.batch_loss.shape == (3 * ipe,) and r.epoch_loss.shape == (3,)
    np.testing.assert_allclose(r.epoch_loss, r.batch_loss.reshape(3, ipe).mean(axis=1))


def test_partial_batch_is_averaged_over_its_own_size():
    X, y = make_problem("squared", 10, 2)
    r = mf.train(X, y, batch_size=4, epochs=1, lr=1e-9, shuffle=False, fit_intercept=False)
    # at w ~ 0 the loss of each batch is the mean of y^2 / 2 over its own rows
    expect = [0.5 * np.mean(y[s:s + 4] ** 2) for s in (0, 4, 8)]
    np.testing.assert_allclose(r.batch_loss, expect, rtol=1e-6)


@pytest.mark.parametrize("loss", ["squared", "logistic", "softmax"])
def test_unbiased_minibatch_gradient(loss):
    X, y = make_problem(loss, 120, 6, seed=7)
    rng = np.random.default_rng(0)
    K = 3 if loss == "softmax" else 1
    W = rng.normal(size=(K, 6)) if K > 1 else rng.normal(size=6)
    b0 = rng.normal(size=K) if K > 1 else 0.1
    full = mf.gradient(X, y, W, b0, loss=loss)
    order = rng.permutation(120)
    for b in (1, 8, 30, 120):
        batches = order.reshape(-1, b)
        mean_g = np.mean([mf.gradient(X, y, W, b0, loss=loss, indices=ix)[1] for ix in batches], axis=0)
        np.testing.assert_allclose(mean_g, full[1], rtol=0, atol=1e-12)
        sums = np.mean([mf.gradient(X, y, W, b0, loss=loss, indices=ix, reduction="sum")[1]
                        for ix in batches], axis=0)
        np.testing.assert_allclose(sums, b * full[1], rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize("slice_work,lr_block", [(None, None), (1, 3), (30, 1)])
def test_slices_and_rate_blocks_train_as_a_plain_loop(monkeypatch, slice_work, lr_block):
    """Several epochs of shuffled batches and an iteration-dependent lr, however train() cuts
    them into kernel calls (slices) and blocks of learning rates, equal a plain NumPy loop
    over the same orders (each epoch's order written into one reused buffer)."""
    from mbgd_fast import core

    if slice_work:
        monkeypatch.setattr(core, "SLICE_WORK", slice_work)
    if lr_block:
        monkeypatch.setattr(core, "LR_BLOCK", lr_block)
    X, y = make_problem("squared", 23, 3, seed=4)
    b, epochs = 4, 3
    lr = lambda t: 0.05 / (1 + 0.1 * np.asarray(t))
    r = mf.train(X, y, batch_size=b, epochs=epochs, lr=lr, seed=9)

    rng, w, c, t = np.random.default_rng(9), np.zeros(3), 0.0, 0
    for _ in range(epochs):
        order = core.epoch_order(rng, len(X))
        for s in range(0, len(X), b):
            ix = order[s : s + b]
            res = X[ix] @ w + c - y[ix]
            w, c, t = w - lr(t) * X[ix].T @ res / len(ix), c - lr(t) * res.mean(), t + 1
    np.testing.assert_allclose(r.coef, w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r.intercept, c, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bit_generator", ["PCG64", "PCG64DXSM", "SFC64", "Philox", "MT19937"])
def test_epoch_order_is_the_order_of_the_raw_words(bit_generator):
    """The C loop draws the words from the generator itself; the order and the generator's
    state after it are those of random_raw (MT19937's raw words are 32-bit)."""
    from mbgd_fast import _native
    from mbgd_fast.core import epoch_order

    BG = getattr(np.random, bit_generator)
    for n in (1, 2, 3, 17, 1000):
        a, b = np.random.Generator(BG(5)), np.random.Generator(BG(5))
        assert epoch_order(a, n).tolist() == _native.permutation(b.bit_generator.random_raw(n - 1)).tolist()
        assert a.bit_generator.random_raw() == b.bit_generator.random_raw()


@pytest.mark.parametrize("bit_generator", ["PCG64", "MT19937"])
@pytest.mark.parametrize("n_threads", [2, 3])
def test_epoch_order_on_threads_is_the_same_order(bit_generator, n_threads):
    """With two or more threads, one draws the words in chunks of 4096 while another swaps,
    above 8192 rows (when that has been the faster way): the same order, and the generator
    left where random_raw leaves it, at sizes on either side of the threshold and of a chunk's
    end."""
    from mbgd_fast import _native
    from mbgd_fast.core import epoch_order

    BG = getattr(np.random, bit_generator)
    for n in (100, 8192, 8193, 4096 * 5 + 1, 4096 * 9 + 2, 200_000):
        a, b = np.random.Generator(BG(n)), np.random.Generator(BG(n))
        got = epoch_order(a, n, None, n_threads)
        assert got.tolist() == _native.permutation(b.bit_generator.random_raw(n - 1)).tolist()
        assert a.bit_generator.random_raw() == b.bit_generator.random_raw()
    # each draw is timed and the faster way taken, but for every 16th draw: 40 draws take both
    a, b = np.random.Generator(BG(1)), np.random.Generator(BG(1))
    for _ in range(40):
        assert epoch_order(a, 20_000, None, n_threads).tolist() == epoch_order(b, 20_000).tolist()


@pytest.mark.parametrize("isa", ["generic", "avx512"])
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("min_rows", [2, None])
def test_pcg64_words_drawn_in_c_are_its_own(monkeypatch, n_threads, min_rows, isa):
    """A PCG64's words are drawn in C from a copy of its state, four streams at a time, or
    with AVX-512 32 in vectors of eight from 64 words on (_native._bitgen; MBGD_FAST_ISA caps
    the instruction set): the order, and the generator's state after it, are those of
    random_raw, at every length of the last round of four (n - 1 mod 4), of a block of 32
    steps, of the vectors' rounds of 32 (63, 64, 65, 95-97, 128 words) and of the 512 words
    drawn at a time, with a buffered 32-bit half (has_uint32) left as it was.  min_rows 2
    takes that way from two rows on; None, from PCG64_MIN_ROWS as shipped."""
    from mbgd_fast import _native
    from mbgd_fast.core import epoch_order

    monkeypatch.setenv("MBGD_FAST_ISA", isa)
    # GCC and Clang have 128-bit integers on 64-bit machines: the way is there to be tested
    assert _native._bitgen(np.random.PCG64(0), 1 << 20)[1] is not _native._nothing
    if min_rows is not None:
        monkeypatch.setattr(_native, "PCG64_MIN_ROWS", min_rows)
    for n in (2, 3, 4, 5, 6, 33, 34, 35, 64, 65, 66, 96, 97, 98, 129, 512, 513, 514, 4095, 4096,
              4097, 4098, 8193, 20_003):
        a, b = np.random.Generator(np.random.PCG64(n)), np.random.Generator(np.random.PCG64(n))
        a.integers(0, 2**32, dtype=np.uint32)  # a buffered half, in both
        b.integers(0, 2**32, dtype=np.uint32)
        got = epoch_order(a, n, None, n_threads)
        assert got.tolist() == _native.permutation(b.bit_generator.random_raw(n - 1)).tolist()
        assert a.bit_generator.state == b.bit_generator.state
        assert a.integers(0, 2**32, dtype=np.uint32) == b.integers(0, 2**32, dtype=np.uint32)
    # train() draws its epochs' orders on the kernel's call the same way: the same bits as
    # with the words drawn through next_raw
    X, y = make_problem("squared", 5000, 3, seed=2)
    for t in (1, 2):
        got = mf.train(X, y, batch_size=7, epochs=2, seed=11, n_threads=t)
        with monkeypatch.context() as m:
            m.setattr(_native, "PCG64_MIN_ROWS", 1 << 62)
            want = mf.train(X, y, batch_size=7, epochs=2, seed=11, n_threads=t)
        assert got.coef.tolist() == want.coef.tolist() and got.intercept == want.intercept


def test_permutation_bitgen_refuses_an_isa_out_of_range():
    """The C entry point's isa cap must name an instruction set (enum mbgd_isa)."""
    from mbgd_fast import _native

    order = np.empty(100, np.int64)
    bg, _ = _native._bitgen(np.random.PCG64(0), 100)
    ptr = _native._ptr(order, "int64_t")
    for isa in (-1, _native.lib.MBGD_N_ISAS):
        assert _native.lib.mbgd_permutation_bitgen(ptr, 100, bg, 1, isa) == _native.lib.MBGD_EINVAL
    assert _native.lib.mbgd_permutation_bitgen(ptr, 100, bg, 1, 0) == _native.lib.MBGD_OK
    assert sorted(order.tolist()) == list(range(100))


def test_epoch_order_into_a_buffer():
    from mbgd_fast import _native
    from mbgd_fast.core import epoch_order

    raw = np.random.default_rng(3).bit_generator.random_raw(99)
    buf = np.full(100, -1, dtype=np.int64)
    assert _native.permutation(raw, buf) is buf
    assert buf.tolist() == _native.permutation(raw).tolist()
    a = epoch_order(np.random.default_rng(1), 100, buf)
    assert a is buf and a.tolist() == epoch_order(np.random.default_rng(1), 100).tolist()
    for bad in (np.empty(99, np.int64), np.empty(100, np.int32), np.empty(200, np.int64)[::2]):
        with pytest.raises(ValueError, match="out must be a C-contiguous int64 array of shape"):
            _native.permutation(raw, bad)


def test_same_seed_same_bits_and_other_seed_differs():
    X, y = make_problem("logistic", 200, 5)
    a = mf.train(X, y, loss="logistic", batch_size=7, epochs=3, seed=11)
    b = mf.train(X, y, loss="logistic", batch_size=7, epochs=3, seed=11)
    c = mf.train(X, y, loss="logistic", batch_size=7, epochs=3, seed=12)
    assert a.coef.tobytes() == b.coef.tobytes() and a.batch_loss.tobytes() == b.batch_loss.tobytes()
    assert a.coef.tobytes() != c.coef.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss,d,b", [("squared", 3000, 16), ("logistic", 64, 512),
                                      ("softmax", 40, 1000), ("hinge", 8, 3)])
def test_thread_count_does_not_change_bits(loss, d, b, dtype):
    X, y = make_problem(loss, 2000, d, dtype=dtype, seed=2)
    kw = dict(loss=loss, batch_size=b, epochs=1, lr=0.01, optimizer="momentum", l2=1e-3)
    runs = [mf.train(X, y, n_threads=t, **kw) for t in (1, 2, 3)]
    for r in runs[1:]:
        assert r.coef.tobytes() == runs[0].coef.tobytes()
        assert r.batch_loss.tobytes() == runs[0].batch_loss.tobytes()
    g = [mf.gradient(X, y, runs[0].coef, runs[0].intercept, loss=loss, n_threads=t)[1] for t in (1, 2)]
    assert g[0].tobytes() == g[1].tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K,d,b", [(10, 256, 4), (10, 256, 32), (10, 256, 64), (4, 64, 48)])
def test_softmax_batches_of_small_groups_run_alone_same_bits(K, d, b, dtype, monkeypatch):
    """Softmax batches whose groups hold fewer than MBGD_FAST_SM_TEAM_ROWS rows (unless set,
    the variant's: 32 for AVX-512 float32, 16 for AVX2 float32, else 8) run on one thread, the
    order drawn beside; 0 gives them a team as before (two update chunks at K = 10, d = 256
    even for one group).  Batches of 4, 32 and 64 rows and a last batch of 16 among 48s, on
    either side of each default: every bit equals one thread's at 0, 32 and 1024 rows and
    the default, and a run that diverges stops at the same iteration with the same weights."""
    X, y = make_problem("softmax", 6 * b + b // 3, d, dtype=dtype, seed=b, K=K)
    kw = dict(loss="softmax", batch_size=b, epochs=2, lr=0.05, n_classes=K)
    huge = 1e35 if dtype == np.float32 else 1e300  # overflows within a few steps
    one = mf.train(X, y, n_threads=1, **kw)
    bad = []
    for rows in ("0", "32", "1024", None):
        if rows is None:
            monkeypatch.delenv("MBGD_FAST_SM_TEAM_ROWS")
        else:
            monkeypatch.setenv("MBGD_FAST_SM_TEAM_ROWS", rows)
        r = mf.train(X, y, n_threads=2, **kw)
        assert r.coef.tobytes() == one.coef.tobytes()
        assert r.batch_loss.tobytes() == one.batch_loss.tobytes()
        for t in (1, 2):
            with pytest.raises(mf.DivergenceError) as ei:
                mf.train(X * 40, y, n_threads=t, **dict(kw, lr=huge, epochs=20))
            bad.append(ei.value.result)
    for e in bad[1:]:
        assert e.n_iter == bad[0].n_iter
        assert e.coef.tobytes() == bad[0].coef.tobytes()


def test_default_threads_one_for_small_epochs(monkeypatch):
    """n_threads=None is one thread where an epoch's rows hold fewer than 2^20 values times
    the outputs (n (d + 1) K; (nnz + n) K for CSR rows), else OpenMP's default; a given count
    is kept; gradient() counts the rows it sums.  Seen in the Spec each kernel is made with."""
    from mbgd_fast import _native, core

    seen = []
    make = core._make_kernel
    monkeypatch.setattr(core, "_make_kernel",
                        lambda backend, spec, *a: seen.append(spec.n_threads) or make(backend, spec, *a))
    monkeypatch.setattr(_native, "max_threads", lambda: 7)
    assert core.AUTO_ONE_THREAD_BELOW == 1 << 20
    Xs, ys = make_problem("squared", 4096, 255, dtype=np.float32, seed=1)  # 4096 x 256 = 2^20
    Xk, yk = make_problem("softmax", 409, 255, dtype=np.float32, seed=1, K=10)  # 1,047,040
    for X, y, kw, want in [
        (Xs, ys, {}, 7), (Xs[:-1], ys[:-1], {}, 1), (Xs[:-1], ys[:-1], {"n_threads": 2}, 2),
        (Xk, yk, {"loss": "softmax", "n_classes": 10}, 1),
        (Xk[:, :-1], yk, {"loss": "softmax", "n_classes": 10, "n_threads": None}, 1),
        (np.repeat(Xk, 2, axis=0), np.repeat(yk, 2), {"loss": "softmax", "n_classes": 10}, 7),
    ]:
        seen.clear()
        mf.train(X, y, batch_size=64, epochs=1, lr=1e-3, **kw)
        assert seen == [want], (X.shape, kw)
    # gradient(): the rows it sums
    for X, idx, want in [(Xs, None, 7), (Xs[:-1], None, 1), (Xs, np.arange(4095), 1),
                         (Xs, np.arange(4096), 7)]:
        seen.clear()
        mf.gradient(X, ys[: len(X)], np.zeros(255, np.float32), 0.0, indices=idx)
        assert seen == [want], (X.shape, None if idx is None else len(idx))
    sp = pytest.importorskip("scipy.sparse")
    S = sp.random(2 ** 16, 64, density=0.25, format="csr", random_state=0, dtype=np.float32)
    ysp = np.ones(S.shape[0], np.float32)
    for rows, want in ((2 ** 16, 7), (2 ** 14, 1)):  # (nnz + n) about 1.1e6 / 2.8e5
        seen.clear()
        mf.train(S[:rows], ysp[:rows], batch_size=64, epochs=1, lr=1e-3)
        assert seen == [want]


@pytest.mark.parametrize("b", [320, 1024])
def test_group_sums_tree_same_bits_on_any_thread_count(b):
    """A batch's groups (5 at b = 320, 16 at b = 1024, d = 256) are summed as a tree fixed by
    their number: each thread adds the nodes whose groups are all its own, phase B the rest.
    One to six threads (fewer groups than threads, counts that divide them and counts that
    do not) give the same bits, and so does the gradient on one and on four threads."""
    X, y = make_problem("softmax", 3 * b, 256, dtype=np.float32, seed=b, K=3)
    kw = dict(loss="softmax", batch_size=b, epochs=2, lr=0.05, optimizer="momentum")
    runs = [mf.train(X, y, n_threads=t, **kw) for t in range(1, 7)]
    for r in runs[1:]:
        assert r.coef.tobytes() == runs[0].coef.tobytes()
        assert r.batch_loss.tobytes() == runs[0].batch_loss.tobytes()
    g = [mf.gradient(X, y, runs[0].coef, runs[0].intercept, loss="softmax", n_threads=t,
                     indices=np.arange(b))[1] for t in (1, 4)]
    assert g[0].tobytes() == g[1].tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("last", [1, 20])
def test_team_with_a_last_batch_run_alone_same_bits(last, dtype):
    """A slice of batches split across a team of threads (b = 256 at d = 256: four groups)
    whose last batch does not split: one row (the direct step) or 20 rows (one group, the
    small path), which thread 0 runs while the others wait.  Every bit equals one thread's,
    and a run that diverges stops at the same iteration with the same weights."""
    n = 256 * 6 + last
    X, y = make_problem("squared", n, 256, dtype=dtype, seed=last)
    kw = dict(batch_size=256, epochs=3, lr=0.002)
    runs = [mf.train(X, y, n_threads=t, **kw) for t in (1, 2, 3)]
    assert runs[0].n_iter == 3 * 7
    for r in runs[1:]:
        assert r.coef.tobytes() == runs[0].coef.tobytes()
        assert r.batch_loss.tobytes() == runs[0].batch_loss.tobytes()
    errs = []
    for t in (1, 2, 3):
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X * 30, y, n_threads=t, **dict(kw, lr=1.0, epochs=30))
        errs.append(ei.value.result)
    assert errs[0].n_iter > 0
    for e in errs[1:]:
        assert e.n_iter == errs[0].n_iter
        assert e.coef.tobytes() == errs[0].coef.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_team_of_two_stepping_twice_gives_one_threads_bits(dtype, monkeypatch):
    """On two threads with plain SGD and one update chunk (d = 256) each thread steps its own
    copy of the weights (MBGD_FAST_TWICE, on unless 0): batches of 2, 3, 5, 7 and 16 groups,
    whose tree crosses the threads only into group 0, and of 6, whose tree crosses elsewhere
    (one thread steps, the other copies); each epoch's last batch of one row, and batches of
    one and of 20 rows amid the team's, run alone; L1 and L2 in phase B's norms.  Every bit
    equals one thread's and the team's without the copies, and a run that diverges stops at
    the same iteration with the same weights."""
    X, y = make_problem("squared", 1537, 256, dtype=dtype, seed=7)
    for b in (64, 192, 320, 384, 448, 1024):
        kw = dict(batch_size=b, epochs=2, lr=0.002, l2=1e-3, l1=1e-4)
        one = mf.train(X, y, n_threads=1, **kw)
        for twice in ("1", "0"):
            monkeypatch.setenv("MBGD_FAST_TWICE", twice)
            two = mf.train(X, y, n_threads=2, **kw)
            assert two.coef.tobytes() == one.coef.tobytes(), (b, twice)
            assert two.state.theta.tobytes() == one.state.theta.tobytes(), (b, twice)
            assert two.batch_loss.tobytes() == one.batch_loss.tobytes(), (b, twice)
    # batches of 320, 1, 320 and 20 rows in turn (the kernel's own slice): thread 0 steps the
    # one-row batches alone and the other takes its weights; it runs the 20-row ones alone in
    # group 0's sums while the other may still read the last batch's
    sizes = np.tile([320, 1, 320, 20], 30)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    rows = np.arange(starts[-1], dtype=np.int64) % 1537
    for l2 in (1e-3, 0.0):
        thetas = []
        for t, twice in ((1, "1"), (2, "1"), (2, "0")):
            monkeypatch.setenv("MBGD_FAST_TWICE", twice)
            spec = Spec(loss="squared", n_threads=t, l2=l2)
            st = State.zeros(spec, 256, dtype)
            losses = np.empty(len(sizes))
            NativeKernel(spec, X, y).train_slice(st, rows, starts, np.full(len(sizes), 0.001),
                                                 losses)
            thetas.append(st.theta.tobytes() + losses.tobytes())
        assert thetas[1] == thetas[0] and thetas[2] == thetas[0], l2
    errs = []
    for t, twice in ((1, "1"), (2, "1"), (2, "0")):
        monkeypatch.setenv("MBGD_FAST_TWICE", twice)
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X * 30, y, n_threads=t, batch_size=320, lr=1.0, epochs=30)
        errs.append(ei.value.result)
    assert errs[0].n_iter > 0
    for e in errs[1:]:
        assert e.n_iter == errs[0].n_iter
        assert e.coef.tobytes() == errs[0].coef.tobytes()


@pytest.mark.parametrize("loss", ["squared", "softmax"])
def test_team_takes_over_from_the_thread_that_trained_while_the_order_was_drawn(loss):
    """On two threads a team's epoch starts on one thread while the other draws the order,
    and the team takes over once it is drawn, at whichever iteration that is: every bit
    equals one thread's (weights, batch losses with an L2 term, Adam's step count), epoch
    after epoch, and a run that diverges stops at the same iteration either way."""
    X, y = make_problem(loss, 60_000, 128, dtype=np.float32, seed=5)  # b = 256: 4+ groups
    kw = dict(loss=loss, batch_size=256, epochs=3, lr=0.002, optimizer="adam", l2=1e-3)
    one, two = (mf.train(X, y, n_threads=t, **kw) for t in (1, 2))
    assert one.n_iter == 3 * 235
    assert two.coef.tobytes() == one.coef.tobytes()
    assert two.batch_loss.tobytes() == one.batch_loss.tobytes()
    if loss == "softmax":
        return  # its saturated steps grow the weights too slowly to overflow here
    errs = []
    for t in (1, 2):  # a rate just past stable: the weights overflow at iteration 250
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X, y, n_threads=t, **dict(kw, optimizer="sgd", lr=1.5, epochs=5))
        errs.append(ei.value.result)
    assert errs[0].n_iter > 100
    assert errs[1].n_iter == errs[0].n_iter
    assert errs[1].coef.tobytes() == errs[0].coef.tobytes()


@pytest.mark.parametrize("optimizer", ["adam", "nesterov"])
def test_team_step_count_same_bits(optimizer):
    """Adam's bias correction and averaging read the step count, which a team's threads
    keep each for themselves: two slices of teamed batches give one thread's bits."""
    X, y = make_problem("logistic", 3000, 128, seed=4)
    kw = dict(loss="logistic", batch_size=300, epochs=2, lr=0.01, optimizer=optimizer,
              average=True, l2=1e-3)
    one, two = (mf.train(X, y, n_threads=t, **kw) for t in (1, 2))
    assert two.coef.tobytes() == one.coef.tobytes()
    assert two.average_coef.tobytes() == one.average_coef.tobytes()
    assert two.batch_loss.tobytes() == one.batch_loss.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("b", [1, 2, 5, 40])
def test_prefetch_helper_same_bits(b, dtype, monkeypatch):
    """Batches too small to split run with the prefetch helper (MBGD_FAST_HELPER=1) on a
    second thread: it only prefetches, so every bit equals one thread's and the helper
    switched off; unset (the default), each call's slices take it or not by timing
    (helper_pick: a key's first slice without, its second with), the same bits."""
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")  # these paths, not the relay's legs
    cases = [("squared", dict(optimizer="sgd", l2=1e-3), None),  # the fused b = 1 step
             ("logistic", dict(optimizer="adam", l1=1e-4, average=True), "weights")]
    for loss, extra, weights in cases:
        X, y = make_problem(loss, 3000, 72, dtype=dtype, seed=b)  # rows >= 256 bytes
        sw = np.random.default_rng(b).uniform(0.5, 2, len(y)) if weights else None
        kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.01, sample_weight=sw, **extra)
        one = mf.train(X, y, n_threads=1, **kw)
        monkeypatch.setenv("MBGD_FAST_HELPER", "1")
        two = mf.train(X, y, n_threads=2, **kw)
        monkeypatch.setenv("MBGD_FAST_HELPER", "0")
        off = mf.train(X, y, n_threads=2, **kw)
        monkeypatch.delenv("MBGD_FAST_HELPER")
        default = [mf.train(X, y, n_threads=2, **kw) for _ in range(3)]
        for r in (two, off, *default):
            assert r.coef.tobytes() == one.coef.tobytes()
            assert r.batch_loss.tobytes() == one.batch_loss.tobytes()


def test_prefetch_helper_stops_when_training_diverges(monkeypatch):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")  # these paths, not the relay's legs
    monkeypatch.setenv("MBGD_FAST_HELPER", "1")
    X, y = make_problem("squared", 5000, 64, seed=3)
    kw = dict(batch_size=1, epochs=3, lr=5.0)
    errs = []
    for t in (1, 2):
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X * 50, y, n_threads=t, **kw)
        errs.append(ei.value.result)
    assert errs[0].n_iter == errs[1].n_iter > 0
    assert errs[0].coef.tobytes() == errs[1].coef.tobytes()


def test_python_threads_train_concurrently():
    problems = [make_problem("squared", 20000, 50, seed=s) for s in range(2)]
    kw = dict(batch_size=64, epochs=2, lr=0.01, n_threads=1)
    expect = [mf.train(X, y, **kw).coef for X, y in problems]
    got = [None, None]

    def work(i):
        got[i] = mf.train(*problems[i], **kw).coef

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e, g in zip(expect, got):
        assert g.tobytes() == e.tobytes()


def test_converges_to_least_squares():
    X, y = make_problem("squared", 500, 4, seed=1)
    r = mf.train(X, y, batch_size=16, epochs=60, lr=mf.schedules.InvScaling(0.1, 0.5), seed=0)
    A = np.c_[X, np.ones(len(X))]
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[r.coef, r.intercept], w, atol=2e-2)


def test_full_batch_loss_is_monotone_and_full_loss_matches():
    X, y = make_problem("logistic", 300, 5)
    r = mf.train(X, y, loss="logistic", batch_size=None, epochs=30, lr=0.5, eval_full_loss=True)
    assert r.iters_per_epoch == 1
    assert np.all(np.diff(r.batch_loss) <= 1e-12)
    # the full loss after epoch e is the batch loss before the step of epoch e + 1
    np.testing.assert_allclose(r.full_loss[:-1], r.batch_loss[1:], rtol=1e-12)


def test_float32_stays_float32():
    X, y = make_problem("squared", 50, 3, dtype=np.float32)
    r = mf.train(X, y, epochs=1)
    assert r.coef.dtype == np.float32 and r.state.theta.dtype == np.float32
    assert mf.gradient(X, y, r.coef, r.intercept)[1].dtype == np.float32


def test_logistic_accepts_01_labels():
    X, y = make_problem("logistic", 80, 3)
    a = mf.train(X, y, loss="logistic", epochs=2)
    b = mf.train(X, (y > 0).astype(int), loss="logistic", epochs=2)
    assert a.coef.tobytes() == b.coef.tobytes()


@pytest.mark.parametrize("sched", [
    schedules.Constant(0.05), schedules.InvScaling(0.1, 0.5), schedules.Step(0.1, 10, 0.5),
    schedules.Cosine(0.1), schedules.Warmup(0.1, 15), schedules.Warmup(schedules.Cosine(0.1), 5),
    lambda t: 0.05 / (1 + 0.01 * t),
])
def test_schedules_match_reference_and_values(sched):
    X, y = make_problem("squared", 40, 3)
    kw = dict(batch_size=3, epochs=3, lr=sched)
    a, r = mf.train(X, y, **kw), mf.train(X, y, backend="numpy", **kw)
    np.testing.assert_allclose(a.coef, r.coef, rtol=1e-10)
    s = schedules.as_schedule(sched)
    v = s.values(np.arange(40), 40)
    assert np.all(v > 0) and np.isfinite(v).all()


def test_schedule_formulas():
    t = np.arange(5)
    np.testing.assert_allclose(schedules.InvScaling(1.0, 0.5).values(t, 5), 1 / np.sqrt(t + 1))
    np.testing.assert_allclose(schedules.Step(1.0, 2, 0.5).values(t, 5), [1, 1, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(schedules.Cosine(1.0).values(np.array([0, 2, 4]), 4), [1, 0.5, 0])
    np.testing.assert_allclose(schedules.Warmup(1.0, 4).values(t, 5), [0.25, 0.5, 0.75, 1, 1])


def test_divergence_keeps_last_finite_weights():
    X, y = make_problem("squared", 100, 4)
    X = X * 100
    for backend in ("cpu", "numpy"):
        with pytest.raises(mf.DivergenceError, match="smaller lr") as ei:
            mf.train(X, y, batch_size=10, epochs=50, lr=1.0, backend=backend)
        err = ei.value
        res = err.result
        assert np.isfinite(res.coef).all() and np.isfinite(res.batch_loss).all()
        assert res.n_iter == err.epoch * 10 + err.iteration
        if backend == "cpu":
            cpu = res
        else:
            np.testing.assert_allclose(cpu.coef, res.coef, rtol=1e-10)
            assert cpu.n_iter == res.n_iter


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_divergence_replays_from_the_epochs_start(dtype):
    """A divergence replays its epoch from the state at the epoch's start: the first epoch's
    built again from the initial weights, a later one's kept from the epoch before.  Full
    batches (one iteration an epoch) under a rate that grows each iteration diverge at an
    epoch's first iteration, so the weights returned are those the callback saw at the end
    of the epoch before, bit for bit; one whose very first loss overflows returns coef_init
    and intercept_init."""
    X, y = make_problem("squared", 64, 5, dtype=dtype, seed=3)
    for backend in ("cpu", "numpy"):
        seen = []
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X * 30, y, batch_size=None, epochs=200, lr=lambda t: 1e-4 * 3.0 ** t,
                     backend=backend, callback=lambda info: seen.append(info.coef.copy()))
        err = ei.value
        assert err.epoch >= 2 and err.iteration == 0 and len(seen) == err.epoch
        assert err.result.coef.tobytes() == seen[-1].tobytes()
        # initial weights whose first loss overflows: the first epoch's state, built again,
        # is coef_init's and intercept_init's
        c0 = np.linspace(-1, 1, 5) * (1e20 if dtype == np.float32 else 1e200)
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X * 30, y, batch_size=32, epochs=5, lr=0.1, backend=backend,
                     coef_init=c0, intercept_init=0.5)
        assert (ei.value.epoch, ei.value.iteration, ei.value.result.n_iter) == (0, 0, 0)
        assert ei.value.result.coef.tobytes() == c0.astype(dtype).tobytes()
        assert ei.value.result.intercept == 0.5


def test_rates_ahead_across_epochs_same_bits(monkeypatch):
    """A schedule marked _rates_ahead (the estimators' invscaling and optimal ones) has its
    rates computed ahead across epochs, an epoch's worth first and doubling: 40 epochs take
    6 calls of _learning_rates, not 40, and give the same bits as the same schedule unmarked
    (an epoch at a time), with a callback stopping the run early too.  (The optimal one here:
    a division, rounded the same at any position of any array, where a vectorized power's
    last bit could depend on where an element falls.)"""
    from mbgd_fast import core
    from mbgd_fast.estimators import _Optimal

    class Unmarked(_Optimal):
        _rates_ahead = False

    X, y = make_problem("squared", 150, 4, seed=5)
    monkeypatch.setattr(core, "BLOCK_ROWS", 0)  # a call an epoch (the windows counted here)
    calls = []
    rates = core._learning_rates
    monkeypatch.setattr(core, "_learning_rates", lambda *a: calls.append(a[1:3]) or rates(*a))
    runs = {}
    for ahead in (False, True):
        for stop in (None, 25):
            s = (_Optimal if ahead else Unmarked)(0.01, 300.0)
            calls.clear()
            cb = None if stop is None else (lambda info, k=stop: info.epoch + 1 == k)
            runs[ahead, stop] = (mf.train(X, y, batch_size=4, epochs=40, lr=s, seed=2, callback=cb),
                                 list(calls))
    ipe = 38
    assert [c for c in runs[False, None][1]] == [(e * ipe, (e + 1) * ipe) for e in range(40)]
    assert runs[True, None][1] == [(0, ipe), (ipe, 3 * ipe), (3 * ipe, 7 * ipe), (7 * ipe, 15 * ipe),
                                   (15 * ipe, 31 * ipe), (31 * ipe, 40 * ipe)]
    for stop in (None, 25):
        a, b = runs[False, stop][0], runs[True, stop][0]
        assert a.coef.tobytes() == b.coef.tobytes() and a.batch_loss.tobytes() == b.batch_loss.tobytes()
        assert a.n_epochs == b.n_epochs == (stop or 40)


def _fields(r):
    """A TrainResult's numbers, as bytes: weights, losses, state (carry and step too)."""
    st = r.state
    parts = [r.coef, np.asarray(r.intercept), r.batch_loss, r.epoch_loss, st.theta,
             np.array([st.step, r.n_iter, r.n_epochs])]
    parts += [a for a in (st.buf1, st.buf2, st.avg, st.carry) if a is not None]
    return [np.ascontiguousarray(a).tobytes() for a in parts]


class _Growing(schedules.Schedule):
    """A rate that grows 3% every ``per`` iterations, marked to be computed ahead (as the
    estimators' own): a run under it diverges after some epochs."""

    _rates_ahead = True

    def __init__(self, per=1.0):
        self.per = per

    def values(self, t, total):
        return 1e-4 * 1.03 ** (t / self.per)


class _LossOnly:
    """A callback of the estimators' kind (_epochs_before_stop): stops at epoch ``stop``
    (None: never), promising ``promise`` epochs a call (it may break that promise)."""

    def __init__(self, stop, promise):
        self.stop, self.promise, self.seen = stop, promise, []

    def __call__(self, info):
        self.seen.append((info.epoch, info.n_iter, info.epoch_loss))
        return info.epoch == self.stop

    def _epochs_before_stop(self):
        return self.promise


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss,K", [("squared", 1), ("logistic", 1), ("hinge", 1), ("softmax", 4)])
def test_epochs_in_one_call_same_bits(monkeypatch, dtype, loss, K):
    """Small data on one thread runs several epochs a kernel call (mbgd_train_epochs): the
    same bits as a call an epoch (BLOCK_ROWS = 0) in the weights, the optimizer's buffers,
    the carry, every batch loss and epoch loss, with the generator left in the same state,
    for b = 1, 2, one that does not divide N, and N, shuffled or not, with penalties and
    averaging, constant, computed-ahead and other rates, and a callback of the estimators'
    kind."""
    from mbgd_fast import core
    from mbgd_fast.estimators import _Optimal

    rng = np.random.default_rng(7)
    calls = {"epochs": 0}
    orig = NativeKernel.train_epochs

    def counted(self, *a, **kw):
        calls["epochs"] += 1
        return orig(self, *a, **kw)

    monkeypatch.setattr(NativeKernel, "train_epochs", counted)
    for case in range(10):
        n, d = int(rng.integers(30, 90)), int(rng.integers(1, 24))
        X, y = make_problem(loss, n, d, dtype=dtype, seed=case, K=K)
        for b in (1, 2, 7, n):
            kw = dict(loss=loss, batch_size=b, epochs=int(rng.integers(2, 7)), drop_last=case == 4,
                      optimizer=("sgd", "momentum", "adam")[case % 3], shuffle=case % 4 != 3,
                      l2=0.01 * (case % 2), l1=0.001 * (case % 5 == 0), average=case % 3 == 1,
                      lr=(0.02, _Optimal(0.1, 300.0), schedules.Step(0.03, 7, 0.9))[case % 3])
            cb = None if case % 5 < 2 else _LossOnly(None, int(rng.integers(1, 4)))
            # blocks: without a callback, or with one of the estimators' kind at rates known
            # ahead (a Step's may change between epochs)
            blocks = (cb is None or cb.promise > 1 and case % 3 < 2) and (case != 4 or n % b == 0)
            out = {}
            for cap in (0, core.BLOCK_ROWS):
                monkeypatch.setattr(core, "BLOCK_ROWS", cap)
                gen = np.random.default_rng(case)
                calls["epochs"] = 0
                r = mf.train(X, y, seed=gen, callback=cb and _LossOnly(None, cb.promise), **kw)
                out[cap] = (_fields(r), gen.bit_generator.state, calls["epochs"])
            assert out[0][0] == out[core.BLOCK_ROWS][0], (case, b)
            assert out[0][1] == out[core.BLOCK_ROWS][1]
            assert out[0][2] == 0 and (out[core.BLOCK_ROWS][2] > 0) == blocks
    monkeypatch.setattr(core, "BLOCK_ROWS", 1 << 16)


def test_epochs_in_one_call_same_bits_sparse_weighted_continued(monkeypatch):
    """Blocks on CSR rows (the lazy step and the dense one), with sample weights, without an
    intercept, summed batches, averaging from an update number, and a run continued from an
    earlier result's state: the same bits as a call an epoch."""
    sp = pytest.importorskip("scipy.sparse")
    from mbgd_fast import core

    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        X, y = make_problem("logistic", 70, 12, dtype=dtype, seed=4)
        X[rng.random(X.shape) < 0.6] = 0
        sw = rng.uniform(0.5, 2.0, len(y)).astype(dtype)
        for Xin, kw in ((sp.csr_matrix(X), {}), (sp.csr_matrix(X), {"l1": 0.001}),
                        (X, {"fit_intercept": False, "reduction": "sum", "average": 40}),
                        (X, {"optimizer": "nesterov", "sample_weight": sw})):
            out = []
            for cap in (0, 1 << 16):
                monkeypatch.setattr(core, "BLOCK_ROWS", cap)
                args = dict(loss="logistic", batch_size=3, lr=0.05, l2=0.01, seed=9, **kw)
                first = mf.train(Xin, y, epochs=3, **args)
                r = mf.train(Xin, y, epochs=4, init_state=first.state, **args)
                out.append((_fields(first), _fields(r)))
            assert out[0] == out[1]


def test_epochs_in_one_call_stops_and_diverges_as_one_call_an_epoch(monkeypatch):
    """A callback of the estimators' kind sees every epoch's loss in turn (its coef and
    intercept None); one that stops before it promised has its block trained again up to
    there; a divergence inside a block replays to the last finite weights: the same results
    (and DivergenceError's epoch, iteration and weights) as a call an epoch.  N = 5000 draws
    its orders from PCG64 in C (several in one call)."""
    from mbgd_fast import core

    for n in (60, 5000):
        X, y = make_problem("squared", n, 3, seed=1)
        for stop, promise in ((6, 10), (6, 7), (None, 4)):
            out = []
            for cap in (0, 1 << 16):
                monkeypatch.setattr(core, "BLOCK_ROWS", cap)
                cb = _LossOnly(stop, promise)
                r = mf.train(X, y, batch_size=4, epochs=12, seed=3, l2=0.1, callback=cb)
                out.append((_fields(r), cb.seen))
            assert out[0] == out[1]
            assert r.n_epochs == (12 if stop is None else stop + 1)
        errs = []
        for cap in (0, 1 << 16):
            monkeypatch.setattr(core, "BLOCK_ROWS", cap)
            with pytest.raises(mf.DivergenceError) as ei:
                mf.train(X * 10, y, batch_size=8, epochs=60, seed=4, l2=0.01,
                         lr=_Growing(n / 64))
            e = ei.value
            errs.append((e.epoch, e.iteration, str(e), _fields(e.result)))
        assert errs[0] == errs[1] and errs[0][0] >= 1


def test_estimator_fits_same_with_epochs_in_one_call(monkeypatch):
    """The estimators' tol rule lets train() run up to n_iter_no_change epochs a call: the
    same fitted weights and n_iter_ as a call an epoch."""
    from mbgd_fast import core
    from mbgd_fast.estimators import MBGDClassifier, MBGDRegressor

    Xc, yc = make_problem("softmax", 150, 4, seed=2, K=3)
    Xr, yr = make_problem("squared", 200, 6, seed=2)
    for make, X, y in (
        (lambda: MBGDClassifier(random_state=0, n_iter_no_change=3), Xc, yc),
        (lambda: MBGDClassifier(loss="log_loss", batch_size=4, learning_rate="invscaling",
                                eta0=0.05, random_state=1), Xc, yc),
        (lambda: MBGDRegressor(random_state=0, average=True), Xr, yr),
        (lambda: MBGDRegressor(random_state=0, tol=None, max_iter=9), Xr, yr),
    ):
        fits = []
        for cap in (0, 1 << 16):
            monkeypatch.setattr(core, "BLOCK_ROWS", cap)
            m = make().fit(X, y)
            fits.append((m.coef_.tobytes(), np.asarray(m.intercept_).tobytes(), m.n_iter_))
        assert fits[0] == fits[1]


def test_callback_and_early_stop():
    X, y = make_problem("squared", 50, 3)
    seen = []

    def cb(info):
        seen.append((info.epoch, info.n_iter, info.epoch_loss))
        return info.epoch == 2

    r = mf.train(X, y, batch_size=10, epochs=10, callback=cb)
    assert [s[0] for s in seen] == [0, 1, 2] and r.n_epochs == 3 and r.n_iter == 15


def test_progress_bar_runs(capsys):
    X, y = make_problem("squared", 50, 3)
    r = mf.train(X, y, batch_size=10, epochs=2, progress=True)
    assert r.n_iter == 10


def test_keyboard_interrupt_between_slices_returns_consistent_result():
    X, y = make_problem("squared", 64, 3)
    calls = []

    def cb(info):
        calls.append(info.epoch)
        if info.epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as ei:
        mf.train(X, y, batch_size=8, epochs=5, callback=cb)
    assert ei.value.result.n_iter == 16 and ei.value.result.n_epochs == 2


def test_epoch_order_matches_reference_and_is_uniform():
    from mbgd_fast import _native, _reference
    from mbgd_fast.core import epoch_order

    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 17, 32, 33, 65, 1000):  # the C loop swaps in blocks of 32 steps
        raw = rng.bit_generator.random_raw(n - 1)
        a, b = _native.permutation(raw), _reference.permutation(raw)
        assert a.tolist() == b.tolist() and sorted(a.tolist()) == list(range(n))
    # all 24 orders of 4 rows, equally often (chi-square, 23 dof, p ~ 1e-4 bound)
    counts = {}
    for _ in range(24000):
        key = tuple(epoch_order(rng, 4))
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 24
    chi2 = sum((c - 1000) ** 2 / 1000 for c in counts.values())
    assert chi2 < 55
    # each row lands in each position equally often: chi-square over the 2,500 cells (2,401
    # dof, sd ~69), and no cell past 7 sd (this stream's worst cell, once the draw went front
    # to back, sat at 5.4 sd with the chi-square at 2,401: one cell alone is a noisy test)
    pos = np.zeros((50, 50))
    for _ in range(5000):
        pos[np.arange(50), epoch_order(rng, 50)] += 1
    assert ((pos - 100) ** 2 / 100).sum() < 2401 + 6 * (2 * 2401) ** 0.5
    assert abs(pos - 100).max() < 70


def test_sigint_stops_a_long_fit_between_slices():
    import os
    import signal

    X, y = make_problem("squared", 200_000, 64, dtype=np.float32)
    # Python's own SIGINT handler, even where this process started with SIGINT ignored (a
    # background job of a non-interactive shell), where no KeyboardInterrupt would come
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as ei:
            # 2e8 iterations: many seconds if not stopped (and 1.6 GB of per-iteration
            # losses, not the 15 GB of 10,000 epochs, should the signal not come)
            mf.train(X, y, batch_size=1, epochs=1_000, lr=1e-3)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    res = ei.value.result
    assert 0 < res.n_iter < 1_000 * 200_000 and np.isfinite(res.coef).all()
    assert res.batch_loss.shape == (res.n_iter,)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
def test_average_is_the_mean_of_the_iterates(backend):
    X, y = make_problem("squared", 50, 4)
    kw = dict(batch_size=None, lr=0.1, shuffle=False, backend=backend)
    iterates = [mf.train(X, y, epochs=e, **kw) for e in range(1, 9)]
    r = mf.train(X, y, epochs=8, average=True, **kw)
    np.testing.assert_allclose(r.average_coef, np.mean([i.coef for i in iterates], axis=0), rtol=1e-12)
    np.testing.assert_allclose(r.average_intercept, np.mean([i.intercept for i in iterates]), rtol=1e-12)
    late = mf.train(X, y, epochs=8, average=5, **kw)  # from the 5th update on
    np.testing.assert_allclose(late.average_coef, np.mean([i.coef for i in iterates[4:]], axis=0),
                               rtol=1e-12)
    assert mf.train(X, y, epochs=2, **kw).average_coef is None


def test_eval_every_and_target_loss():
    X, y = make_problem("squared", 200, 5, seed=3)
    r = mf.train(X, y, batch_size=8, epochs=3, lr=0.02, eval_every=5)
    assert list(r.eval_iterations) == list(range(5, 76, 5))
    full = mf.gradient(X, y, r.coef, r.intercept)[0]
    assert r.eval_loss[-1] == pytest.approx(full, rel=1e-12)  # 75 = 3 epochs of 25
    target = (r.eval_loss[0] + r.eval_loss[-1]) / 2
    s = mf.train(X, y, batch_size=8, epochs=3, lr=0.02, eval_every=5, target_loss=target)
    assert s.reached_target and s.eval_loss[-1] <= target and np.all(s.eval_loss[:-1] > target)
    assert s.n_iter == s.eval_iterations[-1] < 75 and len(s.batch_loss) == s.n_iter
    np.testing.assert_array_equal(s.batch_loss, r.batch_loss[: s.n_iter])  # same path until then
    assert not mf.train(X, y, batch_size=8, epochs=1, eval_every=5, target_loss=-1.0).reached_target
    with pytest.raises(ValueError, match="target_loss needs eval_every"):
        mf.train(X, y, batch_size=8, target_loss=0.1)


@pytest.mark.parametrize("optimizer,average", [("sgd", False), ("adam", True)])
def test_trained_state_starts_on_a_cache_line(optimizer, average):
    """The weights and optimizer buffers the kernels step start on a 64-byte boundary (np.zeros
    starts a small array 16 bytes past one about half the time), and so do the state's copies
    (a diverged epoch's replay runs on one)."""
    from mbgd_fast.core import State

    X, y = make_problem("softmax", 30, 7, dtype=np.float32, K=5)
    for _ in range(8):  # np.zeros' placement varies with the heap: several draws
        r = mf.train(X, y, loss="softmax", batch_size=1, epochs=1, optimizer=optimizer,
                     average=average)
        st, names = r.state, ("theta", "buf1", "buf2", "avg") if average else ("theta",)
        bufs = [getattr(st, n) for n in names] + [getattr(st.copy(), n) for n in names]
        for a in bufs:
            assert a is not None and a.ctypes.data % 64 == 0 and a.dtype == np.float32
        np.testing.assert_array_equal(st.copy().theta, st.theta)
    z = State.zeros(mf.core.Spec(loss="squared"), 3, np.float64).theta
    assert z.shape == (4,) and not z.any() and z.ctypes.data % 64 == 0


def test_state_parts_share_one_allocation_and_not_their_values():
    """State.zeros and State.copy place theta, the optimizer buffers, the average and the carry
    in one allocation (aligned_parts): each part on a cache line, of its own length, zeros
    from zeros, the values from copy, and a write into one part leaves the others as they were."""
    from mbgd_fast._validation import aligned_parts
    from mbgd_fast.core import State, Spec

    for dtype in (np.float32, np.float64):
        st = State.zeros(Spec(loss="softmax", n_outputs=3, optimizer="adam", average_start=0), 5,
                         dtype)
        parts = (st.theta, st.buf1, st.buf2, st.avg, st.carry)
        assert all(a is not None and a.ndim == 1 and not a.any() for a in parts[:4])
        assert [a.size for a in parts[:4]] == [18] * 4 and (st.carry is not None) == (dtype == np.float32)
        for k, a in enumerate(p for p in parts if p is not None):
            a[:] = k + 1
        cp = st.copy()
        for k, (a, b) in enumerate((p, q) for p, q in zip(parts, (cp.theta, cp.buf1, cp.buf2, cp.avg, cp.carry))
                                   if p is not None):
            assert a.dtype == b.dtype == dtype and b.ctypes.data % 64 == 0 and a.ctypes.data % 64 == 0
            assert b.shape == a.shape and np.all(b == k + 1) and np.all(a == k + 1)
        cp.theta[:] = -1  # the copy's parts are its own
        assert np.all(st.theta == 1) and np.all(cp.buf1 == 2)
    got = aligned_parts((3, None, 17, 1), np.float64, zero=True)
    assert got[1] is None and [a.size for a in (got[0], got[2], got[3])] == [3, 17, 1]
    assert all(a.ctypes.data % 64 == 0 and not a.any() for a in (got[0], got[2], got[3]))


def test_seeded_generators_match_default_rng():
    """train()'s generators for int seeds (core._RNGS: a seed's first state kept, a PCG64 of an
    earlier call set to it) draw what np.random.default_rng(seed) draws, whatever was taken and
    given back before; other seeds go to default_rng as they are."""
    from mbgd_fast.core import _SeededGenerators

    pool = _SeededGenerators()
    for seed in (0, 5, 0, 2**40, 5, 0):
        g, pcg = pool.take(seed)
        want = np.random.default_rng(seed)
        assert g.bit_generator is pcg and g.bit_generator.state == want.bit_generator.state
        assert g.integers(0, 1 << 62, 50).tolist() == want.integers(0, 1 << 62, 50).tolist()
        g.random(3)  # given back part-way, with a 32-bit word held
        g.integers(0, 5, 1, dtype=np.uint32)
        pool.give(pcg)
    ss = np.random.SeedSequence(4)
    for seed in (None, ss, np.int64(3), [1, 2]):
        g, pcg = pool.take(seed)
        assert pcg is None
    assert pool.take(ss)[0].random() == np.random.default_rng(np.random.SeedSequence(4)).random()
    with pytest.raises(ValueError):
        pool.take(-1)
    X, y = make_problem("squared", 300, 4)
    runs = [mf.train(X, y, batch_size=8, epochs=2, seed=s) for s in (3, 4, 3, 3)]
    assert runs[0].coef.tobytes() == runs[2].coef.tobytes() == runs[3].coef.tobytes()
    assert runs[0].coef.tobytes() != runs[1].coef.tobytes()


def test_pcg64_first_state_is_numpys():
    """A new int seed's first state computed in C (SeedSequence's hash of the seed's 32-bit
    words, PCG64's set-up) is NumPy's PCG64(seed).state: seeds of one word to seven (more than
    the pool's four: the last mixing loop), the words' edges, and a run of partial_fit-like
    seeds through the pool."""
    from mbgd_fast._native import pcg64_first_state
    from mbgd_fast.core import _SeededGenerators

    rng = np.random.default_rng(11)
    seeds = [0, 1, 2**32 - 1, 2**32, 2**32 + 1, 2**64 - 1, 2**96 + 7, 2**127, 2**128 - 1,
             2**160 + 3, 2**200 + 2**31]
    seeds += [int(rng.integers(0, 2**62)) >> int(rng.integers(0, 62)) for _ in range(40)]
    for seed in seeds:
        assert pcg64_first_state(seed) == np.random.PCG64(seed).state, seed
    pool = _SeededGenerators()
    pool.give(pool.take(0)[1])
    for seed in range(1000, 1040):
        g, pcg = pool.take(seed)
        want = np.random.default_rng(seed)
        assert g.integers(0, 1 << 62, 20).tolist() == want.integers(0, 1 << 62, 20).tolist()
        pool.give(pcg)


@pytest.mark.parametrize("b", [2, 5])
@pytest.mark.parametrize("d", [7, 37, 256])
def test_small_batch_divergence_found_at_the_step_that_overflows(d, b):
    """A batch of one group (plain SGD, no penalty: the small path) checks its new weights
    after the step: a step that overflows a weight while the batch's loss is finite ends
    training at that iteration, as the NumPy twin says, not one later (P = 8, 38 and 257:
    the probe's scalar tail alone, and its 32 lanes with a tail)."""
    X, y = make_problem("squared", 40, d, dtype=np.float32, seed=d)
    X = X * np.float32(1e19)  # the first loss is finite (z = 0); its step, about 1e40, is not
    assert diverging_iterations(X, y, batch_size=b, epochs=1, lr=1e21) == [0, 0]


@pytest.mark.parametrize("isa", ["generic", None])
@pytest.mark.parametrize("K", [8, 10, 11])
@pytest.mark.parametrize("d", [7, 37, 256])
def test_softmax_b1_divergence_found_at_the_step_that_overflows(d, K, isa, monkeypatch):
    """The b = 1 softmax step (l2 = 0) checks its new weights in the same pass: a step that
    overflows a weight ends training at that iteration, as the NumPy twin says, not one later
    when the next row's scores turn non-finite (rows of every tail past vectors of 8 and 16;
    outputs stepped four, two and one at a time)."""
    if isa:
        monkeypatch.setenv("MBGD_FAST_ISA", isa)
    X, y = make_problem("softmax", 40, d, dtype=np.float32, seed=d, K=K)
    X = X * np.float32(1e19)
    # the first step: lr c x is about 1e39
    assert diverging_iterations(X, y, loss="softmax", batch_size=1, epochs=1, lr=1e21) == [0, 0]


@pytest.mark.parametrize("scale", [1e19, 1e18])
@pytest.mark.parametrize("d", [100, 200, 256])
def test_softmax_b1_fused_pass_diverges_where_the_twin_does(d, scale, monkeypatch):
    """The b = 1 softmax steps one at a time (MBGD_FAST_SM_BLOCK=0, or d not a multiple of 16)
    take each step and the next row's scores in one pass, whose probe of the stepped weights
    is 0 without reading them again when every next score is finite.  Rows near 1e19 with lr
    1e21: the first step makes weights not finite, and training ends at that iteration; rows
    near 1e18 with lr 1e3: the weights stay finite (about 1e21) while the next row's scores
    overflow, and training ends an iteration later, when those scores are used.  Each as the
    NumPy twin says, with the last finite weights that the steps one at a time give."""
    if d == 256:
        monkeypatch.setenv("MBGD_FAST_SM_BLOCK", "0")
    X, y = make_problem("softmax", 40, d, dtype=np.float32, seed=d, K=10)
    X = X * np.float32(scale)
    lr = 1e21 if scale == 1e19 else 1e3
    its = diverging_iterations(X, y, loss="softmax", batch_size=1, epochs=1, lr=lr)
    assert its[0] == its[1] == (0 if scale == 1e19 else 1)
    with pytest.raises(mf.DivergenceError) as ei:
        mf.train(X, y, loss="softmax", batch_size=1, epochs=1, lr=lr, seed=0)
    res = ei.value.result
    assert np.isfinite(res.coef).all() and np.isfinite(res.intercept).all()


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("case", ["b1", "b4", "team", "softmax", "diverge"])
def test_kernel_draws_the_order_it_trains_on(case, n_threads):
    """train_slice(draw=bit_generator) writes the order epoch_order gives from the same
    generator state into rows, leaves the generator where epoch_order does, and trains to the
    bits of drawing first: on two threads a second one draws while the first trains on the
    order's front (b = 1 with the weights in registers, b = 4 on the small path, softmax), or
    until it is drawn, then as a team (b = 256 at d = 256).  A slice over part of the epoch,
    and one that diverges, still leave the whole order."""
    from mbgd_fast._native import Diverged, NativeKernel
    from mbgd_fast.core import Spec, State, epoch_order

    loss = "softmax" if case == "softmax" else "squared"
    n, d, b = {"team": (3000, 256, 256), "b4": (20000, 16, 4)}.get(case, (20000, 16, 1))
    X, y = make_problem(loss, n, d, dtype=np.float32, seed=7)
    lr = 0.01
    if case == "diverge":
        X = X * np.float32(1e19)  # the first step overflows a weight
        lr = 1e21
    spec = Spec(loss=loss, n_outputs=3 if loss == "softmax" else 1, n_threads=n_threads)
    kern = NativeKernel(spec, X, y)
    n_iter = (n // b) * 3 // 4  # a slice over the first three quarters of the epoch
    starts = np.arange(n_iter + 1, dtype=np.int64) * b
    out = []
    for draw in (False, True):
        rng = np.random.default_rng(11)
        state = State.zeros(spec, d, np.float32)
        rows = np.empty(n, dtype=np.int64) if draw else epoch_order(rng, n, None, n_threads)
        losses_ = np.zeros(n_iter)
        try:
            kern.train_slice(state, rows, starts, np.full(n_iter, lr), losses_,
                             **({"draw": rng.bit_generator} if draw else {}))
            done = n_iter
        except Diverged as e:
            done = e.n_done
        out.append((rows, rng.bit_generator.state, state.theta.tobytes(), losses_[:done].tobytes(), done))
    (ra, ga, ta, la, da), (rb, gb, tb, lb, db) = out
    assert rb.tolist() == ra.tolist() and gb == ga
    assert (tb, lb, db) == (ta, la, da)
    assert (da == 0) == (case == "diverge")


@pytest.mark.parametrize("loss", ["squared", "softmax"])
def test_the_team_takes_over_in_the_draws_region_or_a_second_one_with_the_same_bits(loss, monkeypatch):
    """A shuffled epoch on two threads whose batches split into groups: the first thread trains
    alone while the second draws the order, then both as a team, in the same parallel region
    (MBGD_FAST_TEAM_IN_PLACE unset or 1) or in a second one (0).  Every bit equals one
    thread's either way, over several epochs, a last batch cut short, L2 in phase B's norms,
    and a run that diverges stops at the same iteration with the same weights."""
    for d, b in ((16, 4096), (64, 1000), (256, 256)):
        X, y = make_problem(loss, 9001, d, dtype=np.float32, seed=d)
        kw = dict(loss=loss, batch_size=b, epochs=3, lr=0.01, l2=1e-4, seed=3)
        one = mf.train(X, y, n_threads=1, **kw)
        for in_place in ("1", "0"):
            monkeypatch.setenv("MBGD_FAST_TEAM_IN_PLACE", in_place)
            two = mf.train(X, y, n_threads=2, **kw)
            assert two.coef.tobytes() == one.coef.tobytes(), (d, b, in_place)
            assert two.batch_loss.tobytes() == one.batch_loss.tobytes(), (d, b, in_place)
        monkeypatch.delenv("MBGD_FAST_TEAM_IN_PLACE")
    X, y = make_problem("squared", 9001, 256, dtype=np.float32, seed=4)
    X[7000] = 3e18  # finite, but its step overflows the weights
    got = []
    for threads, in_place in ((1, "1"), (2, "1"), (2, "0")):
        monkeypatch.setenv("MBGD_FAST_TEAM_IN_PLACE", in_place)
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X, y, batch_size=512, epochs=2, lr=0.01, seed=1, n_threads=threads)
        got.append((ei.value.iteration, ei.value.result.state.theta.tobytes()))
    assert got[1] == got[0] and got[2] == got[0]


def test_sparse_b1_on_two_threads_draws_first_same_bits():
    sp = pytest.importorskip("scipy.sparse")
    X, y = make_problem("squared", 3000, 40, dtype=np.float32, seed=2)
    X[np.abs(X) < 1.0] = 0
    Xs = sp.csr_matrix(X)
    one, two = (mf.train(Xs, y, batch_size=1, epochs=2, lr=0.01, n_threads=t, seed=5) for t in (1, 2))
    assert two.coef.tobytes() == one.coef.tobytes()
    assert two.batch_loss.tobytes() == one.batch_loss.tobytes()


def test_seq_sum_adds_in_turn():
    from mbgd_fast.core import seq_sum

    rng = np.random.default_rng(3)
    # magnitudes far apart, where a pairwise sum (ndarray.sum) ends on other bits
    a = rng.standard_normal(5000) * 10.0 ** rng.integers(-8, 9, 5000)
    want = 0.25
    for v in a:
        want = want + float(v)
    assert seq_sum(0.25, a) == want
    assert seq_sum(1.5, a[:0]) == 1.5
    assert seq_sum(0.0, a[:1]) == float(a[0])
    # in pieces, each from the last one's sum: the same bits
    got = 0.25
    for lo, hi in [(0, 1), (1, 700), (700, 701), (701, 5000)]:
        got = seq_sum(got, a[lo:hi])
    assert got == want


def _kernel_sum_cases():
    # (loss, K, n, d, b, threads, dtype, sparse): b = 1 in registers (direct_run), on 2 threads
    # with the packer, batches of 2-4 rows in registers (small_run), a team, softmax at b = 1
    # and in batches (iterate_alone), float64, CSR (train_lazy)
    return [("squared", 1, 3000, 16, 1, 1, np.float32, False),
            ("squared", 1, 3000, 16, 1, 2, np.float32, False),
            ("squared", 1, 3000, 12, 3, 2, np.float32, False),
            ("squared", 1, 3000, 256, 256, 2, np.float32, False),
            ("logistic", 1, 3000, 16, 1, 2, np.float32, False),
            ("softmax", 3, 2000, 40, 1, 1, np.float32, False),
            ("softmax", 3, 2000, 40, 7, 2, np.float32, False),
            ("squared", 1, 2000, 20, 5, 2, np.float64, False),
            ("squared", 1, 2000, 30, 4, 1, np.float32, True)]


@pytest.mark.parametrize("case", _kernel_sum_cases())
@pytest.mark.parametrize("draw", [False, True])
def test_kernel_sums_its_batch_losses_in_turn(case, draw):
    """train_slice's running sum is seq_sum of the losses it wrote, from the sum given, on every
    path that writes them, drawing its order or not; a slice split into calls ends on its bits."""
    from mbgd_fast._validation import check_X
    from mbgd_fast.core import epoch_order, seq_sum

    loss, K, n, d, b, t, dtype, sparse = case
    X, y = make_problem(loss, n, d, dtype=dtype, seed=4)
    if sparse:
        sp = pytest.importorskip("scipy.sparse")
        X[np.abs(X) < 1.0] = 0
        X = check_X(sp.csr_matrix(X), accept_sparse=True)  # as train() hands it on
    spec = Spec(loss=loss, n_outputs=K, n_threads=t)
    kern = NativeKernel(spec, X, y)
    n_iter = -(-n // b)
    starts = np.minimum(np.arange(n_iter + 1, dtype=np.int64) * b, n)
    lr = np.full(n_iter, 0.01)
    rng = np.random.default_rng(9)
    state = State.zeros(spec, d, dtype)
    losses = np.zeros(n_iter)
    if draw and not sparse:
        rows = np.empty(n, dtype=np.int64)
        got = kern.train_slice(state, rows, starts, lr, losses, draw=rng.bit_generator,
                               loss_sum=0.125)
    else:
        rows = epoch_order(rng, n, None, t)
        got = kern.train_slice(state, rows, starts, lr, losses, loss_sum=0.125)
    assert np.isfinite(losses).all()
    assert got == seq_sum(0.125, losses)
    # the same iterations in three calls, each from the last one's sum
    state = State.zeros(spec, d, dtype)
    parts, acc = np.zeros(n_iter), 0.125
    for lo, hi in [(0, 1), (1, n_iter // 2), (n_iter // 2, n_iter)]:
        acc = kern.train_slice(state, rows, starts[lo : hi + 1], lr[lo:hi], parts[lo:hi],
                               loss_sum=acc)
    assert parts.tobytes() == losses.tobytes() and acc == got


@pytest.mark.parametrize("b,t", [(1, 2), (3, 1), (64, 2)])
def test_epoch_loss_is_the_losses_summed_in_turn(b, t):
    from mbgd_fast.core import seq_sum

    X, y = make_problem("squared", 3000, 16, dtype=np.float32, seed=6)
    r = mf.train(X, y, batch_size=b, epochs=3, lr=0.01, n_threads=t)
    ipe = r.iters_per_epoch
    want = [seq_sum(0.0, r.batch_loss[e * ipe : (e + 1) * ipe]) / ipe for e in range(3)]
    assert r.epoch_loss.tolist() == want


@pytest.mark.parametrize("n", [2, 3, 1024, 1025, 1026, 5121, 16384, 16385, 40000])
@pytest.mark.parametrize("b", [1, 64])
@pytest.mark.parametrize("share", ["1", "0"])
def test_order_drawn_beside_the_training_is_the_epochs_order(n, b, share, monkeypatch):
    """Drawn by the second thread while the first trains: at b = 1 the identity it starts from
    written by both (fy_init's blocks of 16,384), its front published after 1,024 steps and then
    every 4,096; with MBGD_FAST_FY_SHARE=0, and in larger batches, by the drawing thread alone,
    its front published every 4,096.  The order and the generator's state are epoch_order's,
    whatever n."""
    from mbgd_fast.core import epoch_order

    monkeypatch.setenv("MBGD_FAST_FY_SHARE", share)
    X, y = make_problem("squared", n, 16, dtype=np.float32, seed=8)
    spec = Spec(loss="squared", n_threads=2)
    kern = NativeKernel(spec, X, y)
    n_iter = -(-n // b)
    starts = np.minimum(np.arange(n_iter + 1, dtype=np.int64) * b, n)
    for seed in range(3):
        want_rng = np.random.default_rng(seed)
        want = epoch_order(want_rng, n, None, 1)
        rng = np.random.default_rng(seed)
        rows = np.full(n, -1, dtype=np.int64)
        kern.train_slice(State.zeros(spec, 16, np.float32), rows, starts, np.full(n_iter, 1e-3),
                         np.empty(n_iter), draw=rng.bit_generator)
        assert rows.tolist() == want.tolist()
        assert rng.bit_generator.state == want_rng.bit_generator.state
