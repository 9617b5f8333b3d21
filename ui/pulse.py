"""Class pulse: a room's live, anonymous predictions and quiz answers (peer instruction).

An instructor starts a room (``sidebar_controls()`` in instructor mode, or
``python -m tools.pulse new`` before class). Learners open any page with ``?room=CODE`` (the
join link or its QR code); their committed predictions and quiz answers are counted
anonymously, one answer per browser session and question (the latest counts). The instructor,
holding the room's key, sees a live tally beside each question and a summary page.

How the app and pages call it (every call is safe without a room and with the database down:
nothing raises, a short note says "Class pulse offline" and the page works as usual)::

    from ui import pulse

    # app.py, once per run, after st.navigation(...) and BEFORE layout.sidebar() (so the
    # sidebar already knows the room and the key a link carries) and current.run():
    pulse.join_from_url()

    # ui/layout.py sidebar(), inside ``with st.sidebar:``
    if state.instructor():
        pulse.sidebar_controls()
    else:
        pulse.status_badge()          # "In class room K7QM-4X2P ... [Leave]"; nothing if none

    # layout.prediction(page, key, question, options, correct, why), once the learner commits:
    pulse.record(f"{page}:{key}", pick, options, correct=correct, prompt=question)
    pulse.tally(f"{page}:{key}", options, correct=correct)   # draws only for the key holder

    # the quiz, per question q (ui.quiz.Question) once answered with option index i:
    pulse.record(f"quiz:{q.key}", q.options[i], q.options, correct=q.correct, prompt=q.prompt)
    pulse.tally(f"quiz:{q.key}", q.options, correct=q.correct, reveal=graded)

``record`` returns a status string ("recorded", "unchanged", "no-room", "rate-limited",
"rejected", "offline"); it writes to the database only when the answer changed, so calling it
on every rerun is cheap. ``tally`` draws nothing unless ``is_instructor()``; it refreshes
every 2 s as an ``st.fragment(run_every=2)`` without rerunning the page. ``reveal=True`` marks
the correct option (leave it False until the run has been shown).

Who is the instructor: the session that holds the room's key, because it pressed "Start a
class pulse", entered code and key in ``key_form()``, or opened ``?room=CODE&key=KEY``. The key
is read from that link once, kept in the session and removed from the address bar; the key
link must never be shown to the class (anyone holding it can see and close the room).

Reloading the browser tab starts a new Streamlit session: a learner stays in the room (the
code stays in the URL) but counts as a new session; an instructor needs the key link again
(the sidebar keeps it in a collapsed "instructor link" box).

Storage and rules live in ``ui.pulse_store`` (Streamlit-free, shared with the CLI). Here the
database comes from ``st.connection("pulse", type="sql")``: ``RNNLAB_PULSE_URL`` if set,
else ``[connections.pulse]`` in ``.streamlit/secrets.toml``, else the SQLite file
``.pulse/pulse.sqlite``. Reads never go through ``conn.query`` (it caches results); every
tally is a fresh query.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from . import pulse_store as ps
from .nav import PAGES

log = logging.getLogger(__name__)

SID = "_pulse_sid"  # random per-browser-session id (uuid4)
ROOM = "_pulse_room"  # normalised code of the room this session is in
KEY = "_pulse_key"  # the room's key, only in the instructor's session
CHECKED = "_pulse_checked"  # monotonic time the room was last confirmed open
SENT = "_pulse_sent"  # {"CODE|question": answer} already stored, so reruns do not rewrite

ROOM_PARAM, KEY_PARAM = "room", "key"
TALLY_EVERY_S = 2
RECHECK_S = 30.0
SUMMARY_URL = "class-summary"  # url_path the summary page is expected to get in ui/nav.py
OFFLINE = "Class pulse offline"

#: answers: a few a second at most; join/key tries: slower; new rooms: one per ~10 s
ANSWER_LIMIT = ps.RateLimiter(rate=2.0, burst=5.0)
JOIN_LIMIT = ps.RateLimiter(rate=1.0, burst=5.0)
NEW_LIMIT = ps.RateLimiter(rate=0.1, burst=2.0)


class _Offline(Exception):
    """The connection could not be made (bad secrets, missing driver, unreachable server)."""


_OFFLINE_ERRORS = (*ps.OFFLINE_ERRORS, _Offline)
_last_log = [0.0]
_log_lock = threading.Lock()


def _log_offline(exc: BaseException) -> None:
    """Log a database failure server-side, with its traceback at most once a minute."""
    with _log_lock:
        now = time.monotonic()
        verbose = now - _last_log[0] > 60
        if verbose:
            _last_log[0] = now
    log.warning("class pulse offline: %s: %s", type(exc).__name__, exc, exc_info=verbose)


def _offline_note(exc: BaseException, *, loud: bool = False) -> None:
    _log_offline(exc)
    msg = (f"**{OFFLINE}.** Answers are not being collected right now; the page works as "
           "usual.")
    if loud:
        st.info(msg, icon=":material/cloud_off:")
    else:
        st.caption(f":material/cloud_off: {msg}")


# -- connection --------------------------------------------------------------------------------
def _secrets_section() -> dict | None:
    """``[connections.pulse]`` from ``st.secrets`` (None without a secrets file or section)."""
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        section = st.secrets.get("connections", {}).get(ps.CONNECTION_NAME)
        return dict(section) if section is not None else None
    except Exception:  # noqa: BLE001 - unreadable secrets: use the default database
        return None


def _store() -> ps.PulseStore:
    """The store on the app's ``st.connection`` (shared by all sessions). Raises ``_Offline``.

    The URL is always passed explicitly (``RNNLAB_PULSE_URL``, the secrets' ``url`` or their
    parts: dialect, host, ..., or the default SQLite file), with ``ps.with_timeouts`` on a
    PostgreSQL URL; the section's ``create_engine_kwargs`` are read by ``st.connection``
    itself. (Passing the secrets' url also lets AppTest's ``at.secrets`` reach the
    connection: AppTest swaps ``st.secrets`` only.)
    """
    try:
        url = os.environ.get(ps.ENV_URL, "").strip()
        if not url:
            section = _secrets_section()
            url = ps.default_url() if section is None else (
                section.get("url") or ps.url_from_section(section))
        url = ps.with_timeouts(url).render_as_string(hide_password=False)
        conn = st.connection(ps.CONNECTION_NAME, type="sql", url=url)
        return ps.store_for(conn.engine)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "offline"
        raise _Offline(f"{type(exc).__name__}: {exc}") from exc


# -- session -----------------------------------------------------------------------------------
def session_id() -> str:
    """This browser session's random id (the only thing that ties two answers together)."""
    sid = st.session_state.get(SID)
    if not sid:
        sid = st.session_state[SID] = ps.new_session_id()
    return sid


