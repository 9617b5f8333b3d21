"""Extra pure Altair builders for the gated-cell and initialisation/normalisation pages.

No Streamlit here. Like ``ui.charts``, every builder is NaN-safe: non-finite values are drawn
as marked points or crossed cells, never silently dropped, and panels that are compared side by
side share one scale so the eye compares like with like.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import OKABE_ITO, SEQUENTIAL

#: log10 values at or below this are exact zeros in float64 (the experiments write -300).
ZERO_LOG = -299.0
STATUS_OK, STATUS_ZERO, STATUS_BAD = "ok", "exactly 0 (underflow)", "non-finite (NaN/inf)"


def _status(v: pd.Series) -> np.ndarray:
    v = pd.to_numeric(v, errors="coerce").astype(float)
    return np.where(~np.isfinite(v), STATUS_BAD, np.where(v <= ZERO_LOG, STATUS_ZERO, STATUS_OK))


def facet_heatmap(df: pd.DataFrame, x: str, y: str, value: str, facet: str, *,
                  facet_order: list[str] | None = None, x_title: str | None = None,
                  y_title: str | None = None, value_title: str | None = None,
                  domain: tuple[float, float] | None = None, height: int = 260,
                  width: int = 220, columns: int = 3, y_descending: bool = True,
                  scheme: str = SEQUENTIAL) -> alt.FacetChart:
    """Side-by-side ``x`` by ``y`` grids, one per ``facet`` value, with ONE shared colour scale.

    ``value`` is drawn as it is (pass log10 values for a log colour scale). Cells that are
    NaN/inf or exact zeros (<= ``ZERO_LOG``) are drawn as crosses with their status in the
    tooltip. ``domain`` fixes the colour scale (defaults to the finite range of the data).
    """
    data = df.copy()
    data["status"] = _status(data[value])
    ok = data["status"] == STATUS_OK
    if domain is None:
        finite = data.loc[ok, value].astype(float)
        domain = ((float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0))
    sort = "descending" if y_descending else "ascending"
    base = alt.Chart().encode(
        x=alt.X(f"{x}:O", title=x_title or x, axis=alt.Axis(labelOverlap=True, labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title or y, sort=sort, axis=alt.Axis(labelOverlap=True)),
    )
    cells = base.transform_filter(alt.datum.status == STATUS_OK).mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=value_title or value,
                        scale=alt.Scale(scheme=scheme, domain=list(domain), clamp=True),
                        legend=alt.Legend(orient="right", gradientLength=max(120, height - 40))),
        tooltip=[alt.Tooltip(f"{facet}:N"), alt.Tooltip(f"{x}:O", title=x_title or x),
                 alt.Tooltip(f"{y}:O", title=y_title or y),
                 alt.Tooltip(f"{value}:Q", title=value_title or value, format=".3g")],
    )
    bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_text(
        text="×", color="#D55E00", fontSize=11).encode(
        tooltip=[alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:O"), alt.Tooltip("status:N")])
    return alt.layer(cells, bad, data=data).properties(height=height, width=width).facet(
        facet=alt.Facet(f"{facet}:N", title=None, sort=facet_order,
                        header=alt.Header(labelFontSize=14, labelFontWeight="bold")),
        columns=columns)


def facet_lines(df: pd.DataFrame, x: str, y: str, color: str, facet: str, *,
                facet_order: list[str] | None = None, color_order: list[str] | None = None,
                x_title: str | None = None, y_title: str | None = None, height: int = 260,
                width: int = 300, columns: int = 2, zero_floor: float | None = None,
                rule: float | None = None, rule_label: str | None = None) -> alt.FacetChart:
    """Lines of ``y`` against ``x`` coloured by ``color``, one panel per ``facet``, shared axes.

    Non-finite ``y`` values are drawn as red triangles at the bottom of the panel; values at or
    below ``ZERO_LOG`` (exact zeros of a log10 column) are drawn at ``zero_floor`` as triangles
    too when it is given. ``rule``: a dashed horizontal reference line at that y, labelled
    ``rule_label``.
    """
    data = df.copy()
    data["status"] = _status(data[y]) if zero_floor is not None else np.where(
        np.isfinite(pd.to_numeric(data[y], errors="coerce").astype(float)), STATUS_OK,
        STATUS_BAD)
    vals = pd.to_numeric(data[y], errors="coerce").astype(float)
    finite = vals[data["status"] == STATUS_OK]
    low = float(finite.min()) if len(finite) else 0.0
    if zero_floor is not None:
        low = min(low, zero_floor)
    data["_y"] = np.where(data["status"] == STATUS_OK, vals, low)
    scale = alt.Scale(domain=color_order, range=OKABE_ITO) if color_order else alt.Scale(
        range=OKABE_ITO)
    enc_color = alt.Color(f"{color}:N", title=None, scale=scale,
                          legend=alt.Legend(orient="bottom", columns=3, labelLimit=260))
    base = alt.Chart().encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y("_y:Q", title=y_title or y, scale=alt.Scale(zero=False)),
        color=enc_color,
    )
    tips = [alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q", title=x_title or x),
            alt.Tooltip(f"{y}:Q", title=y_title or y, format=".4g"), alt.Tooltip("status:N")]
    line = base.transform_filter(alt.datum.status == STATUS_OK).mark_line(
        strokeWidth=2.2).encode(tooltip=tips)
    flagged = base.transform_filter(alt.datum.status != STATUS_OK).mark_point(
        shape="triangle-down", size=60, filled=True, stroke="#D55E00", strokeWidth=1.5
    ).encode(tooltip=tips)
    layers = [line, flagged]
    if rule is not None:
        rdf_rule = alt.Chart().mark_rule(strokeDash=[6, 4], color="#555555").encode(
            y=alt.datum(rule))
        layers.append(rdf_rule)
        if rule_label:
            layers.append(alt.Chart().mark_text(align="right", dy=-7, color="#333333"
                                                ).encode(y=alt.datum(rule),
                                                         x=alt.value(width - 4),
                                                         text=alt.datum(rule_label)))
    return alt.layer(*layers, data=data).properties(height=height, width=width).facet(
        facet=alt.Facet(f"{facet}:N", title=None, sort=facet_order,
                        header=alt.Header(labelFontSize=14, labelFontWeight="bold")),
        columns=columns)


def grouped_bars(df: pd.DataFrame, x: str, y: str, group: str, *,
                 x_order: list[str] | None = None, group_order: list[str] | None = None,
                 x_title: str | None = None, y_title: str | None = None,
                 height: int = 300) -> alt.LayerChart:
    """Bars of ``y`` for every ``x``, one bar per ``group`` side by side (x offset).

    Meant for log10 values: bars hang down from 0 for quantities below 1. Non-finite values
    get a red cross at 0 with their status in the tooltip, instead of a missing bar.
    """
    data = df.copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    data["status"] = np.where(np.isfinite(v), STATUS_OK, STATUS_BAD)
    data["_y"] = np.where(np.isfinite(v), v, 0.0)
    scale = alt.Scale(domain=group_order, range=OKABE_ITO) if group_order else alt.Scale(
        range=OKABE_ITO)
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:N", title=x_title or x, sort=x_order,
                axis=alt.Axis(labelAngle=0, labelLimit=200)),
        xOffset=alt.XOffset(f"{group}:N", sort=group_order),
        color=alt.Color(f"{group}:N", title=None, scale=scale,
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{group}:N"),
                 alt.Tooltip(f"{y}:Q", title=y_title or y, format=".3g"),
                 alt.Tooltip("status:N")],
    )
    bars = base.transform_filter(alt.datum.status == STATUS_OK).mark_bar().encode(
        y=alt.Y("_y:Q", title=y_title or y))
    bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_text(
        text="×", color="#D55E00", fontSize=18).encode(y=alt.Y("_y:Q"))
    zero = alt.Chart(pd.DataFrame({"v": [0.0]})).mark_rule(color="#333333").encode(y="v:Q")
    return alt.layer(bars, bad, zero).properties(height=height)


def gate_lines(df: pd.DataFrame, x: str, y: str, color: str, *, markers: list[int],
               color_order: list[str] | None = None, x_title: str | None = None,
               y_title: str | None = None, height: int = 260) -> alt.LayerChart:
    """Gate values (0..1) over time, one line per ``color``, with a dashed vertical rule at
    every marked time step (where the adding problem's two numbers sit)."""
    scale = alt.Scale(domain=color_order, range=OKABE_ITO) if color_order else alt.Scale(
        range=OKABE_ITO)
    line = alt.Chart(df).mark_line(strokeWidth=2.2).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color(f"{color}:N", title=None, scale=scale,
                        legend=alt.Legend(orient="bottom", labelLimit=300, columns=2)),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q"),
                 alt.Tooltip(f"{y}:Q", format=".3f")])
    mdf = pd.DataFrame({x: markers, "label": [f"marked number at t = {m}" for m in markers]})
    rules = alt.Chart(mdf).mark_rule(color="#D55E00", strokeDash=[4, 3], strokeWidth=1.5
                                     ).encode(x=f"{x}:Q", tooltip=["label:N"])
    return alt.layer(line, rules).properties(height=height)


