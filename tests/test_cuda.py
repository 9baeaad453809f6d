"""backend="cuda": the Numba kernels against the NumPy reference.

Without a GPU these run under Numba's simulator (conftest sets NUMBA_ENABLE_CUDASIM=1),
with tiny problems and 32-thread blocks: the persistent kernel there runs one block
(the simulator's grid.sync() synchronizes one block only), the per-phase launches run
several.  Tests marked ``gpu`` need a real GPU and run the multi-block persistent path.
"""
import importlib.util
import os

import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast.noise import gradient_noise

from conftest import make_problem
from test_parity import PENALTIES, _lr

pytestmark = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                reason="numba is not installed (pip install 'mbgd_fast[cuda]')")
SIM = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")
N = 7  # b in {1, 2, 3 (does not divide N), N}
LOSSES = ("squared", "huber", "epsilon_insensitive", "squared_epsilon_insensitive", "logistic",
          "hinge", "squared_hinge", "modified_huber", "perceptron", "softmax")


def same(a, r, dtype):
    tol = 1e-10 if dtype == np.float64 else 2e-4
    assert a.n_iter == r.n_iter and a.coef.dtype == dtype
    np.testing.assert_allclose(a.coef, r.coef, rtol=tol, atol=tol)
    np.testing.assert_allclose(a.intercept, r.intercept, rtol=tol, atol=tol)
    np.testing.assert_allclose(a.batch_loss, r.batch_loss, rtol=tol, atol=tol)
    for name in ("buf1", "buf2", "avg"):
        x, y = getattr(a.state, name), getattr(r.state, name)
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=tol, atol=tol)


def both(X, y, **kw):
    return mf.train(X, y, backend="cuda", **kw), mf.train(X, y, backend="numpy", **kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("b", [1, 2, 3, N])
def test_batch_sizes_and_dtypes(b, dtype):
    X, y = make_problem("squared", N, 5, dtype)
    same(*both(X, y, batch_size=b, epochs=1, lr=0.05, l2=0.01), dtype)


def test_a_new_order_every_epoch():
    """Each epoch's shuffled order reaches the device (train reuses one host buffer for it)."""
    X, y = make_problem("squared", 11, 3)
    same(*both(X, y, batch_size=2, epochs=4, lr=0.05, seed=3), np.float64)


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss(loss):
    X, y = make_problem(loss, N, 4)
    same(*both(X, y, loss=loss, batch_size=3, epochs=1, lr=_lr(loss, "sgd")), np.float64)


@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_every_optimizer_and_penalty(optimizer, penalty):
    X, y = make_problem("logistic", N, 4)
    same(*both(X, y, loss="logistic", batch_size=3, epochs=1, optimizer=optimizer,
               lr=_lr("logistic", optimizer), **PENALTIES[penalty]), np.float64)


def test_average_sample_weight_sum_no_intercept_softmax_adam():
    X, y = make_problem("softmax", N, 4)
    kw = dict(loss="softmax", batch_size=2, epochs=1, lr=0.01, optimizer="adam", average=2,
              sample_weight=np.linspace(0.5, 2, N), reduction="sum", fit_intercept=False, l2=0.01)
    same(*both(X, y, **kw), np.float64)


def test_phase_launches_with_several_blocks(monkeypatch):
    """The fallback (one launch per phase) with 40 features (2 blocks of 32 in phase B) and
    batches of 3 rows (3 blocks of one warp in phase A)."""
    monkeypatch.setenv("MBGD_FAST_CUDA_LAUNCH", "phases")
    X, y = make_problem("squared", N, 40)
    same(*both(X, y, batch_size=3, epochs=1, lr=0.01, optimizer="momentum", l1=0.01), np.float64)
    X, y = make_problem("softmax", N, 40, np.float32)
    same(*both(X, y, loss="softmax", batch_size=N, epochs=1, lr=0.05), np.float32)


@pytest.mark.parametrize("max_chunks", [1024, 2])
@pytest.mark.parametrize("launch", ["persistent", "phases"])
def test_chunked_batches(launch, max_chunks, monkeypatch):
    """Batches longer than a chunk (2 rows here, or 3 when at most 2 chunks are allowed) go
    through the chunk sums of phase B1 (gradients and row losses), added by a warp per
    parameter."""
    import mbgd_fast.cuda as mc

    monkeypatch.setattr(mc.CudaKernel, "CHUNK", 2)
    monkeypatch.setattr(mc.CudaKernel, "MAX_CHUNKS", max_chunks)
    monkeypatch.setenv("MBGD_FAST_CUDA_LAUNCH", launch)
    X, y = make_problem("softmax", N, 5)
    same(*both(X, y, loss="softmax", batch_size=5, epochs=1, lr=0.05, optimizer="nesterov", l2=0.01),
         np.float64)


def test_persistent_and_phases_agree(monkeypatch):
    X, y = make_problem("hinge", N, 6)
    kw = dict(loss="hinge", batch_size=2, epochs=1, lr=0.1, l2=0.01)
    a = mf.train(X, y, backend="cuda", **kw)
    monkeypatch.setenv("MBGD_FAST_CUDA_LAUNCH", "phases")
    b = mf.train(X, y, backend="cuda", **kw)
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.batch_loss, b.batch_loss)


