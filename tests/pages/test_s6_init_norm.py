import math

import numpy as np

from tests.conftest import commit, no_exception, open_page, run_snippet, snippet_source
from tests.pages.charts import spec_rows, specs_with, vega_specs
from ui.demos import shipped

FILE = "s6_init_norm.py"
PROFILES = shipped("init_norm.init_profiles")["result"]
INIT = shipped("init_norm.init_schemes")["result"]
NORM = shipped("init_norm.norm_compare")["result"]
RIGHT = "Identity (IRNN, ReLU)"
NORM_RIGHT = "No, neither gets there"


def rows_with(spec, field):
    return [r for r in spec_rows(spec) if field in r]


def text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def shares(at) -> list[dict]:
    """Rows of the main chart (the first share-by-lag chart on the page)."""
    return rows_with(specs_with(at, "lag", "share", "start")[0], "share")


def shown(at) -> bool:
    return bool(specs_with(at, "lag", "share", "start")) and len(shares(at)) == 6 * PROFILES[
        "seq_len"]


def held_back(at):
    """Before the commit (test_flow): below the fold the singular values and the trained run
    are held back too: they rank the starts."""
    assert not specs_with(at, "lag", "share", "start")
    assert not [s for s in vega_specs(at) if "singular value" in str(s)]
    assert "run_s6_init" not in [b.key for b in at.button]
    assert "identity start (IRNN) passes the largest share" not in text(at)


def committed(at):
    assert len(specs_with(at, "lag", "share", "start")) == 2


def revealed(at):
    commit(at, "s6_norm")  # the second question opens once the first is revealed
    no_exception(at)
    assert any(f"Answer: {NORM_RIGHT}" in i.value for i in at.info)


def test_the_main_chart_is_each_start_untrained_as_a_share_of_lag_0():
    at = commit(open_page(FILE), "s6_init", RIGHT)
    rows = shares(at)
    T = PROFILES["seq_len"]
    assert len(rows) == 6 * T
    by = {}
    for r in rows:
        by.setdefault(r["start"], {})[r["lag"]] = r["share"]
    assert set(by) == {"PyTorch default", "Xavier", "Orthogonal", "Identity (IRNN)", "LSTM",
                       "LSTM, forget bias 1"}
    assert all(math.isclose(v[0], 1.0) for v in by.values())
    for sid, label in (("default", "PyTorch default"), ("identity", "Identity (IRNN)")):
        want = PROFILES["runs"][sid]["ratio_init"]
        assert math.isclose(by[label][T - 1], want, rel_tol=1e-5)
        # the untrained profile is the training run's first probe
        assert math.isclose(INIT["runs"][sid]["ratio_init"], want, rel_tol=1e-5)
    sv = rows_with(specs_with(at, "rank", "singular value", "start")[0], "singular value")
    H = len(PROFILES["runs"]["default"]["sv_init"])
    assert len(sv) == 4 * H  # the four RNN starts
    assert np.allclose([r["singular value"] for r in sv if r["start"] == "Orthogonal"], 1.0)


def test_the_gain_moves_the_main_chart_at_once_without_training():
    from core.experiments import init_norm

    at = open_page(FILE, {"gain": "0.8"})
    no_exception(at)
    prof = init_norm.init_profiles(seq_len=50, hidden_size=32, gain=0.8, seed=0)
    ratios = {s: prof["runs"][s]["ratio_init"] for s in init_norm.RNN_STARTS}
    best = max(ratios, key=ratios.get)
    commit(at, "s6_init", init_norm.SCHEME_LABELS[best])
    assert any(s.value.startswith("**Right") for s in at.success)
    rows = shares(at)
    last = next(r["share"] for r in rows if r["start"] == "PyTorch default" and r["lag"] == 49)
    assert math.isclose(last, ratios["default"], rel_tol=1e-5)
    # the short training run at gain 0.8 is not precomputed: its chart waits for Train
    assert len(specs_with(at, "lag", "share", "start")) == 1
    assert math.isclose(at.slider(key="gain").value, 0.8)


def test_the_shipped_runs_show_their_claims_checked():
    """Every claim that speaks about the default settings is drawn, and holds."""
    from core.claims import claims_for
    from core.experiments import init_norm

    at = commit(commit(open_page(FILE), "s6_init", RIGHT), "s6_norm", NORM_RIGHT)
    md = text(at)
    for fn in (init_norm.init_profiles, init_norm.init_schemes, init_norm.norm_compare):
        for c in claims_for(fn.key):
            if c.applies_to(fn.defaults):
                assert f"**Checked in this run:** {c.text}" in md, c.name
    assert "Not in this run" not in md
    assert "honest verdict" in md.lower()


def test_normalisation_is_held_back_then_scored_against_the_shipped_run():
    at = open_page(FILE)
    assert not specs_with(at, "normalisation", "smoothed loss")
    solved = [NORM["runs"][n]["final_loss"] < 0.05 for n in ("layer", "batch")]
    assert solved == [False, False]
    commit(at, "s6_norm", "Only with layer norm")
    assert any("The run shows: No, neither gets there" in w.value for w in at.warning)
    loss = specs_with(at, "normalisation", "smoothed loss")[0]
    assert {r["normalisation"] for r in rows_with(loss, "normalisation")} == {
        "No normalisation", "Layer norm", "Recurrent batch norm"}
    heat = specs_with(at, "normalisation", "lag", "training step")[0]
    n = len(NORM["runs"]["none"]["probe_steps"])
    assert len(rows_with(heat, "lag")) == 3 * n * NORM["seq_len"]
    assert specs_with(at, "RMS of h_t", "moment")


def test_the_norm_part_trains_live_then_asks():
    at = open_page(FILE, {"nT": "20", "nsteps": "50", "nH": "16"})
    no_exception(at)
    assert "commit_s6_norm" not in [b.key for b in at.button]  # nothing to predict on yet
    at.button(key="run_s6_norm").click().run()
    no_exception(at)
    commit(at, "s6_norm", NORM_RIGHT)
    no_exception(at)
    heat = specs_with(at, "normalisation", "lag", "training step")[0]
    assert {r["lag"] for r in rows_with(heat, "lag")} == set(range(20))


def test_links_presets_caps_and_bad_values():
    at = open_page(FILE)
    assert at.selectbox(key="preset").value == "lesson"  # the defaults are this preset
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


def test_the_snippet_runs_and_gives_the_page_result():
    at = commit(open_page(FILE), "s6_init", RIGHT)
    ns = run_snippet(snippet_source(at, "init_profiles"), quiet=False)
    for sid, run in PROFILES["runs"].items():
        assert math.isclose(ns["res"]["runs"][sid]["ratio_init"], run["ratio_init"],
                            rel_tol=1e-5)
    norm = snippet_source(at, "norm_compare")
    assert "cell='rnn'" in norm and "steps=200" in norm
