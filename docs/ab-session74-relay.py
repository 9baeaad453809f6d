# Session 74: train() on 2 threads with the relay (MBGD_FAST_RELAY unset: on) against without
# it (=0: the prefetch helper or the packers, as before), alternating in each round, one epoch
# a call on the bench's data (N = 200,000, float32), the bench's evict_caches before each call,
# and train() on 1 thread in the same rounds.  Run from the repository root:
#   python docs/ab-session74-relay.py d b rounds [loss]
#   e.g. python docs/ab-session74-relay.py 256 1 15
import sys, time, numpy as np, os
sys.path.insert(0, 'bench'); sys.path.insert(0, '.')
from conftest import make_dataset
from test_bench_train import evict_caches
import mbgd_fast as mf
from mbgd_fast import _native
d = int(sys.argv[1]); b = int(sys.argv[2]); rounds = int(sys.argv[3])
loss = sys.argv[4] if len(sys.argv) > 4 else 'squared'
X, y = make_dataset(d); n = len(X)
if loss in ('logistic', 'hinge'):
    y = np.where(y > np.median(y), 1.0, -1.0 if loss == 'hinge' else 0.0).astype(np.float32)
kw = dict(loss=loss, batch_size=b, epochs=1, lr=1e-3)
ways = [('off', '0', 2), ('relay', '1', 2), ('1 thread', '1', 1)]
res = {w[0]: [] for w in ways}
legs = taken = 0
for r in range(-1, rounds):  # round -1 warms up, untimed
    for name, env, threads in (ways if r % 2 == 0 else ways[::-1]):
        os.environ['MBGD_FAST_RELAY'] = env
        evict_caches()
        l0, k0 = _native.relay_legs(), _native.relay_legs(taken=True)
        t = time.perf_counter(); m = mf.train(X, y, seed=r + 1, n_threads=threads, **kw); dt = time.perf_counter() - t
        if name == 'relay':
            legs += _native.relay_legs() - l0
            taken += _native.relay_legs(taken=True) - k0
        if r >= 0: res[name].append(dt)
A, B, C = (np.array(res[w[0]]) for w in ways)
q = np.percentile(A / B, [25, 50, 75]); q1 = np.percentile(C / B, [25, 50, 75])
print(f"{loss} d={d} b={b}, {rounds} rounds, samples/s medians: off {n/np.median(A):.3e}, relay {n/np.median(B):.3e}, "
      f"1 thread {n/np.median(C):.3e}; relay over off per round {q[1]:.3f} ({q[0]:.3f}-{q[2]:.3f}), "
      f"over 1 thread {q1[1]:.3f} ({q1[0]:.3f}-{q1[2]:.3f}); relay legs a call {legs / (rounds + 1):.0f}, of them taken over by the other thread {taken / (rounds + 1):.1f}")
