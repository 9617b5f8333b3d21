"""Tidy tables for charts: reshaping an experiment's result into the long format Altair wants.

Pages call these instead of reshaping by hand. Append-only while several people edit pages:
add a function per reshaping, with its input keys and output columns in the docstring.
The one safe-log rule is ``core.claims.safe_log10`` (NaN for anything without a logarithm).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.labels import cell_name
from core.tasks import make_task
from core.theory import scalar_log_powers


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


# -- sections 2 and 5a (core.experiments.exploding, clipping; core.cliff) --------------------


def loss_frame(r: dict, runs: Sequence[str]) -> pd.DataFrame:
    """The blow-up run's loss and its W_hh-frozen control: ``step``, ``loss``, ``run`` (named
    ``runs[0]`` and ``runs[1]``); the control only once it has run."""
    parts = [pd.DataFrame({"step": r["step"], "loss": r["loss"], "run": runs[0]})]
    fr = r.get("frozen")
    if fr and fr["step"]:
        parts.append(pd.DataFrame({"step": fr["step"], "loss": fr["loss"], "run": runs[1]}))
    return pd.concat(parts, ignore_index=True)


def growth_frame(r: dict, names: Sequence[str]) -> pd.DataFrame:
    """The gradient norm, ||W_hh|| and ||readout|| per step: ``step``, ``value``, ``what``."""
    return pd.concat([pd.DataFrame({"step": r["step"], "value": r[col], "what": name})
                      for col, name in zip(("grad_norm", "w_norm", "readout_norm"), names)],
                     ignore_index=True)


def compare_frame(r: dict, names: Sequence[str]) -> pd.DataFrame:
    """Both runs of ``clipping.compare``: ``step``, ``loss``, ``grad_norm``, ``run`` (named
    ``names[0]`` for the unclipped, ``names[1]`` for the clipped one)."""
    parts = [pd.DataFrame({"step": h["step"], "loss": h["loss"], "grad_norm": h["grad_norm"],
                           "run": name})
             for h, name in ((r.get("none"), names[0]), (r.get("clipped"), names[1])) if h]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["step", "loss", "grad_norm", "run"])


def surface_frame(surface: dict) -> pd.DataFrame:
    """Tidy cells of a loss surface: w, b, their cell edges, loss and log10 loss."""
    w = np.asarray(surface["w"], dtype=float)
    b = np.asarray(surface["b"], dtype=float)
    loss = np.asarray(surface["loss"], dtype=float)  # (len(b), len(w))
    dw = (w[1] - w[0]) / 2 if len(w) > 1 else 0.5
    db = (b[1] - b[0]) / 2 if len(b) > 1 else 0.5
    B, W = np.meshgrid(b, w, indexing="ij")
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.log10(np.maximum(loss, 1e-12))
    df = pd.DataFrame({"w": W.ravel(), "b": B.ravel(), "loss": loss.ravel(),
                       "log10_loss": lg.ravel()})
    df["w_lo"], df["w_hi"] = df["w"] - dw, df["w"] + dw
    df["b_lo"], df["b_hi"] = df["b"] - db, df["b"] + db
    df.loc[~np.isfinite(df["loss"]), "log10_loss"] = np.nan
    return df


def path_table(paths: dict[str, dict]) -> pd.DataFrame:
    """Every point of every path as a table: path, step, w, b, loss, pre-clip gradient norm."""
    rows = []
    for label, p in paths.items():
        for i in range(len(p["w"])):
            rows.append({"path": label, "step": i, "w": float(p["w"][i]), "b": float(p["b"][i]),
                         "loss": float(p["loss"][i]) if i < len(p["loss"]) else math.nan,
                         "grad_norm": (float(p["grad_norm"][i]) if i < len(p["grad_norm"])
                                       else math.nan)})
    return pd.DataFrame(rows)


def _clip_segment(p, q, box):
    """Liang-Barsky: the part of segment p->q inside ``box`` as (t0, t1), or None."""
    (x0, x1), (y0, y1) = box
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return None
            continue
        r = qk / pk
        if pk < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return t0, t1


def _path_rows(label: str, p: dict, window) -> list[dict]:
    """The rows :func:`path_frame` draws for one path."""
    ws, bs = [float(v) for v in p["w"]], [float(v) for v in p["b"]]
    losses = [float(v) for v in p["loss"]]
    gns = [float(v) for v in p["grad_norm"]]
    rows: list[dict] = []
    seg = 0

    def add(i, w, b, kind, to=(math.nan, math.nan)):
        rows.append({"path": label, "seg": f"{label}-{seg}", "order": len(rows), "step": i,
                     "w": w, "b": b, "kind": kind, "to_w": to[0], "to_b": to[1],
                     "loss": losses[i] if i < len(losses) else math.nan,
                     "grad_norm": gns[i] if i < len(gns) else math.nan})

    if ws and inside_window(ws[0], bs[0], window):
        add(0, ws[0], bs[0], "point")
    for i in range(1, len(ws)):
        a, c = (ws[i - 1], bs[i - 1]), (ws[i], bs[i])
        ina, inc = inside_window(*a, window), inside_window(*c, window)
        finite = all(map(math.isfinite, a + c))
        if ina and inc:
            add(i, c[0], c[1], "point")
        elif ina:
            cut = _clip_segment(a, c, window) if finite else None
            t1 = cut[1] if cut else 0.0
            add(i - 1, a[0] + t1 * (c[0] - a[0]), a[1] + t1 * (c[1] - a[1]), "exit", c)
            seg += 1
        elif inc:
            cut = _clip_segment(a, c, window) if finite else None
            t0 = cut[0] if cut else 1.0
            add(i - 1, a[0] + t0 * (c[0] - a[0]), a[1] + t0 * (c[1] - a[1]), "entry", a)
            add(i, c[0], c[1], "point")
    return rows


def path_frame(paths: dict[str, dict], window: tuple[tuple[float, float], tuple[float, float]]
               ) -> pd.DataFrame:
    """What to draw of each path inside ``window``: its points, cut where it leaves.

    Rows: ``path``, ``seg`` (a new segment starts after every exit), ``order``, ``step``,
    ``w``, ``b`` (drawn position), ``kind`` ("point", "exit" where a step leaves the window,
    "entry" where one comes back), and for tooltips ``to_w``, ``to_b`` (where that step really
    went), ``loss`` and ``grad_norm`` at the point.
    """
    rows: list[dict] = []
    for label, p in paths.items():
        rows.extend(_path_rows(label, p, window))
    return pd.DataFrame(rows, columns=["path", "seg", "order", "step", "w", "b", "kind", "to_w",
                                       "to_b", "loss", "grad_norm"])


def inside_window(w: float, b: float, window) -> bool:
    (w0, w1), (b0, b1) = window
    return math.isfinite(w) and math.isfinite(b) and w0 <= w <= w1 and b0 <= b <= b1


VECTOR_NAMES = {"original": "original gradient", "norm": "norm-clipped",
                "value": "value-clipped"}


def vector_frame(res: dict) -> pd.DataFrame:
    return pd.DataFrame([{"vector": VECTOR_NAMES[k], "x": res[k]["x"], "y": res[k]["y"],
                          "norm": res[k]["norm"], "angle_deg": res[k]["angle"]}
                         for k in ("original", "norm", "value")])


def norm_bins(norms: Sequence[float], bins: int = 30) -> pd.DataFrame:
    """Finite positive pre-clip norms counted on ``bins`` log-spaced bins: ``from``, ``to``,
    ``steps``. An empty list gives one empty bin."""
    v = np.asarray([x for x in norms if x is not None and math.isfinite(x) and x > 0], float)
    if len(v):
        lo, hi = np.log10(v.min()), np.log10(v.max())
        if hi - lo < 1e-6:
            lo, hi = lo - 0.5, hi + 0.5
        edges = 10 ** np.linspace(lo, hi, bins + 1)
        edges[0], edges[-1] = min(edges[0], v.min()), max(edges[-1], v.max())  # rounding
        counts, _ = np.histogram(v, edges)
    else:
        edges, counts = np.array([0.1, 1.0]), np.array([0])
    return pd.DataFrame({"from": edges[:-1], "to": edges[1:], "steps": counts})


# -- section 4 (core.experiments.effects) ------------------------------------------------------


LEARNED, NOT_LEARNED = "learned", "not learned"


def run_label(r: dict) -> str:
    """A sweep's name in the legend: network and training budget."""
    return f"{cell_name(r['cell'])}, {r['steps']} steps"


