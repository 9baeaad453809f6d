"""Data bigger than memory: memory-mapped arrays, ``.npy`` paths, and streams of chunks.

The reference text's case for mini-batches is that memory scales with b, not N.
Here that holds for the data too:

* **Memory maps** (``np.memmap``, or a ``.npy`` path opened read-only): the rows of each
  slice of iterations (``buffer_size`` rows at most) are gathered from the file in
  ascending order into one buffer (``pread`` in C, on all cores; where that is not
  possible, through the mapping, whose pages are then handed back to the OS with
  ``madvise(MADV_DONTNEED)``), and the kernel trains on that buffer: the process holds
  about one buffer of X, never the file.  Shuffling is over all N rows, as in memory:
  same rows, same order, same result as training on ``np.load(path)``.
* **Streams** (an iterator of ``(X_chunk, y_chunk)`` or ``(X_chunk, y_chunk, sw_chunk)``,
  or a callable returning a fresh one per epoch): rows are shuffled inside a buffer of
  ``buffer_size`` rows, trained on whole batches, and the rows short of a batch are
  carried into the next buffer; the end of the stream trains what is left (a partial
  last batch unless ``drop_last``).

y (and sample_weight) of a memory map are held in memory: N values, not N x d.
"""
from __future__ import annotations

import mmap
import os
from dataclasses import replace

import numpy as np

from . import _native, losses
from ._native import Diverged
from ._validation import FLOAT_DTYPES, check_finite

#: bytes of X gathered per buffer by default (memory maps)
DEFAULT_BUFFER_BYTES = 32 << 20
#: rows of the shuffle buffer by default (streams)
DEFAULT_STREAM_BUFFER = 65536
#: rows copied from a memory map between two releases of its pages
GATHER_ROWS = 256
#: bytes Linux maps around a faulting page of a file mapping (vm fault_around_bytes)
FAULT_AROUND = 65536


def _find_mmap(arr):
    """The mmap.mmap under a numpy memmap (or a view of one), or None."""
    obj, seen = arr, 0
    while obj is not None and seen < 16:
        mm = getattr(obj, "_mmap", None)
        if isinstance(mm, mmap.mmap):
            return mm
        if isinstance(obj, mmap.mmap):
            return obj
        obj, seen = getattr(obj, "base", None), seen + 1
    return None


