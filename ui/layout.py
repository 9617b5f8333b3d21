"""Page furniture shared by every page: header, explanation boxes, charts with text
alternatives, predict-then-run questions, "the code behind this chart", footer navigation,
the sidebar and instructor (projector) mode. Nothing here imports torch.
"""

from __future__ import annotations

import inspect
import io
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from . import chartcache, pulse, state
from .nav import by_file, neighbours

_NOTES_SLOT = "_notes_slot"
PAGE_END_ID = "rnnlab-page-end"

PROJECTOR_CSS = """
<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.3rem !important; }
[data-testid="stMain"] h1 { font-size: 3rem !important; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.1rem !important; }
[data-testid="stMain"] label p { font-size: 1.15rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMetricValue"] div { font-size: 2.6rem !important; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.05rem !important; }
[data-testid="stMain"] [data-testid="stSlider"] { padding-top: 0.7rem; }
[data-testid="stMain"] [data-testid="stSelectbox"] div,
[data-testid="stMain"] [data-testid="stSelectbox"] input { font-size: 1.1rem !important; }
[data-testid="stMain"] [data-testid="stSliderThumbValue"] { font-size: 1.05rem !important;
  top: -1.9rem !important; }
</style>
"""


#: Every mode: captions dark enough for 4.5:1 contrast on white and on the grey panels,
#: section headings (h2) at a size that leaves the first screen to the chart, a compact
#: page top, and a large Reveal button.
PAGE_CSS = """
<style>
[data-testid="stCaptionContainer"] { opacity: 1 !important; }
[data-testid="stCaptionContainer"],
[data-testid="stCaptionContainer"] p { color: #4A5058 !important; }
[data-testid="stMain"] h2 { font-size: 1.45rem !important; padding-top: 0.6rem !important; }
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem !important; }
[data-testid="stMain"] h1 { padding-bottom: 0.2rem !important; }
[data-testid="stVegaLiteChart"] { overflow-x: auto; }
.st-key-narrow_only { display: none; }
@media (max-width: 640px) {
  [class*="st-key-beside_"] > div > [data-testid="stHorizontalBlock"],
  [class*="st-key-beside_"] > [data-testid="stHorizontalBlock"] {
    flex-direction: column-reverse; }
  .st-key-wide_only { display: none; }
  .st-key-narrow_only { display: block; } }
[class*="st-key-reveal_box"] button {
  min-height: 3.2rem; font-size: 1.35rem !important; font-weight: 600; }
</style>
"""


def sidebar() -> None:
    """The sidebar every page shares: instructor mode and a short note on what runs live."""
    with st.sidebar:
        state.toggle("Instructor mode", state.INSTRUCTOR_KEY, False,
                     help="Bigger text and charts for a projector; advanced controls hidden. "
                          "It is part of the link, so a class can open it ready.")
        st.caption("Every chart is computed by a real PyTorch model. Default settings open "
                   "instantly from precomputed results; change a setting to run it live.")
        if state.instructor():
            pulse.sidebar_controls()
        else:
            pulse.status_badge()


def prose(md: str) -> str:
    """Markdown written in a page as an indented triple-quoted block, as it should reach the
    reader: the common indentation and the outer blank lines removed, the lines of a paragraph
    joined by single spaces. Blank lines (paragraph breaks) and lines that start a list item
    ("- ", "* ", "1. ") keep their line break."""
    text = inspect.cleandoc(md)
    return re.sub(r"(?<=\S)[ \t]*\n(?![ \t]*(?:\n|[-*] |\d+\. ))[ \t]*", " ", text)


def header(file: str, lead: str, *, short: str | None = None) -> None:
    """Title, a lead of at most two sentences (:func:`prose`), and a slot for notes about the
    link (filled by ``footer``). In instructor mode ``short`` (one line) replaces the lead."""
    info = by_file(file)
    st.html(PAGE_CSS + (PROJECTOR_CSS if state.instructor() else ""))
    st.title(info.title)
    st.session_state[_NOTES_SLOT] = st.container()
    st.markdown(short if short and state.instructor() else prose(lead))


def wide_or_narrow(wide_md: str, narrow_md: str) -> None:
    """Markdown in two forms: ``wide_md`` (say a table) on a laptop or projector, ``narrow_md``
    (the same content stacked) on a phone (640 px and narrower). Once per page."""
    with st.container(key="wide_only"):
        st.markdown(wide_md)
    with st.container(key="narrow_only"):
        st.markdown(narrow_md)


def how_to_read(md: str) -> None:
    """The "How to read this chart" box that sits beside every chart."""
    with st.expander("How to read this chart",
                     icon=":material/visibility:"):
        st.markdown(md)


def cite(text: str) -> None:
    """A source line under a chart that reproduces a paper's figure."""
    st.caption(f":material/menu_book: Source: {text}")


