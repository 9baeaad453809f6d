"""The CUDA backend (``backend="cuda"``): Numba CUDA kernels, imported only when used.

Data is copied to the device once per ``train`` / ``gradient`` call (device arrays are
used in place: Numba device arrays, and CuPy / PyTorch CUDA tensors through
``__cuda_array_interface__``).  Each slice of iterations runs on the device without a
host synchronization per iteration, in one cooperative launch ("persistent") or, where
that is not available, one launch per phase ("phases"); the mini-batch losses come back
once per slice.  MBGD_FAST_CUDA_LAUNCH=persistent|phases forces one, and
MBGD_FAST_CUDA_THREADS sets the threads per block (a multiple of 32, at most 1024).
"""
from __future__ import annotations

import importlib.util
import os
import re

import numpy as np

from .. import losses
from .._native import Diverged

#: problems with at least this many elements of X pick the GPU under backend="auto"
AUTO_MIN_ELEMENTS = 1 << 24


def _import():
    """(numba.cuda, kernels) or ImportError naming what to install."""
    if importlib.util.find_spec("numba") is None or importlib.util.find_spec("numba.cuda") is None:
        raise ImportError("backend='cuda' needs Numba's CUDA target: pip install 'mbgd_fast[cuda]' "
                          "(numba and numba-cuda)")
    from numba import cuda

    from . import kernels
    return cuda, kernels


#: the last numba-cuda seen to call np.row_stack, which NumPy 2.5 removed, when it compiles
#: a kernel (0.30.4 with NumPy 2.5.2 on an H200 machine: AttributeError at the first launch)
ROW_STACK_UNTIL = (0, 30, 4)


def numpy_clash():
    """Why this numba-cuda cannot compile with this NumPy, or None."""
    if hasattr(np, "row_stack"):
        return None
    try:
        from importlib.metadata import version

        v = version("numba-cuda")
    except Exception:  # not installed as a distribution: nothing known
        return None
    parts = tuple(int(p) for p in re.findall(r"\d+", v)[:3])
    if parts and parts <= ROW_STACK_UNTIL:
        return (f"backend='cuda': numba-cuda {v} calls np.row_stack when it compiles, and NumPy "
                f"{np.__version__} has none: pip install 'numpy<2.5' (or a newer numba-cuda)")
    return None


def unavailable_reason():
    """None when backend="cuda" can run here, else why not (what is missing)."""
    try:
        cuda, kernels = _import()
    except ImportError as exc:
        return str(exc)
    if kernels.SIM:
        return None  # the simulator compiles nothing
    clash = numpy_clash()
    if clash:
        return clash
    try:
        if not cuda.is_available():
            return ("backend='cuda': Numba finds no usable CUDA GPU or driver here "
                    "(numba.cuda.is_available() is False)")
    except Exception as exc:  # pragma: no cover - driver dependent
        return f"backend='cuda': the CUDA driver failed: {exc}"
    return None


def auto_wants_gpu(X):
    """backend="auto": the GPU only when one is present (not the simulator) and X is big and dense."""
    if hasattr(X, "indptr") or not hasattr(X, "shape") or X.shape[0] * X.shape[1] < AUTO_MIN_ELEMENTS:
        return False
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        return False
    if importlib.util.find_spec("numba") is None:
        return False
    return unavailable_reason() is None


def is_device_array(a):
    """A GPU array: ``__cuda_array_interface__`` (CuPy, PyTorch, Numba), or a Numba device
    array (the simulator's have no interface)."""
    if isinstance(a, np.ndarray):
        return False
    return hasattr(a, "__cuda_array_interface__") or (hasattr(a, "copy_to_host") and hasattr(a, "shape"))


def as_device(cuda, a):
    """A Numba view of a device array (no copy)."""
    return a if hasattr(a, "copy_to_host") else cuda.as_cuda_array(a)


def _threads(kernels):
    t = int(os.environ.get("MBGD_FAST_CUDA_THREADS", "32" if kernels.SIM else "256"))
    if t < 32 or t % 32 or t > kernels.MAX_THREADS:
        raise ValueError(f"MBGD_FAST_CUDA_THREADS={t}: must be a multiple of 32 in [32, 1024]")
    return t


