"""Session 88: where train()'s Python goes in a call whose caches were emptied first (as the
bench's calls are), statement by statement.

It writes a copy of mbgd_fast/core.py as mbgd_fast/_core_stamped.py (removed at the end) whose
train() appends a perf_counter stamp after each of its top-level statements, then makes 21
one-epoch train() calls (N = 200,000, d = 16, b = 4096, 2 threads), each after evict_caches,
and prints each statement's median time (those over 2 us), the kernel's calls being in
``try:``.  With ``warm``, the calls are 3 ms apart without emptying the caches.

    python docs/train-stamps-session88.py [warm]
"""
import ast
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "bench"))
sys.path.insert(0, HERE)
from test_bench_train import evict_caches  # noqa: E402

STAMPED = os.path.join(HERE, "mbgd_fast", "_core_stamped.py")


def write_stamped():
    tree = ast.parse(open(os.path.join(HERE, "mbgd_fast", "core.py")).read())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "train":
            body = []
            for st in node.body:
                body.append(st)
                if isinstance(st, ast.Return) or (isinstance(st, ast.Expr)
                                                  and isinstance(st.value, ast.Constant)):
                    continue  # the docstring; no stamp after a return
                label = f"L{st.lineno}: " + ast.unparse(st).split("\n")[0][:60]
                body.append(ast.parse(f"_ST.append((_pc(), {label!r}))").body[0])
            node.body = body
    # after the docstring and `from __future__ import annotations`
    tree.body[2:2] = ast.parse("from time import perf_counter as _pc\n_ST = []").body
    with open(STAMPED, "w") as fh:
        fh.write(ast.unparse(tree))


def main():
    cold = "warm" not in sys.argv[1:]
    write_stamped()
    try:
        from mbgd_fast import _core_stamped as cs

        rng = np.random.default_rng(0)
        X = rng.standard_normal((200_000, 16)).astype(np.float32)
        y = rng.standard_normal(200_000).astype(np.float32)
        cs.train(X, y, batch_size=4096, epochs=1, lr=1e-4, n_threads=2, seed=0)
        acc = {}
        for r in range(21):
            if cold:
                evict_caches()
            else:
                time.sleep(0.003)
            cs._ST.clear()
            t = cs._pc()
            cs.train(X, y, batch_size=4096, epochs=1, lr=1e-4, n_threads=2, seed=r + 1)
            prev = t
            for tt, name in cs._ST + [(cs._pc(), "return result(done)")]:
                acc.setdefault(name, []).append(tt - prev)
                prev = tt
    finally:
        os.remove(STAMPED)
    print(f"train(), N = 200,000, d = 16, b = 4096, 2 threads, {'cold' if cold else 'warm'}: "
          "medians of 21 calls, statements over 2 us")
    total = 0.0
    for k, v in acc.items():
        m = float(np.median(v)) * 1e6
        total += m
        if m > 2:
            print(f"{m:9.1f} us  {k}")
    kernel = float(np.median([v for k, vs in acc.items() if k.endswith(": try:") for v in vs])) * 1e6
    print(f"the medians' sum {total:.1f} us, of which outside the kernel's calls ('try:') {total - kernel:.1f} us")


if __name__ == "__main__":
    main()
