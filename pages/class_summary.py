"""Instructor: the class pulse summary of a room (key holder only). Every question the room
answered with its distribution and share correct, a CSV export, and closing the room.
Imports nothing heavy."""

import streamlit as st

from ui import layout, pulse, state
from ui import pulse_store as ps
from ui.nav import by_file

FILE = "class_summary.py"
LEAD = ("What the room answered: every prediction and quiz question your learners committed "
        "while in your class pulse room, with how the answers split and how many were right. "
        "Answers are anonymous: one per browser session and question, the latest counting.")


def _registered() -> bool:
    try:
        by_file(FILE)
    except KeyError:  # not yet in ui/nav.py: plain title, no previous/next links
        return False
    return True


REGISTERED = _registered()
if REGISTERED:
    layout.header(FILE, LEAD)
else:
    st.title("Class pulse: summary")
    st.markdown(LEAD)

pulse.join_from_url()

if not pulse.is_instructor():
    room = pulse.active()
    with st.container(border=True):
        st.markdown(
            ":material/lock: **This page is for the instructor who holds the room's key.**\n\n"
            + (f"You are in class room **{room}** as a learner: your answers are counted "
               "anonymously, and the instructor shows the results.\n\n" if room else "")
            + "An instructor gets a room and its key in one of two ways:\n\n"
            "1. Turn on **Instructor mode** in the sidebar and press **Start a class pulse**. "
            "This browser session then holds the key.\n"
            "2. Before class, run `python -m tools.pulse new` in the app's folder. It prints "
            "the room code and key; open the app with `?room=CODE&key=KEY` (never on the "
            "projector), or enter both below.\n\n"
            "Learners join with `?room=CODE` on any page, or by scanning the room's QR code.")
    pulse.key_form()
else:
    code = pulse.active()
    with st.expander(f"Join link and QR code for room {code}", expanded=state.instructor(),
                     icon=":material/qr_code_2:"):
        pulse.join_card()

    @st.fragment(run_every=5)
    def _live_summary() -> None:
        sums = pulse.summary()
        if sums is None:
            return
        layout.metric_row([
            ("Learners who answered", str(pulse.learners() or 0),
             "Browser sessions that committed at least one answer."),
            ("Questions answered", str(len(sums)), None),
        ])
        if not sums:
            st.info("No answers yet. They appear here within seconds of being committed.",
                    icon=":material/hourglass_empty:")
            return
        for s in sums:
            with st.container(border=True):
                st.markdown(f"**{s.prompt or s.question_id}**")
                right = (f"{s.share_correct:.0%} correct" if s.share_correct is not None
                         else "no single right answer")
                st.caption(f"`{s.question_id}` · {s.answered} answered · {right}")
                pulse.draw_bars(s.counts, s.options, s.correct)

    _live_summary()

    sums = pulse.summary()
    if sums:
        st.download_button(
            "Download the summary (CSV)", ps.summary_csv(sums),
            file_name=f"class-pulse-{code}.csv", mime="text/csv", icon=":material/download:",
            help="One row per question and option: count, share, and whether it is correct.")

    with st.expander("Close the room", icon=":material/delete:"):
        st.markdown("Closing deletes the room and every answer in it at once (otherwise they "
                    "are deleted 24 hours after the room was opened). Learners are told the "
                    "room is closed. Download the CSV first if you want to keep the results.")
        sure = st.checkbox("Yes, delete this room and all its answers", key="pulse_close_sure")
        if st.button("Close the room", type="primary", disabled=not sure, key="pulse_close"):
            if pulse.close_room():
                st.success(f"Room {code} is closed and its answers are deleted.",
                           icon=":material/check_circle:")

if REGISTERED:
    layout.footer(FILE)
else:
    st.html(f"<div id='{layout.PAGE_END_ID}' aria-hidden='true'></div>")
