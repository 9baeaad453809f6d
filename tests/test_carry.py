"""b = 1 runs with the weights in registers (float32, AVX2 / AVX-512, d = 1 to 32) take each
z ahead of the previous step and hand the next kernel call a carry (csrc/mbgd.h, "The
carry"): where train() splits a run into calls (evaluation and checkpoint points, out-of-core
buffers, epochs, continued states) must not change its bits."""
import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import _native
from mbgd_fast._native import NativeKernel
from mbgd_fast.core import Spec, State

from conftest import make_problem, placed


def run_on(isa, monkeypatch):
    monkeypatch.setenv("MBGD_FAST_ISA", isa)
    if _native.isa() != isa:
        pytest.skip(f"this CPU does not run {isa}")


def set_env(monkeypatch, name, value):
    """name set to value, or unset when value is None."""
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)


def same_bits(a, b):
    assert a.state.theta.tobytes() == b.state.theta.tobytes()
    assert a.batch_loss.tobytes() == b.batch_loss.tobytes()


def splits_keep_bits(X, y, path, tmp_path, whole, kw, more=()):
    """train(X, y, **kw) split into calls (evaluation points, each of ``more``, buffers of an
    out-of-core X saved at ``path``, a resumed checkpoint, epochs as separate calls) gives the
    bits of ``whole``, the run in one call per epoch."""
    same_bits(mf.train(X, y, eval_every=7, **kw), whole)  # calls of 7 iterations
    for every in more:
        same_bits(mf.train(X, y, eval_every=every, **kw), whole)
    same_bits(mf.train(path, y, buffer_size=5, **kw), whole)  # buffers of 5 rows
    ck = tmp_path / "ck.npz"

    def stop(info):
        if info.epoch == 1:
            raise KeyboardInterrupt  # the last checkpoint is mid-epoch 1

    with pytest.raises(KeyboardInterrupt):
        mf.train(X, y, checkpoint=ck, checkpoint_every=11, callback=stop, **kw)
    same_bits(mf.train(X, y, resume=ck, **kw), whole)
    # epochs as separate calls (rows in order: each call draws its own orders)
    kw = dict(kw, shuffle=False)
    three = mf.train(X, y, **kw)
    kw.update(epochs=1)
    first = mf.train(X, y, **kw)
    second = mf.train(X, y, init_state=first.state, **kw)
    third = mf.train(X, y, init_state=second.state, **kw)
    assert third.state.theta.tobytes() == three.state.theta.tobytes()


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("d", [1, 7, 8, 13, 16, 20, 24, 31, 32])
def test_a_run_split_into_calls_anywhere_gives_the_same_bits(d, isa, monkeypatch, tmp_path):
    run_on(isa, monkeypatch)
    path = tmp_path / "X.npy"
    for loss in ("squared", "hinge", "logistic"):
        X, y = make_problem(loss, 61, d, dtype=np.float32, seed=d)
        np.save(path, X)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=61)
        for fit_intercept, weights in ((True, None), (False, sw)):
            kw = dict(loss=loss, batch_size=1, epochs=3, lr=0.02, seed=d,
                      fit_intercept=fit_intercept, sample_weight=weights)
            whole = mf.train(X, y, **kw)  # one kernel call per epoch
            assert whole.state.carry[-1] == 1  # the last call left a carry
            splits_keep_bits(X, y, path, tmp_path, whole, kw)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_a_carry_is_not_taken_once_theta_has_changed(isa, monkeypatch):
    # local SGD averages theta between calls: the carry's weights are then not theta's, and
    # the next call must start its run from z = w x + b, as with no carry at all
    run_on(isa, monkeypatch)
    X, y = make_problem("squared", 40, 16, dtype=np.float32, seed=3)
    assert_a_changed_theta_drops_the_carry(Spec(loss="squared"), X, y, 20, 0.01)


def assert_a_changed_theta_drops_the_carry(spec, X, y, first, lr):
    """Two kernel calls over X's rows in order (the first `first` iterations, then the rest,
    b = 1), theta changed between them: the same bits whether the carry the first left is
    kept or zeroed (the second call must not take it)."""
    n, d = X.shape
    k = NativeKernel(spec, X, y)
    rows, starts, lrs = np.arange(n, dtype=np.int64), np.arange(n + 1, dtype=np.int64), np.full(n, lr)
    P = spec.n_outputs * (d + 1)

    def two_calls(drop_carry):
        st = State.zeros(spec, d, np.float32)
        k.train_slice(st, rows, starts[: first + 1], lrs[:first], np.empty(first))
        assert st.carry[3 * P] == 1  # a carry left (for softmax, a block open)
        st.theta[0] += np.float32(0.5)
        if drop_carry:
            st.carry[:] = 0
        k.train_slice(st, rows, starts[first:], lrs[first:], np.empty(n - first))
        return st.theta.tobytes()

    assert two_calls(False) == two_calls(True)


def test_an_open_softmax_block_is_not_taken_once_theta_has_changed(monkeypatch):
    # as for K = 1: local SGD averages theta between calls, and the next call must then start
    # a fresh block from theta, as with no carry at all
    run_on("avx512", monkeypatch)
    X, y = make_problem("softmax", 42, 16, dtype=np.float32, seed=3, K=3)
    assert_a_changed_theta_drops_the_carry(Spec(loss="softmax", n_outputs=3), X, y, 21, 0.05)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("d", [16, 48])
def test_z_ahead_that_overflows_is_taken_as_w_x_plus_b(d, isa, monkeypatch):
    # x x' of rows near 1e19 overflows float32 while w x stays finite (a tiny lr): such a z
    # is taken as w x + b (d = 48: in a block, after the steps pending are applied), so
    # training goes on as the NumPy twin does, no divergence
    run_on(isa, monkeypatch)
    X, y = make_problem("hinge", 40, d, dtype=np.float32, seed=4)
    X = X * np.float32(3e19)
    kw = dict(loss="hinge", batch_size=1, epochs=2, lr=1e-40, seed=4)
    got, ref = mf.train(X, y, backend="cpu", **kw), mf.train(X, y, backend="numpy", **kw)
    assert np.isfinite(got.batch_loss).all() and got.n_iter == 80
    np.testing.assert_allclose(got.batch_loss, ref.batch_loss, rtol=1e-4)
    np.testing.assert_allclose(got.coef, ref.coef, rtol=1e-4, atol=1e-30)