def active() -> str | None:
    """The room this session is in, as people read it (``K7QM-4X2P``), or None."""
    code = st.session_state.get(ROOM)
    return ps.format_code(code) if code else None


def is_instructor() -> bool:
    """True when this session holds the key of the room it is in."""
    return bool(st.session_state.get(ROOM) and st.session_state.get(KEY))


def _enter(code: str, key: str | None = None) -> None:
    ss = st.session_state
    if ss.get(ROOM) != code:
        ss.pop(KEY, None)
    ss[ROOM] = code
    ss[CHECKED] = time.monotonic()
    if key is not None:
        ss[KEY] = key
    _keep_in_url(code)


def leave() -> None:
    """Leave the room (and forget its key)."""
    for k in (ROOM, KEY, CHECKED):
        st.session_state.pop(k, None)
    for p in (ROOM_PARAM, KEY_PARAM):
        _drop_param(p)


def _param(name: str) -> str | None:
    try:
        vals = st.query_params.get_all(name)
    except Exception:  # noqa: BLE001 - defensive
        return None
    return str(vals[-1]) if vals else None


def _drop_param(name: str) -> None:
    try:
        if name in st.query_params:
            del st.query_params[name]
    except Exception:  # noqa: BLE001 - nothing to remove
        pass


def _keep_in_url(code: str) -> None:
    """Keep ``?room=CODE`` in the address bar (page switches drop it), so a reload or a copied
    link stays in the room."""
    label = ps.format_code(code)
    try:
        if st.query_params.get(ROOM_PARAM) != label:
            st.query_params[ROOM_PARAM] = label
    except Exception:  # noqa: BLE001 - defensive
        pass


