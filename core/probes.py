"""Gradient probes: where the error signal goes, step by step.

- :func:`hidden_state_gradients`: the total BPTT gradient dL/dh_t for every step, in one
  forward and one reverse sweep (about the cost of one fused training step).
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
    "hidden_state_gradients_autograd",
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
    """Total dL/dh_t for every step, ``L = loss_fn(model(x))``: ``(B, T, H)``.

    x: ``(B, T, I)``; ``loss_fn`` maps outputs ``(B, T, O)`` to a scalar. Returns ``(B, T, H)``
    (for the LSTM, the gradient with respect to h_t, not c_t). ``dtype=torch.float64`` computes in
    double precision on a copy of the model, so tiny gradients do not underflow float32.

    Models without normalisation (RNN, LSTM, GRU) use a hand-written adjoint: one forward sweep
    that keeps every gate, the direct term dL/dh_t from autograd on the readout and loss (no
    recurrence there), then one reverse sweep
    ``dL/dh_{t-1} = direct_{t-1} + (dh_t/dh_{t-1})^T dL/dh_t`` with the step Jacobian written out
    (see :func:`_adjoint_gradients`). No autograd graph through the recurrence and no weight
    gradients, so it costs about one fused training step. Models with normalisation inside the
    step run the explicit step loop and ask autograd for every h_t at once.
    """
    model, x = _as_dtype(model, x, dtype)
    if model.fusable and x.shape[1] > 0:
        return _adjoint_gradients(model, x, loss_fn)
    return hidden_state_gradients_autograd(model, x, loss_fn)


def hidden_state_gradients_autograd(model: RecurrentNet, x: torch.Tensor, loss_fn: LossFn
                                    ) -> torch.Tensor:
    """The same ``(B, T, H)`` as :func:`hidden_state_gradients`, from one autograd backward.

    RNN and LSTM without normalisation run on torch's fused kernel: the input gets H extra zero
    channels e_t whose input weights are W_hh, so dL/de_t = W_hh^T dL/dz_t, the recurrent part of
    dL/dh_{t-1}. Adding the direct term (the gradient at the kernel's output) gives the total.
    Other models run the explicit step loop and ask autograd for every h_t at once. Kept as an
    independent cross-check of the adjoint (tests) and as the benchmark's previous design.
    """
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


def _projected_steps(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, size: int = 16):
    """``W x_t + b`` for every step, ``(B, G)`` each, computed ``size`` steps at a time.

    Small blocks instead of one ``(T, B, G)`` tensor: a big fresh buffer costs page faults on
    first touch (about 10 ms for 26 MB here), which made long sequences slower than linear.
    """
    B, T, I = x.shape
    for t0 in range(0, T, size):
        t1 = min(t0 + size, T)
        xc = x[:, t0:t1].transpose(0, 1).reshape((t1 - t0) * B, I)
        yield from torch.addmm(b, xc, w.T).view(t1 - t0, B, -1).unbind(0)


@torch.no_grad()
def _forward_sweep(model: RecurrentNet, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every hidden state and what the reverse sweep needs, time-major, without autograd.

    Returns ``h`` ``(T, B, H)`` and, per cell: LSTM ``gates`` ``(T, B, 4, H)`` holding
    sigmoid(i), sigmoid(f), s = sigmoid(-2 g_pre) (so tanh(g_pre) = 1 - 2 s: one sigmoid call
    for all four gates), sigmoid(o); ``c`` ``(T + 1, B, H)`` with c_0 = 0.
    GRU ``rz`` ``(T, B, 2, H)``, ``n`` and ``hn`` = W_hn h_{t-1} + b_hn ``(T, B, H)``.
    The vanilla RNN runs torch's fused kernel (its h_t is all the reverse sweep needs).
    """
    c, H = model.cell, model.hidden_size
    B, T, _ = x.shape
    if model.cell_type == "rnn":
        return {"h": model.fused_hidden(x).transpose(0, 1).contiguous()}
    G = c.weight_ih.shape[0]
    hT = x.new_empty(T, B, H)
    h = x.new_zeros(B, H)
    if model.cell_type == "lstm":
        scale = torch.ones(G, dtype=x.dtype)
        scale[2 * H:3 * H] = -2.0
        w_hh_t = (c.weight_hh * scale[:, None]).T  # (H, G)
        xp = _projected_steps(x, c.weight_ih * scale[:, None], (c.bias_ih + c.bias_hh) * scale)
        gates = x.new_empty(T, B, 4, H)
        cs = x.new_zeros(T + 1, B, H)
        tc = x.new_empty(B, H)
        # per-step views made once: indexing a Python list costs nothing, a tensor index an op
        g_, c_, h_ = (v.unbind(0) for v in (gates, cs, hT))
        for t, xp_t in enumerate(xp):
            gt = g_[t]
            torch.sigmoid(torch.addmm(xp_t, h, w_hh_t), out=gt.view(B, G))
            i, f, s, o = gt.unbind(1)
            # c_t = f c_{t-1} + i tanh(g) = (i + f c_{t-1}) - 2 i s, as tanh(g) = 1 - 2 s
            c_new = torch.addcmul(torch.addcmul(i, f, c_[t]), i, s, value=-2.0, out=c_[t + 1])
            h = torch.mul(o, torch.tanh(c_new, out=tc), out=h_[t])
        return {"h": hT, "gates": gates, "c": cs}
    w_hh_t, b_hh = c.weight_hh.T, c.bias_hh
    rz = x.new_empty(T, B, 2, H)
    ns, hns = x.new_empty(T, B, H), x.new_empty(T, B, H)
    rz_, n_, hn_, h_ = (v.unbind(0) for v in (rz, ns, hns, hT))
    for t, xt in enumerate(_projected_steps(x, c.weight_ih, c.bias_ih)):
        gh = torch.addmm(b_hh, h, w_hh_t)  # (B, 3H): W_hr h, W_hz h, W_hn h (+ biases)
        rzt = torch.sigmoid(torch.add(xt[:, :2 * H], gh[:, :2 * H]), out=rz_[t].view(B, 2 * H))
        hn = hn_[t].copy_(gh[:, 2 * H:])
        n = torch.tanh(torch.addcmul(xt[:, 2 * H:], rzt[:, :H], hn), out=n_[t])
        h = torch.addcmul(n, rzt[:, H:], h - n, out=h_[t])  # (1 - z) n + z h_{t-1}
    return {"h": hT, "rz": rz, "n": ns, "hn": hns}


def _chunks(T: int, size: int = 16) -> list[tuple[int, int]]:
    """Time ranges ``[t0, t1)`` of ``size`` steps, last first (the order of the reverse sweep)."""
    return [(t0, min(t0 + size, T)) for t0 in range(0, T, size)][::-1]


def _adjoint_gradients(model: RecurrentNet, x: torch.Tensor, loss_fn: LossFn) -> torch.Tensor:
    """dL/dh_t by the reverse sweep, for a model without normalisation. ``(B, T, H)``.

    With a_t the total gradient at h_t, d_t the direct one (from the readout at step t) and
    W = W_hh ``(G, H)`` (gate blocks stacked as torch stores them):

    - RNN: a_{t-1} = d_{t-1} + W^T (sigma'(pre_t) * a_t), sigma' = 1 - h_t^2 (tanh) or [h_t > 0].
    - LSTM: with the cell gradient b_t = a_t o_t (1 - tanh^2 c_t) + b_{t+1} f_{t+1}, the gate
      pre-activation gradients are dz_t = (b_t g_t i'_t, b_t c_{t-1} f'_t, b_t i_t g'_t,
      a_t tanh(c_t) o'_t) and a_{t-1} = d_{t-1} + W^T dz_t.
    - GRU (h_t = (1 - z) n + z h_{t-1}, n = tanh(x_n + r (W_hn h_{t-1} + b_hn))): with
      dn = a_t (1 - z)(1 - n^2), the hidden-side gate gradients are (dn hn r', a_t (h_{t-1} - n)
      z', dn r) and a_{t-1} = d_{t-1} + z_t a_t + W^T (those three).

    Everything that does not depend on a_t is computed for 16 steps at a time (so it stays in
    cache at long T); the loop over t does one matrix product and two to four element-wise
    products per step.
    """
    B, T, _ = x.shape
    H = model.hidden_size
    fw = _forward_sweep(model, x)
    hT = fw["h"]  # (T, B, H)
    leaf = hT.detach().transpose(0, 1).requires_grad_(True)  # (B, T, H)
    (direct,) = torch.autograd.grad(loss_fn(model.readout(leaf)), [leaf])
    with torch.no_grad():
        W = model.cell.weight_hh.detach()
        D = direct.transpose(0, 1).contiguous()  # (T, B, H)
        out = torch.empty_like(D)
        D_, out_ = D.unbind(0), out.unbind(0)
        a = out_[T - 1].copy_(D_[T - 1])
        if model.cell_type == "rnn":
            K = 1 - hT * hT if model.nonlinearity == "tanh" else (hT > 0).to(hT.dtype)
            K_ = K.unbind(0)
            for t in range(T - 1, 0, -1):
                a = torch.addmm(D_[t - 1], a * K_[t], W, out=out_[t - 1])
        elif model.cell_type == "gru":
            for t0, t1 in _chunks(T):
                r, z = fw["rz"][t0:t1].unbind(2)
                n, hn = fw["n"][t0:t1], fw["hn"][t0:t1]
                if t0 == 0:
                    h_prev = torch.cat([hT.new_zeros(1, B, H), hT[:t1 - 1]])
                else:
                    h_prev = hT[t0 - 1:t1 - 1]
                kn = (1 - z) * (1 - n * n)
                K = torch.stack([kn * hn * r * (1 - r), (h_prev - n) * z * (1 - z), kn * r], 2)
                K_, z_ = K.unbind(0), z.unbind(0)
                for t in range(t1 - 1, max(t0, 1) - 1, -1):
                    dgh = (K_[t - t0] * a.unsqueeze(1)).view(B, 3 * H)
                    a = torch.addmm(torch.addcmul(D_[t - 1], z_[t - t0], a), dgh, W,
                                    out=out_[t - 1])
        else:
            dz = x.new_empty(B, 4, H)
            dz3, dzo, dzf = dz[:, :3], dz[:, 3], dz.view(B, 4 * H)
            carry = None  # f_{t+1} b_{t+1}
            for t0, t1 in _chunks(T):  # the gate terms of a few steps at a time stay in cache
                gates = fw["gates"][t0:t1]  # (n, B, 4, H)
                i, f, s, o = gates.unbind(2)
                di, df, ds, do = (gates * (1 - gates)).unbind(2)  # sigmoid derivatives
                c_prev = fw["c"][t0:t1]
                # tanh(c_t) = h_t / o_t; where o_t underflows to 0, h_t = 0 and every term that
                # uses tanh(c_t) is multiplied by o_t or o_t', so any finite value is exact
                tc = hT[t0:t1] / o.clamp_min(torch.finfo(o.dtype).tiny)
                A = torch.addcmul(o, o * tc, tc, value=-1.0)  # o (1 - tanh^2 c): a_t -> b_t
                K3 = gates.new_empty(t1 - t0, B, 3, H)
                torch.mul(torch.rsub(s, 1.0, alpha=2.0), di, out=K3[:, :, 0])  # g i'
                torch.mul(c_prev, df, out=K3[:, :, 1])  # c_{t-1} f'
                torch.mul(i, ds, out=K3[:, :, 2]).mul_(4.0)  # i g', g' = 1 - g^2 = 4 s (1 - s)
                Ko = tc * do
                A_, K3_, Ko_, f_ = A.unbind(0), K3.unbind(0), Ko.unbind(0), f.unbind(0)
                for t in range(t1 - 1, max(t0, 1) - 1, -1):
                    k = t - t0
                    b = A_[k] * a if carry is None else torch.addcmul(carry, A_[k], a)
                    torch.mul(K3_[k], b.unsqueeze(1), out=dz3)
                    torch.mul(Ko_[k], a, out=dzo)
                    a = torch.addmm(D_[t - 1], dzf, W, out=out_[t - 1])
                    carry = b.mul_(f_[k])
    return out.transpose(0, 1)


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
