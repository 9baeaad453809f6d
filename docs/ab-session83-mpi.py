"""Session 83: data-parallel train() on the ranks of this machine (mpiexec -n 2 python
docs/ab-session83-mpi.py), each rank's n_threads None against 1, switched between calls.
Each call: N = 200,000 rows split among the ranks, d and b as given, 2 epochs; the better of
two medians of 5 on rank 0.  Output: ab-session83-mpi.txt (before: None was all cores a rank,
two threads each here; after: rank_threads, the cores shared)."""
import sys, time
import numpy as np
from mpi4py import MPI
from mbgd_fast import distributed
comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
rng = np.random.default_rng(rank)
for d, b in ((16, 256), (256, 256), (256, 4096), (16, 32)):
    n = 200_000 // size
    X = rng.standard_normal((n, d)).astype(np.float32); y = X @ np.ones(d, np.float32)
    res = {}
    for nt in (None, 1, None, 1):
        ts = []
        for r in range(5):
            comm.Barrier()
            t = time.perf_counter()
            distributed.train(X, y, batch_size=b, epochs=2, lr=1e-4, n_threads=nt, comm=comm)
            ts.append(time.perf_counter() - t)
        res.setdefault(nt, []).append(np.median(ts))
    if rank == 0:
        print(f"{size} ranks d={d} b={b}: n_threads=None {1e3 * min(res[None]):.1f} ms, 1 {1e3 * min(res[1]):.1f} ms", flush=True)
