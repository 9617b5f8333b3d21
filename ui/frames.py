"""Tidy tables for charts: reshaping an experiment's result into the long format Altair wants.

Pages call these instead of reshaping by hand. Append-only while several people edit pages:
add a function per reshaping, with its input keys and output columns in the docstring.
The one safe-log rule is ``core.claims.safe_log10`` (NaN for anything without a logarithm).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def matrix_long(values: Sequence[Sequence[float]], rows: Sequence, cols: Sequence, *,
                row: str, col: str, value: str) -> pd.DataFrame:
    """A (R, C) matrix as a long table with columns ``row``, ``col``, ``value`` (R*C rows)."""
    a = np.asarray(values, dtype=float)
    r, c = np.meshgrid(np.asarray(rows), np.asarray(cols), indexing="ij")
    return pd.DataFrame({row: r.ravel(), col: c.ravel(), value: a.ravel()})


def series_long(x: Sequence, series: dict[str, Sequence[float]], *, x_name: str,
                y_name: str, kind: str = "kind") -> pd.DataFrame:
    """Several series over the same ``x`` as one long table: columns ``x_name``, ``kind``,
    ``y_name``, one block of rows per series in the given order."""
    return pd.concat([pd.DataFrame({x_name: list(x), kind: name, y_name: list(ys)})
                      for name, ys in series.items()], ignore_index=True)


def gradient_profile(res: dict) -> pd.DataFrame:
    """``vanishing.gradient_profile`` -> columns t, norm, kind, bound: the measured
    ||dL/dh_t|| per step and, for a plain RNN, the Pascanu bound (``bound`` True)."""
    df = pd.DataFrame({"t": res["t"], "norm": res["grad_norm"],
                       "kind": "measured ||dL/dh_t||", "bound": False})
    if res.get("bound") is None:
        return df
    return pd.concat([df, pd.DataFrame({"t": res["t"], "norm": res["bound"],
                                        "kind": "Pascanu bound (σ_max·γ)^lag",
                                        "bound": True})], ignore_index=True)


# -- Lab 2 (core.experiments.compare) ---------------------------------------------------------
def _cell_label(cell: str) -> str:
    from core.labels import cell_name

    return cell_name(cell)


def _smoothed(values: Sequence[float], window: int) -> np.ndarray:
    s = pd.Series(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), dtype=float)
    return s.rolling(max(1, window), min_periods=1).mean().to_numpy()


def compare_task_loss(res: dict) -> pd.DataFrame:
    """``compare.tasks`` -> columns cell, step, loss (mean over a window of len/50 steps),
    raw loss: one block per cell trained so far (a partial result has fewer)."""
    frames = [pd.DataFrame({"cell": _cell_label(c), "step": r["step"],
                            "loss": _smoothed(r["loss"], len(r["step"]) // 50),
                            "raw loss": r["loss"]}) for c, r in res["runs"].items()]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=["cell", "step", "loss", "raw loss"]))


def compare_task_accuracy(res: dict) -> pd.DataFrame:
    """``compare.tasks`` (a task with classes) -> columns cell, step, accuracy (batch
    accuracy, mean over a window of len/50 steps); empty for regression tasks."""
    frames = [pd.DataFrame({"cell": _cell_label(c), "step": r["step"],
                            "accuracy": _smoothed(r["accuracy"], len(r["step"]) // 50)})
              for c, r in res["runs"].items() if r.get("accuracy")]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=["cell", "step", "accuracy"]))


def compare_gradient_map(res: dict) -> pd.DataFrame:
    """Any ``compare`` result -> columns cell, training step, lag, log10 grad: log10
    ||dL/dh|| by lag (0 = the step the loss is on) at each probe; an exact zero (-inf) is
    written -300, the charts' mark for "below float resolution"."""
    rows = [(_cell_label(c), int(s), lag, -300.0 if v == -np.inf else float(v))
            for c, r in res["runs"].items()
            for s, logs in zip(r["probe_steps"], r["log_grad"])
            for lag, v in enumerate(logs)]
    return pd.DataFrame(rows, columns=["cell", "training step", "lag", "log10 grad"])


def compare_bracket_accuracy(res: dict) -> pd.DataFrame:
    """``compare.brackets`` -> columns cell, step, accuracy: closing-bracket accuracy on the
    fixed test set at each check during training."""
    frames = [pd.DataFrame({"cell": _cell_label(c), "step": r["eval_steps"],
                            "accuracy": r["eval_accuracy"]}) for c, r in res["runs"].items()]
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=["cell", "step", "accuracy"]))


def compare_bracket_distance(res: dict) -> pd.DataFrame:
    """``compare.brackets`` -> columns cell, distance, accuracy: each trained cell's accuracy
    at every distance 2..K (cells still training have none)."""
    rows = [(_cell_label(c), d, a) for c, r in res["runs"].items() if r.get("acc_by_distance")
            for d, a in zip(res["distances"], r["acc_by_distance"])]
    return pd.DataFrame(rows, columns=["cell", "distance", "accuracy"])


def compare_lm_loss(res: dict) -> pd.DataFrame:
    """``compare.brackets`` or ``compare.char_lm`` -> columns cell, step, loss, series:
    the training-batch loss (mean over a window of len/40 steps) and, where measured, the
    held-out loss (``val_loss``) at its checks."""
    frames = []
    for c, r in res["runs"].items():
        frames.append(pd.DataFrame({"cell": _cell_label(c), "step": r["step"],
                                    "loss": _smoothed(r["loss"], len(r["step"]) // 40),
                                    "series": "training batches"}))
        if r.get("val_loss"):
            frames.append(pd.DataFrame({"cell": _cell_label(c), "step": r["eval_steps"],
                                        "loss": r["val_loss"], "series": "held-out text"}))
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=["cell", "step", "loss", "series"]))
