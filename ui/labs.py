"""Tidy tables and sentences for the labs (Lab 1: clipping; Lab 3: playground), built from
their experiments' results. Streamlit-free, so notebooks import the frame functions too.

Tables that reach the learner show a missing value as "—", never "None".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.labels import cell_name

MISSING = "—"
#: Lab 3's tasks, as the controls and the runs table name them.
TASKS = {"adding": "Adding problem", "copy": "Copy memory", "order": "Temporal order",
         "series": "Time series: the value T steps back"}


def _first_bad(run: dict | None) -> float:
    fn = (run or {}).get("first_nonfinite")
    return float(fn["step"]) if fn else math.nan


# -- Lab 1 ----------------------------------------------------------------------------------------
def clipping_curves(res: dict, col: str = "loss") -> pd.DataFrame:
    """``lab_clipping.compare`` -> columns step, ``col`` (loss or grad_norm), run, first_bad
    (the step the run first produced NaN/inf, NaN if never): one block of rows per run."""
    parts = [pd.DataFrame({"step": r["step"], col: r[col], "run": r["label"],
                           "first_bad": _first_bad(r)}) for r in res["runs"]]
    return (pd.concat(parts, ignore_index=True) if parts else
            pd.DataFrame(columns=["step", col, "run", "first_bad"]))


def clipping_loss(res: dict) -> pd.DataFrame:
    """The main chart's table: ``clipping_curves(res, "loss")``."""
    return clipping_curves(res, "loss")


def clipping_grad(res: dict) -> pd.DataFrame:
    """The pre-clip gradient norms: ``clipping_curves(res, "grad_norm")``."""
    return clipping_curves(res, "grad_norm")


def clipping_summary(res: dict) -> pd.DataFrame:
    """One row per run and the W_hh-frozen control: run, thr., steps, NaN/inf, loss,
    clipped %, median ‖g‖, max ‖g‖, all as text that reads in a narrow column."""
    rows = []
    for r in [*res["runs"], *([res["control"]] if res.get("control") else [])]:
        fn = r["first_nonfinite"]
        med = r["median_grad_norm"]
        rows.append({
            "run": r["label"],
            "thr.": MISSING if r["threshold"] is None else f"{r['threshold']:g}",
            "steps": r["steps_done"],
            "NaN/inf": "never" if fn is None else f"step {fn['step']}",
            "loss": f"{r['final_loss']:.3g}" if math.isfinite(r["final_loss"]) else MISSING,
            "clipped %": f"{100 * r['share_clipped']:.0f}",
            "median ‖g‖": f"{med:.3g}" if math.isfinite(med) else MISSING,
            "max ‖g‖": f"{r['max_grad_norm']:.3g}",
        })
    return pd.DataFrame(rows)


def clipping_shares(res: dict) -> pd.DataFrame:
    """run, share clipped (%) for the three runs."""
    return pd.DataFrame({"run": [r["label"] for r in res["runs"]],
                         "share clipped (%)": [100.0 * r["share_clipped"] for r in res["runs"]]})


