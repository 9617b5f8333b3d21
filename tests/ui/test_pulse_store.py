"""Class pulse store: codes, keys, answers (upsert, concurrency), expiry, closing, bad input,
rate limiting, export, and which database is used. SQLite files in tmp_path; no Streamlit.

Every test taking the ``store`` fixture also runs on PostgreSQL when
``PULSE_TEST_DATABASE_URL`` names an empty scratch database (its pulse tables are dropped
before and after each test), e.g.
``PULSE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/pulse_test``.
Unset (as in CI), those runs are skipped."""

from __future__ import annotations

import math
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from ui import pulse_store as ps

OPTS = ["shrinks", "stays", "grows"]


PG_ENV = "PULSE_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", "server"])
def store(request, tmp_path):
    if request.param == "sqlite":
        engine = ps.make_engine(f"sqlite:///{tmp_path}/db/pulse.sqlite")
        yield ps.store_for(engine)
        engine.dispose()
        return
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        pytest.skip(f"{PG_ENV} not set: the store's tests run on SQLite only")
    engine = ps.make_engine(url, pool_size=15, max_overflow=5)
    ps.metadata.drop_all(engine)
    yield ps.store_for(engine)
    ps.metadata.drop_all(engine)
    engine.dispose()


def rows(store, table):
    with store.engine.connect() as c:
        return c.execute(sa.select(table)).all()


# -- codes and keys ----------------------------------------------------------------------------
def test_codes_are_unambiguous_grouped_and_parse_back_in_any_typing():
    assert len(ps.ALPHABET) == 32 and not set("ILOU") & set(ps.ALPHABET)
    for _ in range(200):
        code = ps.new_code()
        assert len(code) == ps.CODE_LEN and set(code) <= set(ps.ALPHABET)
        label = ps.format_code(code)
        assert label == f"{code[:4]}-{code[4:]}"
        assert ps.parse_code(label) == code
        assert ps.parse_code(label.lower()) == code
        assert ps.parse_code(code.lower()) == code
        assert ps.parse_code(f" {label[:2]} {label[2:]} ") == code
    assert ps.parse_code("k7qm-4x2p") == "K7QM4X2P"
    assert ps.parse_code("abio-oll1") == "AB10-0111".replace("-", "")  # I/L -> 1, O -> 0
    # enough codes that guessing one is impractical (see the module docstring)
    assert len(ps.ALPHABET) ** ps.CODE_LEN >= 2 ** 40


@pytest.mark.parametrize("bad", ["", "K7QM-4X2", "K7QM-4X2PP", "K7QM-4X2U", "K7QM_4X2P",
                                 "K7QM-4X2P;drop", "<script>", "ä" * 8, "K" * 100, None, 12345678,
                                 ["K7QM4X2P"]])
def test_bad_codes_are_refused(bad):
    with pytest.raises(ps.BadCode):
        ps.parse_code(bad)
    assert not ps.is_code(bad)


def test_only_a_hash_of_the_key_is_stored_and_keys_are_checked(store):
    code, key = store.create_room()
    code2, key2 = store.create_room()
    assert code != code2 and key != key2 and len(key) >= 20
    (room,) = [r for r in rows(store, ps.rooms) if r.code == ps.parse_code(code)]
    assert room.key_hash == ps.hash_key(key) and key not in room.key_hash
    assert store.check_key(code, key) and store.check_key(code.lower(), key)
    for wrong in (key2, key + "x", key[:-1], "", None, 123, "k" * 5000):
        assert not store.check_key(code, wrong)
    assert not store.check_key("not a code", key)
    assert not store.check_key(ps.format_code("Z" * 8), key)  # unknown room
    with pytest.raises(ps.WrongKey):
        store.summary_for(code, key2)
    with pytest.raises(ps.WrongKey):
        store.close_room(code, key2)
    assert store.summary_for(code, key) == []


# -- answers -----------------------------------------------------------------------------------
def test_a_later_answer_replaces_the_earlier_one_and_tallies_count_sessions(store):
    code, key = store.create_room()
    a, b, c = (ps.new_session_id() for _ in range(3))
    store.record(code, "s1:depth", a, "grows", OPTS, correct=0, prompt="What happens?")
    store.record(code, "s1:depth", a, "shrinks", OPTS, correct=0)  # replaces
    store.record(code, "s1:depth", b, "shrinks", OPTS, correct=0)
    store.record(code, "s1:depth", c, "stays", OPTS, correct=0)
    store.record(code, "quiz:q2", a, "stays", OPTS)
    assert store.tally(code) == {"s1:depth": {"shrinks": 2, "stays": 1, "grows": 0},
                                 "quiz:q2": {"shrinks": 0, "stays": 1, "grows": 0}}
    assert store.tally(code, "quiz:none") == {"quiz:none": {}}
    assert len(rows(store, ps.answers)) == 4
    sums = store.summary_for(code, key)
    assert [s.question_id for s in sums] == ["s1:depth", "quiz:q2"]  # order first answered
    s = sums[0]
    assert s.answered == 3 and s.correct == 0 and s.share_correct == pytest.approx(2 / 3)
    assert s.prompt == "What happens?"
    assert sums[1].share_correct is None  # no right answer given
    assert store.learners(code) == 3


