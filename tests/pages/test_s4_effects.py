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
        elif "log10 loss" in f:
            by["xloss"] = s
        elif "log10 grad_norm" in f:
            by["xgrad"] = s
    return by


def test_opens_with_the_shipped_sweep_and_the_exploding_run():
    at = open_page(FILE)
    no_exception(at)
    by = _charts(at)
    assert set(by) == {"score", "curves", "xloss", "xgrad"}
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
    # exploding run: non-finite steps are present and flagged, never dropped
    loss = [r for r in spec_rows(by["xloss"]) if r.get("run") == "no clipping"]
    assert len(loss) == exp.exploding_run.defaults["steps"]
    assert any(r["status"] != "ok" for r in loss)
    assert all(r["status"] == "ok" for r in spec_rows(by["xloss"])
               if r.get("run") == "norm clipping at 1")
    assert any(m.label == "first non-finite step" and m.value.isdigit() for m in at.metric)


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
    bad = open_page(FILE, {"eg": "inf", "tmax": "abc", "task": "<b>"})
    no_exception(bad)
    assert bad.slider(key="eg").value == pytest.approx(exp.exploding_run.defaults["gain"])
    notes = " ".join(w.value for w in bad.warning)
    assert "Recurrent gain" in notes and "Longest dependency" in notes and "Task" in notes


def test_preset_link_applies():
    at = open_page(FILE, {"preset": "adding"})
    no_exception(at)
    assert at.selectbox(key="task").value == "adding"
