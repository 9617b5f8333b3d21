"""Lab 1: one RNN prone to exploding, trained three times (no clipping, norm, value clipping).

The three runs start from the same weights and see the same batches (same seed), so any
difference between their curves comes from the clipping alone. A fourth run is the control:
no clipping, W_hh frozen at its start. If it stays finite while the unclipped run blows up,
the blow-up came through the recurrent weights; if it blows up too, something else does it
(at long T the fixed recurrence already makes the gradient explode).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..claims import claim, finite
from ..models import build_model
from ..tasks import make_task
from ..training import History, train
from . import experiment

#: The three runs, in the order they train and are drawn.
MODES = ("none", "norm", "value")
LABELS = {"none": "no clipping", "norm": "norm clipping", "value": "value clipping",
          "frozen": "control, W_hh frozen"}
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


def _summary(mode: str, cfg: dict, hist: History, done: bool) -> dict:
    recs = hist.records
    losses = [r["loss"] for r in recs]
    norms = [r["grad_norm"] for r in recs]
    finite_norms = [v for v in norms if math.isfinite(v)]
    n = len(recs)
    return {
        "mode": mode,
        "label": LABELS[mode],
        "threshold": None if mode in ("none", "frozen") else cfg["clip_threshold"],
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

    Returns ``{"runs": [run, run, run], "control": run or None, "chance": 1/6}`` and three
    headline numbers: ``unclipped_steps`` (steps the unclipped run trained before its weights
    stopped being finite, or all of them), ``norm_final_loss``, ``value_final_loss``
    (its cost: ``core.cost.estimate("lab_clipping.compare", params)``); ``control`` is the
    unclipped run again with W_hh frozen (mode ``"frozen"``; None until it has trained). Each run
    has ``mode``, ``label``, ``threshold``, ``config`` (for ``core.script``), per-step lists
    ``step``, ``loss``, ``grad_norm`` (pre-clip), ``clipped``, ``nonfinite``, and
    ``first_nonfinite`` (None or ``{"step", "where", "tensor"}``), ``steps_done``,
    ``final_loss`` (mean of the last 20 finite losses), ``share_clipped``,
    ``max_grad_norm``, ``median_grad_norm``, ``done``.
    ``report(fraction, partial)`` gets the same shape with the runs trained so far.
    """
    task = make_task("adding", seq_len)
    runs: list[dict] = []

    control: dict = {"run": None}

    def result(extra: list[dict]) -> dict:
        by = {r["mode"]: r for r in runs + extra}
        return {"runs": runs + extra, "control": control["run"], "chance": task.chance,
                "unclipped_steps": by["none"]["steps_done"] if "none" in by else None,
                "norm_final_loss": by["norm"]["final_loss"] if "norm" in by else None,
                "value_final_loss": by["value"]["final_loss"] if "value" in by else None}

    n_runs = len(MODES) + 1

    for i, mode in enumerate(MODES):
        cfg = mode_config(mode, seq_len=seq_len, hidden_size=hidden_size,
                          nonlinearity=nonlinearity, init=init, gain=gain, optimizer=optimizer,
                          lr=lr, norm_threshold=norm_threshold,
                          value_threshold=value_threshold, steps=steps, seed=seed)
        model = build_model("rnn", task.input_size, hidden_size, task.output_size,
                            nonlinearity=nonlinearity, init=init, gain=gain, seed=seed)

        def callback(rec: dict, hist: History, i=i, mode=mode, cfg=cfg) -> None:
            if report is not None and (rec["step"] + 1) % REPORT_EVERY == 0:
                report((i + (rec["step"] + 1) / steps) / n_runs,
                       result([_summary(mode, cfg, hist, False)]))

        hist = train(model, task, optimizer=optimizer, lr=lr, clip=mode,
                     clip_threshold=cfg["clip_threshold"], steps=steps, batch_size=64,
                     seed=seed, callback=callback)
        runs.append(_summary(mode, cfg, hist, True))
        if report is not None:
            report((i + 1) / n_runs, result([]))

    # the control: no clipping, W_hh frozen (train() leaves out what needs no gradient)
    cfg = {**runs[0]["config"], "frozen": "weight_hh"} if runs else {}
    still = build_model("rnn", task.input_size, hidden_size, task.output_size,
                        nonlinearity=nonlinearity, init=init, gain=gain, seed=seed)
    still.cell.weight_hh.requires_grad_(False)

    def control_cb(rec: dict, hist: History) -> None:
        if report is not None and (rec["step"] + 1) % REPORT_EVERY == 0:
            control["run"] = _summary("frozen", cfg, hist, False)
            report((len(MODES) + (rec["step"] + 1) / steps) / n_runs, result([]))

    hist = train(still, task, optimizer=optimizer, lr=lr, clip="none", steps=steps,
                 batch_size=64, seed=seed, callback=control_cb)
    control["run"] = _summary("frozen", cfg, hist, True)
    if report is not None:
        report(1.0, result([]))
    return result([])


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
def _by(r: dict) -> dict:
    return {run["mode"]: run for run in r["runs"]}


