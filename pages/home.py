"""Home: what the app teaches, the lesson map, how to use it, and what runs live.

This page must paint before PyTorch is even imported: it imports only Streamlit and the
torch-free ``ui.layout`` / ``ui.nav`` / ``ui.glossary`` (tests/pages/test_home.py checks it).
"""

import streamlit as st

from ui import benchfacts, layout, state
from ui.glossary import term
from ui.nav import PAGES, by_file

FILE = "home.py"

#: The 50-minute class: (minutes, page, preset or None for the defaults, what to discuss).
CLASS_PLAN = [
    ("0-8 min", "s1_vanishing.py", "vanish100",
     "predict how much gradient reaches step 0; reveal; drag the w^k warm-up"),
    ("8-10 min", "s1_vanishing.py", "long300", "the same at T = 300: how far does it fall?"),
    ("10-17 min", "s2_exploding.py", "explode",
     "what an explosive start does to training; the W_hh-frozen control"),
    ("17-24 min", "s3_why.py", "silent", "the product of Jacobians against the Pascanu bound"),
    ("24-29 min", "s4_effects.py", "order", "at what length does a plain RNN stop learning?"),
    ("29-35 min", "s5_clipping.py", "explode_clip",
     "does clipping save the exploding run? Then the cliff"),
    ("35-42 min", "s5_gated.py", "lesson",
     "do gates carry the gradient before training, or only after?"),
    ("42-46 min", "s6_init_norm.py", "lesson", "which start reaches furthest back; normalisation"),
    ("46-50 min", "s7_conclusion.py", None, "the quiz, answered by the room"),
]


layout.header(FILE, """
    Recurrent networks read a sequence one step at a time and are trained by sending an error
    backwards through every step. On the way back that error is multiplied again and again,
    so it tends to **fade away** or **blow up**. This app lets you watch both happen in real
    PyTorch models, see where they come from, and try the fixes that work.""",
    short="Watch gradients fade and blow up in real PyTorch models, and try the fixes.")
# On a projector the class plan comes first; a learner reads what the lesson is first.
plan = st.container() if state.instructor() else None

c1, c2 = st.columns([1.3, 1], gap="large")
with c1:
    st.header("What you will learn")
    st.markdown(
        f"- Why the gradient reaching early steps of a plain RNN shrinks geometrically "
        f"({term('vanishing gradient', 'vanishing')}) or grows until the weights turn into NaN "
        f"({term('exploding gradient', 'exploding')}).\n"
        f"- Where both come from: {term('BPTT')} multiplies one {term('Jacobian')} per step, and "
        f"the {term('singular value', 'singular values')} of the recurrent matrix decide which "
        f"way the product goes ({term('Pascanu bound', 'the Pascanu bound')}).\n"
        "- What each failure does to training, measured against the "
        f"{term('chance baseline', 'chance line')} of tasks with long-term dependencies.\n"
        f"- The fixes and their limits: {term('gradient clipping')}, {term('LSTM', 'LSTMs')} "
        f"and {term('GRU', 'GRUs')}, {term('orthogonal initialisation')}, the "
        f"{term('IRNN')}, {term('layer normalisation', 'layer')} and "
        f"{term('recurrent batch normalisation', 'recurrent batch')} normalisation.")
with c2:
    st.header("Start here")
    first = by_file("s1_vanishing.py")
    st.page_link(f"pages/{first.file}", label=f"Begin with {first.title}", icon=first.icon)
    st.markdown(
        "Each lesson page asks you to **predict** what will happen before you look, shows a "
        "live chart with a box on **how to read it**, explains the result in plain words, and "
        "links to the next page at the bottom. Underlined terms open the "
        "glossary in a new tab.")
    st.page_link("pages/glossary.py", label="Glossary", icon=":material/menu_book:")

st.header("The lesson map")
for section, intro in (("Lesson", "Seven sections, in order: the problems, their cause, "
                                  "their effects, the fixes, and a quiz."),
                       ("Labs", "Three hands-on labs for the lesson's next steps: you set up "
                                "the runs and compare them."),
                       ("Reference", "Look up any word.")):
    pages = [p for p in PAGES if p.section == section]
    st.markdown(f"**{section}** · {intro}")
    per_row = 3
    for i in range(0, len(pages), per_row):
        cols = st.columns(per_row)
        for col, p in zip(cols, pages[i:i + per_row]):
            with col, st.container(border=True, height="stretch"):
                st.page_link(f"pages/{p.file}", label=p.title, icon=p.icon)
                st.caption(p.blurb)

