"""Charts of section 4 (``pages/s4_effects.py``) and the tidy tables they draw. No Streamlit.

- :func:`score_chart`: the length sweep's final score per dependency length, one line per
  network and step budget, the blind-guess level under it; a filled dot is a length learned, a
  hollow one a length not learned.
- :func:`ratio_curves`: every length's training curve as a fraction of its own blind-guess
  loss, on one log axis (1 = blind guess), so lengths of different chance levels compare.
- :func:`run_lines`: curves per run on a log axis over reference lines (chance, the first
  NaN, a step budget) that are named in the legend, never written over the data.

Reference lines sit under the data and are named in the legend instead of labelled on the
chart, so no label can collide with a line. The builders are memoised (``ui.chartcache``):
equal inputs give the same chart object, which callers must not mutate; a live run's partial
drawing calls ``builder.uncached``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.labels import cell_name
from core.tasks import make_task

from . import chartcache, charts_cliff, palette

LEARNED, NOT_LEARNED = "learned", "not learned"
#: Colours of up to five lengths, light to dark (viridis from 0.8 down to 0): longer is darker.
LENGTH_COLORS = ["#7AD151", "#22A884", "#2A788E", "#414487", "#440154"]
CHANCE = "blind guess"
HALF = "learned below ½"
#: A ring (a circle with a hole) as an SVG path: a length not learned.
RING = ("M0,-1A1,1,0,1,1,0,1A1,1,0,1,1,0,-1Z"
        "M0,-0.6A0.6,0.6,0,1,0,0,0.6A0.6,0.6,0,1,0,0,-0.6Z")
#: How a reference line is drawn: ``ref`` chance, ``half`` the learned threshold, ``bad`` the
#: first non-finite step, ``budget`` a step budget, ``phase`` a phase boundary.
RULE_STYLE = {"ref": (palette.REFERENCE, palette.DOTTED), "half": (palette.THEORY, palette.DASHED),
              "bad": (palette.BAD, palette.DASHED), "budget": (palette.OKABE_ITO[3], [8, 3]),
              "phase": (palette.OKABE_ITO[7], palette.DOTTED)}
_LEGEND = dict(columns=2, label_limit=320, symbolType="stroke", symbolStrokeWidth=3,
               title=None)


def decades(values: Sequence[float], *, most: int = 7) -> list[float]:
    """Whole powers of ten spanning the finite positive ``values`` (at most about ``most``,
    evenly thinned): the ticks and grid lines of a log axis, so it never labels 2e-1."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return [1.0]
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    step = max(1, math.ceil((hi - lo) / most))
    ks = list(range(lo, hi + 1, step))
    if ks[-1] < hi:  # the top tick covers the largest value
        ks.append(ks[-1] + step)
    return [10.0 ** k for k in ks]


# -- the length sweep ------------------------------------------------------------------------
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