def code_for(fn: Any, params: dict[str, Any], *, show: Sequence[str] = (),
             title: str = "The code behind this chart") -> str:
    """The runnable experiment call behind a chart (``core.snippet``), in an expander.
    Returns the source (tests run it)."""
    from core.snippet import experiment_call

    src = experiment_call(fn, params, show=show)
    with st.expander(title, icon=":material/code:"):
        st.code(src, language="python")
        st.caption("Runs as it stands from the app's folder (or after `pip install .`); the "
                   "result is the dict this page draws.")
    return src


def notebook_download(file: str, idea: str | None = None, recipe: Any = None, *,
                      how_to_read: str = "", tries: Sequence[str] = ()) -> None:
    """"Download as notebook": the page's experiment, chart and questions for its current
    settings (``ui.notebook``), built only when clicked. The words default to the page's entry
    in ``ui.takehome.TEXT``."""
    from . import notebook
    from .takehome import TEXT

    if idea is None:
        text = TEXT[file]
        idea, how_to_read, tries = text["idea"], text.get("how_to_read", ""), text.get("tries", ())
    info = by_file(file)
    spec = dict(title=info.title, idea=idea, recipe=recipe, how_to_read=how_to_read,
                tries=tuple(tries), page_url=f"/{info.url}")
    st.session_state[f"_notebook_{info.url}"] = spec  # tests build and run the same notebook

    def payload() -> bytes:
        return notebook.to_bytes(notebook.build(**spec))

    st.download_button("Download as notebook", payload, f"{info.url}.ipynb",
                       "application/x-ipynb+json", key=f"notebook_{info.url}",
                       icon=":material/book_2:", on_click="ignore",
                       help="A Jupyter notebook with this page's experiment at your settings, "
                            "its chart and questions to try.")


def _reveal(key: str) -> None:
    st.session_state[f"revealed_{key}"] = True


def revealed(key: str) -> bool:
    """Whether the prediction ``key`` on this page has been committed (or revealed)."""
    return bool(st.session_state.get(f"revealed_{key}"))


def prediction(page: str, key: str, question: str, options: Sequence[str], correct: int,
               why: str, *, observed: str | None = None) -> bool:
    """Predict, commit, then reveal. Returns True once the run may be shown.

    Until the learner commits, the page holds its main result back (``held_back``): the
    answer, the chart, the metrics and the checked claims stay hidden. A learner picks an
    option and presses *Commit*; in instructor mode a big *Reveal* button lets the room vote
    first (the class pulse tally sits beside the question when a room runs). After the reveal
    ``verdict(key)``, called under the main chart, says which option was right and why, and
    what this run showed (``observed``).
    ``page`` and ``key`` name the question for the class pulse (``"<page>:<key>"``).
    ``question`` and ``why`` may be written as triple-quoted blocks (:func:`prose`).
    """
    options, question, why = list(options), prose(question), prose(why)
    qid = f"{page.removesuffix('.py')}:{key}"
    teacher = state.instructor()
    done = revealed(key)
    with st.container(border=True, key=f"predict_box_{key}"):
        st.markdown(f":material/psychology: **Predict first.** {question}")
        pick = st.radio("Your prediction", options, index=None, key=f"predict_{key}",
                        label_visibility="collapsed", disabled=done, horizontal=True)
        if not done:
            if teacher:
                with st.container(key=f"reveal_box_{key}"):
                    st.button("Reveal the run", key=f"commit_{key}", type="primary",
                              on_click=_reveal, args=(key,), width="stretch",
                              icon=":material/visibility:")
            else:
                st.button("Commit and see the run", key=f"commit_{key}", type="primary",
                          on_click=_reveal, args=(key,), disabled=pick is None,
                          icon=":material/lock:")
        if pick is not None and done:
            pulse.record(qid, pick, options, correct=correct, prompt=question)
        pulse.tally(qid, options, correct=correct, reveal=done)
        if not done:
            return False
    answer = options[correct]
    tail = f"\n\n**This run:** {observed}" if observed else ""
    if pick is None:
        shown = ("info", f"**Answer: {answer}.** {why}{tail}")
    elif options.index(pick) == correct:
        shown = ("success", f"**Right: {answer}.** {why}{tail}")
    else:
        shown = ("warning", f"**Not this time. The run shows: {answer}.** {why}{tail}")
    st.session_state[f"_verdict_{key}"] = shown
    return True


