import math

import numpy as np

from core.claims import claims_for
from core.experiments import playground as exp
from tests.conftest import commit, no_exception, open_page, partials, store_run
from tests.pages.charts import spec_fields, spec_rows, vega_specs
from ui import labs
from ui.demos import shipped

FILE = "lab3_playground.py"
SHORT = {"steps": "50", "T": "10", "H": "8"}
LEARNS, CHANCE, BOOM = labs.PLAY_OPTIONS


def _loss(at):
    return next(s for s in vega_specs(at) if "loss" in spec_fields(s))


def _curve(spec, run):
    rows = [r for r in spec_rows(spec) if r.get("_run") == run and "step" in r]
    return [r["loss"] for r in sorted(rows, key=lambda r: r["step"])]


def _table(at):
    return next(d.value for d in at.dataframe if "status" in d.value)


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _run(at, option=CHANCE):
    """Commit a prediction for the current settings, then train them."""
    commit(at, "lab3", option)
    at.button(key="run_play").click().run()
    no_exception(at)
    return at


def shown(at) -> bool:
    return any("loss" in spec_fields(s) for s in vega_specs(at))


def held_back(at):
    assert not at.metric and not at.dataframe and "Checked in this run" not in _text(at)


def snippet_reproduces(at, res):
    want = shipped(exp.train_run.key)["result"]
    assert math.isclose(res["final_loss"], want["final_loss"], rel_tol=1e-5)


def test_after_commit_the_precomputed_run_is_listed_drawn_and_checked():
    at = commit(open_page(FILE), "lab3", CHANCE)
    no_exception(at)
    assert any(f"The run shows: {LEARNS}" in w.value for w in at.warning)
    table = _table(at)
    assert list(table["status"]) == ["precomputed"]
    assert not table.isna().any().any() and "None" not in table.to_string()
    settings = next(d.value for d in at.dataframe if "optimiser" in d.value)
    assert list(settings.loc[0, ["cell", "T", "optimiser", "clip"]]) == ["GRU", 30, "adam 0.01",
                                                                        "norm 1"]
    name = table["run"][0]
    loss = _curve(_loss(at), name)
    assert len(loss) == 300
    # the table's final loss is the mean of the curve's last 20 steps (independent check)
    assert table["loss"][0] == f"{float(np.mean(loss[-20:])):.3g}"
    probe = next(s for s in vega_specs(at) if "when" in spec_fields(s))
    assert {r["when"] for r in spec_rows(probe)} == {"before training", "after 300 steps"}
    md = _text(at)
    shown = [c for c in claims_for(exp.train_run.key) if c.applies_to(exp.train_run.defaults)]
    assert len(shown) >= 2 and all(c.text in md for c in shown)
    assert "Not in this run" not in md


def test_changing_a_knob_asks_again_and_same_seed_gives_the_same_curve():
    at = _run(open_page(FILE, SHORT))
    table = _table(at)
    assert list(table["status"]) == ["done"]
    a = table["run"][0]
    at.number_input(key="seed").set_value(1).run()  # a new experiment: predict it first
    assert not at.radio(key="predict_lab3").disabled
    assert not any("loss" in spec_fields(s) for s in vega_specs(at))
    _run(at)
    at.number_input(key="seed").set_value(0).run()
    _run(at)
    table = _table(at)
    assert len(table) == 3 and list(table["same curve as"]) == ["—", "—", a]
    spec = _loss(at)
    c = table["run"][2]
    assert _curve(spec, a) == _curve(spec, c) and len(_curve(spec, c)) == 50
    assert _curve(spec, table["run"][1]) != _curve(spec, c)
    # the newest run in focus, the others faint, until every run is drawn in colour
    flags = {r["_run"]: r["_ghost"] for r in spec_rows(spec) if "_ghost" in r}
    assert flags == {a: True, table["run"][1]: True, c: False}
    at.toggle(key="allcol").set_value(True).run()
    flags = {r["_run"]: r["_ghost"] for r in spec_rows(_loss(at)) if "_ghost" in r}
    assert not any(flags.values())


def test_rename_and_remove_runs():
    at = _run(open_page(FILE, SHORT))
    at.text_input(key="lab3_name").input("baseline <b>GRU</b>").run()
    at.button(key="lab3_rename").click().run()
    no_exception(at)
    assert list(_table(at)["run"]) == ["baseline GRU"]  # markup dropped
    assert "baseline GRU" in {r.get("_run") for r in spec_rows(_loss(at))}
    at.button(key="lab3_remove").click().run()
    no_exception(at)
    assert any("Press Run below" in str(s) for s in vega_specs(at))


def test_classification_task_adds_an_accuracy_chart_and_export():
    at = _run(open_page(FILE, {**SHORT, "task": "Temporal order", "cell": "LSTM"}))
    acc = [s for s in vega_specs(at) if "accuracy" in spec_fields(s)]
    assert len(acc) == 1
    vals = [r["accuracy"] for r in spec_rows(acc[0]) if "step" in r]
    assert len(vals) == 50 and all(0 <= v <= 1 for v in vals)
    keys = {d.proto.id.rsplit("-", 1)[-1] for d in at.get("download_button")}
    assert {"exp_csv_lab3", "exp_json_lab3", "exp_py_lab3"} <= keys


def test_over_the_cap_is_refused_and_says_why():
    at = open_page(FILE, {"norm": "Layer norm", "cell": "LSTM", "T": "300", "H": "128",
                          "steps": "3000"})
    commit(at, "lab3", CHANCE)
    no_exception(at)
    assert at.button(key="run_play").disabled
    msg = " ".join(w.value for w in at.warning)
    assert "cap is 30 s" in msg and "step-by-step loop" in msg


def test_links_restore_knobs_and_bad_values_warn():
    at = open_page(FILE, {"cell": "LSTM", "opt": "SGD", "lr": "0.1", "clip": "Value",
                          "task": "Copy memory", "T": "40"})
    no_exception(at)
    assert at.selectbox(key="cell").value == "lstm"
    assert at.selectbox(key="opt").value == "sgd"
    assert at.selectbox(key="lr").value == "0.1"
    assert at.radio(key="clip").value == "value"
    assert at.selectbox(key="task").value == "copy"
    assert at.slider(key="T").value == 40
    bad = open_page(FILE, {"T": "5", "lr": "nan", "cell": "transformer"})
    no_exception(bad)
    notes = " ".join(w.value for w in bad.warning)
    assert "Sequence length" in notes and "Learning rate" in notes and "Cell" in notes


def test_presets():
    assert open_page(FILE).selectbox(key="preset").value == "gru30"  # the defaults
    at = open_page(FILE, {"preset": "irnn"})
    no_exception(at)
    assert at.selectbox(key="init").value == "identity"
    assert at.radio(key="act").value == "relu"


def test_a_stopped_run_is_kept_with_its_partial_curve():
    """Simulate Stop: the runner's entry is left "running" with the last partial result."""
    params = dict(exp.train_run.defaults, seq_len=10, hidden_size=8, steps=50)
    _, partial = partials(exp.train_run, params)[1]  # 20 of 50 steps
    at = commit(open_page(FILE, SHORT), "lab3", CHANCE)
    store_run(at, "play", params, partial, seconds=0.8)
    at.run()
    no_exception(at)
    table = _table(at)
    assert list(table["status"]) == ["stopped"] and list(table["steps"]) == ["20/50"]
    assert len(_curve(_loss(at), table["run"][0])) == 20
