"""Markdown tables from the H200 runs' logs (run1 timed out before its JSON was written, so
all of them are read from gpu-bench.log): us per iteration per system, d and b, and the ratios
between runs and against torch-fused in the same run.

    python docs/gpu-h200/tables.py > docs/gpu-h200/tables.md
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = {"run1": "run 1 (7d5eb9a's kernels)", "run2": "run 2 (kept kernels)",
        "run3-four-sums": "run 3 (four running sums, not kept)",
        "session59": "session 59 (6c4947d: run 2's kernels)"}
LINE = re.compile(r"^\s+(\S+)\s+b=(\d+)\s+(\S+) samples/s\s+(\S+) us/iter")


def read(run):
    out, d = {}, None
    with open(os.path.join(HERE, run, "gpu-bench.log")) as fh:
        for line in fh:
            m = re.match(r"^d = (\d+):", line)
            if m:
                d = int(m.group(1))
            m = LINE.match(line)
            if m and d:
                out[(m.group(1), d, int(m.group(2)))] = (float(m.group(3)), float(m.group(4)))
    return out


def main():
    runs = {r: read(r) for r in RUNS}
    bs = sorted({k[2] for r in runs.values() for k in r})
    for d in (256, 4096):
        print(f"\n### d = {d}: microseconds per iteration (median of 3 calls; each call a whole `train()`)\n")
        print("| run | system | " + " | ".join(f"b = {b}" for b in bs) + " |")
        print("|---|---|" + "---|" * len(bs))
        for r, label in RUNS.items():
            for sysname in ("mbgd-persistent", "mbgd-phases", "torch-foreach", "torch-fused"):
                row = [runs[r].get((sysname, d, b)) for b in bs]
                if any(row):
                    print(f"| {label} | {sysname} | "
                          + " | ".join(f"{v[1]:.1f}" if v else "-" for v in row) + " |")
        print(f"\nmbgd-persistent, samples/s over torch-fused's in the same run (d = {d}):\n")
        print("| run | " + " | ".join(f"b = {b}" for b in bs) + " |")
        print("|---|" + "---|" * len(bs))
        for r, label in RUNS.items():
            cells = []
            for b in bs:
                m, t = runs[r].get(("mbgd-persistent", d, b)), runs[r].get(("torch-fused", d, b))
                cells.append(f"{m[0] / t[0]:.2f}x" if m and t else "-")
            print(f"| {label} | " + " | ".join(cells) + " |")
        print(f"\nmbgd-persistent, run 1's us/iter over run 2's (d = {d}; b >= 4096 only: there both "
              "runs trained the same rows and iterations per call):\n")
        cells = []
        for b in bs:
            a, k = runs["run1"].get(("mbgd-persistent", d, b)), runs["run2"].get(("mbgd-persistent", d, b))
            cells.append(f"b = {b}: {a[1] / k[1]:.2f}x" if a and k and b >= 4096 else None)
        print("; ".join(c for c in cells if c) or "(run 1 has no such point)")
        print(f"\nrun 3 (four running sums) over run 2, us/iter of run 2 over run 3's (d = {d}, "
              "> 1: run 3 faster):\n")
        cells = []
        for sysname in ("mbgd-persistent", "mbgd-phases"):
            for b in bs:
                a, k = runs["run2"].get((sysname, d, b)), runs["run3-four-sums"].get((sysname, d, b))
                if a and k:
                    cells.append(f"{sysname} b = {b}: {a[1] / k[1]:.2f}x")
        print("; ".join(cells))


if __name__ == "__main__":
    main()
