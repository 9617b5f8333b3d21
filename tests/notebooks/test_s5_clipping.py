"""Page 5a's take-home notebook runs on a Python kernel and reproduces both runs' numbers."""

import pytest

from tests.notebooks.helpers import assert_reproduces, execute, page_notebook
from ui.demos import shipped

pytestmark = pytest.mark.xdist_group("notebooks")


def test_default_notebook_reproduces_the_page():
    _, spec = page_notebook("s5_clipping.py")
    nb = execute(spec)
    assert_reproduces(nb, shipped("clipping.compare")["result"], spec["recipe"].headline)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "clipping_rules(res)" in code
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "pip install" in md and "Try this (2)" in md
