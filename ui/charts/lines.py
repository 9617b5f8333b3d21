"""Line charts: curves of a quantity against a step, a lag, a length or a rank.

- :func:`log_lines` / :func:`lines`: the plain builders (log or linear y, one line per group).
- :func:`log10_lines`: values that are ALREADY log10 (Jacobian products, w^k) on a linear axis
  labelled 1e-20, 1, 1e+20, so nothing underflows even at 10^-400.
- :func:`run_lines`: training runs over reference lines named in the same legend (chance, a
  threshold, the first NaN, a step budget); :func:`decade_run_lines` is it with whole powers
  of ten on the log axis; :func:`lab_lines` colours a lab's runs by name or cell, draws
  "ghost" runs pale and marks each run's first NaN/inf.
- :func:`curves` (Lab 2: one line per cell), :func:`loss_lines`, :func:`lag_share`,
  :func:`sv_lines`, :func:`gate_lines`, :func:`facet_lines`, :func:`facet_curves`,
  :func:`ratio_curves`, :func:`score_chart`, :func:`budget_chart`.

No Streamlit here. Colours and marks follow ``ui.palette``: reference lines sit UNDER the data
and are named in the legend (never a label that could sit on a line); NaN/inf and values a log
axis cannot show are their own legend entries; log axes use ``palette.LOG_TICK_FORMAT``. Every
builder is memoised (``ui.chartcache.memo``): equal inputs give the same chart object, which
callers must not mutate; a live run's partial drawing calls ``builder.uncached``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.labels import cell_name
from core.theory import pow10_text

from .. import chartcache, frames, palette
from ..frames import LEARNED, NOT_LEARNED
from .axes import (
    CELL_ORDER,
    CELL_RANGE,
    FLAG_SHAPES,
    FLOOR,
    POW_LABEL,
    RULE_STYLE,
    STATUS_BAD,
    STATUS_OK,
    STATUS_TINY,
    category,
    decades,
    flag_points,
    flag_shape,
    log_axis,
    log_safe,
    log_scale,
    reference_dash,
    status,
)

#: Colours of up to five lengths, light to dark (viridis from 0.8 down to 0): longer is darker.
LENGTH_COLORS = ["#7AD151", "#22A884", "#2A788E", "#414487", "#440154"]


CHANCE = "blind guess"


HALF = "learned below ½"


#: A ring (a circle with a hole) as an SVG path: a length not learned.
RING = ("M0,-1A1,1,0,1,1,0,1A1,1,0,1,1,0,-1Z"
        "M0,-0.6A0.6,0.6,0,1,0,0,0.6A0.6,0.6,0,1,0,0,-0.6Z")


_LEGEND = dict(columns=2, label_limit=320, symbolType="stroke", symbolStrokeWidth=3,
               title=None)


#: Dotted patterns for up to three reference lines on one chart.
REF_DASHES = [palette.DOTTED, [8, 3], [1, 5]]


#: Status of a log10 value that is -inf: the quantity is exactly zero.
STATUS_ZERO = "exactly zero"


@chartcache.memo
def log_lines(df: pd.DataFrame, x: str, y: str, *, color: str | None = None,
              x_title: str | None = None, y_title: str | None = None,
              dashed: str | None = None, height: int = 300, floor: float = FLOOR,
              color_domain: list | None = None, tooltip_format: str = ".3g") -> alt.LayerChart:
    """Lines of ``y`` (log scale) against ``x``, one per ``color`` group.

    ``dashed``: a boolean column; rows where it is True are drawn dashed (e.g. a theory bound).
    Points that were zero, tiny or non-finite are drawn as red-edged markers with their status
    in the tooltip, so a flat floor never hides what happened.
    """
    data = log_safe(df, y, floor)
    enc_color = (category(color, color_domain, label_limit=260) if color
                 else alt.value(palette.OKABE_ITO[0]))
    stroke = (alt.StrokeDash(f"{dashed}:N", legend=None,
                             scale=alt.Scale(domain=[False, True], range=[[1, 0], [6, 4]]))
              if dashed else alt.value([1, 0]))
    tips = [alt.Tooltip(f"{x}:Q", title=x_title or x),
            alt.Tooltip(f"{y}:Q", title=y_title or y, format=tooltip_format),
            alt.Tooltip("status:N")]
    if color:
        tips.insert(0, alt.Tooltip(f"{color}:N"))
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=log_scale(data[y]),
                axis=log_axis(data[y])),  # whole decades: no dense minor grid
        color=enc_color,
        tooltip=tips,
    )
    detail = [color] if color else []
    if dashed:
        detail.append(dashed)
    line = base.mark_line(strokeWidth=2.5).encode(strokeDash=stroke,
                                                  detail=[alt.Detail(d) for d in detail] or
                                                  alt.Undefined)
    flagged = base.transform_filter(alt.datum.status != STATUS_OK).mark_point(
        shape="triangle-down", size=60, filled=True, stroke="#D55E00", strokeWidth=1.5)
    return alt.layer(line, flagged).properties(height=height)


@chartcache.memo
def lines(df: pd.DataFrame, x: str, y: str, *, color: str | None = None,
          x_title: str | None = None, y_title: str | None = None, log_y: bool = False,
          height: int = 300, color_domain: list | None = None,
          rules: dict[str, float] | None = None) -> alt.LayerChart:
    """Plain lines (linear y unless ``log_y``), non-finite values shown as gaps with markers.

    ``rules``: horizontal reference lines, e.g. ``{"chance (1/6)": 0.1667}``, dotted, under the
    data and named in the legend.
    """
    if log_y:
        chart = log_lines.uncached(df, x, y, color=color, x_title=x_title, y_title=y_title,
                                   height=height, color_domain=color_domain)
    else:
        data = df.copy()
        v = pd.to_numeric(data[y], errors="coerce").astype(float)
        data["status"] = np.where(np.isfinite(v), STATUS_OK, STATUS_BAD)
        data[y] = np.where(np.isfinite(v), v, np.nan)
        enc_color = (category(color, color_domain, label_limit=260) if color
                 else alt.value(palette.OKABE_ITO[0]))
        base = alt.Chart(data).encode(x=alt.X(f"{x}:Q", title=x_title or x), color=enc_color)
        line = base.mark_line(strokeWidth=2.5).encode(
            y=alt.Y(f"{y}:Q", title=y_title or y),
            tooltip=([alt.Tooltip(f"{color}:N")] if color else []) +
            [alt.Tooltip(f"{x}:Q"), alt.Tooltip(f"{y}:Q", format=".4g")])
        bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_rule(
            strokeDash=[2, 2], color="#D55E00").encode(tooltip=[alt.Tooltip(f"{x}:Q"),
                                                                alt.Tooltip("status:N")])
        chart = alt.layer(line, bad).properties(height=height)
    if rules:  # under the data, named in the legend (a label on the plot would sit on a line)
        rdf = pd.DataFrame({"label": list(rules), "value": list(rules.values())})
        rule = alt.Chart(rdf).mark_rule(color=palette.REFERENCE, strokeWidth=1.5).encode(
            y="value:Q", strokeDash=alt.StrokeDash(
                "label:N", title=None, scale=alt.Scale(domain=list(rules),
                                                       range=[palette.DOTTED] * len(rules)),
                legend=palette.legend(symbolStrokeColor=palette.REFERENCE,
                                      symbolType="stroke", symbolStrokeWidth=2)),
            tooltip=["label:N", alt.Tooltip("value:Q", format=".4g")])
        chart = alt.layer(rule, chart).properties(height=height)
    return chart


def _vertical_rules(vrules: Sequence[dict], field: str, color: alt.Color,
                    stroke: alt.StrokeDash) -> alt.Chart:
    """Vertical reference lines ``{"x", "label"}``, named in ``field``'s legend."""
    rdf = pd.DataFrame({"x": [r["x"] for r in vrules], field: [r["label"] for r in vrules]})
    return alt.Chart(rdf).mark_rule(strokeWidth=2).encode(
        x=alt.X("x:Q"), color=color, strokeDash=stroke, tooltip=[f"{field}:N"])


