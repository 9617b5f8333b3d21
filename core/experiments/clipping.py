"""Section 5a, gradient clipping: norm vs value clipping, the threshold, and the cliff."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import cliff
from ..claims import SEEDS, claim, finite, finite_values, held_while_blown, held_while_blown_text
from ..models import build_model
from ..tasks import make_task
from ..training import train
from . import experiment
from .exploding import cliff_surface, inside_map, num, wall_line, weight_norm


def _summary(hist) -> dict:
    norms = [g for g in hist.column("grad_norm") if math.isfinite(g)]
    n = len(hist.records)
    return {
        "step": hist.column("step"),
        "loss": hist.column("loss"),
        "grad_norm": hist.column("grad_norm"),
        "clipped": hist.column("clipped"),
        "first_nonfinite": hist.first_nonfinite,
        "stopped": hist.stopped,
        "final_loss": hist.final_loss(),
        "mean_norm": float(np.mean(norms)) if norms else math.nan,
        "median_norm": float(np.median(norms)) if norms else math.nan,
        "share_clipped": (sum(hist.column("clipped")) / n) if n else math.nan,
    }


@experiment(clip="norm", threshold=1.0, nonlinearity="tanh", gain=2.0, seq_len=30,
            hidden_size=64, optimizer="sgd", lr=0.05, steps=200, batch_size=64, seed=0)
def compare(clip, threshold, nonlinearity, gain, seq_len, hidden_size, optimizer, lr, steps,
            batch_size, seed, report=None):
    """The same exploding setup and seed trained twice: without clipping, and with ``clip``.

    Both runs start from identical weights and see identical batches. Returns ``none`` and
    ``clipped``: each with per-step ``step``, ``loss``, ``grad_norm`` (BEFORE clipping, as
    ``clip_grad_norm_`` returns it), ``clipped``, ``w_norm`` (||W_hh||, Frobenius, after the
    step; NaN when non-finite); and ``first_nonfinite``, ``final_loss``, ``mean_norm`` /
    ``median_norm`` (finite pre-clip norms), ``share_clipped``. Also ``chance``, ``clip``,
    ``threshold``, ``lr`` and ``w_norm_init`` (||W_hh|| at the shared start).
    """
    task = make_task("adding", seq_len)

    def fresh():
        return build_model("rnn", task.input_size, hidden_size, task.output_size,
                           nonlinearity=nonlinearity, gain=gain, seed=seed)

    kw = dict(optimizer=optimizer, lr=lr, steps=steps, batch_size=batch_size, seed=seed)
    start = fresh()
    out: dict = {"chance": task.chance, "clip": clip, "threshold": threshold, "lr": float(lr),
                 "w_norm_init": weight_norm(start.cell.weight_hh), "none": None,
                 "clipped": None}
    phase_idx = {"none": 0, "clipped": 1}

    def one(phase: str, model, **clipping) -> dict:
        w_norm: list[float] = []

        def cb(rec, hist):
            w_norm.append(weight_norm(model.cell.weight_hh))
            if report is not None and rec["step"] % 10 == 0:
                part = dict(out)
                part[phase] = {**_summary(hist), "w_norm": list(w_norm)}
                report(0.5 * phase_idx[phase] + 0.5 * (rec["step"] + 1) / steps, part)

        hist = train(model, task, callback=cb, **clipping, **kw)
        return {**_summary(hist), "w_norm": w_norm}

    out["none"] = one("none", start, clip="none")
    out["clipped"] = one("clipped", fresh(), clip=clip, clip_threshold=threshold)
    return out


@experiment(gx=3.0, gy=1.0, threshold=1.0)
def vector(gx, gy, threshold):
    """One 2-D gradient clipped both ways by torch itself.

    Puts (gx, gy) into a parameter's ``.grad`` and calls ``clip_grad_norm_`` (which returns the
    pre-clip norm) and ``clip_grad_value_``. Returns each vector with its norm and angle in
    degrees, and the angle each clipping turned it by.
    """
    def clipped(kind):
        p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
        p.grad = torch.tensor([gx, gy], dtype=torch.float64)
        ret = None
        if kind == "norm":
            ret = float(torch.nn.utils.clip_grad_norm_([p], threshold))
        else:
            torch.nn.utils.clip_grad_value_([p], threshold)
        return p.grad.tolist(), ret

    def describe(v):
        return {"x": v[0], "y": v[1], "norm": math.hypot(*v),
                "angle": math.degrees(math.atan2(v[1], v[0]))}

    orig = describe([gx, gy])
    nv, returned = clipped("norm")
    vv, _ = clipped("value")
    n, v = describe(nv), describe(vv)
    return {"original": orig, "norm": n, "value": v, "returned_by_clip_grad_norm": returned,
            "turn_norm": n["angle"] - orig["angle"], "turn_value": v["angle"] - orig["angle"],
            "threshold": threshold}


@experiment(w0=6.5, b0=-2.35, lr=0.05, steps=100, threshold=5.0, clip="norm", seq_len=50)
def cliff_compare(w0, b0, lr, steps, threshold, clip, seq_len):
    """Pascanu's cliff with two gradient-descent paths from the same start: unclipped, and
    clipped (``clip`` = "norm" or "value" at ``threshold``). Returns ``surface``, ``wall``,
    ``unclipped`` and ``clipped`` paths (see :func:`core.cliff.descend`), ``spec``, and the
    settings the claims read: ``lr``, ``threshold``, ``clip``."""
    spec = cliff.CliffSpec(T=seq_len)
    return {"surface": cliff_surface(seq_len), "wall": wall_line(spec), "spec": spec.as_dict(),
            "unclipped": cliff.descend((w0, b0), spec, lr=lr, steps=steps),
            "clipped": cliff.descend((w0, b0), spec, lr=lr, steps=steps, clip=clip,
                                     threshold=threshold),
            "lr": float(lr), "threshold": float(threshold), "clip": clip}


@experiment(thresholds=[0.1, 0.3, 1.0, 3.0, 10.0, 30.0], nonlinearity="tanh", gain=2.0,
            seq_len=30, hidden_size=64, optimizer="sgd", lr=0.05, steps=80, batch_size=64,
            seed=0)
def sweep(thresholds, nonlinearity, gain, seq_len, hidden_size, optimizer, lr, steps,
          batch_size, seed, report=None):
    """Norm clipping at several thresholds on the exploding setup: final loss and share of
    steps clipped for each. ``final_loss`` is NaN for a run that blew up. Also ``reference``:
    the mean pre-clip gradient norm measured in the run at the threshold closest to 1."""
    task = make_task("adding", seq_len)
    rows = []
    for i, c in enumerate(thresholds):
        model = build_model("rnn", task.input_size, hidden_size, task.output_size,
                            nonlinearity=nonlinearity, gain=gain, seed=seed)
        hist = train(model, task, optimizer=optimizer, lr=lr, steps=steps,
                     batch_size=batch_size, seed=seed, clip="norm", clip_threshold=float(c))
        s = _summary(hist)
        rows.append({"threshold": float(c), "final_loss": s["final_loss"] if hist.first_nonfinite
                     is None else math.nan, "blew_up": hist.first_nonfinite is not None,
                     "share_clipped": s["share_clipped"], "mean_norm": s["mean_norm"]})
        if report is not None:
            report((i + 1) / len(thresholds), {"rows": list(rows), "chance": task.chance,
                                               "reference": _reference(rows)})
    return {"rows": rows, "chance": task.chance, "reference": _reference(rows)}


def _reference(rows: list[dict]) -> float:
    """Mean pre-clip norm of the run whose threshold is closest to 1 (log distance)."""
    ok = [r for r in rows if math.isfinite(r["mean_norm"]) and r["threshold"] > 0]
    if not ok:
        return math.nan
    return min(ok, key=lambda r: abs(math.log(r["threshold"])))["mean_norm"]


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
#: The presets of the page's comparison whose text relies on the claims below.
VALUE_PRESET = {"clip": "value", "threshold": 0.1}



@claim(compare,
       observed=lambda r: held_while_blown_text("clipped", r["clipped"]["loss"], "unclipped",
                                                r["none"]["loss"]),
       perturb=lambda r: {**r, "clipped": {**r["clipped"],
                                           "loss": r["clipped"]["loss"] + [float("inf")]}},
       settings=[{}, VALUE_PRESET], seeds=SEEDS)
def clipped_stays_finite(r: dict) -> bool:
    """the clipped run stays finite for all its steps and its loss never exceeds twice its first
    value, while the unclipped twin's loss climbs more than a million-fold"""
    return held_while_blown(r["clipped"], r["none"]["loss"])


