"""Small datasets shipped inside the package, so the main command runs offline.

``breast_cancer.csv`` is the Wisconsin Diagnostic Breast Cancer data (UCI), in the
layout scikit-learn ships it (BSD-3-Clause): a header line ``569,30,malignant,benign``
then 30 features and the class (0 malignant, 1 benign) per row.
"""
from __future__ import annotations

from importlib import resources

import numpy as np


def load_breast_cancer(standardize=True, dtype=np.float64):
    """The breast cancer data: X (569, 30) and y in {0, 1}.

    Parameters
    ----------
    standardize : bool
        Scale each feature to zero mean and unit variance (what SGD needs).
    """
    with resources.files(__package__).joinpath("data/breast_cancer.csv").open("r") as fh:
        n, d = (int(v) for v in fh.readline().split(",")[:2])
        data = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    if data.shape != (n, d + 1):
        raise RuntimeError(f"breast_cancer.csv: expected {n} rows of {d + 1} values, got {data.shape}")
    X, y = data[:, :d], data[:, d]
    if standardize:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(dtype), y.astype(dtype)


def make_tuning_problem(n_samples=50_000, n_features=32, noise=2.0, seed=0, dtype=np.float32):
    """The tuner's default data: a seeded logistic-regression problem (X, y in {-1, +1}).

    Features are standard normal; labels are sign(x·w + noise·logistic), so the Bayes
    error is well above 0 and the gradient noise stays finite at the optimum.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)).astype(dtype)
    w = rng.normal(size=n_features)
    y = np.where(X @ w + noise * rng.logistic(size=n_samples) > 0, 1, -1).astype(dtype)
    return X, y


SVMLIGHT_SUFFIXES = (".svm", ".svmlight", ".libsvm")


def load_table(path, target=None, fmt=None):
    """(X, y) from a data file, by suffix (or ``fmt``): .npy (2-D, with a target column),
    .npz (arrays X and y; X may be a saved scipy.sparse matrix's arrays), .csv (a header
    line, then numbers) or svmlight/libsvm (.svm, .svmlight, .libsvm: X comes back as a
    scipy.sparse CSR matrix).

    ``target``: the target column, by name (csv) or index (default: the last column);
    not used for .npz and svmlight.  Errors in a text file name the line, e.g.
    ``data.csv, line 1234, column 3 (x2): cannot read 'abc' as a number``.
    """
    path = str(path)
    fmt = fmt or next((f for f, sfx in (("npz", (".npz",)), ("npy", (".npy",)), ("csv", (".csv",)),
                                        ("svmlight", SVMLIGHT_SUFFIXES)) if path.endswith(sfx)), None)
    if fmt == "svmlight":
        return load_svmlight(path)
    if fmt == "npz":
        with np.load(path) as z:
            if "X" not in z or "y" not in z:
                raise ValueError(f"{path}: a .npz needs arrays named X and y, found {list(z)}")
            return np.asarray(z["X"]), np.asarray(z["y"])
    if fmt == "npy":
        data = np.load(path)
        names = None
    elif fmt == "csv":
        data, names = _load_csv(path)
    else:
        raise ValueError(f"{path}: expected a .npy, .npz, .csv or svmlight ({', '.join(SVMLIGHT_SUFFIXES)}) file")
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError(f"{path}: expected a 2-D table with a target column, got shape {data.shape}")
    if target is None:
        col = data.shape[1] - 1
    elif names is not None and target in names:
        col = names.index(target)
    else:
        try:
            col = int(target) % data.shape[1]
        except ValueError:
            raise ValueError(f"{path}: no column {target!r} (columns: {names})") from None
    return np.delete(data, col, axis=1), data[:, col]


def _load_csv(path):
    """A csv file with a header line: (data, column names); errors name the line."""
    with open(path, encoding="utf-8") as fh:
        names = [c.strip() for c in fh.readline().split(",")]
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, encoding="utf-8")
    except ValueError as exc:
        _find_csv_error(path, names)
        raise ValueError(f"{path}: {exc}") from None
    if data.shape[0] and data.shape[1] != len(names):
        raise ValueError(f"{path}: rows have {data.shape[1]} values but the header (line 1) names "
                         f"{len(names)} columns")
    bad = ~np.isfinite(data)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        line = _data_line_number(path, int(r))
        raise ValueError(f"{path}, line {line}, column {c + 1} ({names[c]}): the value is "
                         f"{float(data[r, c])}; remove or impute non-finite values")
    return data, names


def _data_line_number(path, row):
    """The 1-based line of data row ``row`` (0-based) of a csv file with one header line,
    counting the blank lines loadtxt skips."""
    with open(path, encoding="utf-8") as fh:
        fh.readline()
        seen = -1
        for lineno, line in enumerate(fh, start=2):
            if line.strip():
                seen += 1
                if seen == row:
                    return lineno
    return row + 2


def _find_csv_error(path, names):
    """Raise ValueError for the first line of a csv file that is not numbers, one per column."""
    with open(path, encoding="utf-8") as fh:
        fh.readline()
        for lineno, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split(",")
            if len(fields) != len(names):
                raise ValueError(f"{path}, line {lineno}: {len(fields)} values, but the header "
                                 f"(line 1) names {len(names)} columns")
            for j, f in enumerate(fields):
                try:
                    float(f)
                except ValueError:
                    raise ValueError(f"{path}, line {lineno}, column {j + 1} ({names[j]}): cannot "
                                     f"read {f.strip()!r} as a number") from None


def load_svmlight(path, n_features=None, dtype=np.float64):
    """(X, y) from a svmlight / libsvm file: X a scipy.sparse CSR matrix, y an array.

    Uses scikit-learn's ``load_svmlight_file`` (zero_based="auto") when scikit-learn is
    installed, else :func:`parse_svmlight` (same result).  A malformed file raises a
    ValueError naming its line.
    """
    try:
        from sklearn.datasets import load_svmlight_file
    except ImportError:
        return parse_svmlight(path, n_features, dtype)
    try:
        X, y = load_svmlight_file(str(path), n_features=n_features, dtype=dtype)
    except ValueError as exc:
        parse_svmlight(path, n_features, dtype)  # raises naming the line, when it finds one
        raise ValueError(f"{path}: {exc}") from None
    _check_svmlight_finite(path, X, y)
    return X, y


def parse_svmlight(path, n_features=None, dtype=np.float64):
    """A plain-Python svmlight / libsvm reader: ``label [qid:q] index:value ...`` per line,
    ``#`` comments, indices one-based unless a 0 appears (scikit-learn's zero_based="auto"),
    increasing within a line.  Errors name the line."""
    import scipy.sparse as sp

    labels, values, cols, indptr = [], [], [], [0]
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            tokens = line.split()
            try:
                labels.append(float(tokens[0]))
            except ValueError:
                raise ValueError(f"{path}, line {lineno}: cannot read the label {tokens[0]!r}") from None
            last = -1
            for tok in tokens[1:]:
                key, sep, val = tok.partition(":")
                if key == "qid":
                    continue
                try:
                    j, v = int(key), float(val)
                    if not sep:
                        raise ValueError
                except ValueError:
                    raise ValueError(f"{path}, line {lineno}: cannot read {tok!r} as index:value") from None
                if j < 0 or j <= last:
                    raise ValueError(f"{path}, line {lineno}: feature indices must be non-negative "
                                     f"and increasing, got {j} after {last}")
                last = j
                cols.append(j)
                values.append(v)
            indptr.append(len(cols))
    cols = np.asarray(cols, dtype=np.int64)
    if cols.size and cols.min() > 0:  # one-based
        cols -= 1
    d = int(cols.max()) + 1 if cols.size else 0
    if n_features is not None:
        if n_features < d:
            raise ValueError(f"{path}: n_features={n_features} but the file has a feature index {d - 1}")
        d = n_features
    idx_dtype = np.int32 if d < 2**31 and len(cols) < 2**31 else np.int64
    X = sp.csr_matrix((np.asarray(values, dtype=dtype), cols.astype(idx_dtype),
                       np.asarray(indptr, dtype=idx_dtype)), shape=(len(labels), d))
    y = np.asarray(labels, dtype=np.float64)
    _check_svmlight_finite(path, X, y)
    return X, y


def _check_svmlight_finite(path, X, y):
    """ValueError naming the data line (1-based, comments and blank lines counted as lines
    only when they precede data) of the first NaN/Inf label or value."""
    bad_y = ~np.isfinite(y)
    bad_x = ~np.isfinite(X.data)
    if not (bad_y.any() or bad_x.any()):
        return
    row = int(np.argmax(bad_y)) if bad_y.any() else len(y)
    if bad_x.any():
        row = min(row, int(np.searchsorted(X.indptr, int(np.argmax(bad_x)), side="right") - 1))
    seen = -1
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw.split("#", 1)[0].strip():
                seen += 1
                if seen == row:
                    raise ValueError(f"{path}, line {lineno}: a non-finite label or value; remove "
                                     "or impute it")
    raise ValueError(f"{path}: a non-finite label or value in data row {row}")
