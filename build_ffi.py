"""cffi build script: compiles csrc/ into the out-of-line API-mode module mbgd_fast._mbgd.

The cdef is the block of csrc/mbgd.h between the MBGD_CDEF markers, never retyped.
OpenMP is used when the compiler accepts -fopenmp; otherwise the build is serial
and says so.  The build is portable: the kernels are compiled for several
instruction sets and picked at run time (csrc/isa_variants.h), so no
-march=native is needed; MBGD_FAST_NATIVE=1 adds it anyway.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join("csrc")


def _cdef_block():
    with open(os.path.join(HERE, "csrc", "mbgd.h"), encoding="utf-8") as fh:
        text = fh.read()
    begin, end = "/* MBGD_CDEF_BEGIN */", "/* MBGD_CDEF_END */"
    return text[text.index(begin) + len(begin) : text.index(end)]


def _compiler_accepts(flags):
    """True when the C compiler builds and links a small OpenMP program with `flags`."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return False
    src = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel reduction(+:n)\nn+=1;\nreturn n>0?0:1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.c")
        with open(path, "w") as fh:
            fh.write(src)
        cmd = cc.split() + flags + [path, "-o", os.path.join(tmp, "t")]
        try:
            return subprocess.run(cmd, capture_output=True).returncode == 0
        except OSError:
            return False


def _flags():
    compile_args = ["-O3", "-funroll-loops", "-std=c99", "-ffp-contract=fast", "-Wall", "-Wno-unknown-pragmas"]
    link_args = []
    if os.environ.get("MBGD_FAST_NATIVE", "0") == "1" and _compiler_accepts(["-march=native"]):
        compile_args.append("-march=native")
    if os.environ.get("MBGD_FAST_NO_OPENMP", "0") != "1" and _compiler_accepts(["-fopenmp"]):
        compile_args.append("-fopenmp")
        link_args.append("-fopenmp")
    else:
        compile_args.append("-fopenmp-simd") if _compiler_accepts(["-fopenmp-simd"]) else None
        sys.stderr.write("mbgd_fast: the C compiler has no OpenMP; building the kernels serial\n")
    compile_args += os.environ.get("MBGD_FAST_CFLAGS", "").split()
    link_args += os.environ.get("MBGD_FAST_LDFLAGS", "").split()
    return compile_args, link_args


ffibuilder = FFI()
ffibuilder.cdef(_cdef_block())
_compile_args, _link_args = _flags()
ffibuilder.set_source(
    "mbgd_fast._mbgd",
    '#include "mbgd.h"',
    sources=[os.path.join(CSRC, "mbgd.c")],
    include_dirs=[CSRC],
    depends=[os.path.join(CSRC, f)
             for f in ("mbgd.h", "kernel_impl.h", "isa_variants.h", "team.h", "mbgd_math.h")],
    extra_compile_args=_compile_args,
    extra_link_args=_link_args,
    libraries=["m"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
