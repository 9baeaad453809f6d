"""Build of the compiled core; the metadata lives in pyproject.toml."""
from setuptools import setup

setup(cffi_modules=["build_ffi.py:ffibuilder"])