@chartcache.memo
def score_chart(df: pd.DataFrame, *, percent: bool, y_title: str, height: int = 280,
                x_title: str = "dependency length T") -> alt.LayerChart:
    """Score against T, one line per ``run`` in its ``network``'s colour (the app's cell
    colours; later runs of one network, other budgets, are dashed), the blind-guess level
    (``chance`` of the first run) dotted under it, all named in one legend. ``percent``: the
    score is an accuracy (axis 0-100%); else a loss from 0."""
    runs = list(dict.fromkeys(df["run"]))
    net_of = dict(zip(df["run"], df["network"]))
    cells = {cell_name(c): c for c in palette.CELL_COLORS}
    dashes = [palette.SOLID, [8, 3], [3, 2], [10, 3, 2, 3]]
    seen: dict[str, int] = {}
    rng, dash_rng = [], []
    for run in runs:  # a network's first run solid, its later runs (other budgets) dashed
        net = net_of[run]
        rng.append(palette.cell_color(cells[net]) if net in cells else palette.MEASURED)
        dash_rng.append(dashes[seen.get(net, 0) % len(dashes)])
        seen[net] = seen.get(net, 0) + 1
    domain = runs + [CHANCE]
    legend = palette.legend(**_LEGEND)
    cscale = alt.Scale(domain=domain, range=rng + [palette.REFERENCE])
    color = alt.Color("what:N", scale=cscale, legend=legend)
    dash = alt.StrokeDash("what:N", scale=alt.Scale(domain=domain,
                                                    range=dash_rng + [palette.DOTTED]),
                          legend=legend)
    yscale = alt.Scale(domain=[0, 1]) if percent else alt.Scale(zero=True, nice=True)
    y = alt.Y("score:Q", title=y_title, scale=yscale,
              axis=alt.Axis(format="%") if percent else alt.Undefined)
    x = alt.X("T:Q", title=x_title, axis=alt.Axis(values=sorted(set(df["T"])), grid=False),
              scale=alt.Scale(zero=False, padding=12))
    first = df[df["run"] == runs[0]]
    ref = pd.DataFrame({"T": first["T"], "score": first["chance"], "what": CHANCE})
    data = df.assign(what=df["run"])
    tips = [alt.Tooltip("run:N", title="network, budget"), alt.Tooltip("T:Q"),
            alt.Tooltip("score:Q", title=y_title, format=".1%" if percent else ".3g"),
            alt.Tooltip("verdict:N")]
    chance = alt.Chart(ref).mark_line(strokeWidth=2).encode(
        x=x, y=y, color=color, strokeDash=dash,
        tooltip=[alt.Tooltip("T:Q"), alt.Tooltip("score:Q", title="chance",
                                                  format=".1%" if percent else ".3g")])
    line = alt.Chart(data).mark_line(strokeWidth=2.5).encode(
        x=x, y=y, color=color, strokeDash=dash, tooltip=tips)
    dots = alt.Chart(data).mark_point(filled=True, size=130, opacity=1).encode(
        x=x, y=y, color=alt.Color("what:N", scale=cscale, legend=None),
        shape=alt.Shape("verdict:N", scale=alt.Scale(domain=[LEARNED, NOT_LEARNED],
                                                     range=["circle", RING]),
                        legend=alt.Legend(orient="top", title=None, symbolFillColor="#333333",
                                          symbolStrokeWidth=0, symbolSize=130)),
        tooltip=tips)
    return alt.layer(chance, line, dots).properties(height=height)


def curve_frame(r: dict) -> pd.DataFrame:
    """Training curves of a sweep, long form: ``T``, ``step``, ``loss``, ``chance`` (that
    length's blind-guess loss, also for a length still training) and ``ratio`` = loss /
    chance."""
    df = pd.DataFrame({"T": r["curve_T"], "step": r["curve_step"], "loss": r["curve_loss"]})
    chance = {int(t): make_task(r["task"], int(t)).chance for t in set(r["curve_T"])}
    df["chance"] = [chance[int(t)] for t in df["T"]]
    df["ratio"] = pd.to_numeric(df["loss"], errors="coerce").astype(float) / df["chance"]
    return df


@chartcache.memo
def ratio_curves(df: pd.DataFrame, *, height: int = 220, floor: float = 1e-5) -> alt.LayerChart:
    """Training loss / blind-guess loss against step, one line per length ``T`` (sequential
    colours ``LENGTH_COLORS``: darker is longer), on a log axis over the blind-guess level (1)
    and half of it (the "learned" threshold), all in one legend. Values below ``floor`` are
    drawn at it; non-finite ones are crosses on the top edge with their own legend entry."""
    data = df.copy()
    v = pd.to_numeric(data["ratio"], errors="coerce").astype(float)
    ok = np.isfinite(v)
    data["_y"] = np.where(ok, np.maximum(v, floor), np.nan)
    data["value"] = [f"{a:.3g}" if np.isfinite(a) else str(a) for a in v]
    data["what"] = [f"T = {t}" for t in data["T"]]
    lengths = [f"T = {t}" for t in sorted(set(data["T"]))]
    x = alt.X("step:Q", title="training step")
    ticks = decades(list(data["_y"]) + [1.0])
    y = alt.Y("_y:Q", title="training loss ÷ blind-guess loss (log)",
              scale=alt.Scale(type="log", domain=[ticks[0], ticks[-1]]),
              axis=alt.Axis(format=palette.LOG_TICK_FORMAT, values=ticks))
    domain = lengths + [CHANCE, HALF]
    colors = [LENGTH_COLORS[round(i * 4 / max(1, len(lengths) - 1))] if len(lengths) > 1
              else LENGTH_COLORS[0] for i in range(len(lengths))]
    legend = palette.legend(**_LEGEND)
    stroke = alt.Stroke("what:N", scale=alt.Scale(
        domain=domain, range=colors + [RULE_STYLE["ref"][0], RULE_STYLE["half"][0]]),
        legend=legend)
    dash = alt.StrokeDash("what:N", scale=alt.Scale(
        domain=domain, range=[palette.SOLID] * len(lengths)
        + [RULE_STYLE["ref"][1], RULE_STYLE["half"][1]]), legend=legend)
    refs = pd.DataFrame({"_y": [1.0, 0.5], "what": [CHANCE, HALF]})
    ref = alt.Chart(refs).mark_rule(strokeWidth=2).encode(
        y=alt.Y("_y:Q"), stroke=stroke, strokeDash=dash, tooltip=["what:N"])
    tips = [alt.Tooltip("what:N", title="length"), alt.Tooltip("step:Q"),
            alt.Tooltip("value:N", title="loss ÷ chance")]
    line = alt.Chart(data[ok]).mark_line(
        strokeWidth=2.5).encode(x=x, y=y, tooltip=tips, stroke=stroke, strokeDash=dash)
    layers = [ref, line]
    if (~ok).any():
        bad = data[~ok].assign(flag=palette.NAN_MARK)
        layers.append(alt.Chart(bad).mark_point(shape="cross", size=60, filled=True,
                                                color=palette.BAD).encode(
            x=x, y=alt.value(4), tooltip=tips,
            shape=alt.Shape("flag:N", title=None, scale=alt.Scale(
                domain=[palette.NAN_MARK], range=["cross"]),
                legend=alt.Legend(orient="top", symbolFillColor=palette.BAD,
                                  symbolStrokeColor=palette.BAD))))
    return alt.layer(*layers).properties(height=height)


