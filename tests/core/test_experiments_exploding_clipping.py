"""The experiments behind the exploding and clipping pages, checked against independent
computations (fresh models, torch's own clipping, hand arithmetic)."""

import math

import pytest
import torch

from core import runtime
from core.experiments import clipping, exploding
from core.models import build_model

runtime.configure(1)


@pytest.fixture(scope="module")
def blown():
    return exploding.blowup(**exploding.blowup.defaults)


def test_default_run_explodes_and_forensics_point_at_the_first_bad_step(blown):
    ev = blown["first_nonfinite"]
    assert ev is not None and blown["stopped"] == "nonfinite"
    s = ev["step"]
    # every record before the event is finite, the event's record is not
    assert all(math.isfinite(x) for x in blown["loss"][:s])
    assert all(math.isfinite(x) for x in blown["grad_norm"][:s])
    where = ev["where"]
    if where == "loss":
        assert not math.isfinite(blown["loss"][s]) and ev["tensor"] == "loss"
    # the loss climbed by many orders of magnitude before it broke
    assert max(blown["loss"][:s]) > 1e20 * blown["loss"][0]
    # the run stopped at the first step whose update left non-finite weights
    assert math.isnan(blown["w_max"][-1])
    assert all(math.isfinite(x) for x in blown["w_max"][:-1])
    assert blown["w_last_finite_step"] == len(blown["step"]) - 2
    end = torch.tensor(blown["w_end"])
    assert not torch.isfinite(end).all()
    assert torch.isfinite(torch.tensor(blown["w_last_finite"])).all()
    counts = blown["nonfinite_counts"]["cell.weight_hh"]
    assert counts[1] == 64 * 64 and counts[0] > 0


def test_initial_weights_and_spectrum_match_a_fresh_model(blown):
    D = exploding.blowup.defaults
    m = build_model("rnn", 2, D["hidden_size"], 1, gain=D["gain"], seed=D["seed"])
    w = m.cell.weight_hh.detach().double()
    k = len(blown["w_init"])
    assert torch.allclose(torch.tensor(blown["w_init"], dtype=torch.float64), w[:k, :k], atol=1e-7)
    assert blown["sigma_max"] == pytest.approx(float(torch.linalg.svdvals(w)[0]), rel=1e-6)
    assert blown["sigma_max"] > 1.0


def test_a_calm_setting_stays_finite():
    r = exploding.blowup(**{**exploding.blowup.defaults, "gain": 1.0, "lr": 0.01, "steps": 30,
                            "seq_len": 20})
    assert r["first_nonfinite"] is None and r["stopped"] is None
    assert len(r["step"]) == 30 and all(math.isfinite(x) for x in r["loss"])


def test_sigma_max_above_one_is_necessary_not_sufficient():
    r = exploding.jacobian_growth(**exploding.jacobian_growth.defaults)
    by_gain = {c["gain"]: c for c in r["curves"]}
    assert by_gain[1.0]["sigma_max"] > 1.0          # sigma_max > 1/gamma ...
    assert by_gain[1.0]["log_norm"][-1] < -3        # ... and the product still vanishes
    assert by_gain[3.0]["log_norm"][-1] > 2         # a larger gain explodes
    assert r["lag"][-1] == exploding.jacobian_growth.defaults["seq_len"]
    m = build_model("rnn", 2, 64, 1, gain=3.0, seed=0)
    assert by_gain[3.0]["sigma_max"] == pytest.approx(
        float(torch.linalg.svdvals(m.cell.weight_hh.detach().double())[0]), rel=1e-6)


def test_vector_matches_science_md_and_torch():
    r = clipping.vector(gx=3.0, gy=0.1, threshold=1.0)
    assert (r["norm"]["x"], r["norm"]["y"]) == pytest.approx((0.9994, 0.0333), abs=1e-4)
    assert (r["value"]["x"], r["value"]["y"]) == pytest.approx((1.0, 0.1), abs=1e-12)
    assert r["returned_by_clip_grad_norm"] == pytest.approx(math.hypot(3.0, 0.1), rel=1e-9)
    assert abs(r["turn_norm"]) < 1e-9
    assert r["turn_value"] == pytest.approx(math.degrees(math.atan2(0.1, 1.0))
                                            - math.degrees(math.atan2(0.1, 3.0)), abs=1e-9)
    small = clipping.vector(gx=0.3, gy=0.2, threshold=1.0)  # inside both: untouched
    assert (small["norm"]["x"], small["value"]["y"]) == pytest.approx((0.3, 0.2))


def test_compare_runs_share_start_and_batches_and_clip_flags_are_right():
    p = {**clipping.compare.defaults, "steps": 30}
    r = clipping.compare(**p)
    none, clp = r["none"], r["clipped"]
    assert none["loss"][0] == clp["loss"][0]            # same weights, same first batch
    assert none["grad_norm"][0] == clp["grad_norm"][0]  # pre-clip norm is what is recorded
    c = p["threshold"]
    assert clp["clipped"] == [g > c for g in clp["grad_norm"]]
    assert clp["share_clipped"] == pytest.approx(sum(clp["clipped"]) / len(clp["clipped"]))
    assert clp["mean_norm"] == pytest.approx(sum(clp["grad_norm"]) / len(clp["grad_norm"]))
    assert not any(none["clipped"])


def test_default_compare_shows_the_rescue():
    import json

    from ui.demos import DEMO_DIR

    shipped = json.loads((DEMO_DIR / "clipping.compare.json").read_text())["result"]
    assert shipped["none"]["first_nonfinite"] is not None
    assert shipped["clipped"]["first_nonfinite"] is None
    assert shipped["clipped"]["final_loss"] < 0.25


def test_sweep_rows_and_reference():
    r = clipping.sweep(**{**clipping.sweep.defaults, "thresholds": [0.5, 2.0], "steps": 15,
                          "seq_len": 10})
    assert [row["threshold"] for row in r["rows"]] == [0.5, 2.0]
    # the reference is the mean norm of the run nearest c = 1 in log distance (0.5 and 2
    # tie; min keeps the first)
    assert r["reference"] == r["rows"][0]["mean_norm"]
    for row in r["rows"]:
        assert 0.0 <= row["share_clipped"] <= 1.0


def test_cliff_experiments_share_the_surface_and_start():
    a = exploding.cliff_path(**exploding.cliff_path.defaults)
    b = clipping.cliff_compare(**clipping.cliff_compare.defaults)
    assert a["surface"] == b["surface"]
    assert a["path"]["w"] == b["unclipped"]["w"]
    D = clipping.cliff_compare.defaults
    assert max(b["clipped"]["step_size"]) <= D["lr"] * D["threshold"] + 1e-12
