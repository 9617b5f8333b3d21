"""Page 5b's take-home notebook runs on a Python kernel and reproduces the fresh and the
trained cells' ratios (two experiment calls, one chart)."""

import pytest

from tests.notebooks.helpers import assert_reproduces, execute, page_notebook
from ui.demos import shipped

pytestmark = pytest.mark.xdist_group("notebooks")


def test_default_notebook_reproduces_the_page():
    _, spec = page_notebook("s5_gated.py")
    nb = execute(spec)
    recipe = spec["recipe"]
    assert_reproduces(nb, shipped("gated.compare_cells")["result"], recipe.headline)
    fresh = recipe.before[0]
    assert_reproduces(nb, shipped("gated.fresh_cells")["result"], fresh.headline, prefix="fresh.")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "fresh = gated.fresh_cells(" in code and "moment_table(fresh, res)" in code
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "pip install" in md and "Try this (2)" in md
