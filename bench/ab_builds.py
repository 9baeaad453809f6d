"""Interleaved A/B of builds of the compiled kernels: how a change to csrc/ is measured.

Build each variant and keep its extension aside, e.g.::

    pip install -e . && cp mbgd_fast/_mbgd.abi3.so /tmp/base.so
    # change csrc/ (or set MBGD_FAST_CFLAGS), then
    pip install -e . && cp mbgd_fast/_mbgd.abi3.so /tmp/new.so
    python bench/ab_builds.py base=/tmp/base.so new=/tmp/new.so \\
        --case squared:256:200000:4:2:256 --case softmax:256:2000:300:1:256 --rounds 4

A case is ``loss:b:N:epochs:threads:d``: float32 data, N rows (shuffled every epoch when
N > 10,000; N = 2,000 at d = 256 stays in cache), one ``mbgd_fast.train`` call per timing.

Each build gets a private copy of the mbgd_fast package holding its extension.  Every round
runs each build once, in turn (A B A B ...), each in a fresh process that times every case
as the median of ``--repeats`` calls.  This machine's noise lasts seconds to minutes, longer
than a benchmark's rounds, so only builds timed side by side are compared: the summary gives
each build's median over the rounds, its range, and its ratio to the first build.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(os.path.dirname(HERE), "mbgd_fast")
EXT = "_mbgd.abi3.so"


def parse_case(text):
    """'loss:b:N:epochs:threads:d' -> dict; ValueError naming the case when malformed."""
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError(f"case {text!r}: expected loss:b:N:epochs:threads:d")
    loss, *nums = parts
    try:
        b, n, epochs, threads, d = (int(v) for v in nums)
    except ValueError:
        raise ValueError(f"case {text!r}: b, N, epochs, threads and d must be integers") from None
    if min(b, n, epochs, threads, d) < 1:
        raise ValueError(f"case {text!r}: b, N, epochs, threads and d must be >= 1")
    return dict(loss=loss, b=b, n=n, epochs=epochs, threads=threads, d=d)


def time_cases(cases, repeats, evict_mib=0):
    """In a worker: samples/s of each case (median of `repeats` train() calls).  evict_mib > 0:
    before each timed call, that many MiB of a buffer of the worker's own are read on 2 threads
    (untimed), so the call finds X out of the caches, as the bench's cells do (evict_caches)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    import mbgd_fast as mf

    rng = np.random.default_rng(0)
    if evict_mib > 0:
        parts = np.array_split(np.ones((evict_mib << 20) // 4, dtype=np.float32), 2)
        pool = ThreadPoolExecutor(2)

    def evict():
        if evict_mib > 0:
            total = sum(pool.map(lambda a: float(a.sum(dtype=np.float32)), parts))
            assert total == (evict_mib << 20) // 4
    out = {"module": mf.__file__, "rates": {}}
    for text in cases:
        c = parse_case(text)
        X = rng.standard_normal((c["n"], c["d"]), dtype=np.float32)
        if c["loss"] == "softmax":
            y = rng.integers(0, 10, c["n"]).astype(np.float32)
        elif c["loss"] in ("logistic", "hinge"):
            y = np.where(X[:, 0] > 0, 1.0, -1.0).astype(np.float32)
        else:
            y = X[:, 0].copy()
        times = []
        for _ in range(repeats):
            evict()
            t0 = time.perf_counter()
            mf.train(X, y, batch_size=c["b"], epochs=c["epochs"], lr=1e-3, loss=c["loss"],
                     n_threads=c["threads"], shuffle=c["n"] > 10_000)
            times.append(time.perf_counter() - t0)
        out["rates"][text] = c["n"] * c["epochs"] / statistics.median(times)
    return out


def stage(builds, root):
    """A copy of the package per build, with that build's extension; {label: sys.path dir}.

    A build given as a folder is a whole copy of the package, its Python and its extension
    (e.g. the ``mbgd_fast`` folder of ``git worktree add /tmp/old HEAD~1``, with an extension
    copied in): a change to the Python is measured the same way as one to the kernels."""
    dirs = {}
    for label, so in builds:
        dest = os.path.join(root, label)
        if os.path.isdir(so):
            if not os.path.isfile(os.path.join(so, EXT)):
                raise FileNotFoundError(f"build {label!r}: no {EXT} in the folder {so!r}")
            shutil.copytree(so, os.path.join(dest, "mbgd_fast"),
                            ignore=shutil.ignore_patterns("__pycache__"))
        elif os.path.isfile(so):
            shutil.copytree(PKG, os.path.join(dest, "mbgd_fast"),
                            ignore=shutil.ignore_patterns("__pycache__", "*.so"))
            shutil.copy2(so, os.path.join(dest, "mbgd_fast", EXT))
        else:
            raise FileNotFoundError(f"build {label!r}: no file {so!r}")
        dirs[label] = dest
    return dirs


def run(builds, cases, rounds, repeats, log=print, evict_mib=0):
    """{label: {case: [samples/s per round]}}, the builds run in turn each round."""
    for text in cases:
        parse_case(text)
    results = {label: {c: [] for c in cases} for label, _ in builds}
    with tempfile.TemporaryDirectory(prefix="mbgd-ab-") as root:
        dirs = stage(builds, root)
        for r in range(rounds):
            for label, _ in builds:
                env = dict(os.environ, PYTHONPATH=dirs[label])
                cmd = [sys.executable, os.path.abspath(__file__), "--worker",
                       "--repeats", str(repeats), "--evict", str(evict_mib)]
                cmd += [a for c in cases for a in ("--case", c)]
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise RuntimeError(f"build {label!r}, round {r + 1}: worker failed:\n"
                                       f"{proc.stderr[-2000:]}")
                got = json.loads(proc.stdout.strip().splitlines()[-1])
                if not got["module"].startswith(dirs[label]):
                    raise RuntimeError(f"build {label!r}: imported {got['module']}, not its copy")
                for c in cases:
                    results[label][c].append(got["rates"][c])
                log(f"round {r + 1} {label}: " +
                    " ".join(f"{c}={got['rates'][c]:.3g}" for c in cases))
    return results


def summary(results):
    """Markdown table: per case and build, median/min/max samples/s and the ratio of medians."""
    labels = list(results)
    lines = ["| case | build | median samples/s | min | max | vs " + labels[0] + " |",
             "|---|---|---:|---:|---:|---:|"]
    for c in results[labels[0]]:
        base = statistics.median(results[labels[0]][c])
        for label in labels:
            v = results[label][c]
            med = statistics.median(v)
            lines.append(f"| {c} | {label} | {med:.3g} | {min(v):.3g} | {max(v):.3g} | "
                         f"{med / base:.2f}x |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("builds", nargs="*", metavar="LABEL=PATH",
                    help="a build: a label and the path of its _mbgd.abi3.so, or of a whole "
                         "mbgd_fast package folder holding one (two or more)")
    ap.add_argument("--case", action="append", required=True, help="loss:b:N:epochs:threads:d")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--evict", type=int, default=0, metavar="MIB",
                    help="read this many MiB before each timed call, so that X is out of the "
                         "caches (e.g. 128: four times a 32 MiB L3); 0 (the default): calls "
                         "back to back")
    ap.add_argument("--json", help="also write the per-round samples/s here")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.rounds < 1:
        ap.error("--rounds and --repeats must be >= 1")
    if args.evict < 0:
        ap.error("--evict must be >= 0")
    if args.worker:
        print(json.dumps(time_cases(args.case, args.repeats, args.evict)))
        return 0
    builds = []
    for item in args.builds:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            ap.error(f"build {item!r}: expected LABEL=PATH")
        if any(label == b[0] for b in builds):
            ap.error(f"build label {label!r} given twice")
        builds.append((label, path))
    if len(builds) < 2:
        ap.error("give two or more builds (LABEL=PATH)")
    try:
        results = run(builds, args.case, args.rounds, args.repeats, evict_mib=args.evict)
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        ap.error(str(e))
    print(summary(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
