"""Section 4, effects on training: where a vanilla RNN stops learning, and what NaN does."""

from __future__ import annotations

import math

import torch

from ..models import build_model
from ..tasks import make_task
from ..training import estimate_seconds, evaluate, train, weights_ok
from . import experiment

#: Shortest length each task accepts (temporal order places its markers at T/10 and 5T/10).
MIN_LEN = {"adding": 2, "copy": 1, "order": 10}
#: Fractions of the longest length used for the sweep.
FRACTIONS = (1 / 6, 1 / 3, 1 / 2, 3 / 4, 1.0)
#: Python and optimiser overhead per training step on one shared CPU thread (measured here:
#: a 300-step run at T = 10, H = 32 took 1.2-3 s, which ``estimate_seconds`` alone misses).
STEP_OVERHEAD = 4e-3
#: Training steps are grouped into this many points when a curve is shipped (mean per group).
CURVE_POINTS = 100


def sweep_lengths(task: str, t_max: int) -> list[int]:
    """The dependency lengths of a sweep: five values from about t_max/6 up to ``t_max``."""
    lo = MIN_LEN[task]
    return sorted({max(lo, int(round(t_max * f))) for f in FRACTIONS})


def _seq_len(task: str, T: int) -> int:
    """Steps the network actually runs: copy memory adds 10 symbols and 10 answer steps."""
    return T + 20 if task == "copy" else T


def sweep_seconds(task: str, t_max: int, cell: str, hidden_size: int, steps: int) -> float:
    """Rough wall time of :func:`length_sweep` on one CPU thread (for the compute cap)."""
    inputs = make_task(task, max(MIN_LEN[task], 10)).input_size
    return sum(estimate_seconds(cell, _seq_len(task, T), hidden_size, steps=steps,
                                input_size=inputs) + steps * STEP_OVERHEAD
               for T in sweep_lengths(task, t_max))


def _binned(values: list[float], points: int = CURVE_POINTS) -> tuple[list[int], list[float]]:
    """Mean of ``values`` over about ``points`` equal groups of steps (NaN if a group has one).

    Returns (first step of each group, group mean)."""
    n = len(values)
    size = max(1, math.ceil(n / points))
    steps, means = [], []
    for s in range(0, n, size):
        chunk = values[s:s + size]
        steps.append(s)
        means.append(sum(chunk) / len(chunk))  # NaN / inf propagate: they are the lesson
    return steps, means


def _copy(d: dict) -> dict:
    """A copy whose lists later appends do not change (partial results handed to ``report``)."""
    return {k: list(v) if isinstance(v, list) else v for k, v in d.items()}


@experiment(task="order", t_max=60, cell="rnn", hidden_size=32, steps=300, lr=1e-2, seed=0)
def length_sweep(task, t_max, cell, hidden_size, steps, lr, seed, report=None):
    """Train a fresh network on ``task`` at five dependency lengths up to ``t_max``.

    Adam, norm clipping at 1 (so nothing explodes: this chart is about vanishing), batch 64.
    Returns ``task``, ``cell``, ``steps`` (as given), ``lengths`` (L,), ``final_loss`` and
    ``final_accuracy`` (L,) on a fresh batch of 256
    (accuracy None for the adding problem), ``chance_loss`` (L,), ``chance_accuracy``,
    ``learned`` (L,) (final loss below half the chance loss), ``curve_T``, ``curve_step``,
    ``curve_loss`` (flat lists: training loss, binned, for every length), ``loss_name``.
    ``report(fraction, partial)`` gets the same shape with the lengths finished so far.
    """
    lengths = sweep_lengths(task, t_max)
    out = {"task": task, "cell": cell, "steps": steps, "lengths": [], "final_loss": [],
           "final_accuracy": [], "chance_loss": [], "learned": [], "curve_T": [], "curve_step": [],
           "curve_loss": [], "chance_accuracy": None, "loss_name": ""}
    total = len(lengths) * steps
    for i, T in enumerate(lengths):
        tk = make_task(task, T)
        out["chance_accuracy"], out["loss_name"] = tk.chance_accuracy, tk.loss_name
        model = build_model(cell, tk.input_size, hidden_size, tk.output_size, seed=seed)

        def progress(rec, hist, i=i, T=T):
            if report is not None and (rec["step"] + 1) % 25 == 0:
                s, m = _binned(hist.column("loss"), CURVE_POINTS * (rec["step"] + 1) // steps)
                part = {**_copy(out), "curve_T": out["curve_T"] + [T] * len(s),
                        "curve_step": out["curve_step"] + s, "curve_loss": out["curve_loss"] + m}
                report((i * steps + rec["step"] + 1) / total, part)

        hist = train(model, tk, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, callback=progress)
        ev = evaluate(model, tk) if weights_ok(model) else {"loss": math.nan, "accuracy": None}
        s, m = _binned(hist.column("loss"))
        out["lengths"].append(T)
        out["final_loss"].append(ev["loss"])
        out["final_accuracy"].append(ev["accuracy"])
        out["chance_loss"].append(tk.chance)
        out["learned"].append(bool(ev["loss"] < 0.5 * tk.chance))
        out["curve_T"] += [T] * len(s)
        out["curve_step"] += s
        out["curve_loss"] += m
        if report is not None:
            report((i + 1) / len(lengths), _copy(out))
    return out


@experiment(gain=3.0, lr=0.5, nonlinearity="tanh", seq_len=50, hidden_size=32, steps=50,
            seed=0)
def exploding_run(gain, lr, nonlinearity, seq_len, hidden_size, steps, seed, report=None):
    """Plain SGD on the adding problem from a large recurrent gain, twice from the same start:
    without clipping, and with norm clipping at 1 (a preview of section 5).

    Training does not stop at the first NaN (``stop_on_nonfinite=False``), so the curve shows
    what a non-finite weight does to every later step. Returns ``step`` (S,) and, for
    ``<run>`` in ``raw`` and ``clipped``: ``loss_<run>`` and ``grad_norm_<run>`` (S,) (the norm
    before clipping), ``first_nonfinite_<run>`` (None or ``{"step", "where", "tensor"}``),
    ``nonfinite_weights_<run>`` (fraction of the final W_hh entries that are NaN/inf); ``w_hh``
    the raw run's final W_hh (its top-left 16 x 16 corner) and ``chance``.
    """
    task = make_task("adding", seq_len)
    out: dict = {"chance": task.chance}
    for j, (name, clip) in enumerate((("raw", "none"), ("clipped", "norm"))):
        model = build_model("rnn", task.input_size, hidden_size, task.output_size,
                            nonlinearity=nonlinearity, gain=gain, seed=seed)

        def progress(rec, hist, j=j):
            if report is not None and (rec["step"] + 1) % 10 == 0:
                report((j * steps + rec["step"] + 1) / (2 * steps), _copy(out))

        hist = train(model, task, optimizer="sgd", lr=lr, clip=clip, clip_threshold=1.0,
                     steps=steps, batch_size=32, seed=seed, stop_on_nonfinite=False,
                     callback=progress)
        out["step"] = hist.column("step")
        out[f"loss_{name}"] = hist.column("loss")
        out[f"grad_norm_{name}"] = hist.column("grad_norm")
        out[f"first_nonfinite_{name}"] = hist.first_nonfinite
        w = model.cell.weight_hh.detach()
        out[f"nonfinite_weights_{name}"] = float((~torch.isfinite(w)).double().mean())
        if name == "raw":
            out["w_hh"] = w[:16, :16].double().tolist()
    return out
