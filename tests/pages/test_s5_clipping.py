import json
import math

from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs
from ui.demos import DEMO_DIR

FILE = "s5_clipping.py"
SHIPPED = json.loads((DEMO_DIR / "clipping.compare.json").read_text())["result"]
CLIFF = json.loads((DEMO_DIR / "clipping.cliff_compare.json").read_text())["result"]


def _find(at, fields, without=()):
    return [s for s in vega_specs(at)
            if fields <= spec_fields(s) and not set(without) & spec_fields(s)]


def _vectors(at):
    spec = _find(at, {"x0", "y0", "vector"})[0]
    return {r["vector"]: (r["x"], r["y"]) for r in spec_rows(spec) if "x0" in r}


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_opens_with_vectors_loss_overlay_histogram_sweep_and_cliff():
    at = open_page(FILE)
    no_exception(at)
    v = _vectors(at)
    assert v["original gradient"] == (3.0, 1.0)
    assert math.isclose(v["norm-clipped"][0], 3 / math.sqrt(10), abs_tol=1e-6)
    assert math.isclose(v["norm-clipped"][1], 1 / math.sqrt(10), abs_tol=1e-6)
    assert v["value-clipped"] == (1.0, 1.0)
    assert _metric(at, "value clip: turn") == "26.57°"  # 45 - atan(1/3) in degrees
    md = _markdown(at)
    assert "(3, 0.1) with c = 1 becomes (1, 0.1), a turn of only 3.8 degrees" in md
    # every claim on the page holds for the shipped runs: vector 1, compare 3, sweep 3, cliff 3
    assert md.count("Checked in this run") == 10
    assert "Not in this run" not in md
    assert "spikes a thousand-fold" not in md and "meets the same gradient" not in md
    assert f"largest gradient it meets is {max(CLIFF['clipped']['grad_norm']):.3g}" in md
    # loss with and without clipping, overlaid, with the unclipped run's NaN step marked
    loss = _find(at, {"step", "loss", "run"})[0]
    runs = {r["run"] for r in spec_rows(loss) if "run" in r}
    assert runs == {"no clipping", "norm clipping, c = 1"}
    ev = SHIPPED["none"]["first_nonfinite"]
    none_steps = [r["step"] for r in spec_rows(loss) if r.get("run") == "no clipping"]
    clip_steps = [r["step"] for r in spec_rows(loss) if r.get("run", "").startswith("norm")]
    assert max(none_steps) == ev["step"] - 1 and max(clip_steps) == 199
    assert any(f"step {ev['step']}" in str(r.get("label", "")) for r in spec_rows(loss))
    # histogram of pre-clip norms: counts sum to the steps, threshold line at 1, heuristic band
    hist = _find(at, {"from", "to", "steps"})[0]
    bins = [r for r in spec_rows(hist) if "steps" in r]
    assert sum(r["steps"] for r in bins) == 200
    rows = spec_rows(hist)
    assert any(r.get("label") == "threshold 1" for r in rows)
    mean = SHIPPED["clipped"]["mean_norm"]
    band = next(r for r in rows if str(r.get("label", "")).startswith("Pascanu heuristic"))
    assert math.isclose(band["from"], 0.5 * mean, rel_tol=1e-6)
    assert math.isclose(band["to"], 10 * mean, rel_tol=1e-6)
    share = sum(g > 1.0 for g in SHIPPED["clipped"]["grad_norm"]) / 200
    assert _metric(at, "steps clipped") == f"{100 * share:.0f}%"
    # the threshold sweep and the two cliff maps
    sweep = _find(at, {"threshold", "shown"})[0]
    assert len([r for r in spec_rows(sweep) if "shown" in r]) == 6
    cliffs = _find(at, {"w_lo", "log10_loss"})
    assert len(cliffs) == 2
    kinds = [{r.get("kind") for r in spec_rows(c)} for c in cliffs]
    assert "exit" in kinds[0] and "exit" not in kinds[1]  # only the unclipped one is thrown
    at.radio(key="predict_s5").set_value(
        "It trains without blowing up, but the loss stays near chance (0.167)").run()
    assert any("Right" in s.value for s in at.success)
    assert not any("1e36" in s.value for s in at.success)


def test_controls_re_render_and_value_clipping_trains_live():
    at = open_page(FILE)
    at.slider(key="vy").set_value(2.0)
    at.slider(key="kc").set_value(50.0)
    at.selectbox(key="clip").set_value("value")
    at.slider(key="thr").set_value(0.1)
    at.slider(key="steps").set_value(50)
    at.slider(key="T").set_value(10).run()
    no_exception(at)
    v = _vectors(at)
    assert v["value-clipped"] == (1.0, 1.0)
    assert math.isclose(v["norm-clipped"][1] / v["norm-clipped"][0], 2 / 3, rel_tol=1e-9)
    # c = 50: the clipped path meets the same huge gradient as the unclipped one, its step is
    # capped at exactly learning rate x c = 0.05 x 50, and the page says so
    longest = [m.value for m in at.metric if m.label == "longest step"]
    assert longest[1] == "2.5" and float(longest[0]) > 10
    biggest = [m.value for m in at.metric if m.label == "largest gradient"]
    assert biggest[0] == biggest[1]
    md = _markdown(at)
    assert "Not in this run:** on this start the clipped path never meets" in md
    assert f"Here it meets a gradient of {biggest[1]} too" in md
    assert "Checked in this run:** value clipping turns this gradient" in md  # 11.3 degrees
    assert any("Train both" in i.value for i in at.info)
    at.button(key="run_s5").click().run()
    no_exception(at)
    loss = _find(at, {"step", "loss", "run"})[0]
    runs = {r["run"] for r in spec_rows(loss) if "run" in r}
    assert runs == {"no clipping", "value clipping, c = 0.1"}


def test_links_restore_controls_and_presets_apply():
    at = open_page(FILE, {"preset": "loose"})
    no_exception(at)
    assert math.isclose(at.slider(key="thr").value, 10.0)
    link = open_page(FILE, {"clip": "value", "thr": "0.5", "vx": "-2", "klr": "0.1"})
    no_exception(link)
    assert link.selectbox(key="clip").value == "value"
    assert math.isclose(link.slider(key="thr").value, 0.5)
    assert math.isclose(link.slider(key="vx").value, -2.0)
    assert math.isclose(link.slider(key="klr").value, 0.1)
