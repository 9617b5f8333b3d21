"""The probes against independent computations: a hand-written numpy BPTT loop, float64
central finite differences, explicit Jacobian products, and the Pascanu bound."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.models import CELLS, build_model
from core.probes import (
    GAMMA,
    gradient_norms_by_step,
    hidden_state_gradients,
    hidden_state_gradients_naive,
    jacobian_log_norms,
    pascanu_log_bound,
    spectrum,
    step_weight_gradients,
)
from core.tasks import adding_problem, copy_memory


def data(B=3, T=9, seed=0):
    return adding_problem(B, T, generator=torch.Generator().manual_seed(seed))


def numpy_bptt(model, x, y):
    """Hand-written BPTT for a tanh RNN with the MSE loss on the last step (float64 numpy)."""
    c = model.cell
    Wih, Whh = c.weight_ih.detach().double().numpy(), c.weight_hh.detach().double().numpy()
    b = (c.bias_ih.detach().double() + c.bias_hh.detach().double()).numpy()
    Wo, bo = model.readout.weight.detach().double().numpy(), model.readout.bias.detach().double().numpy()
    x, y = x.double().numpy(), y.double().numpy()
    B, T, _ = x.shape
    h = np.zeros((B, Whh.shape[0]))
    hs = []
    for t in range(T):
        h = np.tanh(x[:, t] @ Wih.T + h @ Whh.T + b)
        hs.append(h)
    out = hs[-1] @ Wo.T + bo
    dout = 2 * (out - y) / out.size  # d mean((out - y)^2)
    g = [None] * T
    g[T - 1] = dout @ Wo
    for t in range(T - 1, 0, -1):
        g[t - 1] = (g[t] * (1 - hs[t] ** 2)) @ Whh
    return np.stack(g, 1)


def test_probe_matches_hand_written_bptt():
    model = build_model("rnn", 2, 6, 1, seed=3)
    x, y = data(T=15)
    got = hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y.double()),
                                 dtype=torch.float64)
    want = numpy_bptt(model, x, y)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-14)


def finite_difference(model, x, loss_fn, t, eps=1e-6):
    """Central differences of L with respect to every unit of h_t (float64), re-running the
    steps after t from the perturbed state (the LSTM's c_t is held fixed)."""
    model = model.double()
    x = x.double()
    B, T, _ = x.shape
    with torch.no_grad():
        xp = x @ model.cell.weight_ih.T
        state = model.init_state(B, x)
        states = []
        for s in range(T):
            h, state = model.step(xp[:, s], state, s)
            states.append((h, state))

        def loss_with(h_t):
            hs = [states[s][0] for s in range(t)] + [h_t]
            st = (h_t, states[t][1][1]) if model.cell_type == "lstm" else h_t
            for s in range(t + 1, T):
                h, st = model.step(xp[:, s], st, s)
                hs.append(h)
            return loss_fn(model.readout(torch.stack(hs, 1))).item()

        base = states[t][0]
        grad = torch.zeros_like(base)
        for b in range(B):
            for u in range(base.shape[1]):
                e = torch.zeros_like(base)
                e[b, u] = eps
                grad[b, u] = (loss_with(base + e) - loss_with(base - e)) / (2 * eps)
    return grad


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("norm", ["none", "layer"])
def test_probe_agrees_with_finite_differences(cell, norm):
    model = build_model(cell, 2, 5, 1, seed=1, norm=norm)
    x, y = data(B=2, T=8)
    loss_fn = lambda o: F.mse_loss(o[:, -1], y.double())  # noqa: E731
    g = hidden_state_gradients(model, x, loss_fn, dtype=torch.float64)
    for t in (0, 3, 7):
        fd = finite_difference(build_model(cell, 2, 5, 1, seed=1, norm=norm), x, loss_fn, t)
        rel = (g[:, t] - fd).norm() / fd.norm()
        assert rel < 1e-4, (cell, t, rel.item())


@pytest.mark.parametrize("cell", CELLS)
def test_one_pass_probe_equals_one_pass_per_step(cell):
    model = build_model(cell, 10, 12, 10, seed=2).double()
    x, y = copy_memory(4, 6, generator=torch.Generator().manual_seed(0))
    loss_fn = lambda o: F.cross_entropy(o.reshape(-1, 10), y.reshape(-1))  # noqa: E731
    fast = hidden_state_gradients(model, x.double(), loss_fn)
    slow = hidden_state_gradients_naive(model, x.double(), loss_fn)
    torch.testing.assert_close(fast, slow, rtol=1e-9, atol=1e-12)


def test_retain_grad_on_fused_output_gives_only_the_direct_term():
    """Why the probe exists: nn.RNN's output gradient is 0 before the last step."""
    model = build_model("rnn", 2, 8, 1, seed=0)
    x, y = data(T=10)
    out = model.fused_hidden(x)
    out.retain_grad()
    F.mse_loss(model.readout(out)[:, -1], y).backward()
    assert torch.all(out.grad[:, :-1] == 0)
    total = hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y))
    assert torch.all(total[:, 0].abs().sum() > 0)


