"""The targets that compare cells of one run, measured paired: the flat curve (each b
against the best b of the same thread count), 1 -> 2 threads (each b at 2 threads against
1 thread), the other losses (each loss's epoch against squared loss's at the same b), b = 1
against scikit-learn's SGDRegressor.fit (the same epoch), and the order's draw with its
words drawn in C against through the generator's next_raw.

In test_bench_train.py each cell runs its rounds back to back, minutes apart from the cells
it is compared with, and this shared machine's slow phases last that long: a cell that falls
in one moves a ratio by 1.5x (docs/performance.md).  Here one round runs every
(threads, b) cell once, one epoch each, back to back, in reverse order every other round;
each ratio is the median over rounds of that round's ratio, so a slow phase longer than a
round hits both sides of it.  bench/report.py prints them next to the unpaired figures.
"""
import time
import warnings

import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import _native

from test_bench_bandwidth import sum_close
from test_bench_train import BATCH_SIZES, DIMS, evict_caches, half_mse, lr_for

THREADS = [1, 2]
ROUNDS = 15
LOSSES = ["squared", "logistic", "hinge", "softmax"]  # softmax: K = 10 classes
LOSS_BATCHES = [1, 256]
LOSS_ROUNDS = 9
SKLEARN_ROUNDS = 7
DRAW_ROUNDS = 21


#: round trips of each of the three cross-core probes before a round (their median is the
#: round's: one probe that a context switch fell into reads several times the others)
HANDOFF_TRIPS = 10_000
#: a round whose probe reads this or more ran in a slow phase: this machine's two cores hand a
#: line over in 21-27 ns in a quiet phase and 170-200 ns in a slow one (bench/loops/handoff.c);
#: the library's packer of b = 1 runs turns itself off at the same line (MBGD_PACK_HANDOFF_NS)
SLOW_HANDOFF_NS = 60.0


#: seconds each cell of a settled round (paired_rounds' settle) waits before its calls: the
#: NumPy loop's OpenBLAS threads spin on after its last call and take a core from the cell
#: timed next (train() at d = 256 b = 4096 on 2 threads 2.60x the time right after the loop
#: at b = 4096, 1.48x 0.05 s after it, 0.93x 0.2 s after; docs/paired-settle-session55.txt)
SETTLE_S = 0.25
#: untimed calls a settled cell makes before its timed one: after a wait, a 2-thread call here
#: took 1.47-2.28x the time of the fourth to eighth in a row, the second 1.24-1.31x (d = 16
#: b = 1 and 4096, d = 256 b = 4096; docs/paired-settle-session55.txt)
WARM_CALLS = 2


def paired_rounds(benchmark, cells, run, rounds, handoffs=None, settle=False):
    """Runs run(cell, r) for every cell once per round r, back to back, in reverse order every
    other round, timing each call (run's own checks after its result are not timed: run returns
    a function that makes them, or None): {cell: seconds, one per round}.  With ``handoffs`` (a
    list), each round first appends the cross-core handoff in ns (the median of three
    _native.handoff_ns probes, untimed), so that a ratio can be told apart by the machine's
    phase (phase_split).  Before each call the caches are emptied of X (evict_caches, untimed).
    ``benchmark`` None runs the rounds without pytest-benchmark (the scripts in docs/).
    With ``settle``, each cell first waits SETTLE_S and makes WARM_CALLS untimed calls of its
    own (the caches emptied before each), so that the timed call runs as pytest-benchmark's
    rounds run, after warm-up calls, back to back."""
    secs = {c: [] for c in cells}

    def one_round():
        r = len(secs[cells[0]])
        if handoffs is not None:
            handoffs.append(float(np.median([_native.handoff_ns(HANDOFF_TRIPS) for _ in range(3)])))
        for c in (cells if r % 2 == 0 else cells[::-1]):
            if settle:
                time.sleep(SETTLE_S)
                for _ in range(WARM_CALLS):
                    evict_caches()
                    run(c, r)
            evict_caches()
            t0 = time.perf_counter()
            after = run(c, r)
            secs[c].append(time.perf_counter() - t0)
            if after is not None:
                after()

    if benchmark is None:  # outside pytest (the scripts in docs/): the rounds, one after another
        for _ in range(rounds):
            one_round()
    else:
        benchmark.pedantic(one_round, rounds=rounds, warmup_rounds=0)
    return {c: np.array(v) for c, v in secs.items()}