@chartcache.memo
def run_lines(df: pd.DataFrame, x: str, y: str, series: str, *, order: Sequence[str],
              colors: Sequence[str], vrules: Sequence[dict] = (), hrules: Sequence[dict] = (),
              x_title: str | None = None, y_title: str | None = None, log: bool = True,
              height: int = 280, floor: float = 1e-12, styles: dict | None = None,
              y_ticks: Sequence[float] | str | None = None, legend: bool = True,
              cross_size: int = 90) -> alt.LayerChart:
    """Curves of ``y`` against ``x``, one per ``series`` (in ``order``, coloured ``colors``),
    over reference lines named in the same legend.

    ``vrules``: vertical lines ``{"x", "label", "kind"}``; ``hrules``: horizontal lines
    ``{"y", "label", "kind"}``; ``kind`` picks the style in :data:`RULE_STYLE`. Non-finite
    values (a run that overflowed) are crosses on the top edge with their own legend entry;
    on a log axis values below ``floor`` are drawn at ``floor``. ``styles`` replaces
    :data:`RULE_STYLE`; ``y_ticks`` fixes a log axis's ticks and domain (``"decades"``: whole
    powers of ten spanning the data and the horizontal lines); ``legend=False`` leaves the
    legend to a neighbouring chart with the same colours.
    """
    styles = RULE_STYLE if styles is None else styles
    data = df[[x, y, series]].copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    ok = np.isfinite(v)
    data["_y"] = np.where(ok, np.maximum(v, floor) if log else v, np.nan)
    data["value"] = [f"{a:.4g}" if np.isfinite(a) else str(a) for a in v]
    data = data.rename(columns={series: "what"})
    if isinstance(y_ticks, str):  # "decades"
        y_ticks = decades(list(data["_y"]) + [r["y"] for r in hrules])
    rules = [(r, "v") for r in vrules] + [(r, "h") for r in hrules]
    domain = list(order) + [r["label"] for r, _ in rules]
    rng = list(colors) + [styles[r.get("kind", "ref")][0] for r, _ in rules]
    dash = [palette.SOLID] * len(order) + [styles[r.get("kind", "ref")][1] for r, _ in rules]
    leg = palette.legend(columns=2, label_limit=360, symbolType="stroke",
                         symbolStrokeWidth=3) if legend else None
    color = alt.Color("what:N", title=None, scale=alt.Scale(domain=domain, range=rng),
                      legend=leg)
    stroke = alt.StrokeDash("what:N", title=None, scale=alt.Scale(domain=domain, range=dash),
                            legend=leg)
    enc_x = alt.X(f"{x}:Q", title=x_title or x)
    if log and y_ticks:
        scale = alt.Scale(type="log", domain=[y_ticks[0], y_ticks[-1]])
        axis = alt.Axis(format=palette.LOG_TICK_FORMAT, values=list(y_ticks))
    elif log:
        scale, axis = alt.Scale(type="log"), alt.Axis(format=palette.LOG_TICK_FORMAT)
    else:
        scale = axis = alt.Undefined
    enc_y = alt.Y("_y:Q", title=y_title or y, scale=scale, axis=axis)
    layers: list = []
    if vrules:
        layers.append(_vertical_rules(vrules, "what", color, stroke))
    if hrules:
        rdf = pd.DataFrame({"y": [r["y"] for r in hrules], "what": [r["label"] for r in hrules]})
        layers.append(alt.Chart(rdf).mark_rule(strokeWidth=2).encode(
            y=alt.Y("y:Q"), color=color, strokeDash=stroke, tooltip=["what:N"]))
    tips = [alt.Tooltip("what:N", title=series), alt.Tooltip(f"{x}:Q", title=x_title or x),
            alt.Tooltip("value:N", title=y_title or y)]
    layers.append(alt.Chart(data[ok]).mark_line(strokeWidth=2.5).encode(
        x=enc_x, y=enc_y, color=color, strokeDash=stroke, tooltip=tips))
    if (~ok).any():
        bad = data[~ok].assign(flag=palette.NAN_MARK)
        layers.append(alt.Chart(bad).mark_point(shape="cross", size=cross_size, filled=True,
                                                color=palette.BAD).encode(
            x=enc_x, y=alt.value(4), tooltip=tips,
            shape=alt.Shape("flag:N", title=None, scale=alt.Scale(
                domain=[palette.NAN_MARK], range=["cross"]),
                legend=alt.Legend(orient="top", symbolFillColor=palette.BAD,
                                  symbolStrokeColor=palette.BAD) if legend else None)))
    return alt.layer(*layers).properties(height=height)


