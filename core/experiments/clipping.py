"""Section 5a, gradient clipping: norm vs value clipping, the threshold, and the cliff."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import cliff
from ..models import build_model
from ..tasks import make_task
from ..training import train
from . import experiment
from .exploding import cliff_surface, wall_line


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
    ``clip_grad_norm_`` returns it), ``clipped``; and ``first_nonfinite``, ``final_loss``,
    ``mean_norm`` / ``median_norm`` (finite pre-clip norms), ``share_clipped``. Also ``chance``.
    """
    task = make_task("adding", seq_len)

    def fresh():
        return build_model("rnn", task.input_size, hidden_size, task.output_size,
                           nonlinearity=nonlinearity, gain=gain, seed=seed)

    kw = dict(optimizer=optimizer, lr=lr, steps=steps, batch_size=batch_size, seed=seed)
    out: dict = {"chance": task.chance, "clip": clip, "threshold": threshold, "none": None,
                 "clipped": None}

    def cb(phase):
        def inner(rec, hist):
            if report is not None and rec["step"] % 10 == 0:
                part = dict(out)
                part[phase] = _summary(hist)
                report(0.5 * phase_idx[phase] + 0.5 * (rec["step"] + 1) / steps, part)
        return inner

    phase_idx = {"none": 0, "clipped": 1}
    out["none"] = _summary(train(fresh(), task, clip="none", callback=cb("none"), **kw))
    out["clipped"] = _summary(train(fresh(), task, clip=clip, clip_threshold=threshold,
                                    callback=cb("clipped"), **kw))
    return out


@experiment(gx=3.0, gy=0.1, threshold=1.0)
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
    ``unclipped`` and ``clipped`` paths (see :func:`core.cliff.descend`), ``spec``."""
    spec = cliff.CliffSpec(T=seq_len)
    return {"surface": cliff_surface(seq_len), "wall": wall_line(spec), "spec": spec.as_dict(),
            "unclipped": cliff.descend((w0, b0), spec, lr=lr, steps=steps),
            "clipped": cliff.descend((w0, b0), spec, lr=lr, steps=steps, clip=clip,
                                     threshold=threshold)}


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