def test_many_threads_writing_at_once_lose_no_answer(store):
    code, _ = store.create_room()
    sids = [ps.new_session_id() for _ in range(120)]

    def learner(i):
        sid = sids[i]
        store.record(code, "q:a", sid, OPTS[i % 3], OPTS, correct=0)
        store.record(code, "q:b", sid, OPTS[(i + 1) % 3], OPTS)
        store.record(code, "q:a", sid, OPTS[(i + 2) % 3], OPTS, correct=0)  # replaces

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(learner, range(len(sids))))
    t = store.tally(code)
    assert sum(t["q:a"].values()) == len(sids) and sum(t["q:b"].values()) == len(sids)
    assert t["q:a"] == {o: sum(1 for i in range(len(sids)) if OPTS[(i + 2) % 3] == o)
                        for o in OPTS}
    assert len(rows(store, ps.answers)) == 2 * len(sids)


def test_rooms_expire_after_24_hours_and_are_purged_with_their_answers(store):
    t0 = 1_000_000.0
    old, _ = store.create_room(now=t0)
    store.record(old, "q:a", ps.new_session_id(), "stays", OPTS, now=t0 + 10)
    almost = t0 + ps.LIFETIME_S - 1
    assert store.room(old, now=almost).expires_at == t0 + ps.LIFETIME_S
    later = t0 + ps.LIFETIME_S + 1
    with pytest.raises(ps.RoomExpired):
        store.record(old, "q:a", ps.new_session_id(), "stays", OPTS, now=later)
    young, _ = store.create_room(now=later)  # creation purges the expired room
    assert [r.code for r in rows(store, ps.rooms)] == [ps.parse_code(young)]
    assert rows(store, ps.answers) == [] and rows(store, ps.questions) == []
    with pytest.raises(ps.UnknownRoom):
        store.room(old, now=later)


def test_looking_up_an_expired_room_deletes_it(store):
    t0 = 1_000_000.0
    code, key = store.create_room(now=t0)
    store.record(code, "q:a", ps.new_session_id(), "stays", OPTS, now=t0)
    with pytest.raises(ps.RoomExpired):
        store.room(code, now=t0 + ps.LIFETIME_S)
    assert rows(store, ps.rooms) == [] and rows(store, ps.answers) == []
    assert not store.check_key(code, key)


def test_closing_deletes_the_room_and_every_answer_and_needs_the_key(store):
    code, key = store.create_room()
    other, other_key = store.create_room()
    for sid in (ps.new_session_id() for _ in range(3)):
        store.record(code, "q:a", sid, "grows", OPTS)
        store.record(other, "q:a", sid, "grows", OPTS)
    with pytest.raises(ps.WrongKey):
        store.close_room(code, "guess")
    assert len(rows(store, ps.answers)) == 6
    store.close_room(code, key)
    assert {r.room for r in rows(store, ps.answers)} == {ps.parse_code(other)}
    assert {r.room for r in rows(store, ps.questions)} == {ps.parse_code(other)}
    assert {r.code for r in rows(store, ps.rooms)} == {ps.parse_code(other)}
    with pytest.raises(ps.UnknownRoom):
        store.record(code, "q:a", ps.new_session_id(), "grows", OPTS)
    with pytest.raises(ps.UnknownRoom):
        store.close_room(code, key)


def test_closing_a_room_while_learners_answer_never_fails_and_leaves_nothing(store):
    """On PostgreSQL this race deadlocked until writers locked the room row first."""
    outcomes: dict[str, int] = {}
    for _ in range(6):
        code, key = store.create_room()
        sids = [ps.new_session_id() for _ in range(8)]
        for sid in sids:
            store.record(code, "q:a", sid, "stays", OPTS)

        def answer(sid, code=code):
            try:
                store.record(code, "q:a", sid, "grows", OPTS)
            except ps.UnknownRoom:
                return "refused: room closed"
            return "recorded"

        def close(code=code, key=key):
            store.close_room(code, key)
            return "closed"

        with ThreadPoolExecutor(max_workers=len(sids) + 1) as pool:
            futures = [pool.submit(answer, sid) for sid in sids[:4]] + [pool.submit(close)] + [
                pool.submit(answer, sid) for sid in sids[4:]]
            for f in futures:  # any other error (a deadlock, "database is locked") fails here
                outcomes[f.result()] = outcomes.get(f.result(), 0) + 1
        with pytest.raises(ps.UnknownRoom):
            store.room(code)
    assert outcomes["closed"] == 6
    assert rows(store, ps.rooms) == [] and rows(store, ps.answers) == []
    assert rows(store, ps.questions) == []


