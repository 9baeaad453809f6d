"""Data files: svmlight against scikit-learn's reader, csv errors with line numbers, and the
train / predict / info commands on them (progress bar, atomic model writes)."""
import numpy as np
import pytest
import scipy.sparse as sp

import mbgd_fast as mf
from mbgd_fast import cli
from mbgd_fast.datasets import load_svmlight, load_table, parse_svmlight

sklearn_datasets = pytest.importorskip("sklearn.datasets")


def _write_svmlight(path, rng, n=60, d=25, zero_based=False, extras=True):
    lines = ["# a comment line"] if extras else []
    for i in range(n):
        cols = np.sort(rng.choice(d, size=rng.integers(0, 6), replace=False))
        if i == 0:
            cols = np.array([0, d - 1]) if zero_based else np.array([d - 1])
        toks = [f"{int(c) + (0 if zero_based else 1)}:{rng.normal():.6g}" for c in cols]
        qid = [f"qid:{i % 3}"] if extras and i % 7 == 0 else []
        tail = "  # trailing" if extras and i % 5 == 0 else ""
        lines.append(" ".join([f"{rng.integers(0, 3) - 1:d}"] + qid + toks) + tail)
        if extras and i == 10:
            lines.append("")
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("zero_based", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_own_svmlight_parser_equals_sklearn(tmp_path, zero_based, seed):
    path = tmp_path / "d.svm"
    _write_svmlight(path, np.random.default_rng(seed), zero_based=zero_based)
    Xs, ys = sklearn_datasets.load_svmlight_file(str(path), dtype=np.float64)
    Xo, yo = parse_svmlight(path)
    assert Xo.shape == Xs.shape
    np.testing.assert_array_equal(Xo.toarray(), Xs.toarray())
    np.testing.assert_array_equal(yo, ys)
    Xl, yl = load_table(path)
    assert sp.issparse(Xl) and (Xl != Xs).nnz == 0


@pytest.mark.parametrize("text,line,what", [
    ("1 1:2 3:4\nabc 1:1\n", 2, "cannot read the label"),
    ("1 1:2 3:4\n\n# c\n-1 1:1 4:x\n", 4, "cannot read '4:x'"),
    ("1 1:2 3:4\n1 3:1 2:1\n", 2, "increasing"),
    ("1 1:2\n1 2:1\n-1 1:nan\n", 3, "non-finite"),
    ("1 1:2 3\n", 1, "cannot read '3' as index:value"),
])
def test_svmlight_errors_name_the_line(tmp_path, text, line, what):
    path = tmp_path / "bad.svmlight"
    path.write_text(text)
    for reader in (parse_svmlight, load_svmlight):
        with pytest.raises(ValueError, match=rf"bad.svmlight, line {line}: .*{what}"):
            reader(path)


@pytest.mark.parametrize("body,line,what", [
    ("1,2,3\n4,5,6\n\n7,x,9\n", 5, r"column 2 \(b\): cannot read 'x'"),
    ("1,2,3\n4,5\n", 3, "2 values, but the header"),
    ("1,2,3\n4,inf,6\n", 3, r"column 2 \(b\): the value is inf"),
])
def test_csv_errors_name_the_line(tmp_path, body, line, what):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n" + body)
    with pytest.raises(ValueError, match=rf"bad.csv, line {line}[,:] .*{what}"):
        load_table(path)
    assert cli.main(["info", str(path)]) == 2


def test_line_1234(tmp_path):
    """The issue's example: a bad value on line 1234 is reported as line 1234."""
    rows = [f"{i},{i * 2},{i % 2}" for i in range(2000)]
    rows[1232] = "5,oops,1"  # line 1234: the header is line 1
    path = tmp_path / "big.csv"
    path.write_text("u,v,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"big.csv, line 1234, column 2 \(v\): cannot read 'oops'"):
        load_table(path)


def test_train_predict_info_on_svmlight(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    n, d = 400, 30
    X = sp.random(n, d, density=0.2, random_state=1, format="csr")
    w = rng.normal(size=d)
    y = np.where(X @ w > np.median(X @ w), 1, -1)
    path = tmp_path / "d.svm"
    sklearn_datasets.dump_svmlight_file(X, y, str(path))
    model = tmp_path / "m.npz"
    import functools

    import tqdm.auto
    import tqdm.std

    # draw every update (tqdm's default redraws at most every 0.1 s) and keep the last line
    monkeypatch.setattr(tqdm.auto, "tqdm", functools.partial(tqdm.std.tqdm, mininterval=0, miniters=1,
                                                             leave=True))
    assert cli.main(["train", str(path), "--loss", "hinge", "--batch-size", "8", "--epochs", "20",
                     "--lr", "0.1", "--out", str(model)]) == 0
    captured = capsys.readouterr()
    assert "sample/s" in captured.err and "loss=" in captured.err  # the tqdm bar
    with np.load(model) as m:
        ref = mf.train(X, y, loss="hinge", batch_size=8, epochs=20, lr=0.1)
        np.testing.assert_allclose(m["coef"], ref.coef, rtol=1e-12)
    assert cli.main(["predict", str(model), str(path), "--out", str(tmp_path / "p.npy")]) == 0
    pred = np.load(tmp_path / "p.npy")
    assert pred.shape == (n,) and np.mean(pred == y) > 0.8
    assert cli.main(["info", str(path)]) == 0
    assert "sparse" in capsys.readouterr().out


def test_failed_train_writes_no_model(tmp_path):
    path = tmp_path / "bad.svm"
    path.write_text("1 1:1e300 2:1e300\n-1 1:1e300\n" * 10)
    model = tmp_path / "m.npz"
    assert cli.main(["train", str(path), "--lr", "10", "--out", str(model), "--quiet"]) != 0
    assert not model.exists() and list(tmp_path.iterdir()) == [path]
