import math

from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs

FILE = "s1_vanishing.py"


def test_opens_with_both_main_charts_and_the_bound():
    at = open_page(FILE)
    no_exception(at)
    specs = vega_specs(at)
    assert len(specs) >= 4
    profile = specs[0]
    assert {"t", "norm", "kind"} <= spec_fields(profile)
    kinds = {r["kind"] for r in spec_rows(profile)}
    assert kinds == {"measured ||dL/dh_t||", "Pascanu bound (sigma_max * gamma)^lag"}
    assert {"t", "unit", "_shown"} <= spec_fields(specs[1])  # the heatmap
    rows = [r for r in spec_rows(profile) if r["kind"].startswith("measured")]
    assert len(rows) == 100
    # vanishing: the first step hears far less than the last
    first = next(r["norm"] for r in rows if r["t"] == 0)
    last = next(r["norm"] for r in rows if r["t"] == 99)
    assert first < 1e-10 * last


def test_changing_controls_re_renders_with_a_live_run():
    at = open_page(FILE)
    at.slider(key="T").set_value(30).run()
    no_exception(at)
    rows = [r for r in spec_rows(vega_specs(at)[0]) if r["kind"].startswith("measured")]
    assert len(rows) == 30
    at.selectbox(key="cell").set_value("lstm").run()
    no_exception(at)
    kinds = {r["kind"] for r in spec_rows(vega_specs(at)[0])}
    assert kinds == {"measured ||dL/dh_t||"}  # no Pascanu bound for a gated cell


def test_link_values_restore_controls_and_bad_ones_warn():
    at = open_page(FILE, {"T": "60", "gain": "0.5", "cell": "GRU"})
    no_exception(at)
    assert at.slider(key="T").value == 60
    assert math.isclose(at.slider(key="gain").value, 0.5)
    assert at.selectbox(key="cell").value == "gru"
    bad = open_page(FILE, {"T": "-5", "gain": "nan", "cell": "<b>x</b>", "H": "1e9"})
    no_exception(bad)
    assert bad.slider(key="T").value == 100
    notes = " ".join(w.value for w in bad.warning)
    assert "Sequence length T" in notes and "Recurrent gain" in notes and "Cell" in notes


def test_preset_link_applies_its_settings():
    at = open_page(FILE, {"preset": "orth"})
    no_exception(at)
    assert at.selectbox(key="init").value == "orthogonal"


def test_prediction_gives_a_verdict():
    at = open_page(FILE)
    at.radio(key="predict_s1").set_value("Less than a billionth").run()
    assert any("Right" in s.value for s in at.success)


def test_preset_link_shows_the_preset_in_the_picker():
    at = open_page(FILE, {"preset": "long300"})
    no_exception(at)
    assert at.selectbox(key="preset").value == "long300"
    assert at.slider(key="T").value == 300


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_claims_are_checked_beside_the_charts():
    at = open_page(FILE)
    no_exception(at)
    md = _text(at)
    assert md.count("Checked in this run") >= 9  # profile, units, weight shares, training
    assert "Not in this run" not in md
    assert "σ_max·γ is above 1" in md  # the default W_hh: the bound says nothing
    assert "the length, not the step budget" in md  # the T = 5 control learned
    # the gain at which the bound starts to bite comes from the run: 1 / sigma_max at gain 1
    from core.experiments import vanishing as exp

    crit = 1 / exp.gradient_profile(**exp.gradient_profile.defaults)["sigma_max"]
    assert f"falls once the gain is below {crit:.2f}" in md


def test_bound_bites_preset_says_the_bound_falls():
    at = open_page(FILE, {"preset": "bites"})
    no_exception(at)
    assert math.isclose(at.slider(key="gain").value, 0.8)
    md = _text(at)
    assert "σ_max·γ is below 1" in md and "Checked in this run" in md
    assert "below 1, so the bound itself **falls**" in md


def test_short_sequence_gets_its_own_verdict_and_an_honest_claim():
    at = open_page(FILE, {"T": "10"})
    no_exception(at)
    assert "Not in this run:** less than a billionth" in _text(at)  # T = 10 keeps more
    at.radio(key="predict_s1").set_value("Between 10 and a billion times less").run()
    assert any("Right" in s.value for s in at.success)