@pytest.mark.parametrize("loss", ["squared", "softmax"])
def test_gradient_and_noise(loss, monkeypatch):
    import mbgd_fast.cuda as mc

    monkeypatch.setattr(mc.CudaKernel, "GRAD_CHUNK", 8)  # 3 partial sums over 20 rows
    X, y = make_problem(loss, 20, 5)
    rng = np.random.default_rng(1)
    coef = rng.normal(size=(3, 5) if loss == "softmax" else 5)
    for got, want in zip(mf.gradient(X, y, coef, 0.2, loss, l2=0.1, l1=0.01, backend="cuda"),
                         mf.gradient(X, y, coef, 0.2, loss, l2=0.1, l1=0.01, backend="numpy")):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    g, r = gradient_noise(X, y, coef, 0.2, loss, backend="cuda"), gradient_noise(X, y, coef, 0.2, loss,
                                                                                 backend="numpy")
    assert g.trace_sigma == pytest.approx(r.trace_sigma, rel=1e-10)
    idx = np.array([0, 5, 5, 19])
    np.testing.assert_allclose(mf.gradient(X, y, coef, 0.2, loss, idx, backend="cuda")[1],
                               mf.gradient(X, y, coef, 0.2, loss, idx, backend="numpy")[1], rtol=1e-10)


def test_device_array_is_used_in_place():
    from numba import cuda

    X, y = make_problem("squared", N, 5, np.float32)
    dX = cuda.to_device(X)
    a = mf.train(dX, y, backend="cuda", batch_size=2, epochs=1, lr=0.05)
    r = mf.train(X, y, backend="numpy", batch_size=2, epochs=1, lr=0.05)
    same(a, r, np.float32)
    with pytest.raises(TypeError, match="use backend='cuda'"):
        mf.train(dX, y, backend="cpu")


def test_divergence_on_cuda():
    X, y = make_problem("squared", N, 4)
    with pytest.raises(mf.DivergenceError) as err:
        mf.train(X * 1e3, y, backend="cuda", batch_size=2, lr=10.0, epochs=10)
    with pytest.raises(mf.DivergenceError) as ref:
        mf.train(X * 1e3, y, backend="numpy", batch_size=2, lr=10.0, epochs=10)
    assert err.value.iteration == ref.value.iteration
    np.testing.assert_allclose(err.value.result.coef, ref.value.result.coef, rtol=1e-10)


@pytest.mark.parametrize("where", ["X", "y"])
def test_nonfinite_data_is_named_on_cuda(where):
    # X (and squared loss's y, core.DEFERRED_Y_CHECK) are found through the batch loss
    X, y = make_problem("squared", N, 4)
    (X[5] if where == "X" else y[5:6])[0] = np.nan
    at = r"\[5, 0\]" if where == "X" else r"\[5\]"
    with pytest.raises(ValueError, match=rf"{where} contains NaN or Inf \(first at index {at}\)"):
        mf.train(X, y, backend="cuda", batch_size=2, epochs=1)


def test_estimator_on_cuda():
    from mbgd_fast.estimators import MBGDClassifier

    X, y = make_problem("logistic", N, 4)
    kw = dict(loss="hinge", batch_size=3, max_iter=2, tol=None, random_state=0)
    a = MBGDClassifier(backend="cuda", **kw).fit(X, y)
    b = MBGDClassifier(backend="numpy", **kw).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)


