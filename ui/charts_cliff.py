"""Altair builders for the exploding and clipping pages: the cliff surface with descent paths,
the 2-D clipped-gradient picture and the pre-clip gradient-norm histogram. Pure functions of
plain data (no Streamlit), NaN-safe like ``ui.charts``.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from .charts import OKABE_ITO

#: Colours of the paths, fixed so "unclipped" is the same orange on both pages.
PATH_COLORS = {"unclipped": OKABE_ITO[5], "clipped": OKABE_ITO[0]}


# -- the cliff ----------------------------------------------------------------------------------
def surface_frame(surface: dict) -> pd.DataFrame:
    """Tidy cells of a loss surface: w, b, their cell edges, loss and log10 loss."""
    w = np.asarray(surface["w"], dtype=float)
    b = np.asarray(surface["b"], dtype=float)
    loss = np.asarray(surface["loss"], dtype=float)  # (len(b), len(w))
    dw = (w[1] - w[0]) / 2 if len(w) > 1 else 0.5
    db = (b[1] - b[0]) / 2 if len(b) > 1 else 0.5
    B, W = np.meshgrid(b, w, indexing="ij")
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.log10(np.maximum(loss, 1e-12))
    df = pd.DataFrame({"w": W.ravel(), "b": B.ravel(), "loss": loss.ravel(),
                       "log10_loss": lg.ravel()})
    df["w_lo"], df["w_hi"] = df["w"] - dw, df["w"] + dw
    df["b_lo"], df["b_hi"] = df["b"] - db, df["b"] + db
    df.loc[~np.isfinite(df["loss"]), "log10_loss"] = np.nan
    return df


def path_table(paths: dict[str, dict]) -> pd.DataFrame:
    """Every point of every path as a table: path, step, w, b, loss, pre-clip gradient norm."""
    rows = []
    for label, p in paths.items():
        for i in range(len(p["w"])):
            rows.append({"path": label, "step": i, "w": float(p["w"][i]), "b": float(p["b"][i]),
                         "loss": float(p["loss"][i]) if i < len(p["loss"]) else math.nan,
                         "grad_norm": (float(p["grad_norm"][i]) if i < len(p["grad_norm"])
                                       else math.nan)})
    return pd.DataFrame(rows)


def _clip_segment(p, q, box):
    """Liang-Barsky: the part of segment p->q inside ``box`` as (t0, t1), or None."""
    (x0, x1), (y0, y1) = box
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return None
            continue
        r = qk / pk
        if pk < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return t0, t1


def _path_rows(label: str, p: dict, window) -> list[dict]:
    """The rows :func:`path_frame` draws for one path."""
    ws, bs = [float(v) for v in p["w"]], [float(v) for v in p["b"]]
    losses = [float(v) for v in p["loss"]]
    gns = [float(v) for v in p["grad_norm"]]
    rows: list[dict] = []
    seg = 0

    def add(i, w, b, kind, to=(math.nan, math.nan)):
        rows.append({"path": label, "seg": f"{label}-{seg}", "order": len(rows), "step": i,
                     "w": w, "b": b, "kind": kind, "to_w": to[0], "to_b": to[1],
                     "loss": losses[i] if i < len(losses) else math.nan,
                     "grad_norm": gns[i] if i < len(gns) else math.nan})

    if ws and inside_window(ws[0], bs[0], window):
        add(0, ws[0], bs[0], "point")
    for i in range(1, len(ws)):
        a, c = (ws[i - 1], bs[i - 1]), (ws[i], bs[i])
        ina, inc = inside_window(*a, window), inside_window(*c, window)
        finite = all(map(math.isfinite, a + c))
        if ina and inc:
            add(i, c[0], c[1], "point")
        elif ina:
            cut = _clip_segment(a, c, window) if finite else None
            t1 = cut[1] if cut else 0.0
            add(i - 1, a[0] + t1 * (c[0] - a[0]), a[1] + t1 * (c[1] - a[1]), "exit", c)
            seg += 1
        elif inc:
            cut = _clip_segment(a, c, window) if finite else None
            t0 = cut[0] if cut else 1.0
            add(i - 1, a[0] + t0 * (c[0] - a[0]), a[1] + t0 * (c[1] - a[1]), "entry", a)
            add(i, c[0], c[1], "point")
    return rows


def path_frame(paths: dict[str, dict], window: tuple[tuple[float, float], tuple[float, float]]
               ) -> pd.DataFrame:
    """What to draw of each path inside ``window``: its points, cut where it leaves.

    Rows: ``path``, ``seg`` (a new segment starts after every exit), ``order``, ``step``,
    ``w``, ``b`` (drawn position), ``kind`` ("point", "exit" where a step leaves the window,
    "entry" where one comes back), and for tooltips ``to_w``, ``to_b`` (where that step really
    went), ``loss`` and ``grad_norm`` at the point.
    """
    rows: list[dict] = []
    for label, p in paths.items():
        rows.extend(_path_rows(label, p, window))
    return pd.DataFrame(rows, columns=["path", "seg", "order", "step", "w", "b", "kind", "to_w",
                                       "to_b", "loss", "grad_norm"])


def cliff_map(surface: dict, paths: dict[str, dict], wall: dict | None = None, *,
              height: int = 380, title: str | None = None, compact: bool = False
              ) -> alt.LayerChart:
    """The loss surface as a heat map (log10 loss) with descent paths drawn over it.

    ``paths``: label -> a :func:`core.cliff.descend` result. Points outside the window are
    drawn on its edge as hollow diamonds with their real coordinates in the tooltip.
    ``wall``: the cliff line ``{"w": [...], "b": [...]}``, drawn dashed. ``compact``: for a
    narrow column: the loss legend goes below, and there is no path legend.
    """
    sdf = surface_frame(surface)
    window = ((float(sdf["w_lo"].min()), float(sdf["w_hi"].max())),
              (float(sdf["b_lo"].min()), float(sdf["b_hi"].max())))
    xs = alt.Scale(domain=list(window[0]), nice=False, zero=False)
    ys = alt.Scale(domain=list(window[1]), nice=False, zero=False)
    heat = alt.Chart(sdf).mark_rect().encode(
        x=alt.X("w_lo:Q", scale=xs, title="recurrent weight w"), x2="w_hi:Q",
        y=alt.Y("b_lo:Q", scale=ys, title="bias b"), y2="b_hi:Q",
        color=alt.Color("log10_loss:Q", title="log10 loss", scale=alt.Scale(scheme="greys"),
                        legend=alt.Legend(orient="bottom" if compact else "right",
                                          gradientLength=120 if compact else 200)),
        tooltip=[alt.Tooltip("w:Q", format=".2f"), alt.Tooltip("b:Q", format=".2f"),
                 alt.Tooltip("loss:Q", format=".3g")])
    layers: list = [heat]
    if wall and wall.get("w"):
        wdf = pd.DataFrame({"w": wall["w"], "b": wall["b"], "what": "the cliff edge"})
        layers.append(alt.Chart(wdf).mark_line(color="#CC79A7", strokeDash=[6, 4],
                                               strokeWidth=2).encode(
            x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys), tooltip=["what:N"]))
    pdf = path_frame(paths, window)
    domain = list(paths)
    rng = [PATH_COLORS.get(k, OKABE_ITO[i % len(OKABE_ITO)]) for i, k in enumerate(domain)]
    color = alt.Color("path:N", title="path", scale=alt.Scale(domain=domain, range=rng),
                      legend=None if compact else alt.Legend(orient="bottom"))
    tips = [alt.Tooltip("path:N"), alt.Tooltip("step:Q"), alt.Tooltip("w:Q", format=".3g"),
            alt.Tooltip("b:Q", format=".3g"), alt.Tooltip("loss:Q", format=".3g"),
            alt.Tooltip("grad_norm:Q", title="||gradient|| here", format=".3g")]
    base = alt.Chart(pdf).encode(x=alt.X("w:Q", scale=xs, title="recurrent weight w"),
                                 y=alt.Y("b:Q", scale=ys, title="bias b"))
    layers.append(base.mark_line(strokeWidth=2.5, clip=True).encode(
        order="order:Q", detail="seg:N", color=color))
    nolegend = alt.Color("path:N", scale=alt.Scale(domain=domain, range=rng), legend=None)
    layers.append(base.transform_filter(alt.datum.kind == "point").mark_circle(
        size=30, opacity=0.95).encode(color=nolegend, tooltip=tips))
    layers.append(base.transform_filter(alt.datum.kind != "point").mark_point(
        shape="diamond", size=220, filled=False, strokeWidth=3).encode(
        color=nolegend, tooltip=[alt.Tooltip("path:N"), alt.Tooltip("kind:N", title="the path"),
                                 alt.Tooltip("step:Q", title="at step"),
                                 alt.Tooltip("to_w:Q", title="to w", format=".3g"),
                                 alt.Tooltip("to_b:Q", title="to b", format=".3g")]))
    if paths:
        first = next(iter(paths.values()))
        if first["w"] and inside_window(first["w"][0], first["b"][0], window):
            st_df = pd.DataFrame({"w": [first["w"][0]], "b": [first["b"][0]], "label": "start"})
            layers.append(alt.Chart(st_df).mark_point(
                shape="square", size=130, filled=True, color="#000000").encode(
                x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
                tooltip=["label:N", alt.Tooltip("w:Q"), alt.Tooltip("b:Q")]))
    chart = alt.layer(*layers).properties(height=height)
    if title:
        chart = chart.properties(title=title)
    return chart


def inside_window(w: float, b: float, window) -> bool:
    (w0, w1), (b0, b1) = window
    return math.isfinite(w) and math.isfinite(b) and w0 <= w <= w1 and b0 <= b <= b1


def nan_rule(step: float, label: str, *, left: bool = True) -> alt.LayerChart:
    """A dashed vertical line at ``step``, labelled to its left (``left``: it usually sits at
    the right end of a curve that stops there) or to its right."""
    d = pd.DataFrame({"step": [step], "label": [label]})
    rule = alt.Chart(d).mark_rule(color=OKABE_ITO[5], strokeWidth=2, strokeDash=[4, 2]).encode(
        x="step:Q", tooltip=["label:N"])
    text = alt.Chart(d).mark_text(align="right" if left else "left", dx=-4 if left else 4,
                                  dy=8, color=OKABE_ITO[5],
                                  fontWeight="bold").encode(x="step:Q", y=alt.value(0),
                                                            text="label:N")
    return alt.layer(rule, text)


def step_rule(step: float, label: str, *, color: str = OKABE_ITO[3], left: bool = False,
              dy: int = 24) -> alt.LayerChart:
    """A dotted vertical line at ``step`` with its label (for a phase boundary). Like
    :func:`nan_rule`, but labelled lower down (``dy``) so both labels can share a chart."""
    d = pd.DataFrame({"step": [step], "label": [label]})
    rule = alt.Chart(d).mark_rule(color=color, strokeWidth=2, strokeDash=[1, 3]).encode(
        x="step:Q", tooltip=["label:N"])
    text = alt.Chart(d).mark_text(align="right" if left else "left", dx=-4 if left else 4,
                                  dy=dy, color=color, fontWeight="bold").encode(
        x="step:Q", y=alt.value(0), text="label:N")
    return alt.layer(rule, text)


# -- one gradient vector, clipped two ways ------------------------------------------------------
def vector_frame(res: dict) -> pd.DataFrame:
    names = {"original": "original gradient", "norm": "norm-clipped", "value": "value-clipped"}
    return pd.DataFrame([{"vector": names[k], "x": res[k]["x"], "y": res[k]["y"],
                          "norm": res[k]["norm"], "angle_deg": res[k]["angle"]}
                         for k in ("original", "norm", "value")])


def vector_plot(res: dict, *, height: int = 400) -> alt.LayerChart:
    """Arrows from the origin for the original, norm-clipped and value-clipped gradients, the
    norm ball (circle of radius c) and the value box ([-c, c]^2). Both axes span the same
    range, zoomed on the threshold region; a longer original arrow runs off the chart."""
    c = float(res["threshold"])
    vdf = vector_frame(res)
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
    th = np.linspace(-np.pi, np.pi, 181)
    names = ["original gradient", "norm-clipped", "value-clipped", f"norm ball ||g|| <= {c:g}",
             f"value box |g_i| <= {c:g}"]
    palette = [OKABE_ITO[7], OKABE_ITO[0], OKABE_ITO[5], "#999999", "#555555"]
    color = alt.Color("what:N", title=None, scale=alt.Scale(domain=names, range=palette),
                      legend=alt.Legend(orient="top", columns=2, values=names[:3],
                                        symbolType="stroke"))
    circle = pd.DataFrame({"x": c * np.cos(th), "y": c * np.sin(th), "o": np.arange(181),
                           "what": names[3]})
    box = pd.DataFrame({"x": [-c, c, c, -c, -c], "y": [-c, -c, c, c, -c], "o": range(5),
                        "what": names[4]})
    shape_layer = alt.Chart(pd.concat([circle, box])).mark_line(
        strokeDash=[5, 4], clip=True).encode(
        x=alt.X("x:Q", scale=sc, title="gradient component 1"),
        y=alt.Y("y:Q", scale=scy, title="gradient component 2"),
        order="o:Q", detail="what:N", color=color)
    seg = vdf.assign(x0=0.0, y0=0.0, what=vdf["vector"])
    tips = [alt.Tooltip("vector:N"), alt.Tooltip("x:Q", format=".4f"),
            alt.Tooltip("y:Q", format=".4f"), alt.Tooltip("norm:Q", format=".4f"),
            alt.Tooltip("angle_deg:Q", title="angle (degrees)", format=".2f")]
    ray = seg[seg["vector"] == "original gradient"].assign(
        x=lambda d: d["x"] * 100, y=lambda d: d["y"] * 100)  # its direction, to the edge
    guide = alt.Chart(ray).mark_rule(strokeDash=[1, 3], color="#000000", clip=True).encode(
        x=alt.X("x0:Q", scale=sc), y=alt.Y("y0:Q", scale=scy), x2="x:Q", y2="y:Q")
    widths = alt.Size("vector:N", scale=alt.Scale(
        domain=list(vdf["vector"]), range=[6, 3.5, 3.5]), legend=None)
    rule = alt.Chart(seg).mark_rule(clip=True).encode(
        x=alt.X("x0:Q", scale=sc), y=alt.Y("y0:Q", scale=scy), x2="x:Q", y2="y:Q",
        color=color, strokeWidth=alt.StrokeWidth("vector:N", scale=alt.Scale(
            domain=list(vdf["vector"]), range=[5, 3, 3]), legend=None), tooltip=tips)
    heads = alt.Chart(seg).mark_point(shape="circle", size=90, filled=True, clip=True).encode(
        x=alt.X("x:Q", scale=sc), y=alt.Y("y:Q", scale=scy), color=color, tooltip=tips)
    del widths
    return alt.layer(shape_layer, guide, rule, heads).properties(height=height)


# -- pre-clip gradient norms --------------------------------------------------------------------
def norm_histogram(norms: list[float], threshold: float | None, *, reference: float | None,
                   bins: int = 30, height: int = 280) -> tuple[alt.LayerChart, pd.DataFrame]:
    """Histogram of pre-clip gradient norms on log-spaced bins, with the threshold line and the
    Pascanu heuristic band (0.5x to 10x ``reference``, the measured average) shaded.

    Returns (chart, the bins as a DataFrame). Non-finite norms are left out (counted by the
    caller); an empty list gives an empty chart with the lines only.
    """
    v = np.asarray([x for x in norms if x is not None and math.isfinite(x) and x > 0], float)
    if len(v):
        lo, hi = np.log10(v.min()), np.log10(v.max())
        if hi - lo < 1e-6:
            lo, hi = lo - 0.5, hi + 0.5
        edges = 10 ** np.linspace(lo, hi, bins + 1)
        edges[0], edges[-1] = min(edges[0], v.min()), max(edges[-1], v.max())  # rounding
        counts, _ = np.histogram(v, edges)
    else:
        edges, counts = np.array([0.1, 1.0]), np.array([0])
    hdf = pd.DataFrame({"from": edges[:-1], "to": edges[1:], "steps": counts})
    xs = alt.Scale(type="log")
    bars = alt.Chart(hdf).mark_rect(color=OKABE_ITO[0], opacity=0.85).encode(
        x=alt.X("from:Q", scale=xs, title="gradient norm before clipping (log scale)"),
        x2="to:Q", y=alt.Y("steps:Q", title="training steps"),
        tooltip=[alt.Tooltip("from:Q", format=".3g"), alt.Tooltip("to:Q", format=".3g"),
                 alt.Tooltip("steps:Q")])
    layers: list = []
    if reference is not None and math.isfinite(reference) and reference > 0:
        band = pd.DataFrame({"from": [0.5 * reference], "to": [10 * reference],
                             "label": ["Pascanu heuristic: 0.5x to 10x the average norm"]})
        layers.append(alt.Chart(band).mark_rect(color=OKABE_ITO[2], opacity=0.15).encode(
            x=alt.X("from:Q", scale=xs), x2="to:Q", tooltip=["label:N"]))
    layers.append(bars)
    if threshold is not None:
        tdf = pd.DataFrame({"x": [threshold], "label": [f"threshold {threshold:g}"]})
        layers.append(alt.Chart(tdf).mark_rule(color=OKABE_ITO[5], strokeWidth=3,
                                               strokeDash=[6, 3]).encode(
            x=alt.X("x:Q", scale=xs), tooltip=["label:N"]))
        layers.append(alt.Chart(tdf).mark_text(align="left", dx=5, dy=10, color=OKABE_ITO[5],
                                               fontWeight="bold").encode(
            x=alt.X("x:Q", scale=xs), y=alt.value(0), text="label:N"))
    if reference is not None and math.isfinite(reference) and reference > 0:
        avg = pd.DataFrame({"x": [reference], "label": [f"average norm {reference:.3g}"]})
        layers.append(alt.Chart(avg).mark_rule(color=OKABE_ITO[2], strokeWidth=3,
                                               strokeDash=[2, 2]).encode(
            x=alt.X("x:Q", scale=xs), tooltip=["label:N"]))
    return alt.layer(*layers).properties(height=height), hdf
