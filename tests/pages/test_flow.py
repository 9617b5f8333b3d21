"""What every page with a prediction does, checked once per page from one table: the main
result is held back until the learner commits, a right pick is told so and a wrong one is
told the answer, instructor mode reveals without a pick, the generated snippet reproduces the
page's number, and the page builds its take-home notebook.

Each page's own module (tests/pages/test_<page>.py) says what its main result looks like
(``shown``) and adds what only that page checks at each step (``held_back``, ``committed``,
``revealed``, ``snippet_reproduces``)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import pytest

from tests.conftest import commit, no_exception, open_page, run_snippet, snippet_source
from tests.pages import (
    test_lab1_clipping,
    test_lab2_compare,
    test_lab3_playground,
    test_s1_vanishing,
    test_s2_exploding,
    test_s3_why,
    test_s4_effects,
    test_s5_clipping,
    test_s5_gated,
    test_s6_init_norm,
)
from tests.pages.charts import vega_specs
from ui import labs
from ui.nav import by_file


@dataclass(frozen=True)
class Flow:
    page: ModuleType  # the page's test module: FILE, shown(at) and the optional hooks
    key: str  # the prediction's key (layout.prediction)
    right: str
    wrong: str
    snippet: str | None = None  # marks the snippet checked here (None: the page checks its own)
    locked_caption: bool = True  # a "Commit your prediction above to see ..." caption

    @property
    def file(self) -> str:
        return self.page.FILE

    def hook(self, name: str, at) -> None:
        if hasattr(self.page, name):
            getattr(self.page, name)(at)


FLOWS = [
    Flow(test_s1_vanishing, "s1", test_s1_vanishing.RIGHT, "About the same (within 10x)",
         snippet="gradient_profile"),
    Flow(test_s2_exploding, "s2", test_s2_exploding.RIGHT, "The loss falls, as usual",
         snippet="blowup"),
    Flow(test_s3_why, "s3", test_s3_why.RIGHT, "It grows by orders of magnitude"),
    Flow(test_s4_effects, "s4", test_s4_effects.RIGHT, "All of them: it reads every input",
         locked_caption=False),
    Flow(test_s5_clipping, "s5", test_s5_clipping.RIGHT, "It still blows up, only later",
         snippet="compare"),
    Flow(test_s5_gated, "s5b", test_s5_gated.RIGHT,
         "Nearly all of it: the cell state is a highway"),
    Flow(test_s6_init_norm, "s6_init", test_s6_init_norm.RIGHT, "Orthogonal (tanh RNN)"),
    Flow(test_lab1_clipping, "lab1", test_lab1_clipping.RIGHT,
         labs.CLIP_OPTIONS[0], snippet="lab_clipping", locked_caption=False),
    Flow(test_lab2_compare, "lab2_tasks", test_lab2_compare.RIGHT, "It blows up to NaN",
         snippet="compare.tasks(", locked_caption=False),
    Flow(test_lab3_playground, "lab3", test_lab3_playground.LEARNS, test_lab3_playground.CHANCE,
         snippet="playground", locked_caption=False),
]


def _ids(flows: list[Flow]) -> list[str]:
    return [f.file.removesuffix(".py") for f in flows]


every_page = pytest.mark.parametrize("flow", FLOWS, ids=_ids(FLOWS))


@every_page
def test_the_main_result_is_held_back_until_the_learner_commits(flow: Flow):
    at = open_page(flow.file)
    no_exception(at)
    assert "Commit a prediction" in str(vega_specs(at)[0])  # empty axes come first
    assert not flow.page.shown(at)
    assert at.button(key=f"commit_{flow.key}").disabled  # nothing picked yet
    if flow.locked_caption:
        assert any("Commit your prediction above to see" in c.value for c in at.caption)
    assert at.session_state[f"_notebook_{by_file(flow.file).url}"]  # the take-home notebook
    flow.hook("held_back", at)
    commit(at, flow.key, flow.right)
    no_exception(at)
    assert any(s.value.startswith(f"**Right: {flow.right}.**") for s in at.success)
    assert at.radio(key=f"predict_{flow.key}").disabled  # the committed answer stays
    assert flow.page.shown(at)
    flow.hook("committed", at)


@every_page
def test_a_wrong_prediction_is_told_the_answer(flow: Flow):
    at = commit(open_page(flow.file), flow.key, flow.wrong)
    no_exception(at)
    assert any(f"Not this time. The run shows: {flow.right}." in w.value for w in at.warning)
    assert flow.page.shown(at)


@every_page
def test_instructor_reveal_needs_no_answer(flow: Flow):
    at = open_page(flow.file)
    at.toggle(key="instructor").set_value(True).run()
    no_exception(at)
    assert "Reveal" in at.button(key=f"commit_{flow.key}").label
    commit(at, flow.key)
    no_exception(at)
    assert any(f"Answer: {flow.right}." in i.value for i in at.info)
    assert flow.page.shown(at)
    flow.hook("revealed", at)


SNIPPETS = [f for f in FLOWS if f.snippet]


@pytest.mark.parametrize("flow", SNIPPETS, ids=_ids(SNIPPETS))
def test_the_snippet_runs_and_gives_the_page_result(flow: Flow):
    at = open_page(flow.file)
    ns = run_snippet(snippet_source(at, flow.snippet))
    flow.page.snippet_reproduces(at, ns["res"])


@every_page
def test_the_page_module_gives_the_hooks_its_row_needs(flow: Flow):
    """A page checked here says what its main result is; its snippet check exists exactly when
    its row names a snippet (a misnamed hook would otherwise be skipped quietly)."""
    assert callable(getattr(flow.page, "shown", None))
    assert hasattr(flow.page, "snippet_reproduces") == bool(flow.snippet)
