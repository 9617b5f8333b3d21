"""The adjoint probe (``hidden_state_gradients`` on models without normalisation) against
independent computations: one autograd backward per step (naive), the one-backward autograd
design, float64 against float32, and its edge cases."""

import copy

import pytest
import torch
import torch.nn.functional as F

from core.models import build_model
from core.probes import (
    hidden_state_gradients,
    hidden_state_gradients_autograd,
    hidden_state_gradients_naive,
)
from core.tasks import adding_problem, copy_memory

VARIANTS = [
    dict(cell="rnn"),
    dict(cell="rnn", nonlinearity="relu", init="identity"),
    dict(cell="rnn", init="orthogonal", gain=1.3),
    dict(cell="lstm"),
    dict(cell="lstm", forget_bias=1.0, init="xavier"),
    dict(cell="gru"),
    dict(cell="gru", init="orthogonal", gain=1.5),
]


def _ids(v):
    return "-".join(str(x) for x in v.values())


@pytest.mark.parametrize("variant", VARIANTS, ids=[_ids(v) for v in VARIANTS])
def test_adjoint_equals_one_backward_per_step_with_a_loss_on_every_step(variant):
    kw = dict(variant)
    cell = kw.pop("cell")
    model = build_model(cell, 10, 9, 10, seed=4, **kw).double()
    x, y = copy_memory(5, 7, generator=torch.Generator().manual_seed(1))  # loss at every step
    loss_fn = lambda o: F.cross_entropy(o.reshape(-1, 10), y.reshape(-1))  # noqa: E731
    fast = hidden_state_gradients(model, x.double(), loss_fn)
    slow = hidden_state_gradients_naive(model, x.double(), loss_fn)
    assert fast.shape == slow.shape == (5, x.shape[1], 9)
    torch.testing.assert_close(fast, slow, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("variant", VARIANTS, ids=[_ids(v) for v in VARIANTS])
def test_float32_adjoint_is_close_to_float64(variant):
    kw = dict(variant)
    cell = kw.pop("cell")
    model = build_model(cell, 2, 16, 1, seed=0, **kw)
    x, y = adding_problem(8, 30, generator=torch.Generator().manual_seed(2))
    g32 = hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y))
    g64 = hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y.double()),
                                 dtype=torch.float64)
    assert g32.dtype == torch.float32 and g64.dtype == torch.float64
    last = g64[:, -5:]  # the last steps are far from underflow in float32
    torch.testing.assert_close(g32[:, -5:].double(), last, rtol=1e-3,
                               atol=1e-5 * last.abs().max().item())


def _agrees_on_the_adding_problem(model, reference, B, T, data_seed, atol):
    """The adjoint probe of ``model`` (float64) equals ``reference``'s gradients, with the loss
    on the last step of a batch of B adding problems of length T."""
    x, y = adding_problem(B, T, generator=torch.Generator().manual_seed(data_seed))
    loss_fn = lambda o: F.mse_loss(o[:, -1], y.double())  # noqa: E731
    torch.testing.assert_close(hidden_state_gradients(model, x.double(), loss_fn),
                               reference(model, x.double(), loss_fn), rtol=1e-9, atol=atol)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_adjoint_agrees_with_the_zero_channel_autograd_design(cell):
    model = build_model(cell, 2, 12, 1, seed=7).double()
    _agrees_on_the_adding_problem(model, hidden_state_gradients_autograd, 6, 25, 3, 1e-15)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_single_step_sequence_is_the_direct_gradient(cell):
    model = build_model(cell, 2, 5, 1, seed=1).double()
    x, y = adding_problem(3, 2, generator=torch.Generator().manual_seed(0))
    x = x[:, :1].double()
    h = torch.stack(model.hidden_states(x), 1).detach().requires_grad_(True)
    (want,) = torch.autograd.grad(F.mse_loss(model.readout(h)[:, -1], y.double()), [h])
    got = hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y.double()))
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_probe_has_no_side_effects_on_the_model(cell):
    model = build_model(cell, 2, 6, 1, seed=3)
    before = copy.deepcopy(model.state_dict())
    model.train()
    x, y = adding_problem(4, 10, generator=torch.Generator().manual_seed(0))
    hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y), dtype=torch.float64)
    hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y))
    assert all(p.grad is None for p in model.parameters())
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_exploding_weights_give_nonfinite_numbers_not_an_exception(cell):
    model = build_model(cell, 2, 8, 1, seed=0, nonlinearity="relu" if cell == "rnn" else "tanh",
                        init="identity", gain=40.0)
    with torch.no_grad():
        model.cell.weight_ih.fill_(30.0)
    x, y = adding_problem(4, 200, generator=torch.Generator().manual_seed(0))
    g = hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y))
    assert g.shape == (4, 200, 8)
    if cell == "rnn":  # the relu RNN overflows: the probe reports it, it does not raise
        assert not torch.isfinite(g).all()


def test_normalised_models_still_use_the_step_loop_and_agree_with_naive():
    model = build_model("gru", 2, 6, 1, seed=2, norm="layer").double()
    _agrees_on_the_adding_problem(model, hidden_state_gradients_naive, 3, 9, 4, 1e-14)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("T", [15, 16, 17, 33])
def test_reverse_sweep_is_exact_across_chunk_boundaries(cell, T):
    """The gate terms are built 16 steps at a time: lengths around the chunk size."""
    model = build_model(cell, 2, 6, 1, seed=5).double()
    x, y = adding_problem(3, T, generator=torch.Generator().manual_seed(T))
    loss_fn = lambda o: F.mse_loss(o, y.double()[:, None].expand_as(o))  # noqa: E731
    torch.testing.assert_close(hidden_state_gradients(model, x.double(), loss_fn),
                               hidden_state_gradients_naive(model, x.double(), loss_fn),
                               rtol=1e-9, atol=1e-15)
