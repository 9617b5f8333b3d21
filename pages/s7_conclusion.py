"""Lesson section 7: conclusion. The summary table, a quiz marked as you go and a cheat sheet.

The quiz answers live only in this session (never in the URL): they are the learner's own.
Each question is marked as soon as the learner checks it (right or wrong, with the
explanation under it); the score counts the questions checked so far. A committed answer is
counted anonymously in the class pulse when the session is in a room, and the instructor who
holds the room's key sees the live tally beside each question. The questions come four to a
tab, two to a row (one to a row for the key holder, whose tally sits beside each question).
The take-home notebook reruns section 5b's experiment, the run behind the cheat sheet's
before/after-training comparison.
"""

import streamlit as st

from core.experiments import gated
from ui import cheatsheet, layout, notebook, pulse, quiz, state
from ui.charts.special import before_after
from ui.glossary import term
from ui.nav import by_file
from ui.palette import RUN_COLORS

FILE = "s7_conclusion.py"
ANSWERED = "quiz_answered"  # the committed answers: {question key: option index}
ATTEMPT = "quiz_attempt"  # bumped by Retake: fresh widgets, so the browser forgets the picks
PER_TAB = 4  # questions per tab: the page stays short after every answer is explained


def _answer_key(q: quiz.Question) -> str:
    return f"quiz{st.session_state.get(ATTEMPT, 0)}_{q.key}"


def _check_key(q: quiz.Question) -> str:
    return f"quiz_check{st.session_state.get(ATTEMPT, 0)}_{q.key}"


def _commit(q: quiz.Question) -> None:
    """Lock in the learner's pick for ``q`` (it is then marked, and counted for the class)."""
    i = quiz.choice_index(q, st.session_state.get(_answer_key(q)))
    if i is not None:
        st.session_state.setdefault(ANSWERED, {})[q.key] = i


def _retake() -> None:
    for q in quiz.QUESTIONS:
        st.session_state.pop(_answer_key(q), None)
    st.session_state.pop(ANSWERED, None)
    st.session_state[ATTEMPT] = st.session_state.get(ATTEMPT, 0) + 1


def _question(n: int, q: quiz.Question, answers: dict) -> None:
    """Question ``n``: its options, a Check button, and once checked its verdict and the
    explanation right under it. Committed answers go to the class pulse."""
    st.markdown(f"**{n}. {q.prompt}**  \n:gray[{q.topic}, from {by_file(q.page).title}]")
    key = _answer_key(q)
    i = quiz.choice_index(q, answers.get(q.key))
    answered = i is not None
    if answered:
        # a checked answer is locked and always shown (also after a visit to another page,
        # when Streamlit has dropped the widget's own state)
        st.session_state[key] = i
    pick = st.radio(f"Question {n}", list(range(len(q.options))),
                    format_func=q.options.__getitem__, key=key,
                    label_visibility="collapsed", disabled=answered,
                    **({} if key in st.session_state else {"index": None}))
    if not answered:
        st.button("Check this answer", key=_check_key(q), on_click=_commit, args=(q,),
                  disabled=pick is None, icon=":material/fact_check:")
        if state.instructor():
            with st.expander("Answer, for discussion"):
                st.markdown(f"**{q.options[q.correct]}.** {q.why}")
        return
    pulse.record(f"quiz:{q.key}", q.options[i], list(q.options), correct=q.correct,
                 prompt=q.prompt)
    if i == q.correct:
        st.success(f"**Right.** {q.why}", icon=":material/check_circle:")
    else:
        st.error(f"**Not quite.** The answer: **{q.options[q.correct]}**. {q.why}",
                 icon=":material/cancel:")
    if q.terms:
        st.caption("Read more in the glossary: " + ", ".join(term(t) for t in q.terms))


layout.header(FILE, """
    A recurrent network's error signal is multiplied by one Jacobian per step on its way
    back, and that repeated multiplication makes it fade (vanishing) or blow up (exploding).
    Below: the whole lesson on one table, a quiz to check yourself, and a sheet to keep.""",
    short="The lesson on one table, then a quiz marked as you go.")

st.header("The lesson on one table")
layout.wide_or_narrow(cheatsheet.summary_markdown(links=True),
                      cheatsheet.summary_cards_markdown(links=True))
st.caption("The links to the app's pages open that page in a new tab. The same table heads "
           "the cheat sheet at the bottom of this page.")

#: Section 5b's run, quoted by the cheat sheet: how many steps the gradient travels back.
BACK = f"the {quiz.GATED['seq_len'] - 1} steps of section 5b's run" if quiz.GATED else "long runs"
with layout.section("The thread through the lesson"):
    st.markdown(
        f"Both failures come from the same place: {term('BPTT', 'backpropagation through time')} "
        f"multiplies the error by one {term('Jacobian')} per step, and a long product of matrices "
        "almost never stays near size 1. Which way it goes depends on how much each step stretches "
        f"or squashes: the {term('singular value', 'singular values')} of W_hh and the slope of the "
        f"activation ({term('Pascanu bound', 'the Pascanu bound')}).\n\n"
        f"The fixes act on different parts of that product. {term('Gradient clipping')} caps the "
        "size of an update after the fact, so it tames exploding gradients and does nothing for "
        f"vanishing ones. {term('LSTM', 'LSTMs')} and {term('GRU', 'GRUs')} add a path whose "
        f"step-to-step factor is a {term('gate')} the network can learn to hold near 1; they help "
        "**once trained**: freshly initialised, they pass less than a millionth of the gradient "
        f"back over {BACK}, like a plain RNN. A careful start "
        f"({term('orthogonal initialisation', 'orthogonal')} or identity "
        f"W_hh, {term('forget-gate bias')} 1) gives training a better place to begin, and "
        f"{term('layer normalisation', 'normalisation')} keeps the hidden state in a sensible range. "
        "None of them is a guarantee, which is why the last habit is the most useful one: measure "
        "the gradient and compare the loss with the chance line.")

