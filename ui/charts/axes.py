"""What every chart builder shares: the safe-log rule for log axes, value statuses (NaN/inf and
exact zeros as their own legend entries), log-axis ticks, reference-line styles and the
categorical colour encoding. One copy of each; no Streamlit here.

Safety rules every builder keeps:
- Log axes never see zero, negative, NaN or inf. :func:`log_safe` floors tiny values at
  ``FLOOR`` and tags each row with ``status``; tagged rows are drawn as marked points, not
  silently dropped.
- Colours are colour-blind safe (``ui.palette``): Okabe-Ito for categories, viridis for
  magnitudes, a blue-orange diverging scheme where sign matters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from .. import palette

#: Smallest value drawn on a log axis; below it a point is marked "below float resolution".
FLOOR = 1e-300
STATUS_OK, STATUS_TINY, STATUS_BAD = "ok", palette.TINY_MARK, palette.NAN_MARK
#: log10 values at or below this are exact zeros in float64 (the experiments write -300).
ZERO_LOG = -299.0
#: Marks of values a log axis cannot show: an exact zero (or a value below float resolution)
#: and a non-finite value.
FLAG_SHAPES = {palette.TINY_MARK: "triangle-down", palette.NAN_MARK: "cross"}
#: How a reference line is drawn, by ``kind``: ``bad`` the first non-finite step, ``phase`` a
#: phase boundary, ``ref`` chance or a threshold to compare with, ``thr`` a clipping threshold,
#: ``half`` the "learned" threshold, ``budget`` a step budget. (colour, dash).
RULE_STYLE = {"bad": (palette.BAD, palette.DASHED),
              "phase": (palette.OKABE_ITO[3], palette.DOTTED),
              "ref": (palette.REFERENCE, palette.DOTTED),
              "thr": (palette.OKABE_ITO[1], palette.DOTTED),
              "half": (palette.THEORY, palette.DASHED),
              "budget": (palette.OKABE_ITO[3], [8, 3])}
#: Axis labels for log10 values: 1e-20, 1, 1e+20 (the app's LOG_TICK_FORMAT style).
POW_LABEL = ("datum.value == 0 ? '1' : '1e' + (datum.value > 0 ? '+' : '') + "
             "format(datum.value, 'd')")
#: The three cells of Lab 2 in their order, as legend labels, and their colours.
CELL_ORDER, CELL_RANGE = palette.cell_scale(["rnn", "lstm", "gru"])


def log_safe(df: pd.DataFrame, col: str, floor: float = FLOOR) -> pd.DataFrame:
    """Copy of ``df`` where ``col`` is safe for a log axis, plus a ``status`` column.

    Zeros and values below ``floor`` become ``floor`` (status "below float resolution"); NaN and
    inf become ``floor`` too (status "non-finite"), so they can be drawn as marked points.
    """
    out = df.copy()
    v = pd.to_numeric(out[col], errors="coerce").astype(float)
    status = np.where(~np.isfinite(v), STATUS_BAD, np.where(v < floor, STATUS_TINY, STATUS_OK))
    out[col] = np.where(status == STATUS_OK, v, floor)
    out["status"] = status
    return out


def finite(v) -> np.ndarray:
    """True where ``v`` is a finite number."""
    return np.isfinite(pd.to_numeric(pd.Series(v), errors="coerce").astype(float).to_numpy())


def status(v, *, log10: bool = False, zero: bool = True) -> np.ndarray:
    """"ok", ``palette.TINY_MARK`` (an exact zero) or ``palette.NAN_MARK`` per value. ``log10``
    says the values are log10 (exact zeros written as -300) rather than magnitudes; ``zero``
    False leaves zeros and negatives "ok" (a linear axis shows them)."""
    v = pd.to_numeric(pd.Series(v) if not isinstance(v, pd.Series) else v,
                      errors="coerce").astype(float).to_numpy()
    tiny = (v <= ZERO_LOG if log10 else v <= 0) & zero
    return np.where(~np.isfinite(v), palette.NAN_MARK, np.where(tiny, palette.TINY_MARK,
                                                                 STATUS_OK))


def flag_shape() -> alt.Shape:
    """The shape legend of flagged values (``FLAG_SHAPES``), under the chart."""
    return alt.Shape("status:N", title=None,
                     scale=alt.Scale(domain=list(FLAG_SHAPES), range=list(FLAG_SHAPES.values())),
                     legend=alt.Legend(orient="bottom"))


def reference_dash(label: str, orient: str = "bottom") -> alt.StrokeDash:
    """A dotted reference line named in the legend (so no label sits on the data)."""
    return alt.StrokeDash("ref:N", title=None,
                          scale=alt.Scale(domain=[label], range=[palette.DOTTED]),
                          legend=alt.Legend(orient=orient, symbolStrokeColor=palette.REFERENCE))


def positive(values: pd.Series) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return v[np.isfinite(v) & (v > 0)]


def narrow(values: pd.Series) -> bool:
    """True when ``values`` span less than about one and a half decades."""
    v = positive(values)
    return bool(len(v)) and float(np.log10(v.max() / v.min())) < 1.5


def log_ticks(values: pd.Series) -> list[float]:
    """Log-axis ticks: every power of ten spanning ``values``; for a narrow range, 1, 1.5, 2,
    3, 5 and 7 times the powers of ten that fall inside it."""
    v = positive(values)
    if not len(v):
        return [1.0]
    lo, hi = int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))
    if narrow(values):
        ticks = [m * 10.0 ** k for k in range(lo, hi + 1) for m in (1, 1.5, 2, 3, 5, 7)]
        return [t for t in ticks if v.min() / 1.06 <= t <= v.max() * 1.06]
    step = max(1, (hi - lo) // 12 + 1)
    return [10.0 ** k for k in range(lo, hi + 1, step)]


def log_axis(values: pd.Series) -> alt.Axis:
    return alt.Axis(format=".2~e" if narrow(values) else palette.LOG_TICK_FORMAT,
                    values=log_ticks(values))


def log_scale(values: pd.Series) -> alt.Scale:
    """A log scale; a narrow range keeps its own extent instead of whole decades."""
    if not narrow(values):
        return alt.Scale(type="log")
    v = positive(values)
    return alt.Scale(type="log", nice=False, domain=[float(v.min()) / 1.06,
                                                     float(v.max()) * 1.06])


def decades(values: Sequence[float], *, most: int = 7) -> list[float]:
    """Whole powers of ten spanning the finite positive ``values`` (at most about ``most``,
    evenly thinned): the ticks and grid lines of a log axis, so it never labels 2e-1."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return [1.0]
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    step = max(1, math.ceil((hi - lo) / most))
    ks = list(range(lo, hi + 1, step))
    if ks[-1] < hi:  # the top tick covers the largest value
        ks.append(ks[-1] + step)
    return [10.0 ** k for k in ks]


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


