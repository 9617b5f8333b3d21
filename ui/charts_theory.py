"""Extra pure Altair builders for the theory and effects pages, and the tidy tables they draw.
No Streamlit here.

- :func:`log10_lines`: lines of values that are ALREADY log10 (Jacobian products, w^k), drawn on
  a linear axis labelled 1e-20, 1, 1e+20 ... so nothing is floored or overflows, even at
  10^-400 or 10^300. Non-finite values are marked (their own legend entry), never dropped.
- :func:`eigen_plane`: eigenvalues in the complex plane with the unit circle and the circle of
  the spectral radius.
- :func:`phase_map`: the gain x length grid coloured by log10 of the gradient ratio, each cell
  labelled with its exponent; cells whose ratio under- or overflowed are their own legend
  entries, not the ends of the colour bar.
- :func:`facet_curves`: training curves side by side, one panel per length, chance line in each.
- Tables for section 3 (``pages/s3_why.py``): :func:`lag_frame`, :func:`activation_frame`,
  :func:`eigen_frame`, :func:`scalar_frame`, :func:`phase_frame`.

The builders used by section 3 are memoised (``ui.chartcache.memo``): equal inputs give the same
chart object, so callers must not mutate what they get.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from core.theory import pow10_text, scalar_log_powers

from . import chartcache, palette
from .charts import OKABE_ITO, STATUS_BAD, STATUS_OK, STATUS_TINY, log_safe

#: Axis labels for log10 values: 1e-20, 1, 1e+20 (the app's LOG_TICK_FORMAT style).
_POW_LABEL = ("datum.value == 0 ? '1' : '1e' + (datum.value > 0 ? '+' : '') + "
              "format(datum.value, 'd')")
#: Status of a log10 value that is -inf: the quantity is exactly zero.
STATUS_ZERO = "exactly zero"


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
    rng = color_range or OKABE_ITO
    scale = (alt.Scale(domain=color_domain, range=rng) if color_domain
             else alt.Scale(range=rng))
    enc_color = (alt.Color(f"{color}:N", title=None, scale=scale,
                           legend=palette.legend(columns=1, label_limit=400))
                 if color else alt.value(OKABE_ITO[0]))
    tips = ([alt.Tooltip(f"{color}:N")] if color else []) + [
        alt.Tooltip(f"{x}:Q", title=x_title or x), alt.Tooltip("value:N", title=y_title or y)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
    # A nearly flat product (a norm-preserving W_hh) still gets whole powers of ten on its axis.
    yscale = (alt.Scale(domain=[math.floor(lo) - 1, math.ceil(hi) + 1])
              if hi - lo < 2 else alt.Undefined)
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=yscale,
                axis=alt.Axis(labelExpr=_POW_LABEL, tickMinStep=1)),
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
def eigen_plane(df: pd.DataFrame, radius: float, *, height: int = 320,
                width: int | None = None) -> alt.HConcatChart:
    """Eigenvalues (columns ``real``, ``imag``) over the unit circle (grey, dotted) and the
    circle of the spectral radius ``radius`` (orange, dashed). Equal axes; square unless
    ``width`` differs from ``height`` (a page on the projector, whose heights are scaled,
    passes the scaled width so the plane stays square). Keeps its own size (no fit)."""
    data = df[np.isfinite(df["real"]) & np.isfinite(df["imag"])]
    lim = max(1.1, float(radius) * 1.1 if math.isfinite(radius) else 1.1)
    th = np.linspace(0, 2 * np.pi, 181)
    names = [f"spectral radius {radius:.3g}", "unit circle |λ| = 1"]
    circles = pd.concat([
        pd.DataFrame({"real": np.cos(th), "imag": np.sin(th), "order": np.arange(181),
                      "circle": names[1]}),
        pd.DataFrame({"real": radius * np.cos(th), "imag": radius * np.sin(th),
                      "order": np.arange(181), "circle": names[0]})])
    scale = alt.Scale(domain=[-lim, lim], nice=False)
    ring = alt.Chart(circles).mark_line(strokeWidth=1.5).encode(
        x=alt.X("real:Q", scale=scale, title="real part"),
        y=alt.Y("imag:Q", scale=scale, title="imaginary part"),
        order="order:Q",
        detail="circle:N",
        color=alt.Color("circle:N", title=None,
                        scale=alt.Scale(domain=names, range=[OKABE_ITO[1], palette.REFERENCE]),
                        legend=alt.Legend(orient="bottom", direction="vertical")),
        strokeDash=alt.StrokeDash("circle:N", legend=None,
                                  scale=alt.Scale(domain=names,
                                                  range=[palette.DASHED, palette.DOTTED])))
    pts = alt.Chart(data).mark_circle(size=55, opacity=0.85, color=palette.MEASURED).encode(
        x=alt.X("real:Q", scale=scale), y=alt.Y("imag:Q", scale=scale),
        tooltip=[alt.Tooltip("real:Q", format=".3f"), alt.Tooltip("imag:Q", format=".3f"),
                 alt.Tooltip("modulus:Q", format=".3f", title="|λ|")])
    # Inside a concat, the plot keeps its own width: a full-width chart would stretch the
    # circles into ellipses.
    return alt.hconcat(alt.layer(ring, pts).properties(height=height, width=width or height))


#: Legend entries of phase-map cells whose ratio has no finite logarithm.
PHASE_UNDERFLOW = "ratio underflowed to 0 (exponent below -300)"
PHASE_OVERFLOW = "ratio overflowed to inf"
PHASE_SPECIAL = {PHASE_UNDERFLOW: ("#5A5A5A", "white"), PHASE_OVERFLOW: ("#000000", "white"),
                 palette.NAN_MARK: ("#BBBBBB", "black")}


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


# -- tables for section 3 ----------------------------------------------------------------------
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
