"""The one module that touches the compiled cffi library ``mbgd_fast._mbgd``.

It turns validated NumPy arrays into the C structs of ``csrc/mbgd.h``, calls the
kernels (cffi releases the GIL for the duration of each call) and turns status
codes into exceptions carrying the message from ``mbgd_strerror``.  Loss and
optimizer codes are read from the compiled module, never retyped here.  The
environment variable MBGD_FAST_ISA (auto, generic, avx2, avx512) caps the
instruction set the kernels use.
"""
from __future__ import annotations

import functools
import os

import numpy as np

from ._mbgd import ffi, lib

#: loss name -> code, read from C
LOSS_CODES = {ffi.string(lib.mbgd_loss_name(i)).decode(): i for i in range(lib.MBGD_N_LOSSES)}
#: optimizer name -> code, read from C
OPTIMIZER_CODES = {
    ffi.string(lib.mbgd_optimizer_name(i)).decode(): i for i in range(lib.MBGD_N_OPTIMIZERS)
}

#: instruction-set name -> code, read from C ("auto", "generic", "avx2", "avx512")
ISA_CODES = {ffi.string(lib.mbgd_isa_name(i)).decode(): i for i in range(lib.MBGD_N_ISAS)}

_CTYPE = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
_SFX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


class NativeError(RuntimeError):
    """A status code other than success from the compiled core."""

    def __init__(self, status, where):
        self.status = status
        msg = ffi.string(lib.mbgd_strerror(status)).decode()
        super().__init__(f"{where}: {msg} (status {status})")


class Diverged(Exception):
    """Internal signal: iteration ``n_done`` of the slice had a non-finite loss or weight."""

    def __init__(self, n_done):
        super().__init__(n_done)
        self.n_done = n_done


def has_openmp() -> bool:
    """True when the kernels were compiled with OpenMP."""
    return bool(lib.mbgd_has_openmp())


def max_threads() -> int:
    """OpenMP's default thread count (honours OMP_NUM_THREADS)."""
    return int(lib.mbgd_max_threads())


def _order_out(n, out):
    if out is None:
        return np.empty(n, dtype=np.int64)
    if out.dtype != np.int64 or out.shape != (n,) or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous int64 array of shape ({n},)")
    return out


@functools.cache
def _capsule_pointer():
    """ctypes' PyCapsule_GetPointer, set up once (ctypes is imported only when needed)."""
    import ctypes

    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return get


#: orders of at least this many rows draw a PCG64's words in C (_bitgen): below, reading and
#: setting its state in Python costs more than the calls to its next_raw it saves
PCG64_MIN_ROWS = 4096
_U64 = (1 << 64) - 1


def _nothing():
    pass


def _bitgen(bit_generator, n):
    """(an ``mbgd_bitgen *``, finish) to draw the words of an order of ``n`` rows from
    ``bit_generator`` in C, the caller holding its lock.  NumPy's PCG64 (and n at least
    PCG64_MIN_ROWS): C draws the words from a copy of its state, several streams at a time
    (mbgd_pcg64_bitgen; in vectors with AVX-512 under MBGD_FAST_ISA's cap), the same words as
    its next_raw's, and ``finish()`` then sets the generator to the state after them, as
    next_raw would have left it.  Any other generator:
    its own C interface (next_raw, as random_raw calls it), and finish does nothing.  Call
    finish once the order is drawn, and only then."""
    if n >= PCG64_MIN_ROWS and type(bit_generator) is np.random.PCG64:
        st = bit_generator.state
        s, inc = st["state"]["state"], st["state"]["inc"]
        g = ffi.new("mbgd_pcg64 *", (s >> 64, s & _U64, inc >> 64, inc & _U64))
        bg = ffi.new("mbgd_bitgen *")
        if lib.mbgd_pcg64_bitgen(bg, g) == lib.MBGD_OK:
            def finish():  # holds g, which bg points into, until the caller is done
                st["state"]["state"] = (g.state_hi << 64) | g.state_lo
                bit_generator.state = st

            return bg, finish
    ptr = _capsule_pointer()(bit_generator.capsule, b"BitGenerator")
    return ffi.cast("mbgd_bitgen *", ptr), _nothing