def test_only_short_float32_single_output_states_carry():
    spec = Spec(loss="squared")
    assert State.zeros(spec, 32, np.float32).carry.shape == (3 * 33 + 1,)
    assert State.zeros(spec, 33, np.float32).carry is None
    assert State.zeros(spec, 16, np.float64).carry is None
    # softmax with 2 to 16 classes, float32: the softmax carry (runs in blocks)
    sm = Spec(loss="softmax", n_outputs=3)
    assert State.zeros(sm, 8, np.float32).carry.shape == (_native.carry_size(8, 3),)
    assert _native.carry_size(8, 3) == 160 + 4 * 8  # the rows from 3 P + 2 + 64 rounded up to 16
    assert State.zeros(sm, 8, np.float64).carry is None
    assert State.zeros(Spec(loss="softmax", n_outputs=17), 8, np.float32).carry is None


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("d", [7, 13, 16])
def test_a_small_batch_gives_the_same_bits_on_either_path(d, isa, monkeypatch):
    # batches of 4,096 rows (a team on 2 threads) and of 1 or 3 rows, in turn: in one call
    # thread 0 runs each small batch as the team's path does (iterate_alone); in a call of its
    # own a small batch runs with the weights in registers (direct_run at one row, small_run at
    # three; the row's last vector masked when d is not a multiple of 8); both must give the
    # same bits, or where train() splits an epoch would change them
    run_on(isa, monkeypatch)
    sizes = [4096, 1, 4096, 3] * 6
    n = sum(sizes)
    X, y = make_problem("squared", n, d, dtype=np.float32, seed=d)
    spec = Spec(loss="squared", n_threads=2)
    k = NativeKernel(spec, X, y)
    rows = np.random.default_rng(d).permutation(n).astype(np.int64)
    starts = np.cumsum([0] + sizes).astype(np.int64)
    lr = np.full(len(sizes), 0.02)
    one, each = State.zeros(spec, d, np.float32), State.zeros(spec, d, np.float32)
    loss_one, loss_each = np.empty(len(sizes)), np.empty(len(sizes))
    k.train_slice(one, rows, starts, lr, loss_one)
    for t in range(len(sizes)):
        k.train_slice(each, rows, starts[t : t + 2], lr[t : t + 1], loss_each[t : t + 1])
    assert one.theta.tobytes() == each.theta.tobytes()
    assert loss_one.tobytes() == loss_each.tobytes()


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("d", [5, 8, 16, 32])
def test_rows_fitted_exactly_give_the_same_bits_on_either_path(d, isa, monkeypatch):
    # y = X w exactly in float32: once the weights fit, many rows end with r = z - y exactly 0,
    # where direct_run keeps the weights by a blend rather than a branch (squared loss); its
    # bits must stay those of the steps one call at a time (iterate_alone, which skips a step
    # whose c is 0), and near the NumPy twin's
    run_on(isa, monkeypatch)
    rng = np.random.default_rng(d)
    n = 6000
    X = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal(d).astype(np.float32)
    y = np.array([np.float32(X[i] @ w) for i in range(n)], dtype=np.float32) + np.float32(0.5)
    spec = Spec(loss="squared", n_threads=1)
    k = NativeKernel(spec, X, y)
    rows = rng.permutation(n).astype(np.int64)
    starts = np.arange(n + 1, dtype=np.int64)
    lr = np.full(n, 0.25 / d)
    one, each = State.zeros(spec, d, np.float32), State.zeros(spec, d, np.float32)
    loss_one, loss_each = np.empty(n), np.empty(n)
    k.train_slice(one, rows, starts, lr, loss_one)
    for t in range(n):
        k.train_slice(each, rows, starts[t : t + 2], lr[t : t + 1], loss_each[t : t + 1])
    assert np.mean(loss_one == 0) > 0.05  # the rows this test is about
    assert one.theta.tobytes() == each.theta.tobytes()
    assert loss_one.tobytes() == loss_each.tobytes()
    kw = dict(loss="squared", batch_size=1, epochs=1, lr=0.25 / d, shuffle=False)
    got, ref = mf.train(X, y, **kw), mf.train(X, y, backend="numpy", **kw)
    np.testing.assert_allclose(got.coef, ref.coef, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_rows_packed_by_a_second_thread_give_one_threads_bits(isa, monkeypatch):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")  # these paths, not the relay's legs
    # on two threads a b = 1 run in registers of at least 16,384 rows (d up to 32 but 8) has
    # its rows, their y and the products x_s x_{s+1} packed by the second thread (mbgd_pack,
    # after it draws the order when it does); the trainer takes them where they are ready
    # and loads the rows itself where not: one thread's bits either way, for drawn and given
    # orders, calls split mid-run (eval_every: the carry; a packed call that starts at row
    # 20,000), and a run that diverges
    run_on(isa, monkeypatch)
    n = 40000
    for d in (3, 12, 16, 20, 32):
        for loss in ("squared", "hinge", "huber"):
            X, y = make_problem(loss, n, d, dtype=np.float32, seed=d)
            for extra in ({}, {"shuffle": False}, {"fit_intercept": False}, {"eval_every": 30001},
                          {"eval_every": 20000}):
                kw = dict(loss=loss, batch_size=1, epochs=2, lr=0.01, seed=d, **extra)
                one = mf.train(X, y, n_threads=1, **kw)
                for mode in ("2", "1"):  # packing whatever the cores' handoff takes; the default
                    monkeypatch.setenv("MBGD_FAST_PACK", mode)
                    same_bits(mf.train(X, y, n_threads=2, **kw), one)
    X, y = make_problem("squared", n, 16, dtype=np.float32, seed=5)
    X[25000] = 3e18  # finite, but its step overflows the weights: divergence at that row
    got = []
    monkeypatch.setenv("MBGD_FAST_PACK", "2")
    for threads in (1, 2):
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X, y, batch_size=1, epochs=1, lr=0.01, shuffle=False, n_threads=threads)
        got.append((ei.value.iteration, ei.value.result.state.theta.tobytes()))
    assert got[0] == got[1] and got[0][0] in (25000, 25001)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_batches_of_several_groups_in_registers_give_the_teams_bits(isa, monkeypatch):
    # a batch of two or more groups (d = 16 from b = 1024 on) runs with w in registers on one
    # thread (small_run), its groups' sums added as the team's tree; given orders on 2 threads
    # run it as a team (phase A and B, phase A with w in registers too); drawn orders on 2
    # threads in registers on one thread while the second thread draws, then as a team (the
    # handover mid-slice): the same bits every way, for group counts 2 to 16 (odd ones too),
    # a last batch cut short, and a run that diverges at the same batch
    run_on(isa, monkeypatch)
    n = 20000
    for d in (3, 8, 16, 20, 24, 28, 32):
        for loss in ("squared", "hinge", "huber", "logistic"):
            X, y = make_problem(loss, n, d, dtype=np.float32, seed=d)
            sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
            for b, extra in ((1024, {}), (3000, {"sample_weight": sw}),
                             (4096, {"fit_intercept": False}), (9000, {})):
                kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.02, seed=d, **extra)
                for shuffle in (False, True):
                    one = mf.train(X, y, n_threads=1, shuffle=shuffle, **kw)
                    same_bits(mf.train(X, y, n_threads=2, shuffle=shuffle, **kw), one)
    X, y = make_problem("squared", n, 16, dtype=np.float32, seed=5)
    X[12345] = 3e18  # finite, but its step overflows the weights: divergence in its batch
    got = []
    for threads in (1, 2):
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X, y, batch_size=2048, epochs=1, lr=0.01, shuffle=False, n_threads=threads)
        got.append((ei.value.iteration, ei.value.result.state.theta.tobytes()))
    assert got[0] == got[1] and got[0][0] in (12345 // 2048, 12345 // 2048 + 1)


def test_batches_of_several_groups_in_registers_match_the_numpy_twin():
    # the same runs against the slow twin (float32 tolerance): what the sanitizer build checks
    # (at its -O1 the team's C loops and small_run's vectors round apart: no bit equality)
    n = 12000
    for d in (3, 16, 24):
        X, y = make_problem("squared", n, d, dtype=np.float32, seed=d)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
        for b, extra in ((1024, {}), (3000, {"sample_weight": sw}), (5000, {"fit_intercept": False})):
            kw = dict(batch_size=b, epochs=2, lr=0.05, seed=d, **extra)
            ref = mf.train(X, y, backend="numpy", **kw)
            for threads in (1, 2):
                got = mf.train(X, y, n_threads=threads, **kw)
                np.testing.assert_allclose(got.batch_loss, ref.batch_loss, rtol=1e-4)
                np.testing.assert_allclose(got.coef, ref.coef, rtol=1e-4, atol=1e-6)
                np.testing.assert_allclose(got.intercept, ref.intercept, rtol=1e-4, atol=1e-6)


def sm_blocks(monkeypatch, on):
    monkeypatch.setenv("MBGD_FAST_SM_BLOCK", "1" if on else "0")


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("d,K", [(16, 2), (16, 3), (32, 16), (48, 5), (256, 10)])
def test_a_softmax_run_in_blocks_split_into_calls_anywhere_gives_the_same_bits(d, K, isa,
                                                                             monkeypatch,
                                                                             tmp_path):
    # b = 1 softmax steps applied four at a time, each score corrected for the steps pending
    # (csrc/mbgd.h, "The softmax carry"): where train() splits a run into calls must not
    # change its bits, blocks left open by a call going on in the next
    run_on(isa, monkeypatch)
    sm_blocks(monkeypatch, True)
    path = tmp_path / "X.npy"
    n = 61  # not a multiple of the block: blocks run across epochs and calls
    X, y = make_problem("softmax", n, d, dtype=np.float32, seed=d + K, K=K)
    np.save(path, X)
    sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
    P = K * (d + 1)
    for fit_intercept, weights in ((True, None), (False, sw)):
        kw = dict(loss="softmax", batch_size=1, epochs=3, lr=0.05, seed=d,
                  fit_intercept=fit_intercept, sample_weight=weights)
        whole = mf.train(X, y, **kw)  # one kernel call per epoch
        assert whole.state.carry[3 * P] == 1 and whole.state.carry[3 * P + 1] == 3 * n % 4
        splits_keep_bits(X, y, path, tmp_path, whole, kw, more=(1,))  # and calls of one
        # on two threads (the order drawn beside the training): one thread's bits
        same_bits(mf.train(X, y, n_threads=2, **kw), whole)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,d,K", [(2, 16, 2), (3, 16, 3), (7, 64, 4), (45, 32, 10), (130, 256, 16),
                                   (13, 256, 10)])
