"""Page 4's take-home notebook runs on a Python kernel and reproduces the page's sweep."""

import pytest

from tests.notebooks.helpers import assert_reproduces, execute, page_notebook
from ui.demos import shipped

pytestmark = pytest.mark.xdist_group("notebooks")


def test_default_notebook_reproduces_the_page():
    _, spec = page_notebook("s4_effects.py")
    nb = execute(spec)
    result = shipped("effects.length_sweep")["result"]
    assert "learned" in spec["recipe"].headline  # the page's headline: which lengths learned
    assert_reproduces(nb, result, spec["recipe"].headline)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "pip install" in md and "Try this (2)" in md