def permutation_of(bit_generator, n, out=None, n_threads=1):
    """The permutation of 0..n-1 that ``permutation(bit_generator.random_raw(n - 1))`` gives,
    with the words drawn by the C loop itself (_bitgen), under the generator's lock: no buffer
    of n-1 words, and the generator left as random_raw leaves it.
    With ``n_threads`` >= 2 one thread draws the words while another swaps: the same order.
    A PCG64's words are drawn in the instruction set MBGD_FAST_ISA caps (the same words in
    every one)."""
    order = _order_out(n, out)
    with bit_generator.lock:
        bitgen, finish = _bitgen(bit_generator, n)
        _check(lib.mbgd_permutation_bitgen(_ptr(order, "int64_t"), n, bitgen, int(n_threads),
                                           requested_isa()), "permutation")
        finish()
    return order


def pcg64_first_state(seed):
    """``np.random.PCG64(seed).state`` for an int seed >= 0, computed in C (mbgd_pcg64_seed:
    NumPy's SeedSequence and PCG64 set-up, about 1 us against 7-8), or None where the C
    library has no 128-bit integers."""
    words = []
    while True:
        words.append(seed & 0xFFFFFFFF)
        seed >>= 32
        if not seed:
            break
    g = ffi.new("mbgd_pcg64 *")
    if lib.mbgd_pcg64_seed(g, ffi.new("uint32_t[]", words), len(words)) != lib.MBGD_OK:
        return None
    return {"bit_generator": "PCG64",
            "state": {"state": (g.state_hi << 64) | g.state_lo, "inc": (g.inc_hi << 64) | g.inc_lo},
            "has_uint32": 0, "uinteger": 0}


def permutation(raw, out=None):
    """Fisher-Yates permutation of 0..len(raw) driven by the uint64 words ``raw`` (see mbgd.h),
    written into ``out`` (a C-contiguous int64 array of len(raw) + 1) when given."""
    n = len(raw) + 1
    order = _order_out(n, out)
    _check(lib.mbgd_permutation(_ptr(order, "int64_t"), n, _ptr(raw, "uint64_t")), "permutation")
    return order


def probe_read(X, rows, n_threads=1):
    """Sum of the float32 rows ``X[rows]`` read by the kernels' access pattern (a bandwidth probe)."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if X.ndim != 2 or (len(rows) and (rows.min() < 0 or rows.max() >= len(X))):
        raise ValueError("probe_read: X must be 2-D and rows must index its rows")
    out = ffi.new("double *")
    _check(lib.mbgd_probe_read_f32(_ptr(X), X.shape[1], _ptr(rows, "int64_t"), len(rows),
                                   int(n_threads), requested_isa(), out), "probe_read")
    return float(out[0])


def handoff_ns(round_trips=20_000):
    """One-way cross-core handoff in ns: how long one of two threads takes to see a cache line
    the other wrote, over ``round_trips`` round trips (a benchmark's probe of the machine's
    phase; NaN when two threads cannot run)."""
    round_trips = int(round_trips)
    if round_trips < 1:
        raise ValueError(f"round_trips must be >= 1, got {round_trips}")
    out = ffi.new("double *")
    _check(lib.mbgd_handoff_ns(round_trips, out), "handoff_ns")
    return float(out[0])


def relay_legs(taken=False) -> int:
    """Legs the relay has run in this process (csrc/mbgd.h, mbgd_relay_legs): batches not
    split, on two threads, dealt to the threads in turn; with ``taken``, those of them one
    thread took over from the other; for the tests."""
    return int(lib.mbgd_relay_legs(1 if taken else 0))


def read_rows(fd, offset, rows, out, n_threads=1):
    """Rows ``rows`` of the row-major table in the open file ``fd`` (data at byte ``offset``)
    into the C-contiguous 2-D ``out``, by pread (see mbgd_read_rows); False where pread is
    not available."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    st = lib.mbgd_read_rows(int(fd), int(offset), out.strides[0], _ptr(rows, "int64_t"), len(rows),
                            int(n_threads), ffi.from_buffer(out))
    if st == lib.MBGD_EINVAL:
        return False
    _check(st, "read_rows")
    return True