def test_step_weight_gradients_sum_to_the_weight_gradient():
    model = build_model("lstm", 2, 6, 1, seed=5).double()
    x, y = data(T=12)
    loss_fn = lambda o: F.mse_loss(o[:, -1], y.double())  # noqa: E731
    per_step = step_weight_gradients(model, x.double(), loss_fn)
    assert per_step.shape == (12, 24, 6)
    model.zero_grad()
    loss_fn(model(x.double())).backward()
    torch.testing.assert_close(per_step.sum(0), model.cell.weight_hh.grad)


def explicit_product_norms(model, x):
    """||dh_T/dh_t|| by building the Jacobian product directly with autograd (float64)."""
    model = model.double()
    x = x.double()[:1]
    T = x.shape[1]
    xp = x @ model.cell.weight_ih.T
    states = [model.init_state(1, x)]
    for t in range(T):
        states.append(model.step(xp[:, t], states[-1], t)[1])
    P = torch.eye(model.hidden_size, dtype=torch.float64)
    out = [0.0]
    for k in range(1, T + 1):
        t = T - k
        J = torch.autograd.functional.jacobian(
            lambda h: model.step(xp[:, t], h.unsqueeze(0), t)[1].squeeze(0),
            states[t].squeeze(0))
        P = P @ J
        out.append(math.log10(torch.linalg.matrix_norm(P, 2).item()))
    return np.array(out)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_jacobian_log_norms_match_explicit_products(act):
    model = build_model("rnn", 2, 7, 1, nonlinearity=act, seed=0, gain=1.5)
    x, _ = data(B=1, T=20)
    np.testing.assert_allclose(jacobian_log_norms(model, x).numpy(),
                               explicit_product_norms(model, x), atol=1e-9)


def test_jacobian_log_norms_survive_t500_without_underflow():
    model = build_model("rnn", 2, 32, 1, seed=0)
    x, _ = data(B=1, T=500)
    logs = jacobian_log_norms(model, x)
    assert torch.isfinite(logs).all()
    # a direct product would have underflowed float32 (1e-45) long before this lag
    assert logs[-1] < math.log10(1e-45) * 2


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_jacobian_log_norms_for_gated_cells_are_finite(cell):
    model = build_model(cell, 2, 6, 1, seed=0)
    x, _ = data(B=1, T=30)
    logs = jacobian_log_norms(model, x)
    assert logs.shape == (31,) and torch.isfinite(logs).all() and logs[0] == 0


@pytest.mark.parametrize("gain", [0.3, 0.6, 0.9])
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_pascanu_bound_holds_at_every_lag_when_sigma_max_below_one(gain, act):
    model = build_model("rnn", 2, 16, 1, nonlinearity=act, init="orthogonal", gain=gain, seed=1)
    x, _ = data(B=1, T=60, seed=2)
    sigma = spectrum(model.cell.weight_hh)["singular"][0].item()
    assert sigma < 1
    measured = jacobian_log_norms(model, x)
    bound = pascanu_log_bound(sigma, GAMMA[act], 60)
    finite = torch.isfinite(measured)
    assert torch.all(measured[finite] <= bound[finite] + 1e-9)
    assert measured[finite][-1] < 0  # and it really vanishes


def test_pascanu_bound_values_and_gamma():
    assert GAMMA == {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}
    b = pascanu_log_bound(0.5, 1.0, 3)
    np.testing.assert_allclose(b.numpy(), [0, -math.log10(2), -2 * math.log10(2),
                                           -3 * math.log10(2)])


def test_spectrum_of_a_known_matrix():
    w = torch.tensor([[0.0, -2.0], [0.5, 0.0]])  # eigenvalues +-i, singular values 2, 0.5
    s = spectrum(w)
    np.testing.assert_allclose(s["singular"].numpy(), [2.0, 0.5])
    np.testing.assert_allclose(sorted(s["eig_imag"].numpy()), [-1.0, 1.0])
    assert s["spectral_radius"].item() == pytest.approx(1.0)


def test_float32_underflows_and_float64_does_not():
    model = build_model("rnn", 2, 64, 1, seed=0)
    x, y = data(B=8, T=200)
    g32 = gradient_norms_by_step(hidden_state_gradients(model, x, lambda o: F.mse_loss(o[:, -1], y)))
    g64 = gradient_norms_by_step(hidden_state_gradients(
        model, x, lambda o: F.mse_loss(o[:, -1], y.double()), dtype=torch.float64))
    assert g32[0] == 0.0  # below float32's smallest value
    assert g64[0] > 0.0 and g64[0] < 1e-40
