"""What the shuffle costs softmax at b = 256 (K = 10, d = 256, float32): one train() epoch's
ns a row with the rows in order (shuffle=False) and shuffled, over N = 2,048 (2 MB, in L3),
16,384 (16 MB) and 200,000 rows (205 MB, out of cache), on 1 and 2 threads; squared loss at
N = 200,000 beside it.  Alternated rounds, medians; at N < 200,000 the epochs repeat so that
each call trains about 200,000 rows.

    python docs/softmax-order-session28.py > docs/softmax-order-session28.txt
"""
import time

import numpy as np

import mbgd_fast as mf

D, K, ROUNDS = 256, 10, 7


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200_000, D), dtype=np.float32)
    ys = rng.integers(0, K, len(X)).astype(np.float32)
    yq = (X[:, :8].sum(axis=1) * 0.1).astype(np.float32)
    cells = []
    for loss, y, sizes in (("softmax", ys, (2048, 16384, 200_000)), ("squared", yq, (200_000,))):
        for n in sizes:
            Xn, yn = np.ascontiguousarray(X[:n]), np.ascontiguousarray(y[:n])
            epochs = max(1, 200_000 // n)
            for threads in (1, 2):
                for shuffle in (False, True):
                    def f(Xn=Xn, yn=yn, epochs=epochs, threads=threads, shuffle=shuffle, loss=loss):
                        mf.train(Xn, yn, loss=loss, batch_size=256, epochs=epochs, lr=1e-3,
                                 n_threads=threads, shuffle=shuffle, seed=0)
                    cells.append(((loss, n, threads, shuffle), f, epochs * n))
    times = {key: [] for key, _, _ in cells}
    for _ in range(ROUNDS):
        for key, f, rows in cells:
            t = time.perf_counter()
            f()
            times[key].append((time.perf_counter() - t) / rows * 1e9)
    print(f"b = 256, d = {D}; medians of {ROUNDS} alternated rounds, ns a row; isa {mf._native.isa()}")
    for key, _, _ in cells:
        loss, n, threads, shuffle = key
        if shuffle:
            continue
        a, s = np.median(times[key]), np.median(times[(loss, n, threads, True)])
        print(f"{loss:8s} N = {n:6d} {threads} thread{'s' if threads > 1 else ' '}: in order "
              f"{a:6.1f}, shuffled {s:6.1f} ({s / a:.2f}x)")


if __name__ == "__main__":
    main()
