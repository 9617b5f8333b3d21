import json
import math

from tests.conftest import commit, no_exception, open_page
from tests.pages.charts import spec_fields, spec_rows, vega_specs
from ui.demos import shipped

FILE = "s5_clipping.py"
SHIPPED = shipped("clipping.compare")["result"]
BLOWUP = shipped("exploding.blowup")["result"]
CLIFF = shipped("clipping.cliff_compare")["result"]
RIGHT = "It survives but stalls near chance"


def _find(at, fields):
    return [s for s in vega_specs(at) if fields <= spec_fields(s)]


def _loss(at):
    return next((s for s in vega_specs(at)
                 if any(r.get("what") == "no clipping" for r in spec_rows(s))), None)


def _vectors(at):
    spec = _find(at, {"x0", "y0", "vector"})[0]
    return {r["vector"]: (r["x"], r["y"]) for r in spec_rows(spec) if "x0" in r}


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _md(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def shown(at) -> bool:
    return _loss(at) is not None


def held_back(at):
    """Before the commit (test_flow): no histogram, no sweep, no claim, no metric; the vector
    demo does not give the answer away and is there at once, the cliff's clipped path does
    (it survives), so it waits for the commit."""
    assert not _find(at, {"from", "to", "steps"})
    assert not _find(at, {"threshold", "final_loss"})
    assert "run:** the clipped run stays finite" not in _md(at)
    assert "steps clipped" not in [m.label for m in at.metric]
    assert _vectors(at)["value-clipped"] == (1.0, 1.0)
    assert not _find(at, {"w_lo", "log10_loss"})


def snippet_reproduces(at, res):
    assert res["none"]["first_nonfinite"] == SHIPPED["none"]["first_nonfinite"]
    assert math.isclose(res["clipped"]["final_loss"], SHIPPED["clipped"]["final_loss"],
                        rel_tol=1e-5)


def test_after_commit_the_rescue_its_norms_the_sweep_and_every_claim():
    at = commit(open_page(FILE), "s5", RIGHT)
    no_exception(at)
    assert any(f"Right: {RIGHT}" in s.value for s in at.success)
    ev = SHIPPED["none"]["first_nonfinite"]
    assert ev == BLOWUP["first_nonfinite"]  # the same run as section 2's, the same step
    rows = spec_rows(_loss(at))
    none = [r for r in rows if r.get("what") == "no clipping" and not r.get("flag")]
    clipped = [r for r in rows if r.get("what") == "norm clipping, c = 1"]
    assert max(r["step"] for r in none) == ev["step"] - 1 and len(clipped) == 200
    assert any(r.get("what") == f"unclipped run: inf/NaN at step {ev['step']}" for r in rows)
    assert _metric(at, "unclipped: first inf/NaN") == f"step {ev['step']}"
    share = sum(g > 1.0 for g in SHIPPED["clipped"]["grad_norm"]) / 200
    assert _metric(at, "steps clipped") == f"{100 * share:.0f}%"
    # histogram: counts sum to the steps, the threshold and the band named in the legend
    hist = _find(at, {"from", "to", "steps"})[0]
    assert sum(r["steps"] for r in spec_rows(hist) if "steps" in r) == 200
    assert any(r.get("what") == "your threshold c = 1" for r in spec_rows(hist))
    mean = SHIPPED["clipped"]["mean_norm"]
    band = next(r for r in spec_rows(hist) if str(r.get("what", "")).startswith("Pascanu"))
    assert math.isclose(band["from"], 0.5 * mean) and math.isclose(band["to"], 10 * mean)
    top = json.dumps(hist["layer"][1]["encoding"]["y"]["scale"]["domain"])
    assert json.loads(top)[1] >= max(r["steps"] for r in spec_rows(hist) if "steps" in r)
    sweep = _find(at, {"threshold", "final_loss"})[0]
    assert len([r for r in spec_rows(sweep) if "share_clipped" in r]) == 6
    md = _md(at)
    assert md.count("Checked in this run") == 10  # vector 1, compare 3, sweep 3, cliff 3
    assert "Not in this run" not in md
    assert f"largest gradient it meets is {max(CLIFF['clipped']['grad_norm']):.3g}" in md


def test_the_vector_turns_at_its_default_and_follows_its_sliders_at_once():
    at = open_page(FILE)
    v = _vectors(at)
    assert v["original gradient"] == (3.0, 1.0)
    assert math.isclose(v["norm-clipped"][0], 3 / math.sqrt(10), abs_tol=1e-6)
    assert v["value-clipped"] == (1.0, 1.0)
    assert _metric(at, "value clip: turn") == "26.57°"  # 45 - atan(1/3) in degrees
    legend = {r.get("what") for r in spec_rows(_find(at, {"x0", "y0", "vector"})[0])}
    assert "value-clipped: turned 26.6°" in legend  # the turn is named, and drawn as an arc
    assert "(3, 0.1) with c = 1 becomes (1, 0.1), a turn of only 3.8 degrees" in _md(at)
    at.slider(key="vy").set_value(2.0).run()  # no Run button: the picture follows
    no_exception(at)
    v = _vectors(at)
    assert v["value-clipped"] == (1.0, 1.0)
    assert math.isclose(v["norm-clipped"][1] / v["norm-clipped"][0], 2 / 3, rel_tol=1e-9)
    assert _metric(at, "value clip: turn") == f"{45 - math.degrees(math.atan2(2, 3)):.2f}°"


def test_the_cliff_follows_its_start_and_its_threshold():
    at = commit(open_page(FILE, {"kc": "50"}), "s5", RIGHT)
    no_exception(at)
    # c = 50: the clipped path meets the same huge gradient, its step capped at lr x c = 2.5
    assert _metric(at, "clipped: longest step") == "2.5"
    assert float(_metric(at, "unclipped: longest step")) > 10
    md = _md(at)
    assert "Not in this run:** on this start the clipped path never meets" in md
    at.slider(key="kw").set_value(10.65)
    at.slider(key="kb").set_value(-0.8).run()
    no_exception(at)
    cliff = _find(at, {"w_lo", "log10_loss"})[0]
    start = next(r for r in spec_rows(cliff) if r.get("label") == "start")
    assert (start["w"], start["b"]) == (10.65, -0.8)
    (pick,) = cliff["params"]  # clicking a cell of the surface selects its (w, b)
    assert pick["name"] == "start" and pick["select"]["fields"] == ["w", "b"]


def test_a_click_on_the_surface_becomes_the_start():
    from ui.words_cliff import pick_start

    assert pick_start([{"w": 10.644, "b": -0.81}]) == (10.65, -0.8)
    assert pick_start({"w": [4.0], "b": [-3.0]}) == (4.0, -3.0)
    assert pick_start([]) is None and pick_start({}) is None
    assert pick_start([{"w": float("nan"), "b": 0.0}]) is None


def test_value_clipping_trains_live():
    at = open_page(FILE, {"clip": "value", "thr": "0.1", "steps": "50", "T": "10"})
    commit(at, "s5", RIGHT)
    assert "Press Train both below" in str(vega_specs(at)[0])
    at.button(key="run_s5").click().run()
    no_exception(at)
    runs = {r.get("what") for r in spec_rows(_loss(at))}
    assert {"no clipping", "value clipping, c = 0.1"} <= runs


def test_links_restore_controls_and_presets_apply():
    assert open_page(FILE).selectbox(key="preset").value == "explode_clip"  # the defaults
    at = open_page(FILE, {"preset": "loose"})
    assert math.isclose(at.slider(key="thr").value, 10.0)
    link = open_page(FILE, {"clip": "value", "thr": "0.5", "vx": "-2", "klr": "0.1"})
    no_exception(link)
    assert link.selectbox(key="clip").value == "value"
    assert math.isclose(link.slider(key="thr").value, 0.5)
    assert math.isclose(link.slider(key="vx").value, -2.0)
    commit(link, "s5", RIGHT)
    assert math.isclose(link.slider(key="klr").value, 0.1)