def test_softmax_runs_in_blocks_match_the_numpy_twin(n, d, K, dtype, isa, monkeypatch):
    # the blocks (float32, AVX2 or AVX-512; float64 takes each step as it comes) against the NumPy
    # twin's steps one at a time, and against the steps one at a time in C
    # (MBGD_FAST_SM_BLOCK=0): n of 2, 3, a count that no block divides, and more; odd n with
    # a rate that changes every step
    X, y = make_problem("softmax", n, d, dtype=dtype, seed=n + d, K=K)
    run_on(isa, monkeypatch)
    lr = mf.schedules.InvScaling(0.05, power_t=0.5) if n % 2 else 0.05
    kw = dict(loss="softmax", batch_size=1, epochs=3, lr=lr, seed=n)
    sm_blocks(monkeypatch, True)
    got = mf.train(X, y, backend="cpu", **kw)
    ref = mf.train(X, y, backend="numpy", **kw)
    sm_blocks(monkeypatch, False)
    each = mf.train(X, y, backend="cpu", **kw)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for other in (ref, each):
        np.testing.assert_allclose(got.coef, other.coef, rtol=tol, atol=tol)
        np.testing.assert_allclose(got.intercept, other.intercept, rtol=tol, atol=tol)
        np.testing.assert_allclose(got.batch_loss, other.batch_loss, rtol=tol, atol=tol)
    if dtype == np.float32 and n % 4:
        # the run ended inside a block: the blocks ran
        assert got.state.carry[3 * K * (d + 1)] == 1


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("seed", [5, 6, 7, 8, 9])
@pytest.mark.parametrize("lr", [2e38, 3e38])
def test_softmax_runs_in_blocks_diverge_where_steps_one_at_a_time_do(lr, seed, isa, monkeypatch):
    # weights or losses that overflow inside a block (at iterations 5 to 84 here): the same
    # iteration as the steps one at a time give (a block's steps that made a weight not
    # finite are found by replaying its terms one at a time), and the same last weights
    run_on(isa, monkeypatch)
    X, y = make_problem("softmax", 50, 16, dtype=np.float32, seed=seed, K=4)
    X = X * np.float32(0.1)
    kw = dict(loss="softmax", batch_size=1, epochs=3, lr=lr, seed=seed)
    assert_blocks_diverge_as_steps(X, y, kw, lambda on: sm_blocks(monkeypatch, on))


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("d,K", [(16, 6), (64, 10), (100, 7), (256, 10), (256, 16), (1024, 10),
                                 (1040, 10), (256, 3)])
