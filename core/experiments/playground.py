"""Lab 3, the technique playground: one training run with every knob exposed.

The run is exactly ``core.script.reference_run`` of its config (``build_model`` seeded with
``seed``, ``train`` seeded with ``seed``), so the same settings give the same curve, and the
config doubles as the input of "download as script".
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..claims import claim, finite
from ..models import build_model
from ..tasks import make_task
from ..training import History, train
from . import experiment

#: How often (in steps) a live run hands a partial result to ``report``.
REPORT_EVERY = 10


def task_length(task: str, seq_len: int) -> int:
    """Steps the network actually reads: copy memory adds 20 (10 symbols + 10 recall steps),
    the time series 1 (the value to recall, then ``seq_len`` more)."""
    return seq_len + {"copy": 20, "series": 1}.get(task, 0)


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


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
def first_last(result: dict, probe: int) -> float:
    """||dL/dh_0|| / ||dL/dh_{T-1}|| at probe ``probe`` (0: before training, -1: after the
    last step when the run finished finite); NaN when unreadable."""
    g = result["probes"][probe]["grad_norm_by_t"]
    return g[0] / g[-1] if finite(g[-1]) and g[-1] > 0 and finite(g[0]) else math.nan


def _default_like(p: dict, cell: str) -> bool:
    """The page's default setting with ``cell``: adding problem, T <= 30, Adam, no norm."""
    return (p["cell"] == cell and p["task"] == "adding" and p["seq_len"] <= 30
            and p["optimizer"] == "adam" and p["norm"] == "none" and p["steps"] >= 300
            and p["init"] == "default" and p["gain"] == 1.0 and p["lr"] == 0.01)


@claim(train_run, observed=lambda r: f"final loss {r['final_loss']:.2g}, chance {r['chance']:.3g}",
       perturb=lambda r: {**r, "final_loss": r["chance"]},
       applies=lambda p: _default_like(p, "gru"))
def gru_learns(r: dict) -> bool:
    """the GRU ends below a tenth of the chance loss"""
    return finite(r["final_loss"]) and r["final_loss"] < 0.1 * r["chance"]


@claim(train_run,
       observed=lambda r: (f"first/last {first_last(r, 0):.0e} before, "
                           f"{first_last(r, -1):.2g} after training"),
       perturb=lambda r: {**r, "probes": r["probes"][:1] * 2},
       applies=lambda p: _default_like(p, "gru"))
def gru_path_opens_with_training(r: dict) -> bool:
    """before training, less than a ten-thousandth of the last step's gradient reaches step 0;
    after training, more than a tenth does: the GRU's path opens with training, not at the start"""
    if len(r["probes"]) < 2:
        return False
    before, after = first_last(r, 0), first_last(r, -1)
    return finite(before) and finite(after) and before < 1e-4 and after > 0.1


@claim(train_run,
       observed=lambda r: (f"final loss {r['final_loss']:.3g} (chance {r['chance']:.3g}); "
                           f"first/last after training {first_last(r, -1):.0e}"),
       perturb=lambda r: {**r, "final_loss": 0.01},
       settings=[{"cell": "rnn"}],
       applies=lambda p: _default_like(p, "rnn") and p["nonlinearity"] == "tanh")
def rnn_stays_at_chance(r: dict) -> bool:
    """the vanilla RNN ends above half of the chance loss, and after training less than a
    thousandth of the last step's gradient reaches step 0"""
    if len(r["probes"]) < 2:
        return False
    after = first_last(r, -1)
    return (finite(r["final_loss"]) and r["final_loss"] > 0.5 * r["chance"]
            and finite(after) and after < 1e-3)


#: The page's preset "Plain SGD, big gain, no clipping" (and, with ``clip="norm"``, its fix).
SGD_BOOM = dict(cell="rnn", nonlinearity="tanh", init="orthogonal", gain=2.0, optimizer="sgd",
                lr=0.1, clip="none")


def _sgd_boom(p: dict, clip: str) -> bool:
    return (p["cell"] == "rnn" and p["nonlinearity"] == "tanh" and p["optimizer"] == "sgd"
            and p["gain"] >= 2.0 and p["lr"] >= 0.1 and p["clip"] == clip
            and p["task"] == "adding" and p["norm"] == "none"
            and (clip == "none" or p["clip_threshold"] <= 1.0))


@claim(train_run,
       observed=lambda r: (f"NaN/inf at step {r['first_nonfinite']['step']}"
                           if r["first_nonfinite"] else "finite to the end"),
       perturb=lambda r: {**r, "first_nonfinite": None, "stopped": None},
       settings=[SGD_BOOM], applies=lambda p: _sgd_boom(p, "none"))
def sgd_boom_blows_up(r: dict) -> bool:
    """the run's loss overflows to NaN or inf, and training stops there"""
    return r["first_nonfinite"] is not None and r["stopped"] == "nonfinite"


@claim(train_run,
       observed=lambda r: (f"{r['steps_done']} steps, "
                           + (f"NaN/inf at step {r['first_nonfinite']['step']}"
                              if r["first_nonfinite"] else "finite")
                           + f", final loss {r['final_loss']:.3g}"),
       perturb=lambda r: {**r, "first_nonfinite": {"step": 9, "where": "loss",
                                                   "tensor": "loss"}},
       settings=[{**SGD_BOOM, "clip": "norm"}], applies=lambda p: _sgd_boom(p, "norm"))
def sgd_boom_clipped_finishes(r: dict) -> bool:
    """with norm clipping the same run trains every step and stays finite, though it does not
    learn the task: its loss ends above half of chance"""
    return (r["first_nonfinite"] is None and r["steps_done"] == r["config"]["steps"]
            and finite(r["final_loss"]) and r["final_loss"] > 0.5 * r["chance"])