# -- quiz ---------------------------------------------------------------------------------------
st.header(f"Quiz: {len(quiz.QUESTIONS)} questions across the lesson")
st.caption("Your answers stay in this browser tab: they are not part of the page's link and "
           "nobody else sees them (in a class room they are counted anonymously). Check each "
           "answer as you go: it is marked at once, with the reason. The questions come in "
           f"{-(-len(quiz.QUESTIONS) // PER_TAB)} tabs of up to {PER_TAB}.")

answers: dict = st.session_state.get(ANSWERED) or {}
teacher = pulse.is_instructor()  # holds the room's key: the live tally sits beside each question
per_row = 1 if teacher else 2
parts = range(0, len(quiz.QUESTIONS), PER_TAB)
tabs = st.tabs([f"Questions {a + 1}–{min(a + PER_TAB, len(quiz.QUESTIONS))}" for a in parts],
               key="quiz_part", on_change="rerun")
for tab, start in zip(tabs, parts):
    with tab:
        for first in range(start, min(start + PER_TAB, len(quiz.QUESTIONS)), per_row):
            row = quiz.QUESTIONS[first:first + per_row]
            cols = st.columns(per_row, gap="small") if per_row > 1 else [st.container()]
            for n, q, col in zip(range(first + 1, first + per_row + 1), row, cols):
                with col, st.container(border=True, key=f"quiz_box_{q.key}"):
                    if not teacher:
                        _question(n, q, answers)
                        continue
                    left, right = st.columns([3, 2])
                    with left:
                        _question(n, q, answers)
                    with right:
                        pulse.tally(f"quiz:{q.key}", list(q.options), correct=q.correct,
                                    reveal=quiz.choice_index(q, answers.get(q.key)) is not None)

score = quiz.score(answers)
if score.answered:
    checked = [q for q in quiz.QUESTIONS if score.results[q.key] is not None]
    with st.container(border=True):
        st.markdown("### Your score")
        c1, c2, c3 = st.columns([1, 1, 3], vertical_alignment="center")
        c1.metric("correct", f"{score.correct} / {score.total}",
                  help=f"{score.correct} right of the {score.answered} checked so far")
        c2.metric("answered", f"{score.answered} / {score.total}")
        with c3:
            st.progress(score.correct / score.total, text=f"{score.percent:.0f}%")
            if score.answered == score.total:
                st.markdown(quiz.verdict(score))
            else:
                todo = score.total - score.answered
                st.markdown(f"{todo} question{'s' if todo != 1 else ''} still to check.")
        missed = quiz.score(answers, checked).missed_pages()  # wrong answers only
        if missed:
            st.markdown("**Worth revisiting:**")
            with st.container(horizontal=True):
                for f in missed:
                    info = by_file(f)
                    st.page_link(f"pages/{f}", label=info.title, icon=info.icon)
        st.caption("Checked answers are locked. Retake to clear them and try again.")
        st.button("Retake the quiz", on_click=_retake, icon=":material/restart_alt:",
                  key="quiz_retake", help="Clears your answers and the score.")

# -- cheat sheet --------------------------------------------------------------------------------
st.header("Take it with you: a one-page cheat sheet")
c1, c2, c3 = st.columns([1.2, 1.2, 2], vertical_alignment="center")
c1.download_button("Cheat sheet (HTML)", cheatsheet.html(),
                   "rnn_gradients_cheatsheet.html", "text/html", key="cheat_html",
                   icon=":material/download:", type="primary")
c2.download_button("Cheat sheet (Markdown)", cheatsheet.markdown(),
                   "rnn_gradients_cheatsheet.md", "text/markdown", key="cheat_md",
                   icon=":material/download:")
c3.caption("One printed page (A4, landscape): the table above, the five equations, a "
           "diagnosis checklist, the numbers worth remembering and the sources. Open the HTML "
           "file in a browser and print it, or save it as a PDF.")
with st.expander("Preview the rest of the sheet (below its table)",
                 icon=":material/visibility:"):
    st.markdown(cheatsheet.extras_markdown(level=3))

st.markdown("Forgotten a word? The glossary has every term with the page that shows it. "
            "Want to try the fixes yourself? The labs come next.")
st.page_link("pages/glossary.py", label="Glossary", icon=":material/menu_book:")
RECIPE = notebook.Recipe(
    gated.compare_cells, {}, gated.moment_table, before_after,
    dict(order=[label for *_, label in gated.RUNS],
         colours=[RUN_COLORS[rid] for rid, *_ in gated.RUNS],
         y_title="first/last gradient ratio (log; 1 = nothing lost)", height=280),
    inputs=("res", "res"), dataframe=True,
    headline=tuple(f"runs.{k}.{m}" for m in ("ratio_init", "ratio_final")
                   for k in ("rnn", "lstm", "gru")))
layout.ending(FILE, RECIPE, code=False)
