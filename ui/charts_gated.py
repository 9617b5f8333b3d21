"""Pure Altair builders for the gated-cell (5b) and initialisation/normalisation (6) pages.

No Streamlit here; every builder is memoised (``ui.chartcache.memo``: equal inputs give the
same chart object, serialised once per server) and must not be mutated after it returns.
Colours and marks follow ``ui.palette``: a cell has its colour on every page, reference lines
sit under the data and are named in the legend (never by a label that could sit on a line),
lag 0 is at the bottom of a lag axis, log axes use ``palette.LOG_TICK_FORMAT``, and values a
log axis cannot show (exact zeros, NaN/inf) are their own legend entries.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from . import chartcache, palette

#: log10 values at or below this are exact zeros in float64 (the experiments write -300).
ZERO_LOG = -299.0
STATUS_OK = "ok"
#: A ring (a disc with a hole; SVG path on the unit square) for hollow-looking points that keep
#: their colour and show as a ring in the legend too.
RING = ("M -1 0 A 1 1 0 1 0 1 0 A 1 1 0 1 0 -1 0 Z "
        "M -0.55 0 A 0.55 0.55 0 1 1 0.55 0 A 0.55 0.55 0 1 1 -0.55 0 Z")
FLAG_SHAPES = {palette.TINY_MARK: "triangle-down", palette.NAN_MARK: "cross"}

#: The runs of section 5b (``core.experiments.gated.RUNS``) -> colour: the cells' own colours;
#: the forget-bias LSTM in the LSTM's lighter blue.
RUN_COLORS = {"rnn": palette.CELL_COLORS["rnn"], "lstm": palette.CELL_COLORS["lstm"],
              "gru": palette.CELL_COLORS["gru"], "lstm_fb1": palette.OKABE_ITO[4]}
#: The starts of section 6 (``core.experiments.init_norm.SCHEMES``) -> colour: the PyTorch
#: default tanh RNN is the tanh RNN of every other page; the LSTMs are blue.
START_COLORS = {"default": palette.CELL_COLORS["rnn"], "xavier": palette.OKABE_ITO[3],
                "orthogonal": palette.OKABE_ITO[1], "identity": palette.OKABE_ITO[7],
                "lstm": palette.CELL_COLORS["lstm"], "lstm_fb1": palette.OKABE_ITO[4]}


def norm_colors(cell: str) -> dict[str, str]:
    """Normalisation -> colour: no normalisation in the cell's own colour."""
    return {"none": palette.CELL_COLORS[cell], "layer": palette.OKABE_ITO[3],
            "batch": palette.OKABE_ITO[1]}


def _status(v: pd.Series, *, log10: bool) -> np.ndarray:
    """"ok", ``palette.TINY_MARK`` (an exact zero) or ``palette.NAN_MARK`` per value; ``log10``
    says the values are log10 (exact zeros written as -300) rather than magnitudes."""
    v = pd.to_numeric(v, errors="coerce").astype(float).to_numpy()
    zero = v <= ZERO_LOG if log10 else v <= 0
    return np.where(~np.isfinite(v), palette.NAN_MARK,
                    np.where(zero, palette.TINY_MARK, STATUS_OK))


def _flag_shape() -> alt.Shape:
    return alt.Shape("status:N", title=None,
                     scale=alt.Scale(domain=list(FLAG_SHAPES), range=list(FLAG_SHAPES.values())),
                     legend=alt.Legend(orient="bottom"))


def _reference_dash(label: str, orient: str = "bottom") -> alt.StrokeDash:
    """A dotted reference line named in the legend (so no label sits on the data)."""
    return alt.StrokeDash("ref:N", title=None,
                          scale=alt.Scale(domain=[label], range=[palette.DOTTED]),
                          legend=alt.Legend(orient=orient, symbolStrokeColor=palette.REFERENCE))


def _positive(values: pd.Series) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return v[np.isfinite(v) & (v > 0)]


def _narrow(values: pd.Series) -> bool:
    """True when ``values`` span less than about one and a half decades."""
    v = _positive(values)
    return bool(len(v)) and float(np.log10(v.max() / v.min())) < 1.5


