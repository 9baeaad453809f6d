"""What a plain `pip install .` ships: setuptools installs only the packages pyproject.toml
names, so a subpackage left out there is missing from every non-editable install (the
editable one the tests run from still finds it in the source tree)."""
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_subpackage_is_named_in_pyproject():
    tomllib = pytest.importorskip("tomllib")
    with open(ROOT / "pyproject.toml", "rb") as f:
        named = set(tomllib.load(f)["tool"]["setuptools"]["packages"])
    found = {".".join(p.relative_to(ROOT).parent.parts) for p in (ROOT / "mbgd_fast").rglob("__init__.py")}
    assert "mbgd_fast.cuda" in found  # train()'s default backend="auto" imports it
    assert found <= named, f"packages missing from pyproject.toml's packages: {sorted(found - named)}"
