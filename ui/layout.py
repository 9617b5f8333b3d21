"""Page furniture shared by every page: header, explanation boxes, charts with text
alternatives, predict-then-run questions, "the code behind this chart", footer navigation,
the sidebar and instructor (projector) mode. Nothing here imports torch.
"""

from __future__ import annotations

import io
import json
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
[data-testid="stMetricValue"] { font-size: 2.4rem !important; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.05rem !important; }
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


def header(file: str, lead: str) -> None:
    """Title, one-paragraph lead, and a slot for notes about the link (filled by ``footer``)."""
    info = by_file(file)
    if state.instructor():
        st.html(PROJECTOR_CSS)
    st.title(info.title)
    st.session_state[_NOTES_SLOT] = st.container()
    st.markdown(lead)


def explain(md: str, *, title: str = "What is going on") -> None:
    """A plain-language explanation box."""
    with st.container(border=True):
        st.markdown(f"**{title}**\n\n{md}")


def how_to_read(md: str) -> None:
    """The "How to read this chart" box that sits beside every chart."""
    with st.expander("How to read this chart", expanded=not state.instructor(),
                     icon=":material/visibility:"):
        st.markdown(md)


def cite(text: str) -> None:
    """A source line under a chart that reproduces a paper's figure."""
    st.caption(f":material/menu_book: Source: {text}")


def code(snippet: str, *, title: str = "The code behind this chart") -> None:
    """An expander with the few lines of ``core`` calls that reproduce the chart."""
    with st.expander(title, icon=":material/code:"):
        st.code(snippet.strip(), language="python")
        st.caption("Runs as it stands in a notebook opened at the app's folder.")


def predict(key: str, question: str, options: Sequence[str], correct: int, why: str, *,
            observed: str | None = None) -> bool | None:
    """A predict-then-run question. Returns None until answered, then whether it was right.

    The learner picks an answer before looking closely at the result; the verdict and the
    reason appear once they commit. ``observed`` states what the run actually showed.
    """
    with st.container(border=True):
        st.markdown(f":material/psychology: **Predict first.** {question}")
        pick = st.radio("Your prediction", list(options), index=None, key=f"predict_{key}",
                        label_visibility="collapsed")
        if pick is None:
            st.caption("Commit to an answer; the verdict appears here.")
            return None
        right = list(options).index(pick) == correct
        msg = (f"**{'Right' if right else 'Not quite'}.** {why}"
               + (f"\n\n**This run:** {observed}" if observed else ""))
        (st.success if right else st.warning)(msg)
        return right


def _styled(chart: alt.TopLevelMixin, projector: bool | None = None) -> alt.TopLevelMixin:
    if state.instructor() if projector is None else projector:
        return chart.configure_axis(labelFontSize=16, titleFontSize=18).configure_legend(
            labelFontSize=16, titleFontSize=16)
    return chart.configure_axis(labelFontSize=12, titleFontSize=13)


def _records_json(data: pd.DataFrame) -> str:
    buf = io.StringIO()
    data.to_json(buf, orient="records")
    return buf.getvalue()


def _finished_spec(chart: alt.TopLevelMixin, projector: bool) -> dict:
    """The spec Streamlit sends for ``chart``: styled, validated, data as Arrow bytes."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    return _convert_altair_to_vega_lite_spec(_styled(chart, projector))


def draw_chart(chart: alt.TopLevelMixin) -> None:
    """Draw an Altair chart full width in the page's style (laptop or projector).

    A chart from a memoised builder (``ui.chartcache.memo``) is styled, validated and
    serialised once per server and style; any other chart takes Streamlit's usual path.
    """
    projector = state.instructor()
    if chartcache.is_memoised(chart):
        spec = chartcache.spec(chart, "projector" if projector else "laptop",
                               lambda c: _finished_spec(c, projector))
        st.vega_lite_chart(spec=spec, width="stretch")
    else:
        st.altair_chart(_styled(chart, projector), width="stretch")


def show(chart: alt.TopLevelMixin, data: pd.DataFrame, *, alt_text: str, key: str,
         name: str | None = None) -> None:
    """Draw ``chart`` with its text alternative and its data (table + CSV/JSON download).

    The table is drawn only when asked for and the files are built only when clicked, so a
    page rerun pays for the chart alone (this matters with a class on one small server).
    """
    draw_chart(chart)
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


def download_json(label: str, payload: Any, filename: str, key: str) -> None:
    """A download button for any JSON-ready payload."""
    st.download_button(label, json.dumps(payload, indent=1, default=str), filename,
                       "application/json", key=key, icon=":material/download:")


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
