import json
import math

from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs
from ui.demos import DEMO_DIR

FILE = "s5_gated.py"
SHIPPED = json.loads((DEMO_DIR / "gated.compare_cells.json").read_text())["result"]


def by_fields(specs, *fields):
    return [s for s in specs if set(fields) <= spec_fields(s)]


def test_opens_with_the_shipped_run_and_both_moments():
    at = open_page(FILE)
    no_exception(at)
    specs = vega_specs(at)
    bars = by_fields(specs, "cell", "log10 ratio", "moment")[0]
    rows = [r for r in spec_rows(bars) if "moment" in r]
    assert {r["moment"] for r in rows} == {"at initialisation", "after training"}
    assert {r["cell"] for r in rows} == {"tanh RNN", "LSTM", "GRU", "LSTM, forget bias 1"}
    # each bar is log10 of the shipped first/last ratio
    for rid, key, moment in [("lstm", "ratio_init", "at initialisation"),
                             ("gru", "ratio_final", "after training")]:
        label = SHIPPED["runs"][rid]["label"]
        got = next(r["log10 ratio"] for r in rows if r["cell"] == label and r["moment"] == moment)
        assert math.isclose(got, math.log10(SHIPPED["runs"][rid][key]), rel_tol=1e-6)
    heat = by_fields(specs, "cell", "lag", "training step")[0]
    T, n_probes = SHIPPED["seq_len"], len(SHIPPED["runs"]["rnn"]["probe_steps"])
    assert len([r for r in spec_rows(heat) if "lag" in r]) == 4 * n_probes * T
    gates = by_fields(specs, "f", "unit (sorted)", "moment")[0]
    assert len([r for r in spec_rows(gates) if "f" in r]) == 2 * T * 32
    assert by_fields(specs, "smoothed loss", "cell")  # the convergence curves
    assert any("precomputed" in i.value for i in at.info)


def test_the_shipped_run_shows_every_claim_checked():
    """Each claim of core.experiments.gated is drawn beside its chart, and holds."""
    from core.claims import claims_for
    from core.experiments.gated import compare_cells

    at = open_page(FILE)
    text = "\n".join(m.value for m in at.markdown)
    for c in claims_for(compare_cells.key):
        assert f"**Checked in this run:** {c.text}" in text, c.name
    assert "Not in this run" not in text
    # the forget bias's effect is computed from the run, not typed in
    lstm, fb1 = SHIPPED["runs"]["lstm"]["ratio_init"], SHIPPED["runs"]["lstm_fb1"]["ratio_init"]
    assert f"up by {math.log10(fb1 / lstm):.1f} orders" in text


def test_gate_view_switches_to_the_gru_update_gate():
    at = open_page(FILE)
    at.radio(key="gview").set_value("gru").run()
    no_exception(at)
    specs = vega_specs(at)
    assert by_fields(specs, "z", "unit (sorted)") and not by_fields(specs, "f", "unit (sorted)")


def test_new_settings_train_live_with_the_run_button():
    at = open_page(FILE, {"T": "20", "steps": "100", "H": "16"})
    no_exception(at)
    assert not by_fields(vega_specs(at), "cell", "lag", "training step")  # nothing until Run
    at.button(key="run_s5b").click().run()
    no_exception(at)
    heat = by_fields(vega_specs(at), "cell", "lag", "training step")[0]
    assert {r["lag"] for r in spec_rows(heat)} == set(range(20))
    assert any("Trained live" in s.value for s in at.success)


def test_links_restore_controls_refuse_over_the_cap_and_warn_on_bad_values():
    at = open_page(FILE, {"preset": "short"})
    no_exception(at)
    assert at.slider(key="T").value == 30 and at.slider(key="steps").value == 300
    big = open_page(FILE, {"T": "100", "H": "128", "steps": "1500", "lrg": "abc"})
    no_exception(big)
    assert big.slider(key="T").value == 100 and big.slider(key="steps").value == 1500
    assert any("cap" in w.value for w in big.warning)
    assert big.button(key="run_s5b").disabled
    assert any("Learning rate, LSTM and GRU" in w.value for w in big.warning)


def test_prediction_gives_a_verdict():
    at = open_page(FILE)
    at.radio(key="predict_s5b").set_value(
        "About as little: both lose many orders of magnitude").run()
    assert any("Right" in s.value for s in at.success)
