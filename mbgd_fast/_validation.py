"""Argument checks shared by the functional core and the estimators.

Each check names the argument and what was wrong, and converts arrays once
without ever modifying the caller's (a conversion copies; an array already in
the right form is used read-only).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class CSR:
    """Validated CSR rows for the kernels: ``data`` (float32/float64), ``indices``
    (int32 or int64, all in [0, n_features)), ``indptr`` (int64), ``shape``.

    Made by :func:`check_X` from any ``scipy.sparse`` matrix or array; the caller's
    object is never modified (a conversion copies).
    """

    ndim = 2

    def __init__(self, data, indices, indptr, shape):
        self.data, self.indices, self.indptr = data, indices, indptr
        self.shape = (int(shape[0]), int(shape[1]))
        self.dtype = data.dtype

    @property
    def nnz(self):
        return int(self.indptr[-1] - self.indptr[0])

    def tocsr(self):
        """The same rows as a ``scipy.sparse.csr_matrix`` (sharing the arrays where scipy allows)."""
        import scipy.sparse as sp

        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    def toarray(self):
        """The dense (n_samples, n_features) array; duplicate columns add up."""
        return self.tocsr().toarray()

    def __len__(self):
        return self.shape[0]


def is_sparse(X):
    """True for scipy.sparse matrices and arrays (and :class:`CSR`)."""
    return isinstance(X, CSR) or (hasattr(X, "tocsr") and hasattr(X, "nnz") and hasattr(X, "format"))


def check_csr(X, name="X", dtype=None, finite=True):
    """A scipy.sparse matrix as a :class:`CSR`: other formats are converted once (a copy),
    real dtypes other than float32/float64 become float64, indices stay int32 or int64."""
    if isinstance(X, CSR):
        if dtype is None or X.dtype == dtype:
            return X
        return CSR(X.data.astype(dtype), X.indices, X.indptr, X.shape)
    if len(X.shape) != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {X.shape}")
    if X.format != "csr":
        X = X.tocsr()  # COO, CSC, LIL, ...: converted once
    n, d = X.shape
    if n == 0 or d == 0:
        raise ValueError(f"{name} is empty: shape {X.shape}; need at least 1 sample and 1 feature")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {X.dtype}")
    if dtype is None:
        dtype = X.dtype if X.dtype in FLOAT_DTYPES else np.dtype(np.float64)
    indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
    data = np.ascontiguousarray(X.data, dtype=dtype)
    indices = X.indices
    if indices.dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        indices = indices.astype(np.int64)
    indices = np.ascontiguousarray(indices)
    if (indptr.shape != (n + 1,) or indptr[0] < 0 or np.any(np.diff(indptr) < 0)
            or indptr[-1] > min(len(data), len(indices))):
        raise ValueError(f"{name}: the CSR indptr is malformed (it must rise from 0 to at most nnz)")
    used = indices[indptr[0] : indptr[-1]]
    if used.size and (used.min() < 0 or used.max() >= d):
        raise ValueError(f"{name}: a CSR column index lies outside [0, {d})")
    if finite:
        check_finite(data[indptr[0] : indptr[-1]], f"{name}.data")
    return CSR(data, indices, indptr, (n, d))


def check_X(X, name="X", dtype=None, finite=True, accept_sparse=False):
    """X as a C-contiguous float32/float64 2-D array (or a :class:`CSR` when sparse).

    float32 and float64 are kept; other real numeric dtypes (ints, bool, float16)
    become float64 (or ``dtype`` when given).  Complex, object and string arrays,
    a wrong ndim, an empty array and NaN/Inf raise.  ``finite=False`` skips the
    NaN/Inf scan (a full pass over X) for callers whose kernels detect a
    non-finite row themselves and then call :func:`check_finite`.
    ``accept_sparse``: scipy.sparse input becomes a :class:`CSR` (see :func:`check_csr`);
    otherwise it raises.
    """
    if is_sparse(X):
        if not accept_sparse:
            raise TypeError(f"{name}: sparse input is not supported here; pass a dense array")
        return check_csr(X, name, dtype, finite)
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers; got dtype {arr.dtype} "
            "(complex, object and string arrays are not accepted)"
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}; need at least 1 sample and 1 feature")
    if dtype is None:
        dtype = arr.dtype if arr.dtype in FLOAT_DTYPES else np.dtype(np.float64)
    if arr.dtype != dtype or not arr.flags.c_contiguous:
        arr = aligned_copy(arr, dtype)
    if finite:
        check_finite(arr, name)
    return arr


def aligned_empty(shape, dtype, align=64):
    """An uninitialised C-contiguous array of ``dtype`` whose first byte is ``align``-aligned."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) if isinstance(shape, (tuple, list)) else int(shape)
    nbytes *= dtype.itemsize
    buf = np.empty(nbytes + align, dtype=np.uint8)
    start = -buf.ctypes.data % align
    return buf[start : start + nbytes].view(dtype).reshape(shape)


