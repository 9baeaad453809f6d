"""Run under mpiexec -n 2: rank 1's shard holds a NaN; every rank must stop with the same error.

Each rank prints its error and exits 3.
"""
import sys

import numpy as np
from mpi4py import MPI

from mbgd_fast import distributed

rank = MPI.COMM_WORLD.Get_rank()
rng = np.random.default_rng(rank)
X = rng.normal(size=(50, 4))
y = rng.normal(size=50)
if rank == 1:
    X[7, 2] = np.nan
try:
    distributed.train(X, y, batch_size=10, epochs=2, timeout=20)
except distributed.DistributedError as exc:
    print(f"RANK {rank} ERROR: {exc}", flush=True)
    sys.exit(3)
print(f"RANK {rank} finished without error", flush=True)