@claim(compare,
       observed=lambda r: (f"clipped: {min(r['clipped']['w_norm']):.4g} to "
                           f"{max(r['clipped']['w_norm']):.4g} from {r['w_norm_init']:.4g}; "
                           f"unclipped: up to {num(max(finite_values(r['none']['w_norm'])))}"),
       perturb=lambda r: {**r, "clipped": {**r["clipped"], "w_norm": r["clipped"]["w_norm"]
                                           + [2.0 * r["w_norm_init"]]}},
       settings=[{}, VALUE_PRESET], seeds=SEEDS)
def w_hh_held(r: dict) -> bool:
    """clipping keeps ||W_hh|| within 1% of its start for the whole run; without it, W_hh grows
    more than a thousand-fold"""
    w0, c = r["w_norm_init"], r["clipped"]["w_norm"]
    return (len(c) > 0 and all(finite(v) and abs(v / w0 - 1.0) <= 0.01 for v in c)
            and max(finite_values(r["none"]["w_norm"])) > 1e3 * w0)


@claim(compare,
       observed=lambda r: f"final loss {r['clipped']['final_loss']:.3g}, chance {r['chance']:.3g}",
       perturb=lambda r: {**r, "clipped": {**r["clipped"], "final_loss": 0.01}},
       settings=[{}, VALUE_PRESET], seeds=SEEDS)
