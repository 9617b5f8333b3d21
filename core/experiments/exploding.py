"""Section 2, exploding gradients: a run that blows up, its NaN forensics, and the cliff."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import cliff
from ..models import build_model
from ..probes import jacobian_log_norms, spectrum
from ..tasks import make_task
from ..training import train
from . import experiment

#: The W_hh heatmap shows the top-left block of at most this many units (JSON size).
HEAT_UNITS = 32
#: The cliff window (w, b) and grid resolution shared with the clipping page.
CLIFF_W, CLIFF_B, CLIFF_N = (2.0, 12.0), (-7.0, 2.0), 46


def _nonfinite_counts(model: torch.nn.Module) -> dict[str, list[int]]:
    """``{parameter name: [non-finite entries, total entries]}``."""
    return {n: [int((~torch.isfinite(p)).sum()), p.numel()] for n, p in model.named_parameters()}


def _block(w: torch.Tensor, k: int) -> list[list[float]]:
    return w.detach()[:k, :k].double().tolist()


@experiment(nonlinearity="tanh", gain=2.0, seq_len=30, hidden_size=64, optimizer="sgd",
            lr=0.05, steps=200, batch_size=64, seed=0)
def blowup(nonlinearity, gain, seq_len, hidden_size, optimizer, lr, steps, batch_size, seed,
           report=None):
    """Train a vanilla RNN on the adding problem with settings that may explode.

    Records every step until the weights turn non-finite (then the run stops, as a real
    training script would have nothing left to train). Returns lists (n steps): ``step``,
    ``loss``, ``grad_norm`` (pre-update, all parameters together), ``w_max`` (max |W_hh| after
    the step, NaN when any entry is NaN); ``first_nonfinite`` (step, where, tensor) or None;
    ``stopped``; ``nonfinite_counts`` per parameter at the end; ``w_init``, ``w_last_finite``
    (after step ``w_last_finite_step``, -1 = init) and ``w_end``: the top-left (k, k) block of
    W_hh at the start, after the last step that left it finite, and at the end (non-finite
    entries kept);
    ``sigma_max`` and ``spectral_radius`` of W_hh at init; ``chance`` (1/6).
    """
    task = make_task("adding", seq_len)
    model = build_model("rnn", task.input_size, hidden_size, task.output_size,
                        nonlinearity=nonlinearity, init="default", gain=gain, seed=seed)
    w_init = model.cell.weight_hh.detach().clone()
    spec = spectrum(w_init)
    k = min(hidden_size, HEAT_UNITS)
    w_max: list[float] = []
    last_ok = {"step": -1, "w": w_init.clone()}  # W_hh after the last step that left it finite

    def result(hist, final: bool) -> dict:
        w = model.cell.weight_hh.detach()
        return {
            "step": hist.column("step"),
            "loss": hist.column("loss"),
            "grad_norm": hist.column("grad_norm"),
            "w_max": list(w_max),
            "first_nonfinite": hist.first_nonfinite,
            "stopped": hist.stopped if final else "running",
            "nonfinite_counts": _nonfinite_counts(model),
            "w_init": _block(w_init, k),
            "w_end": _block(w, k),
            "w_last_finite": _block(last_ok["w"], k),
            "w_last_finite_step": last_ok["step"],
            "sigma_max": float(spec["singular"][0]),
            "spectral_radius": float(spec["spectral_radius"]),
            "chance": task.chance,
            "steps_asked": int(steps),
        }

    def callback(rec, hist):
        w = model.cell.weight_hh.detach()
        if bool(torch.isfinite(w).all()):
            w_max.append(float(w.abs().max()))
            last_ok.update(step=rec["step"], w=w.clone())
        else:
            w_max.append(math.nan)
        if report is not None and (rec["step"] % 10 == 0):
            report((rec["step"] + 1) / steps, result(hist, False))

    hist = train(model, task, optimizer=optimizer, lr=lr, steps=steps, batch_size=batch_size,
                 seed=seed, callback=callback)
    return result(hist, True)


@experiment(gains=[1.0, 2.0, 3.0], seq_len=50, hidden_size=64, seed=0)
def jacobian_growth(gains, seq_len, hidden_size, seed):
    """log10 ||dh_T/dh_t||_2 against the lag for fresh tanh RNNs at several recurrent gains.

    For each gain: ``sigma_max`` of W_hh (sigma_max > 1 = 1/gamma is needed for explosion) and the
    measured curve over lags ``0..T`` on one adding-problem sequence. Returns ``lag`` (T+1,),
    ``curves``: [{gain, sigma_max, log_norm (T+1,)}].
    """
    task = make_task("adding", seq_len)
    x, _ = task.sample(1, torch.Generator().manual_seed(seed + 1))
    curves = []
    for g in gains:
        model = build_model("rnn", task.input_size, hidden_size, task.output_size, gain=float(g),
                            seed=seed)
        sig = float(spectrum(model.cell.weight_hh)["singular"][0])
        curves.append({"gain": float(g), "sigma_max": sig,
                       "log_norm": jacobian_log_norms(model, x).tolist()})
    return {"lag": list(range(seq_len + 1)), "curves": curves}


def cliff_surface(seq_len: int) -> dict:
    """The loss surface on the shared window (see :data:`CLIFF_W`, :data:`CLIFF_B`)."""
    spec = cliff.CliffSpec(T=seq_len)
    s = cliff.surface(CLIFF_W, CLIFF_B, CLIFF_N, spec)
    s["loss"] = np.round(np.asarray(s["loss"]), 6).tolist()
    s.pop("grad_norm")
    return s


@experiment(w0=6.5, b0=-2.35, lr=0.05, steps=100, seq_len=50)
def cliff_path(w0, b0, lr, steps, seq_len):
    """Pascanu's one-unit RNN: the loss surface over (w, b) and an unclipped GD path.

    Returns ``surface`` (w (n,), b (n,), loss (n, n) indexed [i_b][i_w]), ``path`` (from
    :func:`core.cliff.descend`), ``spec``, and ``wall``: the line b = x0 - w sigmoid(x0) along
    which x0 is the unstable fixed point (the cliff), sampled over the window.
    """
    spec = cliff.CliffSpec(T=seq_len)
    path = cliff.descend((w0, b0), spec, lr=lr, steps=steps)
    return {"surface": cliff_surface(seq_len), "path": path, "spec": spec.as_dict(),
            "wall": wall_line(spec)}


def wall_line(spec: cliff.CliffSpec) -> dict:
    """Where x0 is the map's unstable fixed point: b = x0 - w sigmoid(x0), for w with
    w sigmoid'(x0) > 1 (only there is it unstable, so only there is there a cliff)."""
    s = 1.0 / (1.0 + math.exp(-spec.x0))
    w_min = 1.0 / (s * (1 - s))
    ws = [w for w in np.linspace(max(w_min, CLIFF_W[0]), CLIFF_W[1], 30).tolist()]
    bs = [spec.x0 - w * s for w in ws]
    keep = [(w, b) for w, b in zip(ws, bs) if CLIFF_B[0] <= b <= CLIFF_B[1]]
    return {"w": [p[0] for p in keep], "b": [p[1] for p in keep]}