def _show(raw: str) -> str:
    raw = raw if len(raw) <= 24 else raw[:21] + "..."
    return re.sub(r"[^\w\-. ]", "?", raw)


def join_from_url() -> str | None:
    """Join the room a link names (``?room=CODE``, optionally ``&key=KEY`` for the instructor).

    Call once per run, before the page's content. A malformed, unknown or expired code gets a
    visible note and the page carries on without a room. The session stays in its room while
    moving between pages (and the code is put back into the URL). Returns ``active()``.
    """
    ss = st.session_state
    sid = session_id()
    raw, raw_key = _param(ROOM_PARAM), _param(KEY_PARAM)
    if raw_key is not None:
        _drop_param(KEY_PARAM)  # never leave the key in the address bar
    current = ss.get(ROOM)

    if raw is None:
        if current is None:
            return None
        _keep_in_url(current)
        if time.monotonic() - ss.get(CHECKED, 0.0) > RECHECK_S:
            _recheck(current)
        return active()

    try:
        code = ps.parse_code(raw)
    except ps.BadCode:
        st.warning(f"The link names the class room `{_show(raw)}`, which is not a room code "
                   "(8 letters and digits, like K7QM-4X2P). The page works as usual; ask for "
                   "the link again to join the class pulse.", icon=":material/link_off:")
        _drop_param(ROOM_PARAM)
        if current:
            _keep_in_url(current)
        return active()

    fresh = time.monotonic() - ss.get(CHECKED, 0.0) <= RECHECK_S
    if code == current and raw_key is None and fresh:
        _keep_in_url(code)
        return active()
    if not JOIN_LIMIT.allow(f"join:{sid}"):
        st.warning("Too many tries to join a class room in a moment; wait a few seconds and "
                   "reload the page.", icon=":material/hourglass_top:")
        return active()
    try:
        store = _store()
        store.room(code)
        key_ok = store.check_key(code, raw_key) if raw_key is not None else None
    except ps.RoomExpired:
        _gone(code, current, expired=True)
        return active()
    except ps.UnknownRoom:
        _gone(code, current, expired=False)
        return active()
    except _OFFLINE_ERRORS as exc:
        _offline_note(exc, loud=True)
        return active()

    joined = code != current
    _enter(code, raw_key if key_ok else None)
    if key_ok is False:
        st.warning("That key does not open this class room: you joined it as a learner.",
                   icon=":material/key_off:")
    if joined and not is_instructor():
        st.info(f"You joined class room **{ps.format_code(code)}**. Your committed predictions "
                "and quiz answers are counted anonymously (no name, no address; your latest "
                "answer to a question counts).", icon=":material/groups:")
    return active()


def _gone(code: str, current: str | None, *, expired: bool) -> None:
    label = ps.format_code(code)
    why = "has expired (rooms last 24 hours)" if expired else "is not open (closed, or mistyped)"
    st.warning(f"Class room **{label}** {why}. The page works as usual without the class "
               "pulse.", icon=":material/door_front:")
    _drop_param(ROOM_PARAM)
    if current == code:
        for k in (ROOM, KEY, CHECKED):
            st.session_state.pop(k, None)
    elif current:
        _keep_in_url(current)


def _ended(exc: ps.UnknownRoom) -> str:
    """How a room the session was in ended, for the note."""
    return ("has expired (rooms last 24 hours)" if isinstance(exc, ps.RoomExpired)
            else "is no longer open")


def _recheck(code: str) -> None:
    """Every ~30 s: is the room still open? (Closed or expired rooms are left quietly.)"""
    try:
        _store().room(code)
    except ps.UnknownRoom as exc:
        for k in (ROOM, KEY, CHECKED):
            st.session_state.pop(k, None)
        _drop_param(ROOM_PARAM)
        st.info(f"Class room **{ps.format_code(code)}** {_ended(exc)}; answers are no "
                "longer collected.", icon=":material/door_front:")
        return
    except _OFFLINE_ERRORS as exc:
        _log_offline(exc)
        return
    st.session_state[CHECKED] = time.monotonic()


