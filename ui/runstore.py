"""Lab 3's runs of this browser session: kept oldest first, named, renamed, removed, and a
prediction that asks again when the settings change.

A kept run is ``{"id", "name", "status", "seconds", "result"}``; ``result`` is a
``playground.train_run`` result. Runs come from ``ui.runner`` (finished, stopped or capped
live runs) and, once, the shipped run at the defaults. ``unshipped_note`` serves both labs:
before the commit it says when the defaults' shipped result is unusable.
"""

from __future__ import annotations

import re

import streamlit as st

from core.labels import cell_name

from . import demos, runner

RUNS = "lab3_runs"  # session_state: the kept runs, oldest first
SEQ = "lab3_seq"  # session_state: the next run number
MAX_RUNS = 12


def runs() -> list[dict]:
    """The kept runs, oldest first (the session's list: edit in place)."""
    return st.session_state.setdefault(RUNS, [])


def add(result: dict, status: str, seconds: float) -> dict:
    n = st.session_state.get(SEQ, 1)
    st.session_state[SEQ] = n + 1
    c = result["config"]
    run = {"id": n, "name": f"Run {n}: {cell_name(c['cell'], c['nonlinearity'])}, "
                           f"{c['task']} T={c['seq_len']}",
           "status": status, "seconds": seconds, "result": result}
    kept = runs()
    kept.append(run)
    if len(kept) > MAX_RUNS:
        del kept[0]
    return run


def clean_name(name: str) -> str:
    """A run name as typed, made safe: no markup characters, at most 40 characters."""
    s = re.sub(r"<[^>]*>", "", " ".join(str(name).split()))  # drop tags, then odd characters
    s = re.sub(r"[^\w .,:;=+\-()#/%]", "", s)[:40].strip()
    return s or "unnamed"


def rename(name: str) -> None:
    """Rename the run called ``name`` to the text in ``lab3_name`` (names stay unique: they
    key the chart colours)."""
    kept = runs()
    clean = clean_name(st.session_state.get("lab3_name", ""))
    taken = {r["name"] for r in kept if r["name"] != name}
    for r in kept:
        if r["name"] == name:
            r["name"] = clean if clean not in taken else f"{clean} ({r['id']})"
            st.session_state["lab3_pick"] = r["name"]
    st.session_state["lab3_name"] = ""


def remove(name: str) -> None:
    runs()[:] = [r for r in runs() if r["name"] != name]


def clear() -> None:
    runs().clear()


def harvest(live: dict | None, key: str = "play") -> None:
    """Keep every finished, stopped or capped live run once; the shipped run once."""
    for entry in runner.runs_for(key):
        if entry.get("_lab3_kept"):
            continue
        status = "stopped" if entry["status"] == "running" else entry["status"]
        add(entry["result"], status, entry["seconds"])
        entry["_lab3_kept"] = True
    if (live is not None and live["status"] == "shipped"
            and not st.session_state.get("lab3_shipped_seen")):
        st.session_state["lab3_shipped_seen"] = True
        add(live["result"], "precomputed", 0.0)


def ask_again(key: str, fn, params: dict) -> None:
    """Call before ``layout.prediction(page, key, ...)``: once a prediction was revealed for
    some settings, changing them asks it again (a fresh pick, the run held back) so every
    experiment in the playground is predicted before it is run."""
    now = demos.canonical(demos.coerce(fn, params))
    tag = f"_asked_for_{key}"
    if not st.session_state.get(f"revealed_{key}"):
        st.session_state.pop(tag, None)
        return
    if st.session_state.setdefault(tag, now) != now:
        st.session_state[f"revealed_{key}"] = False
        st.session_state[f"predict_{key}"] = None
        st.session_state.pop(tag, None)


def pick(kept: list[dict]) -> str:
    """Keep the run picker on the newest run whenever a run is added."""
    names = [r["name"] for r in kept]
    if (st.session_state.get("lab3_last") != kept[-1]["id"]
            or st.session_state.get("lab3_pick") not in names):
        st.session_state["lab3_pick"] = kept[-1]["name"]
        st.session_state["lab3_last"] = kept[-1]["id"]
    return st.session_state["lab3_pick"]


def unshipped_note(key: str, fn, params: dict) -> None:
    """Before a lab's run is revealed: say so when the shipped result for these (default)
    settings is unusable, so the commit will train it live."""
    if (not st.session_state.get(f"revealed_{key}") and demos.is_default(fn, params)
            and demos.shipped(fn.key) is None):
        st.caption("The precomputed result for these settings could not be loaded, so it will "
                   "be trained live once you commit (the same settings and seed give the same "
                   "numbers).")
