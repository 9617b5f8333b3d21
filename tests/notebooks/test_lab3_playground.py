"""Lab 3's take-home notebook runs on a Python kernel and reproduces the page's numbers."""

import pytest

from tests.notebooks.helpers import assert_reproduces, execute, page_notebook
from ui.demos import shipped

pytestmark = pytest.mark.xdist_group("notebooks")


def test_default_notebook_reproduces_the_page():
    _, spec = page_notebook("lab3_playground.py")
    nb = execute(spec)
    assert_reproduces(nb, shipped("playground.train_run")["result"], spec["recipe"].headline)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "pip install" in md and "Try this (2)" in md