def score_frame(r: dict) -> pd.DataFrame:
    """One row per length of ``effects.length_sweep``: ``T``, ``score`` (final accuracy, or
    the final loss for regression), ``chance`` (the blind-guess score), ``run``, ``network``,
    ``verdict`` (learned or not)."""
    classify = r["chance_accuracy"] is not None
    vals = r["final_accuracy"] if classify else r["final_loss"]
    chance = ([r["chance_accuracy"]] * len(r["lengths"]) if classify else r["chance_loss"])
    return pd.DataFrame({
        "T": r["lengths"], "score": [np.nan if v is None else v for v in vals],
        "chance": chance, "run": run_label(r), "network": cell_name(r["cell"]),
        "verdict": [LEARNED if ok else NOT_LEARNED for ok in r["learned"]]})


def curve_frame(r: dict) -> pd.DataFrame:
    """Training curves of a sweep, long form: ``T``, ``step``, ``loss``, ``chance`` (that
    length's blind-guess loss, also for a length still training) and ``ratio`` = loss /
    chance."""
    df = pd.DataFrame({"T": r["curve_T"], "step": r["curve_step"], "loss": r["curve_loss"]})
    chance = {int(t): make_task(r["task"], int(t)).chance for t in set(r["curve_T"])}
    df["chance"] = [chance[int(t)] for t in df["T"]]
    df["ratio"] = pd.to_numeric(df["loss"], errors="coerce").astype(float) / df["chance"]
    return df