def phase_split(handoffs, per_round, ratios):
    """What the rounds' cross-core probes read (``handoffs``, ns, one per round) and, when some
    rounds ran in a slow phase (SLOW_HANDOFF_NS or more) and some did not, ``ratios(sub)`` over
    the quiet rounds alone: ``sub`` is per_round restricted to them (each ratio is still the
    median over its rounds).  The all-round figures stay the run's; this says how much of a
    ratio the slow phase made."""
    h = np.asarray(handoffs, dtype=float)
    slow = h >= SLOW_HANDOFF_NS
    out = {"handoff_ns": [round(float(v), 1) for v in h], "slow_rounds": int(slow.sum()),
           "slow_ns": SLOW_HANDOFF_NS}
    if 0 < slow.sum() < len(h):
        quiet = ~slow
        out["quiet"] = ratios({c: v[quiet] for c, v in per_round.items()})
    return out


def curve_ratios(per_round):
    """The paired curve's ratios over these rounds: flat (each round's slowest b against its
    fastest), vs_best (each b against the best b) and scale (1 -> 2 threads at each b)."""
    flat = {str(t): float(np.median(np.max([per_round[(t, b)] for b in BATCH_SIZES], axis=0) /
                                    np.min([per_round[(t, b)] for b in BATCH_SIZES], axis=0)))
            for t in THREADS}
    # each b against the best b (the one of the least median seconds), the median over rounds
    # of that round's ratio: the target's "every b within 2x of the best b".  flat above, each
    # round's slowest b against its fastest, whichever they are, reads higher the noisier the
    # rounds are (the largest and the least of seven noisy cells)
    vs_best = {}
    for t in THREADS:
        best = min(BATCH_SIZES, key=lambda b: float(np.median(per_round[(t, b)])))
        vs_best[str(t)] = {"best": best, "ratio": {
            str(b): float(np.median(per_round[(t, b)] / per_round[(t, best)])) for b in BATCH_SIZES}}
    scale = {str(b): float(np.median(per_round[(1, b)] / per_round[(2, b)])) for b in BATCH_SIZES}
    return {"flat": flat, "vs_best": vs_best, "scale": scale}


@pytest.mark.parametrize("d", DIMS)
def test_paired_curve(benchmark, record, dataset, d):
    X, y = dataset(d)
    ends = []

    def run(cell, r):
        t, b = cell
        res = mf.train(X, y, batch_size=b, epochs=1, lr=lr_for(d), seed=r, n_threads=t)
        return lambda: ends.append(half_mse(X, y, res.coef, res.intercept))

    benchmark.group = f"paired d={d}"
    cells = [(t, b) for t in THREADS for b in BATCH_SIZES]
    handoffs = []
    per_round = paired_rounds(benchmark, cells, run, ROUNDS, handoffs)
    n = len(X)
    sps = {f"{t}t b={b}": n / float(np.median(v)) for (t, b), v in per_round.items()}
    start = half_mse(X, y, np.zeros(d, np.float32), 0.0)
    record(backend="paired", d=d, rounds=len(per_round[cells[0]]), **curve_ratios(per_round),
           phase=phase_split(handoffs, per_round, curve_ratios),
           sps=sps, check=f"loss {start:.3g} -> at most {max(ends):.3g} in every cell",
           ok=bool(max(ends) < start))
    assert max(ends) < start


