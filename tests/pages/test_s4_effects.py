import json
import math

import pytest

from core.experiments import effects as exp
from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs
from ui.demos import DEMO_DIR

FILE = "s4_effects.py"


def _charts(at):
    by = {}
    for s in vega_specs(at):
        f = spec_fields(s)
        if "score" in f:
            by["score"] = s
        elif {"step", "loss", "chance"} <= f:
            by["curves"] = s
        elif {"log10 loss", "line"} <= f:
            by["budget"] = s
        elif "log10 loss" in f:
            by["xloss"] = s
        elif "log10 grad_norm" in f:
            by["xgrad"] = s
        elif "log10 w_hh_norm" in f:
            by["xwhh"] = s
    return by


def _text(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.warning, *at.info])


RAW, FROZEN, CLIPPED = "no clipping", "W_hh frozen", "clipped at 1"


def test_opens_with_the_shipped_sweep_and_the_exploding_run():
    at = open_page(FILE)
    no_exception(at)
    by = _charts(at)
    assert set(by) == {"score", "curves", "budget", "xloss", "xgrad", "xwhh"}
    shipped = json.loads((DEMO_DIR / "effects.length_sweep.json").read_text())["result"]
    score = {r["T"]: r["score"] for r in spec_rows(by["score"]) if "score" in r}
    assert sorted(score) == [10, 20, 30, 45, 60]
    for T, acc in zip(shipped["lengths"], shipped["final_accuracy"]):
        assert score[T] == pytest.approx(acc)
    # the lesson: short lengths learned, long ones at chance (25%)
    assert score[10] > 0.9 and abs(score[60] - 0.25) < 0.1
    curves = spec_rows(by["curves"])
    assert {r["T"] for r in curves} == {10, 20, 30, 45, 60}
    assert all(r["chance"] == pytest.approx(math.log(4)) for r in curves)
    # the sweep's claims, checked on the shipped run and shown beside the chart
    text = _text(at)
    assert text.count("Checked in this run") >= 10 and "Not in this run" not in text
    assert "learned the shortest length" in text and "blind-guess level at the longest" in text
    # the step-budget control: T = 30 (the shortest length not learned), 5x the steps
    b = json.loads((DEMO_DIR / "effects.longer_budget.json").read_text())["result"]
    assert b["T"] == 30 and b["budget"] == shipped["steps"] and b["steps"] == 5 * b["budget"]
    assert b["loss_at_budget"] == pytest.approx(shipped["final_loss"][2])  # the sweep's run
    assert "T = 30" in text and "given more steps, the same network learned it" in text
    brows = spec_rows(by["budget"])
    assert {r["line"] for r in brows if "line" in r} == {"T = 30, training loss", "chance"}
    # exploding run: non-finite steps are present and flagged, never dropped
    loss = [r for r in spec_rows(by["xloss"]) if r.get("run") == RAW]
    assert len(loss) == exp.exploding_run.defaults["steps"]
    assert any(r["status"] != "ok" for r in loss)
    for run in (FROZEN, CLIPPED):  # the control and the clipped run stay finite
        rows = [r for r in spec_rows(by["xloss"]) if r.get("run") == run]
        assert len(rows) == len(loss) and all(r["status"] == "ok" for r in rows)
    assert any(m.label == "first non-finite step" and m.value.isdigit() for m in at.metric)
    assert any(m.label == "W_hh grew" and m.value.startswith("x") for m in at.metric)
    assert "two phases" in text and "with W_hh frozen, the same start" in text
    assert "W_hh are thrown out first" in text and "the readout overshoots further" in text
    assert "Not in this run" not in text
    assert "The control blew up too" not in text
    whh = {r["run"] for r in spec_rows(by["xwhh"]) if "run" in r}
    assert whh == {RAW, FROZEN, CLIPPED}


def test_prediction_verdict_uses_the_result():
    at = open_page(FILE)
    at.radio(key="predict_s4").set_value(
        "The short ones only: past some length it sits at chance").run()
    assert any("Right" in s.value for s in at.success)


def test_changed_sweep_trains_live_and_redraws():
    at = open_page(FILE, {"tmax": "20", "steps": "100", "H": "16"})
    no_exception(at)
    assert "score" not in _charts(at)  # not shipped: waits for Run
    # predict first: the answer is committed before the run and judged after it
    at.radio(key="predict_s4").set_value("None of them").run()
    assert not at.success and "Run" in " ".join(c.value for c in at.caption)
    at.button(key="run_s4_sweep").click().run()
    no_exception(at)
    assert at.radio(key="predict_s4").value == "None of them"
    assert any(("Right" in m.value or "Not quite" in m.value) and "This run" in m.value
               for m in [*at.success, *at.warning])
    score = {r["T"]: r["score"] for r in spec_rows(_charts(at)["score"]) if "score" in r}
    assert sorted(score) == [10, 15, 20]
    assert any("Trained live" in s.value for s in at.success)
    # a second sweep keeps the first one on the chart for comparison
    at.slider(key="steps").set_value(150).run()
    at.button(key="run_s4_sweep").click().run()
    no_exception(at)
    runs = {r["run"] for r in spec_rows(_charts(at)["score"]) if "run" in r}
    assert runs == {"tanh RNN, 100 steps", "tanh RNN, 150 steps"}


def test_compute_cap_refuses_with_a_reason():
    at = open_page(FILE, {"tmax": "200", "steps": "1500", "cell": "LSTM (for comparison)",
                          "H": "128"})
    no_exception(at)
    assert at.button(key="run_s4_sweep").disabled
    assert any("30 s cap" in w.value for w in at.warning)


def test_exploding_controls_re_render_and_links_restore():
    at = open_page(FILE, {"eg": "0.5", "elr": "0.01", "task": "Adding problem"})
    no_exception(at)
    assert at.slider(key="eg").value == pytest.approx(0.5)
    assert at.selectbox(key="task").value == "adding"
    assert any(m.label == "first non-finite step" and m.value == "none" for m in at.metric)
    assert all(r["status"] == "ok" for r in spec_rows(_charts(at)["xloss"]) if "status" in r)
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
    frozen = [r for r in spec_rows(_charts(at)["xloss"]) if r.get("run") == FROZEN]
    assert any(r["status"] != "ok" for r in frozen)


def test_series_task_is_offered_and_described():
    at = open_page(FILE, {"preset": "series"})
    no_exception(at)
    assert at.selectbox(key="task").value == "series"
    assert "Time series: the network reads a noisy series" in _text(at)
    assert "time series" in " ".join(m.value for m in at.markdown).lower()


def test_preset_link_applies():
    at = open_page(FILE, {"preset": "adding"})
    no_exception(at)
    assert at.selectbox(key="task").value == "adding"
