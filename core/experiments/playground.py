"""Lab 3, the technique playground: one training run with every knob exposed.

The run is exactly ``core.script.reference_run`` of its config (``build_model`` seeded with
``seed``, ``train`` seeded with ``seed``), so the same settings give the same curve, and the
config doubles as the input of "download as script".
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..models import build_model
from ..tasks import make_task
from ..training import History, estimate_seconds, train
from . import experiment

#: How often (in steps) a live run hands a partial result to ``report``.
REPORT_EVERY = 10
#: Per-step bookkeeping of the training loop (optimiser, clipping, NaN checks) on one CPU
#: thread, on top of ``estimate_seconds``'s arithmetic (measured: about 1-1.5 ms at small sizes).
STEP_OVERHEAD = 1.5e-3
#: Measured / estimated time of the fused kernels on one thread (2-core machine, Nov 2026):
#: ``estimate_seconds`` is about right for the LSTM and the step loop, low for these two.
FUSED_FACTOR = {"rnn": 1.4, "gru": 1.6, "lstm": 1.0}


def task_length(task: str, seq_len: int) -> int:
    """Steps the network actually reads: copy memory adds 20 (10 symbols + 10 recall steps)."""
    return seq_len + 20 if task == "copy" else seq_len


def estimate(*, cell: str, task: str, seq_len: int, hidden_size: int, steps: int, norm: str,
             batch_size: int = 64) -> float:
    """Estimated seconds of one run on one CPU thread. Normalisation runs the step loop."""
    input_size = {"adding": 2, "copy": 10, "order": 6}.get(task, 2)
    fused = norm == "none"
    base = estimate_seconds(cell, task_length(task, seq_len), hidden_size, steps=steps,
                            batch_size=batch_size, input_size=input_size, fused=fused)
    return base * (FUSED_FACTOR[cell] if fused else 1.0) + steps * STEP_OVERHEAD


def _result(config: dict, task, hist: History, done: bool) -> dict:
    recs = hist.records
    n = len(recs)
    accs = [r["accuracy"] for r in recs]
    tail_acc = [a for a in accs[-20:] if a is not None and math.isfinite(a)]
    probes = [{"step": p["step"], "grad_norm_by_t": p["grad_norm_by_t"]} for p in hist.probes]
    return {
        "config": config,
        "step": [r["step"] for r in recs],
        "loss": [r["loss"] for r in recs],
        "grad_norm": [r["grad_norm"] for r in recs],
        "clipped": [r["clipped"] for r in recs],
        "nonfinite": [r["nonfinite"] for r in recs],
        "accuracy": accs if task.accuracy is not None else None,
        "first_nonfinite": hist.first_nonfinite,
        "stopped": hist.stopped,
        "done": done,
        "steps_done": n,
        "final_loss": hist.final_loss(),
        "final_accuracy": (sum(tail_acc) / len(tail_acc)) if tail_acc else None,
        "share_clipped": (sum(r["clipped"] for r in recs) / n) if n else 0.0,
        "chance": task.chance,
        "chance_accuracy": task.chance_accuracy,
        "loss_name": task.loss_name,
        "probes": probes,
    }


@experiment(cell="gru", nonlinearity="tanh", init="default", gain=1.0, norm="none",
            optimizer="adam", lr=0.01, clip="norm", clip_threshold=1.0, task="adding",
            seq_len=30, hidden_size=32, steps=300, seed=0)
def train_run(cell, nonlinearity, init, gain, norm, optimizer, lr, clip, clip_threshold, task,
              seq_len, hidden_size, steps, seed,
              report: Callable[[float, dict], None] | None = None):
    """Train one recurrent net on a long-dependency task.

    Returns ``config`` (the ``core.script`` settings), per-step lists ``step``, ``loss``,
    ``grad_norm`` (pre-clip), ``clipped``, ``nonfinite``, ``accuracy`` (None for the adding
    problem); ``first_nonfinite``, ``stopped``, ``done``, ``steps_done``, ``final_loss`` (mean of
    the last 20 finite losses), ``final_accuracy``, ``share_clipped``, ``chance``,
    ``chance_accuracy``, ``loss_name``; and ``probes``: ||dL/dh_t|| for every t (float64, on a
    fixed batch of 32) at step 0 and, when the run finished with finite weights, after the
    last step. ``report(fraction, partial)`` receives the same shape while it trains.
    """
    t = make_task(task, seq_len)
    config = dict(task=task, seq_len=seq_len, cell=cell, hidden_size=hidden_size,
                  nonlinearity=nonlinearity if cell == "rnn" else "tanh", init=init,
                  gain=gain, norm=norm, optimizer=optimizer, lr=lr, clip=clip,
                  clip_threshold=clip_threshold, steps=steps, batch_size=64, seed=seed)
    model = build_model(cell, t.input_size, hidden_size, t.output_size,
                        nonlinearity=config["nonlinearity"], init=init, gain=gain, norm=norm,
                        seed=seed)

    def callback(rec: dict, hist: History) -> None:
        if report is not None and (rec["step"] + 1) % REPORT_EVERY == 0:
            report((rec["step"] + 1) / steps, _result(config, t, hist, False))

    hist = train(model, t, optimizer=optimizer, lr=lr, clip=clip, clip_threshold=clip_threshold,
                 steps=steps, batch_size=64, seed=seed, probe_every=steps, callback=callback)
    return _result(config, t, hist, True)
