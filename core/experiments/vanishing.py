"""Section 1, vanishing gradients: how much error signal reaches each earlier step."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..claims import claim, finite
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
from ..theory import pow10_text
from ..training import train
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
    ``spectral_radius``, ``gamma``, ``eta`` = sigma_max * gamma (None for gated cells),
    ``ratio`` (||dL/dh_0|| / ||dL/dh_{T-1}||), ``batch_size``
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
        "eta": sigma * gamma if gamma is not None else None,
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


@experiment(cell="rnn", seq_len=40, hidden_size=64, steps=300, lr=5e-3, seed=0, short_len=5)
def training_heatmap(cell, seq_len, hidden_size, steps, lr, seed, short_len):
    """Lag x training-step map of log10 ||dL/dh_t|| while a network trains on the adding problem,
    and the control: the same network, steps and learning rate on sequences of ``short_len``.

    Returns ``probe_steps`` (S,), ``lag`` (T,), ``log_grad`` (S, T) with lag = T-1-t, the loss
    curve ``step``, ``loss`` (steps,), ``final_loss`` (mean of the last 20 losses); the control
    run's ``short_step``, ``short_loss`` (steps,), ``short_final_loss``; ``seq_len``,
    ``short_len``, ``steps``, ``lr`` and ``chance`` (MSE of always answering 1, 1/6).
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
    short_task = make_task("adding", short_len)
    short = train(build_model(cell, short_task.input_size, hidden_size, short_task.output_size,
                              seed=seed),
                  short_task, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                  steps=steps, batch_size=64, seed=seed)
    return {"probe_steps": probe_steps, "lag": list(range(seq_len)), "log_grad": logs,
            "step": hist.column("step"), "loss": hist.column("loss"),
            "final_loss": hist.final_loss(), "short_step": short.column("step"),
            "short_loss": short.column("loss"), "short_final_loss": short.final_loss(),
            "seq_len": seq_len, "short_len": short_len, "steps": steps, "lr": lr,
            "chance": task.chance}


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
def _rnn(p: dict) -> bool:
    return p["cell"] == "rnn"


@claim(gradient_profile, observed=lambda r: f"first/last = {r['ratio']:.1e}",
       perturb=lambda r: {**r, "ratio": 1e-5},
       settings=[{}, {"seq_len": 300}])
def vanishes(r: dict) -> bool:
    """less than a billionth of the last step's gradient reaches step 0"""
    return finite(r["ratio"]) and r["ratio"] < 1e-9


def _log_fit(norms: list[float]) -> tuple[float, float]:
    """Slope (log10 per step) and R² of a straight line through log10 ``norms`` (T,)."""
    y = np.log10(np.asarray(norms, dtype=float))
    t = np.arange(len(y), dtype=float)
    slope, icpt = np.polyfit(t, y, 1)
    resid = y - (slope * t + icpt)
    return float(slope), float(1.0 - resid.var() / y.var())


@claim(gradient_profile,
       observed=lambda r: (f"each step back multiplies it by about "
                           f"{10 ** -_log_fit(r['grad_norm'])[0]:.2f}; a straight line explains "
                           f"{100 * _log_fit(r['grad_norm'])[1]:.1f}% of the log curve's "
                           "variation, the check asks for 95%"),
       perturb=lambda r: {**r, "grad_norm": [1.0 if i % 2 else 1e-20
                                             for i in range(len(r["grad_norm"]))]},
       settings=[{}, {"seq_len": 300}])
def geometric(r: dict) -> bool:
    """the gradient shrinks by a nearly constant factor per step: on the log scale the
    measured line is almost straight"""
    g = r["grad_norm"]
    if not all(finite(v) and v > 0 for v in g):
        return False
    slope, r2 = _log_fit(g)
    return slope > 0 and r2 > 0.95


@claim(gradient_profile, perturb=lambda r: {**r, "grad_norm": [2.0 * b for b in r["bound"]]},
       settings=[{}, {"gain": 0.8}], applies=_rnn)
def under_bound(r: dict) -> bool:
    """the measured line stays under the dashed Pascanu bound at every step"""
    return all(finite(g) and g <= b * (1 + 1e-9) for g, b in zip(r["grad_norm"], r["bound"]))


def _default_scale(p: dict) -> bool:
    return _rnn(p) and p["init"] == "default" and p["gain"] >= 1.0