# -- answers -----------------------------------------------------------------------------------
def record(question_id: str, answer: str, options: Sequence[str], correct: int | None = None,
           *, prompt: str | None = None, quiet: bool = False) -> str:
    """Count this session's committed answer to a question in its room (if it is in one).

    ``question_id``: stable and unique in the app, e.g. ``"s1_vanishing.py:depth"`` (letters,
    digits, ``_ . : / -``, at most 120 characters). ``answer`` must be one of ``options``;
    ``correct`` is the index of the right option (None if there is none); ``prompt`` is the
    question's text (for the summary page). A later answer replaces the earlier one. Shows a
    one-line caption (unless ``quiet``) and returns a status string.
    """
    code = st.session_state.get(ROOM)
    if not code:
        return "no-room"
    sid = session_id()
    sent = st.session_state.setdefault(SENT, {})
    slot = f"{code}|{question_id}"
    label = ps.format_code(code)
    if sent.get(slot) == answer:
        if not quiet:
            st.caption(f":material/how_to_vote: Counted anonymously in class room {label}.")
        return "unchanged"
    if not ANSWER_LIMIT.allow(f"answer:{sid}"):
        st.caption(":material/hourglass_top: Many answers in a moment: this one was not counted "
                   "yet; it will be with your next click.")
        return "rate-limited"
    try:
        _store().record(code, question_id, sid, answer, options, correct,
                        prompt=prompt)
    except ps.UnknownRoom as exc:
        for k in (ROOM, KEY, CHECKED):
            st.session_state.pop(k, None)
        _drop_param(ROOM_PARAM)
        st.caption(f":material/door_front: Class room {label} {_ended(exc)}; answers are no "
                   "longer collected.")
        return "no-room"
    except ps.BadInput as exc:
        log.warning("class pulse: rejected answer to %r: %s", question_id, exc)
        if not quiet:
            st.caption(":material/block: This answer could not be counted for the class.")
        return "rejected"
    except _OFFLINE_ERRORS as exc:
        _offline_note(exc)
        return "offline"
    sent[slot] = answer
    if not quiet:
        st.caption(f":material/how_to_vote: Counted anonymously in class room {label}.")
    return "recorded"


# -- tallies -----------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$~:])")


