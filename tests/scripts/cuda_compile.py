"""Compile every CUDA kernel of mbgd_fast/cuda/kernels.py to PTX for sm_90 (H100/H200),
float32 and float64, with Numba's real CUDA compiler (typing + NVVM), without a GPU.

Run with NUMBA_ENABLE_CUDASIM=0.  Exit 0: all compiled; 1: a kernel failed to compile;
3: the CUDA toolchain (libnvvm, NVRTC) is not available here.
"""
import sys
import types as pytypes

import numba.cuda.dispatcher as dispatcher

# device functions ask the current device for its compute capability: answer sm_90
dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=(9, 0))

from numba import cuda  # noqa: E402
from numba import types as T  # noqa: E402

from mbgd_fast.cuda import kernels as k  # noqa: E402

TOOLCHAIN = ("DynamicLibNotFoundError", "CudaSupportError", "NvvmSupportError", "NvrtcSupportError",
             "NvvmError")


def signatures(FT):
    X, V, I = T.Array(FT, 2, "C"), T.Array(FT, 1, "C"), T.Array(T.int64, 1, "C")
    D, D2, n = T.Array(T.float64, 1, "C"), T.Array(T.float64, 2, "C"), T.int64
    return {
        "train_persistent": (X, V, V, I, I, D, D, D, D, V, V, V, V, D, I, D, D2, D, D2, D, D, n, n),
        "phase_a": (X, V, V, I, I, n, V, D, I, D, D),
        "phase_b1": (X, I, I, n, I, D, D, D2),
        "phase_b": (X, I, I, n, D, D, D, D, V, V, V, V, D, I, D, D, D2, D2),
        "finalize": (I, n, D, I, D, D2, D2, n, D, D),
        "rows_pass": (X, V, V, I, n, V, D, I, D, D, D),
        "grad_partials": (X, I, n, n, I, D, D2),
    }


def main():
    if k.SIM:
        print("run with NUMBA_ENABLE_CUDASIM=0")
        return 1
    failed = 0
    for FT in (T.float32, T.float64):
        for name, sig in signatures(FT).items():
            try:
                ptx, _ = cuda.compile_ptx(getattr(k, name).py_func, sig, cc=(9, 0))
            except Exception as exc:
                if type(exc).__name__ in TOOLCHAIN:
                    print(f"no CUDA toolchain here: {type(exc).__name__}: {str(exc)[:300]}")
                    return 3
                print(f"{FT} {name}: FAILED {type(exc).__name__}: {exc}")
                failed += 1
                continue
            if "shfl.sync" not in ptx and name in ("train_persistent", "phase_a", "rows_pass"):
                print(f"{FT} {name}: no warp shuffle in the PTX")
                failed += 1
            print(f"{FT} {name}: ok, {len(ptx)} bytes of PTX")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