def zoom_domain(df: pd.DataFrame, col: str, *, log: bool) -> tuple[float, float] | None:
    """A y range around the runs that never produced NaN/inf (all runs if none survived)."""
    keep = df[df["first_bad"].isna()] if "first_bad" in df else df
    if keep.empty:
        keep = df
    v = pd.to_numeric(keep[col], errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return None
    if log:
        return (float(np.percentile(v, 1)) / 2, float(np.percentile(v, 99)) * 2)
    return (0.0, max(float(np.percentile(v, 98)) * 1.15, 0.3))


#: Lab 1's prediction: which runs are still training at the last step with finite weights.
CLIP_OPTIONS = ["All three: tanh keeps numbers small", "Only the two clipped runs",
                "Only norm clipping", "None: clipping only delays it"]


def finished(run: dict) -> bool:
    return (run["done"] and run["first_nonfinite"] is None
            and run["steps_done"] == run["config"]["steps"])


def clipping_answer(res: dict) -> int:
    """The index in :data:`CLIP_OPTIONS` that this run shows."""
    ok = {r["mode"] for r in res["runs"] if finished(r)}
    if ok == {"none", "norm", "value"}:
        return 0
    if ok == {"norm", "value"}:
        return 1
    if "norm" in ok:
        return 2
    return 3


def clipping_observed(res: dict) -> str:
    """What the runs did, in one sentence."""
    parts = [f"{r['label']}: NaN/inf at step {r['first_nonfinite']['step']}"
             if r["first_nonfinite"] else f"{r['label']}: finite for all {r['steps_done']} steps"
             for r in res["runs"]]
    return "; ".join(parts) + "."


# -- Lab 3 ----------------------------------------------------------------------------------------
def run_title(config: dict) -> str:
    """A run's settings in a few words: "GRU, adding T=30"."""
    return f"{cell_name(config['cell'], config['nonlinearity'])}, {config['task']} " \
           f"T={config['seq_len']}"


def playground_loss(res: dict, name: str | None = None) -> pd.DataFrame:
    """``playground.train_run`` -> columns step, loss, grad_norm, accuracy, run, cell,
    first_bad (one run, named ``name`` or by its settings)."""
    n = len(res["step"])
    return pd.DataFrame({
        "step": res["step"], "loss": res["loss"], "grad_norm": res["grad_norm"],
        "accuracy": res["accuracy"] if res["accuracy"] is not None else [math.nan] * n,
        "run": name or run_title(res["config"]), "cell": res["config"]["cell"],
        "first_bad": _first_bad(res)})


def playground_curves(kept: Sequence[dict], *, ghosts: bool = True) -> pd.DataFrame:
    """Every kept run (``{"name", "result"}``, oldest first) as one table like
    :func:`playground_loss` plus ``ghost`` (every run but the newest, when ``ghosts``)."""
    cols = ["step", "loss", "grad_norm", "accuracy", "run", "cell", "first_bad", "ghost"]
    parts = [playground_loss(r["result"], r["name"]).assign(
        ghost=ghosts and i < len(kept) - 1) for i, r in enumerate(kept)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def playground_probe(res: dict) -> pd.DataFrame:
    """The newest run's ||dL/dh_t|| before and after training: t, grad, when, initial."""
    pdf = pd.concat([pd.DataFrame({
        "t": range(len(p["grad_norm_by_t"])), "grad": p["grad_norm_by_t"],
        "when": "before training" if p["step"] == 0 else f"after {p['step']} steps"})
        for p in res["probes"]], ignore_index=True)
    pdf["initial"] = pdf["when"] == "before training"
    return pdf


def _num(v, fmt: str) -> str:
    return MISSING if v is None or not math.isfinite(v) else format(v, fmt)


def playground_table(kept: Sequence[dict]) -> pd.DataFrame:
    """One row per kept run, as text that fits: run, status, loss, chance, accuracy, NaN/inf,
    clipped, same curve as (an earlier run with an identical curve), steps trained/asked."""
    rows = []
    for r in kept:
        res, c = r["result"], r["result"]["config"]
        fn = res["first_nonfinite"]
        same = next((o["name"] for o in kept if o["id"] < r["id"]
                     and o["result"]["config"] == c
                     and same_curve(o["result"]["loss"], res["loss"])), MISSING)
        rows.append({
            "run": r["name"], "status": r["status"],
            "loss": _num(res["final_loss"], ".3g"), "chance": _num(res["chance"], ".3g"),
            "accuracy": _num(res["final_accuracy"], ".0%"),
            "NaN/inf": "never" if fn is None else f"step {fn['step']}",
            "clipped": f"{100 * res['share_clipped']:.0f}%", "same curve as": same,
            "steps": f"{res['steps_done']}/{c['steps']}",
        })
    return pd.DataFrame(rows)


def playground_settings(kept: Sequence[dict]) -> pd.DataFrame:
    """One row per kept run: its settings (cell, task, T, H, init, gain, norm, optimiser and
    learning rate, clipping, seed)."""
    rows = []
    for r in kept:
        c = r["result"]["config"]
        rows.append({
            "run": r["name"], "cell": cell_name(c["cell"], c["nonlinearity"]),
            "task": c["task"], "T": c["seq_len"], "H": c["hidden_size"], "init": c["init"],
            "gain": f"{c['gain']:g}", "norm": c["norm"],
            "optimiser": f"{c['optimizer']} {c['lr']:g}",
            "clip": MISSING if c["clip"] == "none" else f"{c['clip']} {c['clip_threshold']:g}",
            "seed": c["seed"]})
    return pd.DataFrame(rows)


def same_curve(a: Sequence[float], b: Sequence[float]) -> bool:
    """Two loss curves equal step for step (to the 7 digits a precomputed file keeps)."""
    return len(a) == len(b) and bool(np.allclose(np.asarray(a, float), np.asarray(b, float),
                                                 rtol=1e-6, atol=0.0, equal_nan=True))


#: Lab 3's prediction: where this run's loss ends.
PLAY_OPTIONS = ["Well below chance: it learns the task",
                "Near chance: it never learns the long-range link",
                "It blows up to NaN/inf"]


def playground_answer(res: dict) -> int:
    """The index in :data:`PLAY_OPTIONS` this run shows (below half of chance: learned)."""
    if res["first_nonfinite"] is not None:
        return 2
    ok = math.isfinite(res["final_loss"]) and res["final_loss"] < 0.5 * res["chance"]
    return 0 if ok else 1


def playground_observed(res: dict) -> str:
    fn = res["first_nonfinite"]
    if fn is not None:
        return f"NaN/inf at step {fn['step']} of {res['config']['steps']}."
    return (f"final loss {res['final_loss']:.3g} after {res['steps_done']} steps; chance is "
            f"{res['chance']:.3g}.")
