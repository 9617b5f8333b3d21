"""Section 6, initialisation and normalisation: where the gradient starts, and what changes.

- :func:`init_schemes`: default, Xavier, orthogonal and identity (IRNN, ReLU) starts for a
  vanilla RNN, all scaled by one recurrent gain, plus an LSTM with and without forget-gate bias 1.
  For each: the singular values of W_hh and ||dL/dh|| by lag, before and after a short training
  run, and the loss curve.
- :func:`norm_compare`: no normalisation, layer normalisation (Ba et al. 2016) and recurrent
  batch normalisation (Cooijmans et al. 2016) in the same cell, on convergence, gradient flow
  and the scale of the hidden state.

Shapes: B batch, T time, H hidden size; a "lag" k is T-1-t steps back from the loss.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..models import build_model, recurrent_blocks
from ..probes import spectrum
from ..tasks import make_task
from ..training import estimate_seconds, train
from . import experiment

#: Initialisation schemes: (id, cell, init, nonlinearity, forget bias, label).
SCHEMES = (
    ("default", "rnn", "default", "tanh", None, "PyTorch default (tanh RNN)"),
    ("xavier", "rnn", "xavier", "tanh", None, "Xavier (tanh RNN)"),
    ("orthogonal", "rnn", "orthogonal", "tanh", None, "Orthogonal (tanh RNN)"),
    ("identity", "rnn", "identity", "relu", None, "Identity (IRNN, ReLU)"),
    ("lstm", "lstm", "default", "tanh", None, "LSTM default"),
    ("lstm_fb1", "lstm", "default", "tanh", 1.0, "LSTM, forget bias 1"),
)
SCHEME_LABELS = {s[0]: s[5] for s in SCHEMES}
NORMS = (("none", "No normalisation"), ("layer", "Layer norm"),
         ("batch", "Recurrent batch norm"))
NORM_LABELS = dict(NORMS)


def _log10_by_lag(norms: list[float]) -> list[float]:
    v = np.asarray(norms, dtype=float)[::-1]  # index = lag
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(v > 0, np.log10(np.maximum(v, 1e-300)),
                       np.where(v == 0, -300.0, np.nan))
    return out.tolist()


def _ratio(norms: list[float]) -> float:
    first, last = float(norms[0]), float(norms[-1])
    return first / last if last > 0 and np.isfinite(last) else float("nan")


def recurrent_singular_values(model) -> list[float]:
    """Singular values (descending) of the ``(H, H)`` recurrent matrix that plays W_hh's role:
    W_hh itself for the RNN, the candidate block W_hg for the LSTM."""
    blocks = recurrent_blocks(model)
    w = blocks["a"] if "a" in blocks else blocks["g"]
    return spectrum(w)["singular"].tolist()


#: Measured CPU seconds over the sum of ``estimate_seconds`` (one thread, T=30, H=32):
#: 2.7 for :func:`init_schemes`, 1.7 for :func:`norm_compare` (probes and set-up included).
CALIBRATION_INIT, CALIBRATION_NORM = 3.0, 2.0


def estimate_init(seq_len: int, hidden_size: int, steps: int) -> float:
    """Rough one-thread CPU time of :func:`init_schemes` (seconds), for the page's cap."""
    return CALIBRATION_INIT * sum(estimate_seconds(cell, seq_len, hidden_size, steps=steps)
                                  for _, cell, *_ in SCHEMES)


@experiment(seq_len=50, hidden_size=32, gain=1.0, steps=150, lr=1e-3, seed=0)
def init_schemes(seq_len, hidden_size, gain, steps, lr, seed,
                 report: Callable[[float, dict], None] | None = None):
    """Every start of :data:`SCHEMES` on the adding problem, same data and seed.

    W_hh is multiplied by ``gain`` after initialisation (for the LSTM, its whole W_hh). Training:
    Adam at ``lr``, norm clipping at 1, batch 64, ``steps`` steps; ||dL/dh_t|| probed in float64
    on a fixed batch of 32 before the first and after the last update.

    Returns ``{"order", "seq_len", "chance", "runs"}`` with ``runs[id]``: ``label``,
    ``sv_init`` / ``sv_trained`` (H,), ``lag`` (T,), ``grad_init`` / ``grad_trained``
    (T,) = log10 ||dL/dh|| by lag (None until measured), ``ratio_init`` / ``ratio_trained``,
    ``step`` / ``loss`` and ``final_loss``, ``first_nonfinite``.
    """
    seq_len, hidden_size, steps, seed = int(seq_len), int(hidden_size), int(steps), int(seed)
    task = make_task("adding", seq_len)
    runs = {sid: {"label": label, "sv_init": None, "sv_trained": None,
                  "grad_init": None, "grad_trained": None, "ratio_init": None,
                  "ratio_trained": None, "step": [], "loss": [], "final_loss": None,
                  "first_nonfinite": None}
            for sid, *_, label in SCHEMES}
    result = {"order": [s[0] for s in SCHEMES], "seq_len": seq_len, "chance": task.chance,
              "lag": list(range(seq_len)), "runs": runs}
    for i, (sid, cell, init, act, fb, _) in enumerate(SCHEMES):
        model = build_model(cell, task.input_size, hidden_size, task.output_size,
                            nonlinearity=act, init=init, gain=gain, forget_bias=fb, seed=seed)
        run = dict(runs[sid])
        run["sv_init"] = recurrent_singular_values(model)

        def callback(rec, hist, i=i, sid=sid, run=run):
            if report is not None and rec["step"] % 10 == 9:
                part = {**run, "step": hist.column("step"), "loss": hist.column("loss")}
                report((i + (rec["step"] + 1) / steps) / len(SCHEMES),
                       {**result, "runs": {**result["runs"], sid: part}})

        hist = train(model, task, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, probe_every=steps,
                     callback=callback)
        probes = hist.probes
        run["grad_init"] = _log10_by_lag(probes[0]["grad_norm_by_t"])
        run["ratio_init"] = _ratio(probes[0]["grad_norm_by_t"])
        if len(probes) > 1:
            run["grad_trained"] = _log10_by_lag(probes[-1]["grad_norm_by_t"])
            run["ratio_trained"] = _ratio(probes[-1]["grad_norm_by_t"])
        run["sv_trained"] = recurrent_singular_values(model)
        run["step"], run["loss"] = hist.column("step"), hist.column("loss")
        run["final_loss"] = hist.final_loss()
        run["first_nonfinite"] = hist.first_nonfinite
        result["runs"] = {**result["runs"], sid: run}
        if report is not None:
            report((i + 1) / len(SCHEMES), result)
    return result


