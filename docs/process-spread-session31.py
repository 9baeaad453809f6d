"""Session 31: how much the speed of one train() cell moves from one process to the next.

Each of --procs fresh Python processes makes the bench's kind of data (N = 200,000 rows, d = 256,
float32, NumPy's placement) and times train() at b = 256 on 2 threads, softmax (K = 10) and
squared loss in turn, 6 calls each (the first dropped), and prints the medians.  The bench's
cells run in one process each time, so a process whose cells all run slow moves a whole run's
figure: session 31's first full run measured softmax at 13.5 ms an epoch in every round, where
the same cell in the losses file alone took 10.2 ms.

    python docs/process-spread-session31.py --procs 12
"""
import argparse
import statistics
import subprocess
import sys

CHILD = r"""
import statistics, time, numpy as np, mbgd_fast as mf
rng = np.random.default_rng(0)
X = rng.standard_normal((200_000, 256), dtype=np.float32)
ys = rng.integers(0, 10, len(X)).astype(np.float32)
yq = X[:, 0].copy()
out = []
for loss, y in (("softmax", ys), ("squared", yq)):
    t = []
    for r in range(6):
        t0 = time.perf_counter()
        mf.train(X, y, loss=loss, batch_size=256, epochs=1, lr=1e-3, seed=0, n_threads=2)
        t.append(time.perf_counter() - t0)
    out.append(statistics.median(t[1:]) * 1e3)
print(out[0], out[1])
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=12)
    a = ap.parse_args()
    if a.procs < 1:
        ap.error("--procs must be >= 1")
    rows = []
    for i in range(a.procs):
        got = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
        sm, sq = (float(v) for v in got.stdout.split())
        rows.append((sm, sq))
        print(f"process {i + 1:2d}: softmax {sm:6.2f} ms, squared {sq:5.2f} ms, softmax / squared {sm / sq:.2f}x",
              flush=True)
    sm = [r[0] for r in rows]
    ratio = [r[0] / r[1] for r in rows]
    print(f"softmax over the processes: median {statistics.median(sm):.2f} ms, min {min(sm):.2f}, max {max(sm):.2f}; "
          f"softmax / squared: median {statistics.median(ratio):.2f}x, min {min(ratio):.2f}x, max {max(ratio):.2f}x")


if __name__ == "__main__":
    main()
