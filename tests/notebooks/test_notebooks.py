"""Every page's take-home notebook runs on a Python kernel and reproduces the page's numbers:
one table, page -> the shipped run it quotes, the calls its code makes, and what only that
page's notebook adds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.notebooks.helpers import _value, assert_reproduces, execute, page_notebook
from ui import cheatsheet, notebook, quiz
from ui.demos import shipped

pytestmark = pytest.mark.xdist_group("notebooks")


def _blows_up(nb, spec, result):
    assert result["first_nonfinite"] is not None  # the page's headline: the step it blew up


def _names_what_learned(nb, spec, result):
    assert "learned" in spec["recipe"].headline  # the page's headline: which lengths learned


def _fresh_cells_too(nb, spec, result):
    """Section 5b makes two experiment calls: the fresh cells' ratios are printed too."""
    fresh = spec["recipe"].before[0]
    assert_reproduces(nb, shipped("gated.fresh_cells")["result"], fresh.headline, prefix="fresh.")


def _the_cheat_sheet_quotes_it(nb, spec, result):
    """Section 7 reruns the run its cheat sheet quotes (5b's cells before and after training):
    the default run, and every figure of the sheet's line is the notebook's."""
    assert spec["recipe"].params == {} and quiz.shipped("gated.compare_cells") is not None
    line = next(n for n in cheatsheet.NUMBERS if n.startswith("Gates help once trained"))
    printed = notebook.headline_values(nb)
    for k in ("runs.rnn.ratio_init", "runs.lstm.ratio_init", "runs.gru.ratio_init",
              "runs.lstm.ratio_final", "runs.gru.ratio_final"):
        assert quiz.figure(_value(printed[k])) in line, (k, line)


@dataclass(frozen=True)
class Case:
    file: str
    demo: str  # the shipped run the page shows
    code: tuple[str, ...] = ()  # what the notebook's code cells must call
    extra: Callable | None = None  # (nb, spec, shipped result): what only this page adds


CASES = [
    Case("s1_vanishing.py", "vanishing.gradient_profile"),
    Case("s2_exploding.py", "exploding.blowup", ("blowup_rules(res)", "loss_frame(res, runs="),
         _blows_up),
    Case("s3_why.py", "why.matrix_case"),
    Case("s4_effects.py", "effects.length_sweep", extra=_names_what_learned),
    Case("s5_clipping.py", "clipping.compare", ("clipping_rules(res)",)),
    Case("s5_gated.py", "gated.compare_cells",
         ("fresh = gated.fresh_cells(", "moment_table(fresh, res)"), _fresh_cells_too),
    Case("s6_init_norm.py", "init_norm.init_profiles"),
    Case("s7_conclusion.py", "gated.compare_cells", extra=_the_cheat_sheet_quotes_it),
    Case("lab1_clipping.py", "lab_clipping.compare"),
    Case("lab2_compare.py", "compare.tasks"),
    Case("lab3_playground.py", "playground.train_run"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.file.removesuffix(".py") for c in CASES])
def test_the_default_notebook_reproduces_the_page(case: Case):
    _, spec = page_notebook(case.file)
    nb = execute(spec)
    result = shipped(case.demo)["result"]
    if case.extra:
        case.extra(nb, spec, result)
    assert_reproduces(nb, result, spec["recipe"].headline)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert all(call in code for call in case.code), case.code
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "pip install" in md and "Try this (2)" in md
