"""Train with checkpoints until killed (tests/test_checkpoint.py sends SIGKILL).

usage: python checkpointed_run.py CHECKPOINT OPTIMIZER
"""
import sys

import numpy as np

import mbgd_fast as mf

path, optimizer = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
X = rng.standard_normal((100_000, 32))
y = X @ rng.normal(size=32) + 0.1 * rng.standard_normal(100_000)
mf.train(X, y, batch_size=1, epochs=200, lr=1e-3, optimizer=optimizer, checkpoint=path,
         checkpoint_every=30_001, seed=5)
