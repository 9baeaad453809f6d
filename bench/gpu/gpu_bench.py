"""GPU benchmark: correctness against the CPU backend, then samples/s across batch sizes,
PyTorch CUDA as the baseline and a device-to-device copy as the bandwidth ceiling, all in
one run; the cost-model fit (tau_f, tau_d), a table and a PNG.

    python bench/gpu/gpu_bench.py --out DIR    # on a GPU machine: builds the C extension if
                                               # needed, then checks and times (H200: > 5 min,
                                               # most of it PyTorch at b = 1)
    python bench/gpu/gpu_bench.py --out DIR --iters 500 --min-rows 2000   # H200: ~80-95 s
    NUMBA_ENABLE_CUDASIM=1 python bench/gpu/gpu_bench.py --smoke --out DIR   # simulator check

Measured, float32, rows in a random order: b in {1, 8, 64, 512, 4096, 32768} at
d in {256, 4096}, N = 1,000,000 rows on the device (the data are made on the device).
Each point trains on the first rows_used(b) rows (--iters iterations, at least --min-rows
rows, at most N), after one warm-up, the median of --rounds; each timed call is a whole
train() (its host work included).
Systems: mbgd_fast persistent (one cooperative launch per slice), mbgd_fast phases
(one launch per phase), torch autograd + SGD(foreach=True), and SGD(fused=True).
Writes gpu-bench.json, gpu-bench.png and prints the table (targets: tau_f <= 5 us
persistent; >= 60% of the copy bandwidth at b >= 4096, d = 4096; >= 5x torch at b <= 512).
"""
import argparse
import json
import os
import statistics
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, ROOT)


def build():
    """Build the C extension in place when it is not built yet (offline: no build isolation)."""
    try:
        import mbgd_fast._mbgd  # noqa: F401
        return "already built"
    except ImportError:
        import subprocess

        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation",
                        "--no-deps", "-e", ROOT], check=True)
        return "built with pip install -e ."


BUILD = build()
import mbgd_fast as mf  # noqa: E402
from mbgd_fast import costmodel  # noqa: E402


def log(*a):
    print(*a, flush=True)


def sync():
    from numba import cuda

    cuda.synchronize()


