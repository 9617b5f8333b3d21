import math

import numpy as np
import pytest
import torch

from core.experiments import vanishing as v
from core.models import build_model
from core.tasks import make_task


def test_profile_matches_a_direct_probe_and_stays_under_the_bound():
    r = v.gradient_profile(cell="rnn", seq_len=40, hidden_size=16, init="orthogonal", gain=0.8,
                           nonlinearity="tanh", seed=3, batch_size=8)
    g = np.asarray(r["grad_norm"])
    assert len(g) == 40 and r["ratio"] == pytest.approx(g[0] / g[-1])
    assert r["sigma_max"] == pytest.approx(0.8, rel=1e-5)
    assert np.all(g <= np.asarray(r["bound"]) * (1 + 1e-9))  # sigma_max < 1: the bound holds
    # independent: a plain autograd loop over an explicit unrolled graph
    task = make_task("adding", 40)
    model = build_model("rnn", 2, 16, 1, init="orthogonal", gain=0.8, seed=3).double()
    x, y = task.sample(8, torch.Generator().manual_seed(4))
    hs = model.hidden_states(x.double())
    loss = task.loss(model.readout(torch.stack(hs, 1)), y.double())
    grads = torch.autograd.grad(loss, hs)
    want = [gr.norm().item() for gr in grads]
    np.testing.assert_allclose(g, want, rtol=1e-9)


def test_gated_cells_have_no_bound_and_heat_is_binned():
    r = v.gradient_profile(cell="lstm", seq_len=300, hidden_size=64, init="default", gain=1.0,
                           nonlinearity="tanh", seed=0, batch_size=4)
    assert r["bound"] is None
    assert len(r["heat_t"]) == v.MAX_COLS and len(r["heat_units"]) == 48
    assert np.asarray(r["heat"]).shape == (v.MAX_COLS, 48)


def test_probe_batch_shrinks_for_long_wide_gated_probes():
    assert v.probe_batch("rnn", 100, 64, 32) == 32
    small = v.probe_batch("lstm", 500, 256, 32)
    assert 1 <= small < 32
    assert 4 * 8 * 500 * 1024 * small <= v.PROBE_BYTES


def test_weight_shares_sum_to_one_and_grow_towards_the_end():
    r = v.weight_update_shares(seq_len=30, hidden_size=16, seed=0, batch_size=8)
    s = np.asarray(r["share"])
    assert s.sum() == pytest.approx(1.0)
    assert r["contribution"][0] == 0.0  # h_{-1} = 0: step 0 adds nothing to dL/dW_hh
    assert s[-5:].sum() > 0.5


def test_training_heatmap_shapes_chance_and_control():
    r = v.training_heatmap(cell="rnn", seq_len=12, hidden_size=8, steps=30, lr=1e-3, seed=0,
                           short_len=4)
    assert r["chance"] == pytest.approx(1 / 6)
    assert len(r["log_grad"]) == len(r["probe_steps"]) and all(len(row) == 12 for row in r["log_grad"])
    assert all(math.isfinite(v_) for row in r["log_grad"] for v_ in row)
    assert len(r["loss"]) == len(r["short_loss"]) == 30 and r["short_len"] == 4
    assert r["final_loss"] == pytest.approx(np.mean(r["loss"][-20:]))
    assert r["short_final_loss"] == pytest.approx(np.mean(r["short_loss"][-20:]))
    assert r["seq_len"] == 12 and r["steps"] == 30 and r["lr"] == 1e-3


def test_eta_is_sigma_times_gamma_and_absent_for_gated_cells():
    r = v.gradient_profile(cell="rnn", seq_len=20, hidden_size=16, init="default", gain=0.7,
                           nonlinearity="tanh", seed=1, batch_size=4)
    assert r["eta"] == pytest.approx(r["sigma_max"] * r["gamma"])
    g = v.gradient_profile(cell="gru", seq_len=20, hidden_size=16, init="default", gain=1.0,
                           nonlinearity="tanh", seed=1, batch_size=4)
    assert g["eta"] is None and g["gamma"] is None
