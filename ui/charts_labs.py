"""Chart builders for the labs: several training runs on one chart. Pure Altair, no Streamlit.

``run_lines`` draws one line per run, on a log or linear axis, in the app's visual language
(``ui.palette``):
- reference lines (chance, a clipping threshold, the step where a run first produced NaN/inf)
  sit UNDER the data and are named in the legend, never by a label on the chart;
- NaN / inf values never reach the scale: each is a cross on the top edge with its own legend
  entry (``palette.NAN_MARK``);
- log axes are ticked at whole powers of ten (``palette.LOG_TICK_FORMAT``);
- "ghost" runs (a ``ghost`` column, True) are drawn thin and pale behind the runs in focus and
  left out of the legend.
Every builder is memoised (``ui.chartcache.memo``) and must not be mutated after it returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from . import chartcache, palette
from .charts_effects import decades

__all__ = ["run_lines", "clip_share_bars", "RUN_COLORS", "run_colors"]

#: Lab 1's three runs: the unclipped one in the tanh RNN's vermillion (as on pages 2 and 5a),
#: norm clipping blue (5a's clipped run), value clipping reddish purple.
RUN_COLORS = {"no clipping": palette.BAD, "norm clipping": palette.OKABE_ITO[0],
              "value clipping": palette.OKABE_ITO[3]}
#: Reference lines: (colour, dash) by kind.
RULES = {"bad": (palette.BAD, palette.DASHED), "ref": (palette.REFERENCE, palette.DOTTED),
         "thr": (palette.OKABE_ITO[1], palette.DOTTED)}


def run_colors(names: Sequence[str], cells: Sequence[str] | None = None) -> list[str]:
    """A colour per run: Lab 1's fixed run colours, else the cell's colour (``cells``), else
    the Okabe-Ito palette in order (vermillion, the NaN colour, left out)."""
    cycle = [c for c in palette.OKABE_ITO if c != palette.BAD]
    out = []
    for i, n in enumerate(names):
        if n in RUN_COLORS:
            out.append(RUN_COLORS[n])
        elif cells is not None and cells[i] in palette.CELL_COLORS:
            out.append(palette.cell_color(cells[i]))
        else:
            out.append(cycle[i % len(cycle)])
    return out


@chartcache.memo
def run_lines(df: pd.DataFrame, x: str, y: str, run: str, *, log: bool = True,
              hrules: Sequence[dict] = (), x_title: str | None = None,
              y_title: str | None = None, height: int = 280,
              y_domain: Sequence[float] | None = None, floor: float = 1e-12,
              mark_first_bad: bool = True) -> alt.LayerChart:
    """Lines of ``y`` against ``x``, one per value of ``run`` (in order of appearance).

    df: tidy rows ``(x, y, run)``; NaN / inf in ``y`` are allowed. Optional columns: ``ghost``
    (bool: a faint run, not in the legend), ``cell`` (colour the run by its cell),
    ``first_bad`` (the step where that run first produced NaN/inf, or NaN: drawn as a dashed
    vertical line named in the legend when ``mark_first_bad``). ``hrules``: horizontal lines
    ``{"y", "label", "kind"}`` (``kind`` in :data:`RULES`). ``y_domain``: a fixed y range (a
    zoom); lines are clipped to it. On a log axis values below ``floor`` are drawn at it.
    """
    names = list(dict.fromkeys(df[run].astype(str)))
    ghost = (df.groupby(run, sort=False)["ghost"].first().to_dict() if "ghost" in df
             else {})
    cells = (list(df.groupby(run, sort=False)["cell"].first()[names]) if "cell" in df
             else None)
    colors = run_colors(names, cells)
    focus = [n for n in names if not ghost.get(n, False)]
    vrules: list[dict] = []
    if mark_first_bad and "first_bad" in df:
        fb = df.groupby(run, sort=False)["first_bad"].first()
        vrules = [{"x": float(fb[n]), "label": f"{n}: first NaN/inf, step {int(fb[n])}",
                   "kind": "bad"} for n in focus if pd.notna(fb[n])]
    rules = [(r, "v") for r in vrules] + [(r, "h") for r in hrules]
    domain = names + [r["label"] for r, _ in rules]
    rng = colors + [RULES[r.get("kind", "ref")][0] for r, _ in rules]
    dash = [palette.SOLID] * len(names) + [RULES[r.get("kind", "ref")][1] for r, _ in rules]
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
        rdf = pd.DataFrame({"x": [r["x"] for r in vrules], "_run": [r["label"] for r in vrules]})
        layers.append(alt.Chart(rdf).mark_rule(strokeWidth=2).encode(
            x=alt.X("x:Q"), color=color, strokeDash=stroke, tooltip=["_run:N"]))
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
def clip_share_bars(df: pd.DataFrame, *, run: str = "run", share: str = "share clipped (%)",
                    height: int = 120) -> alt.LayerChart:
    """Horizontal bars: the share of steps each run clipped (0-100 %), in the runs' colours,
    with the value printed beside each bar."""
    domain = list(df[run].astype(str))
    base = alt.Chart(df).encode(
        y=alt.Y(f"{run}:N", title=None, sort=domain),
        x=alt.X(f"{share}:Q", title="share of steps clipped (%)",
                scale=alt.Scale(domain=[0, 112]), axis=alt.Axis(values=[0, 25, 50, 75, 100])),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(f"{run}:N", scale=alt.Scale(domain=domain, range=run_colors(domain)),
                        legend=None),
        tooltip=[alt.Tooltip(f"{run}:N"), alt.Tooltip(f"{share}:Q", format=".1f")])
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text(f"{share}:Q", format=".0f"))
    return alt.layer(bars, text).properties(height=height)
