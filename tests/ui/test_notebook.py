"""ui.notebook: a recipe's generated code draws the same chart the page draws from the recipe,
for every recipe shape (one run, other runs first, frame options, dict frames, reference lines
named by the run). Executed in-process: fast; tests/notebooks/ runs whole notebooks."""

import json

import pytest

from core.experiments import clipping, gated, init_norm
from ui import annotations, frames, notebook, palette
from ui.charts import lines, special


def _spec(chart) -> dict:
    d = chart.to_dict()
    d.pop("datasets", None)  # data names are content hashes; the data is compared below
    return d


def _run_code(recipe: notebook.Recipe) -> dict:
    ns: dict = {}
    nb = notebook.build("t", "idea", recipe, tries=("a",))
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(cell.source, ns)  # noqa: S102 - the notebook's own cells
    return ns


RECIPES = {
    "before_and_dict_frame": notebook.Recipe(
        gated.compare_cells, dict(steps=20, seq_len=10), gated.moment_table,
        special.before_after,
        dict(order=[label for *_, label in gated.RUNS],
             colours=[palette.RUN_COLORS[r] for r, *_ in gated.RUNS], y_title="r"),
        before=(notebook.Run("fresh", gated.fresh_cells, dict(seq_len=10),
                             ("runs.lstm.ratio_init",)),),
        inputs=("fresh", "res"), dataframe=True, headline=("runs.lstm.ratio_final",)),
    "frame_args": notebook.Recipe(
        init_norm.init_profiles, dict(seq_len=10), init_norm.share_table,
        lines.lag_share, dict(order=["a", "b", "c", "d", "e", "f"],
                                     colours=["#000"] * 6),
        frame_args={"labels": dict(zip(init_norm.init_profiles(seq_len=10, hidden_size=64,
                                                               gain=1.0, seed=0)["order"],
                                       "abcdef"))},
        dataframe=True, headline=("runs.default.ratio_init",)),
    "chart_from": notebook.Recipe(
        clipping.compare, dict(steps=20), frames.compare_frame, lines.run_lines,
        dict(x="step", y="loss", series="run", order=["u", "c"], colors=["#000", "#111"]),
        frame_args={"names": ["u", "c"]}, chart_from=annotations.clipping_rules,
        headline=("clipped.final_loss",)),
}


@pytest.mark.parametrize("name", list(RECIPES))
def test_generated_code_draws_the_pages_chart(name):
    r = RECIPES[name]
    ns = _run_code(r)
    others = {v: ns[v] for v in r.inputs if v != "res"}
    table = r.table(ns["res"], **others)
    assert table.equals(ns["table"])
    assert json.dumps(_spec(r.chart(table, ns["res"])), sort_keys=True) == json.dumps(
        _spec(ns["chart"]), sort_keys=True)


def test_headline_lines_are_labelled_by_their_run(capsys):
    r = RECIPES["before_and_dict_frame"]
    ns = _run_code(r)
    out = capsys.readouterr().out
    assert f"fresh.runs.lstm.ratio_init: {ns['fresh']['runs']['lstm']['ratio_init']}" in out
    assert f"runs.lstm.ratio_final: {ns['res']['runs']['lstm']['ratio_final']}" in out
    assert notebook.lookup(ns["res"], "runs.lstm.ratio_final") == \
        ns["res"]["runs"]["lstm"]["ratio_final"]


def test_a_one_run_recipe_writes_what_it_wrote_before():
    """Section 1 and the labs use the first shape: its code is unchanged."""
    r = notebook.Recipe(init_norm.init_profiles, {}, init_norm.share_table,
                        lines.lag_share, dict(order=["x"], colours=["#000"]),
                        headline=("seq_len",))
    assert r.code() == ("from core.experiments.init_norm import share_table\n"
                        "from ui.charts.lines import lag_share\n\n"
                        "table = share_table(res)\n"
                        "chart = lag_share(\n    table,\n    order=['x'],\n"
                        "    colours=['#000'],\n)\nchart\n")
    assert notebook.call_code(r.fn, r.params, r.headline).endswith(
        'print("seq_len:", res["seq_len"])\n')