def test_softmax_blocks_rows_copied_onto_a_line_same_bits(d, K, n_threads, monkeypatch):
    # the AVX-512 float32 softmax blocks copy their four rows onto a line in the first scores
    # pass (K > 5, d <= 1024) and read the copies after it: the same bits as every pass
    # reading the rows where they are (MBGD_FAST_SM_COPY=0), at b = 4, 7 (a block and three
    # rows left), 256, with sample weights and without intercepts; rows off a line and on one
    run_on("avx512", monkeypatch)
    X0, y = make_problem("softmax", 600, d, dtype=np.float32, seed=d + K, K=K)
    sw = np.random.default_rng(d).uniform(0.5, 2.0, size=600)
    for off in (16, 0):  # NumPy's placement of a large X, and on a line
        X = placed(X0, off)
        assert X.ctypes.data % 64 == off
        for b, kw in ((4, {}), (7, dict(sample_weight=sw)), (256, dict(fit_intercept=False))):
            runs = []
            for on in ("0", "1"):
                monkeypatch.setenv("MBGD_FAST_SM_COPY", on)
                runs.append(mf.train(X, y, loss="softmax", batch_size=b, epochs=2, lr=0.05,
                                     seed=b, n_threads=n_threads, **kw))
            same_bits(*runs)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("n,d,K", [(2, 16, 2), (61, 16, 3), (45, 32, 10), (9, 48, 5), (13, 256, 10),
                                   (130, 256, 16), (20000, 64, 10)])
def test_softmax_blocks_take_the_next_pass_early_with_the_same_bits(n, d, K, isa, monkeypatch):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")  # these paths, not the relay's legs
    # the blocks (AVX2, and AVX-512 since session 75) take each row's pass amid the step of
    # the row before, unless that step fills its block (MBGD_FAST_SM_EARLY=0: after the
    # step): the same sums in the same order, so the same bits, with and without intercepts
    # and weights, a rate that changes every step, steps pending across epochs, and
    # (n = 20,000) on two threads with the block packer forced on, its ring through the
    # caches and around them
    run_on(isa, monkeypatch)
    sm_blocks(monkeypatch, True)
    X, y = make_problem("softmax", n, d, dtype=np.float32, seed=n + d + K, K=K)
    sw = np.random.default_rng(n).uniform(0.5, 2.0, size=n)
    lr = mf.schedules.InvScaling(0.05, power_t=0.5)
    for fit_intercept, weights in ((True, None), (False, sw)):
        kw = dict(loss="softmax", batch_size=1, epochs=3 if n < 1000 else 1, lr=lr, seed=n,
                  fit_intercept=fit_intercept, sample_weight=weights)
        monkeypatch.setenv("MBGD_FAST_SM_EARLY", "0")
        after = mf.train(X, y, **kw)
        monkeypatch.setenv("MBGD_FAST_SM_EARLY", "1")
        early = mf.train(X, y, **kw)
        same_bits(early, after)
        if n * kw["epochs"] % 4:  # the run ended inside a block: the blocks ran
            assert early.state.carry[3 * K * (d + 1)] == 1
        if n >= 16384:
            pack_around_the_caches(X, y, kw, after, monkeypatch, nts=("1", "0"))
            monkeypatch.delenv("MBGD_FAST_PACK")


def assert_blocks_diverge_as_steps(X, y, kw, blocks):
    """train(X, y, **kw) diverges with the blocks on (blocks(True)) at the iteration, with the
    message and the last finite weights, that it does with each step as it comes."""
    out = {}
    for on in (True, False):
        blocks(on)
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X, y, **kw)
        out[on] = ei.value
    assert out[True].result.n_iter == out[False].result.n_iter
    assert str(out[True]) == str(out[False])
    assert np.isfinite(out[True].result.coef).all()
    np.testing.assert_allclose(out[True].result.coef, out[False].result.coef, rtol=1e-5)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_softmax_block_scores_that_overflow_are_taken_as_w_x_plus_b(isa, monkeypatch):
    # x_j x_i of rows near 1e19 overflows float32 while the steps are tiny: such a score is
    # taken after the steps pending are applied, as W x + b, and training goes on
    run_on(isa, monkeypatch)
    sm_blocks(monkeypatch, True)
    X, y = make_problem("softmax", 40, 16, dtype=np.float32, seed=4, K=3)
    X = X * np.float32(3e19)
    kw = dict(loss="softmax", batch_size=1, epochs=2, lr=1e-40, seed=4)
    got, ref = mf.train(X, y, backend="cpu", **kw), mf.train(X, y, backend="numpy", **kw)
    assert np.isfinite(got.batch_loss).all() and got.n_iter == 80
    np.testing.assert_allclose(got.batch_loss, ref.batch_loss, rtol=1e-4)


def skew_runs(monkeypatch, on):
    monkeypatch.setenv("MBGD_FAST_SKEW_RUN", "1" if on else "0")


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("d", [64, 128, 256])
def test_runs_of_one_group_batches_give_the_batch_paths_bits(d, isa, monkeypatch):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")  # these paths, not the relay's legs
    # batches of 2 to 32 rows, one group each at these d, run in a loop that steps w from the
    # sums' registers (skew_run, AVX-512 float32) or from sums by columns (cols_run, AVX2
    # float32) rather than each on iterate_alone's path (sums stored row by row, then the step
    # and the probe as passes over w): the same bits, losses and weights, for every
    # one-output loss, weights, no intercept, summed losses, a last batch shorter than the
    # rest, two threads (timed, with the prefetch helper or without; then with it forced),
    # calls split mid-epoch
    run_on(isa, monkeypatch)
    n = 203
    sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
    for loss in ("squared", "huber", "hinge", "logistic"):
        X, y = make_problem(loss, n, d, dtype=np.float32, seed=d)
        for b in (2, 3, 4, 16, 32) + ((100,) if d == 64 else ()):  # d = 64: one group of 100
            for extra in ({}, {"fit_intercept": False, "sample_weight": sw},
                          {"reduction": "sum", "eval_every": 5}):
                kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.01, seed=d, **extra)
                skew_runs(monkeypatch, False)
                off = mf.train(X, y, n_threads=1, **kw)
                skew_runs(monkeypatch, True)
                same_bits(mf.train(X, y, n_threads=1, **kw), off)
                same_bits(mf.train(X, y, n_threads=2, **kw), off)
                monkeypatch.setenv("MBGD_FAST_HELPER", "1")  # its progress to the helper
                same_bits(mf.train(X, y, n_threads=2, **kw), off)
                monkeypatch.delenv("MBGD_FAST_HELPER")
    X, y = make_problem("squared", n, d, dtype=np.float32, seed=d)
    np.testing.assert_allclose(mf.train(X, y, batch_size=4, epochs=2, lr=0.01, seed=1).coef,
                               mf.train(X, y, batch_size=4, epochs=2, lr=0.01, seed=1,
                                        backend="numpy").coef, rtol=1e-4, atol=1e-6)
    got = []
    for on in (False, True):  # the same iteration diverges, with the same weights
        skew_runs(monkeypatch, on)
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X * np.float32(1e18), y, batch_size=4, epochs=1, lr=1.0, n_threads=1)
        got.append((ei.value.iteration, ei.value.result.state.theta.tobytes()))
    assert got[0] == got[1]