@claim(gradient_profile,
       observed=lambda r: f"σ_max·γ = {r['eta']:.3f}, first/last = {r['ratio']:.1e}",
       perturb=lambda r: {**r, "eta": 0.9},
       settings=[{}, {"seq_len": 300}], applies=_default_scale)
def bound_silent(r: dict) -> bool:
    """σ_max·γ is above 1, so the bound grows going back and promises nothing; the
    gradient vanishes anyway"""
    return finite(r["eta"]) and r["eta"] > 1 and finite(r["ratio"]) and r["ratio"] < 1e-9


@claim(gradient_profile,
       observed=lambda r: (f"σ_max·γ = {r['eta']:.3f}; over the sequence the bound allows "
                           f"{r['bound'][0] / r['bound'][-1]:.1e}, measured {r['ratio']:.1e}"),
       perturb=lambda r: {**r, "eta": 1.1},
       settings=[{"gain": 0.8}],
       applies=lambda p: _rnn(p) and p["init"] == "default" and p["gain"] <= 0.8)
def bound_bites(r: dict) -> bool:
    """σ_max·γ is below 1, so the bound itself falls going back; the measured
    gradient falls faster still"""
    b = r["bound"]
    return (finite(r["eta"]) and r["eta"] < 1 and b[0] < b[-1]
            and finite(r["ratio"]) and r["ratio"] < b[0] / b[-1])


@claim(gradient_profile,
       observed=lambda r: ("largest first/last over the units "
                           f"{max(f / l for f, l in zip(r['heat'][0], r['heat'][-1])):.1e}"),
       perturb=lambda r: {**r, "heat": [[*row[:-1], 1.0] for row in r["heat"]]},
       settings=[{}])
def every_unit_fades(r: dict) -> bool:
    """every hidden unit fades: at step 0 each unit gets less than a millionth of its
    gradient at the last step"""
    first, last = r["heat"][0], r["heat"][-1]
    return all(finite(f) and finite(la) and la > 0 and f < 1e-6 * la
               for f, la in zip(first, last))


@claim(weight_update_shares,
       observed=lambda r: (f"last 5: {100 * sum(r['share'][-5:]):.1f}%, first half: "
                           f"{100 * sum(r['share'][:len(r['share']) // 2]):.1e}%"),
       perturb=lambda r: {**r, "share": [1.0 / len(r["share"])] * len(r["share"])})
def last_steps_dominate(r: dict) -> bool:
    """the last 5 steps supply more than 80% of dL/dW_hh, the whole first half less than 0.01%"""
    s = r["share"]
    return sum(s[-5:]) > 0.8 and sum(s[:len(s) // 2]) < 1e-4


@claim(weight_update_shares,
       perturb=lambda r: {**r, "contribution": [1e-30, *r["contribution"][1:]]})
def step0_zero(r: dict) -> bool:
    """step 0's term is exactly zero (the state before step 0 is all zeros)"""
    return r["contribution"][0] == 0.0


def _far_gap(r: dict) -> float:
    """Smallest gap, over the probes, between lag 0 and the farthest lag (orders of magnitude)."""
    return min(row[0] - row[-1] for row in r["log_grad"])


@claim(training_heatmap, observed=lambda r: f"at most {pow10_text(-_far_gap(r))} of it",
       perturb=lambda r: {**r, "log_grad": [*r["log_grad"][:-1], [0.0] * len(r["lag"])]})
def far_lags_stay_dark(r: dict) -> bool:
    """training does not open the path: at every probe the farthest lag receives less than
    1e-4 of lag 0's gradient"""
    return all(finite(v) for row in r["log_grad"] for v in row) and _far_gap(r) >= 4.0


@claim(training_heatmap,
       observed=lambda r: f"final loss {r['final_loss']:.3f}, chance {r['chance']:.3f}",
       perturb=lambda r: {**r, "final_loss": 0.5 * r["chance"]})
def long_stays_at_chance(r: dict) -> bool:
    """the long run's loss stays near the chance line: it ends above 90% of it"""
    return finite(r["final_loss"]) and r["final_loss"] >= 0.9 * r["chance"]


@claim(training_heatmap,
       observed=lambda r: (f"T = {r['short_len']}: final loss {r['short_final_loss']:.3f}, "
                           f"half of chance {r['chance'] / 2:.3f}"),
       perturb=lambda r: {**r, "short_final_loss": r["chance"]})
def short_learns(r: dict) -> bool:
    """the control learns: the same network, steps and learning rate on short sequences ends
    below half the chance loss"""
    return finite(r["short_final_loss"]) and r["short_final_loss"] < 0.5 * r["chance"]
