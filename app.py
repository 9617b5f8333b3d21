"""RNN Gradient Lab: the entrypoint. Page config, navigation and the shared sidebar only."""

from pathlib import Path

import streamlit as st

from ui import layout
from ui.nav import by_file

#: The favicon ships with the app: a ":material/...:" page_icon makes every browser fetch an SVG
#: from fonts.gstatic.com. It must be set before st.navigation, or the current page's icon
#: becomes the favicon.
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"

projector = st.query_params.get("instructor", "").lower() == "true"
st.set_page_config(page_title="RNN Gradient Lab", page_icon=str(ICON),
                   layout="wide", initial_sidebar_state="collapsed" if projector else "auto")


def page(file: str) -> st.Page:
    """A page of pages/, titled and addressed as ui/nav.py describes it."""
    info = by_file(file)
    return st.Page(f"pages/{file}", title=info.title, icon=info.icon, url_path=info.url,
                   default=file == "home.py")


current = st.navigation({
    "Start": [page("home.py")],
    "Lesson": [page("s1_vanishing.py"), page("s2_exploding.py"), page("s3_why.py"),
               page("s4_effects.py"), page("s5_clipping.py"), page("s5_gated.py"),
               page("s6_init_norm.py"), page("s7_conclusion.py")],
    "Labs": [page("lab1_clipping.py"), page("lab2_compare.py"), page("lab3_playground.py")],
    "Reference": [page("glossary.py")],
}, expanded=True)
layout.sidebar()
current.run()
