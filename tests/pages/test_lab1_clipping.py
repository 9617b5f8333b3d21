import math

import pytest

from core import script
from core.claims import claims_for
from core.experiments import lab_clipping as exp
from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs

FILE = "lab1_clipping.py"
SHORT = {"steps": "50", "T": "10", "H": "16"}


def test_opens_with_the_precomputed_comparison():
    at = open_page(FILE)
    no_exception(at)
    specs = vega_specs(at)
    assert len(specs) == 3
    loss, gnorm, share = specs
    assert {"step", "loss", "run"} <= spec_fields(loss)
    assert {"step", "grad_norm", "run"} <= spec_fields(gnorm)
    assert {"run", "share clipped (%)"} <= spec_fields(share)
    runs = {r["run"] for r in spec_rows(loss) if "run" in r}
    assert runs == {"no clipping", "norm clipping", "value clipping"}
    # the default setting blows up without clipping: the event is marked on the chart
    labels = [r["label"] for r in spec_rows(loss) if "NaN/inf" in str(r.get("label"))]
    assert any(lbl.startswith("no clipping: NaN/inf at step") for lbl in labels)
    assert not any(lbl.startswith("norm clipping") for lbl in labels)
    assert any(r.get("value") in ("NaN", "+inf") for r in spec_rows(loss))
    shares = {r["run"]: r["share clipped (%)"] for r in spec_rows(share)}
    assert shares["no clipping"] == 0 and 0 < shares["norm clipping"] <= 100
    # the threshold advice uses the norm run's median pre-clip gradient norm
    summary = at.dataframe[-1].value
    med = float(summary.loc[summary["run"] == "norm clipping", "median grad norm"].iloc[0])
    gn = sorted(r["grad_norm"] for r in spec_rows(gnorm) if r.get("run") == "norm clipping"
                and "grad_norm" in r and "label" not in r)
    assert med == pytest.approx(gn[len(gn) // 2], rel=1e-6)
    advice = next(m.value for m in at.markdown if "Choosing the threshold" in m.value)
    assert f"{0.5 * med:.2g} to {10 * med:.2g}" in advice
    # the summary names what does not apply instead of showing None, and lists the control
    assert list(summary["run"]) == ["no clipping", "norm clipping", "value clipping",
                                    exp.LABELS["frozen"]]
    assert not summary.isna().any().any()
    assert summary.loc[0, "threshold"] == "none" and summary.loc[1, "first NaN/inf"] == "never"
    # every claim that speaks about the defaults is shown, checked in this run
    checked = " ".join(m.value for m in at.markdown if "Checked in this run" in m.value)
    shown = [c for c in claims_for(exp.compare.key) if c.applies_to(exp.compare.defaults)]
    assert len(shown) >= 3 and all(c.text in checked for c in shown)
    assert "Not in this run" not in " ".join(m.value for m in at.markdown)


def test_shipped_norm_run_matches_an_independent_core_training():
    """The precomputed norm-clipping curve equals core.training.train run directly."""
    from ui.demos import shipped

    res = shipped(exp.compare.key)["result"]
    norm = next(r for r in res["runs"] if r["mode"] == "norm")
    hist = script.reference_run({**norm["config"], "steps": 60})
    want = hist.column("loss")
    assert norm["loss"][:60] == pytest.approx(want, rel=1e-5)
    gn = hist.column("grad_norm")
    assert norm["grad_norm"][:60] == pytest.approx(gn, rel=1e-5)
    thr = norm["threshold"]
    assert norm["clipped"][:60] == [g > thr for g in gn]


def test_run_trains_live_and_results_appear():
    at = open_page(FILE, SHORT)
    no_exception(at)
    assert not vega_specs(at)  # not the defaults: nothing shipped, nothing drawn yet
    at.button(key="run_lab1").click().run()
    no_exception(at)
    assert any("Trained live" in s.value for s in at.success)
    specs = vega_specs(at)
    assert len(specs) == 3
    for run in ("no clipping", "norm clipping", "value clipping"):
        steps = [r["step"] for r in spec_rows(specs[1]) if r.get("run") == run
                 and "grad_norm" in r and "label" not in r]
        assert 0 < len(steps) <= 50 and steps[0] == 0
    # the export panel: CSV, JSON and a script that reproduces the chosen run
    keys = {d.proto.id.rsplit("-", 1)[-1] for d in at.get("download_button")}
    assert {"exp_csv_lab1", "exp_json_lab1", "exp_py_lab1"} <= keys
    # summary table agrees with the chart
    summary = at.dataframe[-1].value
    assert list(summary["run"]) == ["no clipping", "norm clipping", "value clipping",
                                    exp.LABELS["frozen"]]
    assert (summary["steps trained"] <= 50).all()


def test_same_seed_same_curves_in_the_experiment():
    kw = dict(exp.compare.defaults, seq_len=10, hidden_size=8, steps=20)
    a, b = exp.compare(**kw), exp.compare(**kw)
    for ra, rb in zip(a["runs"], b["runs"]):
        assert ra["loss"] == rb["loss"] and ra["grad_norm"] == rb["grad_norm"]
    # and the three runs really start from the same weights and batch
    assert a["runs"][0]["loss"][0] == a["runs"][1]["loss"][0] == a["runs"][2]["loss"][0]


def test_settings_over_the_cap_are_refused_with_the_reason():
    at = open_page(FILE, {"steps": "2000", "T": "200", "H": "128"})
    no_exception(at)
    assert at.button(key="run_lab1").disabled
    msg = " ".join(w.value for w in at.warning)
    assert "cap is 30 s" in msg and "CPU" in msg


def test_zoom_and_links():
    at = open_page(FILE, {"view": "zoom", "gain": "1.5", "lr": "0.1", "act": "ReLU"})
    no_exception(at)
    assert math.isclose(at.slider(key="gain").value, 1.5)
    assert at.selectbox(key="lr").value == "0.1"
    assert at.radio(key="act").value == "relu"
    bad = open_page(FILE, {"gain": "inf", "lr": "7", "T": "abc"})
    no_exception(bad)
    notes = " ".join(w.value for w in bad.warning)
    assert "Recurrent gain" in notes and "Learning rate" in notes and "Sequence length" in notes
    assert bad.selectbox(key="lr").value == "0.05"


def test_zoom_view_fixes_the_loss_axis_to_the_clipped_runs():
    at = open_page(FILE, {"view": "zoom"})
    no_exception(at)
    spec = vega_specs(at)[0]
    domains = []

    def walk(node):
        if isinstance(node, dict):
            sc = node.get("scale")
            if isinstance(sc, dict) and "domain" in sc and node.get("field") == "loss":
                domains.append(sc["domain"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    assert domains and domains[0][0] == 0 and domains[0][1] < 2  # linear, near chance


def test_prediction_gives_a_verdict():
    at = open_page(FILE)
    at.radio(key="predict_lab1").set_value("Only the two clipped runs").run()
    assert any("Right" in s.value for s in at.success)


def test_a_stopped_run_shows_what_was_trained_so_far():
    """Stop interrupts the script; the runner marks the entry "stopped" and keeps the partial
    result handed to ``report``. Simulate that state with a real partial result."""
    from ui import demos, runner

    params = dict(exp.compare.defaults, seq_len=10, hidden_size=16, steps=50)
    partials = []
    exp.compare(**params, report=lambda f, p: partials.append(p))
    partial = next(p for p in partials if len(p["runs"]) == 1)  # inside the first run
    at = open_page(FILE, SHORT)
    ck = f"lab1:{demos.canonical(params)}"
    at.session_state[runner._STORE] = {ck: {"status": "running", "result": partial,
                                            "seconds": 1.5}}
    at.run()
    no_exception(at)
    assert any("Stopped by you" in i.value for i in at.info)
    specs = vega_specs(at)
    runs = {r.get("run") for r in spec_rows(specs[0]) if r.get("run")}
    assert runs == {"no clipping"}
    assert at.radio(key="lab1_script_run").options == ["no clipping"]
