"""Chart builders: pure functions from a tidy DataFrame to an Altair chart. No Streamlit here.

Safety rules every builder keeps:
- Log axes never see zero, negative, NaN or inf. :func:`log_safe` floors tiny values at
  ``FLOOR`` and tags each row with ``status`` ("ok", "below float resolution", "non-finite");
  tagged rows are drawn as marked points, not silently dropped.
- Colours are colour-blind safe: Okabe-Ito for categories, viridis for magnitudes, a blue-orange
  diverging scheme where sign matters.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from . import chartcache, palette

#: Smallest value drawn on a log axis; below it a point is marked "below float resolution".
FLOOR = 1e-300
#: Okabe & Ito (2008) colour-blind-safe categorical palette.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
SEQUENTIAL = "viridis"
DIVERGING = "blueorange"
STATUS_OK, STATUS_TINY, STATUS_BAD = "ok", "below float resolution", "non-finite (NaN/inf)"


def log_safe(df: pd.DataFrame, col: str, floor: float = FLOOR) -> pd.DataFrame:
    """Copy of ``df`` where ``col`` is safe for a log axis, plus a ``status`` column.

    Zeros and values below ``floor`` become ``floor`` (status "below float resolution"); NaN and
    inf become ``floor`` too (status "non-finite"), so they can be drawn as marked points.
    """
    out = df.copy()
    v = pd.to_numeric(out[col], errors="coerce").astype(float)
    status = np.where(~np.isfinite(v), STATUS_BAD, np.where(v < floor, STATUS_TINY, STATUS_OK))
    out[col] = np.where(status == STATUS_OK, v, floor)
    out["status"] = status
    return out


def _color(field: str, title: str | None = None, domain: list | None = None) -> alt.Color:
    scale = alt.Scale(range=OKABE_ITO) if domain is None else alt.Scale(domain=domain,
                                                                         range=OKABE_ITO)
    return alt.Color(f"{field}:N", title=title, scale=scale,  # the entries name themselves
                     legend=palette.legend(columns=3, label_limit=260))


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
    enc_color = _color(color, domain=color_domain) if color else alt.value(OKABE_ITO[0])
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
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=alt.Scale(type="log"),
                axis=alt.Axis(format=".0e")),
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
        enc_color = _color(color, domain=color_domain) if color else alt.value(OKABE_ITO[0])
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


@chartcache.memo
def heatmap(df: pd.DataFrame, x: str, y: str, value: str, *, log: bool = True,
            x_title: str | None = None, y_title: str | None = None,
            value_title: str | None = None, height: int = 300, diverging: bool = False,
            floor: float = FLOOR, y_descending: bool = False) -> alt.Chart:
    """A ``x`` by ``y`` grid coloured by ``value`` (log10 of it when ``log``).

    ``y_descending`` puts the largest ``y`` at the top (e.g. lag: far past above, lag 0 below).

    Non-finite cells are drawn in grey with a cross, so NaN never looks like a small number.
    """
    data = df.copy()
    v = pd.to_numeric(data[value], errors="coerce").astype(float)
    finite = np.isfinite(v)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            shown = np.log10(np.maximum(np.abs(v), floor))
        title = value_title or f"log10 {value}"
    else:
        shown = v
        title = value_title or value
    data["_shown"] = np.where(finite, shown, np.nan)
    data["status"] = np.where(finite, STATUS_OK, STATUS_BAD)
    if diverging:
        lim = float(np.nanmax(np.abs(data["_shown"]))) if finite.any() else 1.0
        lim = lim if math.isfinite(lim) and lim > 0 else 1.0
        scale = alt.Scale(scheme=DIVERGING, domain=[-lim, lim], domainMid=0)
    else:
        scale = alt.Scale(scheme=SEQUENTIAL)
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:O", title=x_title or x, axis=alt.Axis(labelOverlap=True, labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title or y, axis=alt.Axis(labelOverlap=True),
                sort="descending" if y_descending else "ascending"),
    )
    cells = base.transform_filter(alt.datum.status == STATUS_OK).mark_rect().encode(
        color=alt.Color("_shown:Q", title=title, scale=scale,
                        legend=alt.Legend(orient="right", gradientLength=max(120, height - 60))),
        tooltip=[alt.Tooltip(f"{x}:O", title=x_title or x),
                 alt.Tooltip(f"{y}:O", title=y_title or y),
                 alt.Tooltip(f"{value}:Q", title=value_title or value, format=".3g")],
    )
    bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_text(
        text="×", color="#D55E00", fontSize=12).encode(
        tooltip=[alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:O"), alt.Tooltip("status:N")])
    return alt.layer(cells, bad).properties(height=height)


@chartcache.memo
def bars(df: pd.DataFrame, x: str, y: str, *, x_title: str | None = None,
         y_title: str | None = None, log_y: bool = False, height: int = 260,
         color: str | None = None, ordinal_x: bool = True) -> alt.Chart:
    """Bars of ``y`` over ``x``. On a log axis bars rise from a baseline a decade below the
    smallest value (a log axis has no zero), with tiny or non-finite values floored and tagged."""
    data = log_safe(df, y) if log_y else df.copy()
    y2 = alt.Undefined
    if log_y:
        ok = data.loc[data["status"] == STATUS_OK, y]
        lo = float(ok.min()) if len(ok) else FLOOR
        data["_base"] = 10.0 ** math.floor(math.log10(lo) - 1)
        data[y] = np.maximum(data[y], data["_base"])  # exact zeros sit on the baseline
        y2 = alt.Y2("_base:Q")
    enc_color = _color(color) if color else alt.value(OKABE_ITO[0])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{x}:{'O' if ordinal_x else 'Q'}", title=x_title or x,
                axis=alt.Axis(labelOverlap=True, labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title or y,
                scale=alt.Scale(type="log") if log_y else alt.Undefined,
                axis=alt.Axis(format=".0e") if log_y else alt.Undefined),
        y2=y2,
        color=enc_color,
        tooltip=[alt.Tooltip(f"{x}"), alt.Tooltip(f"{y}:Q", format=".3g")],
    ).properties(height=height)
