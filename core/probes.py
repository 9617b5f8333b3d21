"""Gradient probes: where the error signal goes, step by step.

- :func:`hidden_state_gradients`: the total BPTT gradient dL/dh_t for every step, in ONE
  backward pass.
- :func:`step_weight_gradients`: each step's share of dL/dW_hh.
- :func:`jacobian_log_norms`: ||dh_T/dh_t||_2 for every lag, accumulated in log space.
- :func:`pascanu_log_bound`, :func:`spectrum`, :data:`GAMMA`: the theory to draw beside them.

Why not ``out.retain_grad()`` on ``nn.RNN``'s output? The fused kernel hides the recurrence, so
that gradient holds only the DIRECT loss term of each step (exactly 0 before the last step when
the loss sits on the last step). The total gradient also flows through h_{t+1}, h_{t+2}, ...

Shapes: B batch, T time, H hidden size.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch

from .models import RecurrentNet

__all__ = [
    "GAMMA",
    "hidden_state_gradients",
    "hidden_state_gradients_naive",
    "step_weight_gradients",
    "jacobian_log_norms",
    "pascanu_log_bound",
    "spectrum",
    "gradient_norms_by_step",
]

#: Bound on |sigma'| for each activation: tanh and ReLU 1, logistic sigmoid 1/4.
GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}

LossFn = Callable[[torch.Tensor], torch.Tensor]


def _as_dtype(model: RecurrentNet, x: torch.Tensor, dtype: torch.dtype | None):
    if dtype is None or dtype == x.dtype and next(model.parameters()).dtype == dtype:
        return model, x
    return copy.deepcopy(model).to(dtype), x.to(dtype)


def hidden_state_gradients(model: RecurrentNet, x: torch.Tensor, loss_fn: LossFn, *,
                           dtype: torch.dtype | None = None) -> torch.Tensor:
    """Total dL/dh_t for every step, ``L = loss_fn(model(x))``, from one backward pass.

    x: ``(B, T, I)``; ``loss_fn`` maps outputs ``(B, T, O)`` to a scalar. Returns ``(B, T, H)``
    (for the LSTM, the gradient with respect to h_t, not c_t). ``dtype=torch.float64`` computes in
    double precision on a copy of the model, so tiny gradients do not underflow float32.

    RNN and LSTM without normalisation run on torch's fused kernel: the input gets H extra zero
    channels e_t whose input weights are W_hh, so dL/de_t = W_hh^T dL/dz_t, the recurrent part of
    dL/dh_{t-1}. Adding the direct term (the gradient at the kernel's output) gives the total.
    Other models run the explicit step loop and ask autograd for every h_t at once.
    """
    model, x = _as_dtype(model, x, dtype)
    if model.fusable and model.cell_type in ("rnn", "lstm"):
        B, T, _ = x.shape
        e = x.new_zeros(B, T, model.hidden_size, requires_grad=True)
        w_ih = torch.cat([model.cell.weight_ih, model.cell.weight_hh], dim=1)  # (G, I + H)
        hs = model.fused_hidden(torch.cat([x, e], dim=-1), w_ih)  # (B, T, H)
        loss = loss_fn(model.readout(hs))
        direct, through_next = torch.autograd.grad(loss, [hs, e])
        total = direct.clone()
        total[:, :-1] += through_next[:, 1:]
        return total
    hs = model.hidden_states(x)
    loss = loss_fn(model.readout(torch.stack(hs, dim=1)))
    return torch.stack(torch.autograd.grad(loss, hs), dim=1)


def hidden_state_gradients_naive(model: RecurrentNet, x: torch.Tensor, loss_fn: LossFn
                                 ) -> torch.Tensor:
    """The O(T^2) baseline: a separate backward pass for every step. ``(B, T, H)``.

    Only for benchmarks and tests; use :func:`hidden_state_gradients`.
    """
    hs = model.hidden_states(x)
    loss = loss_fn(model.readout(torch.stack(hs, dim=1)))
    out = [torch.autograd.grad(loss, h, retain_graph=True)[0] for h in hs]
    return torch.stack(out, dim=1)


def gradient_norms_by_step(grads: torch.Tensor) -> torch.Tensor:
    """Per-step norm over batch and units: ``(B, T, H)`` -> ``(T,)``, sqrt(sum_b,h g^2)."""
    return grads.pow(2).sum(dim=(0, 2)).sqrt()


def step_weight_gradients(model: RecurrentNet, x: torch.Tensor, loss_fn: LossFn, *,
                          dtype: torch.dtype | None = None) -> torch.Tensor:
    """Each step's contribution to dL/dW_hh: ``(T, G, H)``; their sum is dL/dW_hh.

    Step t's term is the gradient through the copy of W_hh used at step t, i.e. how much the
    weight update "hears" from step t. Its Frobenius norm per step is the usual chart.
    """
    model, x = _as_dtype(model, x, dtype)
    T = x.shape[1]
    w = model.cell.weight_hh.detach()
    w_steps = w.unsqueeze(0).repeat(T, 1, 1).requires_grad_(True)
    hs = model.hidden_states(x, w_hh_steps=w_steps)
    loss = loss_fn(model.readout(torch.stack(hs, dim=1)))
    (g,) = torch.autograd.grad(loss, [w_steps])
    return g


def _state_vector(model: RecurrentNet, state) -> torch.Tensor:
    return torch.cat(state, dim=-1) if model.cell_type == "lstm" else state


@torch.no_grad()
def jacobian_log_norms(model: RecurrentNet, x: torch.Tensor, *, sample: int = 0
                       ) -> torch.Tensor:
    """log10 ||d s_T / d s_t||_2 for every lag ``k = T - t`` in ``0..T``, for one sequence.

    s_t is the hidden state h_t (for the LSTM the pair (h_t, c_t)). The product of step
    Jacobians is renormalised at every step and its scale kept as a log, so nothing under- or
    overflows even at T = 500. Returns ``(T + 1,)`` float64; lag 0 is 0 (the identity). A product
    that reaches exactly zero (dead ReLUs) gives -inf from there on.
    """
    model = copy.deepcopy(model).to(torch.float64).eval()
    xs = x[sample:sample + 1].to(torch.float64)  # (1, T, I)
    T = xs.shape[1]
    xp = xs @ model.cell.weight_ih.T
    states = [model.init_state(1, xs)]
    for t in range(T):
        states.append(model.step(xp[:, t], states[-1], t)[1])

    def step_fn(s_vec: torch.Tensor, t: int) -> torch.Tensor:
        if model.cell_type == "lstm":
            s = tuple(s_vec.unsqueeze(0).chunk(2, dim=-1))
        else:
            s = s_vec.unsqueeze(0)
        return _state_vector(model, model.step(xp[:, t], s, t)[1]).squeeze(0)

    out = torch.empty(T + 1, dtype=torch.float64)
    out[0] = 0.0
    S = _state_vector(model, states[0]).shape[-1]
    P = torch.eye(S, dtype=torch.float64)
    log_scale = 0.0
    for k in range(1, T + 1):
        t = T - k  # Jacobian of step t: d s_{t+1} / d s_t
        if model.cell_type == "rnn":
            pre = model.step(xp[:, t], states[t], t)[0].squeeze(0)
            deriv = 1 - pre.pow(2) if model.nonlinearity == "tanh" else (pre > 0).double()
            J = deriv.unsqueeze(1) * model.cell.weight_hh  # diag(sigma') W_hh
        else:
            with torch.enable_grad():
                J = torch.func.jacrev(step_fn)(_state_vector(model, states[t]).squeeze(0), t)
        P = P @ J
        n = torch.linalg.matrix_norm(P, ord=2).item()
        if n == 0.0 or not math.isfinite(n):
            out[k:] = -math.inf if n == 0.0 else math.nan
            break
        log_scale += math.log10(n)
        out[k] = log_scale
        P = P / n
    return out


def pascanu_log_bound(sigma_max: float, gamma: float, n_lags: int) -> torch.Tensor:
    """log10 of the Pascanu et al. (2013) bound (sigma_max * gamma)^k for k in ``0..n_lags``.

    Each step Jacobian diag(sigma'(a)) W_hh has norm at most gamma * sigma_max(W_hh), so a
    product of k of them is at most that to the k. Returns ``(n_lags + 1,)`` float64.
    """
    eta = float(sigma_max) * float(gamma)
    k = torch.arange(n_lags + 1, dtype=torch.float64)
    if eta <= 0:
        out = torch.full_like(k, -math.inf)
        out[0] = 0.0
        return out
    return k * math.log10(eta)


@torch.no_grad()
def spectrum(w: torch.Tensor) -> dict[str, torch.Tensor]:
    """Singular values (descending) and, for a square matrix, eigenvalues of ``w``.

    Returns ``{"singular": (H,), "eig_real": (H,), "eig_imag": (H,), "spectral_radius": ()}``.
    """
    w = w.detach().to(torch.float64)
    out = {"singular": torch.linalg.svdvals(w)}
    if w.shape[0] == w.shape[1]:
        ev = torch.linalg.eigvals(w)
        out.update(eig_real=ev.real, eig_imag=ev.imag, spectral_radius=ev.abs().max())
    return out