def _md(text: str) -> str:
    """Option text shown literally in markdown (no emphasis, maths, links or emoji codes)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def draw_bars(counts: dict[str, int], options: Sequence[str], correct: int | None) -> int:
    """Text-first tally: one line per option with count and share, and a bar under it."""
    n = sum(counts.values())
    right = options[correct] if correct is not None and 0 <= correct < len(options) else None
    for opt, k in counts.items():
        share = k / n if n else 0.0
        mark = " · **correct**" if opt == right else ""
        st.progress(min(1.0, share), text=f"{_md(opt)}: **{k}** ({share:.0%}){mark}")
    return n


def tally(question_id: str, options: Sequence[str], *, correct: int | None = None,
          reveal: bool = False) -> None:
    """The room's live answers to one question, for the key holder only (nothing otherwise).

    Refreshes every 2 s without rerunning the page. ``reveal`` marks the correct option.
    """
    if not is_instructor():
        return
    _tally_fragment(st.session_state[ROOM], question_id, list(options),
                    correct if reveal else None)


@st.fragment(run_every=TALLY_EVERY_S)
def _tally_fragment(code: str, question_id: str, options: list[str],
                    correct: int | None) -> None:
    with st.container(border=True):
        if st.session_state.get(ROOM) != code or not st.session_state.get(KEY):
            st.caption("Class pulse: this session no longer holds the room's key.")
            return
        try:
            got = _store().tally(code, question_id)[question_id]
        except ps.UnknownRoom as exc:
            st.caption(f"Class room {ps.format_code(code)} {_ended(exc)}.")
            return
        except _OFFLINE_ERRORS as exc:
            _offline_note(exc)
            return
        counts = {o: got.get(o, 0) for o in options}
        counts.update({a: k for a, k in got.items() if a not in counts})
        n = sum(counts.values())
        st.markdown(f":material/groups: **Class pulse, room {ps.format_code(code)}:** "
                    f"{n} learner{'s' if n != 1 else ''} answered")
        draw_bars(counts, options, correct)


# -- instructor: rooms, links, QR --------------------------------------------------------------
def _app_root() -> str:
    """The app's address without the page path ('' when unknown: links stay relative)."""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - outside a browser session (tests)
        url = None
    if url:
        parts = urlsplit(url)
        path = parts.path.rstrip("/")
        for page_url in [p.url for p in PAGES] + [SUMMARY_URL]:
            if path.endswith("/" + page_url):
                path = path[: -len(page_url) - 1]
                break
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    try:
        base = (st.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:  # noqa: BLE001
        base = ""
    return f"/{base}" if base else ""


def join_url(code: str) -> str:
    """The link learners open: ``https://host/app/?room=K7QM-4X2P`` (relative if unknown)."""
    return f"{_app_root()}/?{ROOM_PARAM}={ps.format_code(code)}"


def instructor_url(code: str, key: str) -> str:
    """The key link: opens the room as its instructor. Never show it to the class."""
    return f"{join_url(code)}&{KEY_PARAM}={key}"


@functools.lru_cache(maxsize=64)
def qr_png(url: str, scale: int = 8) -> bytes:
    """A QR code of ``url`` as PNG bytes (drawn locally by segno; nothing is fetched)."""
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


def join_card(*, width: int = 320) -> None:
    """For the projector: the room code in large type, the join link and its QR code."""
    code = st.session_state.get(ROOM)
    if not code:
        return
    url = join_url(code)
    label = ps.format_code(code)
    c1, c2 = st.columns([3, 2])
    c1.markdown(f"### Join the class pulse\n\nOpen `{url}`\n\nor add `?room={label}` to the "
                f"address of any page of the app.\n\n# {label}")
    c2.image(qr_png(url), width=width, caption=f"QR code of {url}",
             alt=f"QR code linking to {url}")


def _expiry(code: str) -> str | None:
    try:
        room = _store().room(code)
    except (ps.PulseError, *_OFFLINE_ERRORS):
        return None
    when = datetime.fromtimestamp(room.expires_at, tz=timezone.utc)
    return when.strftime("%a %d %b, %H:%M UTC")


def start_room() -> str | None:
    """Create a room, make this session its instructor, return its code (None on failure,
    with a note)."""
    if not NEW_LIMIT.allow(f"new:{session_id()}"):
        st.warning("A room was just created; wait a few seconds before starting another.",
                   icon=":material/hourglass_top:")
        return None
    made = _attempt(lambda: _store().create_room(), st)
    if made is None:
        return None
    label, key = made
    _enter(ps.parse_code(label), key)
    return label


def _attempt(action: Any, target: Any) -> Any:
    """``action()``'s value, or None after a note: the store's own message for a bad request
    (``PulseError``), the offline note when the database cannot be reached."""
    try:
        return action()
    except ps.PulseError as exc:
        target.warning(str(exc))
    except _OFFLINE_ERRORS as exc:
        _offline_note(exc, loud=True)
    return None


def key_form(*, where: Any = None, key: str = "pulse_key_form") -> bool:
    """A small form: room code and key -> this session becomes the room's instructor.
    ``key`` must differ between two forms drawn in the same run (sidebar and page)."""
    target = where or st
    with target.form(key, clear_on_submit=True, border=True):
        raw_code = st.text_input("Room code", value=active() or "", max_chars=20,
                                 placeholder="K7QM-4X2P")
        raw_key = st.text_input("Room key", type="password", max_chars=ps.MAX_KEY,
                                help="Printed by `python -m tools.pulse new`, or part of the "
                                     "instructor link.")
        sent = st.form_submit_button("Open as instructor")
    if not sent:
        return False
    if not JOIN_LIMIT.allow(f"join:{session_id()}"):
        target.warning("Too many tries in a moment; wait a few seconds.")
        return False

    def check() -> tuple[str, bool]:
        code = ps.parse_code(raw_code)
        store = _store()
        store.room(code)
        return code, store.check_key(code, raw_key.strip())

    checked = _attempt(check, target)
    if checked is None:
        return False
    code, ok = checked
    if not ok:
        target.warning("That key does not open this class room.", icon=":material/key_off:")
        return False
    _enter(code, raw_key.strip())
    st.rerun()
    return True  # pragma: no cover - st.rerun does not return


def summary_link() -> None:
    """A link to the class summary page (silently nothing while it is not registered)."""
    try:
        st.page_link("pages/class_summary.py", label="Class summary",
                     icon=":material/summarize:")
    except Exception:  # noqa: BLE001 - page not (yet) in the navigation
        pass


def sidebar_controls() -> None:
    """Instructor controls for the sidebar (call inside ``with st.sidebar:`` in instructor
    mode): start a room, or show the open room's code, join link, QR code, expiry, summary."""
    st.markdown("**Class pulse**")
    code = st.session_state.get(ROOM)
    if is_instructor():
        label = ps.format_code(code)
        url = join_url(code)
        st.markdown(f"Room **{label}**: learners open")
        st.code(url, language=None)
        st.image(qr_png(url), width=200, caption="Scan to join", alt=f"QR code linking to {url}")
        exp = _expiry(code)
        if exp:
            st.caption(f"Open until {exp}. Closing the room deletes every answer.")
        summary_link()
        with st.expander("Instructor link (keep off the projector)", icon=":material/key:"):
            st.caption("Reopens this room as its instructor on any device. Anyone holding it "
                       "can see and close the room: never show it to the class.")
            st.code(instructor_url(code, st.session_state[KEY]), language=None)
        if st.button("Leave this room", key="pulse_leave", icon=":material/logout:"):
            leave()
            st.rerun()
        return
    if code:
        st.caption(f"In room **{ps.format_code(code)}** as a learner. Enter its key to see the "
                   "tallies.")
    else:
        st.caption("See what the room predicts before you reveal a run: learners join with a "
                   "link or QR code and vote anonymously; rooms last 24 h.")
        if st.button("Start a class pulse", key="pulse_start", icon=":material/groups:",
                     type="primary"):
            if start_room():
                st.rerun()
    with st.expander("I have a room code and key"):
        key_form(key="pulse_key_form_sidebar")


def status_badge() -> None:
    """A learner's line in the sidebar: which room answers are counted in, and Leave."""
    code = st.session_state.get(ROOM)
    if not code or is_instructor():
        return
    st.caption(f":material/groups: In class room **{ps.format_code(code)}**: your committed "
               "answers are counted anonymously.")
    if st.button("Leave the room", key="pulse_leave_learner", icon=":material/logout:"):
        leave()
        st.rerun()


# -- instructor: summary -----------------------------------------------------------------------
def summary() -> list[ps.QuestionSummary] | None:
    """Every answered question of the room with its distribution, for the key holder.
    None (with a note) when this session holds no key or the database is offline."""
    if not is_instructor():
        return None
    try:
        return _store().summary_for(st.session_state[ROOM], st.session_state[KEY])
    except ps.UnknownRoom:
        leave()
        st.warning("This class room is closed or has expired.")
        return None
    except ps.WrongKey:
        st.session_state.pop(KEY, None)
        st.warning("This session's key no longer opens the room.")
        return None
    except _OFFLINE_ERRORS as exc:
        _offline_note(exc, loud=True)
        return None


def learners() -> int | None:
    """How many sessions in the room have answered anything (key holder only)."""
    if not is_instructor():
        return None
    try:
        return _store().learners(st.session_state[ROOM])
    except (ps.PulseError, *_OFFLINE_ERRORS):
        return None


def close_room() -> bool:
    """Close the room this session holds the key of: deletes it and every answer."""
    if not is_instructor():
        return False
    try:
        _store().close_room(st.session_state[ROOM], st.session_state[KEY])
    except ps.UnknownRoom:
        pass  # already gone: same outcome
    except ps.WrongKey:
        st.warning("This session's key no longer opens the room.")
        return False
    except _OFFLINE_ERRORS as exc:
        _offline_note(exc, loud=True)
        return False
    leave()
    return True
