"""Out-of-core training: memory maps and .npy paths equal in-memory runs; streams; peak RSS."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast import _rss

from conftest import make_problem
from test_parity import _batch_size, assert_same_run

@pytest.fixture
def npy(tmp_path):
    def make(loss="squared", n=211, d=9, dtype=np.float64, seed=0):
        X, y = make_problem(loss, n, d, dtype, seed)
        path = tmp_path / f"X_{loss}_{np.dtype(dtype).name}.npy"
        np.save(path, X)
        return X, y, path
    return make


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("b_kind", ["1", "2", "non_divisor", "N"])
@pytest.mark.parametrize("optimizer,l2,l1", [("sgd", 0.01, 0.0), ("adam", 0.0, 0.01), ("momentum", 0.0, 0.0)])
def test_npy_path_and_memmap_equal_in_memory(npy, dtype, b_kind, optimizer, l2, l1):
    X, y, path = npy(dtype=dtype)
    kw = dict(batch_size=_batch_size(b_kind, len(X)), epochs=2, lr=0.02, optimizer=optimizer, l2=l2,
              l1=l1, eval_full_loss=True, seed=5)
    ref = mf.train(X, y, **kw)
    for src in (str(path), path, np.load(path, mmap_mode="r")):
        got = mf.train(src, y, buffer_size=17, **kw)  # many buffers per epoch
        assert_same_run(got, ref, dtype)
        np.testing.assert_allclose(got.full_loss, ref.full_loss, rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_memmap_softmax_sample_weight_and_int_data(npy, tmp_path):
    X, y, path = npy("softmax")
    sw = np.linspace(0.2, 2, len(y))
    kw = dict(loss="softmax", batch_size=8, epochs=2, lr=0.05, sample_weight=sw, eval_every=10)
    ref = mf.train(X, y, **kw)
    got = mf.train(path, y, buffer_size=30, **kw)
    assert_same_run(got, ref, np.float64)
    np.testing.assert_allclose(got.eval_loss, ref.eval_loss, rtol=1e-12)
    Xi = np.round(X * 4).astype(np.int16)
    np.save(tmp_path / "Xi.npy", Xi)
    a = mf.train(tmp_path / "Xi.npy", y, loss="softmax", batch_size=8, buffer_size=30)
    assert a.coef.dtype == np.float64
    np.testing.assert_allclose(a.coef, mf.train(Xi, y, loss="softmax", batch_size=8).coef, rtol=1e-12)


def test_memmap_nan_is_reported_with_its_row(npy, tmp_path):
    X, y, _ = npy()
    X = X.copy()
    X[150, 2] = np.nan
    np.save(tmp_path / "bad.npy", X)
    with pytest.raises(ValueError, match=r"X contains NaN or Inf \(first at index \[150, 2\]\)"):
        mf.train(tmp_path / "bad.npy", y, batch_size=4, buffer_size=20)


def test_bad_paths(tmp_path):
    (tmp_path / "x.npy").write_bytes(b"not an npy file")
    with pytest.raises(ValueError, match="cannot map"):
        mf.train(tmp_path / "x.npy", np.zeros(3))
    with pytest.raises(ValueError, match="cannot map"):
        mf.train(tmp_path / "missing.npy", np.zeros(3))


def _chunks(X, y, size, sw=None):
    for s in range(0, len(X), size):
        yield (X[s : s + size], y[s : s + size]) if sw is None else (X[s : s + size], y[s : s + size], sw[s : s + size])


@pytest.mark.parametrize("chunk,buf,b", [(10, 10, 1), (7, 20, 3), (50, 64, 8), (200, 1000, 211)])
def test_unshuffled_stream_equals_in_memory(chunk, buf, b):
    X, y = make_problem("logistic", 211, 6)
    sw = np.linspace(0.5, 1.5, len(y))
    kw = dict(loss="logistic", batch_size=b, epochs=3, lr=0.05, shuffle=False, optimizer="nesterov")
    ref = mf.train(X, y, sample_weight=sw, **kw)
    got = mf.train(lambda: _chunks(X, y, chunk, sw), None, buffer_size=buf, **kw)
    assert got.n_iter == ref.n_iter and got.iters_per_epoch == ref.iters_per_epoch
    np.testing.assert_allclose(got.coef, ref.coef, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got.batch_loss, ref.batch_loss, rtol=1e-12)
    np.testing.assert_allclose(got.epoch_loss, ref.epoch_loss, rtol=1e-12)


def test_shuffled_stream_uses_every_row_once_per_epoch():
    """With y = row number, the sum of the rows trained on (sum reduction, lr so small that
    the weights do not matter) shows each row was used exactly once per epoch."""
    n, b = 500, 8
    X = np.ones((n, 1))
    y = np.arange(n, dtype=float)
    seen = []

    def record(info):
        seen.append(info.n_iter)

    res = mf.train(lambda: _chunks(X, y, 37), None, batch_size=b, epochs=2, buffer_size=64,
                   callback=record, lr=1e-12, reduction="sum")
    assert res.iters_per_epoch == -(-n // b) and seen == [63, 126] and res.n_samples == n
    # at w = 0 the loss of a batch is sum (y_i^2) / 2: the epoch's batch losses add up to sum(y^2)/2
    per_epoch = res.batch_loss.reshape(2, -1).sum(axis=1)
    np.testing.assert_allclose(per_epoch, np.sum(y**2) / 2, rtol=1e-6)
    # and the order is shuffled: not the rows in sequence
    assert not np.allclose(res.batch_loss[:3], [sum(v**2 for v in range(k * b, (k + 1) * b)) / 2 for k in range(3)])


def test_stream_drop_last_and_softmax():
    X, y = make_problem("softmax", 103, 5)
    r = mf.train(iter(list(_chunks(X, y, 10))), None, loss="softmax", n_classes=3, batch_size=10, epochs=1,
                 drop_last=True, shuffle=False, buffer_size=10)
    ref = mf.train(X, y, loss="softmax", n_classes=3, batch_size=10, drop_last=True, shuffle=False, epochs=1)
    np.testing.assert_allclose(r.coef, ref.coef, rtol=1e-12)


def test_stream_errors():
    X, y = make_problem("squared", 40, 4)
    with pytest.raises(ValueError, match="epochs > 1 needs X to be a callable"):
        mf.train(_chunks(X, y, 10), None, epochs=2)
    with pytest.raises(ValueError, match="softmax on a stream needs n_classes"):
        mf.train(_chunks(X, y, 10), None, loss="softmax", epochs=1)
    with pytest.raises(ValueError, match="eval_full_loss, checkpoint"):
        mf.train(_chunks(X, y, 10), None, eval_full_loss=True, checkpoint="x.npz")

    def wrong_width():
        yield X[:10], y[:10]
        yield X[10:20, :3], y[10:20]

    with pytest.raises(ValueError, match="stream chunk 1: X has 3 features, the first chunk had 4"):
        mf.train(wrong_width(), None, batch_size=4, epochs=1)
    with pytest.raises(TypeError, match="stream chunk 0: expected a pair"):
        mf.train(iter([X]), None, epochs=1)
    with pytest.raises(ValueError, match="stream chunk 0: y has 9 entries but X has 10 rows"):
        mf.train(iter([(X[:10], y[:9])]), None, epochs=1)
    with pytest.raises(ValueError, match="gave no chunks"):
        mf.train(iter([]), None, epochs=1)


def test_stream_divergence_keeps_last_finite_weights():
    X, y = make_problem("squared", 100, 4)
    with pytest.raises(mf.DivergenceError) as err:
        mf.train(lambda: _chunks(X * 100, y, 30), None, batch_size=2, lr=5.0, epochs=3)
    res = err.value.result
    assert np.isfinite(res.coef).all() and res.n_iter == len(res.batch_loss)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_peak_rss_grows_with_the_buffer_not_the_file(tmp_path):
    """One epoch over a 160 MB .npy: mapped, the peak RSS grows by well under the file's size;
    loaded, by at least the file's size (which shows the measurement can tell them apart)."""
    if not _rss.reset_peak():
        pytest.skip("this kernel does not let a process reset its peak RSS")
    n, d = 80_000, 512
    path = tmp_path / "big.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    for s in range(0, n, 10_000):
        X[s : s + 10_000] = np.random.default_rng(s).normal(size=(10_000, d))
    X.flush()
    del X
    size = os.path.getsize(path)
    out = {}
    for mode in ("mapped", "loaded"):
        cp = subprocess.run([sys.executable, "-m", "mbgd_fast._rss", str(path), mode, "64"],
                            capture_output=True, text=True, timeout=300)
        assert cp.returncode == 0, cp.stderr
        out[mode] = json.loads(cp.stdout.strip().splitlines()[-1])
    assert out["loaded"]["peak_growth"] >= 0.95 * size
    assert out["mapped"]["peak_growth"] < 0.35 * size, out
    assert out["mapped"]["n_iter"] == -(-n // 64)