st.header("How to use it")
c1, c2 = st.columns(2, gap="large")
with c1, st.container(border=True, height="stretch"):
    st.markdown("### :material/school: On your own")
    st.markdown(
        "1. **Predict first.** Every page opens with a question. Commit to an answer before "
        "you study the chart; being surprised is how the idea sticks.\n"
        "2. **Change one knob at a time** and predict again: sequence length, recurrent gain, "
        "cell type, clipping threshold. Keep the seed the same so the only difference is the "
        "knob.\n"
        "3. **Read the chart box.** \"How to read this chart\" says what the axes mean and what "
        "a healthy or a broken run looks like. Every chart also has its data as a table, CSV "
        "and JSON.\n"
        "4. **Check yourself** with the quiz at the end of the lesson, and keep the one-page "
        "cheat sheet.")
with c2, st.container(border=True, height="stretch"):
    st.markdown("### :material/co_present: Teaching a class")
    s1 = by_file("s1_vanishing.py")
    st.markdown(
        "- **Presets.** Each page has ready-made setups in its *Preset* menu (on section 1: "
        "\"Classic: tanh RNN, T = 100\", \"Longer: T = 300\", \"Orthogonal start\", \"Same "
        "test, LSTM\").\n"
        "- **Links that reopen a page as set.** Every control is stored in the page's address. "
        "Set a page up, copy the address from the browser, and anyone who opens it sees the "
        "same settings. A preset has its own link, like this one:")
    st.page_link(f"pages/{s1.file}", label=f"{s1.title}, preset T = 300", icon=s1.icon,
                 query_params={"preset": "long300"})
    st.markdown(
        "- **Instructor mode** for a projector: switch it on in the sidebar, or add "
        "`?instructor=true` to a page's address (for example "
        f"`/{s1.url}?preset=long300&instructor=true`). Text and chart labels get bigger and "
        "advanced controls are hidden, so the screen shows only what you talk about.\n"
        "- **Bad links are safe.** A link with a value out of range opens the page at its "
        "default with a note saying what was ignored.")

plan = plan or st.container()
plan.header("A 50-minute class")
plan.markdown(
    "Each link opens the page on the projector (instructor mode) at the setting to discuss. "
    "On every page: read the question aloud, let the room vote (start a *class pulse* in the "
    "sidebar to see the votes), press **Reveal**, then discuss what the run shows.")
for minutes, file, preset, what in CLASS_PLAN:
    info = by_file(file)
    c1, c2 = plan.columns([1, 4.5])
    c1.markdown(f"**{minutes}**")
    with c2:
        st.page_link(f"pages/{file}", label=f"{info.title}: {what}", icon=info.icon,
                     query_params={"instructor": "true", **({"preset": preset} if preset
                                                             else {})})

st.header("What runs live, and how long it takes")
st.markdown(
    "Every chart comes from a real PyTorch model, nothing is drawn by hand. To keep pages "
    "fast, each page's default result was computed in advance; change a setting and the model "
    "runs for real. A lesson chart, once computed for some settings, is kept for everyone who "
    "asks for the same settings; a lab run is yours and runs each time you press Run. "
    "Typical times, from the last run of the app's benchmark (`python -m bench`):")
rows = benchfacts.timing_rows()
if rows:
    st.table({"What": [r[0] for r in rows], "Time": [r[1] for r in rows],
              "How it was measured": [r[2] for r in rows]})
    st.caption(f"Measured on {benchfacts.machine_note()}. A busy server is slower.")
else:
    st.caption("The benchmark results are not available on this server.")
st.caption(
    "Longer runs show a progress bar and a Stop button that keeps what was trained so far. "
    "A setting whose estimated time is above about 30 s is refused with a message, so one "
    "learner cannot tie up a server that several people share.")

layout.footer(FILE)