def simulate_quadratic(k, eta, sigma, batch_size, n_steps, burn_in, seed):
    """(mean, variance) of w for SGD on k w^2/2 with N(0, sigma^2) per-sample noise (mbgd.h)."""
    mean, var = ffi.new("double *"), ffi.new("double *")
    _check(lib.mbgd_simulate_quadratic(float(k), float(eta), float(sigma), int(batch_size),
                                       int(n_steps), int(burn_in), int(seed) % (1 << 64), mean, var),
           "simulate_quadratic")
    return float(mean[0]), float(var[0])


def requested_isa():
    """The instruction set asked for by MBGD_FAST_ISA (auto, generic, avx2, avx512)."""
    name = os.environ.get("MBGD_FAST_ISA", "auto").strip().lower() or "auto"
    if name not in ISA_CODES:
        raise ValueError(f"MBGD_FAST_ISA={name!r} is not one of {', '.join(ISA_CODES)}")
    return ISA_CODES[name]


def isa() -> str:
    """The instruction set the kernels run here (after MBGD_FAST_ISA's cap)."""
    return ffi.string(lib.mbgd_isa_name(lib.mbgd_resolve_isa(requested_isa()))).decode()


def l2_hint() -> bool:
    """Whether AVX-512 kernels ask for the rows ahead into L2 rather than L1 (MBGD_FAST_L2_HINT
    0 or 1, else on the Zen 4 and on Intel); the same results either way."""
    return bool(lib.mbgd_l2_hint())


def l2_ahead() -> int:
    """Bytes of shuffled rows of 1 KB or more the L2-hinted AVX-512 kernels keep asked for
    ahead (MBGD_FAST_L2_AHEAD, 64 to 1 MiB, else 32768 on Intel and 8192 elsewhere; at most
    128 rows); the same results at any setting."""
    return int(lib.mbgd_l2_ahead())


@functools.lru_cache(maxsize=256)  # (State.zeros asks once a train() call)
def carry_size(n_features, n_outputs) -> int:
    """Length of a state's carry (csrc/mbgd.h, "The carry"): K = 1, or softmax's."""
    return int(lib.mbgd_carry_size(n_features, n_outputs))


def _ptr(arr, dtype=None):
    """A C pointer into a C-contiguous array (from_buffer: ~10x cheaper than arr.ctypes)."""
    if arr is None:
        return ffi.NULL
    ctype = _CTYPE.get(arr.dtype) if dtype is None else dtype
    return ffi.from_buffer(ctype + "[]", arr)


def _check(status, where):
    if status != lib.MBGD_OK:
        raise NativeError(status, where)


@functools.lru_cache(maxsize=64)
def _params(spec, n_features, isa):
    """The C parameters of a (frozen, hashable) Spec, checked by C; one struct per spec, shared
    by the kernels made from it: C only reads it (``const mbgd_params *``) and nothing here
    writes it after this.  Filling and checking one took 5-6 us a train() call, and about
    three times that with the caches emptied first, as the bench's calls are."""
    p = ffi.new("mbgd_params *")
    p.loss = LOSS_CODES[spec.loss]
    p.optimizer = OPTIMIZER_CODES[spec.optimizer]
    p.fit_intercept = int(spec.fit_intercept)
    p.reduction_sum = int(spec.reduction == "sum")
    p.n_features = n_features
    p.n_outputs = spec.n_outputs
    p.delta = spec.delta
    p.epsilon = spec.epsilon
    p.l2 = spec.l2
    p.l1 = spec.l1
    p.momentum = spec.momentum
    p.beta1, p.beta2 = spec.betas
    p.eps = spec.eps
    p.n_threads = spec.n_threads
    p.isa = isa
    p.average_start = spec.average_start
    _check(lib.mbgd_check_params(p), "parameters")
    return p