#: Reference-line styles of the exploding run in section 4: a W_hh jump ("phase") in black.
DECADE_RULES = {**RULE_STYLE, "phase": (palette.OKABE_ITO[7], palette.DOTTED)}


@chartcache.memo
def decade_run_lines(df: pd.DataFrame, x: str, y: str, series: str, *,
                     order: Sequence[str], colors: Sequence[str], vrules: Sequence[dict] = (),
                     hrules: Sequence[dict] = (), x_title: str | None = None,
                     y_title: str | None = None, height: int = 220, floor: float = 1e-12,
                     legend: bool = True) -> alt.LayerChart:
    """:func:`run_lines` with whole powers of ten on its log axis (section 4's styles,
    :data:`DECADE_RULES`): curves of ``y`` against ``x``, one per ``series`` (in ``order``,
    coloured ``colors``), over reference lines named in the same legend: ``vrules`` vertical
    ``{"x", "label", "kind"}``, ``hrules`` horizontal ``{"y", "label", "kind"}``. Values below
    ``floor`` are drawn at it; non-finite values (a run that overflowed) are crosses on the
    top edge with their own legend entry. ``legend=False`` leaves the legend to a neighbouring
    chart with the same colours."""
    return run_lines.uncached(
        df, x, y, series, order=order, colors=colors, vrules=vrules, hrules=hrules,
        x_title=x_title, y_title=y_title, height=height, floor=floor, styles=DECADE_RULES,
        y_ticks="decades", legend=legend, cross_size=60)