def test_paired_losses(benchmark, record, dataset):
    """Cost per sample of each loss against squared loss (d = 256, 2 threads), as in
    test_bench_losses.py but with the cells alternated within each round."""
    d, threads = 256, 2
    data = {loss: dataset(d, loss=loss) for loss in LOSSES}
    head = np.arange(20000)  # the objective is checked on these rows
    bad = []

    def run(cell, r):
        loss, b = cell
        X, y = data[loss]
        res = mf.train(X, y, loss=loss, batch_size=b, epochs=1, lr=lr_for(d), seed=r,
                       n_threads=threads)

        def check():  # the objective fell from the zero weights' (a b = 1 batch is one sample)
            end = mf.gradient(X, y, res.coef, res.intercept, loss=loss, indices=head)[0]
            start = mf.gradient(X, y, np.zeros_like(res.coef), np.zeros_like(res.intercept),
                                loss=loss, indices=head)[0]
            if not end < start:
                bad.append((loss, b, r, start, end))

        return check

    benchmark.group = f"paired losses d={d}"
    cells = [(loss, b) for b in LOSS_BATCHES for loss in LOSSES]
    handoffs = []
    per_round = paired_rounds(benchmark, cells, run, LOSS_ROUNDS, handoffs)

    def costs(per_round):
        return {"cost": {loss: {str(b): float(np.median(per_round[(loss, b)] /
                                                        per_round[("squared", b)]))
                                for b in LOSS_BATCHES} for loss in LOSSES}}

    n = len(data["squared"][0])
    sps = {f"{loss} b={b}": n / float(np.median(v)) for (loss, b), v in per_round.items()}
    record(backend="paired-loss", d=d, threads=threads, rounds=len(per_round[cells[0]]),
           **costs(per_round), phase=phase_split(handoffs, per_round, costs), sps=sps,
           check=f"objective below the zero weights' after every epoch: {bad or 'yes'}",
           ok=not bad)
    assert not bad


@pytest.mark.parametrize("d", DIMS)
def test_paired_sklearn_b1(benchmark, record, dataset, d):
    """b = 1 against scikit-learn's SGDRegressor(max_iter=1).fit, one epoch each (the target
    "b = 1: 5x scikit-learn at d = 256, 2x at d = 16"): train() on 1 and 2 threads and the
    fit in each round, back to back; a ratio is the median over rounds of that round's
    fit seconds against train()'s.  The rounds settle (paired_rounds): the fit runs on one
    thread for 50-250 ms, and the 2-thread call right after it paid the second vCPU's
    wake-up."""
    sklearn_lm = pytest.importorskip("sklearn.linear_model")
    X, y = dataset(d)
    ends = {}

    def run(cell, r):
        if cell == "sklearn":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter=1
                est = sklearn_lm.SGDRegressor(max_iter=1, tol=None, learning_rate="constant",
                                              eta0=lr_for(d), penalty=None,
                                              random_state=r).fit(X, y)
            coef, icpt = est.coef_.astype(np.float32), est.intercept_[0]
        else:
            res = mf.train(X, y, batch_size=1, epochs=1, lr=lr_for(d), seed=r, n_threads=cell)
            coef, icpt = res.coef, res.intercept

        def check():
            ends[cell] = max(ends.get(cell, -np.inf), half_mse(X, y, coef, icpt))

        return check

    benchmark.group = f"paired sklearn d={d}"
    cells = ["sklearn"] + THREADS
    per_round = paired_rounds(benchmark, cells, run, SKLEARN_ROUNDS, settle=True)
    ratio = {str(t): float(np.median(per_round["sklearn"] / per_round[t])) for t in THREADS}
    n = len(X)
    sps = {("sklearn" if c == "sklearn" else f"{c}t"): n / float(np.median(per_round[c]))
           for c in cells}
    start = half_mse(X, y, np.zeros(d, np.float32), 0.0)
    ok = all(e < start for e in ends.values())
    record(backend="paired-sklearn", d=d, b=1, rounds=len(per_round["sklearn"]), ratio=ratio,
           sps=sps, check=f"loss {start:.3g} -> at most {max(ends.values()):.3g} in every epoch",
           ok=ok)
    assert ok


