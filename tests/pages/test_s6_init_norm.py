import json
import math

import numpy as np

from tests.conftest import no_exception, open_page, spec_fields, spec_rows, vega_specs
from ui.demos import DEMO_DIR

FILE = "s6_init_norm.py"
INIT = json.loads((DEMO_DIR / "init_norm.init_schemes.json").read_text())["result"]
NORM = json.loads((DEMO_DIR / "init_norm.norm_compare.json").read_text())["result"]


def by_fields(specs, *fields):
    return [s for s in specs if set(fields) <= spec_fields(s)]


def rows_with(spec, field):
    return [r for r in spec_rows(spec) if field in r]


def test_opens_with_spectra_gradients_and_normalisation_charts():
    at = open_page(FILE)
    no_exception(at)
    specs = vega_specs(at)
    sv = rows_with(by_fields(specs, "rank", "singular value", "start")[0], "singular value")
    H = len(INIT["runs"]["default"]["sv_init"])
    assert len(sv) == 6 * 2 * H  # six starts, two moments
    ortho = [r["singular value"] for r in sv
             if r["start"] == "Orthogonal (tanh RNN)" and r["moment"] == "at initialisation"]
    assert np.allclose(ortho, 1.0)
    lag = rows_with(by_fields(specs, "lag", "log10 grad", "start")[0], "log10 grad")
    T = INIT["seq_len"]
    got = [r["log10 grad"] for r in lag
           if r["start"] == "PyTorch default (tanh RNN)" and r["moment"] == "at initialisation"]
    np.testing.assert_allclose(got, INIT["runs"]["default"]["grad_init"], rtol=1e-9)
    assert len(got) == T
    heat = by_fields(specs, "normalisation", "lag", "training step")[0]
    n = len(NORM["runs"]["none"]["probe_steps"])
    assert len(rows_with(heat, "lag")) == 3 * n * NORM["seq_len"]
    assert {r["normalisation"] for r in rows_with(heat, "lag")} == {
        "No normalisation", "Layer norm", "Recurrent batch norm"}
    assert by_fields(specs, "RMS of h_t", "moment")
    assert len(by_fields(specs, "smoothed loss")) == 2  # a loss chart in each part
    assert any("honest verdict" in m.value.lower() for m in at.markdown)


def test_the_shipped_runs_show_their_claims_checked():
    """Every claim that speaks about the default settings is drawn, and holds."""
    from core.claims import claims_for
    from core.experiments import init_norm

    at = open_page(FILE)
    text = "\n".join(m.value for m in at.markdown)
    for fn in (init_norm.init_schemes, init_norm.norm_compare):
        for c in claims_for(fn.key):
            if c.applies_to(fn.defaults):
                assert f"**Checked in this run:** {c.text}" in text, c.name
    assert "Not in this run" not in text
    assert "Six starts" in text and "1 ·" not in at.header[0].value


def test_prediction_uses_the_measured_best_start():
    at = open_page(FILE)
    ratios = {s: INIT["runs"][s]["ratio_init"] for s in ("default", "xavier", "orthogonal",
                                                        "identity")}
    best = max(ratios, key=ratios.get)
    assert best == "identity"  # IRNN keeps the most gradient at gain 1 (measured)
    at.radio(key="predict_s6_init").set_value("Identity (IRNN, ReLU)").run()
    assert any("Right" in s.value for s in at.success)
    # the normalisation question is scored against the shipped run's final losses
    solved = [NORM["runs"][n]["final_loss"] < 0.05 for n in ("layer", "batch")]
    assert solved == [False, False]
    at.radio(key="predict_s6_norm").set_value("Only with layer norm").run()
    assert any("Not quite" in w.value for w in at.warning)
    at.radio(key="predict_s6_norm").set_value("No, neither gets there").run()
    assert sum("Right" in s.value for s in at.success) == 2


def test_gain_change_needs_a_run_and_the_norm_part_runs_live():
    at = open_page(FILE, {"gain": "0.8", "nT": "20", "nsteps": "50", "nH": "16"})
    no_exception(at)
    assert math.isclose(at.slider(key="gain").value, 0.8)
    specs = vega_specs(at)
    assert not by_fields(specs, "rank", "singular value")  # gain 0.8 is not precomputed
    assert not by_fields(specs, "normalisation", "lag")
    at.button(key="run_s6_norm").click().run()
    no_exception(at)
    heat = by_fields(vega_specs(at), "normalisation", "lag", "training step")[0]
    assert {r["lag"] for r in rows_with(heat, "lag")} == set(range(20))


def test_links_presets_caps_and_bad_values():
    at = open_page(FILE, {"preset": "lstm_norm"})
    no_exception(at)
    assert at.selectbox(key="ncell").value == "lstm" and at.slider(key="nT").value == 40
    assert at.slider(key="nsteps").value == 100
    assert math.isclose(at.number_input(key="nlr").value, 0.01)
    big = open_page(FILE, {"nT": "100", "nH": "128", "nsteps": "600", "gain": "inf",
                           "ncell": "LSTM"})
    no_exception(big)
    assert big.button(key="run_s6_norm").disabled
    assert any("cap" in w.value and "step loop" in w.value for w in big.warning)
    assert any("Recurrent gain" in w.value for w in big.warning)
    assert big.slider(key="gain").value == 1.0