def _log_ticks(values: pd.Series) -> list[float]:
    """Log-axis ticks: every power of ten spanning ``values``; for a narrow range, 1, 1.5, 2,
    3, 5 and 7 times the powers of ten that fall inside it."""
    v = _positive(values)
    if not len(v):
        return [1.0]
    lo, hi = int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))
    if _narrow(values):
        ticks = [m * 10.0 ** k for k in range(lo, hi + 1) for m in (1, 1.5, 2, 3, 5, 7)]
        return [t for t in ticks if v.min() / 1.06 <= t <= v.max() * 1.06]
    step = max(1, (hi - lo) // 12 + 1)
    return [10.0 ** k for k in range(lo, hi + 1, step)]


def _log_axis(values: pd.Series) -> alt.Axis:
    return alt.Axis(format=".2~e" if _narrow(values) else palette.LOG_TICK_FORMAT,
                    values=_log_ticks(values))


def _log_scale(values: pd.Series) -> alt.Scale:
    """A log scale; a narrow range keeps its own extent instead of whole decades."""
    if not _narrow(values):
        return alt.Scale(type="log")
    v = _positive(values)
    return alt.Scale(type="log", nice=False, domain=[float(v.min()) / 1.06,
                                                     float(v.max()) * 1.06])


def _colour(field: str, order: list[str], colours: list[str], *, legend: bool = True,
            columns: int = 3, label_limit: int = 300, facet: bool = False) -> alt.Color:
    """A categorical colour; its legend stacks to one column on a phone (``palette.legend``),
    except under a facet chart, which has no plot ``width`` to measure."""
    leg = (alt.Legend(orient="bottom", columns=columns, labelLimit=label_limit) if facet else
           palette.legend(columns=columns, label_limit=label_limit))
    return alt.Color(f"{field}:N", title=None, scale=alt.Scale(domain=order, range=colours),
                     legend=leg if legend else None)


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
    data["status"] = _status(data["ratio"], log10=False)
    ok = data["status"] == STATUS_OK
    low = float(data.loc[ok, "ratio"].min()) / 10 if ok.any() else 1e-20
    data["_y"] = np.where(ok, data["ratio"], low)
    x = alt.X("label:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, labelLimit=220))
    y = alt.Y("_y:Q", title=y_title, scale=alt.Scale(type="log"), axis=_log_axis(data["_y"]))
    tips = [alt.Tooltip("label:N", title="cell"), alt.Tooltip("moment:N"),
            alt.Tooltip("ratio:Q", title="first/last", format=".2e")]
    span = data[ok].pivot_table(index="label", columns="moment", values="ratio").reset_index()
    layers = []
    if {"at initialisation", "after training"} <= set(span.columns):
        layers.append(alt.Chart(span.dropna()).mark_rule(strokeWidth=3, opacity=0.45).encode(
            x=x, y=alt.Y("at initialisation:Q"), y2=alt.Y2("after training:Q"),
            color=_colour("label", order, colours, legend=False)))
    points = alt.Chart(data[ok]).mark_point(size=300, filled=True, opacity=1).encode(
        x=x, y=y, color=_colour("label", order, colours, legend=False),
        shape=alt.Shape("moment:N", title=None, scale=alt.Scale(
            domain=["at initialisation", "after training"], range=[RING, "circle"]),
            legend=alt.Legend(orient="bottom", symbolFillColor=palette.REFERENCE,
                              symbolStrokeWidth=0, symbolSize=260)),
        tooltip=tips)
    layers.append(points)
    if (~ok).any():
        layers.append(alt.Chart(data[~ok]).mark_point(size=120, filled=True,
                                                      color=palette.BAD).encode(
            x=x, y=y, shape=_flag_shape(), tooltip=tips))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def lag_share(df: pd.DataFrame, *, order: list[str], colours: list[str],
              dashed: list[str] = (), x_title: str = "lag (steps back from the loss)",
              y_title: str = "share of the gradient at lag 0 (log)",
              height: int = 280, legend_columns: int = 3) -> alt.LayerChart:
    """One line per ``start`` of ``share`` against ``lag`` on a log axis (``share`` is 1 at
    lag 0). ``dashed``: starts drawn dashed. Exact zeros and NaN/inf are flagged marks at the
    bottom with their own legend entries. ``legend_columns`` 0: no colour legend."""
    data = df.copy()
    data["status"] = _status(data["share"], log10=False)
    ok = data["status"] == STATUS_OK
    low = float(data.loc[ok, "share"].min()) if ok.any() else 1e-20
    data["_y"] = np.where(ok, data["share"], low)
    data["_dash"] = np.where(data["start"].isin(list(dashed)), "dashed", "solid")
    x = alt.X("lag:Q", title=x_title)
    y = alt.Y("_y:Q", title=y_title, scale=alt.Scale(type="log"), axis=_log_axis(data["_y"]))
    tips = [alt.Tooltip("start:N"), alt.Tooltip("lag:Q"),
            alt.Tooltip("share:Q", format=".2e"), alt.Tooltip("status:N")]
    line = alt.Chart(data[ok]).mark_line(strokeWidth=2.6).encode(
        x=x, y=y, color=_colour("start", order, colours, columns=legend_columns,
                                legend=legend_columns > 0),
        strokeDash=alt.StrokeDash("_dash:N", legend=None, scale=alt.Scale(
            domain=["solid", "dashed"], range=[palette.SOLID, palette.DASHED])),
        tooltip=tips)
    layers = [line]
    if (~ok).any():
        layers.append(alt.Chart(data[~ok]).mark_point(size=70, filled=True,
                                                      color=palette.BAD).encode(
            x=x, y=y, shape=_flag_shape(), tooltip=tips))
    return alt.layer(*layers).properties(height=height)


@chartcache.memo
def sv_lines(df: pd.DataFrame, *, order: list[str], colours: list[str],
             dashed: list[str] = (), height: int = 200) -> alt.LayerChart:
    """Singular values by rank (largest first), one line per ``start``, with the dotted
    reference "1: W_hh keeps lengths" under the data."""
    data = df.copy()
    data["_dash"] = np.where(data["start"].isin(list(dashed)), "dashed", "solid")
    ref = alt.Chart(pd.DataFrame({"v": [1.0], "ref": ["1: length kept"]})).mark_rule(
        color=palette.REFERENCE, strokeWidth=1.5).encode(
        y="v:Q", strokeDash=_reference_dash("1: length kept"))
    line = alt.Chart(data).mark_line(strokeWidth=2.6).encode(
        x=alt.X("rank:Q", title="rank (largest first)",
                scale=alt.Scale(domain=[1, int(data["rank"].max())], nice=False)),
        y=alt.Y("singular value:Q", title="singular value of W_hh"),
        color=_colour("start", order, colours, columns=3),
        strokeDash=alt.StrokeDash("_dash:N", legend=None, scale=alt.Scale(
            domain=["solid", "dashed"], range=[palette.SOLID, palette.DASHED])),
        tooltip=[alt.Tooltip("start:N"), alt.Tooltip("rank:Q"),
                 alt.Tooltip("singular value:Q", format=".3f")])
    return alt.layer(ref, line).resolve_scale(strokeDash="independent").properties(
        height=height)


@chartcache.memo
def loss_lines(df: pd.DataFrame, x: str, y: str, color: str, *, order: list[str],
               colours: list[str], chance: float, x_title: str | None = None,
               y_title: str | None = None, height: int = 220,
               legend_columns: int = 4) -> alt.LayerChart:
    """Training-loss curves on a log y axis, one per ``color``, over the dotted chance line
    (named in the legend). Zero, negative or non-finite values (a run that blew up) are
    flagged marks at the bottom with their own legend entry. ``legend_columns`` 0: no colour
    legend (when a chart beside it has the same one)."""
    data = df.copy()
    v = pd.to_numeric(data[y], errors="coerce").astype(float)
    data["status"] = _status(v, log10=False)
    ok = data["status"] == STATUS_OK
    floor = float(v[ok].min()) if ok.any() else 1e-6
    data["_y"] = np.where(ok, v, floor)
    enc_x = alt.X(f"{x}:Q", title=x_title or x)
    span = pd.concat([data["_y"], pd.Series([chance])])
    enc_y = alt.Y("_y:Q", title=y_title or y, scale=_log_scale(span), axis=_log_axis(span))
    tips = [alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q"),
            alt.Tooltip(f"{y}:Q", format=".4g"), alt.Tooltip("status:N")]
    label = f"chance ({chance:.3f})"
    ref = alt.Chart(pd.DataFrame({"v": [chance], "ref": [label]})).mark_rule(
        color=palette.REFERENCE, strokeWidth=1.5).encode(y="v:Q", strokeDash=_reference_dash(label))
    line = alt.Chart(data[ok]).mark_line(strokeWidth=2.2).encode(
        x=enc_x, y=enc_y, color=_colour(color, order, colours, columns=legend_columns,
                                        legend=legend_columns > 0),
        tooltip=tips)
    layers = [ref, line]
    if (~ok).any():
        layers.append(alt.Chart(data[~ok]).mark_point(size=60, filled=True,
                                                      color=palette.BAD).encode(
            x=enc_x, y=enc_y, shape=_flag_shape(), tooltip=tips))
    return alt.layer(*layers).properties(height=height)


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
    data["status"] = _status(data[value], log10=True)
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
            shape=_flag_shape(), tooltip=[alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:O"),
                                          alt.Tooltip("status:N")]))
    return alt.layer(*layers, data=data).properties(height=height, width=width).facet(
        facet=alt.Facet(f"{facet}:N", title=None, sort=facet_order,
                        header=alt.Header(labelFontSize=14, labelFontWeight="bold")),
        columns=columns)