def test_paired_draw(benchmark, record, dataset):
    """The order train() draws for an epoch (200,000 rows, 1 thread, mbgd_fast._native
    permutation_of), its PCG64 words drawn in C several streams at a time (32 with AVX-512,
    since session 38), against the same words
    through the generator's next_raw, one call a word (as before session 25), alternated
    within each round: test_bench_bandwidth.py's test_draw times the first alone."""
    X, _ = dataset(16)
    n = len(X)
    out = np.empty(n, dtype=np.int64)
    orders = {}

    def run(cell, r):
        saved = _native.PCG64_MIN_ROWS
        if cell == "next_raw":
            _native.PCG64_MIN_ROWS = 1 << 62
        try:
            bg = np.random.default_rng(r).bit_generator
            order = _native.permutation_of(bg, n, out, 1)
        finally:
            _native.PCG64_MIN_ROWS = saved
        digest = (order[:8].tolist(), order[-8:].tolist(), bg.random_raw())

        def check():  # both ways: the same order and the generator left in the same state
            orders.setdefault(r, []).append(digest)

        return check

    benchmark.group = "paired draw"
    per_round = paired_rounds(benchmark, ["c", "next_raw"], run, DRAW_ROUNDS)
    ratio = float(np.median(per_round["next_raw"] / per_round["c"]))
    same = all(len(v) == 2 and v[0] == v[1] for v in orders.values())
    ok = same and bool(np.array_equal(np.sort(out), np.arange(n)))
    record(backend="paired-draw", rows=n, rounds=len(per_round["c"]), ratio=ratio,
           ms={c: float(np.median(v)) * 1e3 for c, v in per_round.items()},
           check=f"the same orders and generator states both ways: {same}", ok=ok)
    assert ok


BOUND_BATCHES = [256, 1024, 4096]
BOUND_ROUNDS = 15


def test_paired_draw_bound(benchmark, record, dataset):
    """What bounds d = 16 at b >= 256 on 2 threads, with its parts alternated round by round:
    train() (which draws its order on one core beside the training), the order's draw alone
    (1 thread), and the kernel alone (its order given) on 1 and 2 threads.  An epoch that
    draws beside the training takes at least max(the draw, the kernel alone on 2 threads,
    (the draw + the kernel alone on 1 thread) / 2); each round's bound against that round's
    train() gives the share of the bound's speed train() reached (the median over rounds).
    test_bench_bandwidth.py times the same parts minutes apart."""
    from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch

    d = 16
    X, y = dataset(d)
    n = len(X)
    rows = np.random.default_rng(1).permutation(n).astype(np.int64)
    out = np.empty(n, dtype=np.int64)
    kernels = {t: _native.NativeKernel(Spec(loss="squared", n_threads=t), X, y) for t in THREADS}
    starts = {b: _batch_starts(n, b, iterations_per_epoch(n, b)) for b in BOUND_BATCHES}
    rates = {b: np.full(len(starts[b]) - 1, 0.25 / d) for b in BOUND_BATCHES}
    losses = {b: np.empty(len(starts[b]) - 1) for b in BOUND_BATCHES}
    states = {(t, b): State.zeros(Spec(loss="squared", n_threads=t), d, np.float32)
              for t in THREADS for b in BOUND_BATCHES}
    ends = []

    def run(cell, r):
        if cell == "draw":
            _native.permutation_of(np.random.default_rng(r).bit_generator, n, out, 1)
        elif cell[0] == "alone":
            _, t, b = cell
            kernels[t].train_slice(states[(t, b)], rows, starts[b], rates[b], losses[b])
        else:
            res = mf.train(X, y, batch_size=cell[1], epochs=1, lr=lr_for(d), seed=r, n_threads=2)
            return lambda: ends.append(half_mse(X, y, res.coef, res.intercept))
        return None

    benchmark.group = "paired draw bound d=16"
    cells = (["draw"] + [("alone", t, b) for t in THREADS for b in BOUND_BATCHES]
             + [("train", b) for b in BOUND_BATCHES])
    sec = paired_rounds(benchmark, cells, run, BOUND_ROUNDS)
    bound = {b: np.maximum.reduce([sec["draw"], sec[("alone", 2, b)],
                                   (sec["draw"] + sec[("alone", 1, b)]) / 2])
             for b in BOUND_BATCHES}
    reached = {str(b): float(np.median(bound[b] / sec[("train", b)])) for b in BOUND_BATCHES}
    start = half_mse(X, y, np.zeros(d, np.float32), 0.0)
    ok = max(ends) < start and all(np.isfinite(s.theta).all() for s in states.values())
    record(backend="paired-draw-bound", d=d, threads=2, rows=n, rounds=len(sec["draw"]),
           bound_ms={str(b): float(np.median(v)) * 1e3 for b, v in bound.items()},
           train_ms={str(b): float(np.median(sec[("train", b)])) * 1e3 for b in BOUND_BATCHES},
           draw_ms=float(np.median(sec["draw"])) * 1e3, reached=reached,
           check=f"loss {start:.3g} -> at most {max(ends):.3g}; the kernel's weights finite",
           ok=bool(ok))
    assert ok


