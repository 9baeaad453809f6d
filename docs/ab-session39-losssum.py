"""Session 39: what the epoch loss's second pass over the batch losses cost train().

Until session 39 train() took each epoch's mean loss as ndarray.sum over the epoch's batch
losses after the kernel had written them: at b = 1, N = 200,000, a second pass over 1.6 MB.
The kernels now add each loss to a running sum as they write it (mbgd_slice.loss_sum).  This
times, paired in one process (every round runs each cell once, in a random order), train() as it is against
train() followed by that pass, ``batch_loss.sum()`` (what the old code added), at d = 16 on 2
threads, b = 1 and b = 4096, one epoch each; and the flat curve's ratio b = 1 / b = 4096 with
and without the pass.

    python docs/ab-session39-losssum.py > docs/ab-session39-losssum.txt
"""
import time

import numpy as np

import mbgd_fast as mf

N, D, ROUNDS = 200_000, 16, 401
rng = np.random.default_rng(0)
X = rng.standard_normal((N, D)).astype(np.float32)
y = (X @ rng.standard_normal(D).astype(np.float32)).astype(np.float32)


def run(b, extra, seed):
    t = time.perf_counter()
    res = mf.train(X, y, batch_size=b, epochs=1, lr=0.001, n_threads=2, seed=seed)
    if extra:
        float(res.batch_loss.sum() / res.n_iter)
    return time.perf_counter() - t


cells = [(b, extra) for b in (1, 4096) for extra in (False, True)]
for r in range(5):  # warm-up
    for b, extra in cells:
        run(b, extra, r)
sec = {c: [] for c in cells}
order = np.random.default_rng(1)
for r in range(ROUNDS):
    for k in order.permutation(len(cells)):  # each round's cells in a random order
        b, extra = cells[k]
        sec[(b, extra)].append(run(b, extra, r))
sec = {c: np.array(v) for c, v in sec.items()}
print(f"N = {N:,}, d = {D}, 2 threads, {ROUNDS} paired rounds; medians")
for b in (1, 4096):
    now, old = sec[(b, False)], sec[(b, True)]
    q = np.percentile(old - now, [25, 50, 75]) * 1e6
    print(f"b = {b}: train() {np.median(now) * 1e3:.3f} ms, with the pass {np.median(old) * 1e3:.3f} ms;"
          f" the pass adds {q[1]:.0f} us (quartiles {q[0]:.0f} to {q[2]:.0f})")
for extra, name in ((False, "without the pass (now)"), (True, "with the pass (before)")):
    ratio = sec[(1, extra)] / sec[(4096, extra)]
    print(f"b = 1 / b = 4096, {name}: {np.median(ratio):.3f}x")
