"""Altair builders for the exploding (2) and clipping (5a) pages: training curves with their
reference lines, the W_hh maps, the cliff surface with descent paths, the 2-D clipped-gradient
picture, the pre-clip gradient-norm histogram and the threshold sweep. Also the tidy frames
they draw (``*_frame``).

No Streamlit here. Every chart builder is memoised (``ui.chartcache.memo``: equal inputs give
the same chart object, serialised once per server) and must not be mutated after it returns.
Colours and marks follow ``ui.palette``: reference lines (chance, thresholds, the first
non-finite step) sit UNDER the data and are named in the legend, never by a label that could
sit on a line; NaN/inf are their own legend entries, never a colour on a continuous bar; the
W_hh maps are square; log axes use ``palette.LOG_TICK_FORMAT``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from . import chartcache, palette

#: Colours of the paths and runs, fixed so "unclipped" is the same vermillion on both pages
#: (the tanh RNN's colour: every run here is one) and the rescued run blue.
PATH_COLORS = {"unclipped": palette.BAD, "clipped": palette.OKABE_ITO[0]}
#: How a reference line is drawn: ``bad`` (the first non-finite step), ``phase`` (a phase
#: boundary), ``ref`` (chance, a threshold).
RULE_STYLE = {"bad": (palette.BAD, palette.DASHED), "phase": (palette.OKABE_ITO[3], palette.DOTTED),
              "ref": (palette.REFERENCE, palette.DOTTED)}
#: Non-finite cells of a weight map: their own legend entries, in these colours.
NONFINITE = {"NaN": palette.BAD, "+inf": "#000000", "−inf": "#9A9A9A"}


def _finite(v) -> np.ndarray:
    return np.isfinite(pd.to_numeric(pd.Series(v), errors="coerce").astype(float).to_numpy())


# -- training curves ----------------------------------------------------------------------------
@chartcache.memo
def run_lines(df: pd.DataFrame, x: str, y: str, series: str, *, order: Sequence[str],
              colors: Sequence[str], vrules: Sequence[dict] = (), hrules: Sequence[dict] = (),
              x_title: str | None = None, y_title: str | None = None, log: bool = True,
              height: int = 280, floor: float = 1e-12, styles: dict | None = None,
              y_ticks: Sequence[float] | None = None, legend: bool = True,
              cross_size: int = 90) -> alt.LayerChart:
    """Curves of ``y`` against ``x``, one per ``series`` (in ``order``, coloured ``colors``),
    over reference lines named in the same legend.

    ``vrules``: vertical lines ``{"x", "label", "kind"}``; ``hrules``: horizontal lines
    ``{"y", "label", "kind"}``; ``kind`` picks the style in :data:`RULE_STYLE`. Non-finite
    values (a run that overflowed) are crosses on the top edge with their own legend entry;
    on a log axis values below ``floor`` are drawn at ``floor``. ``styles`` replaces
    :data:`RULE_STYLE`; ``y_ticks`` fixes a log axis's ticks and domain (e.g. whole powers of
    ten); ``legend=False`` leaves the legend to a neighbouring chart with the same colours.
    """
    styles = RULE_STYLE if styles is None else styles
    data = df[[x, y, series]].copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    ok = np.isfinite(v)
    data["_y"] = np.where(ok, np.maximum(v, floor) if log else v, np.nan)
    data["value"] = [f"{a:.4g}" if np.isfinite(a) else str(a) for a in v]
    data = data.rename(columns={series: "what"})
    rules = [(r, "v") for r in vrules] + [(r, "h") for r in hrules]
    domain = list(order) + [r["label"] for r, _ in rules]
    rng = list(colors) + [styles[r.get("kind", "ref")][0] for r, _ in rules]
    dash = [palette.SOLID] * len(order) + [styles[r.get("kind", "ref")][1] for r, _ in rules]
    leg = palette.legend(columns=2, label_limit=360, symbolType="stroke",
                         symbolStrokeWidth=3) if legend else None
    color = alt.Color("what:N", title=None, scale=alt.Scale(domain=domain, range=rng),
                      legend=leg)
    stroke = alt.StrokeDash("what:N", title=None, scale=alt.Scale(domain=domain, range=dash),
                            legend=leg)
    enc_x = alt.X(f"{x}:Q", title=x_title or x)
    if log and y_ticks:
        scale = alt.Scale(type="log", domain=[y_ticks[0], y_ticks[-1]])
        axis = alt.Axis(format=palette.LOG_TICK_FORMAT, values=list(y_ticks))
    elif log:
        scale, axis = alt.Scale(type="log"), alt.Axis(format=palette.LOG_TICK_FORMAT)
    else:
        scale = axis = alt.Undefined
    enc_y = alt.Y("_y:Q", title=y_title or y, scale=scale, axis=axis)
    layers: list = []
    if vrules:
        rdf = pd.DataFrame({"x": [r["x"] for r in vrules], "what": [r["label"] for r in vrules]})
        layers.append(alt.Chart(rdf).mark_rule(strokeWidth=2).encode(
            x=alt.X("x:Q"), color=color, strokeDash=stroke, tooltip=["what:N"]))
    if hrules:
        rdf = pd.DataFrame({"y": [r["y"] for r in hrules], "what": [r["label"] for r in hrules]})
        layers.append(alt.Chart(rdf).mark_rule(strokeWidth=2).encode(
            y=alt.Y("y:Q"), color=color, strokeDash=stroke, tooltip=["what:N"]))
    tips = [alt.Tooltip("what:N", title=series), alt.Tooltip(f"{x}:Q", title=x_title or x),
            alt.Tooltip("value:N", title=y_title or y)]
    layers.append(alt.Chart(data[ok]).mark_line(strokeWidth=2.5).encode(
        x=enc_x, y=enc_y, color=color, strokeDash=stroke, tooltip=tips))
    if (~ok).any():
        bad = data[~ok].assign(flag=palette.NAN_MARK)
        layers.append(alt.Chart(bad).mark_point(shape="cross", size=cross_size, filled=True,
                                                color=palette.BAD).encode(
            x=enc_x, y=alt.value(4), tooltip=tips,
            shape=alt.Shape("flag:N", title=None, scale=alt.Scale(
                domain=[palette.NAN_MARK], range=["cross"]),
                legend=alt.Legend(orient="top", symbolFillColor=palette.BAD,
                                  symbolStrokeColor=palette.BAD) if legend else None)))
    return alt.layer(*layers).properties(height=height)


def loss_frame(r: dict, runs: Sequence[str]) -> pd.DataFrame:
    """The blow-up run's loss and its W_hh-frozen control: ``step``, ``loss``, ``run`` (named
    ``runs[0]`` and ``runs[1]``); the control only once it has run."""
    parts = [pd.DataFrame({"step": r["step"], "loss": r["loss"], "run": runs[0]})]
    fr = r.get("frozen")
    if fr and fr["step"]:
        parts.append(pd.DataFrame({"step": fr["step"], "loss": fr["loss"], "run": runs[1]}))
    return pd.concat(parts, ignore_index=True)


def growth_frame(r: dict, names: Sequence[str]) -> pd.DataFrame:
    """The gradient norm, ||W_hh|| and ||readout|| per step: ``step``, ``value``, ``what``."""
    return pd.concat([pd.DataFrame({"step": r["step"], "value": r[col], "what": name})
                      for col, name in zip(("grad_norm", "w_norm", "readout_norm"), names)],
                     ignore_index=True)


def compare_frame(r: dict, names: Sequence[str]) -> pd.DataFrame:
    """Both runs of ``clipping.compare``: ``step``, ``loss``, ``grad_norm``, ``run`` (named
    ``names[0]`` for the unclipped, ``names[1]`` for the clipped one)."""
    parts = [pd.DataFrame({"step": h["step"], "loss": h["loss"], "grad_norm": h["grad_norm"],
                           "run": name})
             for h, name in ((r.get("none"), names[0]), (r.get("clipped"), names[1])) if h]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["step", "loss", "grad_norm", "run"])


# -- W_hh maps ------------------------------------------------------------------------------------
def weight_status(a: np.ndarray) -> np.ndarray:
    """"finite", "NaN", "+inf" or "−inf" per entry."""
    return np.where(np.isnan(a), "NaN", np.where(a == np.inf, "+inf",
                                                 np.where(a == -np.inf, "−inf", "finite")))


def log_range(*mats) -> tuple[float, float]:
    """(min, max) of log10 |w| over the finite non-zero entries of all matrices: one colour
    scale for several maps."""
    vals = np.concatenate([np.abs(np.asarray(m, float)).ravel() for m in mats])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if not len(vals):
        return (-1.0, 0.0)
    lo, hi = float(np.log10(vals.min())), float(np.log10(vals.max()))
    return (lo, hi if hi > lo else lo + 1.0)


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


#: The name of the click selection on :func:`cliff_map` (``select=True``).
START_PICK = "start"
WALL_LABEL = "the cliff edge"


@chartcache.memo
def cliff_map(surface: dict, paths: dict[str, dict], wall: dict | None = None, *,
              height: int = 300, select: bool = False) -> alt.LayerChart:
    """The loss surface as a heat map (log10 loss, greys) with descent paths drawn over it.

    ``paths``: label -> a :func:`core.cliff.descend` result, all from the same start (a black
    square). Points outside the window are drawn on its edge as hollow diamonds with their
    real coordinates in the tooltip. ``wall``: the cliff line ``{"w": [...], "b": [...]}``,
    dashed, named in the path legend. ``select``: clicking a cell of the surface selects its
    (w, b) (selection :data:`START_PICK`), for a page that starts the paths there.
    """
    sdf = surface_frame(surface)
    window = ((float(sdf["w_lo"].min()), float(sdf["w_hi"].max())),
              (float(sdf["b_lo"].min()), float(sdf["b_hi"].max())))
    xs = alt.Scale(domain=list(window[0]), nice=False, zero=False)
    ys = alt.Scale(domain=list(window[1]), nice=False, zero=False)
    heat = alt.Chart(sdf).mark_rect().encode(
        x=alt.X("w_lo:Q", scale=xs, title="recurrent weight w"), x2="w_hi:Q",
        y=alt.Y("b_lo:Q", scale=ys, title="bias b"), y2="b_hi:Q",
        fill=alt.Fill("log10_loss:Q", title="log10 loss", scale=alt.Scale(scheme="greys"),
                      legend=alt.Legend(orient="right", gradientLength=max(80, height - 80))),
        tooltip=[alt.Tooltip("w:Q", format=".2f"), alt.Tooltip("b:Q", format=".2f"),
                 alt.Tooltip("loss:Q", format=".3g")])
    if select:
        heat = heat.add_params(alt.selection_point(name=START_PICK, fields=["w", "b"],
                                                   on="click", clear=False))
    domain = list(paths)
    rng = [PATH_COLORS.get(k, palette.OKABE_ITO[i % 8]) for i, k in enumerate(domain)]
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
    pdf = path_frame(paths, window)
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
        if first["w"] and inside_window(first["w"][0], first["b"][0], window):
            st_df = pd.DataFrame({"w": [first["w"][0]], "b": [first["b"][0]], "label": "start"})
            layers.append(alt.Chart(st_df).mark_point(
                shape="square", size=150, filled=True, color="#000000",
                stroke="#FFFFFF", strokeWidth=1.5).encode(
                x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
                tooltip=["label:N", alt.Tooltip("w:Q"), alt.Tooltip("b:Q")]))
    return alt.layer(*layers).properties(height=height)


def inside_window(w: float, b: float, window) -> bool:
    (w0, w1), (b0, b1) = window
    return math.isfinite(w) and math.isfinite(b) and w0 <= w <= w1 and b0 <= b <= b1


# -- one gradient vector, clipped two ways ------------------------------------------------------
VECTOR_NAMES = {"original": "original gradient", "norm": "norm-clipped",
                "value": "value-clipped"}


def vector_frame(res: dict) -> pd.DataFrame:
    return pd.DataFrame([{"vector": VECTOR_NAMES[k], "x": res[k]["x"], "y": res[k]["y"],
                          "norm": res[k]["norm"], "angle_deg": res[k]["angle"]}
                         for k in ("original", "norm", "value")])


@chartcache.memo
def vector_plot(res: dict, *, height: int = 260, width: int | None = None) -> alt.LayerChart:
    """Arrows from the origin for the original, norm-clipped and value-clipped gradients, the
    norm ball (circle of radius c) and the value box ([-c, c]^2), and an arc from the
    original's direction to the value-clipped one (the turn, named in the legend with its
    angle). Both axes span the same range, zoomed on the threshold region; a longer original
    arrow runs off the chart (a dotted line continues its direction). The plot is square
    (``width`` defaults to ``height``) so the angles drawn are the angles computed."""
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
    turn = abs(float(res["turn_value"]))
    names = ["original gradient", "norm-clipped", f"value-clipped: turned {turn:.1f}°",
             f"||g|| ≤ {c:g}", f"all |g_i| ≤ {c:g}"]
    palette_ = [palette.OKABE_ITO[7], PATH_COLORS["clipped"], palette.OKABE_ITO[1],
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
    widths = alt.StrokeWidth("vector:N", scale=alt.Scale(domain=list(VECTOR_NAMES.values()),
                                                         range=[6, 3.5, 3.5]), legend=None)
    rule = alt.Chart(seg).mark_rule(clip=True).encode(
        x=alt.X("x0:Q", scale=sc), y=alt.Y("y0:Q", scale=scy), x2="x:Q", y2="y:Q",
        color=color, strokeDash=stroke, strokeWidth=widths, tooltip=tips)
    heads = alt.Chart(seg).mark_point(shape="circle", size=90, filled=True, clip=True).encode(
        x=alt.X("x:Q", scale=sc), y=alt.Y("y:Q", scale=scy), color=color, tooltip=tips)
    return alt.layer(shapes, guide, arc, rule, heads).properties(height=height,
                                                                 width=width or height)


# -- pre-clip gradient norms --------------------------------------------------------------------
def norm_bins(norms: Sequence[float], bins: int = 30) -> pd.DataFrame:
    """Finite positive pre-clip norms counted on ``bins`` log-spaced bins: ``from``, ``to``,
    ``steps``. An empty list gives one empty bin."""
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
    return pd.DataFrame({"from": edges[:-1], "to": edges[1:], "steps": counts})


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
    legend = palette.legend(columns=2, label_limit=240, symbolType="stroke",
                            symbolStrokeWidth=4)
    color = alt.Color("what:N", title=None, legend=legend, scale=alt.Scale(
        domain=[i[0] for i in items], range=[i[1] for i in items]))
    stroke = alt.StrokeDash("what:N", title=None, legend=legend, scale=alt.Scale(
        domain=[i[0] for i in items], range=[i[2] for i in items]))
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


# -- the threshold sweep --------------------------------------------------------------------------
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
    legend = palette.legend(columns=2, label_limit=240, symbolType="stroke",
                            symbolStrokeWidth=4)
    color = alt.Color("what:N", title=None, legend=legend, scale=alt.Scale(
        domain=[i[0] for i in items], range=[i[1] for i in items]))
    stroke = alt.StrokeDash("what:N", title=None, legend=legend, scale=alt.Scale(
        domain=[i[0] for i in items], range=[i[2] for i in items]))
    layers: list = []
    if math.isfinite(reference):
        band = pd.DataFrame({"from": [0.5 * reference], "to": [10 * reference],
                             "what": [band_label]})
        layers.append(alt.Chart(band).mark_rect(opacity=0.6).encode(
            x=alt.X("from:Q", scale=xs), x2="to:Q", color=color, tooltip=["what:N"]))
    layers.append(alt.Chart(pd.DataFrame({"y": [chance], "what": [chance_label]})).mark_rule(
        strokeWidth=2).encode(y=alt.Y("y:Q", scale=ys), color=color, strokeDash=stroke))
    ok = data[_finite(data["final_loss"]) & ~data["blew_up"].astype(bool)].assign(
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