@chartcache.memo
def lab_lines(df: pd.DataFrame, x: str, y: str, run: str, *, log: bool = True,
              hrules: Sequence[dict] = (), x_title: str | None = None,
              y_title: str | None = None, height: int = 280,
              y_domain: Sequence[float] | None = None, floor: float = 1e-12,
              mark_first_bad: bool = True) -> alt.LayerChart:
    """Several training runs of a lab: lines of ``y`` against ``x``, one per value of
    ``run`` (in order of appearance), coloured by ``palette.run_colors``.

    df: tidy rows ``(x, y, run)``; NaN / inf in ``y`` are allowed. Optional columns: ``ghost``
    (bool: a faint run, not in the legend), ``cell`` (colour the run by its cell),
    ``first_bad`` (the step where that run first produced NaN/inf, or NaN: drawn as a dashed
    vertical line named in the legend when ``mark_first_bad``). ``hrules``: horizontal lines
    ``{"y", "label", "kind"}`` (``kind`` in :data:`RULE_STYLE`). ``y_domain``: a fixed y range (a
    zoom); lines are clipped to it. On a log axis values below ``floor`` are drawn at it.
    """
    names = list(dict.fromkeys(df[run].astype(str)))
    ghost = (df.groupby(run, sort=False)["ghost"].first().to_dict() if "ghost" in df
             else {})
    cells = (list(df.groupby(run, sort=False)["cell"].first()[names]) if "cell" in df
             else None)
    colors = palette.run_colors(names, cells)
    focus = [n for n in names if not ghost.get(n, False)]
    vrules: list[dict] = []
    if mark_first_bad and "first_bad" in df:
        fb = df.groupby(run, sort=False)["first_bad"].first()
        vrules = [{"x": float(fb[n]), "label": f"{n}: first NaN/inf, step {int(fb[n])}",
                   "kind": "bad"} for n in focus if pd.notna(fb[n])]
    rules = [(r, "v") for r in vrules] + [(r, "h") for r in hrules]
    domain = names + [r["label"] for r, _ in rules]
    rng = colors + [RULE_STYLE[r.get("kind", "ref")][0] for r, _ in rules]
    dash = [palette.SOLID] * len(names) + [RULE_STYLE[r.get("kind", "ref")][1] for r, _ in rules]
    shown = focus + [r["label"] for r, _ in rules]
    leg = alt.Legend(orient="bottom", columns=1, labelLimit=360, symbolType="stroke",
                     symbolStrokeWidth=3, values=shown)
    color = alt.Color("_run:N", title=None, scale=alt.Scale(domain=domain, range=rng),
                      legend=leg)
    stroke = alt.StrokeDash("_run:N", title=None, scale=alt.Scale(domain=domain, range=dash),
                            legend=leg)

    data = pd.DataFrame({x: df[x], "_run": df[run].astype(str)})
    v = pd.to_numeric(df[y], errors="coerce").astype(float).to_numpy()
    ok = np.isfinite(v)
    data[y] = np.where(ok, np.maximum(v, floor) if log else v, np.nan)
    data["value"] = [f"{a:.4g}" if np.isfinite(a) else str(a) for a in v]
    data["_ghost"] = data["_run"].map(lambda n: bool(ghost.get(n, False)))
    xt, yt = x_title or x, y_title or y
    if y_domain is not None:
        scale = alt.Scale(type="log" if log else "linear", domain=list(y_domain))
        axis = alt.Axis(format=palette.LOG_TICK_FORMAT) if log else alt.Axis()
    elif log:
        ticks = decades(list(data[y][ok]) + [r["y"] for r in hrules])
        scale = alt.Scale(type="log", domain=[ticks[0], ticks[-1]])
        axis = alt.Axis(format=palette.LOG_TICK_FORMAT, values=ticks)
    else:
        scale, axis = alt.Scale(zero=False), alt.Axis()
    enc_x = alt.X(f"{x}:Q", title=xt)
    tips = [alt.Tooltip("_run:N", title="run"), alt.Tooltip(f"{x}:Q", title=xt),
            alt.Tooltip("value:N", title=yt)]
    layers: list = []
    if vrules:
        layers.append(_vertical_rules(vrules, "_run", color, stroke))
    if hrules:
        rdf = pd.DataFrame({"y": [float(r["y"]) for r in hrules],
                            "_run": [r["label"] for r in hrules]})
        layers.append(alt.Chart(rdf).mark_rule(strokeWidth=2, clip=True).encode(
            y=alt.Y("y:Q", scale=scale), color=color, strokeDash=stroke, tooltip=["_run:N"]))
    layers.append(alt.Chart(data[ok]).mark_line(clip=True).encode(
        x=enc_x, y=alt.Y(f"{y}:Q", title=yt, scale=scale, axis=axis), color=color,
        strokeDash=stroke, detail="_run:N", tooltip=tips,
        opacity=alt.condition(alt.datum._ghost, alt.value(0.3), alt.value(1.0)),
        strokeWidth=alt.condition(alt.datum._ghost, alt.value(1.2), alt.value(2.5))))
    if (~ok).any():
        bad = data[~ok].assign(flag=palette.NAN_MARK)
        layers.append(alt.Chart(bad).mark_point(shape="cross", size=70, filled=True,
                                                color=palette.BAD).encode(
            x=enc_x, y=alt.value(4), tooltip=tips,
            opacity=alt.condition(alt.datum._ghost, alt.value(0.3), alt.value(1.0)),
            shape=alt.Shape("flag:N", title=None, scale=alt.Scale(
                domain=[palette.NAN_MARK], range=["cross"]),
                legend=alt.Legend(orient="top", symbolFillColor=palette.BAD,
                                  symbolStrokeColor=palette.BAD))))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def curves(df: pd.DataFrame, x: str, y: str, *, dash: str | None = None,
           x_title: str | None = None, y_title: str | None = None, log_y: bool = False,
           rules: dict[str, float] | None = None, height: int = 280,
           y_domain: tuple[float, float] | None = None,
           points: bool = False) -> alt.LayerChart:
    """Lines of ``y`` over ``x``, one per ``cell`` (tanh RNN / LSTM / GRU labels).

    ``df``: columns ``cell``, ``x``, ``y`` (and ``dash``, a text column whose second value is
    drawn dashed). ``rules``: legend label -> y of a dotted reference line drawn under the
    curves. Non-finite (or, on a log axis, non-positive) values are drawn as flagged marks at
    the bottom with their own legend entry.
    """
    # lines are drawn in the order their cells first appear: the tanh RNN last, on top, so
    # a gated cell sitting at the same loss does not hide it
    rank = {c: -i for i, c in enumerate(CELL_ORDER)}
    data = df.iloc[np.argsort(df["cell"].map(rank).fillna(0).to_numpy(), kind="stable")].copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    data["status"] = status(v, zero=log_y)
    ok = data["status"] == "ok"
    lo = float(v[ok].min()) if ok.any() else (1e-3 if log_y else 0.0)
    data["_y"] = np.where(ok, v, lo)
    if y_domain is not None:
        yscale = alt.Scale(type="log" if log_y else "linear", domain=list(y_domain))
    elif log_y and ok.any():  # the data's own extent (and the rules'), not whole decades
        span = pd.concat([v[ok], pd.Series(list((rules or {}).values()), dtype=float)])
        span = span[span > 0]
        lo_y, hi_y = float(span.min()) / 1.5, float(span.max()) * 1.5
        yscale = alt.Scale(type="log", nice=False, domain=[lo_y, hi_y])
        decades = range(math.ceil(math.log10(lo_y)), math.floor(math.log10(hi_y)) + 1)
    else:
        yscale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    axis = (alt.Axis(format=palette.LOG_TICK_FORMAT, values=[10.0 ** k for k in decades])
            if log_y and y_domain is None and ok.any() and len(decades) >= 2 else
            alt.Axis(format=palette.LOG_TICK_FORMAT) if log_y else alt.Axis())
    enc_x = alt.X(f"{x}:Q", title=x_title or x)
    enc_y = alt.Y("_y:Q", title=y_title or y, scale=yscale, axis=axis)
    tips = [alt.Tooltip("cell:N"), alt.Tooltip(f"{x}:Q", title=x_title or x),
            alt.Tooltip(f"{y}:Q", title=y_title or y, format=".4g")]
    layers = []
    if rules:
        labels = list(rules)
        rdf = pd.DataFrame({"ref": labels, "v": list(rules.values())})
        layers.append(alt.Chart(rdf).mark_rule(color=palette.REFERENCE, strokeWidth=1.6).encode(
            y=alt.Y("v:Q"), strokeDash=alt.StrokeDash(
                "ref:N", title=None, scale=alt.Scale(domain=labels,
                                                     range=REF_DASHES[:len(labels)]),
                legend=alt.Legend(orient="bottom", symbolStrokeColor=palette.REFERENCE,
                                  labelLimit=360)),
            tooltip=[alt.Tooltip("ref:N", title="reference"),
                     alt.Tooltip("v:Q", title="value", format=".4g")]))
    enc = {"x": enc_x, "y": enc_y, "tooltip": tips,
           "color": alt.Color("cell:N", title=None,
                              scale=alt.Scale(domain=CELL_ORDER, range=CELL_RANGE),
                              legend=alt.Legend(orient="bottom"))}
    if dash:
        kinds = list(dict.fromkeys(data[dash].tolist()))
        enc["strokeDash"] = alt.StrokeDash(f"{dash}:N", title=None, scale=alt.Scale(
            domain=kinds, range=[palette.SOLID, palette.DASHED][:len(kinds)]),
            # a row of its own (the bottom holds cells and rules), long strokes show the dash
            legend=alt.Legend(orient="top", symbolType="stroke", symbolSize=400,
                              symbolStrokeColor=palette.REFERENCE, symbolStrokeWidth=2))
        enc["detail"] = alt.Detail(f"{dash}:N")
        tips.insert(1, alt.Tooltip(f"{dash}:N"))
    layers.append(alt.Chart(data[ok]).mark_line(strokeWidth=2.4, point=points).encode(**enc))
    if (~ok).any():
        layers.append(alt.Chart(data[~ok]).mark_point(size=60, filled=True,
                                                      color=palette.BAD).encode(
            x=enc_x, y=enc_y, tooltip=tips + [alt.Tooltip("status:N")],
            shape=alt.Shape("status:N", title=None, scale=alt.Scale(
                domain=list(FLAG_SHAPES), range=list(FLAG_SHAPES.values())),
                legend=alt.Legend(orient="bottom"))))
    chart = alt.layer(*layers)
    if rules and dash:
        chart = chart.resolve_scale(strokeDash="independent")
    return chart.properties(height=height)