def loss_lines(df: pd.DataFrame, x: str, y: str, color: str, *, color_order: list[str],
               chance: float, x_title: str | None = None, y_title: str | None = None,
               height: int = 280) -> alt.LayerChart:
    """Training-loss curves on a log y axis, one per ``color``, with the chance line dashed.

    Values that are zero, negative or non-finite (a run that blew up) are drawn as red
    triangles at the bottom instead of breaking the log axis. The legend wraps onto several
    rows so long labels are never cut.
    """
    data = df.copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    ok = np.isfinite(v) & (v > 0)
    data["status"] = np.where(ok, STATUS_OK, STATUS_BAD)
    floor = float(v[ok].min()) if ok.any() else 1e-6
    data["_y"] = np.where(ok, v, floor)
    scale = alt.Scale(domain=color_order, range=OKABE_ITO)
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y("_y:Q", title=y_title or y,
                scale=alt.Scale(type="log"), axis=alt.Axis(format="~g")),
        color=alt.Color(f"{color}:N", title=None, scale=scale,
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=260)),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q"),
                 alt.Tooltip(f"{y}:Q", format=".4g"), alt.Tooltip("status:N")])
    line = base.transform_filter(alt.datum.status == STATUS_OK).mark_line(strokeWidth=2.2)
    bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_point(
        shape="triangle-down", size=60, filled=True, stroke="#D55E00")
    rule = alt.Chart(pd.DataFrame({"v": [chance], "label": [f"chance {chance:.3f}"]})).encode(
        y="v:Q")
    return alt.layer(line, bad, rule.mark_rule(strokeDash=[6, 4], color="#555555"),
                     rule.mark_text(align="left", dx=4, dy=-7, color="#333333").encode(
                         x=alt.value(0), text="label:N")).properties(height=height)
