"""The labs' experiments: lab_clipping.compare and playground.train_run."""

import math

import pytest

from core import cost, script
from core.experiments import lab_clipping, playground

SMALL_CLIP = dict(lab_clipping.compare.defaults, seq_len=12, hidden_size=8, steps=30)
SMALL_PLAY = dict(playground.train_run.defaults, seq_len=10, hidden_size=8, steps=30)


def test_compare_runs_share_weights_and_batches_and_clip_as_recorded():
    res = lab_clipping.compare(**SMALL_CLIP)
    runs = {r["mode"]: r for r in res["runs"]}
    assert list(runs) == ["none", "norm", "value"]
    # same weights, same first batch: the first loss and pre-clip gradient norm agree
    assert runs["none"]["loss"][0] == runs["norm"]["loss"][0] == runs["value"]["loss"][0]
    assert runs["none"]["grad_norm"][0] == runs["norm"]["grad_norm"][0]
    # norm clipping fires exactly when the pre-clip norm exceeds the threshold
    thr = runs["norm"]["threshold"]
    assert runs["norm"]["clipped"] == [g > thr for g in runs["norm"]["grad_norm"]]
    assert runs["none"]["share_clipped"] == 0.0 and runs["none"]["threshold"] is None
    n = runs["value"]["steps_done"]
    assert runs["value"]["share_clipped"] == pytest.approx(sum(runs["value"]["clipped"]) / n)
    # each run is exactly core.training.train with its config (independent code path)
    for r in res["runs"]:
        hist = script.reference_run(r["config"])
        assert r["loss"] == hist.column("loss")
        assert r["final_loss"] == pytest.approx(hist.final_loss())
    assert res["chance"] == pytest.approx(1 / 6)


def test_control_is_the_unclipped_run_with_w_hh_frozen():
    import torch

    from core.models import build_model
    from core.tasks import make_task
    from core.training import train

    res = lab_clipping.compare(**SMALL_CLIP)
    c, none = res["control"], res["runs"][0]
    assert c["mode"] == "frozen" and c["threshold"] is None and c["done"]
    assert c["loss"][0] == none["loss"][0]  # same start, same first batch
    assert c["loss"][1] != none["loss"][1]  # W_hh did not move in the control
    task = make_task("adding", SMALL_CLIP["seq_len"])
    model = build_model("rnn", 2, SMALL_CLIP["hidden_size"], 1, init="orthogonal",
                        gain=SMALL_CLIP["gain"], seed=SMALL_CLIP["seed"])
    w0 = model.cell.weight_hh.detach().clone()
    model.cell.weight_hh.requires_grad_(False)
    hist = train(model, task, optimizer="sgd", lr=SMALL_CLIP["lr"], clip="none",
                 steps=SMALL_CLIP["steps"], batch_size=64, seed=SMALL_CLIP["seed"])
    assert c["loss"] == hist.column("loss")
    assert torch.equal(model.cell.weight_hh, w0)


def test_compare_defaults_explode_only_without_clipping():
    from ui.demos import shipped

    res = shipped(lab_clipping.compare.key)["result"]
    runs = {r["mode"]: r for r in res["runs"]}
    none = runs["none"]
    assert none["first_nonfinite"] is not None
    step = none["first_nonfinite"]["step"]
    assert none["nonfinite"][step] and not any(none["nonfinite"][:step])
    assert none["steps_done"] < lab_clipping.compare.defaults["steps"]
    assert math.isinf(none["max_grad_norm"])
    for mode in ("norm", "value"):
        assert runs[mode]["first_nonfinite"] is None
        assert runs[mode]["steps_done"] == lab_clipping.compare.defaults["steps"]


def test_compare_reports_partial_results_of_the_same_shape():
    seen = []
    final = lab_clipping.compare(**SMALL_CLIP, report=lambda f, p: seen.append((f, p)))
    fracs = [f for f, _ in seen]
    assert fracs == sorted(fracs) and fracs[-1] == pytest.approx(1.0)
    assert all(set(p) == set(final) for _, p in seen)
    mid = next(p for f, p in seen if 0.4 < f < 0.6)
    assert [r["mode"] for r in mid["runs"]] == ["none", "norm"]
    assert not mid["runs"][-1]["done"] and mid["runs"][0]["done"]
    # reporting does not change the numbers
    quiet = lab_clipping.compare(**SMALL_CLIP)
    assert [r["loss"] for r in quiet["runs"]] == [r["loss"] for r in final["runs"]]


def test_train_run_matches_core_training_and_probes_do_not_change_it():
    res = playground.train_run(**SMALL_PLAY)
    hist = script.reference_run(res["config"])  # no probes on this path
    assert res["loss"] == hist.column("loss")
    assert res["grad_norm"] == hist.column("grad_norm")
    assert [p["step"] for p in res["probes"]] == [0, SMALL_PLAY["steps"]]
    assert len(res["probes"][0]["grad_norm_by_t"]) == SMALL_PLAY["seq_len"]
    assert res["accuracy"] is None and res["final_accuracy"] is None
    again = playground.train_run(**SMALL_PLAY)
    assert again["loss"] == res["loss"]  # same settings and seed: same curve
    other = playground.train_run(**{**SMALL_PLAY, "seed": 1})
    assert other["loss"] != res["loss"]


def test_train_run_classification_task_and_step_loop():
    kw = dict(SMALL_PLAY, task="copy", seq_len=3, cell="lstm", norm="layer", steps=12)
    res = playground.train_run(**kw)
    assert len(res["accuracy"]) == 12 and all(0 <= a <= 1 for a in res["accuracy"])
    assert res["chance_accuracy"] == pytest.approx(1 / 8)
    assert len(res["probes"][0]["grad_norm_by_t"]) == 3 + 20  # copy adds 20 steps
    hist = script.reference_run(res["config"])
    assert res["loss"] == pytest.approx(hist.column("loss"), rel=1e-6)
    assert res["final_accuracy"] == pytest.approx(sum(res["accuracy"][-12:]) / 12)


def test_an_exploding_playground_run_is_recorded_not_raised():
    kw = dict(SMALL_PLAY, cell="rnn", nonlinearity="relu", init="orthogonal", gain=2.0,
              optimizer="sgd", lr=1.0, clip="none", seq_len=30, hidden_size=16, steps=60)
    res = playground.train_run(**kw)
    assert res["first_nonfinite"] is not None and res["stopped"] == "nonfinite"
    assert len(res["probes"]) == 1  # no after-training probe on non-finite weights


def test_estimates():
    kw = dict(cell="gru", task="adding", seq_len=50, hidden_size=64, steps=100)
    fused = cost.estimate("playground.train_run", {**kw, "norm": "none"})
    loop = cost.estimate("playground.train_run", {**kw, "norm": "layer"})
    assert loop > fused > 0  # normalisation runs the step loop
    assert playground.task_length("copy", 30) == 50
    # the cap bites where the page says: the largest Lab 1 setting is refused
    big = dict(seq_len=200, hidden_size=128, steps=2000)
    assert cost.estimate("lab_clipping.compare", big) > 30
    assert cost.estimate("lab_clipping.compare") < 30