@chartcache.memo
def log10_lines(df: pd.DataFrame, x: str, y: str, *, color: str | None = None,
                dashed: str | None = None, x_title: str | None = None,
                y_title: str | None = None, height: int = 300,
                color_domain: list | None = None, color_range: list | None = None,
                vline: tuple[float, str] | None = None) -> alt.LayerChart:
    """Lines of ``y`` = log10 of a quantity against ``x``; the axis reads as powers of ten.

    The tooltip writes each value as a reader would (2.5e-5, not 1e-4.6).
    ``dashed``: a boolean column; True rows are dashed (a bound). ``color_range``: colours for
    ``color_domain`` (default the Okabe-Ito palette). Rows whose ``y`` is -inf (exactly zero) or
    NaN are drawn as red triangles at the bottom of the chart, with their own legend entry.
    ``vline``: ``(x, label)`` for a labelled vertical marker (e.g. first NaN).
    """
    data = df.copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    data["status"] = np.where(np.isnan(v), STATUS_BAD,
                              np.where(np.isneginf(v), STATUS_ZERO, STATUS_OK))
    finite = v[np.isfinite(v)]
    floor = float(finite.min()) if len(finite) else 0.0
    data[y] = np.where(np.isfinite(v), v, floor)
    data["value"] = [pow10_text(val) if s == STATUS_OK else s
                     for val, s in zip(data[y], data["status"])]
    rng = color_range or palette.OKABE_ITO
    scale = (alt.Scale(domain=color_domain, range=rng) if color_domain
             else alt.Scale(range=rng))
    enc_color = (alt.Color(f"{color}:N", title=None, scale=scale,
                           legend=palette.legend(columns=1, label_limit=400))
                 if color else alt.value(palette.OKABE_ITO[0]))
    tips = ([alt.Tooltip(f"{color}:N")] if color else []) + [
        alt.Tooltip(f"{x}:Q", title=x_title or x), alt.Tooltip("value:N", title=y_title or y)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    # A nearly flat product (a norm-preserving W_hh) still gets whole powers of ten on its axis.
    yscale = (alt.Scale(domain=[math.floor(lo) - 1, math.ceil(hi) + 1])
              if hi - lo < 2 else alt.Undefined)
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=yscale,
                axis=alt.Axis(labelExpr=POW_LABEL, tickMinStep=1)),
        color=enc_color, tooltip=tips)
    stroke = (alt.StrokeDash(f"{dashed}:N", legend=None,
                             scale=alt.Scale(domain=[False, True],
                                             range=[palette.SOLID, palette.DASHED]))
              if dashed else alt.value(palette.SOLID))
    detail = [c for c in (color, dashed) if c]
    line = base.transform_filter(alt.datum.status == STATUS_OK).mark_line(
        strokeWidth=2.5).encode(strokeDash=stroke,
                                detail=[alt.Detail(d) for d in detail] or alt.Undefined)
    one = alt.Chart(pd.DataFrame({y: [0.0]})).mark_rule(
        color=palette.REFERENCE, strokeDash=palette.DOTTED, opacity=0.7).encode(y=f"{y}:Q")
    layers = [one, line]
    if (data["status"] != STATUS_OK).any():
        marks = [m for m in (STATUS_ZERO, STATUS_BAD) if (data["status"] == m).any()]
        layers.append(base.transform_filter(alt.datum.status != STATUS_OK).mark_point(
            size=60, filled=True, color=palette.BAD).encode(
            color=alt.value(palette.BAD),
            shape=alt.Shape("status:N", title=None, scale=alt.Scale(
                domain=marks, range=["triangle-down", "cross"][:len(marks)]),
                legend=alt.Legend(orient="bottom", symbolFillColor=palette.BAD,
                                  symbolStrokeColor=palette.BAD))))
    if vline is not None:
        vd = pd.DataFrame({x: [float(vline[0])], "label": [vline[1]]})
        layers.append(alt.Chart(vd).mark_rule(color="#D55E00", strokeWidth=2,
                                              strokeDash=[4, 2]).encode(
            x=f"{x}:Q", tooltip=["label:N"]))
        layers.append(alt.Chart(vd).mark_text(align="left", dx=4, dy=8, color="#D55E00",
                                              fontWeight="bold").encode(
            x=f"{x}:Q", y=alt.value(0), text="label:N"))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def lag_share(df: pd.DataFrame, *, order: list[str], colours: list[str],
              dashed: list[str] = (), x_title: str = "lag (steps back from the loss)",
              y_title: str = "share of the gradient at lag 0 (log)",
              height: int = 280, legend_columns: int = 3) -> alt.LayerChart:
    """One line per ``start`` of ``share`` against ``lag`` on a log axis (``share`` is 1 at
    lag 0). ``dashed``: starts drawn dashed. Exact zeros and NaN/inf are flagged marks at the
    bottom with their own legend entries. ``legend_columns`` 0: no colour legend."""
    data = df.copy()
    data["status"] = status(data["share"], log10=False)
    ok = data["status"] == STATUS_OK
    low = float(data.loc[ok, "share"].min()) if ok.any() else 1e-20
    data["_y"] = np.where(ok, data["share"], low)
    data["_dash"] = np.where(data["start"].isin(list(dashed)), "dashed", "solid")
    x = alt.X("lag:Q", title=x_title)
    y = alt.Y("_y:Q", title=y_title, scale=alt.Scale(type="log"), axis=log_axis(data["_y"]))
    tips = [alt.Tooltip("start:N"), alt.Tooltip("lag:Q"),
            alt.Tooltip("share:Q", format=".2e"), alt.Tooltip("status:N")]
    line = alt.Chart(data[ok]).mark_line(strokeWidth=2.6).encode(
        x=x, y=y, color=category("start", order, colours, columns=legend_columns,
                                legend=legend_columns > 0),
        strokeDash=alt.StrokeDash("_dash:N", legend=None, scale=alt.Scale(
            domain=["solid", "dashed"], range=[palette.SOLID, palette.DASHED])),
        tooltip=tips)
    layers = [line]
    if (~ok).any():
        layers.append(flag_points(data[~ok], x, y, tips, size=70))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def sv_lines(df: pd.DataFrame, *, order: list[str], colours: list[str],
             dashed: list[str] = (), height: int = 200) -> alt.LayerChart:
    """Singular values by rank (largest first), one line per ``start``, with the dotted
    reference "1: W_hh keeps lengths" under the data."""
    data = df.copy()
    data["_dash"] = np.where(data["start"].isin(list(dashed)), "dashed", "solid")
    ref = alt.Chart(pd.DataFrame({"v": [1.0], "ref": ["1: length kept"]})).mark_rule(
        color=palette.REFERENCE, strokeWidth=1.5).encode(
        y="v:Q", strokeDash=reference_dash("1: length kept"))
    line = alt.Chart(data).mark_line(strokeWidth=2.6).encode(
        x=alt.X("rank:Q", title="rank (largest first)",
                scale=alt.Scale(domain=[1, int(data["rank"].max())], nice=False)),
        y=alt.Y("singular value:Q", title="singular value of W_hh"),
        color=category("start", order, colours, columns=3),
        strokeDash=alt.StrokeDash("_dash:N", legend=None, scale=alt.Scale(
            domain=["solid", "dashed"], range=[palette.SOLID, palette.DASHED])),
        tooltip=[alt.Tooltip("start:N"), alt.Tooltip("rank:Q"),
                 alt.Tooltip("singular value:Q", format=".3f")])
    return alt.layer(ref, line).resolve_scale(strokeDash="independent").properties(
        height=height)