def k1_blocks(monkeypatch, on):
    monkeypatch.setenv("MBGD_FAST_K1_BLOCK", "1" if on else "0")


K1_LOSSES = ("squared", "huber", "epsilon_insensitive", "hinge", "logistic")


def test_long_float32_single_output_states_carry_blocks():
    # one output, rows of 48 to 4096 values in multiples of 16: the softmax carry's layout
    # with K = 1 (the b = 1 steps in blocks, k1_block_run)
    spec = Spec(loss="squared")
    for d in (48, 256, 4096):
        assert State.zeros(spec, d, np.float32).carry.shape == (_native.carry_size(d, 1),)
    assert _native.carry_size(48, 1) == 224 + 4 * 48  # the rows from 3 P + 2 + 64 rounded up to 16
    for d in (33, 50, 4112):
        assert State.zeros(spec, d, np.float32).carry is None
    assert State.zeros(spec, 256, np.float64).carry is None


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("d", [48, 64, 256])
def test_a_single_output_run_in_blocks_split_into_calls_anywhere_gives_the_same_bits(
        d, isa, monkeypatch, tmp_path):
    # b = 1 steps of one output with rows past 32 values, four at a time, each z corrected
    # for the steps pending (k1_block_run): where train() splits a run into calls must not
    # change its bits
    run_on(isa, monkeypatch)
    k1_blocks(monkeypatch, True)
    path = tmp_path / "X.npy"
    n = 61  # not a multiple of the block: blocks run across epochs and calls
    P = d + 1
    for loss in K1_LOSSES:
        X, y = make_problem(loss, n, d, dtype=np.float32, seed=d)
        np.save(path, X)
        sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
        for fit_intercept, weights in ((True, None), (False, sw)):
            kw = dict(loss=loss, batch_size=1, epochs=3, lr=0.01, seed=d,
                      fit_intercept=fit_intercept, sample_weight=weights)
            whole = mf.train(X, y, **kw)  # one kernel call per epoch
            assert whole.state.carry[3 * P] == 1 and whole.state.carry[3 * P + 1] == 3 * n % 4
            splits_keep_bits(X, y, path, tmp_path, whole, kw, more=(1,))
            same_bits(mf.train(X, y, n_threads=2, **kw), whole)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,d", [(1, 48), (2, 48), (3, 64), (7, 64), (45, 256), (130, 256)])
@pytest.mark.parametrize("loss", K1_LOSSES)
def test_single_output_runs_in_blocks_match_the_numpy_twin(loss, n, d, dtype, isa, monkeypatch):
    # the blocks (float32, AVX2 or AVX-512; float64 takes each step as it comes) against the
    # NumPy twin's steps one at a time and the steps one at a time in C (MBGD_FAST_K1_BLOCK=0):
    # batches of 1 over n of 1, 2, a count that no block divides, and more; odd n with a rate
    # that changes every step
    X, y = make_problem(loss, n, d, dtype=dtype, seed=n + d)
    run_on(isa, monkeypatch)
    lr = mf.schedules.InvScaling(0.01, power_t=0.5) if n % 2 else 0.01
    kw = dict(loss=loss, batch_size=1, epochs=3, lr=lr, seed=n)
    k1_blocks(monkeypatch, True)
    got = mf.train(X, y, backend="cpu", **kw)
    ref = mf.train(X, y, backend="numpy", **kw)
    k1_blocks(monkeypatch, False)
    each = mf.train(X, y, backend="cpu", **kw)
    tol = 1e-4 if dtype == np.float32 else 1e-12  # test_parity's (squared loss's residuals)
    for other in (ref, each):
        np.testing.assert_allclose(got.coef, other.coef, rtol=tol, atol=tol)
        np.testing.assert_allclose(got.intercept, other.intercept, rtol=tol, atol=tol)
        np.testing.assert_allclose(got.batch_loss, other.batch_loss, rtol=tol, atol=tol)
    if dtype == np.float32 and 3 * n % 4:
        assert got.state.carry[3 * (d + 1)] == 1  # the run ended inside a block: blocks ran


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("seed", [5, 6, 7])
@pytest.mark.parametrize("loss,lr", [("squared", 1e18), ("squared", 3e37), ("hinge", 3e38)])
def test_single_output_runs_in_blocks_diverge_where_steps_one_at_a_time_do(loss, lr, seed, isa,
                                                                          monkeypatch):
    # a loss or weights that overflow inside a block: the same iteration as the steps one at
    # a time give, the same message, and the same last finite weights
    run_on(isa, monkeypatch)
    X, y = make_problem(loss, 50, 48, dtype=np.float32, seed=seed)
    kw = dict(loss=loss, batch_size=1, epochs=3, lr=lr, seed=seed)
    assert_blocks_diverge_as_steps(X, y, kw, lambda on: k1_blocks(monkeypatch, on))


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_a_single_output_block_is_not_taken_once_theta_has_changed(isa, monkeypatch):
    run_on(isa, monkeypatch)
    k1_blocks(monkeypatch, True)
    X, y = make_problem("squared", 42, 48, dtype=np.float32, seed=3)
    assert_a_changed_theta_drops_the_carry(Spec(loss="squared"), X, y, 21, 0.01)


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("loss,K", [("squared", 1), ("softmax", 10)])
def test_one_row_batches_between_a_teams_give_one_threads_bits(loss, K, isa, monkeypatch):
    # batches of 256 rows (a team on 2 or 3 threads) with runs of one-row batches between
    # them (1, 3 and 2 in a row): thread 0 runs those in the blocks one thread runs them in,
    # so every bit is one thread's (weights, losses, the carry's verdict)
    run_on(isa, monkeypatch)
    d = 256
    spec = dict(loss=loss, n_outputs=K)
    sizes = [256, 1, 256, 1, 1, 1, 256, 1, 1]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(starts[-1])
    X, y = make_problem(loss, n, d, dtype=np.float32, seed=K, **({"K": K} if K > 1 else {}))
    rows = np.random.default_rng(K).permutation(n).astype(np.int64)
    lrs = np.full(len(sizes), 0.01)
    out = []
    for t in (1, 2, 3):
        k = NativeKernel(Spec(n_threads=t, **spec), X, y)
        st = State.zeros(Spec(**spec), d, np.float32)
        loss_out = np.empty(len(sizes))
        k.train_slice(st, rows, starts, lrs, loss_out)
        out.append((st.theta.tobytes(), loss_out.tobytes(), st.carry[3 * K * (d + 1)]))
    assert out[0][2] == 1  # the slice ended inside a block
    assert out[1] == out[0] and out[2] == out[0]


