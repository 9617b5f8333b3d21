"""Streamlit side of :mod:`core.admission`: a job's place in the queue, a Cancel button, and the
poll that ends a job whose page run is no longer current.

How a superseded run is detected: every Streamlit session runs its script in a thread, and an
``st.*`` call checks the run's pending requests (a click, a slider move, leaving the page) and
raises Streamlit's ``StopException`` / ``RerunException`` when the run should end. A long torch
call makes no ``st.*`` call, so :func:`run_poll` hands the job that same check (the script run
context's ``yield_check``, which Streamlit also uses while a cache miss waits for a lock); the
admission queue calls it while the job waits, and ``report`` callbacks call it while it runs.
The exception then unwinds through the job (releasing its slot, caching nothing) and Streamlit
handles it as if an ``st.*`` call had raised it.

    with admission.slot(job_id, "Training three networks") as ticket:
        result = fn(**params, report=lambda frac, part: ticket.check())
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from core.admission import ADMISSION, Admission, Cancelled, Ticket

__all__ = ["ADMISSION", "Cancelled", "run_poll", "slot", "cancelled", "forget", "wait_text"]

_CANCELLED = "_admission_cancelled"


def _never() -> None:
    return None


def run_poll() -> Callable[[], None]:
    """A poll that raises Streamlit's own Stop/Rerun exception once this script run has been
    superseded, without drawing anything. Outside a script run (tools, unit tests) it never
    raises."""
    ctx = get_script_run_ctx(suppress_warning=True)
    check = getattr(ctx, "yield_check", None) if ctx is not None else None
    return check if callable(check) else _never


def wait_text(place: int, running: int, slots: int, waited: float) -> str:
    """What a waiting visitor reads (``place`` 1 = next to start)."""
    who = "You are **next** in the queue" if place == 1 else \
        f"You are number **{place}** in the queue"
    jobs = "1 heavy job" if slots == 1 else f"{slots} heavy jobs"
    now = "1 is" if running == 1 else f"{running} are"
    return (f"{who}. This server runs {jobs} at a time (one per CPU core) for everyone using it, "
            f"and {now} running now. Yours starts by itself when one ends "
            f"(waiting for {waited:.0f} s).")


def _mark_cancelled(job_id: str) -> None:
    st.session_state.setdefault(_CANCELLED, set()).add(job_id)


def cancelled(job_id: str) -> bool:
    """True when this session pressed Cancel on ``job_id`` (until :func:`forget`)."""
    return job_id in st.session_state.get(_CANCELLED, ())


def forget(job_id: str) -> None:
    """Clear a Cancel (the visitor asked to run it after all)."""
    st.session_state.get(_CANCELLED, set()).discard(job_id)


@contextlib.contextmanager
def slot(job_id: str, what: str, *, poll: Callable[[], None] | None = None,
         quiet: Callable[[], bool] | None = None, admission: Admission | None = None,
         leave: str | None = None) -> Iterator[Ticket]:
    """Hold one of the server's heavy-job slots for the block; while waiting, show the place in
    the queue (updated every second) and a Cancel button.

    ``leave``: instead of a Cancel button, this sentence says how to leave the queue (inside an
    ``st.fragment`` a button of the fragment cannot interrupt the fragment's own run: Streamlit
    queues that click until the run ends, so ``ui.runner`` points to its Stop button, which
    reruns the page and so ends the wait).

    ``poll`` (default :func:`run_poll`) may raise to abandon the job. ``quiet()`` True means
    draw nothing more (the run was superseded but the job goes on for someone else). Pressing
    Cancel reruns the page: the waiting run is abandoned by ``poll`` and :func:`cancelled` is
    True for ``job_id`` in the new run.
    """
    adm = admission or ADMISSION
    box = st.empty()
    drawn: dict = {}
    start = time.monotonic()

    def on_wait(place: int, running: int, slots: int) -> None:
        if quiet is not None and quiet():
            return
        if "msg" not in drawn:
            with box.container(border=True):
                drawn["msg"] = st.empty()
                if leave is None:
                    st.button("Cancel", key=f"cancel_{job_id}", icon=":material/close:",
                              on_click=_mark_cancelled, args=(job_id,),
                              help="Leave the queue. Nothing is computed for these settings.")
        text = wait_text(place, running, slots, time.monotonic() - start)
        drawn["msg"].info(text if leave is None else f"{text} {leave}",
                          icon=":material/hourglass_top:")

    with adm.slot(what, poll=poll or run_poll(), on_wait=on_wait) as ticket:
        if drawn and not (quiet is not None and quiet()):
            box.empty()
        yield ticket