class MemmapSource:
    """A read-only 2-D memory-mapped X, read one buffer of rows at a time.

    Attributes: ``shape``, ``dtype`` (the float dtype the kernels see), ``buffer_rows``.
    """

    def __init__(self, arr, name="X", buffer_size=None):
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}")
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(f"{name} is empty: shape {arr.shape}")
        self.arr, self.name = arr, name
        self.shape = arr.shape
        self.dtype = arr.dtype if arr.dtype in FLOAT_DTYPES else np.dtype(np.float64)
        self._mm = _find_mmap(arr)
        self._off = None  # byte offset of arr in the mapping, when its rows are contiguous
        self._fd = self._file_off = None  # the file and arr's byte offset in it, for pread
        if self._mm is not None and arr.flags.c_contiguous:
            base = np.frombuffer(self._mm, np.uint8)
            self._off = arr.ctypes.data - base.ctypes.data
            del base
            owner = arr
            while owner is not None and getattr(owner, "_mmap", None) is not self._mm:
                owner = getattr(owner, "base", None)
            if getattr(owner, "filename", None) and owner.offset is not None:
                start = owner.offset - owner.offset % mmap.ALLOCATIONGRANULARITY
                try:
                    self._fd = os.open(owner.filename, os.O_RDONLY)
                    self._file_off = start + self._off
                except OSError:
                    self._fd = None
        row_bytes = arr.shape[1] * self.dtype.itemsize
        self.buffer_rows = int(buffer_size) if buffer_size else max(1, DEFAULT_BUFFER_BYTES // row_bytes)

    @classmethod
    def open(cls, path, name="X", buffer_size=None):
        """A ``.npy`` file mapped read-only."""
        try:
            arr = np.load(os.fspath(path), mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{name}: cannot map {os.fspath(path)!r} as a .npy array: {exc}") from None
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{name}: {os.fspath(path)!r} is not a single .npy array")
        return cls(arr, name, buffer_size)

    def release(self, first_row=None, last_row=None):
        """Drop this process's mapped pages of rows [first_row, last_row] (all by default);
        the page cache keeps them for the next read."""
        if self._mm is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        if first_row is None or self._off is None:
            self._mm.madvise(mmap.MADV_DONTNEED)
            return
        stride, page = self.arr.strides[0], mmap.PAGESIZE
        # the kernel maps up to 64 KiB around each faulting page ("fault-around"): widen by that
        lo = max(0, self._off + first_row * stride - FAULT_AROUND) // page * page
        hi = min(len(self._mm), self._off + (last_row + 1) * stride + FAULT_AROUND)
        if hi > lo:
            self._mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)

    def rows(self, idx):
        """X[idx] as a C-contiguous buffer in the kernels' dtype, read in ascending row order;
        returns (buffer, local, sorted idx) with buffer[local[k]] == X[idx[k]].

        Rows are copied GATHER_ROWS at a time, each group's pages released right after,
        so the mapped pages never exceed about GATHER_ROWS x 64 KiB."""
        order = np.argsort(idx, kind="stable")
        srt = idx[order]
        local = np.empty(len(idx), dtype=np.int64)
        local[order] = np.arange(len(idx), dtype=np.int64)
        if self._fd is not None:  # pread: nothing mapped at all
            raw = np.empty((len(srt), self.shape[1]), dtype=self.arr.dtype)
            if _native.read_rows(self._fd, self._file_off, srt, raw, _native.max_threads()):
                return np.ascontiguousarray(raw, dtype=self.dtype), local, srt
        buf = np.empty((len(srt), self.shape[1]), dtype=self.dtype)
        for k in range(0, len(srt), GATHER_ROWS):
            part = srt[k : k + GATHER_ROWS]
            if self.arr.dtype == self.dtype:
                np.take(self.arr, part, axis=0, out=buf[k : k + len(part)])
            else:
                buf[k : k + len(part)] = self.arr[part]
            self.release(int(part[0]), int(part[-1]))
        return buf, local, srt

    def __del__(self):
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None

    def block(self, start, stop):
        """Rows [start, stop) as a C-contiguous buffer in the kernels' dtype (pages released)."""
        buf = np.empty((stop - start, self.shape[1]), dtype=self.dtype)
        step = max(1, (GATHER_ROWS * 65536) // max(1, self.arr.strides[0]))
        for k in range(start, stop, step):
            e = min(stop, k + step)
            buf[k - start : e - start] = self.arr[k:e]
            self.release(k, e - 1)
        return buf

    def check_finite(self):
        """ValueError naming the first row holding NaN or Inf (scanned one buffer at a time)."""
        for s in range(0, self.shape[0], self.buffer_rows):
            blk = self.block(s, min(self.shape[0], s + self.buffer_rows))
            if not np.isfinite(blk).all():
                r, c = np.argwhere(~np.isfinite(blk))[0]
                raise ValueError(f"{self.name} contains NaN or Inf (first at index [{s + r}, {c}]); "
                                 "remove or impute them")


def as_source(X, buffer_size=None):
    """A :class:`MemmapSource` for an ``np.memmap`` or a ``.npy`` path, else None."""
    # arrays first, the usual X (the ABC test of os.PathLike costs a cold call ~10 us)
    if isinstance(X, np.ndarray):
        mapped = isinstance(X, np.memmap) or _find_mmap(X) is not None
        return MemmapSource(X, buffer_size=buffer_size) if mapped else None
    if isinstance(X, MemmapSource):
        return X
    if isinstance(X, (str, os.PathLike)):
        return MemmapSource.open(X, buffer_size=buffer_size)
    return None


class WindowedKernel:
    """A kernel over a :class:`MemmapSource`: each call gathers the rows it needs (at most
    ``buffer_rows`` at a time) and runs the in-memory kernel on them."""

    def __init__(self, make_kernel, spec, source, y, sample_weight):
        self.make, self.spec, self.source = make_kernel, spec, source
        self.y, self.sw = y, sample_weight
        self.dtype = source.dtype

    def train_slice(self, state, rows, starts, lr, batch_loss):
        cap = self.source.buffer_rows
        t, n_iter = 0, len(lr)
        while t < n_iter:
            u = t + 1  # at least one iteration; then as many as fit in the buffer
            while u < n_iter and starts[u + 1] - starts[t] <= cap:
                u += 1
            s0, s1 = starts[t], starts[u]
            buf, local, srt = self.source.rows(rows[s0:s1])
            sw = None if self.sw is None else self.sw[srt]
            kernel = self.make(self.spec, buf, self.y[srt], sw)
            try:
                kernel.train_slice(state, local, starts[t : u + 1] - s0, lr[t:u], batch_loss[t:u])
            except Diverged as div:
                raise Diverged(t + div.n_done) from None
            t = u

    def gradient(self, theta, rows, want_grad=True):
        """The objective (and gradient) over all rows, summed one buffer at a time."""
        if rows is not None:
            buf, local, srt = self.source.rows(np.asarray(rows, dtype=np.int64))
            sw = None if self.sw is None else self.sw[srt]
            return self.make(self.spec, buf, self.y[srt], sw).gradient(theta, local, want_grad)
        spec = replace(self.spec, reduction="sum", l2=0.0, l1=0.0)
        n, cap = self.source.shape[0], self.source.buffer_rows
        total, grad = 0.0, None
        for s in range(0, n, cap):
            e = min(n, s + cap)
            sw = None if self.sw is None else self.sw[s:e]
            v, g = self.make(spec, self.source.block(s, e), self.y[s:e], sw).gradient(theta, None, want_grad)
            total += v
            grad = g if grad is None else (grad + g if want_grad else None)
        return losses.objective(self.spec, theta, total, grad, n, self.dtype)

    def check_finite(self):
        self.source.check_finite()
        check_finite(self.y, "y")


def is_stream(X, y):
    """True for train(source, None): an iterator, or a callable returning one per epoch."""
    if y is not None or isinstance(X, (np.ndarray, str, os.PathLike, list, tuple)):
        return False
    return callable(X) or hasattr(X, "__next__")


def _check_chunk(chunk, k, first, loss):
    """(X, y, sw) of chunk number k, checked against the first chunk's (d, dtype)."""
    from ._validation import check_sample_weight, check_X, check_y

    if not isinstance(chunk, (tuple, list)) or len(chunk) not in (2, 3):
        raise TypeError(f"stream chunk {k}: expected a pair (X_chunk, y_chunk) or a triple "
                        f"(X_chunk, y_chunk, sample_weight_chunk), got {type(chunk).__name__}")
    dtype = None if first is None else first[1]
    Xc = check_X(chunk[0], name=f"stream chunk {k}: X", dtype=dtype)
    if first is not None and Xc.shape[1] != first[0]:
        raise ValueError(f"stream chunk {k}: X has {Xc.shape[1]} features, the first chunk had {first[0]}")
    yc = check_y(chunk[1], Xc.shape[0], Xc.dtype, name=f"stream chunk {k}: y")
    if loss != "softmax":
        yc, _ = losses.encode_labels(loss, yc, None)
    swc = check_sample_weight(chunk[2], Xc.shape[0], Xc.dtype) if len(chunk) == 3 else None
    return Xc, yc, swc


def train_stream(source, *, loss, batch_size, epochs, lr, optimizer, l2, l1, fit_intercept, shuffle,
                 seed, drop_last, reduction, backend, n_threads, callback, progress, momentum, betas,
                 eps, delta, epsilon, n_classes, coef_init, intercept_init, init_state, average,
                 buffer_size):
    """:func:`mbgd_fast.train` on a stream (see the module docstring); called by ``train``."""
    from . import core
    from ._validation import check_int
    from .schedules import as_schedule

    loss = losses.canonical(loss)
    backend = core._resolve_backend(backend)
    if not callable(source) and epochs != 1:
        raise ValueError("epochs > 1 needs X to be a callable returning a fresh iterator of chunks "
                         "per epoch; an iterator can be read once")
    if batch_size is None:
        raise ValueError("batch_size=None (full batch) needs N, which a stream does not know; give an int")
    b = check_int(batch_size, "batch_size", low=1)
    epochs = check_int(epochs, "epochs", low=1)
    cap = check_int(buffer_size if buffer_size is not None else max(DEFAULT_STREAM_BUFFER, b),
                    "buffer_size", low=b)
    if loss == "softmax":
        if n_classes is None:
            raise ValueError("softmax on a stream needs n_classes (the labels are not known in advance)")
        K = check_int(n_classes, "n_classes", low=2)
    else:
        K = 1
    schedule = as_schedule(lr)
    if getattr(schedule, "t_max", 0) is None:
        raise ValueError("this schedule needs the total number of iterations, which a stream does "
                         "not know; give it t_max")
    spec = core._make_spec(loss, K, optimizer=optimizer, fit_intercept=fit_intercept,
                           reduction=reduction, delta=delta, epsilon=epsilon, l2=l2, l1=l1,
                           momentum=momentum, betas=betas, eps=eps, n_threads=n_threads)
    spec = replace(spec, average_start=core._average_start(average))
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {callback!r}")
    rng = np.random.default_rng(seed)
    bar = core._progress_bar(progress, None)
    run = {"state": None, "first": None, "t": 0, "losses": [], "ipe": None, "n": None}
    epoch_loss = []

    def result():
        st = run["state"]
        avg = st.average
        bl = np.concatenate(run["losses"]) if run["losses"] else np.empty(0)
        return core.TrainResult(
            coef=st.coef, intercept=st.intercept, batch_loss=bl, epoch_loss=np.array(epoch_loss),
            full_loss=None, n_iter=run["t"], iters_per_epoch=run["ipe"] or run["t"],
            n_epochs=len(epoch_loss), batch_size=b, n_samples=run["n"] or 0, backend=backend, state=st,
            average_coef=None if avg is None else avg[0],
            average_intercept=None if avg is None else avg[1])

    def train_rows(Xb, yb, swb, m, epoch):
        """Train on the first m rows of the (already shuffled) buffer: ceil(m / b) iterations."""
        if loss == "softmax":
            yb, _ = losses.encode_labels(loss, yb, K)
        kernel = core._make_kernel(backend, spec, Xb, yb, swb)
        n_it = -(-m // b)
        starts = np.minimum(np.arange(n_it + 1, dtype=np.int64) * b, m)
        rows = np.arange(len(Xb), dtype=np.int64)
        per_call = core._slice_iterations(b, Xb.shape[1], K)
        for i0 in range(0, n_it, per_call):
            i1 = min(n_it, i0 + per_call)
            t = run["t"]
            rates = core._learning_rates(schedule, t, t + i1 - i0, None)
            bl = np.empty(i1 - i0)
            before = run["state"].copy()
            try:
                kernel.train_slice(run["state"], rows, starts[i0 : i1 + 1], rates, bl)
            except Diverged as div:
                check_finite(Xb, "X (a stream chunk)")
                run["state"] = before
                if div.n_done:
                    kernel.train_slice(before, rows, starts[i0 : i0 + div.n_done + 1],
                                       rates[: div.n_done], bl[: div.n_done])
                run["losses"].append(bl[: div.n_done])
                run["t"] = t + div.n_done
                raise core.DivergenceError(
                    f"training diverged at epoch {epoch}, global iteration {t + div.n_done}: the "
                    f"mini-batch loss was {bl[div.n_done]:g} or a weight became non-finite. Try a "
                    f"smaller lr (it was {rates[div.n_done]:g} there).", result(), epoch,
                    t + div.n_done) from None
            run["losses"].append(bl)
            run["t"] = t + i1 - i0
            if bar is not None:  # samples, and the running loss: the mean over the slice
                bar.update(int(starts[i1] - starts[i0]))
                bar.set_postfix(epoch=epoch, loss=f"{bl.mean():.4g}", refresh=False)

    try:
        for epoch in range(epochs):
            it = iter(source() if callable(source) else source)
            t_epoch, n_epoch = run["t"], 0
            pend = []  # chunks waiting in the buffer (the carried rows first)
            count = 0

            def flush(final):
                nonlocal pend, count
                if not pend:
                    return
                Xb = np.concatenate([p[0] for p in pend]) if len(pend) > 1 else pend[0][0]
                yb = np.concatenate([p[1] for p in pend]) if len(pend) > 1 else pend[0][1]
                sws = [p[2] for p in pend]
                swb = None if all(s is None for s in sws) else np.concatenate(
                    [np.ones(len(p[1]), Xb.dtype) if p[2] is None else p[2] for p in pend])
                m = len(Xb)
                if shuffle:
                    perm = core.epoch_order(rng, m) if m > 1 else np.zeros(1, np.int64)
                    Xb, yb = Xb[perm], yb[perm]
                    swb = None if swb is None else swb[perm]
                use = m if final and not drop_last else (m // b) * b
                if use:
                    train_rows(np.ascontiguousarray(Xb), np.ascontiguousarray(yb),
                               None if swb is None else np.ascontiguousarray(swb), use, epoch)
                left = m - use
                pend = [] if (left == 0 or final) else [(Xb[use:].copy(), yb[use:].copy(),
                                                         None if swb is None else swb[use:].copy())]
                count = 0 if final else left

            for k, chunk in enumerate(it):
                Xc, yc, swc = _check_chunk(chunk, k, run["first"], loss)
                if run["first"] is None:
                    run["first"] = (Xc.shape[1], Xc.dtype)
                    st = core.State.zeros(spec, Xc.shape[1], Xc.dtype)
                    if init_state is not None:
                        core._resume_state(st, init_state)
                    core._set_init(st, coef_init, intercept_init, Xc.dtype)
                    run["state"] = st
                pend.append((Xc, yc, swc))
                count += len(Xc)
                n_epoch += len(Xc)
                if count >= cap:
                    flush(final=False)
            flush(final=True)
            if run["state"] is None:
                raise ValueError("the stream gave no chunks")
            if run["ipe"] is None:
                run["ipe"], run["n"] = run["t"] - t_epoch, n_epoch
            done = run["losses"]
            ep = np.concatenate(done)[t_epoch - run["t"]:] if run["t"] > t_epoch else np.array([np.nan])
            epoch_loss.append(float(ep.mean()))
            if callback is not None:
                info = core.EpochInfo(epoch, run["t"], epoch_loss[-1], None, run["state"].coef,
                                      run["state"].intercept)
                if callback(info) is True:
                    break
    except KeyboardInterrupt as exc:
        if run["state"] is not None:
            exc.result = result()
        raise
    finally:
        if bar is not None:
            bar.close()
    return result()