def survives_not_learns(r: dict) -> bool:
    """but it does not learn: its final loss is within 25% of the chance
    loss (always answering 1)"""
    f = r["clipped"]["final_loss"]
    return finite(f) and 0.75 <= f / r["chance"] <= 1.25


@claim(vector,
       observed=lambda r: (f"value: {abs(r['turn_value']):.1f} degrees, "
                           f"norm: {abs(r['turn_norm']):.1g} degrees"),
       perturb=lambda r: {**r, "turn_value": 0.5},
       settings=[{}], seeds=None)
def value_turns(r: dict) -> bool:
    """value clipping turns this gradient by more than 10 degrees; norm clipping
    keeps its direction exactly"""
    return abs(r["turn_value"]) > 10.0 and abs(r["turn_norm"]) < 1e-6


def _step_cap(r: dict) -> float:
    """The longest step clipping allows: lr x c (x sqrt 2 for value clipping in 2-D)."""
    return r["lr"] * r["threshold"] * (math.sqrt(2.0) if r["clip"] == "value" else 1.0)


@claim(cliff_compare,
       observed=lambda r: (f"largest gradient: clipped {max(r['clipped']['grad_norm']):.3g}, "
                           f"unclipped {max(finite_values(r['unclipped']['grad_norm'])):.3g}"),
       perturb=lambda r: {**r, "clipped": {**r["clipped"], "grad_norm": r["clipped"]["grad_norm"]
                                           + [max(finite_values(r["unclipped"]["grad_norm"]))]}},
       settings=[{}], seeds=None)
def clipped_meets_less(r: dict) -> bool:
    """on this start the clipped path never meets a gradient as steep as the one that throws the
    unclipped path: its largest is less than a tenth of it"""
    c = r["clipped"]["grad_norm"]
    return (len(c) > 0 and all(finite(g) for g in c)
            and max(c) < 0.1 * max(finite_values(r["unclipped"]["grad_norm"])))