B1_ROUNDS = 15


def test_paired_b1_parts(benchmark, record, dataset):
    """What b = 1 at d = 16 on 2 threads is made of (the flat curve's slowest cell), its parts
    alternated round by round: the kernel alone (its order given) on 1 thread and on 2 (the
    second packs the rows for the first), the same call on 2 threads drawing its order (the
    second thread draws it, then packs), and train().  The differences are what the draw
    beside the training and train()'s Python around the call cost; the cross-core probe before
    each round tells the phase (the packer packs only in the quiet one)."""
    from mbgd_fast.core import Spec, State, _batch_starts, iterations_per_epoch

    d = 16
    X, y = dataset(d)
    n = len(X)
    rows = np.random.default_rng(1).permutation(n).astype(np.int64)
    out = np.empty(n, dtype=np.int64)
    specs = {t: Spec(loss="squared", n_threads=t) for t in THREADS}
    kernels = {t: _native.NativeKernel(specs[t], X, y) for t in THREADS}
    starts = _batch_starts(n, 1, iterations_per_epoch(n, 1))
    rates, losses = np.full(n, lr_for(d)), np.empty(n)
    ends = []

    def run(cell, r):
        if cell == "train":
            res = mf.train(X, y, batch_size=1, epochs=1, lr=lr_for(d), seed=r, n_threads=2)
            return lambda: ends.append(half_mse(X, y, res.coef, res.intercept))
        t = 1 if cell == "alone 1t" else 2
        state = State.zeros(specs[t], d, np.float32)
        if cell == "drawing":
            kernels[2].train_slice(state, out, starts, rates, losses,
                                   draw=np.random.default_rng(r).bit_generator)
        else:
            kernels[t].train_slice(state, rows, starts, rates, losses)
        return lambda: ends.append(half_mse(X, y, state.coef, state.intercept))

    benchmark.group = "paired b=1 parts d=16"
    cells = ["alone 1t", "alone 2t", "drawing", "train"]
    handoffs = []
    sec = paired_rounds(benchmark, cells, run, B1_ROUNDS, handoffs)

    def parts(sec):
        return {"ms": {c: float(np.median(v)) * 1e3 for c, v in sec.items()},
                "draw_ms": float(np.median(sec["drawing"] - sec["alone 2t"])) * 1e3,
                "python_ms": float(np.median(sec["train"] - sec["drawing"])) * 1e3}

    start = half_mse(X, y, np.zeros(d, np.float32), 0.0)
    ok = bool(max(ends) < start and np.array_equal(np.sort(out), np.arange(n)))
    record(backend="paired-b1", d=d, threads=2, rows=n, rounds=len(sec["train"]), **parts(sec),
           phase=phase_split(handoffs, sec, parts),
           check=f"loss {start:.3g} -> at most {max(ends):.3g}; the drawn order a permutation",
           ok=ok)
    assert ok


