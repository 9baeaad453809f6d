"""The examples in the docstrings run."""
import doctest

import pytest

import mbgd_fast.core
import mbgd_fast.costmodel
import mbgd_fast.theory


@pytest.mark.parametrize("module", [mbgd_fast.core, mbgd_fast.costmodel, mbgd_fast.theory])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
