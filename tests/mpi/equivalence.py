"""Run under mpiexec: distributed.train equals single-process train on the global order.

usage: mpiexec -n P python equivalence.py OUT.json
"""
import json
import sys

import numpy as np
from mpi4py import MPI

import mbgd_fast as mf
from mbgd_fast import distributed

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
rng = np.random.default_rng(0)
N, d = 103, 5
X = rng.normal(size=(N, d))
y_reg = X @ rng.normal(size=d) + 0.3 + 0.2 * rng.normal(size=N)
y_cls = rng.integers(0, 3, size=N).astype(float)
# uneven shards: rank r gets a share proportional to r + 1
cuts = np.round(np.cumsum([0] + [r + 1 for r in range(size)]) / sum(range(1, size + 1)) * N).astype(int)
mine = slice(cuts[rank], cuts[rank + 1])

cases = [
    dict(loss="squared", optimizer="sgd", batch_size=10, lr=0.05),
    dict(loss="squared", optimizer="momentum", batch_size=7, lr=0.02, l2=0.01),
    dict(loss="squared", optimizer="adam", batch_size=16, lr=0.01, l1=0.001),
    dict(loss="logistic", optimizer="nesterov", batch_size=1, lr=0.01),
    dict(loss="softmax", optimizer="sgd", batch_size=N, lr=0.5),
]
report = []
for case in cases:
    y = y_cls if case["loss"] == "softmax" else (np.sign(y_reg) if case["loss"] == "logistic" else y_reg)
    res = distributed.train(X[mine], y[mine], epochs=3, shuffle=False, **case)
    shards = [X[cuts[r]:cuts[r + 1]] for r in range(size)]
    yshards = [y[cuts[r]:cuts[r + 1]] for r in range(size)]
    Xg, yg = distributed.global_order(shards, yshards)
    ref = mf.train(Xg, yg, epochs=3, shuffle=False, **case)
    diff = float(np.max(np.abs(np.ravel(res.coef) - np.ravel(ref.coef))))
    diff_b = float(np.max(np.abs(np.ravel(res.intercept) - np.ravel(ref.intercept))))
    diff_l = float(np.max(np.abs(res.batch_loss - ref.batch_loss)))
    same = comm.allgather(np.ravel(res.coef).tobytes())
    report.append(dict(case=case, diff=max(diff, diff_b), diff_loss=diff_l,
                       ranks_agree=len(set(same)) == 1, n_allreduce=res.n_allreduce))

# shuffled training converges and every rank holds the same model
res = distributed.train(X[mine], y_reg[mine], batch_size=8, epochs=40, lr=0.05, seed=3)
full = mf.gradient(X, y_reg, res.coef, res.intercept)[0]
same = len(set(comm.allgather(np.ravel(res.coef).tobytes()))) == 1
opt = np.linalg.lstsq(np.c_[X, np.ones(N)], y_reg, rcond=None)[0]
best = mf.gradient(X, y_reg, opt[:-1], opt[-1])[0]
report.append(dict(case="shuffled", loss=full, best=best, ranks_agree=same))

# local SGD converges too
res = distributed.train(X[mine], y_reg[mine], batch_size=8, epochs=60, lr=0.02, local_steps=4, seed=1)
report.append(dict(case="local_sgd", loss=mf.gradient(X, y_reg, res.coef, res.intercept)[0], best=best,
                   ranks_agree=len(set(comm.allgather(np.ravel(res.coef).tobytes()))) == 1,
                   n_allreduce=res.n_allreduce, n_iter=res.n_iter))
if rank == 0:
    with open(sys.argv[1], "w") as fh:
        json.dump(report, fh)

# checkpoint by rank 0 at iteration 10 of epoch 0 (11 per epoch), stop, resume: the same bits
path = sys.argv[1] + ".ck.npz"
kw = dict(batch_size=10, lr=0.02, optimizer="adam", seed=4)
full = distributed.train(X[mine], y_reg[mine], epochs=3, **kw)
distributed.train(X[mine], y_reg[mine], epochs=1, checkpoint=path, checkpoint_every=5, **kw)
resumed = distributed.train(X[mine], y_reg[mine], epochs=3, resume=path, **kw)
same = resumed.coef.tobytes() == full.coef.tobytes() and \
    resumed.batch_loss.tobytes() == full.batch_loss.tobytes()
import os  # noqa: E402
files = sorted(os.listdir(os.path.dirname(os.path.abspath(path))))
if rank == 0:
    report = json.load(open(sys.argv[1]))
    report.append(dict(case="checkpoint", same=same, files=files))
    with open(sys.argv[1], "w") as fh:
        json.dump(report, fh)