def _blew_up(run: dict | None) -> bool:
    return run is not None and run["first_nonfinite"] is not None


def _finished(run: dict | None) -> bool:
    return (run is not None and run["done"] and run["first_nonfinite"] is None
            and run["steps_done"] == run["config"]["steps"])


def _exploding_setup(p: dict) -> bool:
    """The lab's exploding family: tanh, plain SGD, gain >= 2, lr >= 0.05, T <= 30."""
    return (p["nonlinearity"] == "tanh" and p["optimizer"] == "sgd" and p["gain"] >= 2.0
            and p["lr"] >= 0.05 and p["seq_len"] <= 30)


def _with_run(r: dict, mode: str, **changes) -> dict:
    return {**r, "runs": [{**run, **changes} if run["mode"] == mode else run
                          for run in r["runs"]]}


def _first_bad(run: dict) -> str:
    fn = run["first_nonfinite"]
    return "finite to the end" if fn is None else f"NaN/inf at step {fn['step']}"


@claim(compare, observed=lambda r: f"no clipping: {_first_bad(_by(r)['none'])}",
       perturb=lambda r: _with_run(r, "none", first_nonfinite=None),
       settings=[{}, {"seq_len": 60}], applies=lambda p: _exploding_setup(p) or (
           p["seq_len"] >= 60 and p["gain"] >= 2.0 and p["optimizer"] == "sgd"))
def unclipped_blows_up(r: dict) -> bool:
    """without clipping, the run's loss overflows to NaN or inf"""
    return _blew_up(_by(r)["none"])


@claim(compare,
       observed=lambda r: "; ".join(f"{_by(r)[m]['label']}: {_by(r)[m]['steps_done']} steps, "
                                    f"{_first_bad(_by(r)[m])}" for m in ("norm", "value")),
       perturb=lambda r: _with_run(r, "value", first_nonfinite={"step": 9, "where": "loss",
                                                                "tensor": "loss"}),
       settings=[{}, {"seq_len": 60}, {"gain": 0.9}])
def clipped_runs_finish(r: dict) -> bool:
    """both clipped runs train every step and stay finite"""
    by = _by(r)
    return _finished(by["norm"]) and _finished(by["value"])


@claim(compare,
       observed=lambda r: (f"control: {_first_bad(r['control'])}, largest gradient norm "
                           f"{r['control']['max_grad_norm']:.3g}"),
       perturb=lambda r: {**r, "control": {**r["control"], "first_nonfinite": {
           "step": 9, "where": "loss", "tensor": "loss"}}},
       applies=_exploding_setup)
def frozen_control_stays_finite(r: dict) -> bool:
    """the control, with W_hh frozen at its start (same weights, same batches, no clipping),
    stays finite: this blow-up needs the recurrent weights to grow"""
    return _finished(r["control"]) and _blew_up(_by(r)["none"])


@claim(compare,
       observed=lambda r: (f"control: {_first_bad(r['control'])}, median gradient norm "
                           f"{r['control']['median_grad_norm']:.3g}"),
       perturb=lambda r: {**r, "control": {**r["control"], "first_nonfinite": None}},
       settings=[{"seq_len": 60}],
       applies=lambda p: p["seq_len"] >= 60 and p["gain"] >= 2.0 and p["optimizer"] == "sgd"
       and p["nonlinearity"] == "tanh" and p["lr"] >= 0.05)
def frozen_control_explodes_too(r: dict) -> bool:
    """at this length even the control with W_hh frozen blows up: sixty steps of the fixed gain-2
    recurrence already make the gradient explode (its typical norm is above a million)"""
    c = r["control"]
    return _blew_up(c) and finite(c["median_grad_norm"]) and c["median_grad_norm"] > 1e6


