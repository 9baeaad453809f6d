"""The command line: tune (the main job) on a user's file and on the embedded problem, and demo."""
import numpy as np
import pytest

from mbgd_fast import cli
from mbgd_fast.datasets import load_table

from conftest import make_problem


def _csv(tmp_path):
    X, y = make_problem("logistic", 3000, 5, seed=2)
    path = tmp_path / "data.csv"
    np.savetxt(path, np.c_[X, (y > 0).astype(int)], delimiter=",",
               header="a,b,c,d,e,label", comments="")
    return path, X, y


def test_tune_on_a_csv_file(tmp_path, capsys):
    path, X, y = _csv(tmp_path)
    fig = tmp_path / "t.png"
    rc = cli.main(["tune", str(path), "--target", "label", "--batch-sizes", "1", "8", "64",
                   "--seeds", "1", "--max-epochs", "10", "--figure", str(fig)])
    out = capsys.readouterr().out
    assert rc == 0 and "b_opt" in out and "reached the target: True" in out
    assert fig.stat().st_size > 10_000


def test_load_table_formats(tmp_path):
    path, X, y = _csv(tmp_path)
    Xc, yc = load_table(path, "label")
    np.testing.assert_allclose(Xc, X, rtol=1e-6)
    np.save(tmp_path / "d.npy", np.c_[X, y])
    Xn, yn = load_table(tmp_path / "d.npy")
    np.testing.assert_array_equal(yn, y)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert load_table(tmp_path / "d.npz")[0].shape == X.shape
    with pytest.raises(ValueError, match="no column 'nope'"):
        load_table(path, "nope")
    with pytest.raises(ValueError, match="expected a .npy, .npz, .csv or svmlight"):
        load_table(tmp_path / "d.txt")


def test_demo_runs(capsys):
    assert cli.main(["demo", "--batch-sizes", "8", "569", "--epochs", "3"]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_bad_arguments_exit_2(capsys):
    assert cli.main(["demo", "--epochs", "0"]) == 2
    assert "epochs must be >= 1" in capsys.readouterr().err


def test_train_predict_info_roundtrip(tmp_path, capsys):
    path, X, y = _csv(tmp_path)
    model = tmp_path / "m.npz"
    assert cli.main(["train", str(path), "--target", "label", "--loss", "logistic", "--epochs", "5",
                     "--lr", "0.1", "--out", str(model), "--quiet"]) == 0
    assert model.exists() and not list(tmp_path.glob("tmp*"))  # written by rename, nothing left
    preds = tmp_path / "p.npy"
    assert cli.main(["predict", str(model), str(path), "--target", "label", "--out", str(preds)]) == 0
    acc = np.mean(np.load(preds) == np.where(y > 0, 1, -1))
    assert acc > 0.85
    assert cli.main(["info", str(path), "--target", "label"]) == 0
    assert "3000 rows, 5 features" in capsys.readouterr().out


def test_train_reports_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n1,2,3\n4,oops,6\n")
    assert cli.main(["train", str(bad), "--batch-size", "1"]) == 2
    assert "oops" in capsys.readouterr().err


def test_train_distributed_under_mpiexec(tmp_path):
    import shutil
    import subprocess
    import sys

    pytest.importorskip("mpi4py")
    if shutil.which("mpiexec") is None:
        pytest.skip("no mpiexec")
    path, X, y = _csv(tmp_path)
    model = tmp_path / "m.npz"
    proc = subprocess.run(["mpiexec", "-n", "2", sys.executable, "-m", "mbgd_fast", "train", str(path),
                           "--target", "label", "--loss", "logistic", "--distributed", "--quiet",
                           "--epochs", "3", "--lr", "0.1", "--out", str(model)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("iterations in") == 1  # rank 0 alone reports
    assert "mpi x2" in proc.stdout and model.exists()
