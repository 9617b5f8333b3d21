"""Lab 1: one RNN prone to exploding, trained three times (no clipping, norm, value clipping).

The three runs start from the same weights and see the same batches (same seed), so any
difference between their curves comes from the clipping alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..models import build_model
from ..tasks import make_task
from ..training import History, estimate_seconds, train
from . import experiment
from .playground import FUSED_FACTOR, STEP_OVERHEAD

#: The three runs, in the order they train and are drawn.
MODES = ("none", "norm", "value")
LABELS = {"none": "no clipping", "norm": "norm clipping", "value": "value clipping"}
#: How often (in steps) a live run hands a partial result to ``report``.
REPORT_EVERY = 10


def mode_config(mode: str, *, seq_len: int, hidden_size: int, nonlinearity: str, init: str,
                gain: float, optimizer: str, lr: float, norm_threshold: float,
                value_threshold: float, steps: int, seed: int, batch_size: int = 64) -> dict:
    """The ``core.script`` config of one of the three runs (adding problem, vanilla RNN)."""
    return dict(task="adding", seq_len=seq_len, cell="rnn", hidden_size=hidden_size,
                nonlinearity=nonlinearity, init=init, gain=gain, norm="none",
                optimizer=optimizer, lr=lr, clip=mode,
                clip_threshold={"none": 1.0, "norm": norm_threshold,
                                "value": value_threshold}[mode],
                steps=steps, batch_size=batch_size, seed=seed)


def estimate(seq_len: int, hidden_size: int, steps: int, batch_size: int = 64) -> float:
    """Estimated seconds for all three runs on one CPU thread (fused kernel), including the
    training loop's per-step bookkeeping (``STEP_OVERHEAD``) and the measured correction of
    the fused RNN kernel (``FUSED_FACTOR``)."""
    return 3 * (estimate_seconds("rnn", seq_len, hidden_size, steps=steps,
                                 batch_size=batch_size, input_size=2, fused=True)
                * FUSED_FACTOR["rnn"] + steps * STEP_OVERHEAD)


def _summary(mode: str, cfg: dict, hist: History, done: bool) -> dict:
    recs = hist.records
    losses = [r["loss"] for r in recs]
    norms = [r["grad_norm"] for r in recs]
    finite_norms = [v for v in norms if math.isfinite(v)]
    n = len(recs)
    return {
        "mode": mode,
        "label": LABELS[mode],
        "threshold": None if mode == "none" else cfg["clip_threshold"],
        "config": cfg,
        "step": [r["step"] for r in recs],
        "loss": losses,
        "grad_norm": norms,
        "clipped": [r["clipped"] for r in recs],
        "nonfinite": [r["nonfinite"] for r in recs],
        "first_nonfinite": hist.first_nonfinite,
        "stopped": hist.stopped,
        "done": done,
        "steps_done": n,
        "final_loss": hist.final_loss(),
        "share_clipped": (sum(r["clipped"] for r in recs) / n) if n else 0.0,
        # a NaN / inf gradient norm means it overflowed: report the maximum as inf
        "max_grad_norm": (math.inf if len(finite_norms) < n
                          else max(finite_norms) if finite_norms else math.nan),
        "median_grad_norm": (sorted(finite_norms)[len(finite_norms) // 2]
                             if finite_norms else math.nan),
    }


@experiment(seq_len=20, hidden_size=32, nonlinearity="tanh", init="orthogonal", gain=2.0,
            optimizer="sgd", lr=0.05, norm_threshold=1.0, value_threshold=0.1, steps=300,
            seed=0)
def compare(seq_len, hidden_size, nonlinearity, init, gain, optimizer, lr, norm_threshold,
            value_threshold, steps, seed, report: Callable[[float, dict], None] | None = None):
    """Train the same RNN on the adding problem with no clipping, norm and value clipping.

    Every run starts from the same weights (``build_model(seed=seed)``) and sees the same
    batches (``train(seed=seed)``). A run stops early only if its weights turn NaN/inf.

    Returns ``{"runs": [run, run, run], "chance": 1/6, "estimate_seconds": float}``; each run
    has ``mode``, ``label``, ``threshold``, ``config`` (for ``core.script``), per-step lists
    ``step``, ``loss``, ``grad_norm`` (pre-clip), ``clipped``, ``nonfinite``, and
    ``first_nonfinite`` (None or ``{"step", "where", "tensor"}``), ``steps_done``,
    ``final_loss`` (mean of the last 20 finite losses), ``share_clipped``,
    ``max_grad_norm``, ``median_grad_norm``, ``done``.
    ``report(fraction, partial)`` gets the same shape with the runs trained so far.
    """
    task = make_task("adding", seq_len)
    runs: list[dict] = []
    est = estimate(seq_len, hidden_size, steps)

    def result(extra: list[dict]) -> dict:
        return {"runs": runs + extra, "chance": task.chance, "estimate_seconds": est}

    for i, mode in enumerate(MODES):
        cfg = mode_config(mode, seq_len=seq_len, hidden_size=hidden_size,
                          nonlinearity=nonlinearity, init=init, gain=gain, optimizer=optimizer,
                          lr=lr, norm_threshold=norm_threshold,
                          value_threshold=value_threshold, steps=steps, seed=seed)
        model = build_model("rnn", task.input_size, hidden_size, task.output_size,
                            nonlinearity=nonlinearity, init=init, gain=gain, seed=seed)

        def callback(rec: dict, hist: History, i=i, mode=mode, cfg=cfg) -> None:
            if report is not None and (rec["step"] + 1) % REPORT_EVERY == 0:
                report((i + (rec["step"] + 1) / steps) / len(MODES),
                       result([_summary(mode, cfg, hist, False)]))

        hist = train(model, task, optimizer=optimizer, lr=lr, clip=mode,
                     clip_threshold=cfg["clip_threshold"], steps=steps, batch_size=64,
                     seed=seed, callback=callback)
        runs.append(_summary(mode, cfg, hist, True))
        if report is not None:
            report((i + 1) / len(MODES), result([]))
    return result([])
