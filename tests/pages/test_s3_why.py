import math

import pytest

from core.experiments import why as exp
from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs

FILE = "s3_why.py"


def _charts(at):
    specs = vega_specs(at)
    by = {}
    for s in specs:
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


def test_opens_with_all_four_charts_and_right_numbers():
    at = open_page(FILE)
    no_exception(at)
    assert len(at.latex) >= 3  # the BPTT chain written out
    by = _charts(at)
    assert set(by) == {"scalar", "eig", "lag", "phase", "acts"}
    # four activations on the same W_hh; the tanh line equals the main chart's measured line
    acts = [r for r in spec_rows(by["acts"]) if r.get("activation")]
    assert len({r["activation"] for r in acts}) == 4
    tanh_end = next(r["log10 norm"] for r in acts
                    if r["activation"].startswith("tanh") and r["lag"] == 200)
    # scalar toy: your w = 0.9 at k = 100 is 100 log10 0.9
    rows = [r for r in spec_rows(by["scalar"]) if r.get("curve") == "your w = 0.90"]
    assert len(rows) == 101
    assert next(r for r in rows if r["k"] == 100)["log10 |w|^k"] == pytest.approx(
        100 * math.log10(0.9))
    # matrix case: H = 32 eigenvalues, measured curve never above the Pascanu bound
    eig = [r for r in spec_rows(by["eig"]) if "modulus" in r and r.get("modulus") is not None]
    assert len(eig) == 32
    lag = spec_rows(by["lag"])
    meas = {r["lag"]: r["log10 norm"] for r in lag if str(r.get("curve")).startswith("measured")}
    bound = {r["lag"]: r["log10 norm"] for r in lag if str(r.get("curve")).startswith("Pascanu")}
    assert len(meas) == len(bound) == 201
    assert all(meas[k] <= bound[k] + 1e-6 for k in meas)
    # the default makes the sufficient-vs-necessary point: bound grows, measurement vanishes
    assert bound[200] > 10 and meas[200] < -5
    assert tanh_end == pytest.approx(meas[200], abs=1e-6)
    # phase diagram: every grid cell, with labels
    cells = [r for r in spec_rows(by["phase"]) if "label" in r]
    assert len(cells) == len(exp.PHASE_RADII) * len(exp.PHASE_LENGTHS)
    assert {"vanishing", "exploding"} <= {r["regime"] for r in cells}


def test_controls_re_render_scalar_matrix_and_phase():
    at = open_page(FILE)
    at.slider(key="w").set_value(1.1).run()
    no_exception(at)
    rows = [r for r in spec_rows(_charts(at)["scalar"]) if r.get("curve") == "your w = 1.10"]
    assert rows[-1]["log10 |w|^k"] == pytest.approx(100 * math.log10(1.1))
    at.slider(key="val").set_value(0.9).run()
    no_exception(at)
    assert any("guaranteed to vanish" in s.value for s in at.success)
    assert any("sigma_max" in m.label and m.value == "0.900" for m in at.metric)
    at.selectbox(key="act").set_value("sigmoid").run()  # not in core.models: own Jacobians
    no_exception(at)
    bound = [r for r in spec_rows(_charts(at)["lag"]) if str(r.get("curve")).startswith("Pascanu")]
    assert max(r["lag"] for r in bound) == 200
    assert next(r for r in bound if r["lag"] == 200)["log10 norm"] == pytest.approx(
        200 * math.log10(0.9 * 0.25), rel=1e-4)
    at.selectbox(key="pact").set_value("relu").run()
    no_exception(at)
    assert "ReLU" in " ".join(c.value for c in at.caption)


def test_prediction_verdict_follows_the_measurement():
    at = open_page(FILE)
    at.radio(key="predict_s3").set_value("It shrinks by orders of magnitude").run()
    assert any("Right" in s.value for s in at.success)
    at.radio(key="predict_s3").set_value("It grows by orders of magnitude").run()
    assert any("Not quite" in w.value for w in at.warning)


def test_links_and_presets_restore_controls_and_bad_values_warn():
    at = open_page(FILE, {"val": "2.5", "which": "radius", "act": "sigmoid", "T": "80"})
    no_exception(at)
    assert at.slider(key="val").value == pytest.approx(2.5)
    assert at.selectbox(key="which").value == "radius"
    assert at.selectbox(key="act").value == "sigmoid"
    assert any(m.label == "spectral radius" and m.value == "2.500" for m in at.metric)
    pre = open_page(FILE, {"preset": "sigmoid"})
    no_exception(pre)
    assert pre.selectbox(key="act").value == "sigmoid"
    assert pre.slider(key="val").value == pytest.approx(3.0)
    bad = open_page(FILE, {"val": "nan", "act": "<script>", "w": "99", "T": "-4"})
    no_exception(bad)
    assert bad.slider(key="val").value == pytest.approx(exp.matrix_case.defaults["value"])
    notes = " ".join(w.value for w in bad.warning)
    assert "to the value" in notes and "Activation" in notes and "Recurrent weight" in notes


def _text(at) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption])


def test_claims_band_edges_citation_and_readable_numbers():
    at = open_page(FILE)
    no_exception(at)
    md = _text(at)
    assert md.count("Checked in this run") >= 9 and "Not in this run" not in md
    # the band edges come from the shipped phase diagram, not from typed prose
    pres = exp.phase_diagram(**exp.phase_diagram.defaults)
    lo, *_, hi = exp.stable_gains(pres)[10]
    assert f"T = 10: {lo:g} to {hi:g}" in md
    assert "hugs gain" not in md
    assert "Bengio, Simard & Frasconi (1994)" in md and "5(2)" in md
    assert "the first analysis" not in md
    assert "core.probes.GAMMA" not in md and "{'tanh'" not in md
    w = next(m for m in at.metric if m.label.startswith("w^"))
    assert w.value == "2.7e-5"  # 0.9^100, written as a reader writes it
    assert not any(s in md for s in ("1e-4.", "1e+3.", "1e-13."))
    from core.theory import pow10_text

    end = next(r for r in spec_rows(_charts(at)["lag"])
               if r.get("lag") == 200 and str(r.get("curve")).startswith("measured"))
    assert end["value"] == pow10_text(end["log10 norm"])  # the tooltip reads like a number


def test_relu_phase_and_presets_show_their_own_claims():
    at = open_page(FILE, {"pact": "relu", "preset": "grow"})
    no_exception(at)
    md = _text(at)
    assert "with ReLU even gains up to 1.25 vanish" in md
    assert "Checked in this run:** with spectral radius 3 the product grows" in md
    assert "Not in this run" not in md
    orth = open_page(FILE, {"preset": "orth"})
    no_exception(orth)
    assert "Checked in this run:** a linear RNN with an orthogonal W_hh" in _text(orth)
