"""Reference: the glossary. Every entry has an anchor (``glossary#bptt``) that pages link to
with ``ui.glossary.term``. Imports nothing heavy."""

import streamlit as st

from ui import glossary, layout, state
from ui.nav import by_file

FILE = "glossary.py"

layout.header(FILE, """
    Plain definitions of the words the lessons use, each with the places in the app where you
    can see the idea at work. Words underlined on other pages link here and open in a new
    tab, so you do not lose your place.""")

groups = glossary.grouped()
with st.container(border=True):
    st.markdown("**Jump to a word**")
    for group, terms in groups:
        links = " · ".join(f"[{t.name}](#{t.anchor})" for t in terms)
        st.markdown(f"*{group}:* {links}")

for group, terms in groups:
    st.header(group, anchor=f"topic-{glossary.slug(group)}", divider="gray")
    for t in terms:
        st.subheader(t.name, anchor=t.anchor)
        st.markdown(t.definition)
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            st.caption("Seen in:", width="content")
            for f in t.pages:
                info = by_file(f)
                st.page_link(f"pages/{f}", label=info.title, icon=info.icon)
        if t.related:
            rel = ", ".join(f"[{glossary.BY_ANCHOR[a].name}](#{a})" for a in t.related)
            st.caption(f"Related: {rel}")

st.divider()
c1, c2 = st.columns(2)
c1.page_link("pages/home.py", label="Back to the start", icon=":material/home:")
c2.page_link("pages/s7_conclusion.py", label="Test yourself: the quiz", icon=":material/quiz:")
# The glossary is outside the lesson order, so layout.footer (previous / next) does not apply;
# this is its footer: the end-of-page marker the browser tests wait for, and any link notes.
st.html(f"<div id='{layout.PAGE_END_ID}' aria-hidden='true'></div>")
for n in state.take_notes():
    st.warning(n, icon=":material/link_off:")
