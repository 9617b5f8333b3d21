"""Altair builders for Lab 2 (the tanh RNN, the LSTM and the GRU side by side). No Streamlit.

- :func:`curves`: one line per cell in the cell's own colour (``ui.palette``: tanh RNN
  vermillion, LSTM blue, GRU green, as on every page), an optional dashed style for a second
  series (held-out text), dotted reference lines *under* the data and named in the legend (no
  label can sit on a curve), log or linear y. Values a log axis cannot show and NaN/inf are
  flagged marks at the bottom with their own legend entries, never dropped silently.
- Heatmaps of the gradient by lag and training step are ``ui.charts_gated.facet_heatmap`` (one
  shared colour scale, a ``scheme`` argument, lag 0 at the bottom): see :func:`gradient_maps`.

Builders are memoised (``ui.chartcache.memo``) and must not be mutated after they return.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from . import chartcache, palette
from .charts_gated import facet_heatmap

#: The lab's cells in their order (``core.experiments.compare.CELLS``), labels and colours.
CELL_ORDER, CELL_RANGE = palette.cell_scale(["rnn", "lstm", "gru"])
#: Dotted patterns for up to three reference lines on one chart.
REF_DASHES = [palette.DOTTED, [8, 3], [1, 5]]
_FLAGS = {palette.TINY_MARK: "triangle-down", palette.NAN_MARK: "cross"}


def _status(v: pd.Series, log_y: bool) -> np.ndarray:
    v = pd.to_numeric(v, errors="coerce").astype(float).to_numpy()
    return np.where(~np.isfinite(v), palette.NAN_MARK,
                    np.where((v <= 0) & log_y, palette.TINY_MARK, "ok"))


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
    data["status"] = _status(v, log_y)
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
                domain=list(_FLAGS), range=list(_FLAGS.values())),
                legend=alt.Legend(orient="bottom"))))
    chart = alt.layer(*layers)
    if rules and dash:
        chart = chart.resolve_scale(strokeDash="independent")
    return chart.properties(height=height)


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
