"""Every example script runs (small sizes) and writes its PNG."""
import importlib.util
import os

import pytest

pytest.importorskip("matplotlib")
EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")
NAMES = ["loss_paths", "variance_law", "batch_size_tradeoff", "stationary_variance",
         "double_well_escape"]


@pytest.mark.parametrize("name", NAMES)
def test_example_writes_its_figure(name, tmp_path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main(out=str(tmp_path / f"{name}.png"), quick=True)
    assert os.path.getsize(out) > 10_000