def budget_frame(b: dict) -> pd.DataFrame:
    """``effects.longer_budget`` -> ``step``, ``loss``, ``run`` (one run)."""
    return pd.DataFrame({"step": b["curve_step"], "loss": b["curve_loss"],
                         "run": f"training loss, T = {b['T']}"})


def exploding_frame(r: dict, runs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """``effects.exploding_run`` -> ``step``, ``loss``, ``grad_norm``, ``w_hh_norm``, ``run``
    for each ``(key, label)`` of ``runs`` (e.g. ``("raw", "no clipping")``)."""
    return pd.concat([pd.DataFrame({
        "step": r["step"], "loss": r[f"loss_{k}"], "grad_norm": r[f"grad_norm_{k}"],
        "w_hh_norm": r[f"w_hh_norm_{k}"], "run": label}) for k, label in runs],
        ignore_index=True)


# -- section 3 (core.experiments.why) ----------------------------------------------------------


#: Curve names of the main chart of section 3.
MEASURED_CURVE = "measured ||dh_T/dh_(T-lag)||"


BOUND_CURVE = "Pascanu bound (γ·σ_max)^lag"


def lag_frame(r: dict) -> pd.DataFrame:
    """``why.matrix_case`` as a long table: ``lag``, ``log10 norm``, ``curve`` (measured or
    bound), ``bound`` (True for the bound's rows)."""
    n = len(r["lag"])
    return pd.DataFrame({"lag": list(r["lag"]) * 2,
                         "log10 norm": list(r["log_norm"]) + list(r["log_bound"]),
                         "curve": [MEASURED_CURVE] * n + [BOUND_CURVE] * n,
                         "bound": [False] * n + [True] * n})


def activation_frame(r: dict, names: dict[str, str]) -> pd.DataFrame:
    """``why.activation_compare`` as a long table: ``lag``, ``log10 norm``, ``activation``
    (``names[act]``), one block per activation in ``r["activations"]`` order."""
    return pd.concat([pd.DataFrame({"lag": r["lag"], "log10 norm": r["log_norm"][a],
                                    "activation": names[a]}) for a in r["activations"]],
                     ignore_index=True)


def eigen_frame(r: dict) -> pd.DataFrame:
    """W_hh's eigenvalues from ``why.matrix_case``: ``real``, ``imag``, ``modulus``."""
    re, im = np.asarray(r["eig_real"], float), np.asarray(r["eig_imag"], float)
    return pd.DataFrame({"real": re, "imag": im, "modulus": np.hypot(re, im)})


def scalar_frame(w: float, k_max: int, refs: tuple[float, ...] = (0.9, 1.0, 1.1)
                 ) -> pd.DataFrame:
    """log10 |w|^k for k = 0..k_max for the learner's ``w`` and dashed reference values:
    ``k``, ``log10 |w|^k``, ``curve`` ("your w = 0.90", "w = 1.1"), ``reference``."""
    mine = f"your w = {w:.2f}"
    curves = [(w, mine, False)] + [(r, f"w = {r:g}", True) for r in refs if abs(r - w) > 1e-9]
    return pd.concat([pd.DataFrame({"k": range(k_max + 1),
                                    "log10 |w|^k": scalar_log_powers(ww, k_max),
                                    "curve": name, "reference": ref})
                      for ww, name, ref in curves], ignore_index=True)


def phase_frame(r: dict) -> pd.DataFrame:
    """``why.phase_diagram`` as one row per cell: ``gain``, ``T``, ``ratio``, ``regime``,
    ``log10_ratio`` (-inf for a ratio of 0, inf for inf, NaN for NaN) and ``label``, the
    rounded exponent a cell shows ("-14", "0", "+3", "<-300", "inf", "NaN")."""
    df = pd.DataFrame({"gain": r["radius"], "T": r["seq_len"], "ratio": r["ratio"],
                       "regime": r["regime"]})
    ratio = pd.to_numeric(df["ratio"], errors="coerce").astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.where(ratio > 0, np.log10(np.where(ratio > 0, ratio, 1.0)),
                      np.where(ratio == 0, -np.inf, np.nan))
    df["log10_ratio"] = lg
    df["label"] = [("inf" if v == math.inf else "<-300" if v == -math.inf else "NaN")
                   if not math.isfinite(v) else ("0" if round(v) == 0 else f"{v:+.0f}")
                   for v in lg]
    return df
