"""RNN Gradient Lab: the entrypoint. Page config, navigation and the shared sidebar only."""

from pathlib import Path

import streamlit as st

from ui import layout, perf, pulse, state
from ui.nav import PAGES, SECTIONS, PageInfo

#: The favicon ships with the app: a ":material/...:" page_icon makes every browser fetch an SVG
#: from fonts.gstatic.com. It must be set before st.navigation, or the current page's icon
#: becomes the favicon.
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"

projector = st.query_params.get("instructor", "").lower() == "true"
st.set_page_config(page_title="RNN Gradient Lab", page_icon=str(ICON),
                   layout="wide", initial_sidebar_state="collapsed" if projector else "auto")


def page(info: PageInfo) -> st.Page:
    """A page of pages/, titled and addressed as ui/nav.py describes it."""
    return st.Page(f"pages/{info.file}", title=info.title, icon=info.icon, url_path=info.url,
                   default=info.file == "home.py")


# One page list (ui/nav.py): the navigation, the lesson map and the previous/next links.
current = st.navigation({section: [page(p) for p in PAGES if p.section == section]
                         for section in SECTIONS}, expanded=True)
with perf.timed(current.url_path):  # logged only with RNNLAB_TIMING=1 (bench.visit)
    state.enter_page(current.url_path)  # another page's settings do not carry over
    pulse.join_from_url()  # before the sidebar, so a link's room and key are known there
    layout.sidebar()
    current.run()
perf.freeze_new_modules()  # later full garbage collections skip what a run imported
