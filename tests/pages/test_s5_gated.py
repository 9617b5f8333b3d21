import math

from tests.conftest import commit, no_exception, open_page, run_snippet, snippet_source
from tests.pages.charts import spec_rows, specs_with, vega_specs
from ui.demos import shipped

FILE = "s5_gated.py"
SHIPPED = shipped("gated.compare_cells")["result"]
FRESH = shipped("gated.fresh_cells")["result"]
RIGHT = "Almost nothing, as in a tanh RNN: under a millionth"
CELLS = {"tanh RNN", "LSTM", "GRU", "LSTM, forget bias 1"}


def moments(at) -> list[dict]:
    (chart,) = specs_with(at, "label", "moment", "ratio")
    return [r for r in spec_rows(chart) if "moment" in r]


def text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def shown(at) -> bool:
    return len(specs_with(at, "label", "moment", "ratio")) == 1 and len(moments(at)) == 8


def held_back(at):
    """Before the commit (test_flow): nothing deeper either; the reason is the answer."""
    assert not specs_with(at, "label", "moment", "ratio")
    assert not any(m.label.endswith("trained") for m in at.metric)
    assert "Checked in this run" not in text(at)
    assert len(vega_specs(at)) == 1
    assert "keeps it closed" not in text(at)
    assert "run_s5b" not in [b.key for b in at.button]  # no training before the commit


def committed(at):
    assert [m.label for m in at.metric][:3] == ["tanh RNN, trained", "LSTM, trained",
                                                "GRU, trained"]
    assert any("precomputed" in i.value for i in at.info)


def test_the_main_chart_shows_each_cell_before_and_after_training():
    at = commit(open_page(FILE), "s5b", RIGHT)
    rows = moments(at)
    assert {r["label"] for r in rows} == CELLS and len(rows) == 8
    for rid, run in SHIPPED["runs"].items():
        got = {r["moment"]: r["ratio"] for r in rows if r["label"] == run["label"]}
        # the fresh cells' probe is the training run's first probe
        assert math.isclose(got["at initialisation"], run["ratio_init"], rel_tol=1e-5)
        assert math.isclose(FRESH["runs"][rid]["ratio_init"], run["ratio_init"], rel_tol=1e-5)
        assert math.isclose(got["after training"], run["ratio_final"], rel_tol=1e-6)
    heat = specs_with(at, "cell", "lag", "training step")[0]
    T, n_probes = SHIPPED["seq_len"], len(SHIPPED["runs"]["rnn"]["probe_steps"])
    assert len([r for r in spec_rows(heat) if "lag" in r]) == 4 * n_probes * T
    assert '"sort": "descending"' in str(heat).replace("'", '"')  # lag 0 at the bottom
    gates = specs_with(at, "gate", "unit (sorted)", "moment")[0]
    assert len([r for r in spec_rows(gates) if "gate" in r]) == 2 * T * 32
    assert specs_with(at, "smoothed loss", "cell")  # the convergence curves


def colour_ranges(spec) -> list[list]:
    """Every colour scale's range in a chart spec."""
    out = []
    if isinstance(spec, dict):
        enc = spec.get("color")
        if isinstance(enc, dict) and isinstance(enc.get("scale", {}).get("range"), list):
            out.append(enc["scale"]["range"])
        for v in spec.values():
            out += colour_ranges(v)
    elif isinstance(spec, list):
        for v in spec:
            out += colour_ranges(v)
    return out


def test_cells_have_their_colours_on_every_chart():
    from ui.palette import CELL_COLORS

    cells = [CELL_COLORS[c] for c in ("rnn", "lstm", "gru")]
    at = commit(open_page(FILE), "s5b", RIGHT)
    for chart in (specs_with(at, "label", "moment")[0], specs_with(at, "smoothed loss")[0]):
        assert any(r[:3] == cells for r in colour_ranges(chart))