def reveal_chart(shown: bool, reveal: str, recipe: Any, result: dict | None, *, key: str,
                 name: str, alt: Any, axes: tuple[str, str], height: int = 280) -> Any:
    """A page's main chart behind its prediction ``reveal``: empty ``axes`` (x, y titles) until
    the learner commits; then ``recipe``'s table and chart from ``result`` with its text
    alternative ``alt(table)`` and data (``show``), and the verdict under it. Returns the table,
    or None while held back."""
    if not shown or result is None:
        held_back(*axes, height=height)
        return None
    table = recipe.table(result)
    show(recipe.chart(table, result), table, key=key, name=name, alt_text=alt(table))
    verdict(reveal)
    return table


def verdict(key: str) -> None:
    """The revealed answer of prediction ``key``, drawn where the page wants it (under its main
    chart, so revealing does not push the chart down). Nothing before the reveal."""
    v = st.session_state.get(f"_verdict_{key}") if revealed(key) else None
    if v is not None:
        getattr(st, v[0])(v[1])


def held_back(x_title: str, y_title: str, *, height: int = 330,
              note: str | None = None) -> None:
    """Empty axes where the main chart will appear once the learner commits."""
    if note is None:
        note = ("Press Reveal to show the run" if state.instructor() else
                "Commit a prediction above to see the run")
    base = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]}))
    axis = alt.Axis(labels=False, ticks=False, grid=False, domainColor="#4A5058")
    axes = base.mark_point(opacity=0).encode(x=alt.X("x:Q", title=x_title, axis=axis),
                                             y=alt.Y("y:Q", title=y_title, axis=axis))
    text = alt.Chart(pd.DataFrame({"x": [0.5], "y": [0.5], "t": [note]})).mark_text(
        fontSize=18, color="#4A5058").encode(x="x:Q", y="y:Q", text="t:N")
    draw_chart(alt.layer(axes, text).properties(height=height), f"Empty chart: {note}.")


def beside(*, box: bool = True, key: str = "main") -> tuple[Any, Any]:
    """The page shape's controls-beside-chart row: (controls, main). ``controls`` is a bordered
    box in the narrow left column (``box=False``: the bare column); ``main`` the wide one.
    On a phone, where columns stack, the chart comes first and its controls right under it
    (PAGE_CSS), so a slider and the chart it moves share a screen. ``key`` names the row
    (unique on the page)."""
    left, main = st.container(key=f"beside_{key}").columns([1, 2.7], gap="medium")
    return (left.container(border=True) if box else left), main


def more_settings():
    """The fold for advanced controls: an expander for a learner; on a projector, where
    advanced controls are hidden, a plain container (no empty expander)."""
    return st.container() if state.instructor() else st.expander("More settings")


def locked(what: str) -> None:
    """The note that stands where deeper results wait for the commit: "Commit your prediction
    above to see {what}" (in instructor mode: "Press Reveal above to show {what}")."""
    verb = ("Press Reveal above to show" if state.instructor() else
            "Commit your prediction above to see")
    st.caption(f":material/lock: {verb} {what}")


def section(title: str, *, expanded: bool = False):
    """A marked "go deeper" section below the first screen: an expander titled ``title``."""
    return st.expander(title, expanded=expanded, icon=":material/expand_circle_down:")


#: Projector charts are this much taller than laptop charts.
PROJECTOR_HEIGHT = 1.4


def _styled(chart: alt.TopLevelMixin, projector: bool | None = None) -> alt.TopLevelMixin:
    """The app's one axis, legend and text style; larger in-chart text on a projector, and
    legends that wrap under the chart instead of cutting their labels."""
    if state.instructor() if projector is None else projector:
        return chart.configure_axis(labelFontSize=16, titleFontSize=18).configure_legend(
            labelFontSize=16, titleFontSize=16, labelLimit=560, titleLimit=560,
            orient="bottom", direction="vertical", columns=2, symbolSize=140,
        ).configure_text(fontSize=16).configure_mark(aria=False)
    # Marks carry no ARIA roles of their own (empty layers made unlabelled "img" nodes): the
    # chart's text alternative labels the whole figure.
    return chart.configure_axis(labelFontSize=12, titleFontSize=13).configure_legend(
        labelLimit=340, titleLimit=340).configure_mark(aria=False)


def _scale_heights(spec: dict, factor: float) -> None:
    """Multiply every view height of a Vega-Lite spec in place (not mark sizes)."""
    if isinstance(spec.get("height"), (int, float)):
        spec["height"] = round(spec["height"] * factor)
    for k in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(k, []) or []:
            if isinstance(child, dict):
                _scale_heights(child, factor)
    if isinstance(spec.get("spec"), dict):
        _scale_heights(spec["spec"], factor)


def _records_json(data: pd.DataFrame) -> str:
    buf = io.StringIO()
    data.to_json(buf, orient="records")
    return buf.getvalue()