@pytest.mark.parametrize("d", [16, 256])
def test_paired_shuffled_read_on_a_line(benchmark, record, dataset, d):
    """The shuffled-row ceiling (test_bench_bandwidth.py: X's rows in a random order, read with
    the kernels' prefetch, nothing else) over the bench's X where NumPy put it, 16 bytes past a
    page, against over a copy that starts on a 64-byte line, on 1 and 2 threads, in turn each
    round.  As placed, a row of 64 bytes (d = 16) touches two lines and one of 1 KB seventeen."""
    from mbgd_fast._validation import aligned_copy

    X = dataset(d)[0]
    placed = {"as placed": X, "on a line": aligned_copy(X, X.dtype)}
    rows = np.random.default_rng(1).permutation(len(X))
    expect = float(X.sum(dtype=np.float64))
    sums = []

    def run(cell, r):
        total = _native.probe_read(placed[cell[0]], rows, cell[1])
        return lambda: sums.append(total)

    benchmark.group = f"paired shuffled read d={d}"
    cells = [(p, t) for p in placed for t in THREADS]
    sec = paired_rounds(benchmark, cells, run, 15)
    ok = all(sum_close(s, expect, X.size) for s in sums)
    record(backend="paired-shuffled-line", d=d, bytes=X.nbytes, rounds=len(sec[cells[0]]),
           offset=int(X.ctypes.data % 64),
           gbs={f"{p} {t}t": X.nbytes / float(np.median(sec[(p, t)])) / 1e9 for p, t in cells},
           ratio={f"{t}t": float(np.median(sec[("as placed", t)] / sec[("on a line", t)]))
                  for t in THREADS},
           check=f"every read's sum ~ {expect:.6g}: {ok}", ok=bool(ok))
    assert ok


BIG_BATCHES = [256, 1024, 4096]
BIG_ROUNDS = 15
GIB = 1 << 30


