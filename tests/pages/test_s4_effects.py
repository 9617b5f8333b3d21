import math

import pytest

from core.experiments import effects as exp
from tests.conftest import code_blocks, commit, no_exception, open_page, run_snippet, snippet_source
from tests.pages.charts import spec_rows, vega_specs
from ui.demos import shipped

FILE = "s4_effects.py"
RIGHT = "Only the short ones: then it stays at chance"
RAW, FROZEN, CLIPPED = "no clipping", "W_hh frozen", "clipped at 1"


def _charts(at) -> dict:
    """The page's charts by what they draw (the held-back placeholder is not one of them)."""
    by = {}
    for s in vega_specs(at):
        rows = spec_rows(s)
        keys = set().union(*(r.keys() for r in rows)) if rows else set()
        whats = {str(r.get("what")) for r in rows}
        if "score" in keys:
            by["score"] = s
        elif "ratio" in keys:
            by["curves"] = s
        elif RAW in whats:
            by["explode"] = s
        elif any(w.startswith("training loss") for w in whats):
            by["budget"] = s
    return by


def _text(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.warning, *at.info,
                                      *at.success])


def _rows(spec: dict, what: str) -> list[dict]:
    return [r for r in spec_rows(spec) if r.get("what") == what]


def shown(at) -> bool:
    return "score" in _charts(at)


def held_back(at):
    """Before the commit (test_flow): the exploding run does not give the answer away."""
    assert set(_charts(at)) == {"explode"}
    assert "longest T learned" not in [m.label for m in at.metric]
    assert "within this step budget" not in _text(at)
    assert not any(b.key == "run_s4_sweep" for b in at.button)  # no Run before the commit


def committed(at):
    assert any(s.value.startswith("**Right") and "T = 30: not learned" in s.value
               for s in at.success)
    assert "longest T learned" in [m.label for m in at.metric]
    assert {"score", "curves", "budget", "explode"} <= set(_charts(at))


def test_after_commit_the_sweep_is_the_shipped_run():
    at = commit(open_page(FILE), "s4", RIGHT)
    by = _charts(at)
    r = shipped("effects.length_sweep")["result"]
    rows = {x["T"]: x for x in spec_rows(by["score"]) if x.get("score") is not None
            and x.get("verdict")}
    assert sorted(rows) == [10, 20, 30, 45, 60]
    for T, acc, ok in zip(r["lengths"], r["final_accuracy"], r["learned"]):
        assert rows[T]["score"] == pytest.approx(acc)
        assert rows[T]["verdict"] == ("learned" if ok else "not learned")
    # the lesson: short lengths learned, long ones at the blind guess (25%)
    assert rows[10]["score"] > 0.9 and abs(rows[60]["score"] - 0.25) < 0.1
    chance = _rows(by["score"], "blind guess")
    assert chance and all(x["score"] == 0.25 for x in chance)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["longest T learned"] == "20" and metrics["blind guess"] == "25%"
    # every length's curve, as a fraction of its own blind-guess loss
    curves = [x for x in spec_rows(by["curves"]) if "ratio" in x]
    assert {x["T"] for x in curves} == {10, 20, 30, 45, 60}
    assert all(x["chance"] == pytest.approx(math.log(4)) for x in curves)
    assert all(x["ratio"] == pytest.approx(x["loss"] / x["chance"]) for x in curves)
    # the step-budget control: T = 30 (the shortest length not learned), 5x the steps
    b = shipped("effects.longer_budget")["result"]
    assert b["T"] == 30 and b["budget"] == r["steps"] and b["steps"] == 5 * b["budget"]
    assert b["loss_at_budget"] == pytest.approx(r["final_loss"][2])  # the sweep's own run
    assert {x["what"] for x in spec_rows(by["budget"]) if "what" in x} >= {
        "training loss, T = 30", "budget: 300 steps", "blind guess"}
    text = _text(at)
    assert "given more steps, the same network learned it" in text


def test_claims_are_checked_beside_the_charts():
    at = commit(open_page(FILE), "s4", RIGHT)
    text = _text(at)
    assert text.count("Checked in this run") >= 10 and "Not in this run" not in text
    assert "learned the shortest length" in text and "blind-guess level at the longest" in text
    assert "W_hh are thrown out first" in text and "the readout overshoots further" in text
    assert "two phases" in text and "with W_hh frozen, the same start" in text
    assert "The control blew up too" not in text


def test_exploding_run_flags_nan_and_its_view_switches():
    at = open_page(FILE)
    spec = _charts(at)["explode"]
    raw = _rows(spec, RAW)
    assert len(raw) == exp.exploding_run.defaults["steps"]
    assert any(x.get("flag") == "non-finite (NaN/inf)" for x in raw)  # marked, never dropped
    for run in (FROZEN, CLIPPED):  # the control and the clipped run stay finite
        rows = _rows(spec, run)
        assert len(rows) == len(raw) and not any(x.get("flag") for x in rows)
    whats = {x.get("what") for x in spec_rows(spec)}
    assert {w for w in whats if str(w).startswith(("first NaN", "W_hh x10"))} == {
        "first NaN: step 61", "W_hh x10: step 13"}
    assert any("grad_norm" in x for x in spec_rows(spec))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["first non-finite step"].isdigit() and metrics["W_hh grew"].startswith("x")
    at.radio(key="eview").set_value("whh").run()
    no_exception(at)
    rows = spec_rows(_charts(at)["explode"])
    assert not any("grad_norm" in x for x in rows)
    assert {x["what"] for x in rows if "w_hh_norm" in x} == {RAW, FROZEN, CLIPPED}


