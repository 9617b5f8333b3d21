"""Section 5b, LSTM and GRU: what gates change, measured at initialisation AND after training.

One experiment, :func:`compare_cells`, trains a tanh RNN, an LSTM, a GRU and an LSTM whose
forget-gate bias starts at 1 on the same adding problem with the same seed, probing
||dL/dh_t|| at every lag during training, and traces the gates of the LSTM and GRU before and
after training on one example sequence.

Shapes: B batch, T time, H hidden size; a "lag" k is T-1-t steps back from the loss.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import torch

from ..models import build_model
from ..tasks import make_task
from ..training import estimate_seconds, train
from . import experiment

#: The runs of :func:`compare_cells`, in drawing order: (id, cell, forget-gate bias, label).
RUNS = (
    ("rnn", "rnn", None, "tanh RNN"),
    ("lstm", "lstm", None, "LSTM"),
    ("gru", "gru", None, "GRU"),
    ("lstm_fb1", "lstm", 1.0, "LSTM, forget bias 1"),
)
LABELS = {rid: label for rid, _, _, label in RUNS}
#: Gates traced for each gated cell (LSTM: input, forget, output; GRU: reset, update).
TRACED = {"lstm": ("i", "f", "o"), "gru": ("r", "z")}
#: Hidden units kept in the per-unit gate heatmap.
MAX_UNITS = 32
#: Seed of the one example sequence the gates are traced on.
EXAMPLE_SEED = 4242


def log_grad_by_lag(grad_norm_by_t: list[float]) -> list[float]:
    """``||dL/dh_t||`` for t = 0..T-1 -> log10 of it by lag (index k = T-1-t).

    Exact zeros become -300 (below anything float64 can hold), NaN stays NaN.
    """
    v = np.asarray(grad_norm_by_t, dtype=float)[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(v > 0, np.log10(np.maximum(v, 1e-300)), np.where(v == 0, -300.0, np.nan))
    return out.tolist()


def first_last_ratio(grad_norm_by_t: list[float]) -> float:
    """||dL/dh_0|| / ||dL/dh_{T-1}||: how much of the gradient's size reaches the first step."""
    first, last = float(grad_norm_by_t[0]), float(grad_norm_by_t[-1])
    return first / last if last > 0 and math.isfinite(last) else math.nan