def aligned_copy(arr, dtype, align=64):
    """A C-contiguous copy of ``arr`` as ``dtype`` whose first byte is ``align``-aligned.

    NumPy places a large array 16 bytes past a page boundary, so at d = 256 (float32) each
    row spans 17 cache lines instead of 16; shuffled epochs over such rows ran 11-14% slower
    (bench/loops/epoch_offset.c).  The copies train() makes anyway start on a line.
    """
    out = aligned_empty(np.shape(arr), dtype, align)
    np.copyto(out, arr, casting="unsafe")
    return out


def aligned_parts(lengths, dtype, zero=False, align=64):
    """1-D arrays of ``dtype`` of the given lengths (None: no array, None returned there), each
    starting on an ``align``-byte boundary, all views of one allocation (zeros with ``zero``,
    else uninitialised).  A state's weights, optimizer buffers and carry, which train() makes
    once a call and copies once an epoch: one allocation and one alignment for all of them
    instead of one each (about 2 us apiece)."""
    dtype = np.dtype(dtype)
    unit = align // dtype.itemsize  # values in one aligned unit (the itemsize divides align)
    sizes = [0 if n is None else -(-int(n) // unit) * unit for n in lengths]
    buf = (np.zeros if zero else np.empty)(sum(sizes) + unit, dtype=dtype)
    skip = -buf.ctypes.data % align
    if skip % dtype.itemsize:  # an allocation off the itemsize (not NumPy's): one each
        make = aligned_zeros if zero else aligned_empty
        return [None if n is None else make(int(n), dtype, align) for n in lengths]
    start, out = skip // dtype.itemsize, []
    for n, size in zip(lengths, sizes):
        out.append(None if n is None else buf[start : start + int(n)])
        start += size
    return out


def aligned_zeros(shape, dtype, align=64):
    """Zeros of ``dtype`` starting on an ``align``-byte boundary: the weights and optimizer
    buffers the kernels step.  ``np.zeros`` starts a 10 KB array 16 bytes past a 32-byte
    boundary about half the time, and the b = 1 softmax step, which stores all K d weights
    per sample, then ran 5-7% slower (bench/loops/ab_epochs.c with AB_THETA_OFFSET)."""
    out = aligned_empty(shape, dtype, align)
    out.fill(0)
    return out


def check_y(y, n_samples, dtype, name="y", finite=True):
    """y as a C-contiguous 1-D array of ``dtype`` with ``n_samples`` entries, checked finite
    unless ``finite`` is false (the caller then finds a NaN or Inf another way)."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,); got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} entries but X has {n_samples} rows")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if finite:
        check_finite(arr, name)
    return arr


def check_sample_weight(sample_weight, n_samples, dtype):
    """None, or a finite non-negative 1-D array of ``n_samples`` weights."""
    if sample_weight is None:
        return None
    sw = check_y(sample_weight, n_samples, dtype, name="sample_weight")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative")
    return sw


def check_finite(arr, name):
    """ValueError naming ``name`` and the first index of a NaN or Inf; scans in blocks."""
    if isinstance(arr, CSR):
        arr, name = arr.data[arr.indptr[0] : arr.indptr[-1]], f"{name}.data"
    flat = arr.reshape(-1)
    step = 1 << 20
    if all(np.isfinite(flat[i : i + step]).all() for i in range(0, flat.size, step)):
        return
    bad = np.argwhere(~np.isfinite(arr))[0]
    where = ", ".join(str(int(i)) for i in bad)
    raise ValueError(f"{name} contains NaN or Inf (first at index [{where}]); remove or impute them")


def check_real(value, name, low=None, high=None, low_open=False, high_open=False):
    """A finite real scalar within the given bounds, as float."""
    # float and int first: the ABC check costs about a microsecond a call (train() makes eight)
    if type(value) is not float and type(value) is not int and (
            isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer))):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return v


def check_int(value, name, low=None, high=None):
    """An integer scalar within [low, high], as int."""
    if type(value) is not int and (
            isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer))):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}")
    return value