def pack_around_the_caches(X, y, kw, one, monkeypatch, nts=("1",)):
    # the block packer forced on with its ring written by non-temporal stores
    # (MBGD_FAST_PACK_NT=1; 0 through the caches, as MBGD_FAST_PACK=2 alone; unset, the
    # faster by timing in a slow handoff), and with each other setting in nts
    monkeypatch.setenv("MBGD_FAST_PACK", "2")
    for nt in nts:
        monkeypatch.setenv("MBGD_FAST_PACK_NT", nt)
        same_bits(mf.train(X, y, n_threads=2, **kw), one)
    monkeypatch.delenv("MBGD_FAST_PACK_NT")


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("loss,d,K", [("softmax", 64, 10), ("softmax", 48, 3), ("squared", 48, 1),
                                      ("hinge", 256, 1), ("logistic", 64, 1)])
def test_block_rows_packed_by_a_second_thread_give_one_threads_bits(loss, d, K, isa, monkeypatch):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")  # these paths, not the relay's legs
    # on two threads a b = 1 run in blocks (k1_block_run, sm_block_run) of at least 16,384
    # rows has its rows copied into a ring by the second thread (the block packer, after it
    # draws the order when it does); the trainer reads them there where they are ready and
    # from X where not, and with the packer off (mode 3: what a slow handoff leaves) the
    # second thread is the prefetch helper or idle (MBGD_FAST_HELPER 1 or 0; unset, the
    # faster by timing): one thread's bits every way, for drawn and given orders, sample
    # weights, calls split mid-run (eval_every: the carry), and (squared loss, whose steps
    # grow with z) a run that diverges
    run_on(isa, monkeypatch)
    n = 20000
    X, y = make_problem(loss, n, d, dtype=np.float32, seed=d + K, **({"K": K} if K > 1 else {}))
    sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
    for extra in ({}, {"shuffle": False}, {"fit_intercept": False}, {"eval_every": 15001},
                  {"sample_weight": sw}):
        kw = dict(loss=loss, batch_size=1, epochs=2, lr=0.01, seed=d, **extra)
        monkeypatch.delenv("MBGD_FAST_PACK", raising=False)
        one = mf.train(X, y, n_threads=1, **kw)
        for mode in ("2", "3", "1"):  # packing whatever the handoff takes; never; the default
            monkeypatch.setenv("MBGD_FAST_PACK", mode)
            same_bits(mf.train(X, y, n_threads=2, **kw), one)
        pack_around_the_caches(X, y, kw, one, monkeypatch)
        monkeypatch.setenv("MBGD_FAST_PACK", "3")
        for helper in ("1", "0"):
            monkeypatch.setenv("MBGD_FAST_HELPER", helper)
            same_bits(mf.train(X, y, n_threads=2, **kw), one)
        monkeypatch.delenv("MBGD_FAST_HELPER")
    if loss != "squared":
        return
    X = X.copy()
    X[17000] = 3e18  # finite, but its step overflows the weights: divergence at that row
    got = []
    monkeypatch.setenv("MBGD_FAST_PACK", "2")
    for threads, nt in ((1, "0"), (2, "0"), (2, "1")):
        monkeypatch.setenv("MBGD_FAST_PACK_NT", nt)
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X, y, loss=loss, batch_size=1, epochs=1, lr=0.01, shuffle=False,
                     n_threads=threads)
        got.append((ei.value.iteration, ei.value.result.state.theta.tobytes()))
    assert got[0] == got[1] == got[2] and 17000 <= got[0][0] <= 17004


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
@pytest.mark.parametrize("loss,d,b", [("squared", 256, 4), ("hinge", 256, 16), ("logistic", 64, 7),
                                      ("squared", 128, 2), ("squared", 192, 40)])
def test_batch_rows_packed_by_a_second_thread_give_one_threads_bits(loss, d, b, isa, monkeypatch):
    monkeypatch.setenv("MBGD_FAST_RELAY", "0")  # these paths, not the relay's legs
    # on two threads, batches of one group whose rows skew_regs runs (AVX-512 float32, one
    # output, d a multiple of 16 from 64 to 256; on AVX2 cols_run, up to 64 rows), in slices
    # of at least 16,384 rows, have their rows copied into the block packer's ring by the
    # second thread; the trainer reads them there where they are ready, from X where not (and
    # the helper instead with the packer off): one thread's bits every way, for drawn and
    # given orders, sample weights, a last batch of fewer rows, and calls split mid-epoch.
    # d = 192, b = 40: a batch longer than the ring's S / 8 slots (S = 256 here), whose first
    # rows cols_run still holds when it reads its last
    run_on(isa, monkeypatch)
    n = 20003
    X, y = make_problem(loss, n, d, dtype=np.float32, seed=d + b)
    sw = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
    for extra in ({}, {"shuffle": False}, {"fit_intercept": False}, {"eval_every": 3001},
                  {"sample_weight": sw}):
        kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.01 / b, seed=d, **extra)
        monkeypatch.delenv("MBGD_FAST_PACK", raising=False)
        one = mf.train(X, y, n_threads=1, **kw)
        for mode in ("2", "3", "1"):  # packing whatever the handoff takes; never; the default
            monkeypatch.setenv("MBGD_FAST_PACK", mode)
            same_bits(mf.train(X, y, n_threads=2, **kw), one)
        pack_around_the_caches(X, y, kw, one, monkeypatch)


