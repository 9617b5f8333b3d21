import math

from tests.conftest import commit, no_exception, open_page, snippet_source
from tests.pages.charts import spec_fields, spec_rows, vega_specs
from ui.demos import shipped

FILE = "s1_vanishing.py"
RIGHT = "Less than a billionth"


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _profile(at) -> dict:
    return next(s for s in vega_specs(at) if "norm" in spec_fields(s))


def shown(at) -> bool:
    return any("norm" in spec_fields(s) for s in vega_specs(at))


def held_back(at):
    """Before the commit (test_flow): only the w^k warm-up is drawn, no metric, no claim."""
    assert [spec_fields(s) >= {"k", "w^k"} for s in vega_specs(at)][1:] == [True]
    assert not at.metric or "first / last" not in [m.label for m in at.metric]
    assert "Checked in this run:** less than a billionth" not in _text(at)


def committed(at):
    assert "first / last" in [m.label for m in at.metric]


def snippet_reproduces(at, res):
    want = shipped("vanishing.gradient_profile")["result"]["ratio"]
    assert math.isclose(res["ratio"], want, rel_tol=1e-5)


def test_after_commit_the_profile_and_the_bound():
    at = commit(open_page(FILE), "s1", RIGHT)
    profile = _profile(at)
    kinds = {r["kind"] for r in spec_rows(profile)}
    assert kinds == {"measured ||dL/dh_t||", "Pascanu bound (σ_max·γ)^lag"}
    rows = [r for r in spec_rows(profile) if r["kind"].startswith("measured")]
    assert len(rows) == 100
    first = next(r["norm"] for r in rows if r["t"] == 0)
    last = next(r["norm"] for r in rows if r["t"] == 99)
    assert first < 1e-10 * last


def test_every_chart_follows_the_chosen_T():
    at = open_page(FILE)
    at.slider(key="T").set_value(30).run()
    commit(at, "s1", "10 to a billion times less")
    no_exception(at)
    rows = [r for r in spec_rows(_profile(at)) if r["kind"].startswith("measured")]
    assert len(rows) == 30
    shares = next(s for s in vega_specs(at) if "contribution" in spec_fields(s))
    assert len(spec_rows(shares)) == 30
    lag = next(s for s in vega_specs(at) if "lag" in spec_fields(s))
    assert max(r["lag"] for r in spec_rows(lag)) == 29  # training follows T up to 40
    at.selectbox(key="cell").set_value("lstm").run()
    no_exception(at)
    assert {r["kind"] for r in spec_rows(_profile(at))} == {"measured ||dL/dh_t||"}


def test_w_to_the_k_slider_moves_the_number_at_once():
    at = open_page(FILE)
    at.slider(key="w").set_value(1.1).run()
    no_exception(at)
    metric = next(m for m in at.metric if m.label.startswith("w^T"))
    assert metric.value == "1.4e+4"  # 1.1 ** 100 = 13780.6
    wk = next(s for s in vega_specs(at) if "w^k" in spec_fields(s))
    assert len(spec_rows(wk)) == 101


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


def test_presets_from_links_and_the_picker_names_the_defaults():
    at = open_page(FILE, {"preset": "orth"})
    no_exception(at)
    assert at.selectbox(key="init").value == "orthogonal"
    at = open_page(FILE, {"preset": "long300"})
    assert at.selectbox(key="preset").value == "long300"
    assert at.slider(key="T").value == 300
    at = open_page(FILE)
    assert at.selectbox(key="preset").value == "vanish100"  # the defaults are this preset
    at.slider(key="T").set_value(120).run()
    assert at.selectbox(key="preset").value == "custom"


def test_claims_are_checked_beside_the_charts():
    at = commit(open_page(FILE), "s1", RIGHT)
    no_exception(at)
    md = _text(at)
    assert md.count("Checked in this run") >= 9  # profile, units, weight shares, training
    assert "Not in this run" not in md
    assert "σ_max·γ is above 1" in md  # the default W_hh: the bound says nothing
    assert "the length, not the step budget" in md  # the T = 5 control learned
    from core.experiments import vanishing as exp

    crit = 1 / exp.gradient_profile(**exp.gradient_profile.defaults)["sigma_max"]
    assert f"falls once the gain is below {crit:.2f}" in md


def test_bound_bites_preset_says_the_bound_falls():
    at = commit(open_page(FILE, {"preset": "bites"}), "s1", RIGHT)
    no_exception(at)
    assert math.isclose(at.slider(key="gain").value, 0.8)
    md = _text(at)
    assert "below 1, so the bound itself **falls**" in md


def test_short_sequence_gets_its_own_verdict_and_an_honest_claim():
    at = open_page(FILE, {"T": "10"})
    commit(at, "s1", "10 to a billion times less")
    assert any("Right" in s.value for s in at.success)
    assert "Not in this run:** less than a billionth" in _text(at)  # T = 10 keeps more


def test_a_preset_sets_controls_that_instructor_mode_hides():
    at = open_page(FILE)
    at.toggle(key="instructor").set_value(True).run()
    at.selectbox(key="preset").set_value("orth").run()
    no_exception(at)
    assert "init='orthogonal'" in snippet_source(at, "gradient_profile")  # the init control is hidden, the preset still applies
