"""Page 2's take-home notebook runs on a Python kernel and reproduces the page's blow-up."""

import pytest

from tests.notebooks.helpers import assert_reproduces, execute, page_notebook
from ui.demos import shipped

pytestmark = pytest.mark.xdist_group("notebooks")


def test_default_notebook_reproduces_the_page():
    _, spec = page_notebook("s2_exploding.py")
    nb = execute(spec)
    result = shipped("exploding.blowup")["result"]
    assert result["first_nonfinite"] is not None  # the page's headline: the step it blew up
    assert_reproduces(nb, result, spec["recipe"].headline)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "blowup_rules(res)" in code and "loss_frame(res, runs=" in code
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "pip install" in md and "Try this (2)" in md