def make_data(n, d, seed=0):
    """(X, y) float32 on the device: torch's generator when torch has CUDA, else a Numba kernel."""
    try:
        import torch

        if torch.cuda.is_available():
            g = torch.Generator(device="cuda").manual_seed(seed)
            X = torch.randn(n, d, device="cuda", generator=g, dtype=torch.float32)
            w = torch.randn(d, device="cuda", generator=g) / d ** 0.5
            y = X @ w + 0.1 * torch.randn(n, device="cuda", generator=g)
            return X, y, "torch"
    except ImportError:
        pass
    from numba import cuda

    rng = np.random.default_rng(seed)
    X = cuda.device_array((n, d), np.float32)
    w = rng.normal(size=d).astype(np.float32) / np.float32(np.sqrt(d))
    y = np.empty(n, np.float32)
    step = max(1, (256 << 20) // (4 * d))  # 256 MiB of rows at a time, made on the host
    for s in range(0, n, step):
        e = min(n, s + step)
        blk = rng.standard_normal((e - s, d), dtype=np.float32)
        y[s:e] = (blk * w).sum(axis=1)
        X[s:e].copy_to_device(blk)
    y = cuda.to_device(y)
    return X, y, "numpy, copied"


def host(a):
    return a.detach().cpu().numpy() if hasattr(a, "detach") else a.copy_to_host()


def rows_used(b, n, iters, min_rows):
    """Rows one timed call trains on: iters iterations, at least min_rows rows, at most n."""
    return min(n, max(b * iters, min_rows))


def time_it(fn, rounds):
    fn()  # warm-up (compiles)
    sync()
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        sync()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def check_correctness(smoke):
    """The CUDA backend against the CPU backend on the same data, both launch modes."""
    rng = np.random.default_rng(0)
    n, d = (10, 4) if smoke else (20_000, 256)
    X = rng.standard_normal((n, d)).astype(np.float64)
    y = X @ rng.normal(size=d) / np.sqrt(d)
    yc = np.where(y > 0, 1.0, -1.0)
    yk = np.digitize(y, np.quantile(y, [0.33, 0.66])).astype(float)
    results = []
    for launch in ("persistent", "phases"):
        os.environ["MBGD_FAST_CUDA_LAUNCH"] = launch
        for loss, yy, opt in (("squared", y, "sgd"), ("logistic", yc, "adam"), ("softmax", yk, "momentum")):
            for b in ((3, n) if smoke else (1, 64, 4096)):
                kw = dict(loss=loss, batch_size=b, epochs=1, lr=0.01, optimizer=opt, l2=1e-3, seed=1)
                if not smoke and b == 1:
                    kw["epochs"], Xs, ys = 1, X[:2000], yy[:2000]
                else:
                    Xs, ys = X, yy
                g = mf.train(Xs, ys, backend="cuda", **kw)
                c = mf.train(Xs, ys, backend="cpu", **kw)
                err = float(np.max(np.abs(np.asarray(g.coef) - np.asarray(c.coef))))
                scale = float(np.max(np.abs(c.coef))) or 1.0
                ok = err <= 1e-9 * max(1.0, scale)
                results.append(dict(launch=launch, loss=loss, optimizer=opt, b=b, max_abs_diff=err, ok=ok))
                log(f"  check {launch:10s} {loss:9s} {opt:8s} b={b:<5d} max|gpu-cpu| = {err:.3g} "
                    f"{'ok' if ok else 'MISMATCH'}")
    os.environ["MBGD_FAST_CUDA_LAUNCH"] = "persistent"
    return results


def bench_mbgd(X, y, b, m, launch, rounds):
    os.environ["MBGD_FAST_CUDA_LAUNCH"] = launch
    Xs, ys = X[:m], host(y[:m])
    lr = 0.25 / X.shape[1]
    res = {}

    def run():
        res["r"] = mf.train(Xs, ys, backend="cuda", batch_size=b, epochs=1, lr=lr * min(b, 64) ** 0.5)

    t = time_it(run, rounds)
    r = res["r"]
    return t, r.n_iter, f"loss {r.batch_loss[0]:.3g} -> {r.batch_loss[-1]:.3g}"


def bench_torch(X, y, b, m, fused, rounds):
    import torch

    Xs, ys = X[:m], y[:m]
    d = X.shape[1]
    order = torch.randperm(m, device=X.device)
    out = {}

    def run():
        model = torch.nn.Linear(d, 1, device=X.device)
        with torch.no_grad():
            model.weight.zero_()
            model.bias.zero_()
        opt = torch.optim.SGD(model.parameters(), lr=0.25 / d * min(b, 64) ** 0.5,
                              **({"fused": True} if fused else {"foreach": True}))
        first = None
        for s in range(0, m, b):
            idx = order[s : s + b]
            opt.zero_grad(set_to_none=True)
            loss = 0.5 * torch.mean((model(Xs[idx])[:, 0] - ys[idx]) ** 2)
            loss.backward()
            opt.step()
            if first is None:
                first = loss.detach()
        out["check"] = f"loss {float(first):.3g} -> {float(loss.detach()):.3g}"

    t = time_it(run, rounds)
    return t, -(-m // b), out["check"]


def copy_bandwidth(rounds, smoke):
    """Bytes moved per second (read + write) by a device-to-device copy of a large buffer."""
    nbytes = (1 << 20) if smoke else (4 << 30)
    try:
        import torch

        if torch.cuda.is_available():
            a = torch.empty(nbytes // 4, device="cuda", dtype=torch.float32)
            bb = torch.empty_like(a)
            t = time_it(lambda: bb.copy_(a), rounds)
            return 2 * nbytes / t, "torch copy_"
    except ImportError:
        pass
    from numba import cuda

    a = cuda.device_array(nbytes // 4, np.float32)
    bb = cuda.device_array_like(a)
    t = time_it(lambda: bb.copy_to_device(a), rounds)
    return 2 * nbytes / t, "numba copy_to_device"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (the simulator)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--iters", type=int, default=None,
                    help="iterations per timed call (default 2000; fewer where N runs out)")
    ap.add_argument("--min-rows", type=int, default=None,
                    help="rows per timed call, at least (default 20000)")
    ap.add_argument("--dims", default=None, help="comma-separated d (default 256,4096)")
    ap.add_argument("--systems", default=None,
                    help="comma-separated subset of mbgd-persistent,mbgd-phases,torch-foreach,torch-fused")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    smoke = args.smoke
    dims = (8,) if smoke else (256, 4096)
    if args.dims:
        dims = tuple(int(v) for v in args.dims.split(","))
    iters = args.iters or (2 if smoke else 2000)
    min_rows = args.min_rows or (8 if smoke else 20_000)
    bsz = (1, 8) if smoke else (1, 8, 64, 512, 4096, 32768)
    n = args.n or (64 if smoke else 1_000_000)
    report = {"device": None, "n": n, "dims": dims, "batch_sizes": bsz, "iters": iters,
              "min_rows": min_rows, "runs": [], "fits": {}}
    try:
        from numba import cuda

        report["device"] = "simulator" if os.environ.get("NUMBA_ENABLE_CUDASIM") else \
            cuda.get_current_device().name.decode() if isinstance(cuda.get_current_device().name, bytes) \
            else str(cuda.get_current_device().name)
    except Exception as exc:  # pragma: no cover
        log(f"no CUDA device: {exc}")
        return 1
    log(f"device: {report['device']}; mbgd_fast {BUILD}, from {mf.__file__}")
    log("correctness against the CPU backend:")
    report["correctness"] = check_correctness(smoke)
    bw, how = copy_bandwidth(args.rounds, smoke)
    report["copy_bytes_per_s"], report["copy_how"] = bw, how
    log(f"device-to-device copy: {bw / 1e9:.1f} GB/s moved (read + write, {how})")
    try:
        import torch

        have_torch = torch.cuda.is_available()
    except ImportError:
        have_torch = False
    systems = [("mbgd-persistent", "persistent"), ("mbgd-phases", "phases")]
    if have_torch:
        systems += [("torch-foreach", False), ("torch-fused", True)]
    if args.systems:
        keep = args.systems.split(",")
        systems = [sy for sy in systems if sy[0] in keep]
    for d in dims:
        X, y, gen = make_data(n, d)
        log(f"\nd = {d}: X {n} x {d} float32 made on the device ({gen})")
        for b in bsz:
            m = rows_used(b, n, iters, min_rows)
            for name, arg in systems:
                try:
                    if name.startswith("mbgd"):
                        t, n_it, check = bench_mbgd(X, y, b, m, arg, args.rounds)
                    else:
                        t, n_it, check = bench_torch(X, y, b, m, arg, args.rounds)
                except Exception as exc:
                    log(f"  {name} b={b}: FAILED {exc}")
                    traceback.print_exc()
                    continue
                run = dict(system=name, d=d, b=b, rows=m, iters=n_it, seconds=t,
                           sec_per_iter=t / n_it, samples_per_s=m / t,
                           x_bytes_per_s=m * d * 4 / t, check=check)
                report["runs"].append(run)
                log(f"  {name:16s} b={b:<6d} {m / t:11.4g} samples/s  {t / n_it * 1e6:9.2f} us/iter  "
                    f"{100 * m * d * 4 / t / bw:6.1f}% of copy  {check}")
        del X, y
    table(report)
    with open(os.path.join(args.out, "gpu-bench.json"), "w") as fh:
        json.dump(report, fh, indent=1)
    plot(report, os.path.join(args.out, "gpu-bench.png"))
    return 0


def table(report):
    runs = report["runs"]
    bw = report["copy_bytes_per_s"]
    log("\nfits T_iter(b) = tau_f + tau_d b, per system and d:")
    log(f"{'system':16s} {'d':>5s} {'tau_f (us)':>10s} {'tau_d (ns)':>10s} {'R2':>6s}  samples/s at b = "
        + " ".join(f"{b:>9d}" for b in report["batch_sizes"]))
    for d in report["dims"]:
        for sysname in dict.fromkeys(r["system"] for r in runs):
            rs = [r for r in runs if r["system"] == sysname and r["d"] == d]
            if len(rs) < 2:
                continue
            fit = costmodel.fit([r["b"] for r in rs], [r["sec_per_iter"] for r in rs])
            report["fits"][f"{sysname}/d={d}"] = dict(tau_f=fit.tau_f, tau_d=fit.tau_d, r2=fit.r2)
            by_b = {r["b"]: r["samples_per_s"] for r in rs}
            log(f"{sysname:16s} {d:>5d} {fit.tau_f * 1e6:>10.3f} {fit.tau_d * 1e9:>10.3f} {fit.r2:>6.3f}  "
                + " ".join(f"{by_b.get(b, float('nan')):>9.3g}" for b in report["batch_sizes"]))
    log("\nratios, mbgd-persistent over torch-fused (samples/s), and % of copy bandwidth:")
    for d in report["dims"]:
        for b in report["batch_sizes"]:
            m = [r for r in runs if r["system"] == "mbgd-persistent" and r["d"] == d and r["b"] == b]
            tch = [r for r in runs if r["system"] == "torch-fused" and r["d"] == d and r["b"] == b]
            if m:
                ratio = m[0]["samples_per_s"] / tch[0]["samples_per_s"] if tch else float("nan")
                log(f"  d={d:<5d} b={b:<6d} vs torch-fused {ratio:7.2f}x   "
                    f"{100 * m[0]['x_bytes_per_s'] / bw:5.1f}% of copy")


def plot(report, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed: no PNG")
        return
    dims = report["dims"]
    fig, axes = plt.subplots(2, len(dims), figsize=(6 * len(dims), 9), squeeze=False)
    for col, d in enumerate(dims):
        for sysname in dict.fromkeys(r["system"] for r in report["runs"]):
            rs = sorted((r for r in report["runs"] if r["system"] == sysname and r["d"] == d),
                        key=lambda r: r["b"])
            if not rs:
                continue
            b = np.array([r["b"] for r in rs], float)
            line = axes[0, col].loglog(b, [r["sec_per_iter"] for r in rs], "o", label=sysname)[0]
            fit = report["fits"].get(f"{sysname}/d={d}")
            if fit:
                bb = np.geomspace(b.min(), b.max(), 50)
                axes[0, col].loglog(bb, fit["tau_f"] + fit["tau_d"] * bb, "-", color=line.get_color())
                axes[1, col].loglog(bb, bb / (fit["tau_f"] + fit["tau_d"] * bb), "-", color=line.get_color())
            axes[1, col].loglog(b, [r["samples_per_s"] for r in rs], "o", color=line.get_color(), label=sysname)
        axes[0, col].set(title=f"d = {d}: seconds per iteration", xlabel="batch size b", ylabel="s / iteration")
        axes[1, col].set(title=f"d = {d}: samples per second", xlabel="batch size b", ylabel="samples / s")
        axes[0, col].legend(fontsize=8)
    fig.suptitle(f"mbgd_fast CUDA vs PyTorch on {report['device']} (lines: fitted tau_f + tau_d b)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    log(f"figure: {path}")


if __name__ == "__main__":
    sys.exit(main())
