"""Extra pure Altair builders for Lab 2 (RNN vs LSTM vs GRU). No Streamlit here.

- :func:`curves`: one line per cell (fixed colours, the same on every chart of the lab), an
  optional dashed style for a second series (validation), dashed reference lines, log or
  linear y; non-finite values are marked, never dropped silently.
- :func:`cell_heatmaps`: one lag x training-step heatmap per cell, side by side, on ONE shared
  colour scale so the three can be compared at a glance.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import OKABE_ITO, STATUS_BAD, STATUS_OK

CELL_LABELS = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}
CELL_DOMAIN = list(CELL_LABELS.values())
CELL_COLORS = [OKABE_ITO[5], OKABE_ITO[0], OKABE_ITO[2]]  # vermillion, blue, green


def _cell_color(field: str = "cell") -> alt.Color:
    return alt.Color(f"{field}:N", title="cell",
                     scale=alt.Scale(domain=CELL_DOMAIN, range=CELL_COLORS),
                     legend=alt.Legend(orient="bottom"))


def curves(df: pd.DataFrame, x: str, y: str, *, color: str = "cell", dash: str | None = None,
           x_title: str | None = None, y_title: str | None = None, log_y: bool = False,
           rules: dict[str, float] | None = None, height: int = 300,
           y_domain: tuple[float, float] | None = None, points: bool = False) -> alt.LayerChart:
    """Lines of ``y`` over ``x`` per cell; ``dash`` (a text column) draws its second value dashed.

    Non-finite or (on a log axis) non-positive values become gaps, and a red tick at the bottom
    marks where they happened. ``rules``: labelled horizontal reference lines.
    """
    data = df.copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    ok = np.isfinite(v) & ((v > 0) if log_y else True)
    data["status"] = np.where(ok, STATUS_OK, STATUS_BAD)
    data[y] = np.where(ok, v, np.nan)
    yscale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    if y_domain is not None:
        yscale = alt.Scale(type="log" if log_y else "linear", domain=list(y_domain))
    tips = [alt.Tooltip(f"{color}:N", title="cell"), alt.Tooltip(f"{x}:Q", title=x_title or x),
            alt.Tooltip(f"{y}:Q", title=y_title or y, format=".4g")]
    enc = {"x": alt.X(f"{x}:Q", title=x_title or x),
           "y": alt.Y(f"{y}:Q", title=y_title or y, scale=yscale),
           "color": _cell_color(color), "tooltip": tips}
    if dash:
        vals = list(dict.fromkeys(data[dash].tolist()))
        enc["strokeDash"] = alt.StrokeDash(f"{dash}:N", title=None,
                                           scale=alt.Scale(domain=vals,
                                                           range=[[1, 0], [6, 3]][:len(vals)]),
                                           legend=alt.Legend(orient="bottom"))
        tips.insert(1, alt.Tooltip(f"{dash}:N"))
    base = alt.Chart(data)
    line = base.mark_line(strokeWidth=2.5, point=points).encode(**enc)
    bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_tick(
        color="#D55E00", thickness=2, size=14).encode(
        x=alt.X(f"{x}:Q"), y=alt.value(0), tooltip=[alt.Tooltip(f"{color}:N"),
                                                    alt.Tooltip(f"{x}:Q"),
                                                    alt.Tooltip("status:N")])
    layers = [line, bad]
    if rules:
        rdf = pd.DataFrame({"label": list(rules), "value": list(rules.values())})
        layers.append(alt.Chart(rdf).mark_rule(strokeDash=[6, 4], color="#555555").encode(
            y="value:Q", tooltip=["label:N", alt.Tooltip("value:Q", format=".4g")]))
        # labels alternate above / below their line so two close lines stay readable
        rdf["dy"] = [-6 if i % 2 == 0 else 12 for i in range(len(rdf))]
        for dy, part in rdf.groupby("dy"):
            layers.append(alt.Chart(part).mark_text(align="left", dx=4, dy=int(dy),
                                                    color="#333333").encode(
                y="value:Q", x=alt.value(4), text="label:N"))
    return alt.layer(*layers).properties(height=height)


def cell_heatmaps(df: pd.DataFrame, *, x: str = "training step", y: str = "lag",
                  value: str = "log10 grad", cell: str = "cell", height: int = 220,
                  width: int = 140, y_title: str = "lag (steps back from the loss)"
                  ) -> alt.FacetChart:
    """Side-by-side heatmaps of ``value`` (already log10) by ``x`` and ``y``, one per cell.

    Non-finite cells (an exactly-zero gradient gives -inf) are drawn as grey crosses.
    """
    data = df.copy()
    v = pd.to_numeric(data[value], errors="coerce").astype(float)
    data["status"] = np.where(np.isfinite(v), STATUS_OK, STATUS_BAD)
    data["_shown"] = np.where(np.isfinite(v), v, np.nan)
    order = [c for c in CELL_DOMAIN if c in set(data[cell])]
    base = alt.Chart().encode(
        x=alt.X(f"{x}:O", title=x, axis=alt.Axis(labelOverlap=True, labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title, axis=alt.Axis(labelOverlap=True)),
    )
    rects = base.transform_filter(alt.datum.status == STATUS_OK).mark_rect().encode(
        color=alt.Color("_shown:Q", title="log10 ||dL/dh||", scale=alt.Scale(scheme="viridis"),
                        legend=alt.Legend(orient="bottom", gradientLength=260)),
        tooltip=[alt.Tooltip(f"{cell}:N"), alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:O"),
                 alt.Tooltip(f"{value}:Q", format=".3g")])
    bad = base.transform_filter(alt.datum.status != STATUS_OK).mark_text(
        text="×", color="#888888").encode(tooltip=[alt.Tooltip(f"{cell}:N"),
                                                   alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:O"),
                                                   alt.Tooltip("status:N")])
    return alt.layer(rects, bad, data=data).properties(height=height, width=width).facet(
        column=alt.Column(f"{cell}:N", title=None, sort=order,
                          header=alt.Header(labelFontSize=14, labelFontWeight="bold")))
