import json
import math

from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs
from ui.demos import DEMO_DIR

FILE = "s2_exploding.py"
SHIPPED = json.loads((DEMO_DIR / "exploding.blowup.json").read_text())["result"]


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _specs(at, fields, without=("w_lo", "w")):
    return [s for s in vega_specs(at)
            if fields <= spec_fields(s) and not set(without) & spec_fields(s)]


def _cliff(at):
    return next(s for s in vega_specs(at) if {"w_lo", "log10_loss"} <= spec_fields(s))


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_opens_with_the_shipped_explosion_its_phases_forensics_and_cliff():
    at = open_page(FILE)
    no_exception(at)
    ev = SHIPPED["first_nonfinite"]
    # loss chart: the full run's finite losses up to the first non-finite step, the control
    # with W_hh frozen over every step, and the marker rule
    loss = _specs(at, {"step", "loss", "run"})[0]
    rows = [r for r in spec_rows(loss) if "loss" in r]
    full = [r for r in rows if r["run"] == "full run"]
    ctrl = [r for r in rows if r["run"] == "W_hh frozen (control)"]
    assert max(r["step"] for r in full) == ev["step"] - 1
    assert full[-1]["loss"] > 1e20 * full[0]["loss"]
    assert len(ctrl) == SHIPPED["steps_asked"]
    assert max(r["loss"] for r in ctrl) <= 2 * ctrl[0]["loss"]
    assert any(r.get("label", "").startswith("first inf/NaN") for r in spec_rows(loss))
    growth = _specs(at, {"step", "value", "what"})[0]
    assert {r["what"] for r in spec_rows(growth) if "what" in r} == {
        "||gradient||", "||W_hh||", "||readout||"}
    end = SHIPPED["phases"]["growth_end"]
    assert any(r.get("label") == f"W_hh stops growing: step {end}" for r in spec_rows(growth))
    # the phases are named from the run, and the claims beside them are checked
    md = _markdown(at)
    after = SHIPPED["phases"]["after"]
    assert f"Phase 1, steps 0 to {end}: W_hh grows" in md
    assert f"Phase 2, steps {after['start']} to {after['end']}: the readout takes over" in md
    assert f"At step {ev['step']} the loss passed float32's largest number" in md
    assert md.count("Checked in this run") == 7  # 4 about the run, 1 Jacobian, 2 cliff
    assert "Not in this run" not in md
    curv = _specs(at, {"step", "lr × λ"})[0]
    assert any(r.get("label") == "2: SGD's limit" for r in spec_rows(curv))
    # forensics metrics agree with the shipped run
    assert _metric(at, "first non-finite step") == str(ev["step"])
    assert _metric(at, "found first in") == ev["where"]
    assert _metric(at, "tensor") == ev["tensor"]
    # three W_hh heatmaps: finite at init, all crossed out at the end
    heats = _specs(at, {"row", "col", "_shown"})
    assert len(heats) == 3
    first = [r for r in spec_rows(heats[0]) if "status" in r]
    last = [r for r in spec_rows(heats[2]) if "status" in r]
    assert len(last) == 32 * 32 and all(r["status"] != "ok" for r in last)
    assert all(r["status"] == "ok" for r in first)
    # sigma_max > 1 is not sufficient: gain 1 vanishes, gain 3 explodes
    jac = [r for r in spec_rows(_specs(at, {"lag", "norm", "network"})[0]) if "network" in r]
    g1 = {r["lag"]: r["norm"] for r in jac if r["network"].startswith("gain 1 ")}
    g3 = {r["lag"]: r["norm"] for r in jac if r["network"].startswith("gain 3 ")}
    assert g1[50] < 1e-3 < 1e2 < g3[50]
    # the cliff: the unclipped path is thrown off the map, and the clipping page is linked
    cliff = _cliff(at)
    assert {r["path"] for r in spec_rows(cliff) if "path" in r} == {"unclipped"}
    assert any(r.get("kind") == "exit" for r in spec_rows(cliff))
    links = [p.proto for p in at.get("page_link")]
    assert any(p.page == "clipping" and "preset=explode_clip" in p.query_string for p in links)
    # the prediction gives a verdict quoting the observed step
    at.radio(key="predict_s2").set_value(
        "The loss climbs by dozens of orders of magnitude and the run ends in NaN").run()
    assert any("Right" in s.value and f"step {ev['step']}" in s.value for s in at.success)


def test_changed_settings_train_live_and_cliff_controls_re_render():
    at = open_page(FILE)
    at.slider(key="T").set_value(10)
    at.slider(key="steps").set_value(20)
    at.slider(key="gain").set_value(1.0)
    at.slider(key="cst").set_value(10).run()
    no_exception(at)
    assert any("Press **Train**" in i.value for i in at.info)
    assert not _specs(at, {"step", "loss"})
    steps = {r["step"] for r in spec_rows(_cliff(at)) if r.get("path") == "unclipped"}
    assert max(steps) == 10
    at.button(key="run_s2").click().run()
    no_exception(at)
    assert any("Trained live" in s.value for s in at.success)
    loss = _specs(at, {"step", "loss", "run"})[0]
    rows = [r for r in spec_rows(loss) if "loss" in r]
    assert len([r for r in rows if r["run"] == "full run"]) == 20
    assert len([r for r in rows if r["run"] == "W_hh frozen (control)"]) == 20
    assert any("No NaN or inf in 20 steps" in s.value for s in at.success)
    # gain 1: no growth phase, and the calm-run claim is checked on this run
    md = _markdown(at)
    assert "No growth phase" in md
    assert "Checked in this run:** at gain 1 nothing explodes" in md


def test_links_restore_controls_presets_apply_and_the_cap_refuses():
    at = open_page(FILE, {"gain": "3.0", "T": "200", "opt": "Adam", "clr": "0.1",
                          "steps": "600", "H": "128"})
    no_exception(at)
    assert math.isclose(at.slider(key="gain").value, 3.0)
    assert at.slider(key="T").value == 200
    assert at.selectbox(key="opt").value == "adam"
    assert math.isclose(at.slider(key="clr").value, 0.1)
    assert at.button(key="run_s2").proto.disabled  # about 38 s estimated: over the cap
    assert any("cap" in w.value for w in at.warning)
    calm = open_page(FILE, {"preset": "calm"})
    no_exception(calm)
    assert math.isclose(calm.slider(key="gain").value, 1.0)


def test_when_the_control_blows_up_too_the_page_says_w_hh_is_not_needed():
    at = open_page(FILE, {"lr": "0.9", "gain": "0.5", "steps": "40"})
    at.button(key="run_s2").click().run()
    no_exception(at)
    md = _markdown(at)
    assert "The control blew up too" in md
    assert "Not in this run:** with W_hh frozen" in md
