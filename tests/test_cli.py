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
    with pytest.raises(ValueError, match="expected a .npy, .npz or .csv"):
        load_table(tmp_path / "d.txt")


def test_demo_runs(capsys):
    assert cli.main(["demo", "--batch-sizes", "8", "569", "--epochs", "3"]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_bad_arguments_exit_2(capsys):
    assert cli.main(["demo", "--epochs", "0"]) == 2
    assert "epochs must be >= 1" in capsys.readouterr().err