@chartcache.memo
def loss_lines(df: pd.DataFrame, x: str, y: str, color: str, *, order: list[str],
               colours: list[str], chance: float, x_title: str | None = None,
               y_title: str | None = None, height: int = 220,
               legend_columns: int = 4) -> alt.LayerChart:
    """Training-loss curves on a log y axis, one per ``color``, over the dotted chance line
    (named in the legend). Zero, negative or non-finite values (a run that blew up) are
    flagged marks at the bottom with their own legend entry. ``legend_columns`` 0: no colour
    legend (when a chart beside it has the same one)."""
    data = df.copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    data["status"] = status(v, log10=False)
    ok = data["status"] == STATUS_OK
    floor = float(v[ok].min()) if ok.any() else 1e-6
    data["_y"] = np.where(ok, v, floor)
    enc_x = alt.X(f"{x}:Q", title=x_title or x)
    span = pd.concat([data["_y"], pd.Series([chance])])
    enc_y = alt.Y("_y:Q", title=y_title or y, scale=log_scale(span), axis=log_axis(span))
    tips = [alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q"),
            alt.Tooltip(f"{y}:Q", format=".4g"), alt.Tooltip("status:N")]
    label = f"chance ({chance:.3f})"
    ref = alt.Chart(pd.DataFrame({"v": [chance], "ref": [label]})).mark_rule(
        color=palette.REFERENCE, strokeWidth=1.5).encode(y="v:Q", strokeDash=reference_dash(label))
    line = alt.Chart(data[ok]).mark_line(strokeWidth=2.2).encode(
        x=enc_x, y=enc_y, color=category(color, order, colours, columns=legend_columns,
                                        legend=legend_columns > 0),
        tooltip=tips)
    layers = [ref, line]
    if (~ok).any():
        layers.append(flag_points(data[~ok], enc_x, enc_y, tips, size=60))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def facet_lines(df: pd.DataFrame, x: str, y: str, color: str, facet: str, *,
                order: list[str], colours: list[str], facet_order: list[str] | None = None,
                x_title: str | None = None, y_title: str | None = None, height: int = 180,
                width: int = 240, columns: int = 2) -> alt.FacetChart:
    """Lines of ``y`` against ``x`` coloured by ``color``, one panel per ``facet``, shared axes.
    Non-finite values are flagged marks at the bottom with their own legend entry."""
    data = df.copy()
    data["status"] = status(data[y], log10=False)
    data.loc[data[y] == 0, "status"] = STATUS_OK  # a zero is a value on a linear axis
    vals = pd.to_numeric(data[y], errors="coerce").astype(float)
    ok = data["status"] == STATUS_OK
    data["_y"] = np.where(ok, vals, float(vals[ok].min()) if ok.any() else 0.0)
    base = alt.Chart().encode(x=alt.X(f"{x}:Q", title=x_title or x),
                              y=alt.Y("_y:Q", title=y_title or y))
    tips = [alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q"),
            alt.Tooltip(f"{y}:Q", format=".4g"), alt.Tooltip("status:N")]
    layers = [base.transform_filter(alt.datum.status == STATUS_OK).mark_line(
        strokeWidth=2.4).encode(color=category(color, order, colours, facet=True),
                                 tooltip=tips)]
    if (~ok).any():
        layers.append(base.transform_filter(alt.datum.status != STATUS_OK).mark_point(
            filled=True, size=60, color=palette.BAD).encode(shape=flag_shape(),
                                                            tooltip=tips))
    return alt.layer(*layers, data=data).properties(height=height, width=width).facet(
        facet=alt.Facet(f"{facet}:N", title=None, sort=facet_order,
                        header=alt.Header(labelFontSize=14, labelFontWeight="bold")),
        columns=columns)


