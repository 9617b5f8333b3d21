import math

import pytest

from core import script
from core.claims import claims_for
from core.experiments import lab_clipping as exp
from tests.conftest import commit, no_exception, open_page, partials, store_run
from tests.pages.charts import spec_fields, spec_rows, vega_specs
from ui.demos import shipped

FILE = "lab1_clipping.py"
SHORT = {"steps": "50", "T": "10", "H": "16"}
RIGHT = "Only the two clipped runs"


def _loss(at):
    return next(s for s in vega_specs(at) if "loss" in spec_fields(s))


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def shown(at) -> bool:
    return any("loss" in spec_fields(s) for s in vega_specs(at))


def held_back(at):
    assert not at.metric and "Checked in this run" not in _text(at)


def snippet_reproduces(at, res):
    want = shipped(exp.compare.key)["result"]
    assert res["unclipped_steps"] == want["unclipped_steps"]
    assert math.isclose(res["norm_final_loss"], want["norm_final_loss"], rel_tol=1e-5)


def test_after_commit_the_shipped_comparison_is_drawn():
    at = commit(open_page(FILE), "lab1", RIGHT)
    loss = _loss(at)
    rows = [r for r in spec_rows(loss) if "step" in r]
    runs = {r["_run"] for r in rows}
    assert runs == {"no clipping", "norm clipping", "value clipping"}
    # the blow-up: its first NaN/inf is a legend-named line, non-finite losses their own entry
    labels = {r["_run"] for r in spec_rows(loss) if "x" in r}
    assert any(lbl.startswith("no clipping: first NaN/inf, step") for lbl in labels)
    assert not any(lbl.startswith("norm clipping") for lbl in labels)
    assert any(r.get("flag") == "non-finite (NaN/inf)" for r in spec_rows(loss))
    # the chance line is drawn first (under the data)
    assert "chance" in str(loss["layer"][1]) and "mark_line" not in str(loss["layer"][1])
    # gradient norms and the share clipped below
    gnorm = next(s for s in vega_specs(at) if "grad_norm" in spec_fields(s))
    share = next(s for s in vega_specs(at) if "share clipped (%)" in spec_fields(s))
    shares = {r["run"]: r["share clipped (%)"] for r in spec_rows(share)}
    assert shares["no clipping"] == 0 and 0 < shares["norm clipping"] <= 100
    # the threshold advice uses the norm run's median pre-clip gradient norm
    gn = sorted(r["grad_norm"] for r in spec_rows(gnorm) if r.get("_run") == "norm clipping"
                and "grad_norm" in r)
    med = gn[len(gn) // 2]
    summary = at.dataframe[-1].value
    assert summary.loc[summary["run"] == "norm clipping", "median ‖g‖"].iloc[0] == f"{med:.3g}"
    assert f"{0.5 * med:.2g} to {10 * med:.2g}" in _text(at)
    # the summary names what does not apply ("—", "never") and lists the control
    assert list(summary["run"]) == ["no clipping", "norm clipping", "value clipping",
                                    exp.LABELS["frozen"]]
    assert not summary.isna().any().any() and "None" not in summary.to_string()
    assert summary.loc[0, "thr."] == "—" and summary.loc[1, "NaN/inf"] == "never"


def test_every_claim_about_the_defaults_is_checked_after_the_commit():
    at = commit(open_page(FILE), "lab1", RIGHT)
    md = _text(at)
    shown = [c for c in claims_for(exp.compare.key) if c.applies_to(exp.compare.defaults)]
    assert len(shown) >= 3 and all(c.text in md for c in shown)
    assert md.count("Checked in this run") >= 3 and "Not in this run" not in md


def test_shipped_norm_run_matches_an_independent_core_training():
    """The precomputed norm-clipping curve equals core.training.train run directly."""
    res = shipped(exp.compare.key)["result"]
    norm = next(r for r in res["runs"] if r["mode"] == "norm")
    hist = script.reference_run({**norm["config"], "steps": 60})
    assert norm["loss"][:60] == pytest.approx(hist.column("loss"), rel=1e-5)
    gn = hist.column("grad_norm")
    assert norm["grad_norm"][:60] == pytest.approx(gn, rel=1e-5)
    assert norm["clipped"][:60] == [g > norm["threshold"] for g in gn]


def test_run_trains_live_after_the_commit():
    at = open_page(FILE, SHORT)
    no_exception(at)
    commit(at, "lab1", RIGHT)
    assert "Press Run all three" in str(vega_specs(at)[0])  # not the defaults: nothing yet
    at.button(key="run_lab1").click().run()
    no_exception(at)
    assert any("Trained live" in s.value for s in at.success)
    gnorm = next(s for s in vega_specs(at) if "grad_norm" in spec_fields(s))
    for run in ("no clipping", "norm clipping", "value clipping"):
        steps = [r["step"] for r in spec_rows(gnorm) if r.get("_run") == run and "step" in r]
        assert 0 < len(steps) <= 50 and min(steps) == 0
    keys = {d.proto.id.rsplit("-", 1)[-1] for d in at.get("download_button")}
    assert {"exp_csv_lab1", "exp_json_lab1", "exp_py_lab1"} <= keys
    summary = at.dataframe[-1].value
    assert (summary["steps"] <= 50).all()


def test_same_seed_same_curves_in_the_experiment():
    kw = dict(exp.compare.defaults, seq_len=10, hidden_size=8, steps=20)
    a, b = exp.compare(**kw), exp.compare(**kw)
    for ra, rb in zip(a["runs"], b["runs"]):
        assert ra["loss"] == rb["loss"] and ra["grad_norm"] == rb["grad_norm"]
    assert a["runs"][0]["loss"][0] == a["runs"][1]["loss"][0] == a["runs"][2]["loss"][0]


def test_settings_over_the_cap_are_refused_with_the_reason():
    at = commit(open_page(FILE, {"steps": "2000", "T": "200", "H": "128"}), "lab1", RIGHT)
    no_exception(at)
    assert at.button(key="run_lab1").disabled
    msg = " ".join(w.value for w in at.warning)
    assert "cap is 30 s" in msg and "CPU" in msg


def test_presets_links_and_bad_values():
    at = open_page(FILE)
    assert at.selectbox(key="preset").value == "explode"  # the defaults are this preset
    at = open_page(FILE, {"preset": "long"})
    assert at.slider(key="T").value == 60
    at = open_page(FILE, {"gain": "1.5", "lr": "0.1", "act": "ReLU"})
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
    at = commit(open_page(FILE, {"view": "zoom"}), "lab1", RIGHT)
    no_exception(at)
    assert at.radio(key="view").value == "zoom"
    assert '"domain": [0.0' in str(_loss(at)).replace("'", '"')


def test_a_stopped_run_shows_what_was_trained_so_far():
    """Stop interrupts the script; the runner marks the entry "stopped" and keeps the partial
    result handed to ``report``. Simulate that state with a real partial result."""
    params = dict(exp.compare.defaults, seq_len=10, hidden_size=16, steps=50)
    partial = next(p for _, p in partials(exp.compare, params) if len(p["runs"]) == 1)
    at = commit(open_page(FILE, SHORT), "lab1", RIGHT)
    store_run(at, "lab1", params, partial)  # inside the first run
    at.run()
    no_exception(at)
    assert any("Stopped by you" in i.value for i in at.info)
    runs = {r["_run"] for r in spec_rows(_loss(at)) if "step" in r}
    assert runs == {"no clipping"}
    assert at.radio(key="lab1_script_run").options == ["no clipping"]