def test_an_answer_racing_a_close_is_refused_by_the_foreign_key(store, monkeypatch):
    code, key = store.create_room()
    store.close_room(code, key)
    monkeypatch.setattr(store, "room", lambda *a, **k: None)  # the check passed just before
    with pytest.raises(ps.UnknownRoom):
        store.record(code, "q:a", ps.new_session_id(), "grows", OPTS)
    assert rows(store, ps.answers) == []


@pytest.mark.parametrize("kwargs, error", [
    ({"code": "nope"}, ps.BadCode),
    ({"code": "ZZZZ-ZZZZ"}, ps.UnknownRoom),
    ({"answer": "explodes"}, ps.NotAnOption),
    ({"answer": 1}, ps.NotAnOption),
    ({"answer": None}, ps.NotAnOption),
    ({"question_id": "q" * (ps.MAX_QUESTION_ID + 1)}, ps.BadInput),
    ({"question_id": ""}, ps.BadInput),
    ({"question_id": "q a"}, ps.BadInput),
    ({"question_id": "q;DROP TABLE pulse_answers"}, ps.BadInput),
    ({"question_id": None}, ps.BadInput),
    ({"session_id": "x" * 36}, ps.BadInput),
    ({"session_id": "1" * 5000}, ps.BadInput),
    ({"session_id": None}, ps.BadInput),
    ({"options": ["only one"]}, ps.BadInput),
    ({"options": ["a"] * 2}, ps.BadInput),
    ({"options": [str(i) for i in range(ps.MAX_OPTIONS + 1)]}, ps.BadInput),
    ({"options": "shrinks"}, ps.BadInput),
    ({"options": ["shrinks", "x" * (ps.MAX_OPTION + 1)]}, ps.BadInput),
    ({"correct": 3}, ps.BadInput),
    ({"correct": -1}, ps.BadInput),
    ({"correct": True}, ps.BadInput),
    ({"prompt": 7}, ps.BadInput),
])
def test_bad_input_is_refused_and_nothing_is_written(store, kwargs, error):
    code, _ = store.create_room()
    args = {"code": code, "question_id": "s1:depth", "session_id": ps.new_session_id(),
            "answer": "shrinks", "options": OPTS, "correct": 0, "prompt": None, **kwargs}
    with pytest.raises(error):
        store.record(args.pop("code"), args.pop("question_id"), args.pop("session_id"),
                     args.pop("answer"), args.pop("options"), args.pop("correct"), **args)
    assert rows(store, ps.answers) == []
    assert issubclass(error, ps.PulseError)


def test_a_long_prompt_is_shortened_not_refused(store):
    code, key = store.create_room()
    store.record(code, "q:a", ps.new_session_id(), "stays", OPTS, prompt="p" * 5000)
    (s,) = store.summary_for(code, key)
    assert len(s.prompt) == ps.MAX_PROMPT and s.prompt.endswith("...")


def test_too_many_open_rooms_are_refused(store, monkeypatch):
    monkeypatch.setattr(ps, "MAX_OPEN_ROOMS", 2)
    store.create_room()
    store.create_room()
    with pytest.raises(ps.RoomsFull):
        store.create_room()


# -- rate limiting -----------------------------------------------------------------------------
def test_token_bucket_allows_a_burst_then_refuses_then_refills():
    lim = ps.RateLimiter(rate=2.0, burst=5.0)
    t = 100.0
    assert all(lim.allow("a", now=t) for _ in range(5))
    assert not lim.allow("a", now=t)
    assert not lim.allow("a", now=t + 0.2)  # 0.4 of a token
    assert lim.allow("a", now=t + 0.5)  # one token back after half a second
    assert not lim.allow("a", now=t + 0.5)
    assert lim.allow("b", now=t)  # another session is not affected
    # a steady 2 answers a second is always allowed; 10 a second mostly is not
    lim2 = ps.RateLimiter(rate=2.0, burst=5.0)
    assert all(lim2.allow("s", now=t + i * 0.5) for i in range(100))
    lim3 = ps.RateLimiter(rate=2.0, burst=5.0)
    ok = sum(lim3.allow("s", now=t + i * 0.1) for i in range(100))
    assert ok <= 5 + 2 * 10 + 1


def test_rate_limiter_forgets_idle_sessions():
    lim = ps.RateLimiter(rate=2.0, burst=5.0, max_keys=100)
    for i in range(1000):
        lim.allow(f"s{i}", now=float(i))
    assert len(lim._buckets) <= 101