@chartcache.memo
def gate_lines(df: pd.DataFrame, x: str, y: str, color: str, *, markers: list[int],
               order: list[str], x_title: str | None = None, y_title: str | None = None,
               height: int = 200) -> alt.LayerChart:
    """Gate values (0..1) over time, one line per ``color``, over dotted vertical reference
    lines at the marked time steps (named in the legend)."""
    label = "a marked number (to be added)"
    mdf = pd.DataFrame({x: markers, "ref": label})
    rules = alt.Chart(mdf).mark_rule(color=palette.REFERENCE, strokeWidth=1.5).encode(
        x=f"{x}:Q", strokeDash=reference_dash(label, "top"), tooltip=[alt.Tooltip(f"{x}:Q")])
    colours = [palette.OKABE_ITO[i % len(palette.OKABE_ITO)] for i in (7, 0, 5, 2, 3, 1)]
    line = alt.Chart(df).mark_line(strokeWidth=2.2).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=alt.Scale(domain=[0, 1])),
        color=category(color, order, colours[:len(order)], columns=2, label_limit=210),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q"),
                 alt.Tooltip(f"{y}:Q", format=".3f")])
    return alt.layer(rules, line).properties(height=height)


def facet_curves(df: pd.DataFrame, *, x: str = "step", y: str = "loss", facet: str = "T",
                 chance: str = "chance", x_title: str | None = None,
                 y_title: str | None = None, log_y: bool = True, height: int = 200,
                 width: int = 105, columns: int = 5) -> alt.FacetChart:
    """One small panel per value of ``facet`` (side by side), ``y`` against ``x``, with that
    panel's ``chance`` as a dashed grey line. Log y is floored and marked like ``log_safe``."""
    data = log_safe(df, y) if log_y else df.assign(status=STATUS_OK)
    yscale = alt.Scale(type="log") if log_y else alt.Undefined
    line = alt.Chart().mark_line(strokeWidth=2, color=palette.OKABE_ITO[0]).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=yscale),
        tooltip=[alt.Tooltip(f"{x}:Q"), alt.Tooltip(f"{y}:Q", format=".3g"),
                 alt.Tooltip("status:N")])
    rule = alt.Chart().mark_rule(strokeDash=[6, 4], color="#555555").encode(
        y=alt.Y(f"mean({chance}):Q"), tooltip=[alt.Tooltip(f"mean({chance}):Q", format=".3g",
                                                           title="chance")])
    flagged = alt.Chart().transform_filter(
        (alt.datum.status == STATUS_TINY) | (alt.datum.status == STATUS_BAD)).mark_point(
        shape="triangle-down", size=50, filled=True, color="#D55E00").encode(
        x=f"{x}:Q", y=alt.Y(f"{y}:Q", scale=yscale))
    return alt.layer(line, rule, flagged, data=data).properties(
        height=height, width=width).facet(
        facet=alt.Facet(f"{facet}:O", title=None,
                        header=alt.Header(labelFontSize=13, labelExpr="'T = ' + datum.value")),
        columns=columns)


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


def budget_chart(b: dict, *, cached: bool = True, height: int = 220) -> alt.LayerChart:
    """``effects.longer_budget``'s training curve over the blind-guess loss (dotted) and the
    sweep's step budget (a vertical line). ``cached=False`` for a partial, live result."""
    build = decade_run_lines if cached else decade_run_lines.uncached
    return build(frames.budget_frame(b), "step", "loss", "run",
                 order=[f"training loss, T = {b['T']}"], colors=[palette.cell_color(b["cell"])],
                 vrules=[{"x": b["budget"], "label": f"budget: {b['budget']} steps",
                          "kind": "budget"}],
                 hrules=[{"y": b["chance"], "label": CHANCE, "kind": "ref"}],
                 x_title="training step", y_title=f"loss ({b['loss_name']}, log)", height=height)