def category(field: str, order: Sequence | None = None, colours: Sequence[str] | None = None,
             *, legend: bool = True, columns: int = 3, label_limit: int = 300,
             facet: bool = False) -> alt.Color:
    """A categorical colour: ``order`` coloured ``colours`` (default the Okabe-Ito palette in
    order). Its legend sits under the chart and stacks to one column on a phone
    (``palette.legend``), except under a facet chart, which has no plot ``width`` to measure."""
    rng = list(colours) if colours is not None else palette.OKABE_ITO
    scale = alt.Scale(range=rng) if order is None else alt.Scale(domain=order, range=rng)
    leg = (alt.Legend(orient="bottom", columns=columns, labelLimit=label_limit) if facet else
           palette.legend(columns=columns, label_limit=label_limit))
    return alt.Color(f"{field}:N", title=None, scale=scale, legend=leg if legend else None)


def flag_points(data: pd.DataFrame, x, y, tooltip: list, *, size: int) -> alt.Chart:
    """The rows of ``data`` a log axis cannot show, as marks in ``palette.BAD`` whose shape
    (:func:`flag_shape`) names their status in the legend. ``x``, ``y``: the chart's encodings."""
    return alt.Chart(data).mark_point(size=size, filled=True, color=palette.BAD).encode(
        x=x, y=y, shape=flag_shape(), tooltip=tooltip)


def legend_items(items: Sequence[tuple[str, str, list]], *, field: str = "what",
                 **legend) -> tuple[alt.Color, alt.StrokeDash]:
    """Colour and dash encodings of ``items`` ``(label, colour, dash)`` sharing one legend
    (``palette.legend(**legend)``): reference lines and bands named beside the data."""
    leg = palette.legend(**legend)
    color = alt.Color(f"{field}:N", title=None, legend=leg, scale=alt.Scale(
        domain=[i[0] for i in items], range=[i[1] for i in items]))
    stroke = alt.StrokeDash(f"{field}:N", title=None, legend=leg, scale=alt.Scale(
        domain=[i[0] for i in items], range=[i[2] for i in items]))
    return color, stroke
