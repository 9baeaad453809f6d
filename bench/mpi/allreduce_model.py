"""Measure what the alpha-beta model of data-parallel MBGD needs, under mpiexec.

    mpiexec -n 1 python bench/mpi/allreduce_model.py OUT_1.json
    mpiexec -n 2 python bench/mpi/allreduce_model.py OUT_2.json

Each run measures (medians of repeats):
- the latency of one Allreduce of float64 buffers from 8 B to 8 MiB, fitted to t = alpha + beta * bytes;
- distributed.train on a 200,000 x 256 float32 problem split across the ranks (global batch
  B = 256 per rank, 1 epoch): seconds per iteration, and the part spent in Allreduce;
- single-process mbgd_fast.train on the same global data (rank 0): its T_iter, for the efficiency.
"""
import json
import sys
import time

import numpy as np
from mpi4py import MPI

import mbgd_fast as mf
from mbgd_fast import distributed

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
out = {"ranks": size}

sizes = [2**k for k in range(3, 24, 2)]  # bytes
lat = []
for nbytes in sizes:
    buf = np.ones(nbytes // 8)
    recv = np.empty_like(buf)
    reps = 200 if nbytes < 1 << 16 else 20
    times = []
    for _ in range(reps):
        comm.Barrier()
        t0 = time.perf_counter()
        comm.Allreduce(buf, recv)
        times.append(time.perf_counter() - t0)
    lat.append(float(np.median(times)))
out["allreduce_bytes"], out["allreduce_seconds"] = sizes, lat
A = np.c_[np.ones(len(sizes)), sizes]
alpha, beta = np.linalg.lstsq(A / np.array(lat)[:, None], np.ones(len(sizes)), rcond=None)[0]
out["alpha"], out["beta"] = float(alpha), float(beta)

N, d = 200_000, 256
rng = np.random.default_rng(0)
X = rng.standard_normal((N, d), dtype=np.float32)
y = ((X[:, :8]).sum(axis=1) + 0.1 * rng.standard_normal(N)).astype(np.float32)
cuts = np.linspace(0, N, size + 1).astype(int)
Xl, yl = X[cuts[rank]:cuts[rank + 1]], y[cuts[rank]:cuts[rank + 1]]
B = 256 * size
runs = []
for _ in range(3):
    comm.Barrier()
    t0 = time.perf_counter()
    res = distributed.train(Xl, yl, batch_size=B, epochs=1, lr=1e-3, n_threads=1)
    runs.append((time.perf_counter() - t0, res.seconds_allreduce, res.n_iter))
wall, comm_s, iters = sorted(runs)[1]
out.update(dist_seconds=wall, dist_allreduce_seconds=comm_s, dist_iters=iters,
           dist_seconds_per_iter=wall / iters, dist_allreduce_per_iter=comm_s / iters,
           global_batch=B, d=d, n=N)
if rank == 0:
    ts = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = mf.train(X, y, batch_size=B, epochs=1, lr=1e-3, n_threads=1)
        ts.append(time.perf_counter() - t0)
    out.update(serial_seconds=float(np.median(ts)), serial_iters=r.n_iter)
    cm = mf.profile(X[:50_000], y[:50_000], batch_sizes=[1, 16, 256, 1024], repeats=3, n_threads=1)
    out.update(tau_f=cm.tau_f, tau_d=cm.tau_d)
    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh, indent=1)
    print(json.dumps({k: v for k, v in out.items() if not isinstance(v, list)}, indent=1))
