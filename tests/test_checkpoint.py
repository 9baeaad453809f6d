"""Checkpoint and resume: bit-identical to a run never interrupted, for every optimizer."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import mbgd_fast as mf
from mbgd_fast.checkpoint import TrainState

from conftest import make_problem


class Stop(Exception):
    pass


@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_resume_mid_epoch_is_bit_identical(optimizer, average, tmp_path):
    X, y = make_problem("logistic", 100, 4, seed=1)
    kw = dict(loss="logistic", batch_size=10, lr=0.05, optimizer=optimizer, average=average, seed=9)
    full = mf.train(X, y, epochs=4, **kw)
    path = tmp_path / "ck.npz"

    def interrupt(info):
        if info.epoch == 1:
            raise Stop  # "killed" at the end of epoch 1: the last checkpoint is at iteration 14

    with pytest.raises(Stop):
        mf.train(X, y, epochs=4, checkpoint=path, checkpoint_every=7, callback=interrupt, **kw)
    ts = TrainState.load(path)
    assert (ts.epoch, ts.iteration, ts.n_iter) == (1, 4, 14)  # mid-epoch
    resumed = mf.train(X, y, epochs=4, resume=path, **kw)
    assert resumed.coef.tobytes() == full.coef.tobytes()
    assert resumed.state.theta.tobytes() == full.state.theta.tobytes()
    for name in ("buf1", "buf2", "avg"):
        a, b = getattr(resumed.state, name), getattr(full.state, name)
        assert (a is None and b is None) or a.tobytes() == b.tobytes()
    assert resumed.batch_loss.tobytes() == full.batch_loss.tobytes()
    np.testing.assert_array_equal(resumed.epoch_loss, full.epoch_loss)
    assert resumed.n_iter == full.n_iter == 40


def test_checkpoint_every_epoch_by_default_and_resume_at_epoch_end(tmp_path):
    X, y = make_problem("squared", 50, 3)
    path = tmp_path / "ck.npz"
    first = mf.train(X, y, batch_size=5, epochs=2, checkpoint=path)
    ts = TrainState.load(path)
    assert (ts.epoch, ts.iteration, ts.n_iter) == (1, 10, 20)
    more = mf.train(X, y, batch_size=5, epochs=5, resume=path)
    full = mf.train(X, y, batch_size=5, epochs=5)
    assert more.coef.tobytes() == full.coef.tobytes() and first.n_iter == 20


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_resume_after_sigkill(optimizer, tmp_path):
    path = tmp_path / "ck.npz"
    script = os.path.join(os.path.dirname(__file__), "scripts", "checkpointed_run.py")
    proc = subprocess.Popen([sys.executable, script, str(path), optimizer])
    deadline = time.time() + 120
    while not path.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)  # no clean-up, no finally: a real kill
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    ts = TrainState.load(path)  # the rename made it whole
    assert ts.n_iter % 30_001 == 0 and 0 < ts.iteration < 100_000  # mid-epoch
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100_000, 32))
    y = X @ rng.normal(size=32) + 0.1 * rng.standard_normal(100_000)
    epochs = ts.epoch + 2
    kw = dict(batch_size=1, lr=1e-3, optimizer=optimizer, seed=5, epochs=epochs)
    resumed = mf.train(X, y, resume=path, **kw)
    full = mf.train(X, y, **kw)
    assert resumed.coef.tobytes() == full.coef.tobytes()
    assert resumed.state.theta.tobytes() == full.state.theta.tobytes()


def test_resume_refuses_another_run_and_bad_files(tmp_path):
    X, y = make_problem("squared", 50, 3)
    path = tmp_path / "ck.npz"
    mf.train(X, y, batch_size=5, epochs=1, checkpoint=path)
    with pytest.raises(ValueError, match="batch_size=5 there, 10 here"):
        mf.train(X, y, batch_size=10, epochs=2, resume=path)
    with pytest.raises(ValueError, match="optimizer='sgd' there, 'adam' here"):
        mf.train(X, y, batch_size=5, epochs=2, optimizer="adam", resume=path)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="is not a mbgd_fast checkpoint"):
        mf.train(X, y, batch_size=5, epochs=2, resume=bad)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]


@pytest.mark.parametrize("key, rule", [("order", "ORDER_RULE"), ("z", "Z_RULE")])
def test_a_checkpoint_of_another_rule_is_refused(key, rule, tmp_path):
    # before session 16 the epoch's order came from Fisher-Yates run from the back, and before
    # session 17 b = 1 runs took z = w x + b and carried nothing from call to call; checkpoints
    # recorded neither rule: resumed now, such a run would go on another way
    X, y = make_problem("squared", 50, 3)
    path = tmp_path / "ck.npz"
    mf.train(X, y, batch_size=5, epochs=2, checkpoint=path)
    ts = TrainState.load(path)
    assert ts.meta[key] == getattr(mf.core, rule)
    del ts.meta[key]
    ts.save(path)
    with pytest.raises(ValueError, match=f"different run: {key}=None there"):
        mf.train(X, y, batch_size=5, epochs=5, resume=path)