class NativeKernel:
    """The C backend for one problem: parameters and data bound once, then sliced calls.

    Parameters
    ----------
    spec : mbgd_fast.core.Spec
        Validated loss, optimizer and hyperparameters.
    X, y, sample_weight : ndarray
        C-contiguous arrays of one float dtype (sample_weight may be None).
    """

    def __init__(self, spec, X, y, sample_weight=None):
        self.dtype = X.dtype
        sfx = _SFX[self.dtype]
        self._keep = (X, y, sample_weight)  # the C struct points into these
        self._p = _params(spec, X.shape[1], requested_isa())
        data = ffi.new(f"mbgd_data_{sfx} *")
        data.y = _ptr(y)
        data.sample_weight = _ptr(sample_weight)
        data.n_samples = X.shape[0]
        if hasattr(X, "indptr"):  # a validated _validation.CSR
            vals, idx = X.data, X.indices
            data.nnz = min(len(vals), len(idx))
            if data.nnz == 0:  # all-zero rows: point at one dummy value and index
                vals, idx = np.zeros(1, self.dtype), np.zeros(1, idx.dtype)
            self._keep = self._keep + (vals, idx)
            data.X = _ptr(vals)
            data.indptr = _ptr(X.indptr, "int64_t")
            if idx.dtype == np.int32:
                data.indices32 = _ptr(idx, "int32_t")
            else:
                data.indices64 = _ptr(idx, "int64_t")
        else:
            data.X = _ptr(X)
        self._data = data
        self._train = getattr(lib, f"mbgd_train_{sfx}")
        self._train_drawing = getattr(lib, f"mbgd_train_drawing_{sfx}")
        self._train_epochs = getattr(lib, f"mbgd_train_epochs_{sfx}")
        self._gradient = getattr(lib, f"mbgd_gradient_{sfx}")
        self._state = ffi.new(f"mbgd_state_{sfx} *")
        self._slice = ffi.new("mbgd_slice *")

    def _drawing(self, draw, call):
        """``call(bitgen)`` under the generator's lock; the generator then set past the words
        drawn when the call returns MBGD_OK or MBGD_EDIVERGED (its orders drawn)."""
        with draw.lock:
            bitgen, finish = _bitgen(draw, self._data.n_samples)
            status = call(bitgen)
            if status in (lib.MBGD_OK, lib.MBGD_EDIVERGED):
                finish()
        return status

    @staticmethod
    def _ended(status, state, st, sl):
        """Diverged (with the iterations done) or an error for a failed call, else the step."""
        if status == lib.MBGD_EDIVERGED:
            raise Diverged(int(sl.n_done))
        _check(status, "train")
        state.step = int(st.step)

    def _bind(self, state, rows, starts, lr, batch_loss, loss_sum):
        """The C state and slice structs pointed at these arrays (train_slice, train_epochs)."""
        st = self._state
        st.theta = _ptr(state.theta)
        st.buf1 = _ptr(state.buf1)
        st.buf2 = _ptr(state.buf2)
        st.avg = _ptr(state.avg)
        st.carry = _ptr(state.carry)
        st.step = state.step
        sl = self._slice
        sl.rows = _ptr(rows, "int64_t")
        sl.starts = _ptr(starts, "int64_t")
        sl.lr = _ptr(lr, "double")
        sl.batch_loss = _ptr(batch_loss, "double")
        sl.n_iter = len(lr)
        sl.loss_sum = loss_sum
        return st, sl

    #: train_slice takes ``draw``: it can draw the epoch's order itself (core.train)
    draws_order = True

    def train_epochs(self, state, rows, starts, lr, batch_loss, epoch_iters, epoch_sums, draw=None):
        """Run ``len(lr)`` iterations in place on ``state`` as calls of ``epoch_iters``
        iterations each (the last may be shorter), one kernel call for all (mbgd_train_epochs):
        the same bits as that many train_slice calls, each from ``loss_sum=0.0``.  Run r's
        loss sum goes to ``epoch_sums[r]`` (float64).  With ``draw`` (a NumPy BitGenerator),
        ``rows`` (int64, writable, n_samples entries a run) first receives run r's order at
        ``rows[r * n_samples:]``, the one ``draw`` gives the epoch's first train_slice; each
        run's ``starts`` point into its own.  Raises :class:`Diverged` with the iterations
        completed over all runs (the orders up to that run drawn, the sums up to the run
        before written)."""
        n_runs = -(-len(lr) // epoch_iters)
        if epoch_sums.dtype != np.float64 or len(epoch_sums) < n_runs:
            raise ValueError("epoch_sums must be a float64 array of one entry per run")
        st, sl = self._bind(state, rows, starts, lr, batch_loss, 0.0)
        fn, sums = self._train_epochs, _ptr(epoch_sums, "double")
        if draw is None:
            status = fn(self._p, self._data, st, sl, epoch_iters, ffi.NULL, sums)
        else:
            if (rows.dtype != np.int64 or len(rows) < n_runs * self._data.n_samples
                    or not (rows.flags.writeable and rows.flags.c_contiguous)):
                raise ValueError("rows must be a writable C-contiguous int64 array with "
                                 "n_samples entries a run")
            status = self._drawing(draw, lambda bg: fn(self._p, self._data, st, sl, epoch_iters,
                                                       bg, sums))
        self._ended(status, state, st, sl)

    #: train_slice returns its running sum of the batch losses (core.train's epoch loss)
    sums_losses = True

    def train_slice(self, state, rows, starts, lr, batch_loss, draw=None, loss_sum=0.0):
        """Run ``len(lr)`` iterations in place on ``state``; batch losses into ``batch_loss``.
        Returns ``loss_sum`` with each batch loss added to it in turn (in float64, in order:
        ``seq_sum(loss_sum, batch_loss)``), summed by the kernel as it writes them.

        Raises :class:`Diverged` with the number of completed iterations when one
        diverges (the state is then unspecified: the caller replays from a copy).
        With ``draw`` (a NumPy BitGenerator), ``rows`` (int64, one entry per sample) first
        receives the order ``permutation_of(draw, n)`` would give, complete when this
        returns or raises Diverged; on two threads it is drawn while the iterations run on
        its front, on one thread until it is drawn and then, when the batches split, on the
        team (mbgd_train_drawing).
        """
        st, sl = self._bind(state, rows, starts, lr, batch_loss, loss_sum)
        if draw is None:
            status = self._train(self._p, self._data, st, sl)
        else:
            if (rows.dtype != np.int64 or rows.shape != (self._data.n_samples,)
                    or not (rows.flags.writeable and rows.flags.c_contiguous)):
                raise ValueError("rows must be a writable C-contiguous int64 array with one "
                                 "entry per sample")
            status = self._drawing(draw, lambda bg: self._train_drawing(self._p, self._data, st,
                                                                        sl, bg))
        self._ended(status, state, st, sl)
        return sl.loss_sum

    def gradient_noise(self, theta, rows):
        """(loss, mean gradient (P,), mean of |g_i|^2) over ``rows`` (None: all) in one pass."""
        loss, sq = ffi.new("double *"), ffi.new("double *")
        grad = np.empty_like(theta)
        n_rows = 0 if rows is None else len(rows)
        fn = getattr(lib, f"mbgd_gradient_noise_{_SFX[self.dtype]}")
        _check(fn(self._p, self._data, _ptr(theta), _ptr(rows, "int64_t"), n_rows, loss,
                  _ptr(grad), sq), "gradient_noise")
        return float(loss[0]), grad, float(sq[0])

    def gradient(self, theta, rows, want_grad=True):
        """Objective and its gradient (flat, length P) over ``rows`` (None: all rows)."""
        loss = ffi.new("double *")
        grad = np.empty_like(theta) if want_grad else None
        n_rows = 0 if rows is None else len(rows)
        status = self._gradient(
            self._p, self._data, _ptr(theta), _ptr(rows, "int64_t"), n_rows, loss, _ptr(grad)
        )
        _check(status, "gradient")
        return float(loss[0]), grad
