"""Page 6's take-home notebook runs on a Python kernel and reproduces each start's ratio."""

import pytest

from tests.notebooks.helpers import assert_reproduces, execute, page_notebook
from ui.demos import shipped

pytestmark = pytest.mark.xdist_group("notebooks")


def test_default_notebook_reproduces_the_page():
    _, spec = page_notebook("s6_init_norm.py")
    nb = execute(spec)
    assert_reproduces(nb, shipped("init_norm.init_profiles")["result"], spec["recipe"].headline)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "pip install" in md and "Try this (2)" in md
