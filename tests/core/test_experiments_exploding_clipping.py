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
    r = clipping.vector(gx=3.0, gy=0.1, threshold=1.0)  # the science.md example
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


def test_readout_curvature_is_the_readout_hessian_of_the_last_step_mse():
    from core.experiments.exploding import readout_curvature
    from core.tasks import make_task

    task = make_task("adding", 6)
    m = build_model("rnn", 2, 5, 1, gain=2.0, seed=3)
    x, y = task.sample(7, torch.Generator().manual_seed(1))
    h = m.fused_hidden(x)[:, -1, :].detach().double()  # (B, H)

    def loss(theta):  # theta = (w_1..w_H, c): the readout alone, h held fixed
        return ((h @ theta[:-1] + theta[-1] - y[:, 0].double()) ** 2).mean()

    theta = torch.cat([m.readout.weight.detach()[0], m.readout.bias.detach()]).double()
    hess = torch.autograd.functional.hessian(loss, theta)
    assert readout_curvature(m, x) == pytest.approx(float(torch.linalg.eigvalsh(hess)[-1]),
                                                    rel=1e-9)


def test_phases_find_the_end_of_growth_and_the_readout_factor():
    from core.experiments.exploding import phases

    w = [1.0, 5.0, 50.0, 500.0, 501.0, 500.5, 501.0, float("nan")]
    loss = [1.0, 2.0, 4.0, 8.0, 16.0, 160.0, 1600.0, float("inf")]
    curv = [10.0] * len(w)
    out = phases(w, 1.0, loss, curv, lr=0.5, optimizer="sgd")
    assert out["growth_end"] == 3 and out["growth"] == pytest.approx(500.0)
    a = out["after"]
    assert (a["start"], a["end"]) == (4, 6)
    assert a["loss_factor"] == pytest.approx(10.0)            # (1600 / 16) ** (1 / 2)
    assert a["lr_curvature"] == pytest.approx(5.0)
    assert a["predicted_factor"] == pytest.approx(16.0)      # (1 - 5) ** 2
    assert phases(w, 1.0, loss, curv, lr=0.5, optimizer="adam")["after"]["predicted_factor"] \
        is None
    calm = phases([1.0, 1.5, 2.0], 1.0, [1.0, 1.0, 1.0], [1.0] * 3, lr=0.1, optimizer="sgd")
    assert calm == {"growth_end": None, "growth": None, "after": None}


def test_blowup_tracks_norms_and_runs_the_frozen_control(blown):
    D = exploding.blowup.defaults
    m = build_model("rnn", 2, D["hidden_size"], 1, gain=D["gain"], seed=D["seed"])
    assert blown["w_norm_init"] == pytest.approx(float(m.cell.weight_hh.detach().double().norm()),
                                                 rel=1e-9)
    assert blown["readout_norm_init"] == pytest.approx(float(m.readout.weight.detach().double().norm()),
                                                       rel=1e-9)
    n = len(blown["step"])
    assert len(blown["w_norm"]) == len(blown["readout_norm"]) == len(blown["curvature"]) == n
    assert math.isnan(blown["w_norm"][-1])  # the last update left W_hh non-finite
    fr = blown["frozen"]
    assert fr["loss"][0] == blown["loss"][0]  # same start, same first batch
    assert fr["grad_norm"][0] < blown["grad_norm"][0]  # W_hh's gradient is left out
    assert fr["first_nonfinite"] is None and len(fr["step"]) == D["steps"]
    ph = blown["phases"]
    assert 0 <= ph["growth_end"] < blown["first_nonfinite"]["step"]
    assert ph["after"]["end"] == blown["first_nonfinite"]["step"] - 1


def test_blowup_reports_partial_results_of_the_same_shape():
    seen = []
    r = exploding.blowup(**{**exploding.blowup.defaults, "steps": 20, "seq_len": 10},
                         report=lambda f, p: seen.append((f, p)))
    assert seen and all(0.0 < f <= 1.0 for f, _ in seen)
    assert set(seen[-1][1]) == set(r)
    assert seen[0][1]["frozen"] is None and seen[-1][1]["frozen"] is not None


def test_compare_tracks_w_hh_for_both_runs():
    r = clipping.compare(**{**clipping.compare.defaults, "steps": 12})
    m = build_model("rnn", 2, 64, 1, gain=2.0, seed=0)
    assert r["w_norm_init"] == pytest.approx(float(m.cell.weight_hh.detach().double().norm()), rel=1e-9)
    for run in (r["none"], r["clipped"]):
        assert len(run["w_norm"]) == len(run["step"])
    # a clipped step moves W_hh by at most lr x c in norm
    c = r["clipped"]["w_norm"]
    lr, thr = r["lr"], r["threshold"]
    assert all(abs(b - a) <= lr * thr + 1e-6 for a, b in zip([r["w_norm_init"]] + c, c))


def test_section_2_and_5a_show_the_same_exploding_run_at_the_same_step():
    import json

    from ui.demos import DEMO_DIR

    blow = json.loads((DEMO_DIR / "exploding.blowup.json").read_text())
    comp = json.loads((DEMO_DIR / "clipping.compare.json").read_text())
    shared = ("nonlinearity", "gain", "seq_len", "hidden_size", "optimizer", "lr", "steps",
              "batch_size", "seed")
    assert {k: blow["params"][k] for k in shared} == {k: comp["params"][k] for k in shared}
    a, b = blow["result"], comp["result"]["none"]
    assert a["first_nonfinite"] == b["first_nonfinite"]
    step = a["first_nonfinite"]["step"]
    assert a["loss"][:step] == b["loss"][:step]  # the same run, loss for loss


def test_the_pages_answers_are_read_from_the_runs():
    from ui import words_cliff as words

    base = {"first_nonfinite": None, "chance": 1 / 6, "loss": [1.0] * 30, "step": list(range(30))}
    assert words.blowup_answer(base) == 1  # finite, not learning: stalls near chance
    assert words.blowup_answer({**base, "loss": [1.0] + [0.01] * 29}) == 0  # learns
    assert words.blowup_answer({**base, "loss": [1.0, 1e7] + [1.0] * 28}) == 2  # climbs
    assert words.blowup_answer({**base, "first_nonfinite": {"step": 3}}) == 2
    run = {"first_nonfinite": None, "loss": [1.0] * 10, "step": list(range(10)),
           "final_loss": 0.17, "share_clipped": 0.5}
    r = {"chance": 1 / 6, "clip": "norm", "threshold": 1.0,
         "none": {**run, "first_nonfinite": {"step": 5}}, "clipped": run}
    assert words.compare_answer(r) == 2  # survives, does not learn
    assert words.compare_answer({**r, "clipped": {**run, "final_loss": 0.01}}) == 3
    assert words.compare_answer({**r, "clipped": {**run, "first_nonfinite": {"step": 8}}}) == 0
    assert words.compare_answer({**r, "clipped": {**run, "first_nonfinite": {"step": 2}}}) == 1
