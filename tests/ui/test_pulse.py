"""Class pulse widgets through AppTest: two sessions in one room (a learner answers, the
instructor's tally and the summary page show it), joining by link, bad links, the key, rate
limiting, the sidebar controls, and a database that is down. Each test has its own SQLite
file through RNNLAB_PULSE_URL."""

from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui import pulse_store as ps

SUMMARY = str(ROOT / "pages" / "class_summary.py")
OPTS = ["It shrinks", "It stays", "It grows"]


def learner_script():
    import streamlit as st

    from ui import pulse

    pulse.join_from_url()
    opts = ["It shrinks", "It stays", "It grows"]
    pick = st.radio("Prediction", opts, index=None, key="pick")
    if pick is not None:
        st.session_state["status"] = pulse.record("t:depth", pick, opts, correct=0,
                                                  prompt="What happens to the gradient?")
    st.session_state["active"] = pulse.active()
    st.session_state["instructor"] = pulse.is_instructor()


def instructor_script():
    import streamlit as st

    from ui import pulse

    pulse.join_from_url()
    pulse.tally("t:depth", ["It shrinks", "It stays", "It grows"], correct=0, reveal=True)
    st.session_state["instructor"] = pulse.is_instructor()


def sidebar_script():
    import streamlit as st

    from ui import pulse

    pulse.join_from_url()
    with st.sidebar:
        pulse.sidebar_controls()
    if not pulse.is_instructor():  # as on the summary page: a second key form in the same run
        pulse.key_form()
    st.session_state["instructor"] = pulse.is_instructor()
    st.session_state["active"] = pulse.active()


def burst_script():
    import streamlit as st

    from ui import pulse

    pulse.join_from_url()
    opts = ["a", "b"]
    st.session_state["statuses"] = [pulse.record("t:burst", opts[i % 2], opts, quiet=True)
                                    for i in range(12)]


