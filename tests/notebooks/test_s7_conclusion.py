"""Page 7's take-home notebook reruns the run the cheat sheet quotes (section 5b's cells before
and after training) and reproduces every figure of its comparison."""

import pytest

from tests.notebooks.helpers import _value, assert_reproduces, execute, page_notebook
from ui import cheatsheet, notebook, quiz

pytestmark = pytest.mark.xdist_group("notebooks")


def test_default_notebook_reproduces_the_quoted_comparison():
    _, spec = page_notebook("s7_conclusion.py")
    nb = execute(spec)
    recipe = spec["recipe"]
    demo = quiz.shipped("gated.compare_cells")
    assert recipe.params == {} and demo is not None  # the page quotes the default run
    assert_reproduces(nb, demo["result"], recipe.headline)
    line = next(n for n in cheatsheet.NUMBERS if n.startswith("Gates help once trained"))
    printed = notebook.headline_values(nb)
    for k in ("runs.rnn.ratio_init", "runs.lstm.ratio_init", "runs.gru.ratio_init",
              "runs.lstm.ratio_final", "runs.gru.ratio_final"):
        assert quiz.figure(_value(printed[k])) in line, (k, line)  # the sheet's figures
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "pip install" in md and "Try this (2)" in md