def _finished_spec(chart: alt.TopLevelMixin, projector: bool) -> dict:
    """The spec Streamlit sends for ``chart``: styled, validated, data as Arrow bytes; width
    fitted to the column, height the plot's own; about 1.4x taller on a projector."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    spec = _convert_altair_to_vega_lite_spec(_styled(chart, projector))
    if "autosize" not in spec and not any(k in spec for k in ("facet", "hconcat", "vconcat",
                                                               "concat", "repeat")):
        # The height a chart asks for is its plot's height: axes and a legend below it add
        # to it (Streamlit's default "fit" squeezes them into the height instead, which
        # shrank a 180 px chart with a legend to a 20 px strip).
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    if projector:
        _scale_heights(spec, PROJECTOR_HEIGHT)
    return spec


def draw_chart(chart: alt.TopLevelMixin, alt_text: str | None = None, *,
               select_key: str | None = None) -> Any:
    """Draw an Altair chart full width in the page's style (laptop or projector).

    A chart from a memoised builder (``ui.chartcache.memo``) is styled, validated and
    serialised once per server and style; any other chart is converted on each run. The text
    alternative goes into the SVG (Vega-Lite ``description``) and the element's accessible name.
    ``select_key``: for a chart with an Altair selection parameter, rerun on a selection and
    return its state (``state.selection``).
    """
    projector = state.instructor()
    if chartcache.is_memoised(chart):
        spec = chartcache.spec(chart, "projector" if projector else "laptop",
                               lambda c: _finished_spec(c, projector))
    else:
        spec = _finished_spec(chart, projector)
    # Streamlit 1.67 applies ``alt`` on the frontend as the chart's Vega description, which
    # becomes the SVG's accessible name.
    if select_key is None:
        return st.vega_lite_chart(spec=spec, width="stretch", alt=alt_text or None)
    # A chart with an Altair selection (e.g. click to set a start point): returns its state.
    return st.vega_lite_chart(spec=spec, width="stretch", alt=alt_text or None,
                              on_select="rerun", key=select_key)


def show(chart: alt.TopLevelMixin, data: pd.DataFrame, *, alt_text: str, key: str,
         name: str | None = None) -> None:
    """Draw ``chart`` with its text alternative and its data (table + CSV/JSON download).

    The table is drawn only when asked for and the files are built only when clicked, so a
    page rerun pays for the chart alone (this matters with a class on one small server).
    """
    draw_chart(chart, alt_text)
    st.caption(f":material/accessibility: {alt_text}")
    with st.expander("Data behind this chart (table, CSV, JSON)", icon=":material/table:"):
        if st.toggle("Show the numbers as a table", key=f"table_{key}"):
            st.dataframe(data.head(2000), hide_index=True, height=220)
        c1, c2 = st.columns(2)
        stem = name or key
        c1.download_button("Download CSV", lambda: data.to_csv(index=False), f"{stem}.csv",
                           "text/csv", key=f"csv_{key}", icon=":material/download:",
                           on_click="ignore")
        c2.download_button("Download JSON", lambda: _records_json(data), f"{stem}.json",
                           "application/json", key=f"json_{key}", icon=":material/download:",
                           on_click="ignore")


def ending(file: str, recipe: Any, *, code: bool = True, fn: Any = None,
           params: dict[str, Any] | None = None, show: Sequence[str] | None = None) -> None:
    """How every lesson page and lab ends: the code behind its main chart (the ``recipe``'s
    experiment call, or ``fn`` at ``params``; printing ``show``, by default the recipe's
    headline keys; ``code=False`` where the page has none), "Download as notebook" and the
    footer."""
    if code:
        code_for(fn or recipe.fn, recipe.params if params is None else params,
                 show=recipe.headline if show is None else show)
    notebook_download(file, recipe=recipe)
    footer(file)


def footer(file: str) -> None:
    """Previous / next lesson links, and any notes about bad link values shown at the top."""
    st.divider()
    prev, nxt = neighbours(file)
    c1, c2 = st.columns(2)
    if prev is not None:
        c1.page_link(f"pages/{prev.file}", label=f"Previous: {prev.title}",
                     icon=":material/arrow_back:")
    if nxt is not None:
        c2.page_link(f"pages/{nxt.file}", label=f"Next: {nxt.title}",
                     icon=":material/arrow_forward:")
    st.html(f"<div id='{PAGE_END_ID}' aria-hidden='true'></div>")  # browser tests wait for it
    notes = state.take_notes()
    slot = st.session_state.get(_NOTES_SLOT)
    if notes:
        target = slot if slot is not None else st
        for n in notes:
            target.warning(n, icon=":material/link_off:")


def metric_row(items: list[tuple[str, str, str | None]]) -> None:
    """A row of ``st.metric``: (label, value, help)."""
    cols = st.columns(len(items))
    for col, (label, value, help_) in zip(cols, items):
        col.metric(label, value, help=help_)
