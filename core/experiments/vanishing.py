"""Section 1, vanishing gradients: how much error signal reaches each earlier step."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..models import build_model, recurrent_blocks
from ..probes import (
    GAMMA,
    gradient_norms_by_step,
    hidden_state_gradients,
    pascanu_log_bound,
    spectrum,
    step_weight_gradients,
)
from ..tasks import make_task
from ..training import train
from ..claims import claim, finite
from . import experiment

#: Heatmaps are binned to at most this many time columns and hidden units.
MAX_COLS, MAX_UNITS = 100, 48
#: Memory budget of one float64 probe (bytes): the batch shrinks to stay inside it.
PROBE_BYTES = 150e6


def probe_batch(cell: str, seq_len: int, hidden_size: int, wanted: int) -> int:
    """The largest batch <= ``wanted`` whose float64 probe stays within ``PROBE_BYTES``.

    Backward keeps roughly four (B, T, G) float64 tensors alive (G = gates x H).
    """
    G = {"rnn": 1, "gru": 3, "lstm": 4}[cell] * hidden_size
    return max(1, min(int(wanted), int(PROBE_BYTES // (4 * 8 * seq_len * G))))


def _binned(a: np.ndarray, max_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Average ``a`` (T, ...) over equal time bins: returns (bin start steps, (bins, ...))."""
    T = a.shape[0]
    edges = np.unique(np.linspace(0, T, min(T, max_cols) + 1).astype(int))
    return edges[:-1], np.stack([a[s:e].mean(0) for s, e in zip(edges[:-1], edges[1:])])


def _setup(cell, seq_len, hidden_size, init, gain, nonlinearity, seed, batch_size):
    task = make_task("adding", seq_len)
    model = build_model(cell, task.input_size, hidden_size, task.output_size,
                        nonlinearity=nonlinearity, init=init, gain=gain, seed=seed)
    x, y = task.sample(batch_size, torch.Generator().manual_seed(seed + 1))
    return task, model, x, y


@experiment(cell="rnn", seq_len=100, hidden_size=64, init="default", gain=1.0,
            nonlinearity="tanh", seed=0, batch_size=32)
def gradient_profile(cell, seq_len, hidden_size, init, gain, nonlinearity, seed, batch_size):
    """||dL/dh_t|| for every step of a fresh network on the adding problem (loss at the end),
    the Pascanu bound drawn from the last step, and |dL/dh_t| per hidden unit (binned).

    Returns lists: ``t``, ``grad_norm`` (T,), ``bound`` (T,) or None for gated cells,
    ``heat_t`` (bins,), ``heat_units`` (U,), ``heat`` (bins, U); scalars ``sigma_max``,
    ``spectral_radius``, ``gamma``, ``ratio`` (||dL/dh_0|| / ||dL/dh_{T-1}||), ``batch_size``
    (smaller than asked when a long, wide probe would not fit the memory budget).
    """
    batch_size = probe_batch(cell, seq_len, hidden_size, batch_size)
    task, model, x, y = _setup(cell, seq_len, hidden_size, init, gain, nonlinearity, seed,
                               batch_size)
    g = hidden_state_gradients(model, x, lambda o: task.loss(o, y.double()),
                               dtype=torch.float64)  # (B, T, H)
    norms = gradient_norms_by_step(g).numpy()
    T = seq_len
    bound = None
    blocks = recurrent_blocks(model)
    w = blocks.get("a", next(iter(blocks.values())))
    spec = spectrum(w)
    sigma = float(spec["singular"][0])
    gamma = GAMMA[model.nonlinearity] if cell == "rnn" else None
    if cell == "rnn":
        logb = pascanu_log_bound(sigma, gamma, T - 1).numpy()  # lag k = 0..T-1
        bound = (norms[-1] * 10.0 ** logb[::-1]).tolist()  # at step t the lag is T-1-t
    per_unit = g.abs().mean(0).numpy()  # (T, H)
    units = np.arange(min(hidden_size, MAX_UNITS))
    starts, heat = _binned(per_unit[:, units], MAX_COLS)
    last = norms[-1]
    return {
        "t": list(range(T)),
        "grad_norm": norms.tolist(),
        "bound": bound,
        "heat_t": starts.tolist(),
        "heat_units": units.tolist(),
        "heat": heat.tolist(),
        "sigma_max": sigma,
        "spectral_radius": float(spec["spectral_radius"]),
        "gamma": gamma,
        "ratio": float(norms[0] / last) if last > 0 else math.nan,
        "batch_size": batch_size,
    }


@experiment(seq_len=50, hidden_size=64, seed=0, batch_size=32)
def weight_update_shares(seq_len, hidden_size, seed, batch_size):
    """Each step's share of dL/dW_hh for a fresh tanh RNN on the adding problem.

    Returns ``t`` and ``contribution`` (Frobenius norm of step t's term), and ``share`` (its
    fraction of the sum of all terms' norms).
    """
    task, model, x, y = _setup("rnn", seq_len, hidden_size, "default", 1.0, "tanh", seed,
                               batch_size)
    g = step_weight_gradients(model, x, lambda o: task.loss(o, y.double()),
                              dtype=torch.float64)  # (T, H, H)
    c = g.flatten(1).norm(dim=1).numpy()
    return {"t": list(range(seq_len)), "contribution": c.tolist(),
            "share": (c / c.sum()).tolist()}


@experiment(cell="rnn", seq_len=40, hidden_size=64, steps=300, lr=1e-3, seed=0)
def training_heatmap(cell, seq_len, hidden_size, steps, lr, seed):
    """Lag x training-step map of log10 ||dL/dh_t|| while a network learns the adding problem.

    Returns ``probe_steps`` (S,), ``lag`` (T,), ``log_grad`` (S, T) with lag = T-1-t,
    and the loss curve ``step``, ``loss``; ``chance``.
    """
    task = make_task("adding", seq_len)
    model = build_model(cell, task.input_size, hidden_size, task.output_size, seed=seed)
    hist = train(model, task, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                 steps=steps, batch_size=64, seed=seed, probe_every=max(1, steps // 15))
    probe_steps = [p["step"] for p in hist.probes]
    logs = []
    for p in hist.probes:
        v = np.asarray(p["grad_norm_by_t"], dtype=float)[::-1]  # index = lag
        with np.errstate(divide="ignore"):
            logs.append(np.where(v > 0, np.log10(np.maximum(v, 1e-300)), -300.0).tolist())
    return {"probe_steps": probe_steps, "lag": list(range(seq_len)), "log_grad": logs,
            "step": hist.column("step"), "loss": hist.column("loss"), "chance": task.chance}


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
@claim(gradient_profile, "vanishes",
       "less than a millionth of the last step's gradient reaches step 0",
       observed=lambda r: f"first/last = {r['ratio']:.1e}",
       perturb=lambda r: {**r, "ratio": 0.5},
       settings=[{}, {"seq_len": 300}])
def _vanishes(r: dict) -> bool:
    return finite(r["ratio"]) and r["ratio"] < 1e-6
