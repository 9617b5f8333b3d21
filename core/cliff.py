"""Pascanu et al.'s cliff: the loss surface of a one-unit recurrent network.

The model (Pascanu, Mikolov, Bengio 2013, arXiv:1211.5063, section 3 and Figure 6; the
one-unit map comes from Doya 1993) has one hidden unit, a recurrent weight ``w`` and a bias
``b``, and no input::

    x_0 = x0,    x_t = w * sigmoid(x_{t-1}) + b   for t = 1..T,    E(w, b) = (x_T - target)^2

For large ``w`` the map has two stable fixed points (a high and a low one). Lowering ``b`` past
a critical value makes the high one vanish (a saddle-node bifurcation), and x_T falls to the low
one: the loss jumps, and along that edge the gradient is enormous. Gradient descent walking
downhill is led right to that edge (the lowest loss on the high branch sits next to it); an
unclipped step there is flung far away, a norm-clipped one is not.

Everything here is float64 and torch only (no Streamlit). Shapes: G grid points.
"""

from __future__ import annotations

import math

import torch

__all__ = ["CliffSpec", "unroll", "loss_and_grad", "point_loss_and_grad", "surface", "descend",
           "edge_offset"]


class CliffSpec:
    """The one-unit problem: sequence length ``T``, start ``x0``, ``target``."""

    def __init__(self, T: int = 50, x0: float = 0.5, target: float = 0.7):
        if int(T) < 1:
            raise ValueError("T must be at least 1")
        self.T, self.x0, self.target = int(T), float(x0), float(target)

    def as_dict(self) -> dict:
        return {"T": self.T, "x0": self.x0, "target": self.target}


def unroll(w: torch.Tensor, b: torch.Tensor, spec: CliffSpec) -> torch.Tensor:
    """x_T for every (w, b): ``w, b`` broadcastable float64 tensors -> x_T of their shape."""
    x = torch.full(torch.broadcast_shapes(w.shape, b.shape), spec.x0, dtype=torch.float64)
    for _ in range(spec.T):
        x = w * torch.sigmoid(x) + b
    return x


def loss_and_grad(w: torch.Tensor, b: torch.Tensor, spec: CliffSpec
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """E(w, b) and its gradient by BPTT (autograd), elementwise over a grid.

    ``w, b``: (G,) float64. Returns ``(E, dE/dw, dE/db)``, each (G,). Each grid point is an
    independent network, so the gradient of the summed loss is every point's own gradient.
    """
    w = w.detach().clone().to(torch.float64).requires_grad_(True)
    b = b.detach().clone().to(torch.float64).requires_grad_(True)
    E = (unroll(w, b, spec) - spec.target) ** 2
    gw, gb = torch.autograd.grad(E.sum(), [w, b])
    return E.detach(), gw, gb


def surface(w_range: tuple[float, float], b_range: tuple[float, float], n: int,
            spec: CliffSpec) -> dict:
    """The loss and gradient norm on an ``n`` x ``n`` grid.

    Returns ``w`` (n,), ``b`` (n,), ``loss`` and ``grad_norm``: (n, n) lists indexed [i_b][i_w].
    """
    ws = torch.linspace(w_range[0], w_range[1], n, dtype=torch.float64)
    bs = torch.linspace(b_range[0], b_range[1], n, dtype=torch.float64)
    B, W = torch.meshgrid(bs, ws, indexing="ij")  # (n, n) each, rows are b
    E, gw, gb = loss_and_grad(W.reshape(-1), B.reshape(-1), spec)
    return {"w": ws.tolist(), "b": bs.tolist(), "loss": E.reshape(n, n).tolist(),
            "grad_norm": torch.sqrt(gw ** 2 + gb ** 2).reshape(n, n).tolist()}


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0 (or NaN): never overflows
    return e / (1.0 + e)


def point_loss_and_grad(w: float, b: float, spec: CliffSpec) -> tuple[float, float, float]:
    """E(w, b), dE/dw, dE/db for one network, by hand-written BPTT in plain floats.

    Forward: x_t = w s_{t-1} + b with s_{t-1} = sigmoid(x_{t-1}). Backward from
    d = dE/dx_T = 2 (x_T - target): dE/dw += d s_{t-1}, dE/db += d, then d <- d w s'(x_{t-1}).
    Much faster than autograd for a single point; :func:`loss_and_grad` checks it in the tests.
    Overflow gives inf/NaN values, never an exception.
    """
    xs = [spec.x0]
    for _ in range(spec.T):
        xs.append(w * _sigmoid(xs[-1]) + b)
    r = xs[-1] - spec.target
    loss = r * r  # float multiplication overflows to inf instead of raising
    d = 2.0 * r
    gw = gb = 0.0
    for t in range(spec.T, 0, -1):
        s = _sigmoid(xs[t - 1])
        gw += d * s
        gb += d
        d = d * w * s * (1.0 - s)
    return loss, gw, gb


def edge_offset(w: float, b: float, spec: CliffSpec) -> float:
    """How far ``b`` lies above the cliff line b = x0 - w sigmoid(x0) at this ``w`` (negative:
    below). On the line, x0 is a fixed point of the map, unstable where w sigmoid'(x0) > 1."""
    return b - (spec.x0 - w * _sigmoid(spec.x0))


def descend(start: tuple[float, float], spec: CliffSpec, *, lr: float, steps: int,
            clip: str = "none", threshold: float = 1.0) -> dict:
    """Plain gradient descent on (w, b) from ``start``, optionally clipped.

    clip: ``"none"``, ``"norm"`` (Pascanu's Algorithm 1: if ||g|| >= threshold, g <- threshold
    g / ||g||) or ``"value"`` (each component clamped to [-threshold, threshold]).
    Returns lists of length ``n + 1`` (n = steps actually taken): ``w``, ``b``, ``loss``; of
    length ``n``: ``grad_norm`` (before clipping), ``step_size`` (length of the step taken),
    ``clipped``. A non-finite value stops the path (it is kept, so charts can mark it).
    """
    if clip not in ("none", "norm", "value"):
        raise ValueError(f"clip must be none, norm or value, got {clip!r}")
    w, b = float(start[0]), float(start[1])
    out: dict = {"w": [w], "b": [b], "loss": [], "grad_norm": [], "step_size": [],
                 "clipped": []}
    for _ in range(int(steps)):
        e, gw, gb = point_loss_and_grad(w, b, spec)
        out["loss"].append(e)
        norm = math.hypot(gw, gb)
        clipped = False
        if clip == "norm" and norm >= threshold:
            gw, gb = gw * threshold / norm, gb * threshold / norm
            clipped = True
        elif clip == "value" and max(abs(gw), abs(gb)) > threshold:
            gw = max(-threshold, min(threshold, gw))
            gb = max(-threshold, min(threshold, gb))
            clipped = True
        w, b = w - lr * gw, b - lr * gb
        out["grad_norm"].append(norm)
        out["step_size"].append(lr * math.hypot(gw, gb))
        out["clipped"].append(clipped)
        out["w"].append(w)
        out["b"].append(b)
        if not (math.isfinite(w) and math.isfinite(b)):
            break
    last = (point_loss_and_grad(w, b, spec)[0] if math.isfinite(w) and math.isfinite(b)
            else math.nan)
    out["loss"].append(last)
    return out