@pytest.fixture(params=["sqlite", "server"])
def db(request, tmp_path, monkeypatch):
    """The app's database: an SQLite file per test, and (only when
    ``PULSE_TEST_DATABASE_URL`` is set, see tests/ui/test_pulse_store.py) a PostgreSQL
    database shared by the tests (every room code is fresh)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/pulse.sqlite"
    else:
        url = os.environ.get("PULSE_TEST_DATABASE_URL", "").strip()
        if not url:
            pytest.skip("PULSE_TEST_DATABASE_URL not set: the pulse runs on SQLite only")
    monkeypatch.setenv(ps.ENV_URL, url)
    engine = ps.make_engine(url)
    yield ps.store_for(engine)
    engine.dispose()


def app(fn, **query) -> AppTest:
    at = AppTest.from_function(fn, default_timeout=30) if callable(fn) else AppTest.from_file(
        fn, default_timeout=30)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def qp(at: AppTest, name: str) -> str | None:
    v = at.query_params.get(name)
    return v[-1] if isinstance(v, list) else v


def ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def bars(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def texts(at: AppTest) -> str:
    parts = [m.value for kind in ("markdown", "caption", "info", "warning", "success")
             for m in getattr(at, kind)]
    return "\n".join(parts)


# -- two sessions in one room ------------------------------------------------------------------
def test_a_learner_answers_and_the_instructor_tally_shows_it(db):
    code, key = db.create_room()
    learner = app(learner_script, room=code.lower().replace("-", ""))
    ok(learner)
    assert learner.session_state["active"] == code
    assert qp(learner, "room") == code  # normalised in the address bar
    assert "You joined class room" in texts(learner)
    assert not learner.session_state["instructor"]

    teacher = app(instructor_script, room=code, key=key)
    ok(teacher)
    assert teacher.session_state["instructor"]
    assert "key" not in teacher.query_params  # the key leaves the address bar at once
    assert "0 learners answered" in texts(teacher)

    learner.radio(key="pick").set_value("It grows").run()
    ok(learner)
    assert learner.session_state["status"] == "recorded"
    assert "Counted anonymously in class room" in texts(learner)
    teacher.run()
    assert "1 learner answered" in texts(teacher)
    assert any(b.startswith("It grows: **1** (100%)") for b in bars(teacher))
    assert any("It shrinks: **0** (0%)" in b and "correct" in b for b in bars(teacher))

    learner.run()  # a rerun with the same answer writes nothing
    assert learner.session_state["status"] == "unchanged"
    learner.radio(key="pick").set_value("It shrinks").run()  # the later answer replaces it
    assert learner.session_state["status"] == "recorded"
    teacher.run()
    assert "1 learner answered" in texts(teacher)
    assert any(b.startswith("It shrinks: **1** (100%)") for b in bars(teacher))
    assert db.tally(code) == {"t:depth": {"It shrinks": 1, "It stays": 0, "It grows": 0}}

    # the learner sees no tally; without the key the instructor script draws nothing
    assert bars(learner) == []
    stranger = app(instructor_script, room=code)
    ok(stranger)
    assert bars(stranger) == [] and not stranger.session_state["instructor"]


def test_the_room_is_kept_while_moving_between_pages(db):
    code, _ = db.create_room()
    at = app(learner_script, room=code)
    at.query_params.clear()  # a page switch drops the query string
    at.run()
    ok(at)
    assert at.session_state["active"] == code
    assert qp(at, "room") == code  # put back


def test_the_summary_page_for_the_key_holder(db):
    code, key = db.create_room()
    for pick in ("It shrinks", "It shrinks", "It grows"):
        app(learner_script, room=code).radio(key="pick").set_value(pick).run()
    at = app(SUMMARY, room=code, key=key)
    ok(at)
    page = texts(at)
    assert "What happens to the gradient?" in page
    assert "3 answered · 67% correct" in page
    assert any(b.startswith("It shrinks: **2** (67%)") for b in bars(at))
    assert [m.value for m in at.metric] == ["3", "1"]
    (dl,) = at.get("download_button")
    assert "class-pulse" in dl.proto.label.lower() or "CSV" in dl.proto.label
    assert at.get("image"), "the join QR code is drawn"

    close = at.button(key="pulse_close")
    assert close.disabled  # confirm first
    at.checkbox(key="pulse_close_sure").check().run()
    at.button(key="pulse_close").click().run()
    ok(at)
    assert "is closed and its answers are deleted" in texts(at)
    with pytest.raises(ps.UnknownRoom):
        db.room(code)
    at.run()
    assert "This page is for the instructor" in texts(at)


def test_the_summary_page_without_the_key_explains_and_takes_code_and_key(db):
    code, key = db.create_room()
    app(learner_script, room=code).radio(key="pick").set_value("It stays").run()
    at = app(SUMMARY)
    ok(at)
    page = texts(at)
    assert "This page is for the instructor" in page and "python -m tools.pulse new" in page
    assert bars(at) == [] and not at.get("download_button")

    at.text_input[0].input(code)
    at.text_input[1].input("wrong key")
    at.button[0].click().run()
    ok(at)
    assert "does not open this class room" in texts(at)
    at.text_input[0].input(code.lower())
    at.text_input[1].input(key)
    at.button[0].click().run()
    ok(at)
    assert "1 answered" in texts(at)


# -- joining by link ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw, words", [
    ("K7QM-4X2", "not a room code"),
    ("<b>x</b>", "not a room code"),
    ("ZZZZ-ZZZZ", "is not open"),
])
def test_bad_room_links_get_a_note_and_the_page_works(db, raw, words):
    at = app(learner_script, room=raw)
    ok(at)
    assert words in texts(at)
    assert at.session_state["active"] is None
    assert "room" not in at.query_params
    at.radio(key="pick").set_value("It stays").run()
    ok(at)
    assert at.session_state["status"] == "no-room"


def test_an_expired_room_says_so(db):
    code, _ = db.create_room(now=1_000_000.0)
    at = app(learner_script, room=code)
    ok(at)
    assert "has expired" in texts(at)
    assert at.session_state["active"] is None


def test_a_wrong_key_joins_as_a_learner(db):
    code, _ = db.create_room()
    at = app(instructor_script, room=code, key="guess")
    ok(at)
    assert "does not open this class room" in texts(at)
    assert not at.session_state["instructor"] and bars(at) == []
    assert "key" not in at.query_params


def test_a_closed_room_stops_collecting(db):
    code, key = db.create_room()
    at = app(learner_script, room=code)
    db.close_room(code, key)
    at.radio(key="pick").set_value("It stays").run()
    ok(at)
    assert at.session_state["status"] == "no-room"
    assert at.session_state["active"] is None
    assert "is no longer open" in texts(at)


def test_a_room_that_expires_during_class_stops_collecting_and_says_so(db):
    code, key = db.create_room()
    learner = app(learner_script, room=code)
    teacher = app(instructor_script, room=code, key=key)
    assert teacher.session_state["instructor"]
    with db.engine.begin() as c:  # the 24 hours are over
        c.execute(ps.rooms.update().values(expires_at=0.0))
    learner.radio(key="pick").set_value("It stays").run()
    ok(learner)
    assert learner.session_state["status"] == "no-room"
    assert learner.session_state["active"] is None and "room" not in learner.query_params
    assert "has expired (rooms last 24 hours)" in texts(learner)
    teacher.run()
    ok(teacher)
    # the learner's lookup deleted the expired room: for the projector it is simply gone
    assert f"Class room {code} is no longer open" in texts(teacher) and bars(teacher) == []
    with pytest.raises(ps.UnknownRoom):  # and the expired room is gone with its answers
        db.room(code)


def test_the_database_going_down_during_class_never_breaks_a_page(db, tmp_path, monkeypatch):
    code, key = db.create_room()
    learner = app(learner_script, room=code)
    teacher = app(instructor_script, room=code, key=key)
    assert learner.session_state["active"] == code and teacher.session_state["instructor"]
    (tmp_path / "gone").write_text("not a folder")
    monkeypatch.setenv(ps.ENV_URL, f"sqlite:///{tmp_path}/gone/pulse.sqlite")
    learner.radio(key="pick").set_value("It grows").run()
    ok(learner)
    assert learner.session_state["status"] == "offline"
    assert "Class pulse offline" in texts(learner)
    assert learner.session_state["active"] == code  # still in the room for when it is back
    teacher.run()
    ok(teacher)
    assert "Class pulse offline" in texts(teacher)
    monkeypatch.setenv(ps.ENV_URL, str(db.engine.url))  # back: the next commit counts
    learner.radio(key="pick").set_value("It stays").run()
    assert learner.session_state["status"] == "recorded"


def test_a_database_server_that_never_answers_is_offline_in_seconds(monkeypatch):
    """A PostgreSQL server that accepts the connection and then says nothing (overloaded, or
    packets dropped): without a connect timeout the page waited forever."""
    pytest.importorskip("psycopg")
    import socket
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes the handshake; nobody ever answers
        port = silent.getsockname()[1]
        monkeypatch.setenv(ps.ENV_URL, f"postgresql+psycopg://pulse@127.0.0.1:{port}/pulse")
        t0 = time.monotonic()
        at = AppTest.from_function(learner_script, default_timeout=60)
        at.query_params["room"] = "K7QM-4X2P"
        at.run()
        took = time.monotonic() - t0
    ok(at)
    assert "Class pulse offline" in texts(at)
    assert took < 30, f"the page waited {took:.0f} s for a silent database"


def test_many_room_links_in_a_moment_are_slowed(db):
    at = app(learner_script)
    notes = []
    for i in range(10):  # someone trying codes as fast as the page reloads
        at.query_params["room"] = f"ZZZZ-ZZ{ps.ALPHABET[i]}Z"
        at.run()
        ok(at)
        notes.append(texts(at))
    assert any("Too many tries to join a class room" in n for n in notes)
    assert "is not open" in notes[0]
    assert at.session_state["active"] is None


# -- rate limit --------------------------------------------------------------------------------
def test_a_session_answering_many_times_a_second_is_slowed(db):
    code, _ = db.create_room()
    at = app(burst_script, room=code)
    ok(at)
    statuses = at.session_state["statuses"]
    assert statuses[:5] == ["recorded"] * 5  # a burst of five is fine
    assert statuses.count("rate-limited") >= 3  # then about two a second
    assert db.tally(code)["t:burst"] == {"a": 0, "b": 1} or db.tally(code)["t:burst"] == {
        "a": 1, "b": 0}  # one session, one answer


# -- sidebar -----------------------------------------------------------------------------------
def test_starting_a_room_from_the_sidebar(db):
    at = app(sidebar_script)
    ok(at)
    assert not at.session_state["instructor"]
    at.sidebar.button(key="pulse_start").click().run()
    ok(at)
    assert at.session_state["instructor"]
    code = at.session_state["active"]
    assert ps.is_code(code) and qp(at, "room") == code
    assert db.room(code)
    side = "\n".join(m.value for m in at.sidebar.markdown) + "\n".join(
        c.value for c in at.sidebar.code)
    assert f"/?room={code}" in side and "&key=" in side  # join link and the hidden key link
    assert at.get("image")  # QR code
    at.sidebar.button(key="pulse_leave").click().run()
    assert at.session_state["active"] is None and "room" not in at.query_params


def test_the_qr_code_is_a_png_drawn_locally():
    from ui import pulse

    png = pulse.qr_png("http://localhost:8501/?room=K7QM-4X2P")
    assert png.startswith(b"\x89PNG") and len(png) > 100


# -- offline -----------------------------------------------------------------------------------
def test_a_database_that_is_down_never_breaks_a_page(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv(ps.ENV_URL, f"sqlite:///{tmp_path}/file/pulse.sqlite")
    at = app(learner_script, room="K7QM-4X2P")
    ok(at)
    assert "Class pulse offline" in texts(at)
    at = app(sidebar_script)
    at.sidebar.button(key="pulse_start").click().run()
    ok(at)
    assert "Class pulse offline" in texts(at) + "\n".join(m.value for m in at.sidebar.info)
    monkeypatch.setenv(ps.ENV_URL, "nosuchdialect://x/y")
    at = app(SUMMARY, room="K7QM-4X2P", key="k")
    ok(at)
    assert "Class pulse offline" in texts(at)


def test_the_app_uses_connections_pulse_from_secrets_when_no_env_is_set(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/from-secrets.sqlite"
    monkeypatch.delenv(ps.ENV_URL, raising=False)
    engine = ps.make_engine(url)
    store = ps.store_for(engine)
    code, _ = store.create_room()
    at = AppTest.from_function(learner_script, default_timeout=30)
    at.secrets["connections"] = {"pulse": {"url": url}}
    at.query_params["room"] = code
    at.run()
    ok(at)
    assert at.session_state["active"] == code
    at.radio(key="pick").set_value("It stays").run()
    assert at.session_state["status"] == "recorded"
    assert store.tally(code)["t:depth"]["It stays"] == 1
    engine.dispose()


def test_the_summary_page_once_registered_in_the_navigation(db, monkeypatch):
    """With ui/nav.py listing it, the page takes the house header and footer."""
    from ui import nav

    info = nav.PageInfo("class_summary.py", "Class summary", "class-summary",
                        ":material/summarize:", "Instructor", "What the room answered.")
    monkeypatch.setattr(nav, "PAGES", [*nav.PAGES, info])
    code, key = db.create_room()
    at = app(SUMMARY, room=code, key=key)
    ok(at)
    assert at.title[0].value == "Class summary"
    assert any("No answers yet" in i.value for i in at.info)
    assert any("rnnlab-page-end" in h.proto.body for h in at.get("html"))
