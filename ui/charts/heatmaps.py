"""Heat maps: a value coloured over a grid (time x unit, lag x training step, gain x length)
or a matrix (W_hh, drawn square).

Every builder takes a colour ``scheme`` (default from ``ui.palette``: ``SEQUENTIAL`` for
magnitudes, ``DIVERGING`` where sign matters). NaN/inf (and exact zeros where a log colour
scale has none) are their own legend entries, never a colour on the continuous bar. No
Streamlit here; builders are memoised (``ui.chartcache.memo``) and must not be mutated.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from .. import chartcache, palette
from .axes import CELL_ORDER, FLOOR, STATUS_BAD, STATUS_OK, flag_shape, status, weight_status

#: Non-finite cells of a weight map: their own legend entries, in these colours.
NONFINITE = {"NaN": palette.BAD, "+inf": "#000000", "−inf": "#9A9A9A"}


#: Legend entries of phase-map cells whose ratio has no finite logarithm.
PHASE_UNDERFLOW = "ratio underflowed to 0 (exponent below -300)"


PHASE_OVERFLOW = "ratio overflowed to inf"


PHASE_SPECIAL = {PHASE_UNDERFLOW: ("#5A5A5A", "white"), PHASE_OVERFLOW: ("#000000", "white"),
                 palette.NAN_MARK: ("#BBBBBB", "black")}


@chartcache.memo
def heatmap(df: pd.DataFrame, x: str, y: str, value: str, *, log: bool = True,
            x_title: str | None = None, y_title: str | None = None,
            value_title: str | None = None, height: int = 300, diverging: bool = False,
            floor: float = FLOOR, y_descending: bool = False,
            scheme: str | None = None) -> alt.LayerChart:
    """A ``x`` by ``y`` grid coloured by ``value`` (log10 of it when ``log``).

    ``y_descending`` puts the largest ``y`` at the top (e.g. lag: far past above, lag 0 below).
    ``scheme``: the colour scheme (default ``palette.DIVERGING`` around 0 when ``diverging``,
    else ``palette.SEQUENTIAL``).

    Non-finite cells are drawn as a cross with their own legend entry (``palette.NAN_MARK``),
    so NaN never looks like a small number.
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
        scale = alt.Scale(scheme=scheme or palette.DIVERGING, domain=[-lim, lim],
                          domainMid=0)
    else:
        scale = alt.Scale(scheme=scheme or palette.SEQUENTIAL)
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
    tips = [alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:O"), alt.Tooltip("status:N")]
    bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_text(
        text="×", color=palette.BAD, fontSize=12)
    if finite.all():
        return alt.layer(cells, bad.encode(tooltip=tips)).properties(height=height)
    # a NaN/inf cell is a legend entry of its own, beside the colour bar
    flag = bad.encode(tooltip=tips, shape=alt.Shape("status:N", title=None, scale=alt.Scale(
        domain=[STATUS_BAD], range=["cross"]), legend=alt.Legend(
        orient="bottom", symbolFillColor=palette.BAD, symbolStrokeColor=palette.BAD)))
    return alt.layer(cells, flag).properties(height=height)


@chartcache.memo
def weight_map(values: list, *, domain: tuple[float, float], cell: int = 6,
               scheme: str = palette.SEQUENTIAL, title: str = "log10 |w|") -> alt.HConcatChart:
    """One square matrix W[row, col] as a square heat map (``cell`` px per entry, row 0 at the
    top), coloured by log10 |w| on the shared ``domain`` in ``scheme``. NaN, +inf and −inf are
    their own legend entries (with their counts), never a colour on the bar."""
    a = np.asarray(values, dtype=float)
    k = a.shape[0]
    r, c = np.meshgrid(np.arange(k), np.arange(a.shape[1]), indexing="ij")
    status = weight_status(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.where(status == "finite", np.log10(np.maximum(np.abs(a), 1e-300)), np.nan)
    df = pd.DataFrame({"row": r.ravel(), "col": c.ravel(), "w": [f"{v:.3g}" for v in a.ravel()],
                       "log10_w": lg.ravel(), "status": status.ravel()})
    counts = {s: int((status == s).sum()) for s in NONFINITE}
    label = {s: f"{s}: {n}" for s, n in counts.items()}
    df["flag"] = df["status"].map(label)
    ticks = sorted({0, k // 4, k // 2, 3 * k // 4, k - 1})
    x = alt.X("col:O", title="column", axis=alt.Axis(values=ticks, labelAngle=0))
    y = alt.Y("row:O", title="row", axis=alt.Axis(values=ticks))
    tips = [alt.Tooltip("row:O"), alt.Tooltip("col:O"), alt.Tooltip("w:N", title="w")]
    cells = alt.Chart(df[df["status"] == "finite"]).mark_rect().encode(
        x=x, y=y, tooltip=tips,
        color=alt.Color("log10_w:Q", title=title,
                        scale=alt.Scale(scheme=scheme, domain=list(domain), clamp=True),
                        legend=alt.Legend(orient="bottom", direction="horizontal",
                                          gradientLength=max(80, k * cell - 40))))
    bad = alt.Chart(df[df["status"] != "finite"]).mark_rect().encode(
        x=x, y=y, tooltip=tips,
        fill=alt.Fill("flag:N", title=None, scale=alt.Scale(
            domain=[label[s] for s in NONFINITE], range=list(NONFINITE.values())),
            legend=alt.Legend(orient="bottom", direction="vertical", columns=1,
                              symbolType="square")))
    square = alt.layer(cells, bad).properties(width=alt.Step(cell), height=alt.Step(cell))
    # A one-view concat keeps its own width: a single view would be stretched to the column.
    return alt.hconcat(square).properties(autosize=alt.AutoSizeParams(type="pad"))


@chartcache.memo
def facet_heatmap(df: pd.DataFrame, x: str, y: str, value: str, facet: str, *,
                  facet_order: list[str] | None = None, x_title: str | None = None,
                  y_title: str | None = None, value_title: str | None = None,
                  domain: tuple[float, float] | None = None, height: int = 200,
                  width: int = 200, columns: int = 4, y_descending: bool = True,
                  scheme: str = palette.SEQUENTIAL, legend_orient: str = "right"
                  ) -> alt.FacetChart:
    """Side-by-side ``x`` by ``y`` grids, one per ``facet`` value, with ONE shared colour scale
    (``scheme``). ``value`` is drawn as it is (pass log10 values for a log colour scale; -300
    marks an exact zero). ``y_descending`` puts the largest ``y`` at the top, so lag 0 sits at
    the bottom. Exact zeros and NaN/inf are flagged marks with their own legend entries, never
    a colour on the bar. ``domain`` fixes the colour scale (default: the finite data range).
    ``legend_orient="bottom"``: the colour bar under the panels (narrower: fits a phone)."""
    data = df.copy()
    data["status"] = status(data[value], log10=True)
    ok = data["status"] == STATUS_OK
    if domain is None:
        finite = data.loc[ok, value].astype(float)
        domain = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    base = alt.Chart().encode(
        x=alt.X(f"{x}:O", title=x_title or x, axis=alt.Axis(labelOverlap=True, labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title or y, sort="descending" if y_descending else "ascending",
                axis=alt.Axis(labelOverlap=True)),
    )
    cells = base.transform_filter(alt.datum.status == STATUS_OK).mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=value_title or value,
                        scale=alt.Scale(scheme=scheme, domain=list(domain), clamp=True),
                        legend=alt.Legend(orient="right", gradientLength=max(100, height - 40))
                        if legend_orient == "right" else alt.Legend(
                            orient="bottom", direction="horizontal",
                            gradientLength=min(220, max(100, width * columns - 40)))),
        tooltip=[alt.Tooltip(f"{facet}:N"), alt.Tooltip(f"{x}:O", title=x_title or x),
                 alt.Tooltip(f"{y}:O", title=y_title or y),
                 alt.Tooltip(f"{value}:Q", title=value_title or value, format=".3g")])
    layers = [cells]
    if (~ok).any():
        layers.append(base.transform_filter(alt.datum.status != STATUS_OK).mark_point(
            filled=True, size=30, color=palette.BAD).encode(
            shape=flag_shape(), tooltip=[alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:O"),
                                          alt.Tooltip("status:N")]))
    return alt.layer(*layers, data=data).properties(height=height, width=width).facet(
        facet=alt.Facet(f"{facet}:N", title=None, sort=facet_order,
                        header=alt.Header(labelFontSize=14, labelFontWeight="bold")),
        columns=columns)


def gradient_maps(df: pd.DataFrame, *, height: int = 200, width: int = 190,
                  scheme: str = palette.SEQUENTIAL) -> alt.FacetChart:
    """One lag x training-step map of log10 ||dL/dh|| per cell (``frames.compare_gradient_map``)
    on one shared colour scale (``scheme``), lag 0 at the bottom, exact zeros and NaN/inf as
    their own legend entries."""
    return facet_heatmap(df, "training step", "lag", "log10 grad", "cell",
                         facet_order=[c for c in CELL_ORDER if c in set(df["cell"])],
                         y_title="lag (steps back from the loss)",
                         value_title="log10 ||dL/dh||", height=height, width=width, columns=3,
                         y_descending=True, scheme=scheme)


@chartcache.memo
def phase_map(df: pd.DataFrame, *, x: str = "gain", y: str = "T", value: str = "log10_ratio",
              label: str = "label", x_title: str | None = None, y_title: str | None = None,
              height: int = 300, clip: float = 30.0,
              scheme: str = palette.DIVERGING) -> alt.LayerChart:
    """A grid coloured by ``value`` (a log10 ratio; ``scheme`` diverging around 0, clamped to
    +-``clip``), every cell showing ``label``. Cells whose value is -inf, +inf or NaN get their
    own colours and legend entries (``PHASE_SPECIAL``); cells whose ``regime`` column says
    "stable" get a black outline. The longest length is at the top."""
    data = df.copy()
    v = pd.to_numeric(data[value], errors="coerce").astype(float)
    data["status"] = np.where(np.isnan(v), palette.NAN_MARK,
                              np.where(np.isneginf(v), PHASE_UNDERFLOW,
                                       np.where(np.isposinf(v), PHASE_OVERFLOW, STATUS_OK)))
    data["_shown"] = np.clip(np.where(np.isfinite(v), v, 0.0), -clip, clip)
    data["_dark"] = (np.abs(data["_shown"]) > clip * 0.55) | (data["status"] != STATUS_OK)
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:O", title=x_title or x, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title or y, sort="descending"))
    tips = [alt.Tooltip(f"{x}:O", title=x_title or x), alt.Tooltip(f"{y}:O", title=y_title or y),
            alt.Tooltip("ratio:Q", format=".2e", title="||dL/dh_0|| / ||dL/dh_T||"),
            alt.Tooltip("regime:N")]
    cells = base.transform_filter(alt.datum.status == STATUS_OK).mark_rect().encode(
        color=alt.Color("_shown:Q", title="log10 ratio",
                        scale=alt.Scale(scheme=scheme, domain=[-clip, clip], domainMid=0),
                        legend=alt.Legend(orient="right", gradientLength=max(120, height - 80))),
        tooltip=tips)
    layers = [cells]
    special = [m for m in PHASE_SPECIAL if (data["status"] == m).any()]
    if special:
        layers.append(base.transform_filter(alt.datum.status != STATUS_OK).mark_rect().encode(
            fill=alt.Fill("status:N", title=None, scale=alt.Scale(
                domain=special, range=[PHASE_SPECIAL[m][0] for m in special]),
                legend=palette.legend(columns=1, label_limit=400)),
            tooltip=tips))
    # The style's text size (larger on a projector); hidden where cells are too narrow for it
    # (a phone), since the colour and the tooltip still carry the value.
    ncols = max(1, data[x].nunique())
    layers.append(base.mark_text(opacity=alt.ExprRef(f"width / {ncols} >= 30 ? 1 : 0")).encode(
        text=f"{label}:N",
        color=alt.condition(alt.datum._dark, alt.value("white"), alt.value("black"))))
    if "regime" in data:
        layers.append(base.transform_filter(alt.datum.regime == "stable").mark_rect(
            fill=None, stroke="#000000", strokeWidth=1.5).encode(tooltip=tips))
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=height)