def test_exploding_controls_re_render_and_links_restore():
    at = open_page(FILE, {"eg": "0.5", "elr": "0.01", "task": "Adding problem"})
    no_exception(at)
    assert at.slider(key="eg").value == pytest.approx(0.5)
    assert at.selectbox(key="task").value == "adding"
    assert "Adding problem: random numbers" in _text(at)
    assert any(m.label == "first non-finite step" and m.value == "none" for m in at.metric)
    assert not any(x.get("flag") for x in spec_rows(_charts(at)["explode"]))
    text = _text(at)
    assert "In this run the unclipped loss stays finite" in text and "two phases" not in text
    assert "Not in this run" in text  # the two-phase claim is judged on this run, and fails
    bad = open_page(FILE, {"eg": "inf", "tmax": "abc", "task": "<b>"})
    no_exception(bad)
    assert bad.slider(key="eg").value == pytest.approx(exp.exploding_run.defaults["gain"])
    notes = " ".join(w.value for w in bad.warning)
    assert "Recurrent gain" in notes and "Longest dependency" in notes and "Task" in notes


def test_a_readout_blow_up_is_told_apart_from_the_recurrence():
    # a learning rate above the readout's own limit: the control blows up too
    at = open_page(FILE, {"elr": "0.5"})
    no_exception(at)
    text = _text(at)
    assert "The control blew up too" in text and "readout's limit" in text
    assert any(x.get("flag") for x in _rows(_charts(at)["explode"], FROZEN))


def test_changed_sweep_waits_for_run_then_trains_live_and_the_snippet_reproduces_it():
    at = open_page(FILE, {"tmax": "20", "steps": "100", "H": "16"})
    no_exception(at)
    commit(at, "s4", "None: a plain RNN can't learn this task")
    assert "score" not in _charts(at)  # not shipped: waits for Run
    assert "Press Run below" in str(vega_specs(at)[0])
    assert not any("This run" in m.value for m in [*at.success, *at.warning])
    at.button(key="run_s4_sweep").click().run()
    no_exception(at)
    assert any("Trained live" in s.value for s in at.success)
    assert any(("Right" in m.value or "Not this time" in m.value) and "This run" in m.value
               for m in [*at.success, *at.warning])
    score = {x["T"]: x["score"] for x in spec_rows(_charts(at)["score"]) if x.get("verdict")}
    assert sorted(score) == [10, 15, 20]
    res = run_snippet(snippet_source(at, "length_sweep("))["res"]
    assert res["final_accuracy"] == pytest.approx([score[t] for t in (10, 15, 20)])
    # a second sweep keeps the first one on the chart for comparison
    at.slider(key="steps").set_value(150).run()
    at.button(key="run_s4_sweep").click().run()
    no_exception(at)
    runs = {x["run"] for x in spec_rows(_charts(at)["score"]) if x.get("run")}
    assert runs == {"tanh RNN, 100 steps", "tanh RNN, 150 steps"}


def test_the_snippets_are_the_shipped_calls(monkeypatch):
    at = open_page(FILE)
    blocks = code_blocks(at)
    assert not any("length_sweep(" in c for c in blocks)  # the sweep's code comes with its run
    commit(at, "s4", RIGHT)
    for name in ("length_sweep", "exploding_run"):  # each calls its experiment as shipped
        demo, seen = shipped(f"effects.{name}"), {}
        monkeypatch.setattr(exp, name, lambda _d=demo, _s=seen, **kw: _s.update(kw) or _d["result"])
        run_snippet(snippet_source(at, f"{name}("), quiet=False)
        assert seen == demo["params"]


def test_compute_cap_refuses_with_a_reason():
    at = open_page(FILE, {"tmax": "200", "steps": "1500", "cell": "LSTM (for comparison)",
                          "H": "128"})
    commit(at, "s4", RIGHT)
    no_exception(at)
    assert at.button(key="run_s4_sweep").disabled
    assert any("30 s cap" in w.value for w in at.warning)


def test_presets_from_links_and_the_picker_names_the_defaults():
    at = open_page(FILE, {"preset": "series"})
    no_exception(at)
    assert at.selectbox(key="task").value == "series"
    assert "Time series: a noisy series" in _text(at)
    at = open_page(FILE, {"preset": "adding"})
    assert at.selectbox(key="task").value == "adding"
    at = open_page(FILE)
    assert at.selectbox(key="preset").value == "order"  # the defaults are this preset
    at.slider(key="tmax").set_value(40).run()
    assert at.selectbox(key="preset").value == "custom"
