# Where one train() epoch's time goes at d = 256 (N = 200,000, float32, squared, shuffled):
# the kernel calls against drawing the epoch's order, by cProfile over 20 epochs.
import cProfile, pstats, io
import numpy as np
import mbgd_fast as mf
rng = np.random.default_rng(0)
X = rng.standard_normal((200000, 256), dtype=np.float32); y = rng.standard_normal(200000).astype(np.float32)
for b, thr in ((4096, 1), (4096, 2), (256, 2)):
    mf.train(X, y, batch_size=b, epochs=1, lr=1e-3, seed=0, n_threads=thr)
    pr = cProfile.Profile(); pr.enable()
    for _ in range(20):
        mf.train(X, y, batch_size=b, epochs=1, lr=1e-3, seed=0, n_threads=thr)
    pr.disable()
    st = pstats.Stats(pr).stats
    tot = {f[2]: v[3] for f, v in st.items()}  # cumulative seconds by function name
    kern = sum(v[2] for f, v in st.items() if "mbgd_train_f32" in f[2])
    perm = sum(v[2] for f, v in st.items() if "mbgd_permutation" in f[2])
    whole = tot.get("train")
    print(f"b={b} threads={thr}: per epoch {1e3*whole/20:.2f} ms, kernel {1e3*kern/20:.2f} ms, "
          f"drawing the order {1e3*perm/20:.2f} ms ({100*perm/whole:.0f}%)")
