#!/bin/bash
# What docs/ab-epochs-session7.txt holds: csrc/mbgd.c built at the session's start (3c64b57),
# after each of its three kernel commits -- phase B's norms without zeroed arrays (cc8f95d),
# the b = 1 step without an L2 term (b139ecf), the fused small-batch step (fc085d6, the end) --
# paired by bench/loops/ab_epochs.c; then train() of the session's start (its Python package,
# on the installed compiled library) against the installed package, paired in one process
# (the Python change of 0d5b5e8).
#   bash docs/ab-epochs-session7.sh > docs/ab-epochs-session7.txt   (about 10 minutes)
# The Python part needs the package installed (pip install -e .) from fc085d6 or later.
source "$(dirname "$0")/../bench/loops/ab_revs.sh"
build_revs 3c64b57 cc8f95d b139ecf fc085d6
cp $W/3c64b57.so $W/3c64b57-copy.so
echo "# A/A: one build against a copy of itself"
run $W/3c64b57.so $W/3c64b57-copy.so 200000 16 4 1 21 0
echo "# phase B's norms without the zeroed arrays (cc8f95d) against the start"
run $W/3c64b57.so $W/cc8f95d.so 200000 16 4 1 21 0
run $W/3c64b57.so $W/cc8f95d.so 200000 16 16 1 21 0
run $W/3c64b57.so $W/cc8f95d.so 200000 256 256 2 11 0
echo "# the b = 1 step without an L2 term (b139ecf) against cc8f95d"
run $W/cc8f95d.so $W/b139ecf.so 200000 16 1 1 11 0
run $W/cc8f95d.so $W/b139ecf.so 200000 16 1 2 11 0
run $W/cc8f95d.so $W/b139ecf.so 200000 256 1 1 11 0
run $W/cc8f95d.so $W/b139ecf.so 200000 256 1 1 11 9
echo "# the fused small-batch step (fc085d6) against b139ecf"
run $W/b139ecf.so $W/fc085d6.so 200000 16 4 1 15 0
run $W/b139ecf.so $W/fc085d6.so 200000 16 4 2 15 0
run $W/b139ecf.so $W/fc085d6.so 200000 16 16 1 15 0
run $W/b139ecf.so $W/fc085d6.so 200000 256 4 2 15 0
echo "# the session's end against its start"
run $W/3c64b57.so $W/fc085d6.so 200000 16 1 2 11 0
run $W/3c64b57.so $W/fc085d6.so 200000 16 4 2 21 0
run $W/3c64b57.so $W/fc085d6.so 200000 256 256 2 11 0
run $W/3c64b57.so $W/fc085d6.so 200000 256 256 2 11 9

echo "# train() of 3c64b57's Python package against the installed one, same compiled library"
git archive 3c64b57 mbgd_fast | tar -x -C $W && mv $W/mbgd_fast $W/mbgd_fast_start
cp "$(python -c 'import mbgd_fast._mbgd as m; print(m.__file__)')" $W/mbgd_fast_start/
python - "$W" <<'EOF'
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import mbgd_fast, mbgd_fast_start
n, rounds = 200000, 31
rng = np.random.default_rng(0)
for d in (16,):
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (X @ rng.standard_normal(d)).astype(np.float32)
    for b in (1, 4, 4096):
        ratios, secs = [], {"start": [], "end": []}
        for r in range(rounds):
            order = (("start", mbgd_fast_start), ("end", mbgd_fast))
            coef = {}
            for name, m in (order if r % 2 == 0 else order[::-1]):
                t0 = time.perf_counter()
                res = m.train(X, y, batch_size=b, epochs=1, lr=1e-3, seed=r, n_threads=2)
                secs[name].append(time.perf_counter() - t0)
                coef[name] = res.coef
            assert np.array_equal(coef["start"], coef["end"]), "the two trained different weights"
            ratios.append(secs["start"][-1] / secs["end"][-1])
        q = np.percentile(ratios, [25, 50, 75])
        print(f"d={d} b={b} 2 threads: start {n / np.median(secs['start']):.3g} samples/s, "
              f"end {n / np.median(secs['end']):.3g}; end/start speed {q[1]:.3f} "
              f"(paired per-round ratios: median; quartiles {q[0]:.3f}-{q[2]:.3f}); same weights")
EOF
