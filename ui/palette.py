"""The app's one visual language: colours, marks and scales every chart uses.

- Cells always have the same colour and label (``cell_color``; labels from ``core.labels``).
- A measured quantity is drawn in ``MEASURED``; theory (bounds, predictions) in ``THEORY``,
  dashed; reference lines (chance, thresholds) in ``REFERENCE``, dotted, *under* the data.
- Non-finite and underflowed values are their own legend entries, ``NAN_MARK`` / ``TINY_MARK``,
  never silently dropped.
- Heatmaps take a ``scheme``: ``SEQUENTIAL`` for magnitudes, ``DIVERGING`` where sign matters.
- Lag axes put lag 0 (the step the loss is on) at the bottom.
Colour-blind safe: Okabe & Ito (2008).
"""

from __future__ import annotations

from core.labels import cell_name

#: Okabe & Ito (2008) colour-blind-safe categorical palette.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
MEASURED = OKABE_ITO[0]
THEORY = "#6B6B6B"
REFERENCE = "#4A5058"
BAD = OKABE_ITO[5]
#: Cell -> colour, the same on every page (tanh RNN vermillion, LSTM blue, GRU green).
CELL_COLORS: dict[str, str] = {"rnn": OKABE_ITO[5], "lstm": OKABE_ITO[0], "gru": OKABE_ITO[2]}
SEQUENTIAL = "viridis"
DIVERGING = "blueorange"
#: Dash patterns: data solid, theory dashed, reference dotted.
SOLID, DASHED, DOTTED = [1, 0], [6, 4], [2, 3]
#: Legend entries for values a log axis cannot show.
NAN_MARK = "non-finite (NaN/inf)"
TINY_MARK = "below float resolution"
#: One tick style: log axes label powers of ten like this.
LOG_TICK_FORMAT = ".0e"


def cell_color(cell: str) -> str:
    """The colour of a cell type ("rnn", "lstm", "gru")."""
    return CELL_COLORS[cell]


def cell_scale(cells: list[str], nonlinearity: str = "tanh") -> tuple[list[str], list[str]]:
    """(legend labels, colours) for the given cells, in that order: pass them to
    ``alt.Scale(domain=..., range=...)`` so every chart colours cells alike."""
    return [cell_name(c, nonlinearity) for c in cells], [CELL_COLORS[c] for c in cells]


#: Below this plot width (px) a legend stacks to one column: a phone (a laptop's half column
#: is wider).
NARROW = 340


def legend(*, columns: int = 2, label_limit: int = 340, **kw):
    """A legend under the chart: ``columns`` columns where there is room, one column with
    labels cut only at the chart's width when the plot is narrower than :data:`NARROW` px
    (a 390 px phone), so no entry runs off the side. ``kw`` goes to ``alt.Legend``."""
    import altair as alt

    return alt.Legend(**{
        "orient": "bottom", "direction": "vertical",
        "columns": alt.ExprRef(f"width < {NARROW} ? 1 : {columns}"),
        "labelLimit": alt.ExprRef(f"width < {NARROW} ? max(120, width - 40) : {label_limit}"),
        **kw})


#: The loss surface of the cliff pages (2, 5a): greys, so coloured paths stand out on it.
SURFACE = "greys"
#: Descent paths and runs of pages 2 and 5a: "unclipped" in the tanh RNN's vermillion (every
#: run there is one), the rescued run blue.
PATH_COLORS = {"unclipped": BAD, "clipped": OKABE_ITO[0]}
#: The runs of section 5b (``core.experiments.gated.RUNS``) -> colour: the cells' own colours;
#: the forget-bias LSTM in the LSTM's lighter blue.
RUN_COLORS = {"rnn": CELL_COLORS["rnn"], "lstm": CELL_COLORS["lstm"], "gru": CELL_COLORS["gru"],
              "lstm_fb1": OKABE_ITO[4]}
#: The starts of section 6 (``core.experiments.init_norm.SCHEMES``) -> colour: the PyTorch
#: default tanh RNN is the tanh RNN of every other page; the LSTMs are blue.
START_COLORS = {"default": CELL_COLORS["rnn"], "xavier": OKABE_ITO[3],
                "orthogonal": OKABE_ITO[1], "identity": OKABE_ITO[7],
                "lstm": CELL_COLORS["lstm"], "lstm_fb1": OKABE_ITO[4]}
#: Lab 1's three runs: the unclipped one in the tanh RNN's vermillion (as on pages 2 and 5a),
#: norm clipping blue (5a's clipped run), value clipping reddish purple.
CLIP_RUN_COLORS = {"no clipping": BAD, "norm clipping": OKABE_ITO[0],
                   "value clipping": OKABE_ITO[3]}


def norm_colors(cell: str) -> dict[str, str]:
    """Normalisation -> colour: no normalisation in the cell's own colour."""
    return {"none": CELL_COLORS[cell], "layer": OKABE_ITO[3], "batch": OKABE_ITO[1]}


def run_colors(names, cells=None) -> list[str]:
    """A colour per run: Lab 1's fixed run colours (:data:`CLIP_RUN_COLORS`), else the cell's
    colour (``cells``), else the Okabe-Ito palette in order (vermillion, the NaN colour, left
    out)."""
    cycle = [c for c in OKABE_ITO if c != BAD]
    out = []
    for i, n in enumerate(names):
        if n in CLIP_RUN_COLORS:
            out.append(CLIP_RUN_COLORS[n])
        elif cells is not None and cells[i] in CELL_COLORS:
            out.append(cell_color(cells[i]))
        else:
            out.append(cycle[i % len(cycle)])
    return out