def hidden_scale(model, x: torch.Tensor) -> list[float]:
    """RMS of the hidden state at every step, over batch and units: x ``(B, T, I)`` -> (T,)."""
    with torch.no_grad():
        hs = torch.stack(model.hidden_states(x), dim=1).double()  # (B, T, H)
    return hs.pow(2).mean(dim=(0, 2)).sqrt().tolist()


def estimate_norm(cell: str, seq_len: int, hidden_size: int, steps: int) -> float:
    """Rough one-thread CPU time of :func:`norm_compare` (seconds): two of the three models
    run the slower explicit step loop, because the normalisation sits inside the step."""
    return CALIBRATION_NORM * (
        estimate_seconds(cell, seq_len, hidden_size, steps=steps)
        + 2 * estimate_seconds(cell, seq_len, hidden_size, steps=steps, fused=False))


@experiment(cell="rnn", seq_len=50, hidden_size=32, steps=200, lr=1e-3, seed=0)
def norm_compare(cell, seq_len, hidden_size, steps, lr, seed,
                 report: Callable[[float, dict], None] | None = None):
    """The same cell with no normalisation, layer norm and recurrent batch norm.

    Training: Adam at ``lr``, norm clipping at 1, batch 64, ``steps`` steps, same data and seed;
    ||dL/dh_t|| probed about 10 times (float64, fixed batch of 32, training-mode statistics).

    Returns ``{"order", "seq_len", "chance", "runs"}`` with ``runs[norm]``: ``label``,
    ``step`` / ``loss``, ``probe_steps`` (S,), ``log_grad`` (S, T) log10 ||dL/dh|| by lag,
    ``ratio_init`` / ``ratio_final``, ``scale_init`` / ``scale_trained`` (T,) RMS of h_t on
    the probe batch, ``final_loss``, ``first_nonfinite``.
    """
    seq_len, hidden_size, steps, seed = int(seq_len), int(hidden_size), int(steps), int(seed)
    task = make_task("adding", seq_len)
    px, _ = task.sample(32, torch.Generator().manual_seed(seed + 10_007))
    runs = {n: {"label": label, "step": [], "loss": [], "probe_steps": [], "log_grad": [],
                "ratio_init": None, "ratio_final": None, "scale_init": None,
                "scale_trained": None, "final_loss": None, "first_nonfinite": None}
            for n, label in NORMS}
    result = {"order": [n for n, _ in NORMS], "cell": cell, "seq_len": seq_len,
              "chance": task.chance, "lag": list(range(seq_len)), "runs": runs}
    for i, (norm, _) in enumerate(NORMS):
        model = build_model(cell, task.input_size, hidden_size, task.output_size, norm=norm,
                            seed=seed)
        model.train()
        run = dict(runs[norm])
        run["scale_init"] = hidden_scale(model, px)

        def callback(rec, hist, i=i, norm=norm, run=run):
            if report is not None and rec["step"] % 10 == 9:
                part = {**run, "step": hist.column("step"), "loss": hist.column("loss")}
                report((i + (rec["step"] + 1) / steps) / len(NORMS),
                       {**result, "runs": {**result["runs"], norm: part}})

        hist = train(model, task, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, probe_every=max(1, steps // 10),
                     callback=callback)
        model.train()
        run["scale_trained"] = hidden_scale(model, px)
        run["probe_steps"] = [p["step"] for p in hist.probes]
        run["log_grad"] = [_log10_by_lag(p["grad_norm_by_t"]) for p in hist.probes]
        if hist.probes:
            run["ratio_init"] = _ratio(hist.probes[0]["grad_norm_by_t"])
            run["ratio_final"] = _ratio(hist.probes[-1]["grad_norm_by_t"])
        run["step"], run["loss"] = hist.column("step"), hist.column("loss")
        run["final_loss"] = hist.final_loss()
        run["first_nonfinite"] = hist.first_nonfinite
        result["runs"] = {**result["runs"], norm: run}
        if report is not None:
            report((i + 1) / len(NORMS), result)
    return result