class CudaKernel:
    """The CUDA backend for one problem (interface of :class:`mbgd_fast._native.NativeKernel`)."""

    #: rows per partial gradient sum (the partials are then added in order: no atomics)
    GRAD_CHUNK = 256
    #: batch rows per chunk of phase B1 (longer batches are summed chunk-parallel), at least
    CHUNK = 16
    #: chunks per batch, at most: longer chunks beyond CHUNK * MAX_CHUNKS rows
    MAX_CHUNKS = 1024

    def __init__(self, spec, X, y, sample_weight=None):
        from .._native import LOSS_CODES, OPTIMIZER_CODES

        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self.cuda, self.k = cuda, k = _import()
        if hasattr(X, "indptr"):
            raise TypeError("backend='cuda' takes dense X; sparse input runs on backend='cpu'")
        names = ("squared", "huber", "epsilon_insensitive", "squared_epsilon_insensitive", "logistic",
                 "hinge", "squared_hinge", "modified_huber", "perceptron", "softmax")
        assert all(LOSS_CODES[nm] == i for i, nm in enumerate(names))  # kernels.py mirrors mbgd.h
        assert [OPTIMIZER_CODES[o] for o in ("sgd", "momentum", "nesterov", "adam")] == [0, 1, 2, 3]
        self.spec = spec
        if is_device_array(X):
            self.X = as_device(cuda, X)  # already on the device: used in place, no copy
        else:
            self.X = cuda.to_device(np.ascontiguousarray(X))
        self.dtype = np.dtype(self.X.dtype)
        self.n, self.d = self.X.shape
        self.Y = as_device(cuda, y) if is_device_array(y) else cuda.to_device(
            np.ascontiguousarray(y, dtype=self.dtype))
        self.has_sw = sample_weight is not None
        self.SW = cuda.to_device(np.ascontiguousarray(
            sample_weight if self.has_sw else np.ones(1), dtype=self.dtype))
        self.K = spec.n_outputs
        self.P = self.K * (self.d + 1)
        self.fp = np.array([spec.delta, spec.epsilon, spec.l2, spec.l1, spec.momentum, spec.betas[0],
                            spec.betas[1], spec.eps], dtype=np.float64)
        self.ip = np.array([LOSS_CODES[spec.loss], OPTIMIZER_CODES[spec.optimizer],
                            int(spec.fit_intercept), int(spec.reduction == "sum"), self.d, self.K, 0,
                            int(self.has_sw), self.CHUNK], dtype=np.int64)
        self.threads = _threads(k)
        self.launch = os.environ.get("MBGD_FAST_CUDA_LAUNCH", "persistent")
        if self.launch not in ("persistent", "phases"):
            raise ValueError(f"MBGD_FAST_CUDA_LAUNCH={self.launch!r}: persistent or phases")
        self._rows_host = self._rows_dev = None
        self._all_rows = None

    # -- helpers ---------------------------------------------------------------------------

    def _rows(self, rows):
        """The epoch's row order on the device, copied once per order array."""
        if rows is not self._rows_host:
            self._rows_dev = self.cuda.to_device(np.ascontiguousarray(rows, dtype=np.int64))
            self._rows_host = rows
        return self._rows_dev

    def _blocks(self, work_threads):
        return max(1, -(-work_threads // self.threads))

    def _persistent(self, want, args):
        """(launchable kernel, blocks) for a cooperative launch of train_persistent, or
        (None, 0) where cooperative launch is not available."""
        if self.k.SIM:
            return self.k.train_persistent, 1  # the simulator's grid.sync() syncs one block only
        try:  # pragma: no cover - needs a GPU
            spec = self.k.train_persistent.specialize(*args)  # compiled once per signature
            kern = next(iter(spec.overloads.values()))
            cap = int(kern.max_cooperative_grid_blocks(self.threads))
        except Exception:  # pragma: no cover - needs a GPU
            return None, 0
        return (spec, min(want, cap)) if cap > 0 else (None, 0)

    # -- the NativeKernel interface ------------------------------------------------------------

    def train_slice(self, state, rows, starts, lr, batch_loss):
        cuda, k = self.cuda, self.k
        n_iter = len(lr)
        starts = np.asarray(starts, dtype=np.int64)
        nbs = np.diff(starts)
        if n_iter == 0:
            return
        if np.any(nbs <= 0):
            raise ValueError("train_slice: empty batch")
        maxb = int(nbs.max())
        ip = self.ip.copy()
        ip[k.I_MAXB] = maxb
        ch = max(self.CHUNK, -(-maxb // self.MAX_CHUNKS))
        ip[k.I_CHUNK] = ch
        step = state.step + 1 + np.arange(n_iter, dtype=np.float64)
        lr = np.ascontiguousarray(lr, dtype=np.float64)
        if self.spec.optimizer == "adam":
            lr_bc1 = lr / (1.0 - self.spec.betas[0] ** step)
            isb2 = 1.0 / np.sqrt(1.0 - self.spec.betas[1] ** step)
        else:
            lr_bc1 = isb2 = np.zeros(n_iter)
        a0 = self.spec.average_start
        avg_w = np.where(step - 1 - a0 >= 0, 1.0 / np.maximum(step - a0, 1), 0.0) if a0 >= 0 \
            else np.zeros(n_iter)
        d_rows = self._rows(rows)
        put = cuda.to_device
        theta = put(state.theta)
        buf1 = put(state.buf1 if state.buf1 is not None else np.zeros(1, self.dtype))
        buf2 = put(state.buf2 if state.buf2 is not None else np.zeros(1, self.dtype))
        avg = put(state.avg if state.avg is not None else np.zeros(1, self.dtype))
        d_starts, d_lr, d_bc1, d_isb2, d_avgw = (put(a) for a in (starts, lr, lr_bc1, isb2, avg_w))
        fp, d_ip = put(self.fp), put(ip)
        cbuf = cuda.device_array(maxb * self.K, np.float64)
        rloss2 = cuda.device_array(2 * maxb, np.float64)
        R = -(-maxb // ch)
        part = cuda.device_array((R, self.P + 1), np.float64)  # + the chunks' row losses
        want = max(self._blocks((self.P + 1) * R), self._blocks(maxb * k.WARP),
                   self._blocks(self.P * k.WARP) if R > 1 else 1)
        loss_d = cuda.device_array(n_iter, np.float64)
        flags_d = cuda.device_array(n_iter, np.float64)
        args = [self.X, self.Y, self.SW, d_rows, d_starts, d_lr, d_bc1, d_isb2, d_avgw, theta, buf1,
                buf2, avg, fp, d_ip, cbuf, part, rloss2, cuda.device_array((1, 3), np.float64),
                loss_d, flags_d, 0, n_iter]
        kern, blocks = self._persistent(want, args) if self.launch == "persistent" else (None, 0)
        if blocks:
            args[18] = cuda.device_array((blocks, 3), np.float64)  # per-block norms
            try:
                kern[blocks, self.threads](*args)
            except Exception:  # pragma: no cover - a driver without cooperative launch
                blocks = 0
                self.launch = "phases"
        if not blocks:
            ba, bb, bw = self._blocks(maxb * k.WARP), self._blocks(self.P), self._blocks(self.P * k.WARP)
            pen = cuda.device_array((max(bb, bw), 3), np.float64)
            for t in range(n_iter):  # launches queue up: no host synchronization per iteration
                k.phase_a[ba, self.threads](self.X, self.Y, self.SW, d_rows, d_starts, t, theta, fp,
                                            d_ip, cbuf, rloss2)
                chunked = nbs[t] > ch
                if chunked:
                    k.phase_b1[self._blocks((self.P + 1) * -(-int(nbs[t]) // ch)), self.threads](
                        self.X, d_rows, d_starts, t, d_ip, cbuf, rloss2, part)
                nb_blocks = bw if chunked else bb  # phase B: a warp or a thread per parameter
                k.phase_b[nb_blocks, self.threads](
                    self.X, d_rows, d_starts, t, d_lr, d_bc1, d_isb2, d_avgw, theta, buf1, buf2, avg,
                    fp, d_ip, cbuf, rloss2, part, pen)
                k.finalize[1, self.threads](d_starts, t, fp, d_ip, rloss2, part, pen, nb_blocks,
                                            loss_d, flags_d)
        losses, flags = loss_d.copy_to_host(), flags_d.copy_to_host()
        theta.copy_to_host(state.theta)
        for name, dev in (("buf1", buf1), ("buf2", buf2), ("avg", avg)):
            if getattr(state, name) is not None:
                dev.copy_to_host(getattr(state, name))
        batch_loss[:] = losses
        bad = ~(np.isfinite(losses) & np.isfinite(flags))
        if bad.any():
            raise Diverged(int(np.argmax(bad)))
        state.step += n_iter

    def _pass(self, theta, rows, want_grad, want_sq):
        cuda, k = self.cuda, self.k
        if rows is None:
            if self._all_rows is None:
                self._all_rows = cuda.to_device(np.arange(self.n, dtype=np.int64))
            d_rows, m = self._all_rows, self.n
        else:
            d_rows, m = cuda.to_device(np.ascontiguousarray(rows, dtype=np.int64)), len(rows)
        fp, ip = cuda.to_device(self.fp), cuda.to_device(self.ip)
        d_theta = cuda.to_device(np.ascontiguousarray(theta))
        cbuf = cuda.device_array(m * self.K, np.float64)
        rloss = cuda.device_array(m, np.float64)
        xsq = cuda.device_array(m, np.float64)
        k.rows_pass[self._blocks(m * k.WARP), self.threads](self.X, self.Y, self.SW, d_rows, m, d_theta,
                                                            fp, ip, cbuf, rloss, xsq)
        gsum = None
        if want_grad:
            chunk = self.GRAD_CHUNK
            R = -(-m // chunk)
            part = cuda.device_array((R, self.P), np.float64)
            k.grad_partials[(self._blocks(self.P), R), self.threads](self.X, d_rows, m, chunk, ip, cbuf, part)
            gsum = part.copy_to_host().sum(axis=0)
        loss, grad = losses.objective(self.spec, theta, float(np.sum(rloss.copy_to_host())), gsum, m,
                                      self.dtype)
        sq = None
        if want_sq:
            c = cbuf.copy_to_host().reshape(m, self.K)
            sq = float(np.sum((c * c).sum(axis=1) * (xsq.copy_to_host() + float(self.spec.fit_intercept))))
            sq *= 1.0 if self.spec.reduction == "sum" else 1.0 / m
        return loss, grad, sq

    def gradient(self, theta, rows, want_grad=True):
        loss, grad, _ = self._pass(theta, rows, want_grad, False)
        return loss, grad

    def gradient_noise(self, theta, rows):
        return self._pass(theta, rows, True, True)