def example_sequence(seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The one adding-problem sequence the gates are traced on: x ``(1, T, 2)``, y ``(1, 1)``."""
    task = make_task("adding", seq_len)
    return task.sample(1, torch.Generator().manual_seed(EXAMPLE_SEED))


def gate_summary(model, x: torch.Tensor) -> dict:
    """Gate activations of a gated ``model`` on one sequence x ``(1, T, I)``.

    Returns ``{"mean": {gate: (T,)}, "heat": (T, U), "keep_gate"}``: ``mean`` averages each
    traced gate over hidden units; ``heat`` (rounded to 4 decimals) is the per-unit forget gate
    f (LSTM) or update gate z (GRU) for the first ``MAX_UNITS`` units, sorted by their average
    value so that units holding on to memory (gate near 1) gather at the end.
    """
    tr = model.trace(x)  # every value (1, T, H)
    gates = TRACED[model.cell_type]
    keep = "f" if model.cell_type == "lstm" else "z"
    heat = tr[keep][0, :, :MAX_UNITS].double().numpy()  # (T, U)
    heat = np.round(heat[:, np.argsort(heat.mean(0))], 4)
    return {"mean": {g: tr[g][0].double().mean(-1).tolist() for g in gates},
            "heat": heat.tolist(), "keep_gate": keep}


def _empty_run(rid: str, lr: float) -> dict:
    return {"label": LABELS[rid], "lr": lr, "step": [], "loss": [], "probe_steps": [],
            "log_grad": [], "ratio_init": None, "ratio_final": None, "ratio_final_step": None,
            "final_loss": None, "first_nonfinite": None}


def _fill(run: dict, hist) -> dict:
    run = dict(run)
    run["step"] = hist.column("step")
    run["loss"] = hist.column("loss")
    run["probe_steps"] = [p["step"] for p in hist.probes]
    run["log_grad"] = [log_grad_by_lag(p["grad_norm_by_t"]) for p in hist.probes]
    if hist.probes:
        run["ratio_init"] = first_last_ratio(hist.probes[0]["grad_norm_by_t"])
        run["ratio_final"] = first_last_ratio(hist.probes[-1]["grad_norm_by_t"])
        run["ratio_final_step"] = hist.probes[-1]["step"]
    run["final_loss"] = hist.final_loss() if hist.records else None
    run["first_nonfinite"] = hist.first_nonfinite
    return run


#: Measured CPU seconds of :func:`compare_cells` over the sum of ``estimate_seconds`` for its
#: four runs (3.9 at T=30, H=32, 200 steps, one thread): the probes and torch's GRU kernel on
#: CPU cost more than the generic estimate assumes.
CALIBRATION = 4.0


def estimate_compare(seq_len: int, hidden_size: int, steps: int) -> float:
    """Rough one-thread CPU time of :func:`compare_cells` (seconds), for the page's cap."""
    return CALIBRATION * sum(estimate_seconds(cell, seq_len, hidden_size, steps=steps,
                                              batch_size=64) for _, cell, _, _ in RUNS)


@experiment(seq_len=50, hidden_size=32, steps=500, lr_rnn=1e-3, lr_gated=1e-2, seed=0)
def compare_cells(seq_len, hidden_size, steps, lr_rnn, lr_gated, seed,
                  report: Callable[[float, dict], None] | None = None):
    """Train RNN, LSTM, GRU and LSTM (forget bias 1) on the adding problem, same data and seed.

    Adam, norm clipping at 1, batch 64; ||dL/dh_t|| probed (float64, fixed batch of 32) about
    16 times per run, including before the first update and after the last.

    Returns ``{"order", "seq_len", "chance", "runs", "gates", "example"}``:
    ``runs[id]`` has the loss curve ``step``, ``loss``; ``probe_steps`` (S,), ``log_grad``
    (S, T) = log10 ||dL/dh|| by lag; ``ratio_init`` / ``ratio_final`` (first-step over
    last-step gradient norm before training and at the last probe); ``final_loss``.
    ``gates[cell]["init" | "trained"]``: :func:`gate_summary` of the LSTM / GRU on one example
    sequence whose marked positions are ``example["markers"]``.
    """
    seq_len, hidden_size, steps, seed = int(seq_len), int(hidden_size), int(steps), int(seed)
    task = make_task("adding", seq_len)
    x_ex, y_ex = example_sequence(seq_len)
    markers = torch.nonzero(x_ex[0, :, 1]).flatten().tolist()
    result = {
        "order": [rid for rid, _, _, _ in RUNS],
        "seq_len": seq_len,
        "chance": task.chance,
        "runs": {rid: _empty_run(rid, lr_rnn if cell == "rnn" else lr_gated)
                 for rid, cell, _, _ in RUNS},
        "gates": {},
        "example": {"markers": markers, "values": x_ex[0, :, 0].tolist(),
                    "target": float(y_ex[0, 0])},
    }
    probe_every = max(1, steps // 15)
    for i, (rid, cell, fb, _) in enumerate(RUNS):
        lr = lr_rnn if cell == "rnn" else lr_gated
        model = build_model(cell, task.input_size, hidden_size, task.output_size,
                            forget_bias=fb, seed=seed)
        traced = cell in TRACED and fb is None
        if traced:
            result["gates"][cell] = {"init": gate_summary(copy.deepcopy(model).eval(), x_ex)}

        def callback(rec, hist, i=i, rid=rid):
            if report is not None and (rec["step"] % 10 == 9):
                part = {**result, "runs": {**result["runs"], rid: _fill(result["runs"][rid],
                                                                         hist)}}
                report((i + (rec["step"] + 1) / steps) / len(RUNS), part)

        hist = train(model, task, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, probe_every=probe_every,
                     callback=callback)
        result["runs"] = {**result["runs"], rid: _fill(result["runs"][rid], hist)}
        if traced:
            result["gates"][cell] = {**result["gates"][cell],
                                     "trained": gate_summary(model.eval(), x_ex)}
        if report is not None:
            report((i + 1) / len(RUNS), result)
    return result
