import math

import pytest

from core.experiments import why as exp
from tests.conftest import commit, no_exception, open_page, run_snippet, snippet_source
from tests.pages.charts import spec_fields, spec_rows, vega_specs
from ui.demos import shipped

FILE = "s3_why.py"
RIGHT = "It shrinks by orders of magnitude"


def _charts(at):
    by = {}
    for s in vega_specs(at):
        f = spec_fields(s)
        if "log10 |w|^k" in f:
            by["scalar"] = s
        elif {"real", "imag"} <= f:
            by["eig"] = s
        elif "log10 norm" in f and "activation" in f:
            by["acts"] = s
        elif "log10 norm" in f:
            by["lag"] = s
        elif {"gain", "T", "_shown"} <= f:
            by["phase"] = s
    return by


def _text(at) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption])


def _lag(at) -> tuple[dict, dict]:
    rows = spec_rows(_charts(at)["lag"])
    meas = {r["lag"]: r["log10 norm"] for r in rows if str(r.get("curve")).startswith("measured")}
    bound = {r["lag"]: r["log10 norm"] for r in rows if str(r.get("curve")).startswith("Pascanu")}
    return meas, bound


def shown(at) -> bool:
    return {"lag", "acts"} <= set(_charts(at))


def held_back(at):
    """Before the commit (test_flow): the eigenvalues and the phase map answer the question
    too, so only the scalar warm-up is drawn; no metric, no verdict."""
    assert set(_charts(at)) == {"scalar"}
    assert not any(m.label == "γ·σ_max" for m in at.metric)
    assert "bound grows (γσ_max > 1), yet the measured product shrinks" not in _text(at)
    assert "Verdict" not in _text(at) and not at.success


def committed(at):
    assert any(m.label == "γ·σ_max" and m.value == "1.500" for m in at.metric)


def test_after_commit_the_product_stays_under_the_bound_and_every_chart_is_right():
    at = commit(open_page(FILE), "s3", RIGHT)
    no_exception(at)
    assert len(at.latex) >= 3  # the BPTT chain written out
    by = _charts(at)
    assert set(by) == {"scalar", "eig", "lag", "phase", "acts"}
    meas, bound = _lag(at)
    assert len(meas) == len(bound) == 201
    assert all(meas[k] <= bound[k] + 1e-6 for k in meas)
    # the default makes the sufficient-vs-necessary point: bound grows, measurement vanishes
    assert bound[200] > 10 and meas[200] < -5
    # four activations on the same W_hh; the tanh line equals the main chart's measured line
    acts = [r for r in spec_rows(by["acts"]) if r.get("activation")]
    assert len({r["activation"] for r in acts}) == 4
    tanh_end = next(r["log10 norm"] for r in acts
                    if r["activation"].startswith("tanh") and r["lag"] == 200)
    assert tanh_end == pytest.approx(meas[200], abs=1e-6)
    # H = 32 eigenvalues, drawn on a square plane
    eig = [r for r in spec_rows(by["eig"]) if r.get("modulus") is not None]
    assert len(eig) == 32
    (plane,) = by["eig"]["hconcat"]
    assert plane["width"] == plane["height"]
    # phase diagram: every grid cell, with labels; the underflowed cell is its own entry
    cells = [r for r in spec_rows(by["phase"]) if "label" in r]
    assert len(cells) == len(exp.PHASE_RADII) * len(exp.PHASE_LENGTHS)
    assert {"vanishing", "exploding"} <= {r["regime"] for r in cells}
    assert "<-300" in {r["label"] for r in cells}
    assert "ratio underflowed to 0" in str(by["phase"])
    # scalar toy: your w = 0.9 at k = 100 is 100 log10 0.9
    rows = [r for r in spec_rows(by["scalar"]) if r.get("curve") == "your w = 0.90"]
    assert len(rows) == 101
    assert next(r for r in rows if r["k"] == 100)["log10 |w|^k"] == pytest.approx(
        100 * math.log10(0.9))


def test_sliders_redraw_the_theory_charts_at_once():
    at = commit(open_page(FILE), "s3", RIGHT)
    at.slider(key="val").set_value(0.9).run()  # no Run button: the chart follows the slider
    no_exception(at)
    assert any(m.label == "σ_max" and m.value == "0.900" for m in at.metric)
    meas, bound = _lag(at)
    assert bound[200] == pytest.approx(200 * math.log10(0.9), rel=1e-4)
    assert "so the bound itself **falls**" in _text(at)
    at.selectbox(key="act").set_value("sigmoid").run()  # not in core.models: own Jacobians
    no_exception(at)
    meas, bound = _lag(at)
    assert bound[200] == pytest.approx(200 * math.log10(0.9 * 0.25), rel=1e-4)
    assert all(meas[k] <= bound[k] + 1e-6 for k in meas)
    at.selectbox(key="which").set_value("radius").run()
    no_exception(at)
    eig = [r for r in spec_rows(_charts(at)["eig"]) if r.get("modulus") is not None]
    assert max(r["modulus"] for r in eig) == pytest.approx(0.9, rel=1e-5)
    at.slider(key="w").set_value(1.1).run()
    rows = [r for r in spec_rows(_charts(at)["scalar"]) if r.get("curve") == "your w = 1.10"]
    assert rows[-1]["log10 |w|^k"] == pytest.approx(100 * math.log10(1.1))
    at.selectbox(key="pact").set_value("relu").run()
    no_exception(at)
    assert "What this grid shows (ReLU)" in _text(at)