def test_clear_errors_when_missing(monkeypatch):
    import mbgd_fast.cuda as mc

    X, y = make_problem("squared", N, 3)
    real = importlib.util.find_spec
    monkeypatch.setattr(mc.importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("numba") else real(name, *a))
    with pytest.raises(ImportError, match=r"pip install 'mbgd_fast\[cuda\]'"):
        mf.train(X, y, backend="cuda", batch_size=2)
    monkeypatch.undo()
    monkeypatch.setattr(mc, "unavailable_reason", lambda: "backend='cuda': Numba finds no usable CUDA GPU")
    with pytest.raises(RuntimeError, match="no usable CUDA GPU"):
        mf.train(X, y, backend="cuda", batch_size=2)
    assert mf.train(X, y, backend="auto", epochs=1, batch_size=2).backend == "cpu"  # small: the CPU


def test_numba_cuda_that_needs_row_stack_is_refused_clearly(monkeypatch):
    """numba-cuda 0.30.4 calls np.row_stack (gone in NumPy 2.5) at its first compile: on a
    real GPU backend='cuda' says so up front, and backend='auto' keeps to the CPU."""
    import importlib.metadata

    import mbgd_fast.cuda as mc

    monkeypatch.delattr(np, "row_stack", raising=False)
    for v, refused in (("0.30.4", True), ("0.20.1", True), ("0.31.0", False), ("1.0.0", False)):
        monkeypatch.setattr(importlib.metadata, "version", lambda name, v=v: v)
        reason = mc.numpy_clash()
        assert (reason is not None) == refused, v
        if refused:
            assert f"numba-cuda {v}" in reason and "pip install 'numpy<2.5'" in reason
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.30.4")
    monkeypatch.setattr(mc._import()[1], "SIM", False)  # as on a GPU: the kernels get compiled
    assert "np.row_stack" in mc.unavailable_reason()
    X, y = make_problem("squared", N, 3)
    with pytest.raises(ImportError, match=r"numpy<2\.5"):  # something to install
        mf.train(X, y, backend="cuda", batch_size=2)
    monkeypatch.setattr(np, "row_stack", np.vstack, raising=False)  # an older NumPy
    assert mc.numpy_clash() is None


def test_sparse_is_refused_on_cuda():
    import scipy.sparse as sp

    X, y = make_problem("squared", N, 3)
    with pytest.raises(TypeError, match="sparse input runs on backend='cpu'"):
        mf.train(sp.csr_matrix(X), y, backend="cuda", batch_size=2)


@pytest.mark.gpu
@pytest.mark.skipif(SIM, reason="needs a real GPU (multi-block cooperative launch)")
@pytest.mark.parametrize("loss", ["squared", "softmax"])
def test_real_gpu_multiblock_persistent(loss, monkeypatch):
    monkeypatch.setenv("MBGD_FAST_CUDA_THREADS", "128")
    X, y = make_problem(loss, 5000, 300, np.float64)
    for b in (1, 64, 1000, 5000):
        same(*both(X, y, loss=loss, batch_size=b, epochs=1, lr=0.01, optimizer="adam", l2=0.01),
             np.float64)


@pytest.mark.skipif(not SIM, reason="the smoke run is for the simulator; on a GPU run the script itself")
def test_gpu_bench_script_smoke(tmp_path):
    """bench/gpu/gpu_bench.py end to end under the simulator: correctness checks, timings,
    fits, the JSON and the PNG (the same script the lent GPU runs at full size)."""
    import json
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(__file__), "..", "bench", "gpu", "gpu_bench.py")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    cp = subprocess.run([sys.executable, script, "--smoke", "--rounds", "1", "--out", str(tmp_path)],
                        capture_output=True, text=True, timeout=900, env=env)
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-3000:]
    rep = json.loads((tmp_path / "gpu-bench.json").read_text())
    assert all(c["ok"] for c in rep["correctness"]) and len(rep["correctness"]) == 12
    assert {r["system"] for r in rep["runs"]} >= {"mbgd-persistent", "mbgd-phases"}
    assert "mbgd-persistent/d=8" in rep["fits"] and (tmp_path / "gpu-bench.png").stat().st_size > 10_000


def test_kernels_compile_for_a_real_gpu():
    """Numba's real CUDA compiler (not the simulator) accepts every kernel, both dtypes, and
    the warp sums are shuffles: PTX for sm_90 built here without a GPU (skipped where the
    CUDA toolchain, libnvvm and NVRTC, is missing)."""
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(__file__), "scripts", "cuda_compile.py")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    cp = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=900, env=env)
    if cp.returncode == 3:
        pytest.skip(cp.stdout.strip())
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-3000:]
    assert cp.stdout.count(": ok,") == 14