@pytest.mark.parametrize("loss,d,K,b", [("squared", 256, 1, 1), ("squared", 256, 1, 256),
                                        ("softmax", 64, 10, 1), ("softmax", 256, 10, 256),
                                        ("logistic", 16, 1, 1), ("hinge", 48, 1, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_l2_prefetch_hint_gives_the_same_bits(loss, d, K, b, dtype, monkeypatch):
    # AVX-512 calls run a second build of the AVX-512 kernels whose prefetches ask for the
    # rows into L2 (MBGD_FAST_L2_HINT=1, the Zen 4's and Intel's default) rather than L1
    # (0): the same operations, so the same bits, on 1 and 2 threads (the block packer and
    # the prefetch helper included: 20,000 rows), drawn orders and a call split mid-epoch
    run_on("avx512", monkeypatch)
    monkeypatch.setenv("MBGD_FAST_L2_HINT", "0")
    assert not _native.l2_hint()
    monkeypatch.setenv("MBGD_FAST_L2_HINT", "1")
    assert _native.l2_hint()
    n = 20000
    X, y = make_problem(loss, n, d, dtype=dtype, seed=d + K, **({"K": K} if K > 1 else {}))
    for threads in (1, 2):
        for extra in ({}, {"eval_every": 15001 // b}):
            kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.1 / d, seed=d, n_threads=threads,
                      **extra)
            got = []
            # and with the L2 hint, any bytes ahead (MBGD_FAST_L2_AHEAD): one row, the
            # default, 1 MiB (the cap of 128 rows)
            for hint, ahead in (("0", None), ("1", "64"), ("1", None), ("1", "1048576")):
                monkeypatch.setenv("MBGD_FAST_L2_HINT", hint)
                set_env(monkeypatch, "MBGD_FAST_L2_AHEAD", ahead)
                got.append(mf.train(X, y, **kw))
            for other in got[1:]:
                same_bits(other, got[0])


@pytest.mark.parametrize("loss,d,K,b", [("softmax", 256, 10, 256), ("softmax", 64, 7, 4),
                                        ("softmax", 128, 6, 1024), ("softmax", 320, 9, 37),
                                        ("softmax", 256, 11, 256), ("softmax", 48, 10, 64),
                                        ("squared", 256, 1, 256), ("logistic", 128, 1, 37),
                                        ("squared", 256, 1, 5), ("hinge", 192, 1, 64)])
def test_the_mixed_asks_for_the_rows_ahead_give_the_same_bits(loss, d, K, b, monkeypatch):
    # The AVX-512 kernels ask for rows ahead mixed over four rows (MBGD_FAST_ASK_MIX, on unless
    # 0): the softmax blocks through their four passes when each of scores4 and terms4 takes
    # two and d is a multiple of 64 (K = 11 takes three, d = 48 is not: those keep a row a
    # pass), the skewed rows of one output through four rows' dot products at d = 128 and 256
    # (d = 192 keeps a row a row): only the asks move, so the same bits, on 1 and 2 threads,
    # drawn and given orders (rows end to end in memory keep the unmixed asks), either L2
    # hint, a call split mid-epoch
    run_on("avx512", monkeypatch)
    n = 6007
    X, y = make_problem(loss, n, d, dtype=np.float32, seed=d + K, **({"K": K} if K > 1 else {}))
    for threads in (1, 2):
        for extra in ({}, {"shuffle": False}, {"eval_every": 5001 // b + 1}):
            kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.1 / d, seed=d,
                      n_threads=threads, **extra)
            got = []
            for mix, hint in (("0", "1"), ("1", "1"), ("1", "0"), (None, "1")):
                monkeypatch.setenv("MBGD_FAST_L2_HINT", hint)
                set_env(monkeypatch, "MBGD_FAST_ASK_MIX", mix)
                got.append(mf.train(X, y, **kw))
            for other in got[1:]:
                same_bits(other, got[0])


def test_the_l2_rows_ahead_setting(monkeypatch):
    # MBGD_FAST_L2_AHEAD: bytes from 64 to 1 MiB, else the default (what an unset one gives)
    monkeypatch.delenv("MBGD_FAST_L2_AHEAD", raising=False)
    default = _native.l2_ahead()
    assert default in (8192, 32768)
    for ok in ("64", "4096", "65536", "1048576"):
        monkeypatch.setenv("MBGD_FAST_L2_AHEAD", ok)
        assert _native.l2_ahead() == int(ok)
    for bad in ("", "63", "0", "-4096", "1048577", "8k", "4096 ", "abc"):
        monkeypatch.setenv("MBGD_FAST_L2_AHEAD", bad)
        assert _native.l2_ahead() == default


def relay_legs_of(monkeypatch, rows, d, dtype):
    # legs of about `rows` rows (MBGD_FAST_RELAY_BYTES), so that a small X has many, ending
    # anywhere in a run of b = 1 steps in blocks
    monkeypatch.setenv("MBGD_FAST_RELAY_BYTES", str(rows * d * np.dtype(dtype).itemsize))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("b", [1, 2, 5, 16])
@pytest.mark.parametrize("loss,d", [("squared", 16), ("squared", 256), ("logistic", 48),
                                    ("hinge", 72), ("squared", 32)])
def test_the_relay_gives_one_threads_bits(loss, d, b, dtype, monkeypatch):
    # batches not split, on two threads, run as a relay: legs of rows dealt to the two threads
    # in turn (FN(relay) in kernel_impl.h; MBGD_FAST_RELAY=0 off).  Legs of 37 rows here: the
    # carry takes a run across them, the optimizers' buffers, the step count and the loss sum
    # go on from leg to leg, so every way gives one thread's bits, and the relay ran (its legs
    # counted) except where it is off or rows of under 128 bytes do not take it
    n = 3000
    X, y = make_problem(loss, n, d, dtype=dtype, seed=d + b)
    sw = np.random.default_rng(b).uniform(0.5, 2.0, size=n)
    relay_legs_of(monkeypatch, 37, d, dtype)
    cases = [{}, {"shuffle": False}, {"fit_intercept": False}, {"eval_every": 211},
             {"sample_weight": sw}, {"optimizer": "adam", "average": True, "l1": 1e-4},
             {"optimizer": "momentum", "l2": 1e-3}]
    for extra in cases:
        kw = dict(loss=loss, batch_size=b, epochs=2, lr=0.1 / d, seed=d, **extra)
        monkeypatch.delenv("MBGD_FAST_RELAY", raising=False)
        one = mf.train(X, y, n_threads=1, **kw)
        before = _native.relay_legs()
        same_bits(mf.train(X, y, n_threads=2, **kw), one)
        legs = _native.relay_legs() - before
        if d * np.dtype(dtype).itemsize >= 128:
            assert legs >= 2 * (n // (37 + b))  # two epochs, each leg under 37 + b rows
        else:
            assert legs == 0
        monkeypatch.setenv("MBGD_FAST_RELAY", "0")
        before = _native.relay_legs()
        same_bits(mf.train(X, y, n_threads=2, **kw), one)
        assert _native.relay_legs() == before
    monkeypatch.delenv("MBGD_FAST_RELAY")
    one = mf.train(X, y, n_threads=1, loss=loss, batch_size=b, epochs=1, lr=0.1 / d)
    legs = _native.relay_legs()
    same_bits(mf.train(X, y, n_threads=2, loss=loss, batch_size=b, epochs=1, lr=0.1 / d), one)
    assert (_native.relay_legs() > legs) == (d * np.dtype(dtype).itemsize >= 128)


@pytest.mark.parametrize("rows", [37, 400])
def test_a_slow_thread_has_its_relay_legs_taken_with_the_same_bits(rows, monkeypatch):
    # MBGD_FAST_RELAY_LAG: the relay's second thread waits 2 ms after asking for each leg's
    # rows, as when the host takes its core away, so the first takes over legs the second
    # claimed: one thread's bits, for drawn and given orders and the optimizers' state, and
    # the legs taken counted.  In a given order the second thread may join the region only
    # after the first has claimed every leg (a busy host: 62 of 200 calls at 400 rows with
    # three spinning processes beside them, none on an idle one), so then no leg is taken:
    # calls are repeated, each with one thread's bits, until one has a leg taken (CI failed
    # on a single call).  A relay that never takes a leg still fails here.
    relay_legs_of(monkeypatch, rows, 64, np.float32)
    X, y = make_problem("squared", 4000, 64, dtype=np.float32, seed=11)
    for extra in ({}, {"shuffle": False}, {"optimizer": "adam", "l2": 1e-3, "average": True}):
        kw = dict(batch_size=1, epochs=2, lr=0.002, seed=3, **extra)
        one = mf.train(X, y, n_threads=1, **kw)
        monkeypatch.setenv("MBGD_FAST_RELAY_LAG", "0.002")
        taken = _native.relay_legs(taken=True)
        for _ in range(100):
            same_bits(mf.train(X, y, n_threads=2, **kw), one)
            if _native.relay_legs(taken=True) > taken:
                break
        assert _native.relay_legs(taken=True) > taken
        monkeypatch.delenv("MBGD_FAST_RELAY_LAG")
        legs = _native.relay_legs()
        same_bits(mf.train(X, y, n_threads=2, **kw), one)
        assert _native.relay_legs() > legs


@pytest.mark.parametrize("lag", [None, "0.001"])
@pytest.mark.parametrize("relay_rows", [37, 1000])
def test_the_relay_stops_where_one_thread_diverges(relay_rows, lag, monkeypatch):
    # a step that overflows the weights mid-leg: every thread stops there, with one thread's
    # iteration, weights and losses (also where the first thread takes the second's legs)
    relay_legs_of(monkeypatch, relay_rows, 64, np.float32)
    if lag:
        monkeypatch.setenv("MBGD_FAST_RELAY_LAG", lag)
    X, y = make_problem("squared", 6000, 64, dtype=np.float32, seed=5)
    X = X.copy()
    X[4321] = 3e18
    got = []
    for threads in (1, 2):
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X, y, batch_size=1, epochs=1, lr=0.01, shuffle=False, n_threads=threads)
        r = ei.value.result
        got.append((ei.value.iteration, r.state.theta.tobytes(), r.batch_loss.tobytes()))
    assert got[0] == got[1] and 4321 <= got[0][0] <= 4325


def l2_runs(monkeypatch, on):
    monkeypatch.setenv("MBGD_FAST_L2_RUN", "1" if on else "0")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [1, 4, 7, 8, 13, 24, 30, 32, 40, 47, 63, 64, 72, 100, 128, 135, 136])
@pytest.mark.parametrize("loss", K1_LOSSES + ("modified_huber",))
def test_l2_steps_in_registers_same_bits(d, loss, dtype, monkeypatch):
    # b = 1 steps of one output with an L2 penalty, the weights in registers (l2_run, AVX-512,
    # d < 136: float64 in sixteen lanes from d = 32, float32 in thirty-two from d = 64, then
    # eight, then the last values one at a time; 136 takes each step as it comes either
    # way): the same bits
    # as each step as iterate_alone takes it (MBGD_FAST_L2_RUN=0); rows weighted or not, with
    # and without an intercept, a rate that changes every step, n of 1, 2, one no slice
    # divides and more, and slices of a few iterations (the run split into calls)
    from mbgd_fast import core

    run_on("avx512", monkeypatch)
    rng = np.random.default_rng(d)
    for n, weighted, fit_b, slice_work in ((1, False, True, None), (2, True, False, None),
                                           (37, True, True, 7 * (d + 1)), (200, False, True, None)):
        X, y = make_problem(loss, n, d, dtype=dtype, seed=n + d)
        sw = (rng.random(n) + 0.5).astype(dtype) if weighted else None
        kw = dict(loss=loss, batch_size=1, epochs=3, lr=mf.schedules.InvScaling(0.05, power_t=0.5),
                  l2=0.01, fit_intercept=fit_b, sample_weight=sw, seed=n, n_threads=1)
        if slice_work is not None:
            monkeypatch.setattr(core, "SLICE_WORK", slice_work)
        got = {}
        for on in (True, False):
            l2_runs(monkeypatch, on)
            got[on] = mf.train(X, y, backend="cpu", **kw)
        a, b = got[True], got[False]
        assert a.coef.tobytes() == b.coef.tobytes(), (n, weighted, fit_b)
        assert np.asarray(a.intercept).tobytes() == np.asarray(b.intercept).tobytes()
        assert a.batch_loss.tobytes() == b.batch_loss.tobytes()
        tol = 1e-12 if dtype == np.float64 else 1e-4
        np.testing.assert_allclose(a.coef, mf.train(X, y, backend="numpy", **kw).coef,
                                   rtol=tol, atol=tol)
        monkeypatch.setattr(core, "SLICE_WORK", 1 << 26)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_l2_steps_in_registers_diverge_where_each_step_does(dtype, monkeypatch):
    run_on("avx512", monkeypatch)
    X, y = make_problem("squared", 50, 64, dtype=dtype, seed=3)
    bad = {}
    for on in (True, False):
        l2_runs(monkeypatch, on)
        with pytest.raises(mf.DivergenceError) as ei:
            mf.train(X * 30, y, loss="squared", batch_size=1, epochs=5, lr=5.0, l2=1e-3, seed=0,
                     n_threads=1)
        bad[on] = ei.value.result
    assert bad[True].n_iter == bad[False].n_iter
    assert bad[True].coef.tobytes() == bad[False].coef.tobytes()
    assert bad[True].batch_loss.tobytes() == bad[False].batch_loss.tobytes()