# -- runs over steps: the longer budget and the exploding run --------------------------------
def budget_frame(b: dict) -> pd.DataFrame:
    """``effects.longer_budget`` -> ``step``, ``loss``, ``run`` (one run)."""
    return pd.DataFrame({"step": b["curve_step"], "loss": b["curve_loss"],
                         "run": f"training loss, T = {b['T']}"})


def budget_chart(b: dict, *, cached: bool = True, height: int = 220) -> alt.LayerChart:
    """``effects.longer_budget``'s training curve over the blind-guess loss (dotted) and the
    sweep's step budget (a vertical line). ``cached=False`` for a partial, live result."""
    build = run_lines if cached else run_lines.uncached
    return build(budget_frame(b), "step", "loss", "run",
                 order=[f"training loss, T = {b['T']}"], colors=[palette.cell_color(b["cell"])],
                 vrules=[{"x": b["budget"], "label": f"budget: {b['budget']} steps",
                          "kind": "budget"}],
                 hrules=[{"y": b["chance"], "label": CHANCE, "kind": "ref"}],
                 x_title="training step", y_title=f"loss ({b['loss_name']}, log)", height=height)


def exploding_frame(r: dict, runs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """``effects.exploding_run`` -> ``step``, ``loss``, ``grad_norm``, ``w_hh_norm``, ``run``
    for each ``(key, label)`` of ``runs`` (e.g. ``("raw", "no clipping")``)."""
    return pd.concat([pd.DataFrame({
        "step": r["step"], "loss": r[f"loss_{k}"], "grad_norm": r[f"grad_norm_{k}"],
        "w_hh_norm": r[f"w_hh_norm_{k}"], "run": label}) for k, label in runs],
        ignore_index=True)


@chartcache.memo
def run_lines(df: pd.DataFrame, x: str, y: str, series: str, *, order: Sequence[str],
              colors: Sequence[str], vrules: Sequence[dict] = (), hrules: Sequence[dict] = (),
              x_title: str | None = None, y_title: str | None = None, height: int = 220,
              floor: float = 1e-12, legend: bool = True) -> alt.LayerChart:
    """Curves of ``y`` (log axis, ticks at whole powers of ten) against ``x``, one per
    ``series`` (in ``order``, coloured ``colors``), over reference lines named in the same
    legend: ``vrules`` vertical ``{"x", "label", "kind"}``, ``hrules`` horizontal
    ``{"y", "label", "kind"}`` (``kind`` in :data:`RULE_STYLE`). Values below ``floor`` are
    drawn at it; non-finite values (a run that overflowed) are crosses on the top edge with
    their own legend entry. ``legend=False`` leaves the legend to a neighbouring chart with the
    same colours."""
    v = pd.to_numeric(df[y], errors="coerce").astype(float)
    shown = np.where(np.isfinite(v), np.maximum(v, floor), np.nan)
    ticks = decades(list(shown) + [r["y"] for r in hrules])
    return charts_cliff.run_lines.uncached(
        df, x, y, series, order=order, colors=colors, vrules=vrules, hrules=hrules,
        x_title=x_title, y_title=y_title, height=height, floor=floor, styles=RULE_STYLE,
        y_ticks=ticks, legend=legend, cross_size=60)