@claim(cliff_compare,
       observed=lambda r: (f"cap {_step_cap(r):.3g}; longest step: clipped "
                           f"{max(r['clipped']['step_size']):.3g}, unclipped "
                           f"{max(finite_values(r['unclipped']['step_size'])):.3g}"),
       perturb=lambda r: {**r, "clipped": {**r["clipped"], "step_size": r["clipped"]["step_size"]
                                           + [2.0 * _step_cap(r)]}},
       settings=[{}], seeds=None)
def steps_capped(r: dict) -> bool:
    """no clipped step is longer than learning rate × c (times √2 for value clipping in 2-D),
    while one unclipped step is more than 100 times that long"""
    cap = _step_cap(r)
    return (max(r["clipped"]["step_size"]) <= cap * (1.0 + 1e-9)
            and max(finite_values(r["unclipped"]["step_size"])) > 100.0 * cap)


@claim(cliff_compare,
       observed=lambda r: (f"unclipped ends at w = {r['unclipped']['w'][-1]:.3g}; clipped at "
                           f"w = {r['clipped']['w'][-1]:.3g}, b = {r['clipped']['b'][-1]:.3g}"),
       perturb=lambda r: {**r, "clipped": {**r["clipped"], "w": r["clipped"]["w"] + [-5.0],
                                           "b": r["clipped"]["b"] + [0.0]}},
       settings=[{}], seeds=None)
def only_unclipped_lost(r: dict) -> bool:
    """the unclipped path leaves the map and ends in another valley (w < 0); the clipped path
    stays on the map all the way"""
    c = r["clipped"]
    return (r["unclipped"]["w"][-1] < 0
            and all(inside_map(r, w, b) for w, b in zip(c["w"], c["b"])))


def _row(r: dict, which: str) -> dict:
    rows = sorted(r["rows"], key=lambda x: x["threshold"])
    return rows[0] if which == "smallest" else rows[-1]


@claim(sweep,
       observed=lambda r: (f"c = {_row(r, 'smallest')['threshold']:g}: "
                           f"{100 * _row(r, 'smallest')['share_clipped']:.0f}% clipped"),
       perturb=lambda r: {**r, "rows": [{**x, "share_clipped": 0.5} for x in r["rows"]]},
       settings=[{}], seeds=SEEDS)
def smallest_clips_all(r: dict) -> bool:
    """at the smallest threshold at least 90% of the steps are clipped, so SGD moves a fixed
    distance, learning rate × c, at nearly every step"""
    return _row(r, "smallest")["share_clipped"] >= 0.9


@claim(sweep,
       observed=lambda r: "final losses " + ", ".join(
           f"{x['final_loss']:.3g}" for x in r["rows"] if x["threshold"] <= 1.0),
       perturb=lambda r: {**r, "rows": [{**x, "final_loss": float("nan"), "blew_up": True}
                                        for x in r["rows"]]},
       settings=[{}], seeds=SEEDS)
def tight_survive(r: dict) -> bool:
    """every threshold up to 1 ends within 25% of the chance loss: those runs
    survive, and none of them learns"""
    tight = [x for x in r["rows"] if x["threshold"] <= 1.0]
    return bool(tight) and all(not x["blew_up"] and finite(x["final_loss"])
                               and 0.75 <= x["final_loss"] / r["chance"] <= 1.25
                               for x in tight)


@claim(sweep,
       observed=lambda r: (f"c = {_row(r, 'largest')['threshold']:g}: final loss "
                           f"{_row(r, 'largest')['final_loss']:.3g}"),
       perturb=lambda r: {**r, "rows": [{**x, "final_loss": r["chance"], "blew_up": False}
                                        for x in r["rows"]]},
       settings=[{}], seeds=SEEDS)
def loosest_fails(r: dict) -> bool:
    """the largest threshold lets the bursts through: its run ends more than 10 times above the
    chance loss (or blows up)"""
    x = _row(r, "largest")
    return x["blew_up"] or (finite(x["final_loss"]) and x["final_loss"] > 10.0 * r["chance"])
