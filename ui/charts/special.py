"""Charts of their own kind: bars and histograms, the before/after dot plot, the cliff surface
with descent paths, the clipped-gradient vector picture, the threshold sweep and the
eigenvalue plane.

No Streamlit here. Colours and marks follow ``ui.palette`` (reference lines under the data and
named in the legend; NaN/inf their own legend entries; planes that show angles or circles are
square). Builders are memoised (``ui.chartcache.memo``) and must not be mutated.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from .. import chartcache, frames, palette
from .axes import (
    FLOOR,
    STATUS_OK,
    category,
    finite,
    flag_points,
    legend_items,
    log_axis,
    log_safe,
    status,
)

#: A ring (a disc with a hole; SVG path on the unit square) for hollow-looking points that keep
#: their colour and show as a ring in the legend too.
RING = ("M -1 0 A 1 1 0 1 0 1 0 A 1 1 0 1 0 -1 0 Z "
        "M -0.55 0 A 0.55 0.55 0 1 1 0.55 0 A 0.55 0.55 0 1 1 -0.55 0 Z")


#: The name of the click selection on :func:`cliff_map` (``select=True``).
START_PICK = "start"


WALL_LABEL = "the cliff edge"


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
    enc_color = category(color, label_limit=260) if color else alt.value(palette.OKABE_ITO[0])
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
        color=alt.Color(f"{run}:N", legend=None,
                        scale=alt.Scale(domain=domain, range=palette.run_colors(domain))),
        tooltip=[alt.Tooltip(f"{run}:N"), alt.Tooltip(f"{share}:Q", format=".1f")])
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text(f"{share}:Q", format=".0f"))
    return alt.layer(bars, text).properties(height=height)


@chartcache.memo
def before_after(df: pd.DataFrame, *, order: list[str], colours: list[str],
                 y_title: str, height: int = 280) -> alt.LayerChart:
    """One column per cell: its first/last gradient ratio at initialisation (hollow circle)
    and after training (filled), joined by a line, on a log axis.

    ``df``: ``label`` (the cell, in ``order``, coloured ``colours``), ``moment`` ("at
    initialisation" / "after training"), ``ratio``. Zero or non-finite ratios are drawn at
    the bottom as flagged marks with their own legend entry.
    """
    data = df.copy()
    data["status"] = status(data["ratio"], log10=False)
    ok = data["status"] == STATUS_OK
    low = float(data.loc[ok, "ratio"].min()) / 10 if ok.any() else 1e-20
    data["_y"] = np.where(ok, data["ratio"], low)
    x = alt.X("label:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, labelLimit=220))
    y = alt.Y("_y:Q", title=y_title, scale=alt.Scale(type="log"), axis=log_axis(data["_y"]))
    tips = [alt.Tooltip("label:N", title="cell"), alt.Tooltip("moment:N"),
            alt.Tooltip("ratio:Q", title="first/last", format=".2e")]
    span = data[ok].pivot_table(index="label", columns="moment", values="ratio").reset_index()
    layers = []
    if {"at initialisation", "after training"} <= set(span.columns):
        layers.append(alt.Chart(span.dropna()).mark_rule(strokeWidth=3, opacity=0.45).encode(
            x=x, y=alt.Y("at initialisation:Q"), y2=alt.Y2("after training:Q"),
            color=category("label", order, colours, legend=False)))
    points = alt.Chart(data[ok]).mark_point(size=300, filled=True, opacity=1).encode(
        x=x, y=y, color=category("label", order, colours, legend=False),
        shape=alt.Shape("moment:N", title=None, scale=alt.Scale(
            domain=["at initialisation", "after training"], range=[RING, "circle"]),
            legend=alt.Legend(orient="bottom", symbolFillColor=palette.REFERENCE,
                              symbolStrokeWidth=0, symbolSize=260)),
        tooltip=tips)
    layers.append(points)
    if (~ok).any():
        layers.append(flag_points(data[~ok], x, y, tips, size=120))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def cliff_map(surface: dict, paths: dict[str, dict], wall: dict | None = None, *,
              height: int = 300, select: bool = False,
              scheme: str = palette.SURFACE) -> alt.LayerChart:
    """The loss surface as a heat map (log10 loss in ``scheme``, greys by default, so the
    coloured paths stand out) with descent paths drawn over it.

    ``paths``: label -> a :func:`core.cliff.descend` result, all from the same start (a black
    square). Points outside the window are drawn on its edge as hollow diamonds with their
    real coordinates in the tooltip. ``wall``: the cliff line ``{"w": [...], "b": [...]}``,
    dashed, named in the path legend. ``select``: clicking a cell of the surface selects its
    (w, b) (selection :data:`START_PICK`), for a page that starts the paths there.
    """
    sdf = frames.surface_frame(surface)
    window = ((float(sdf["w_lo"].min()), float(sdf["w_hi"].max())),
              (float(sdf["b_lo"].min()), float(sdf["b_hi"].max())))
    xs = alt.Scale(domain=list(window[0]), nice=False, zero=False)
    ys = alt.Scale(domain=list(window[1]), nice=False, zero=False)
    heat = alt.Chart(sdf).mark_rect().encode(
        x=alt.X("w_lo:Q", scale=xs, title="recurrent weight w"), x2="w_hi:Q",
        y=alt.Y("b_lo:Q", scale=ys, title="bias b"), y2="b_hi:Q",
        fill=alt.Fill("log10_loss:Q", title="log10 loss", scale=alt.Scale(scheme=scheme),
                      legend=alt.Legend(orient="right", gradientLength=max(80, height - 80))),
        tooltip=[alt.Tooltip("w:Q", format=".2f"), alt.Tooltip("b:Q", format=".2f"),
                 alt.Tooltip("loss:Q", format=".3g")])
    if select:
        heat = heat.add_params(alt.selection_point(name=START_PICK, fields=["w", "b"],
                                                   on="click", clear=False))
    domain = list(paths)
    rng = [palette.PATH_COLORS.get(k, palette.OKABE_ITO[i % 8]) for i, k in enumerate(domain)]
    dash = [palette.SOLID] * len(domain)
    if wall and wall.get("w"):
        domain, rng, dash = domain + [WALL_LABEL], rng + [palette.OKABE_ITO[3]], \
            dash + [palette.DASHED]
    legend = palette.legend(columns=3, symbolType="stroke", symbolStrokeWidth=3, title=None)
    color = alt.Color("path:N", title=None, scale=alt.Scale(domain=domain, range=rng),
                      legend=legend)
    stroke = alt.StrokeDash("path:N", title=None, scale=alt.Scale(domain=domain, range=dash),
                            legend=legend)
    layers: list = [heat]
    if wall and wall.get("w"):
        wdf = pd.DataFrame({"w": wall["w"], "b": wall["b"], "path": WALL_LABEL})
        layers.append(alt.Chart(wdf).mark_line(strokeWidth=2).encode(
            x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys), color=color, strokeDash=stroke,
            tooltip=["path:N"]))
    pdf = frames.path_frame(paths, window)
    tips = [alt.Tooltip("path:N"), alt.Tooltip("step:Q"), alt.Tooltip("w:Q", format=".3g"),
            alt.Tooltip("b:Q", format=".3g"), alt.Tooltip("loss:Q", format=".3g"),
            alt.Tooltip("grad_norm:Q", title="||gradient|| here", format=".3g")]
    base = alt.Chart(pdf).encode(x=alt.X("w:Q", scale=xs, title="recurrent weight w"),
                                 y=alt.Y("b:Q", scale=ys, title="bias b"))
    layers.append(base.mark_line(strokeWidth=2.5, clip=True).encode(
        order="order:Q", detail="seg:N", color=color, strokeDash=stroke))
    layers.append(base.transform_filter(alt.datum.kind == "point").mark_circle(
        size=30, opacity=0.95).encode(color=color, tooltip=tips))
    layers.append(base.transform_filter(alt.datum.kind != "point").mark_point(
        shape="diamond", size=220, filled=False, strokeWidth=3).encode(
        color=color, tooltip=[alt.Tooltip("path:N"), alt.Tooltip("kind:N", title="the path"),
                                 alt.Tooltip("step:Q", title="at step"),
                                 alt.Tooltip("to_w:Q", title="to w", format=".3g"),
                                 alt.Tooltip("to_b:Q", title="to b", format=".3g")]))
    if paths:
        first = next(iter(paths.values()))
        if first["w"] and frames.inside_window(first["w"][0], first["b"][0], window):
            st_df = pd.DataFrame({"w": [first["w"][0]], "b": [first["b"][0]], "label": "start"})
            layers.append(alt.Chart(st_df).mark_point(
                shape="square", size=150, filled=True, color="#000000",
                stroke="#FFFFFF", strokeWidth=1.5).encode(
                x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
                tooltip=["label:N", alt.Tooltip("w:Q"), alt.Tooltip("b:Q")]))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def vector_plot(res: dict, *, height: int = 260, width: int | None = None) -> alt.LayerChart:
    """Arrows from the origin for the original, norm-clipped and value-clipped gradients, the
    norm ball (circle of radius c) and the value box ([-c, c]^2), and an arc from the
    original's direction to the value-clipped one (the turn, named in the legend with its
    angle). Both axes span the same range, zoomed on the threshold region; a longer original
    arrow runs off the chart (a dotted line continues its direction). The plot is square
    (``width`` defaults to ``height``) so the angles drawn are the angles computed."""
    c = float(res["threshold"])
    vdf = frames.vector_frame(res)
    clipped = vdf[vdf["vector"] != "original gradient"][["x", "y"]].to_numpy()
    lim = 1.2 * max(c, float(np.nanmax(np.abs(clipped))) if clipped.size else c)
    neg_x = bool((vdf["x"] < 0).any())
    neg_y = bool((vdf["y"] < 0).any())
    dom_x = [-lim if neg_x else -0.15 * lim, lim]
    dom_y = [-lim if neg_y else -0.15 * lim, lim]
    span = max(dom_x[1] - dom_x[0], dom_y[1] - dom_y[0])  # same span on both axes
    dom_x[0], dom_y[0] = dom_x[1] - span, dom_y[1] - span
    sc = alt.Scale(domain=dom_x, nice=False, zero=False)
    scy = alt.Scale(domain=dom_y, nice=False, zero=False)
    turn = abs(float(res["turn_value"]))
    names = ["original gradient", "norm-clipped", f"value-clipped: turned {turn:.1f}°",
             f"||g|| ≤ {c:g}", f"all |g_i| ≤ {c:g}"]
    palette_ = [palette.OKABE_ITO[7], palette.PATH_COLORS["clipped"], palette.OKABE_ITO[1],
                "#8A8A8A", "#4A5058"]
    dashes = [palette.SOLID, palette.SOLID, palette.SOLID, palette.DASHED, palette.DOTTED]
    legend = palette.legend(columns=2, label_limit=190, symbolType="stroke",
                            symbolStrokeWidth=3)
    color = alt.Color("what:N", title=None, scale=alt.Scale(domain=names, range=palette_),
                      legend=legend)
    stroke = alt.StrokeDash("what:N", title=None, scale=alt.Scale(domain=names, range=dashes),
                            legend=legend)
    th = np.linspace(-np.pi, np.pi, 181)
    circle = pd.DataFrame({"x": c * np.cos(th), "y": c * np.sin(th), "o": np.arange(181),
                           "what": names[3]})
    box = pd.DataFrame({"x": [-c, c, c, -c, -c], "y": [-c, -c, c, c, -c], "o": range(5),
                        "what": names[4]})
    shapes = alt.Chart(pd.concat([circle, box])).mark_line(strokeWidth=1.5, clip=True).encode(
        x=alt.X("x:Q", scale=sc, title="gradient component 1"),
        y=alt.Y("y:Q", scale=scy, title="gradient component 2"),
        order="o:Q", detail="what:N", color=color, strokeDash=stroke)
    label = {"original gradient": names[0], "norm-clipped": names[1],
             "value-clipped": names[2]}
    seg = vdf.assign(x0=0.0, y0=0.0, what=vdf["vector"].map(label))
    tips = [alt.Tooltip("vector:N"), alt.Tooltip("x:Q", format=".4f"),
            alt.Tooltip("y:Q", format=".4f"), alt.Tooltip("norm:Q", format=".4f"),
            alt.Tooltip("angle_deg:Q", title="angle (degrees)", format=".2f")]
    ray = seg[seg["vector"] == "original gradient"].assign(
        x=lambda d: d["x"] * 100, y=lambda d: d["y"] * 100)  # its direction, to the edge
    guide = alt.Chart(ray).mark_rule(strokeDash=[1, 3], color="#000000", clip=True).encode(
        x=alt.X("x0:Q", scale=sc), y=alt.Y("y0:Q", scale=scy), x2="x:Q", y2="y:Q")
    a0 = math.radians(float(res["original"]["angle"]))
    a1 = math.radians(float(res["value"]["angle"]))
    rad = 0.45 * c
    ts = np.linspace(a0, a1, 40)
    arc = alt.Chart(pd.DataFrame({"x": rad * np.cos(ts), "y": rad * np.sin(ts),
                                  "o": np.arange(40), "what": names[2]})).mark_line(
        strokeWidth=2.5, clip=True).encode(x=alt.X("x:Q", scale=sc), y=alt.Y("y:Q", scale=scy),
                                           order="o:Q", color=color, strokeDash=stroke)
    widths = alt.StrokeWidth("vector:N", scale=alt.Scale(domain=list(frames.VECTOR_NAMES.values()),
                                                         range=[6, 3.5, 3.5]), legend=None)
    rule = alt.Chart(seg).mark_rule(clip=True).encode(
        x=alt.X("x0:Q", scale=sc), y=alt.Y("y0:Q", scale=scy), x2="x:Q", y2="y:Q",
        color=color, strokeDash=stroke, strokeWidth=widths, tooltip=tips)
    heads = alt.Chart(seg).mark_point(shape="circle", size=90, filled=True, clip=True).encode(
        x=alt.X("x:Q", scale=sc), y=alt.Y("y:Q", scale=scy), color=color, tooltip=tips)
    return alt.layer(shapes, guide, arc, rule, heads).properties(height=height,
                                                                 width=width or height)


@chartcache.memo
def norm_histogram(hdf: pd.DataFrame, threshold: float | None, *, reference: float | None,
                   height: int = 200) -> alt.LayerChart:
    """Bars of :func:`norm_bins` (log x) under a y axis that holds the tallest bar, over the
    Pascanu band (0.5x to 10x ``reference``, the measured average) and with the threshold and
    the average as lines named in the legend."""
    xs = alt.Scale(type="log")
    top = max(1, int(hdf["steps"].max()) if len(hdf) else 1)
    items: list[tuple[str, str, list]] = []  # (label, colour, dash)
    layers: list = []
    has_ref = reference is not None and math.isfinite(reference) and reference > 0
    band_label = (f"Pascanu's range: {0.5 * reference:.2g} to {10 * reference:.2g}" if has_ref
                  else "")
    if has_ref:
        items.append((band_label, "#BFE3D6", palette.SOLID))
    if threshold is not None:
        items.append((f"your threshold c = {threshold:g}", palette.BAD, palette.DASHED))
    if has_ref:
        items.append((f"average norm {reference:.3g}", palette.OKABE_ITO[2], palette.DOTTED))
    color, stroke = legend_items(items, columns=2, label_limit=240, symbolType="stroke",
                                 symbolStrokeWidth=4)
    if has_ref:
        band = pd.DataFrame({"from": [0.5 * reference], "to": [10 * reference],
                             "what": [band_label]})
        layers.append(alt.Chart(band).mark_rect(opacity=0.6).encode(
            x=alt.X("from:Q", scale=xs), x2="to:Q", color=color, tooltip=["what:N"]))
    layers.append(alt.Chart(hdf).mark_rect(color=palette.MEASURED, opacity=0.9).encode(
        x=alt.X("from:Q", scale=xs, title="gradient norm before clipping (log scale)",
                axis=alt.Axis(format=palette.LOG_TICK_FORMAT)),
        x2="to:Q",
        y=alt.Y("steps:Q", title="training steps",
                scale=alt.Scale(domain=[0, math.ceil(1.1 * top)], nice=True)),
        y2=alt.datum(0),
        tooltip=[alt.Tooltip("from:Q", format=".3g"), alt.Tooltip("to:Q", format=".3g"),
                 alt.Tooltip("steps:Q")]))
    lines = []
    if threshold is not None:
        lines.append((threshold, items[1 if has_ref else 0][0]))
    if has_ref:
        lines.append((reference, items[-1][0]))
    if lines:
        ldf = pd.DataFrame({"x": [v for v, _ in lines], "what": [n for _, n in lines]})
        layers.append(alt.Chart(ldf).mark_rule(strokeWidth=3).encode(
            x=alt.X("x:Q", scale=xs), color=color, strokeDash=stroke, tooltip=["what:N"]))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def sweep_chart(sdf: pd.DataFrame, *, reference: float, chance: float,
                height: int = 220) -> alt.LayerChart:
    """Final loss against the norm-clipping threshold (both log), over Pascanu's band and the
    dotted chance line; a run that blew up is a cross on the top edge (its own legend entry).
    ``sdf``: ``threshold``, ``final_loss`` (NaN when it blew up), ``blew_up``,
    ``share_clipped``."""
    xs, ys = alt.Scale(type="log"), alt.Scale(type="log")
    data = sdf.copy()
    data["outcome"] = np.where(data["blew_up"], "blew up (NaN)", "finite")
    band_label = "Pascanu's range (0.5x-10x)"
    chance_label = f"chance {chance:.3f}"
    line_label = "final loss of one run"
    items = [(line_label, palette.MEASURED, palette.SOLID),
             (chance_label, palette.REFERENCE, palette.DOTTED)]
    if math.isfinite(reference):
        items.append((band_label, "#BFE3D6", palette.SOLID))
    color, stroke = legend_items(items, columns=2, label_limit=240, symbolType="stroke",
                                 symbolStrokeWidth=4)
    layers: list = []
    if math.isfinite(reference):
        band = pd.DataFrame({"from": [0.5 * reference], "to": [10 * reference],
                             "what": [band_label]})
        layers.append(alt.Chart(band).mark_rect(opacity=0.6).encode(
            x=alt.X("from:Q", scale=xs), x2="to:Q", color=color, tooltip=["what:N"]))
    layers.append(alt.Chart(pd.DataFrame({"y": [chance], "what": [chance_label]})).mark_rule(
        strokeWidth=2).encode(y=alt.Y("y:Q", scale=ys), color=color, strokeDash=stroke))
    ok = data[finite(data["final_loss"]) & ~data["blew_up"].astype(bool)].assign(
        what=line_label)
    tips = [alt.Tooltip("threshold:Q"), alt.Tooltip("final_loss:Q", title="final loss",
                                                    format=".3g"),
            alt.Tooltip("share_clipped:Q", title="share of steps clipped", format=".0%"),
            alt.Tooltip("outcome:N")]
    layers.append(alt.Chart(ok).mark_line(point=alt.OverlayMarkDef(size=80),
                                          strokeWidth=2.5).encode(
        x=alt.X("threshold:Q", scale=xs, title="norm-clipping threshold c (log)",
                axis=alt.Axis(format=palette.LOG_TICK_FORMAT)),
        y=alt.Y("final_loss:Q", scale=ys, title="final loss (log)",
                axis=alt.Axis(format=palette.LOG_TICK_FORMAT)),
        color=color, strokeDash=stroke, tooltip=tips))
    blew = data[data["blew_up"].astype(bool)].assign(flag=palette.NAN_MARK)
    if len(blew):
        layers.append(alt.Chart(blew).mark_point(shape="cross", size=160, filled=True,
                                                 color=palette.BAD).encode(
            x=alt.X("threshold:Q", scale=xs), y=alt.value(4), tooltip=tips,
            shape=alt.Shape("flag:N", title=None, scale=alt.Scale(
                domain=[palette.NAN_MARK], range=["cross"]), legend=alt.Legend(orient="bottom"))))
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
                        scale=alt.Scale(domain=names,
                                        range=[palette.OKABE_ITO[1], palette.REFERENCE]),
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
