"""Softmax's arithmetic at b = 256 (K = 10, d = 256, float32, 1 thread, 2,048 rows in cache)
against the two matrix products it holds, done by the libraries people would reach for.

Per row, a softmax batch computes the scores Z = X_b W^T and the gradient sums G = C^T X_b:
2 K d = 5,120 multiply-adds, ten times squared loss's.  This times, in alternated rounds
(medians, ns a row):
  mbgd_fast softmax   train(loss="softmax", batch_size=256), 20 epochs in order: the whole
                      step (scores, softmax, loss, gradient sums, update);
  mbgd_fast squared   the same call with squared loss, for scale;
  OpenBLAS b=256      NumPy's matmul of the two products alone, per batch of 256 rows;
  OpenBLAS b=2048     the same, one product each over all 2,048 rows (BLAS's best shape);
  torch b=256         torch.matmul of the same two products (when torch is installed).
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS are set to 1 before NumPy loads.

    python docs/softmax-arith-session28.py > docs/softmax-arith-session28.txt
"""
import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402

import mbgd_fast as mf  # noqa: E402

try:
    import torch  # noqa: E402

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is optional
    torch = None

D, K, B, N, EPOCHS, ROUNDS, REPS = 256, 10, 256, 2048, 20, 15, 20


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D), dtype=np.float32)
    ys = rng.integers(0, K, N).astype(np.float32)
    yq = (X[:, :8].sum(axis=1) * 0.1).astype(np.float32)
    W = rng.standard_normal((K, D), dtype=np.float32)
    C = rng.standard_normal((N, K), dtype=np.float32)
    Z = np.empty((N, K), np.float32)
    G = np.empty((K, D), np.float32)

    def ours(loss, y):
        mf.train(X, y, loss=loss, batch_size=B, epochs=EPOCHS, lr=1e-3, n_threads=1, shuffle=False)

    def blas(b):
        for _ in range(REPS):
            for i in range(0, N, b):
                xb = X[i:i + b]
                np.matmul(xb, W.T, out=Z[i:i + b])
                np.matmul(C[i:i + b].T, xb, out=G)

    cells = {
        "mbgd_fast softmax": (lambda: ours("softmax", ys), EPOCHS * N),
        "mbgd_fast squared": (lambda: ours("squared", yq), EPOCHS * N),
        "OpenBLAS b=256": (lambda: blas(B), REPS * N),
        "OpenBLAS b=2048": (lambda: blas(N), REPS * N),
    }
    if torch is not None:
        Xt, Wt, Ct = torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(C)
        Zt, Gt = torch.from_numpy(Z), torch.from_numpy(G)

        def torch_cell():
            for _ in range(REPS):
                for i in range(0, N, B):
                    xb = Xt[i:i + B]
                    torch.matmul(xb, Wt.T, out=Zt[i:i + B])
                    torch.matmul(Ct[i:i + B].T, xb, out=Gt)

        cells["torch b=256"] = (torch_cell, REPS * N)
    for f, _ in cells.values():  # warm up
        f()
    times = {name: [] for name in cells}
    for _ in range(ROUNDS):
        for name, (f, rows) in cells.items():
            t = time.perf_counter()
            f()
            times[name].append((time.perf_counter() - t) / rows * 1e9)
    print(f"d = {D}, K = {K}, {N} rows in cache, 1 thread; medians of {ROUNDS} alternated rounds")
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}, "
          f"mbgd_fast isa {mf._native.isa()}")
    base = np.median(times["mbgd_fast softmax"])
    for name, t in times.items():
        m = np.median(t)
        print(f"{name:18s} {m:7.1f} ns a row (quartiles {np.percentile(t, 25):.1f}-"
              f"{np.percentile(t, 75):.1f}), {m / base:.2f}x mbgd_fast softmax's")


if __name__ == "__main__":
    main()
