"""Peak RSS of one epoch over a large .npy file, out of core (mapped) and, optionally, loaded.

    python bench/outofcore_rss.py [--gb 4] [--d 256] [--batch-sizes 1 64 1024] [--loaded] [--dir DIR]

Writes a float32 file of about --gb GiB (kept for reruns), then runs each measurement in a fresh
process (``python -m mbgd_fast._rss``) and prints one JSON line per run plus a table.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def make_file(path, gib, d):
    n = int(gib * (1 << 30)) // (4 * d)
    if os.path.exists(path) and np.load(path, mmap_mode="r").shape == (n, d):
        return n
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    step = max(1, (64 << 20) // (4 * d))
    for s in range(0, n, step):
        e = min(n, s + step)
        X[s:e] = np.random.default_rng(s).standard_normal((e - s, d), dtype=np.float32)
    X.flush()
    del X
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=4.0)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64, 1024])
    ap.add_argument("--loaded", action="store_true", help="also measure np.load (needs RAM > file)")
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--json", help="write the runs here")
    args = ap.parse_args()
    path = os.path.join(args.dir, f"mbgd_outofcore_{args.gb:g}g_d{args.d}.npy")
    n = make_file(path, args.gb, args.d)
    runs = []
    plan = [("mapped", b) for b in args.batch_sizes] + ([("loaded", args.batch_sizes[-1])] if args.loaded else [])
    for mode, b in plan:
        cp = subprocess.run([sys.executable, "-m", "mbgd_fast._rss", path, mode, str(b)],
                            capture_output=True, text=True, check=True)
        run = json.loads(cp.stdout.strip().splitlines()[-1])
        print(json.dumps(run))
        runs.append(run)
    print(f"\nfile: {path}, {n} x {args.d} float32, {os.path.getsize(path) / 2**30:.2f} GiB")
    print(f"{'mode':>7} {'b':>5} {'peak RSS growth (MiB)':>22} {'% of file':>9} {'samples/s':>11}")
    for r in runs:
        print(f"{r['mode']:>7} {r['batch_size']:>5} {r['peak_growth'] / 2**20:>22.1f} "
              f"{100 * r['peak_growth'] / r['file_bytes']:>8.2f}% {r['samples_per_s']:>11.3g}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(runs, fh, indent=1)


if __name__ == "__main__":
    main()
