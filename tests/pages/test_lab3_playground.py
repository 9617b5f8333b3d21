import math

import numpy as np

from core.claims import claims_for
from core.experiments import playground as exp
from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs

FILE = "lab3_playground.py"
SHORT = {"steps": "50", "T": "10", "H": "8"}


def _curve(spec, run):
    rows = [r for r in spec_rows(spec) if r.get("run") == run and "loss" in r
            and "label" not in r and "value" not in r]
    return [r["loss"] for r in sorted(rows, key=lambda r: r["step"])]


def _table(at):
    return at.dataframe[-1].value


def test_opens_with_the_precomputed_run_listed_and_drawn():
    at = open_page(FILE)
    no_exception(at)
    specs = vega_specs(at)
    assert len(specs) == 3  # loss, gradient norm, gradient by time step
    assert {"step", "loss", "run"} <= spec_fields(specs[0])
    assert {"step", "grad_norm", "run"} <= spec_fields(specs[1])
    assert {"t", "grad", "when"} <= spec_fields(specs[2])
    table = _table(at)
    assert list(table["status"]) == ["precomputed"]
    name = table["run"][0]
    loss = _curve(specs[0], name)
    assert len(loss) == 300
    # the table's final loss is the mean of the curve's last 20 steps (independent check)
    assert math.isclose(table["final loss"][0], float(np.mean(loss[-20:])), rel_tol=1e-5)
    whens = {r["when"] for r in spec_rows(specs[2])}
    assert whens == {"before training", "after 300 steps"}
    # the claims about the default run, checked on it, beside the charts
    checked = " ".join(m.value for m in at.markdown if "Checked in this run" in m.value)
    shown = [c for c in claims_for(exp.train_run.key) if c.applies_to(exp.train_run.defaults)]
    assert len(shown) >= 2 and all(c.text in checked for c in shown)


def test_same_settings_and_seed_give_the_same_curve_and_ghosts():
    at = open_page(FILE, SHORT)
    no_exception(at)
    assert len(at.dataframe) == 0  # nothing kept yet: no table, no chart data
    at.button(key="run_play").click().run()
    at.button(key="run_play").click().run()
    no_exception(at)
    table = _table(at)
    assert len(table) == 2 and list(table["status"]) == ["done", "done"]
    a, b = table["run"]
    assert table["identical curve to"][1] == a
    spec = vega_specs(at)[0]
    ca, cb = _curve(spec, a), _curve(spec, b)
    assert len(ca) == 50 and ca == cb
    # the earlier run is a ghost: its name is in the chart, drawn faint via the _ghost flag
    ghost_flags = {r["run"]: r["_ghost"] for r in spec_rows(spec) if "_ghost" in r}
    assert ghost_flags == {a: True, b: False}
    at.toggle(key="allcol").set_value(True).run()
    flags = {r["run"]: r["_ghost"] for r in spec_rows(vega_specs(at)[0]) if "_ghost" in r}
    assert flags == {a: False, b: False}
    at.toggle(key="allcol").set_value(False).run()
    # a different seed gives a different curve
    at.number_input(key="seed").set_value(1).run()
    at.button(key="run_play").click().run()
    no_exception(at)
    table = _table(at)
    assert len(table) == 3 and table["identical curve to"].isna().iloc[2]
    assert _curve(vega_specs(at)[0], table["run"][2]) != ca


def test_rename_and_remove_runs():
    at = open_page(FILE, SHORT)
    at.button(key="run_play").click().run()
    at.button(key="run_play").click().run()
    at.text_input(key="lab3_name").input("baseline <b>GRU</b>").run()
    at.button(key="lab3_rename").click().run()
    no_exception(at)
    names = list(_table(at)["run"])
    assert names[1] == "baseline GRU"  # the newest run was picked; markup dropped
    assert "baseline GRU" in {r.get("run") for r in spec_rows(vega_specs(at)[0])}
    at.selectbox(key="lab3_pick").select_index(0).run()
    at.button(key="lab3_remove").click().run()
    no_exception(at)
    assert list(_table(at)["run"]) == ["baseline GRU"]
    at.button(key="lab3_clear").click().run()
    no_exception(at)
    assert any("No runs yet" in i.value for i in at.info)


def test_classification_task_adds_an_accuracy_chart_and_export():
    at = open_page(FILE, {**SHORT, "task": "Temporal order", "cell": "LSTM"})
    at.button(key="run_play").click().run()
    no_exception(at)
    specs = vega_specs(at)
    acc = [s for s in specs if "accuracy" in spec_fields(s)]
    assert len(acc) == 1
    vals = [r["accuracy"] for r in spec_rows(acc[0]) if r.get("accuracy") is not None
            and "label" not in r]
    assert len(vals) == 50 and all(0 <= v <= 1 for v in vals)
    keys = {d.proto.id.rsplit("-", 1)[-1] for d in at.get("download_button")}
    assert {"exp_csv_lab3", "exp_json_lab3", "exp_py_lab3"} <= keys


def test_over_the_cap_is_refused_and_says_why():
    at = open_page(FILE, {"norm": "Layer norm", "cell": "LSTM", "T": "300", "H": "128",
                          "steps": "3000"})
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


def test_preset_link_applies():
    at = open_page(FILE, {"preset": "irnn"})
    no_exception(at)
    assert at.selectbox(key="init").value == "identity"
    assert at.radio(key="act").value == "relu"


def test_a_stopped_run_is_kept_with_its_partial_curve():
    """Simulate Stop: the runner's entry is left "running" with the last partial result."""
    from core.experiments import playground as exp
    from ui import demos, runner

    params = dict(exp.train_run.defaults, seq_len=10, hidden_size=8, steps=50)
    partials = []
    exp.train_run(**params, report=lambda f, p: partials.append(p))
    partial = partials[1]  # 20 of 50 steps
    at = open_page(FILE, SHORT)
    ck = f"play:{demos.canonical(params)}"
    at.session_state[runner._STORE] = {ck: {"status": "running", "result": partial,
                                            "seconds": 0.8}}
    at.run()
    no_exception(at)
    table = _table(at)
    assert list(table["status"]) == ["stopped"] and list(table["steps trained"]) == [20]
    assert len(_curve(vega_specs(at)[0], table["run"][0])) == 20


def test_training_the_defaults_live_reproduces_the_precomputed_curve():
    at = open_page(FILE)
    at.button(key="run_play").click().run()
    no_exception(at)
    table = _table(at)
    assert list(table["status"]) == ["precomputed", "done"]
    assert table["identical curve to"][1] == table["run"][0]
    spec = vega_specs(at)[0]
    shipped, live = _curve(spec, table["run"][0]), _curve(spec, table["run"][1])
    assert len(live) == 300
    assert np.allclose(shipped, live, rtol=1e-6, atol=0)