@pytest.mark.parametrize("d", DIMS)
def test_paired_big_batches(benchmark, record, dataset, d):
    """The two targets at b >= 256 on 2 threads, each side of them in the same round: train()
    on 2 threads, the NumPy loop (test_bench_train.py's, over as many rows as there) and the
    read bandwidth (a NumPy sum over 1 GiB on 2 threads, test_bench_bandwidth.py's) and the
    shuffled-row ceiling (X's rows in a random order read with the kernels' prefetch, nothing
    else, on 2 threads: test_bench_bandwidth.py's), in turn.
    In test_bench_train.py and test_bench_bandwidth.py these cells run minutes apart, and the
    machine's memory rate moves by a third in minutes (docs/team-breakdown-session54.txt):
    the NumPy loop at d = 256 b = 1024 read 2.09e6 to 5.11e6 samples/s over this machine's
    twelve runs (sessions 46-55).
    Each ratio here is the median over rounds of that round's: train()'s samples/s against the
    NumPy loop's, and the bytes of X train() reads a second against the sum's; and, for what
    bounds a miss, against the ceiling's: train()'s, five times the NumPy loop's and the sum's.
    The rounds settle (paired_rounds): each timed call after a wait and warm-up calls of its
    own, the caches emptied before each, as the cells timed apart run after their warm-up."""
    from concurrent.futures import ThreadPoolExecutor

    from test_bench_train import numpy_loop, numpy_rows, threaded_sum

    X, y = dataset(d)
    n = len(X)
    order = np.random.default_rng(0).permutation(n)
    big = np.ones(GIB // 4, dtype=np.float32)
    parts = np.array_split(big, 2)
    pool = ThreadPoolExecutor(2)
    sums, ends, loops, reads = [], [], {}, []
    expect = float(X.sum(dtype=np.float64))

    def run(cell, r):
        if cell == "sum":
            total = threaded_sum(pool, parts)
            return lambda: sums.append(total)
        if cell == "ceiling":
            total = _native.probe_read(X, order, 2)
            return lambda: reads.append(total)
        kind, b = cell
        if kind == "numpy":
            w, b0 = numpy_loop(X, y, order, b, numpy_rows(b, n), lr_for(d))
            return lambda: loops.setdefault(b, (w, b0))
        res = mf.train(X, y, batch_size=b, epochs=1, lr=lr_for(d), seed=r, n_threads=2)
        return lambda: ends.append(half_mse(X, y, res.coef, res.intercept))

    benchmark.group = f"paired big batches d={d}"
    runs = [(k, b) for b in BIG_BATCHES for k in ("numpy", "train")]  # train() and the loop
    cells = ["sum", "ceiling"] + runs
    handoffs = []
    try:
        sec = paired_rounds(benchmark, cells, run, BIG_ROUNDS, handoffs, settle=True)
    finally:
        pool.shutdown()
    # the NumPy loop's weights: the same as train()'s over its rows in its order (as in
    # test_bench_train.py); train()'s: its loss below the zero weights'
    same = {}
    for b, (w, b0) in loops.items():
        m = numpy_rows(b, n)
        ref = mf.train(X[order[:m]], y[order[:m]], batch_size=b, epochs=1, lr=lr_for(d),
                       shuffle=False)
        same[b] = bool(np.allclose(ref.coef, w, rtol=1e-3, atol=1e-4))
    row_bytes = d * X.itemsize

    def ratios(sec):
        ceil = X.nbytes / sec["ceiling"]  # bytes a second, one a round
        return {"numpy": {str(b): float(np.median((sec[("numpy", b)] / numpy_rows(b, n)) /
                                                  (sec[("train", b)] / n)))
                          for b in BIG_BATCHES},
                "bandwidth": {str(b): float(np.median((n * row_bytes / sec[("train", b)]) /
                                                      (big.nbytes / sec["sum"])))
                              for b in BIG_BATCHES},
                "ceiling": {str(b): float(np.median(n * row_bytes / sec[("train", b)] / ceil))
                            for b in BIG_BATCHES},
                "numpy_need": {str(b): float(np.median(
                    5 * numpy_rows(b, n) * row_bytes / sec[("numpy", b)] / ceil))
                    for b in BIG_BATCHES},
                "ceiling_of_sum": float(np.median(ceil / (big.nbytes / sec["sum"])))}

    sps = {f"{k} b={b}": (n if k == "train" else numpy_rows(b, n)) / float(np.median(sec[(k, b)]))
           for k, b in runs}
    start = half_mse(X, y, np.zeros(d, np.float32), 0.0)
    read_ok = all(sum_close(v, expect, X.size) for v in reads)
    ok = (all(s == big.size for s in sums) and read_ok and all(same.values())
          and max(ends) < start)
    record(backend="paired-big", d=d, threads=2, rows=n, rounds=len(sec["sum"]), **ratios(sec),
           sum_gbs=big.nbytes / float(np.median(sec["sum"])) / 1e9,
           ceiling_gbs=X.nbytes / float(np.median(sec["ceiling"])) / 1e9, sps=sps,
           phase=phase_split(handoffs, sec, ratios),
           check=(f"the sums {big.size}: {all(s == big.size for s in sums)}; the ceiling's "
                  f"reads ~ {expect:.6g}: {read_ok}; the NumPy loop's weights train()'s: "
                  f"{same}; loss {start:.3g} -> at most {max(ends):.3g}"),
           ok=bool(ok))
    assert ok


#: (d, epochs, b): rows of one line (d = 16) at the fewest epochs that copy X onto a line and
#: at 16; rows of 256 bytes (d = 64, 5 lines off a line, 4 on one) at the fewest that copy
LINE_CELLS = [(16, 4, 1), (16, 4, 256), (16, 16, 256), (64, 16, 256)]
LINE_ROUNDS = 9


@pytest.mark.parametrize("d,epochs,b", LINE_CELLS)
def test_paired_line_aligned(benchmark, record, dataset, d, epochs, b):
    """train() on the bench's X where NumPy put it (16 bytes past a page, so a row of 64 bytes
    touches two cache lines): as it does by default, copying X onto a line first when that pays
    within the epochs (core.line_aligned), against the same with the copy turned off, and against
    an X the caller placed on a line (no copy to make), alternated in each round."""
    from mbgd_fast import core
    from mbgd_fast._validation import aligned_copy

    X, y = dataset(d)
    on_line = aligned_copy(X, X.dtype)
    assert X.ctypes.data % 64 and core.line_aligned(X, epochs) is not X
    coefs = {}

    def run(cell, r):
        saved = core.ALIGN_PAYBACK
        if cell == "kept":
            core.ALIGN_PAYBACK = np.inf
        try:
            res = mf.train(on_line if cell == "on a line" else X, y, batch_size=b, epochs=epochs,
                           lr=lr_for(d), seed=r, n_threads=2)
        finally:
            core.ALIGN_PAYBACK = saved
        return lambda: coefs.setdefault(r, set()).add(res.coef.tobytes())

    benchmark.group = f"paired line-aligned d={d} epochs={epochs} b={b}"
    cells = ["copied", "kept", "on a line"]
    sec = paired_rounds(benchmark, cells, run, LINE_ROUNDS)
    same = all(len(v) == 1 for v in coefs.values())
    record(backend="paired-line", d=d, b=b, threads=2, epochs=epochs, rows=len(X),
           offset=int(X.ctypes.data % 64), rounds=len(sec["kept"]),
           ms={c: float(np.median(v)) * 1e3 for c, v in sec.items()},
           ratio={"kept/copied": float(np.median(sec["kept"] / sec["copied"])),
                  "kept/on a line": float(np.median(sec["kept"] / sec["on a line"]))},
           check=f"the same weights all three ways in every round: {same}", ok=same)
    assert same


def test_report_prints_the_paired_ratios(tmp_path):
    import json

    import report

    info = dict(backend="paired", d=16, rounds=3, flat={"1": 1.5, "2": 2.25},
                scale={"1": 1.0, "4": 1.75},
                sps={"1t b=1": 1e7, "1t b=4": 1.5e7, "2t b=1": 1e7, "2t b=4": 2.25e7})
    other = dict(backend="numpy-sum", threads=1, bytes=1e9)
    losses = dict(backend="paired-loss", d=256, threads=2, rounds=5,
                  cost={"squared": {"1": 1.0, "256": 1.0}, "softmax": {"1": 3.5, "256": 1.75}},
                  sps={"squared b=1": 4e6, "squared b=256": 7e6, "softmax b=1": 1.25e6,
                       "softmax b=256": 4e6})
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"benchmarks": [{"extra_info": x, "stats": {"median": 1.0}}
                                               for x in (info, other, losses)]}))
    paired = report.load([str(path)])[3]
    assert list(paired["curve"]) == [16] and list(paired["loss"]) == [256]
    lines = []
    report.paired_tables(paired, lines.append)
    text = "\n".join(lines)
    assert "d = 16, 3 rounds:" in text
    assert "| 1 thread, samples/s | 1e+07 | 1.5e+07 | 1.50x |" in text
    assert "| 2 threads, samples/s | 1e+07 | 2.25e+07 | 2.25x |" in text
    assert "| 2 threads / 1 thread | 1.00x | 1.75x | |" in text
    assert "d = 256, 2 threads, 5 rounds:" in text
    assert "| softmax | 1.25e+06 | 3.50x | 4e+06 | 1.75x |" in text
    assert "| squared | 4e+06 | 1.00x | 7e+06 | 1.00x |" in text
    lines = []
    report.paired_tables({}, lines.append)
    assert lines == []


def test_phase_split_takes_the_quiet_rounds_apart():
    per_round = {"a": np.array([1.0, 2.0, 1.0, 2.0]), "b": np.array([1.0, 1.0, 1.0, 1.0])}

    def ratios(sub):
        return {"a/b": float(np.median(sub["a"] / sub["b"])), "rounds": len(sub["a"])}

    out = phase_split([22.0, 180.0, 24.0, 200.0], per_round, ratios)
    assert out["slow_rounds"] == 2 and out["handoff_ns"] == [22.0, 180.0, 24.0, 200.0]
    assert out["quiet"] == {"a/b": 1.0, "rounds": 2}  # the slow rounds' 2.0 left out
    out = phase_split([22.0, 23.0, 24.0, 25.0], per_round, ratios)
    assert out["slow_rounds"] == 0 and "quiet" not in out  # one phase: the run's ratios are its
    assert "quiet" not in phase_split([180.0] * 4, per_round, ratios)


def test_handoff_probe_reads_a_time_or_nan():
    ns = _native.handoff_ns(200)
    assert ns != ns or 0 < ns < 1e7  # NaN without two threads
    with pytest.raises(ValueError, match="round_trips must be >= 1"):
        _native.handoff_ns(0)