# -- export ------------------------------------------------------------------------------------
def test_summary_rows_and_csv(store):
    code, key = store.create_room()
    store.record(code, "q:a", ps.new_session_id(), "=1+1", ["=1+1", "two"], correct=1,
                 prompt="@sum")
    store.record(code, "q:a", ps.new_session_id(), "two", ["=1+1", "two"], correct=1,
                 prompt="@sum")
    sums = store.summary_for(code, key)
    r = ps.summary_rows(sums)
    assert [(x["option"], x["count"], x["is_correct"]) for x in r] == [("=1+1", 1, False),
                                                                       ("two", 1, True)]
    assert r[0]["share"] == 0.5
    csv = ps.summary_csv(sums).splitlines()
    assert csv[0] == ",".join(ps.CSV_COLUMNS)
    assert csv[1] == "q:a,'@sum,'=1+1,false,1,0.5000,2"  # no formula reaches a spreadsheet
    empty = ps.QuestionSummary("q:x", ["a", "b"], None, {"a": 0, "b": 0}, 0)
    assert math.isnan(ps.summary_rows([empty])[0]["share"])
    assert ps.summary_csv([empty]).splitlines()[1] == "q:x,,a,,0,,0"


# -- which database ----------------------------------------------------------------------------
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(store):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    store.create_room()
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == ps.BUSY_TIMEOUT_MS
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    # the file is a real database other processes can read
    path = store.engine.url.database
    assert sqlite3.connect(path).execute("select count(*) from pulse_rooms").fetchone() == (1,)


def test_url_resolution_env_then_secrets_then_default(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ps.ENV_URL, raising=False)
    url, extra = ps.resolve_url(cwd=tmp_path)
    assert str(url) == ps.default_url() and extra == {}
    assert ps.DEFAULT_PATH == ps.ROOT / ".pulse" / "pulse.sqlite"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[connections.pulse]\nurl = "postgresql+psycopg://u:p@db.example:5432/pulse"\n'
        "[connections.pulse.create_engine_kwargs]\npool_pre_ping = true\n")
    url, extra = ps.resolve_url(cwd=tmp_path)
    assert url.drivername == "postgresql+psycopg" and url.host == "db.example"
    assert extra == {"pool_pre_ping": True}
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[connections.pulse]\ndialect = "postgresql"\ndriver = "psycopg"\nhost = "h"\n'
        'username = "u"\npassword = "p"\ndatabase = "d"\nport = 5433\n')
    url, _ = ps.resolve_url(cwd=tmp_path)
    assert (url.drivername, url.host, url.port, url.database) == ("postgresql+psycopg", "h",
                                                                  5433, "d")
    monkeypatch.setenv(ps.ENV_URL, f"sqlite:///{tmp_path}/env.sqlite")
    url, _ = ps.resolve_url(cwd=tmp_path)
    assert url.database == f"{tmp_path}/env.sqlite"


def test_a_database_server_gets_connect_and_statement_timeouts_unless_set():
    url = ps.with_timeouts("postgresql+psycopg://u:p%40ss@db.example:5432/pulse")
    assert url.query == {"connect_timeout": str(ps.CONNECT_TIMEOUT_S),
                         "options": f"-c statement_timeout={ps.STATEMENT_TIMEOUT_MS}"}
    assert url.password == "p@ss" and url.host == "db.example"
    own = ps.with_timeouts("postgresql+psycopg2://u@h/d?connect_timeout=9&options=-c%20x%3D1")
    assert own.query == {"connect_timeout": "9", "options": "-c x=1"}  # the URL's own win
    for other in ("sqlite:///x.sqlite", "mysql+pymysql://u@h/d"):
        assert ps.with_timeouts(other) == sa.engine.make_url(other)


def test_a_silent_database_server_is_offline_in_seconds():
    """Accepts the connection, never answers: the store raises an offline error quickly."""
    pytest.importorskip("psycopg")
    import socket
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        engine = ps.make_engine(
            f"postgresql+psycopg://pulse@127.0.0.1:{silent.getsockname()[1]}/pulse")
        t0 = time.monotonic()
        with pytest.raises(ps.OFFLINE_ERRORS):
            ps.store_for(engine).room("K7QM-4X2P")
        assert time.monotonic() - t0 < 4 * ps.CONNECT_TIMEOUT_S + 2
        engine.dispose()


def test_the_sqlite_folder_is_created_on_first_use(tmp_path):
    engine = ps.make_engine(f"sqlite:///{tmp_path}/a/b/pulse.sqlite")
    ps.store_for(engine).create_room()
    assert (tmp_path / "a" / "b" / "pulse.sqlite").exists()
    engine.dispose()