@claim(compare,
       observed=lambda r: "; ".join(f"{_by(r)[m]['label']}: final loss "
                                    f"{_by(r)[m]['final_loss']:.3g}" for m in ("norm", "value"))
       + f" (chance {r['chance']:.3g})",
       perturb=lambda r: _with_run(r, "norm", final_loss=0.01),
       applies=_exploding_setup)
def clipping_does_not_teach(r: dict) -> bool:
    """both clipped runs end above half of the chance loss: clipping stopped the blow-up, it did
    not make the network learn the task"""
    by = _by(r)
    return all(finite(by[m]["final_loss"]) and by[m]["final_loss"] > 0.5 * r["chance"]
               for m in ("norm", "value"))


@claim(compare,
       observed=lambda r: ", ".join(f"{run['label']} {run['final_loss']:.4f}"
                                    for run in r["runs"]),
       perturb=lambda r: _with_run(r, "none", final_loss=r["runs"][0]["final_loss"] + 0.05),
       settings=[{"gain": 0.9}], applies=lambda p: p["gain"] <= 1.0)
def tame_runs_agree(r: dict) -> bool:
    """nothing blows up, and the three runs end within 0.005 of each other's loss"""
    losses = [run["final_loss"] for run in r["runs"]]
    return (not any(_blew_up(run) for run in r["runs"]) and all(finite(v) for v in losses)
            and max(losses) - min(losses) < 0.005)


@claim(compare,
       observed=lambda r: (f"norm {100 * _by(r)['norm']['share_clipped']:.0f}%, value "
                           f"{100 * _by(r)['value']['share_clipped']:.0f}% of steps"),
       perturb=lambda r: _with_run(r, "norm", share_clipped=0.9),
       settings=[{"gain": 0.9}],
       applies=lambda p: p["gain"] <= 1.0 and p["norm_threshold"] >= 1.0
       and p["value_threshold"] <= 0.1)
def tame_value_fires_norm_rarely(r: dict) -> bool:
    """norm clipping steps in on fewer than one step in five, value clipping on more than two in
    five: a small value threshold trims a few large entries of almost every gradient"""
    by = _by(r)
    return by["norm"]["share_clipped"] < 0.2 and by["value"]["share_clipped"] > 0.4


@claim(compare,
       observed=lambda r: (f"clipped on {100 * _by(r)['norm']['share_clipped']:.0f}% of steps, "
                           f"median gradient norm {_by(r)['norm']['median_grad_norm']:.3g}"),
       perturb=lambda r: _with_run(r, "norm", share_clipped=0.1),
       settings=[{"seq_len": 60}],
       applies=lambda p: p["seq_len"] >= 60 and p["gain"] >= 2.0 and p["optimizer"] == "sgd"
       and p["norm_threshold"] <= 1.0)
def long_norm_clips_most_steps(r: dict) -> bool:
    """norm clipping steps in on more than half of the steps: at this length a typical gradient
    is longer than the threshold"""
    n = _by(r)["norm"]
    return n["share_clipped"] > 0.5 and n["median_grad_norm"] > n["threshold"]


@claim(compare, observed=lambda r: f"no clipping: {_first_bad(_by(r)['none'])}",
       perturb=lambda r: _with_run(r, "none", first_nonfinite={"step": 9, "where": "loss",
                                                               "tensor": "loss"}),
       settings=[{"lr": 0.01}],
       applies=lambda p: p["optimizer"] == "sgd" and p["lr"] <= 0.01 and p["seq_len"] <= 30
       and p["gain"] <= 2.0 and p["nonlinearity"] == "tanh")
def small_lr_survives(r: dict) -> bool:
    """with this smaller learning rate even the unclipped run stays finite: an explosion needs a
    big gradient and a step size that turns it into a big jump"""
    return all(_finished(run) for run in r["runs"])


@claim(compare, observed=lambda r: f"no clipping: {_first_bad(_by(r)['none'])}",
       perturb=lambda r: _with_run(r, "none", first_nonfinite={"step": 9, "where": "loss",
                                                               "tensor": "loss"}),
       settings=[{"optimizer": "adam", "lr": 0.01}],
       applies=lambda p: p["optimizer"] == "adam" and p["lr"] <= 0.01 and p["seq_len"] <= 30
       and p["gain"] <= 2.0 and p["nonlinearity"] == "tanh")
def adam_survives(r: dict) -> bool:
    """with Adam even the unclipped run stays finite: Adam divides each step by a running average
    of the gradient's size, so one huge gradient no longer means one huge step"""
    return all(_finished(run) for run in r["runs"])