def test_the_shipped_run_shows_every_claim_checked():
    """Each claim of core.experiments.gated is drawn beside its chart, and holds."""
    from core.claims import claims_for
    from core.experiments import gated

    at = commit(open_page(FILE), "s5b", RIGHT)
    md = text(at)
    for fn in (gated.fresh_cells, gated.compare_cells):
        for c in claims_for(fn.key):
            assert f"**Checked in this run:** {c.text}" in md, c.name
    assert "Not in this run" not in md
    # the forget bias's effect is computed from the run, not typed in
    lstm, fb1 = FRESH["runs"]["lstm"]["ratio_init"], FRESH["runs"]["lstm_fb1"]["ratio_init"]
    assert f"{fb1:.0e} instead of {lstm:.0e}" in md


def test_gate_view_switches_to_the_gru_update_gate():
    at = commit(open_page(FILE), "s5b", RIGHT)
    at.radio(key="gview").set_value("gru").run()
    no_exception(at)
    gates = specs_with(at, "gate", "unit (sorted)")[0]
    assert "gate z" in str(gates)
    lines = specs_with(at, "gate value", "series")[0]
    assert {r["series"] for r in spec_rows(lines) if "series" in r} >= {"z, mean over units",
                                                                          "r, mean over units"}


def test_new_settings_show_the_fresh_cells_at_once_and_train_with_the_run_button():
    from core.experiments import gated

    at = open_page(FILE, {"T": "20", "steps": "100", "H": "16"})
    no_exception(at)
    fresh = gated.fresh_cells(seq_len=20, hidden_size=16, seed=0)
    lstm = fresh["runs"]["lstm"]["ratio_init"]
    right = ("Almost nothing, as in a tanh RNN: under a millionth" if lstm < 1e-6 else
             "Some: between a millionth and a tenth" if lstm < 0.1 else
             "Nearly all of it: the cell state is a highway")
    commit(at, "s5b", right)
    assert any(s.value.startswith("**Right") for s in at.success)
    rows = moments(at)  # the untrained cells need no training: drawn at once
    assert {r["moment"] for r in rows} == {"at initialisation"} and len(rows) == 4
    assert not specs_with(at, "cell", "lag", "training step")  # nothing trained until Run
    at.button(key="run_s5b").click().run()
    no_exception(at)
    heat = specs_with(at, "cell", "lag", "training step")[0]
    assert {r["lag"] for r in spec_rows(heat) if "lag" in r} == set(range(20))
    assert any("Trained live" in s.value for s in at.success)
    assert len(moments(at)) == 8


def test_links_restore_controls_refuse_over_the_cap_and_warn_on_bad_values():
    at = open_page(FILE, {"preset": "short"})
    no_exception(at)
    assert at.slider(key="T").value == 30 and at.slider(key="steps").value == 300
    assert at.selectbox(key="preset").value == "short"
    at = open_page(FILE)
    assert at.selectbox(key="preset").value == "lesson"  # the defaults are this preset
    big = open_page(FILE, {"T": "100", "H": "128", "steps": "1500", "lrg": "abc"})
    no_exception(big)
    assert big.slider(key="T").value == 100 and big.slider(key="steps").value == 1500
    assert any("Learning rate, LSTM and GRU" in w.value for w in big.warning)
    commit(big, "s5b", RIGHT)
    no_exception(big)
    assert any("cap" in w.value for w in big.warning)
    assert big.button(key="run_s5b").disabled


def test_the_snippet_runs_and_gives_the_page_result():
    from core.experiments import gated

    at = open_page(FILE, {"T": "20", "steps": "100", "H": "16"})
    src = snippet_source(at, "compare_cells")
    assert "seq_len=20" in src and "hidden_size=16" in src and "steps=100" in src
    ns = run_snippet(src, quiet=False)
    fresh = gated.fresh_cells(seq_len=20, hidden_size=16, seed=0)
    for rid, run in ns["res"]["runs"].items():
        assert math.isclose(run["ratio_init"], fresh["runs"][rid]["ratio_init"], rel_tol=1e-9)