@chartcache.memo
def facet_lines(df: pd.DataFrame, x: str, y: str, color: str, facet: str, *,
                order: list[str], colours: list[str], facet_order: list[str] | None = None,
                x_title: str | None = None, y_title: str | None = None, height: int = 180,
                width: int = 240, columns: int = 2) -> alt.FacetChart:
    """Lines of ``y`` against ``x`` coloured by ``color``, one panel per ``facet``, shared axes.
    Non-finite values are flagged marks at the bottom with their own legend entry."""
    data = df.copy()
    data["status"] = _status(data[y], log10=False)
    data.loc[data[y] == 0, "status"] = STATUS_OK  # a zero is a value on a linear axis
    vals = pd.to_numeric(data[y], errors="coerce").astype(float)
    ok = data["status"] == STATUS_OK
    data["_y"] = np.where(ok, vals, float(vals[ok].min()) if ok.any() else 0.0)
    base = alt.Chart().encode(x=alt.X(f"{x}:Q", title=x_title or x),
                              y=alt.Y("_y:Q", title=y_title or y))
    tips = [alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q"),
            alt.Tooltip(f"{y}:Q", format=".4g"), alt.Tooltip("status:N")]
    layers = [base.transform_filter(alt.datum.status == STATUS_OK).mark_line(
        strokeWidth=2.4).encode(color=_colour(color, order, colours, facet=True),
                                 tooltip=tips)]
    if (~ok).any():
        layers.append(base.transform_filter(alt.datum.status != STATUS_OK).mark_point(
            filled=True, size=60, color=palette.BAD).encode(shape=_flag_shape(),
                                                            tooltip=tips))
    return alt.layer(*layers, data=data).properties(height=height, width=width).facet(
        facet=alt.Facet(f"{facet}:N", title=None, sort=facet_order,
                        header=alt.Header(labelFontSize=14, labelFontWeight="bold")),
        columns=columns)


