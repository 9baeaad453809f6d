"""Session 29: what the pages cost a shuffled epoch.  The same X (N = 200,000, d = 256,
float32) as NumPy placed it (transparent huge pages, which NumPy advises: see AnonHugePages),
in a copy on 4 KiB pages (an anonymous map advised MADV_NOHUGEPAGE) and in a copy on 2 MiB
hugetlbfs pages (reserved beforehand with `echo 160 > /proc/sys/vm/nr_hugepages`), all three
starting 16 bytes past a cache line as NumPy places large arrays.  One train() epoch, b = 256, softmax (K = 10) and squared
loss, 1 and 2 threads, shuffled and in order (shuffle=False); alternated rounds, medians,
ns a row.

    python docs/pages-2m-session29.py ROUNDS
"""
import mmap, re, sys, time
import numpy as np
import mbgd_fast as mf

n, d, b = 200_000, 256, 256
rng = np.random.default_rng(0)
Xnp = rng.standard_normal((n, d), dtype=np.float32)
ys = rng.integers(0, 10, n).astype(np.float32)
yq = (Xnp[:, :8].sum(axis=1) * 0.1).astype(np.float32)
MAP_HUGETLB = 0x40000
size = (Xnp.nbytes + 64 + (2 << 20) - 1) // (2 << 20) * (2 << 20)
buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_HUGETLB)
X2m = np.frombuffer(buf, dtype=np.float32, count=n * d, offset=16).reshape(n, d)
X2m[...] = Xnp
buf4 = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
buf4.madvise(mmap.MADV_NOHUGEPAGE)
X4k = np.frombuffer(buf4, dtype=np.float32, count=n * d, offset=16).reshape(n, d)
X4k[...] = Xnp


def rollup(key):
    for line in open("/proc/self/smaps_rollup"):
        if line.startswith(key):
            return line.split()[1] + " kB"


print(f"AnonHugePages {rollup('AnonHugePages')} (NumPy's X is {Xnp.nbytes >> 10} kB), Private_Hugetlb {rollup('Private_Hugetlb')}")
print(f"X as NumPy placed it at {Xnp.ctypes.data % 64} mod 64; the copies at {X4k.ctypes.data % 4096} mod 4 KiB and {X2m.ctypes.data % (2 << 20)} mod 2 MiB")
cells = {}
for loss, y in (("softmax", ys), ("squared", yq)):
    for t in (1, 2):
        for pages, X in (("numpy", Xnp), ("4k", X4k), ("2m", X2m)):
            for order in ("shuffled", "in order"):
                cells[(loss, t, pages, order)] = (X, y, loss, t, order == "shuffled")
times = {k: [] for k in cells}
for r in range(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
    for k, (X, y, loss, t, sh) in cells.items():
        t0 = time.perf_counter()
        mf.train(X, y, loss=loss, batch_size=b, epochs=1, lr=1e-3, n_threads=t, shuffle=sh, seed=r)
        times[k].append((time.perf_counter() - t0) / n * 1e9)
for k in cells:
    print(f"{k[0]:8s} {k[1]} thread{'s' if k[1] > 1 else ' '} {k[2]:5s} pages {k[3]:9s} {np.median(times[k]):6.1f} ns a row")
for t in (1, 2):
    for pages in ("numpy", "4k", "2m"):
        s = np.median(times[("softmax", t, pages, "shuffled")]) / np.median(times[("squared", t, pages, "shuffled")])
        print(f"softmax / squared, shuffled, {t} thread{'s' if t > 1 else ' '}, {pages} pages: {s:.2f}x")
