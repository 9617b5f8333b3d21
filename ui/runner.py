"""Live training on a page: Run and Stop buttons, a progress bar, a chart that grows while it
trains, results kept for the session, and the shipped result shown before the first run.

An experiment used here is a ``core.experiments`` function that accepts ``report=None``:
``report(fraction_done, partial_result)`` is called every few steps with a result of the same
shape as the final one. Stop works because a click reruns the page, which interrupts the
running script at its next Streamlit call (the progress update); the partial result already
handed to ``report`` is kept and shown as "stopped". Run, the progress and the live chart are an
``st.fragment``: pressing Run reruns them, not the page (see :func:`live`).

Every run first takes one of the server's heavy-job slots (``ui.admission``, one per CPU core):
when all are busy the visitor sees their place in the queue; Stop leaves it. If the shipped
result at the defaults is missing or damaged, the defaults are trained live instead.

    res = runner.live("lab1", exp.compare_clipping, params, draw=lambda r: st.altair_chart(...))
    if res: ...  # res["result"], res["status"] in {"shipped", "done", "stopped"}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from . import admission, demos, layout

_STORE = "_live_runs"
#: Hard wall-time cap of one live run (seconds). Settings are refused up front when their
#: estimate exceeds the page's cap; this stops a run whose estimate was too optimistic.
CAP_SECONDS = 45.0


#: Compute cap of one Run: settings whose estimated training time (one CPU thread) exceeds
#: this are refused up front by :func:`over_cap`.
CAP_ESTIMATE = 30.0


class _OverCap(Exception):
    pass


def over_cap(estimate: float, what: str, advice: str, *, cap: float = CAP_ESTIMATE
             ) -> str | None:
    """None when ``estimate`` seconds fit the cap; otherwise the refusal to pass to
    :func:`live`, saying what the cap is and why it exists. ``what`` names the work ("These
    settings", "This run (300 steps, T = 50)"); ``advice`` says what to lower."""
    if estimate <= cap:
        return None
    return (f"{what} would take about {estimate:.0f} s of training, over the {cap:.0f} s cap "
            f"(the cap is {cap:.0f} s of one CPU thread per run, so that one learner cannot hold "
            f"the shared server's 1-2 CPU cores for everyone else). {advice}")


def _store() -> dict:
    return st.session_state.setdefault(_STORE, {})


def _train(entry: dict, fn: Callable[..., dict], full: dict, jid: str, label: str,
           draw: Callable[[dict], None] | None) -> None:
    """Wait for a heavy-job slot, then train with a progress bar, updating ``entry``."""
    with admission.slot(jid, label, leave="Press **Stop** to leave the queue.") as ticket:
        entry["status"] = "running"
        bar = st.progress(0.0, text="Starting…")
        slot = st.empty()
        start = time.perf_counter()
        last_draw = [0.0]

        def report(frac: float, partial: dict) -> None:
            ticket.check()
            entry["result"] = partial
            entry["seconds"] = time.perf_counter() - start
            if entry["seconds"] > CAP_SECONDS:
                raise _OverCap
            bar.progress(min(max(frac, 0.0), 1.0),
                         text=f"Training… {100 * frac:.0f}% ({entry['seconds']:.1f} s). "
                              "Stop keeps what is trained so far.")
            now = time.perf_counter()
            if draw is not None and now - last_draw[0] > 0.4:
                last_draw[0] = now
                with slot.container():
                    draw(partial)

        from core import runtime

        runtime.configure()
        try:
            result = fn(**full, report=report)
            entry.update(status="done", result=result,
                         seconds=time.perf_counter() - start)
            if demos.is_default(fn, full):
                demos.remember(fn, full, result)
        except _OverCap:
            entry["status"] = "capped"
        finally:
            runtime.release_memory()
        bar.empty()
        slot.empty()


def live(key: str, fn: Callable[..., dict], params: dict[str, Any], *,
         draw: Callable[[dict], None] | None = None, run_label: str = "Run",
         refusal: str | None = None) -> dict | None:
    """Buttons and progress for one live experiment; returns the run to show, or None.

    Returns ``{"status": "shipped" | "done" | "stopped" | "capped", "result": dict,
    "seconds": float}``.
    At the default settings, before anything was run, the shipped (precomputed) result is
    returned with status "shipped"; if the shipped file is missing or damaged, the defaults are
    trained live instead (once per server: the finished run is kept for every session).
    ``refusal``: a reason the settings may not run (compute cap); the Run button is then
    disabled and the reason shown.

    The Run button, the progress bar, the queue place and the live chart are an
    ``st.fragment`` (:func:`_panel`): pressing Run reruns that part only, not the page; when the
    run ends the page reruns once to draw the new result. Stop sits outside the fragment: a
    click inside a fragment cannot interrupt the fragment's own run (Streamlit queues it until
    the run ends), whereas Stop reruns the page, which ends a waiting or running job at its
    next progress report (the part already trained is kept). A run takes one of the server's
    heavy-job slots (:mod:`core.admission`): when all are busy the visitor sees their place in
    the queue; Stop leaves it.
    """
    full = demos.coerce(fn, params)
    ck = f"{key}:{demos.canonical(full)}"
    jid = f"{key}_{demos.job_id(fn.key, full)}"
    store = _store()
    c1, c2, c3 = st.columns([1.2, 1, 3])
    stop = c2.button("Stop", key=f"stop_{key}", icon=":material/stop:", width="stretch")
    entry = store.get(ck)
    told = None  # what the note says about this click
    if entry is not None and entry["status"] == "running":
        entry["status"] = "stopped"  # a click (Stop or any other) interrupted the run
    for k in [k for k, v in store.items() if k.startswith(f"{key}:") and v["status"] == "waiting"]:
        del store[k]  # a click (Stop or any other) ended a wait: nothing was computed
        if k == ck:
            entry = None
            if admission.cancelled(jid) or stop:
                admission.forget(jid)
                stop, told = False, "Cancelled: you left the queue and nothing was trained."
    if stop and entry is None and told is None:
        told = "Nothing is running."
    at_defaults = demos.is_default(fn, full)
    precomputed = None  # the shipped result, or a finished live run of the defaults
    auto = False  # the shipped file is unusable: train the defaults live instead
    if at_defaults and (entry is None or entry["result"] is None):
        demo = demos.shipped(fn.key)
        precomputed = demo["result"] if demo is not None else demos.cached(fn, full)
        if demo is None:
            st.caption(demos.fallback_note(fn.key))
            auto = (precomputed is None and entry is None and not stop and refusal is None
                    and told is None and not admission.cancelled(jid))
    _panel(key, fn, full, ck, jid, run_label, refusal, draw, c1, c3, told, auto,
           precomputed is not None)
    entry = store.get(ck)  # trained by the panel in this run, perhaps
    if entry is not None and entry["result"] is not None:
        return entry
    if precomputed is not None:
        return {"status": "shipped", "result": precomputed, "seconds": 0.0}
    return None


def _fragment_rerun() -> bool:
    """True when this script run reruns fragments only (a click inside one), not the page."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and getattr(ctx, "fragment_ids_this_run", None))


@st.fragment
def _panel(key: str, fn: Callable[..., dict], full: dict, ck: str, jid: str, run_label: str,
           refusal: str | None, draw: Callable[[dict], None] | None, run_col: Any,
           note_col: Any, told: str | None, auto: bool, precomputed: bool) -> None:
    """Run button (in ``run_col``), note (in ``note_col``), and below them the queue place,
    progress and live chart of a run. A fragment: Run reruns this alone; the arguments are
    those of the page's last full run."""
    alone = _fragment_rerun()
    if alone:  # the page's notes and its auto-run belong to the page's own run
        told, auto = None, False
    store = _store()
    run = run_col.button(run_label, type="primary", key=f"run_{key}",
                         icon=":material/play_arrow:", disabled=refusal is not None,
                         width="stretch")
    note = note_col.empty()
    if refusal is not None:
        note.warning(refusal, icon=":material/block:")
    if told is not None:
        note.info(told, icon=":material/cancel:")
    entry = store.get(ck)
    if (run or auto) and refusal is None:
        admission.forget(jid)
        entry = store[ck] = {"status": "waiting", "result": None, "seconds": 0.0}
        try:
            _train(entry, fn, full, jid, f"{fn.key} (live, {key})", draw)
        except admission.Cancelled:
            if entry["result"] is None:
                store.pop(ck, None)
                entry, told = None, "Cancelled: nothing was trained."
                note.info(told, icon=":material/cancel:")
            else:
                entry["status"] = "stopped"
        if alone:
            st.rerun()  # the page draws the new run: its charts, metrics and claims
    if entry is not None and entry["result"] is not None:
        if entry["status"] == "stopped":
            note.info(f"Stopped by you after {entry['seconds']:.1f} s: showing what was trained "
                      "so far.", icon=":material/pause_circle:")
        elif entry["status"] == "capped":
            note.warning(f"Stopped at the {CAP_SECONDS:.0f} s cap that keeps the shared server "
                         "responsive: showing what was trained so far.", icon=":material/timer:")
        elif entry["status"] == "done":
            note.success(f"Trained live in {entry['seconds']:.1f} s.",
                         icon=":material/check_circle:")
    elif refusal is None and told is None:
        if precomputed:
            note.info(f"Showing the precomputed run for these settings: press **{run_label}** "
                      "to train it live (same seed, same curve).", icon=":material/bolt:")
        else:
            note.info(f"Press **{run_label}** to train with these settings.",
                      icon=":material/play_circle:")


def complete(run: dict | None) -> bool:
    """Whether a ``live`` run (or None) finished: the shipped result, or trained to the end
    (not stopped by the learner or the time cap). Verdicts and claims speak only of these."""
    return run is not None and run["status"] in ("shipped", "done")


def runs_for(key: str) -> list[dict]:
    """Every finished or stopped run this session made under ``key`` (for comparisons)."""
    return [v for k, v in _store().items() if k.startswith(f"{key}:") and v["result"]]


@dataclass
class Held:
    """A page's main run that waits for the learner's prediction (:func:`after_prediction`).

    ``ask`` (the prediction) sits above ``top`` (the main chart); the Run panel follows them.
    ``run`` is :func:`live`'s return, None until the prediction ``reveal`` is committed."""

    ask: Any
    top: Any
    run: dict | None
    run_label: str

    @property
    def result(self) -> dict | None:
        return self.run["result"] if self.run is not None else None

    @property
    def complete(self) -> bool:
        return complete(self.run)

    def held_back(self, shown: bool, x_title: str, y_title: str, *, height: int = 280) -> None:
        """Empty axes in the chart's place: "commit first", or after the commit, where there is
        no result yet, which button to press."""
        layout.held_back(x_title, y_title, height=height, note=None if not shown else
                         f"Press {self.run_label} below to start this run")


def after_prediction(key: str, reveal: str, fn: Callable[..., dict], params: dict[str, Any], *,
                     draw: Callable[[dict], None] | None = None, run_label: str = "Run",
                     refusal: str | None = None) -> Held:
    """The slots of a page whose main result is a live run held back by prediction ``reveal``:
    the prediction's slot, the chart's slot, then the Run panel (:func:`live` under ``key``),
    which appears only once the prediction is committed (nothing trains before)."""
    ask, top = st.container(), st.container()
    run = (live(key, fn, params, draw=draw, run_label=run_label, refusal=refusal)
           if layout.revealed(reveal) else None)
    return Held(ask, top, run, run_label)
