# train() through Python, the groups' sums placed by malloc (as 6dc7445) or on a cache line (as
# 4540eb7), in one process and one build: the build of 4540eb7 with
# docs/not-kept/same-file-malloc-or-lines.patch applied takes malloc's placement when the params'
# isa is auto and mbgd_alloc_lines' when it is avx512 (the same code on this CPU), and
# MBGD_FAST_ISA (read at every call) alternates between the two, round by round (13 rounds,
# the first dropped; the ratio is the median of the per-round ratios).  SW_SAY=1 makes the
# build print each call's placement to stderr, counted after the table.
#   (cd csrc && patch -p2 < ../docs/not-kept/same-file-malloc-or-lines.patch)
#   pip install --no-build-isolation -e .
#   SW_SAY=1 python docs/train-ab-session19.py > docs/train-ab-session19.txt 2> say.txt
#   sort say.txt | uniq -c >> docs/train-ab-session19.txt
#   git checkout csrc && pip install --no-build-isolation -e .
import os, sys, time, numpy as np, mbgd_fast as mf
N, d = 200_000, 256
rng = np.random.default_rng(0)
X = rng.standard_normal((N, d), dtype=np.float32)
yr = X[:, :8].sum(axis=1).astype(np.float32)
yc = (np.abs(X[:, :10]).argmax(axis=1)).astype(np.float32)
print("X % 64 =", X.ctypes.data % 64)
for loss, y in (("softmax", yc), ("squared", yr)):
    for T in (1, 2):
        t = {"auto": [], "avx512": []}
        for r in range(13):
            for isa in (("auto", "avx512") if r % 2 == 0 else ("avx512", "auto")):
                os.environ["MBGD_FAST_ISA"] = isa
                s = time.perf_counter()
                mf.train(X, y, loss=loss, batch_size=256, epochs=1, lr=1e-3, seed=0, n_threads=T)
                t[isa].append(time.perf_counter() - s)
        a, b = np.array(t["auto"][1:]), np.array(t["avx512"][1:])
        print(f"{loss} T={T}: malloc {N/np.median(a):.3g}/s  lines {N/np.median(b):.3g}/s  lines/malloc speed (median of per-round ratios) {np.median(a/b):.3f}")