def test_links_and_presets_restore_controls_and_bad_values_warn():
    at = open_page(FILE, {"val": "2.5", "which": "radius", "act": "sigmoid", "T": "80"})
    no_exception(at)
    assert at.slider(key="val").value == pytest.approx(2.5)
    assert at.selectbox(key="which").value == "radius"
    assert at.selectbox(key="act").value == "sigmoid"
    commit(at, "s3", RIGHT)
    assert any(m.label == "spectral radius" and m.value == "2.500" for m in at.metric)
    assert len(_lag(at)[0]) == 81
    pre = open_page(FILE, {"preset": "sigmoid"})
    no_exception(pre)
    assert pre.selectbox(key="act").value == "sigmoid"
    assert pre.slider(key="val").value == pytest.approx(3.0)
    bad = open_page(FILE, {"val": "nan", "act": "<script>", "w": "99", "T": "-4"})
    no_exception(bad)
    assert bad.slider(key="val").value == pytest.approx(exp.matrix_case.defaults["value"])
    notes = " ".join(w.value for w in bad.warning)
    assert "σ_max of W_hh" in notes and "Activation" in notes and "Recurrent weight" in notes


def test_the_picker_names_the_preset_the_defaults_equal():
    at = open_page(FILE)
    assert at.selectbox(key="preset").value == "silent"
    at.slider(key="val").set_value(1.2).run()
    assert at.selectbox(key="preset").value == "custom"
    at.selectbox(key="preset").set_value("orth").run()
    no_exception(at)
    assert at.selectbox(key="kind").value == "orthogonal"
    assert at.selectbox(key="act").value == "linear"


def test_claims_band_edges_citation_and_readable_numbers():
    at = commit(open_page(FILE), "s3", RIGHT)
    no_exception(at)
    md = _text(at)
    assert md.count("Checked in this run") >= 9 and "Not in this run" not in md
    # the band edges come from the shipped phase diagram, not from typed prose
    pres = exp.phase_diagram(**exp.phase_diagram.defaults)
    lo, *_, hi = exp.stable_gains(pres)[10]
    assert f"T = 10: {lo:g} to {hi:g}" in md
    assert "Bengio, Simard & Frasconi (1994)" in md and "5(2)" in md
    assert "core.probes.GAMMA" not in md and "{'tanh'" not in md
    w = next(m for m in at.metric if m.label.startswith("w^"))
    assert w.value == "2.7e-5"  # 0.9^100, written as a reader writes it
    assert not any(s in md for s in ("1e-4.", "1e+3.", "1e-13."))
    from core.theory import pow10_text

    end = next(r for r in spec_rows(_charts(at)["lag"])
               if r.get("lag") == 200 and str(r.get("curve")).startswith("measured"))
    assert end["value"] == pow10_text(end["log10 norm"])  # the tooltip reads like a number


def test_relu_phase_and_presets_show_their_own_claims():
    at = commit(open_page(FILE, {"pact": "relu", "preset": "grow"}), "s3",
                "It grows by orders of magnitude")
    no_exception(at)
    assert any("Right" in s.value for s in at.success)
    md = _text(at)
    assert "with ReLU even gains up to 1.25 vanish" in md
    assert "Checked in this run:** with spectral radius 3 the product grows" in md
    assert "Not in this run" not in md
    orth = commit(open_page(FILE, {"preset": "orth"}), "s3", "It stays within a factor of 100")
    no_exception(orth)
    assert any("Right" in s.value for s in orth.success)
    assert "Checked in this run:** a linear RNN with an orthogonal W_hh" in _text(orth)


def test_the_snippets_run_and_give_the_page_result():
    at = commit(open_page(FILE), "s3", RIGHT)
    res = run_snippet(snippet_source(at, "matrix_case"))["res"]
    ref = shipped("why.matrix_case")["result"]
    assert res["log_norm"] == pytest.approx(ref["log_norm"], rel=1e-6, abs=1e-9)
    assert res["eta"] == pytest.approx(ref["eta"], rel=1e-6)
    res = run_snippet(snippet_source(at, "phase_diagram"))["res"]
    assert res["regime"] == shipped("why.phase_diagram")["result"]["regime"]
