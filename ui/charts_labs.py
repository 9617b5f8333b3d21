"""Chart builders for the labs: several training runs on one chart. Pure Altair, no Streamlit.

``run_lines`` draws one line per run, on a log or linear axis, with the lab's two extra needs:
- NaN / inf values (an exploded run) never reach the scale: each is drawn as a red cross at the
  top edge, at its step, with "non-finite" in the tooltip; the first one of every run also gets
  a labelled vertical rule in the run's colour.
- Faint "ghost" runs: earlier runs drawn thin and pale behind the ones in focus.
Colours are the Okabe-Ito palette of ``ui.charts`` (colour-blind safe), fixed per run name via
``color_domain`` so a run keeps its colour from chart to chart.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import OKABE_ITO

__all__ = ["run_lines", "top_of", "clip_share_bars"]

BAD_COLOR = "#D55E00"


def top_of(values: pd.Series, *, log: bool) -> float:
    """Where non-finite markers sit: a little above the largest finite value."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    v = v[np.isfinite(v) & ((v > 0) if log else True)]
    if v.empty:
        return 1.0
    hi = float(v.max())
    if log:
        return hi * 3.0
    lo = float(v.min())
    return hi + 0.05 * max(hi - lo, abs(hi), 1e-12)


def run_lines(df: pd.DataFrame, x: str, y: str, run: str, *, log_y: bool = False,
              x_title: str | None = None, y_title: str | None = None,
              color_domain: list[str] | None = None, ghosts: list[str] | None = None,
              rules: dict[str, float] | None = None, events: pd.DataFrame | None = None,
              height: int = 300, stroke_width: float = 2.2,
              y_domain: tuple[float, float] | None = None) -> alt.LayerChart:
    """Lines of ``y`` against ``x``, one per value of ``run``.

    df: tidy rows ``(x, y, run)``; NaN / inf in ``y`` are allowed. ``ghosts``: runs drawn faint
    (opacity 0.3, thin). ``rules``: horizontal reference lines ``{label: value}`` (dashed grey).
    ``events``: rows ``(run, x, label)`` drawn as dashed vertical rules in the run's colour,
    e.g. where each run first produced NaN/inf. Log axes never see values <= 0: those rows are
    dropped from the line (they are listed in the data table under the chart). ``y_domain``:
    a fixed y range (a zoom); the lines are clipped to it and NaN/inf markers sit at its top.
    """
    data = df[[x, y, run]].copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    finite = np.isfinite(v) & ((v > 0) if log_y else True)
    nonfinite = ~np.isfinite(v)
    domain = color_domain or list(dict.fromkeys(data[run].astype(str)))
    palette = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(domain))]
    color = alt.Color(f"{run}:N", title=None, scale=alt.Scale(domain=domain, range=palette),
                      legend=alt.Legend(orient="bottom", labelLimit=260))
    ghost_set = set(ghosts or [])
    data["_ghost"] = data[run].astype(str).isin(ghost_set)
    if y_domain is not None:
        scale = alt.Scale(type="log" if log_y else "linear", domain=list(y_domain))
    else:
        scale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    xt, yt = x_title or x, y_title or y
    line_rows = data[finite].copy()
    line_rows[y] = v[finite]
    line = alt.Chart(line_rows).mark_line(strokeWidth=stroke_width, clip=True).encode(
        x=alt.X(f"{x}:Q", title=xt),
        y=alt.Y(f"{y}:Q", title=yt, scale=scale),
        color=color,
        detail=f"{run}:N",
        opacity=alt.condition(alt.datum._ghost, alt.value(0.28), alt.value(1.0)),
        strokeWidth=alt.condition(alt.datum._ghost, alt.value(1.2), alt.value(stroke_width)),
        tooltip=[alt.Tooltip(f"{run}:N", title="run"), alt.Tooltip(f"{x}:Q", title=xt),
                 alt.Tooltip(f"{y}:Q", title=yt, format=".4g")],
    )
    layers: list[alt.Chart] = [line]
    if nonfinite.any():
        bad = data[nonfinite].copy()
        bad["value"] = np.where(np.isnan(v[nonfinite]), "NaN",
                                np.where(v[nonfinite] > 0, "+inf", "-inf"))
        bad[y] = y_domain[1] if y_domain is not None else top_of(v[finite], log=log_y)
        layers.append(alt.Chart(bad).mark_point(shape="cross", size=70, filled=True, clip=True,
                                                color=BAD_COLOR).encode(
            x=f"{x}:Q", y=alt.Y(f"{y}:Q", scale=scale),
            tooltip=[alt.Tooltip(f"{run}:N", title="run"), alt.Tooltip(f"{x}:Q", title=xt),
                     alt.Tooltip("value:N", title="non-finite value")]))
    if events is not None and len(events):
        ev = events.rename(columns={"x": x}).copy()
        ev["_ghost"] = ev[run].astype(str).isin(ghost_set)
        layers.append(alt.Chart(ev).mark_rule(strokeDash=[5, 3], strokeWidth=2).encode(
            x=f"{x}:Q", color=color,
            opacity=alt.condition(alt.datum._ghost, alt.value(0.3), alt.value(0.9)),
            tooltip=[alt.Tooltip(f"{run}:N", title="run"), alt.Tooltip("label:N", title="event"),
                     alt.Tooltip(f"{x}:Q", title=xt)]))
        # labels: stacked one per line from the top; right of the rule in the left part of
        # the chart, left of it near the right edge, so they are never cut off
        xs = pd.to_numeric(data[x], errors="coerce")
        lo, hi = float(np.nanmin(xs)) if len(xs) else 0.0, float(np.nanmax(xs)) if len(xs) else 1.0
        cut = lo + 0.6 * (hi - lo)
        for i, (_, row) in enumerate(ev.iterrows()):
            right_side = float(row[x]) <= cut
            layers.append(alt.Chart(pd.DataFrame([row])).mark_text(
                align="left" if right_side else "right", dx=4 if right_side else -4,
                dy=10 + 15 * i, fontWeight="bold").encode(
                x=f"{x}:Q", y=alt.value(0), text="label:N", color=color,
                opacity=alt.condition(alt.datum._ghost, alt.value(0.4), alt.value(1.0))))
    if rules:
        rdf = pd.DataFrame({"label": list(rules), "value": [float(r) for r in rules.values()]})
        rdf = rdf[np.isfinite(rdf["value"]) & ((rdf["value"] > 0) if log_y else True)]
        if len(rdf):
            layers.append(alt.Chart(rdf).mark_rule(strokeDash=[6, 4], color="#555555",
                                                   clip=True).encode(
                y=alt.Y("value:Q", scale=scale),
                tooltip=["label:N", alt.Tooltip("value:Q", format=".4g")]))
            layers.append(alt.Chart(rdf).mark_text(align="left", dx=4, dy=-6,
                                                   color="#333333").encode(
                y=alt.Y("value:Q", scale=scale), x=alt.value(4), text="label:N"))
    return alt.layer(*layers).resolve_scale(color="shared").properties(height=height)


def clip_share_bars(df: pd.DataFrame, *, run: str = "run", share: str = "share clipped (%)",
                    color_domain: list[str] | None = None, height: int = 220) -> alt.Chart:
    """Horizontal bars: the share of steps each run clipped (0-100 %)."""
    domain = color_domain or list(df[run].astype(str))
    palette = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(domain))]
    base = alt.Chart(df).encode(
        y=alt.Y(f"{run}:N", title=None, sort=domain),
        x=alt.X(f"{share}:Q", title="share of steps clipped (%)",
                scale=alt.Scale(domain=[0, 100])),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(f"{run}:N", scale=alt.Scale(domain=domain, range=palette), legend=None),
        tooltip=[alt.Tooltip(f"{run}:N"), alt.Tooltip(f"{share}:Q", format=".1f")])
    text = base.mark_text(align="left", dx=4).encode(
        text=alt.Text(f"{share}:Q", format=".0f"))
    return alt.layer(bars, text).properties(height=height)
