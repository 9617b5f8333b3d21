import copy
import math

import pytest
import torch

from core.models import build_model
from core.tasks import make_task
from core.training import evaluate, train


def setup(cell="rnn", T=20, **kw):
    task = make_task("adding", T)
    return build_model(cell, 2, 16, 1, seed=0, **kw), task


def test_torch_clipping_semantics_from_the_notes():
    g = torch.nn.Parameter(torch.zeros(2))
    g.grad = torch.tensor([3.0, 0.1])
    assert torch.nn.utils.clip_grad_value_([g], 1.0) is None
    torch.testing.assert_close(g.grad, torch.tensor([1.0, 0.1]))  # direction turned
    g.grad = torch.tensor([3.0, 0.1])
    pre = torch.nn.utils.clip_grad_norm_([g], 1.0)
    assert pre.item() == pytest.approx(math.hypot(3.0, 0.1))  # returns the PRE-clip norm
    torch.testing.assert_close(g.grad, torch.tensor([0.9994, 0.0333]), atol=1e-4, rtol=0)


def first_step_grad_norm(model, task, seed=0, batch_size=64):
    model = copy.deepcopy(model)
    x, y = task.sample(batch_size, torch.Generator().manual_seed(seed))
    task.loss(model(x), y).backward()
    return torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters())).item()


@pytest.mark.parametrize("clip", ["none", "norm", "value"])
def test_recorded_grad_norm_is_the_pre_clip_norm(clip):
    model, task = setup(gain=2.5)
    want = first_step_grad_norm(model, task)
    h = train(model, task, optimizer="sgd", lr=0.01, clip=clip, clip_threshold=1e-3, steps=1)
    assert h.records[0]["grad_norm"] == pytest.approx(want, rel=1e-5)
    assert h.records[0]["clipped"] is (clip != "none")


def test_norm_clipping_limits_the_sgd_step_to_the_threshold():
    model, task = setup(gain=2.5)
    before = [p.detach().clone() for p in model.parameters()]
    train(model, task, optimizer="sgd", lr=1.0, clip="norm", clip_threshold=0.05, steps=1)
    moved = math.sqrt(sum(((p - b) ** 2).sum().item() for p, b in zip(model.parameters(), before)))
    assert moved == pytest.approx(0.05, rel=1e-3)


def test_value_clipping_bounds_every_element_of_the_step():
    model, task = setup(gain=2.5)
    before = [p.detach().clone() for p in model.parameters()]
    train(model, task, optimizer="sgd", lr=1.0, clip="value", clip_threshold=0.01, steps=1)
    biggest = max((p - b).abs().max().item() for p, b in zip(model.parameters(), before))
    assert biggest <= 0.01 + 1e-7


def test_same_seed_same_history():
    a = train(*setup(), lr=1e-2, steps=15, seed=3)
    b = train(*setup(), lr=1e-2, steps=15, seed=3)
    c = train(*setup(), lr=1e-2, steps=15, seed=4)
    assert a.column("loss") == b.column("loss")
    assert a.column("loss") != c.column("loss")


def test_first_nonfinite_is_recorded_not_raised():
    model, task = setup(nonlinearity="relu", init="identity", gain=1.5, T=50)
    h = train(model, task, optimizer="sgd", lr=50.0, steps=200)
    ev = h.first_nonfinite
    assert ev is not None and ev["where"] in ("loss", "gradient", "weights")
    assert h.stopped == "nonfinite"
    assert h.records[ev["step"]]["nonfinite"]
    assert all(not r["nonfinite"] for r in h.records[: ev["step"]])
    assert ev["tensor"] == "loss" or ev["tensor"].startswith(("cell.", "readout."))
    assert not math.isfinite(h.records[-1]["loss"]) or h.records[-1]["nonfinite"]


def test_nan_in_the_weights_names_the_tensor():
    model, task = setup()
    with torch.no_grad():
        model.readout.weight[0, 0] = float("nan")
    h = train(model, task, steps=3)
    assert h.first_nonfinite == {"step": 0, "where": "loss", "tensor": "loss"}


def test_learning_happens_lstm_beats_chance_on_short_adding():
    model, task = setup("lstm", T=10)
    h = train(model, task, lr=1e-2, steps=300, clip="norm", clip_threshold=1.0)
    assert h.final_loss() < 0.3 * task.chance
    assert evaluate(model, task)["loss"] < 0.3 * task.chance


def test_callback_stop_and_probes():
    model, task = setup()
    seen = []
    h = train(model, task, steps=50, probe_every=10, callback=lambda r, hist: seen.append(r["step"]),
              should_stop=lambda: len(seen) >= 25)
    assert h.stopped == "user" and len(h.records) == 25 and seen == list(range(25))
    assert [p["step"] for p in h.probes] == [0, 10, 20]
    assert len(h.probes[0]["grad_norm_by_t"]) == 20


def test_time_cap_and_bad_learning_rate():
    model, task = setup()
    h = train(model, task, steps=10_000, max_seconds=0.2)
    assert h.stopped == "time" and len(h.records) < 10_000
    with pytest.raises(ValueError, match="learning rate"):
        train(model, task, lr=float("nan"))


def test_training_has_no_cost_estimate_of_its_own():
    """Costs live in core.cost alone (the flop-count estimator was removed)."""
    import core.training

    assert not hasattr(core.training, "estimate_seconds")
