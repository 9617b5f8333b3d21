"""RNN Gradient Lab: the entrypoint. Page config, navigation and the shared sidebar only."""

import streamlit as st

from ui import layout
from ui.nav import PAGES

projector = st.query_params.get("instructor", "").lower() == "true"
st.set_page_config(page_title="RNN Gradient Lab", page_icon=":material/timeline:",
                   layout="wide", initial_sidebar_state="collapsed" if projector else "auto")

groups: dict[str, list] = {}
for p in PAGES:
    groups.setdefault(p.section, []).append(
        st.Page(f"pages/{p.file}", title=p.title, icon=p.icon, url_path=p.url,
                default=p.file == "home.py"))

page = st.navigation(groups, expanded=True)
layout.sidebar()
page.run()
