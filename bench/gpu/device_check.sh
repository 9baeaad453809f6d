#!/bin/bash
# One call on a lent GPU machine (the `device` tool), from the repository root:
#   tests/test_cuda.py on the real GPU (the multi-block persistent path the simulator cannot
#   run), then bench/gpu/gpu_bench.py at full size.  Logs and results go to $OUT.
# The machine's image has numba and numba-cuda but no cffi, and its NumPy (2.5.2) has no
# np.row_stack, which numba-cuda 0.30.4 needs at its first compile: carry the wheels of cffi,
# pycparser (and numpy 2.4 where it fits; else see below) in .whl/ (see
# /work/.library/device/README.md) and, to skip the build, mbgd_fast/_mbgd.abi3.so.
set -u
OUT=${OUT:-bench/out/device}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
# No NumPy wheel along (since session 59 the tree and NumPy's wheel together pass the tool's
# 64 MiB) and a NumPy without np.row_stack: np.vstack under that name for this run alone, from
# a sitecustomize.py that every Python of the run imports (session 59's H200 run)
if python3 -c "import numpy; raise SystemExit(hasattr(numpy, 'row_stack'))"; then
    mkdir -p /tmp/site
    printf 'import numpy as _np\n_np.row_stack = _np.vstack\nprint("sitecustomize: np.row_stack = np.vstack", flush=True)\n' \
        > /tmp/site/sitecustomize.py
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD"  # subprocesses of the tests import mbgd_fast
{
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
    python3 -c "import sys, numpy, numba, numba_cuda; print(sys.version.split()[0], 'numpy', numpy.__version__, 'numba', numba.__version__, 'numba-cuda', numba_cuda.__version__)"
    nproc
} 2>&1 | tee "$OUT/machine.txt"
python3 -c "import mbgd_fast._mbgd" 2>/dev/null || {
    echo "building the C extension here"
    python3 -m pip install -q --no-build-isolation --no-deps -e . || exit 1
}
python3 -c "import mbgd_fast, mbgd_fast._native as n; print('extension ok:', mbgd_fast.__file__)"
t0=$(date +%s)
timeout "${TEST_LIMIT:-200}" python3 -m pytest tests/test_cuda.py -q -rs -p no:cacheprovider \
    2>&1 | tee "$OUT/test-cuda.log"
echo "tests: rc=${PIPESTATUS[0]} in $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
timeout "${BENCH_LIMIT:-330}" python3 bench/gpu/gpu_bench.py --out "$OUT" --rounds "${ROUNDS:-3}" ${BENCH_ARGS:-} \
    2>&1 | tee "$OUT/gpu-bench.log"
echo "bench: rc=${PIPESTATUS[0]} in $(( $(date +%s) - t0 )) s"
