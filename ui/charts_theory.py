"""Extra pure Altair builders for the theory and effects pages. No Streamlit here.

- :func:`log10_lines`: lines of values that are ALREADY log10 (Jacobian products, w^k), drawn on
  a linear axis labelled 1e-20, 1e0, 1e20 ... so nothing is floored or overflows, even at
  10^-400 or 10^300. Non-finite values are marked, never dropped silently.
- :func:`eigen_plane`: eigenvalues in the complex plane with the unit circle and the circle of
  the spectral radius.
- :func:`phase_map`: the gain x length grid coloured by log10 of the gradient ratio, each cell
  labelled with its exponent.
- :func:`facet_curves`: training curves side by side, one panel per length, chance line in each.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from core.theory import pow10_text

from .charts import OKABE_ITO, STATUS_BAD, STATUS_OK, STATUS_TINY, log_safe

_POW_LABEL = "datum.value == 0 ? '1' : '1e' + format(datum.value, 'd')"


def log10_lines(df: pd.DataFrame, x: str, y: str, *, color: str | None = None,
                dashed: str | None = None, x_title: str | None = None,
                y_title: str | None = None, height: int = 300,
                color_domain: list | None = None,
                vline: tuple[float, str] | None = None) -> alt.LayerChart:
    """Lines of ``y`` = log10 of a quantity against ``x``; the axis reads as powers of ten.

    The tooltip writes each value as a reader would (2.5e-5, not 1e-4.6).
    ``dashed``: a boolean column; True rows are dashed (a bound). Rows whose ``y`` is -inf
    (exactly zero) or NaN are drawn as red-edged triangles at the bottom of the chart, labelled
    in the tooltip. ``vline``: ``(x, label)`` for a labelled vertical marker (e.g. first NaN).
    """
    data = df.copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    data["status"] = np.where(np.isnan(v), STATUS_BAD,
                              np.where(np.isneginf(v), "exactly zero", STATUS_OK))
    finite = v[np.isfinite(v)]
    floor = float(finite.min()) if len(finite) else 0.0
    data[y] = np.where(np.isfinite(v), v, floor)
    data["value"] = [pow10_text(val) if s == STATUS_OK else s
                     for val, s in zip(data[y], data["status"])]
    scale = (alt.Scale(domain=color_domain, range=OKABE_ITO) if color_domain
             else alt.Scale(range=OKABE_ITO))
    enc_color = (alt.Color(f"{color}:N", title=None, scale=scale,
                           legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400))
                 if color else alt.value(OKABE_ITO[0]))
    tips = ([alt.Tooltip(f"{color}:N")] if color else []) + [
        alt.Tooltip(f"{x}:Q", title=x_title or x), alt.Tooltip("value:N", title=y_title or y)]
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y, axis=alt.Axis(labelExpr=_POW_LABEL)),
        color=enc_color, tooltip=tips)
    stroke = (alt.StrokeDash(f"{dashed}:N", legend=None,
                             scale=alt.Scale(domain=[False, True], range=[[1, 0], [6, 4]]))
              if dashed else alt.value([1, 0]))
    detail = [c for c in (color, dashed) if c]
    line = base.transform_filter(alt.datum.status == STATUS_OK).mark_line(
        strokeWidth=2.5).encode(strokeDash=stroke,
                                detail=[alt.Detail(d) for d in detail] or alt.Undefined)
    flagged = base.transform_filter(alt.datum.status != STATUS_OK).mark_point(
        shape="triangle-down", size=60, filled=True, stroke="#D55E00", strokeWidth=1.5)
    one = alt.Chart(pd.DataFrame({y: [0.0]})).mark_rule(color="#888888").encode(y=f"{y}:Q")
    layers = [one, line, flagged]
    if vline is not None:
        vd = pd.DataFrame({x: [float(vline[0])], "label": [vline[1]]})
        layers.append(alt.Chart(vd).mark_rule(color="#D55E00", strokeWidth=2,
                                              strokeDash=[4, 2]).encode(
            x=f"{x}:Q", tooltip=["label:N"]))
        layers.append(alt.Chart(vd).mark_text(align="left", dx=4, dy=8, color="#D55E00",
                                              fontWeight="bold").encode(
            x=f"{x}:Q", y=alt.value(0), text="label:N"))
    return alt.layer(*layers).properties(height=height)


def eigen_plane(df: pd.DataFrame, radius: float, *, height: int = 320) -> alt.LayerChart:
    """Eigenvalues (columns ``real``, ``imag``) over the unit circle (grey, dashed) and the
    circle of the spectral radius ``radius`` (orange, dotted). Square, equal axes."""
    data = df[np.isfinite(df["real"]) & np.isfinite(df["imag"])]
    lim = max(1.1, float(radius) * 1.1 if math.isfinite(radius) else 1.1)
    th = np.linspace(0, 2 * np.pi, 181)
    circles = pd.concat([
        pd.DataFrame({"real": np.cos(th), "imag": np.sin(th), "order": np.arange(181),
                      "circle": "unit circle |lambda| = 1"}),
        pd.DataFrame({"real": radius * np.cos(th), "imag": radius * np.sin(th),
                      "order": np.arange(181),
                      "circle": f"spectral radius {radius:.3g}"})])
    scale = alt.Scale(domain=[-lim, lim], nice=False)
    names = [f"spectral radius {radius:.3g}", "unit circle |lambda| = 1"]
    ring = alt.Chart(circles).mark_line(strokeWidth=1.5).encode(
        x=alt.X("real:Q", scale=scale, title="real part"),
        y=alt.Y("imag:Q", scale=scale, title="imaginary part"),
        order="order:Q",
        detail="circle:N",
        color=alt.Color("circle:N", title=None,
                        scale=alt.Scale(domain=names, range=["#D55E00", "#888888"]),
                        legend=alt.Legend(orient="bottom", direction="vertical")),
        strokeDash=alt.StrokeDash("circle:N", legend=None,
                                  scale=alt.Scale(domain=names, range=[[2, 2], [5, 3]])))
    pts = alt.Chart(data).mark_circle(size=55, opacity=0.85, color=OKABE_ITO[0]).encode(
        x=alt.X("real:Q", scale=scale), y=alt.Y("imag:Q", scale=scale),
        tooltip=[alt.Tooltip("real:Q", format=".3f"), alt.Tooltip("imag:Q", format=".3f"),
                 alt.Tooltip("modulus:Q", format=".3f", title="|lambda|")])
    return alt.layer(ring, pts).properties(height=height, width=height)


def phase_map(df: pd.DataFrame, *, x: str = "gain", y: str = "T", value: str = "log10_ratio",
              label: str = "label", x_title: str | None = None, y_title: str | None = None,
              height: int = 300, clip: float = 30.0) -> alt.LayerChart:
    """A grid coloured by ``value`` (a log10 ratio; blue below 0, orange above, clamped to
    +-``clip``), every cell showing ``label``. NaN cells are grey; cells whose ``regime`` column
    says "stable" get a black outline."""
    data = df.copy()
    v = pd.to_numeric(data[value], errors="coerce").astype(float)
    data["status"] = np.where(np.isnan(v), STATUS_BAD, STATUS_OK)
    data["_shown"] = np.clip(np.where(np.isnan(v), 0.0, v), -clip, clip)
    data["_dark"] = np.abs(data["_shown"]) > clip * 0.55
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:O", title=x_title or x, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title or y, sort="descending"))
    tips = [alt.Tooltip(f"{x}:O", title=x_title or x), alt.Tooltip(f"{y}:O", title=y_title or y),
            alt.Tooltip("ratio:Q", format=".2e", title="||dL/dh_0|| / ||dL/dh_T||"),
            alt.Tooltip("regime:N")]
    cells = base.transform_filter(alt.datum.status == STATUS_OK).mark_rect().encode(
        color=alt.Color("_shown:Q", title="log10 ratio",
                        scale=alt.Scale(scheme="blueorange", domain=[-clip, clip], domainMid=0),
                        legend=alt.Legend(orient="right", gradientLength=max(120, height - 80))),
        tooltip=tips)
    bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_rect(color="#BBBBBB"
                                                                          ).encode(tooltip=tips)
    text = base.mark_text(fontSize=11).encode(
        text=f"{label}:N",
        color=alt.condition(alt.datum._dark, alt.value("white"), alt.value("black")))
    layers = [cells, bad, text]
    if "regime" in data:
        layers.append(base.transform_filter(alt.datum.regime == "stable").mark_rect(
            fill=None, stroke="#000000", strokeWidth=1.5).encode(tooltip=tips))
    return alt.layer(*layers).properties(height=height)


def facet_curves(df: pd.DataFrame, *, x: str = "step", y: str = "loss", facet: str = "T",
                 chance: str = "chance", x_title: str | None = None,
                 y_title: str | None = None, log_y: bool = True, height: int = 200,
                 width: int = 105, columns: int = 5) -> alt.FacetChart:
    """One small panel per value of ``facet`` (side by side), ``y`` against ``x``, with that
    panel's ``chance`` as a dashed grey line. Log y is floored and marked like ``log_safe``."""
    data = log_safe(df, y) if log_y else df.assign(status=STATUS_OK)
    yscale = alt.Scale(type="log") if log_y else alt.Undefined
    line = alt.Chart().mark_line(strokeWidth=2, color=OKABE_ITO[0]).encode(
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
