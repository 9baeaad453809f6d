# Session 73: train() on 2 threads, the team taking over in the draw's parallel region
# (MBGD_FAST_TEAM_IN_PLACE unset) against a second region (=0), alternating in each round,
# one epoch a call, N = 200,000, `pause` seconds asleep before each call (and with `evict`
# the bench's evict_caches before it).  Run from the repository root:
#   python docs/ab-session73-in-place.py d b pause rounds [evict]
#   e.g. python docs/ab-session73-in-place.py 16 4096 0.25 40 evict
import sys, time, numpy as np, os
sys.path.insert(0, 'bench'); sys.path.insert(0, '.')
from conftest import make_dataset
from test_bench_train import evict_caches
import mbgd_fast as mf
d = int(sys.argv[1]); b = int(sys.argv[2]); pause = float(sys.argv[3]); rounds = int(sys.argv[4]); evict = len(sys.argv) > 5 and sys.argv[5] == 'evict'
X, y = make_dataset(d); n = len(X)
mf.train(X, y, batch_size=b, epochs=1, lr=1e-3, seed=0, n_threads=2)
res = {'0': [], '1': []}
for r in range(rounds):
    for a in (('0', '1') if r % 2 == 0 else ('1', '0')):
        os.environ['MBGD_FAST_TEAM_IN_PLACE'] = a
        if evict: evict_caches()
        time.sleep(pause)
        t = time.perf_counter(); mf.train(X, y, batch_size=b, epochs=1, lr=1e-3, seed=r, n_threads=2); res[a].append(time.perf_counter() - t)
A, B = np.array(res['0']) * 1e3, np.array(res['1']) * 1e3
q = np.percentile(A / B, [25, 50, 75])
print(f"d={d} b={b} pause={pause} evict={evict}: second region (0) median {np.median(A):.2f} ms (quartiles {np.percentile(A,25):.2f}-{np.percentile(A,75):.2f}), in place (1) {np.median(B):.2f} ({np.percentile(B,25):.2f}-{np.percentile(B,75):.2f}); 0's time / 1's per round: {q[1]:.3f} ({q[0]:.3f}-{q[2]:.3f}); over 2x the fastest: {(A > 2*min(A.min(),B.min())).sum()} / {(B > 2*min(A.min(),B.min())).sum()} of {rounds}")
