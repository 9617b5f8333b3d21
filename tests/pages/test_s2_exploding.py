import json
import math

from core import cost
from tests.conftest import commit, no_exception, open_page
from tests.pages.charts import spec_fields, spec_rows, vega_specs
from ui.demos import shipped

FILE = "s2_exploding.py"
SHIPPED = shipped("exploding.blowup")["result"]
RIGHT = "It climbs to inf or NaN"


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _loss(at):
    return next(s for s in vega_specs(at) if {"step", "_y"} <= spec_fields(s)
                and any(r.get("what") == "full run" for r in spec_rows(s)))


def _growth(at):
    return next(s for s in vega_specs(at)
                if any(r.get("what") == "||W_hh||" for r in spec_rows(s)))


def _cliff(at):
    return next(s for s in vega_specs(at) if {"w_lo", "log10_loss"} <= spec_fields(s))


def _maps(at):
    return [s for s in vega_specs(at) if "log10_w" in spec_fields(s)]


def _md(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def shown(at) -> bool:
    return any({"step", "_y"} <= spec_fields(s)
               and any(r.get("what") == "full run" for r in spec_rows(s)) for s in vega_specs(at))


def held_back(at):
    """Before the commit (test_flow): no loss, forensics, phases, Train or cliff."""
    assert not any(any(r.get("what") == "full run" for r in spec_rows(s)) for s in vega_specs(at))
    assert not _maps(at)
    labels = [m.label for m in at.metric]
    assert "first inf/NaN" not in labels and "first non-finite step" not in labels
    assert "run:** with W_hh frozen" not in _md(at) and "Phase 1" not in _md(at)
    assert not [b for b in at.button if b.key == "run_s2"]
    assert not [s for s in vega_specs(at) if "w_lo" in spec_fields(s)]


def committed(at):
    ev = SHIPPED["first_nonfinite"]
    assert any(f"turned non-finite at step {ev['step']}" in s.value for s in at.success)
    assert _metric(at, "first inf/NaN") == f"step {ev['step']}"


def snippet_reproduces(at, res):
    assert res["first_nonfinite"] == SHIPPED["first_nonfinite"]
    assert res["phases"]["growth_end"] == SHIPPED["phases"]["growth_end"]


def test_after_commit_loss_phases_forensics_and_claims_agree_with_the_run():
    at = commit(open_page(FILE), "s2", RIGHT)
    ev, ph = SHIPPED["first_nonfinite"], SHIPPED["phases"]
    rows = spec_rows(_loss(at))
    full = [r for r in rows if r.get("what") == "full run" and r.get("flag") is None]
    ctrl = [r for r in rows if r.get("what") == "W_hh frozen (control)"]
    assert max(r["step"] for r in full) == ev["step"] - 1  # finite up to the event
    assert len(ctrl) == SHIPPED["steps_asked"] and max(r["_y"] for r in ctrl) <= 2 * ctrl[0]["_y"]
    # the non-finite losses are their own legend entry, the step is named in the legend
    assert {r["step"] for r in rows if r.get("flag")} == set(range(ev["step"], len(SHIPPED["step"])))
    assert any(r.get("what") == f"first inf/NaN: step {ev['step']} (in the loss)" for r in rows)
    assert any(str(r.get("what", "")).startswith("chance 0.167") for r in rows)
    # the growth chart marks the end of W_hh's growth; the phases are read from the run
    grow = spec_rows(_growth(at))
    assert any(r.get("what") == f"W_hh stops growing: step {ph['growth_end']}" for r in grow)
    md = _md(at)
    after = ph["after"]
    assert f"Phase 1, steps 0 to {ph['growth_end']}: W_hh grows" in md
    assert f"Phase 2, steps {after['start']} to {after['end']}: the readout swings" in md
    assert f"At step {ev['step']} the loss passed float32's largest number" in md
    assert f"At step **{ev['step']}** the first non-finite number appeared" in md
    # run 4 + cliff 2 (+1 Jacobian inside its folded section)
    assert md.count("Checked in this run") == 7 and "Not in this run" not in md
    assert any(r.get("what") == "2: SGD's limit" for s in vega_specs(at) for r in spec_rows(s))


def test_the_weight_maps_are_square_with_nan_as_its_own_legend_entry():
    at = commit(open_page(FILE), "s2", RIGHT)
    maps = _maps(at)
    assert len(maps) == 3  # start, last finite, end
    for m in maps:
        view = m["hconcat"][0]
        assert view["width"] == view["height"]  # {"step": px}: square whatever the column
        fill = json.dumps(view, ensure_ascii=False)
        assert '"NaN: ' in fill and '"+inf: ' in fill and '"−inf: ' in fill
    first, last = ([r for r in spec_rows(m) if "status" in r] for m in (maps[0], maps[2]))
    assert len(last) == 32 * 32 and all(r["status"] == "NaN" for r in last)
    assert all(r["status"] == "finite" and math.isfinite(r["log10_w"]) for r in first)
    # one colour scale for all three maps
    domains = {json.dumps(m["hconcat"][0]["layer"][0]["encoding"]["color"]["scale"]["domain"])
               for m in maps}
    assert len(domains) == 1


def test_changed_settings_train_live_and_the_verdict_follows_the_new_run():
    at = open_page(FILE, {"T": "10", "steps": "20", "gain": "1.0", "cst": "10"})
    commit(at, "s2", "It stays finite but stalls near chance")
    no_exception(at)
    assert "Press Train below" in str(vega_specs(at)[0])
    steps = {r["step"] for r in spec_rows(_cliff(at)) if r.get("path") == "unclipped"}
    assert max(steps) == 10
    at.button(key="run_s2").click().run()
    no_exception(at)
    assert any("Trained live" in s.value for s in at.success)
    rows = spec_rows(_loss(at))
    assert len([r for r in rows if r.get("what") == "full run"]) == 20
    assert len([r for r in rows if r.get("what") == "W_hh frozen (control)"]) == 20
    assert any("No NaN or inf in 20 steps" in s.value for s in at.success)
    md = _md(at)
    assert "No growth phase" in md
    assert "Checked in this run:** at gain 1 nothing explodes" in md
    assert any("Right: It stays finite but stalls near chance" in s.value for s in at.success)


def test_links_restore_controls_presets_apply_and_the_cap_refuses():
    at = open_page(FILE, {"gain": "3.0", "T": "200", "opt": "Adam", "clr": "0.1",
                          "steps": "600", "H": "128"})
    no_exception(at)
    assert math.isclose(at.slider(key="gain").value, 3.0)
    assert at.slider(key="T").value == 200
    assert at.selectbox(key="opt").value == "adam"
    commit(at, "s2", RIGHT)
    assert math.isclose(at.slider(key="clr").value, 0.1)  # the cliff's, shown after the commit
    big = dict(gain=3.0, seq_len=200, hidden_size=128, optimizer="adam", steps=600)
    assert cost.estimate("exploding.blowup", big) > 30  # the one cost model says: over the cap
    assert at.button(key="run_s2").proto.disabled
    assert any("cap" in w.value for w in at.warning)
    calm = open_page(FILE, {"preset": "calm"})
    assert math.isclose(calm.slider(key="gain").value, 1.0)
    assert open_page(FILE).selectbox(key="preset").value == "explode"  # the defaults


def test_when_the_control_blows_up_too_the_page_says_w_hh_is_not_needed():
    at = commit(open_page(FILE, {"lr": "0.9", "gain": "0.5", "steps": "40"}), "s2", RIGHT)
    at.button(key="run_s2").click().run()
    no_exception(at)
    md = _md(at)
    assert "The control blew up too" in md
    assert "Not in this run:** with W_hh frozen" in md


def test_the_cliff_throws_the_path_and_links_the_clipping_page():
    at = commit(open_page(FILE), "s2", RIGHT)
    cliff = _cliff(at)
    assert {r["path"] for r in spec_rows(cliff) if "step" in r} == {"unclipped"}
    assert any(r.get("kind") == "exit" for r in spec_rows(cliff))
    links = [p.proto for p in at.get("page_link")]
    # 5a opens at its defaults, which are this cliff clipped (its "explode_clip" preset); an
    # in-app link's query would be dropped anyway (bound to this page's controls)
    assert any(p.page == "clipping" for p in links)