@chartcache.memo
def gate_lines(df: pd.DataFrame, x: str, y: str, color: str, *, markers: list[int],
               order: list[str], x_title: str | None = None, y_title: str | None = None,
               height: int = 200) -> alt.LayerChart:
    """Gate values (0..1) over time, one line per ``color``, over dotted vertical reference
    lines at the marked time steps (named in the legend)."""
    label = "a marked number (to be added)"
    mdf = pd.DataFrame({x: markers, "ref": label})
    rules = alt.Chart(mdf).mark_rule(color=palette.REFERENCE, strokeWidth=1.5).encode(
        x=f"{x}:Q", strokeDash=_reference_dash(label, "top"), tooltip=[alt.Tooltip(f"{x}:Q")])
    colours = [palette.OKABE_ITO[i % len(palette.OKABE_ITO)] for i in (7, 0, 5, 2, 3, 1)]
    line = alt.Chart(df).mark_line(strokeWidth=2.2).encode(
        x=alt.X(f"{x}:Q", title=x_title or x),
        y=alt.Y(f"{y}:Q", title=y_title or y, scale=alt.Scale(domain=[0, 1])),
        color=_colour(color, order, colours[:len(order)], columns=2, label_limit=210),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q"),
                 alt.Tooltip(f"{y}:Q", format=".3f")])
    return alt.layer(rules, line).properties(height=height)
