"""Class pulse storage: rooms, questions and anonymous answers in a SQL database.

Streamlit-free (SQLAlchemy only), so ``python -m tools.pulse`` uses it without importing
Streamlit; ``ui.pulse`` wraps it in widgets.

What is stored, and nothing else:

* ``pulse_rooms``: the room code, a SHA-256 hash of its key (never the key), created/expiry time.
* ``pulse_questions``: per room and question id, the options (JSON list) and the index of the
  correct one (or NULL). Written by every ``record`` call (an upsert), so the summary knows
  the options and the right answer without a separate registration step, and a question shows
  up in the summary exactly when someone in the room has answered it.
* ``pulse_answers``: room, question id, a random per-browser-session id (uuid4), the chosen
  option (text and index), the time. One row per session and question: a later answer
  replaces the earlier one (upsert). No names, no IP addresses, no user agent.

Rooms live 24 hours. Expired rooms and their answers are deleted lazily (on room creation, on
every CLI call, and when an expired room is looked up); closing a room deletes it at once.

Which database: ``resolve_url()``: the environment variable ``RNNLAB_PULSE_URL``, else
``[connections.pulse]`` in ``.streamlit/secrets.toml`` (any SQLAlchemy URL, e.g.
PostgreSQL for several replicas), else an SQLite file ``<repo>/.pulse/pulse.sqlite`` (folder
created on first use, with a ``.gitignore`` of its own). SQLite runs in WAL mode with a busy
timeout, set on every new DB-API connection by an engine "connect" event.

Room codes
----------
Eight symbols of Crockford's base32 alphabet (digits and capitals without I, L, O, U, so no
symbol can be misread as another), shown as two groups of four, ``K7QM-4X2P``. Parsing
accepts lower case, spaces, a missing hyphen, and maps the look-alikes I/L -> 1, O -> 0.

Why eight symbols is enough: 32**8 = 2**40, about 1.1e12 codes, drawn with ``secrets``. A
guess costs one page load (a Streamlit rerun through a websocket); a single server manages at
most a few hundred reruns a second, and each session is additionally rate limited. Even at
100 guesses per second for a room's whole 24 h life (8.6e6 guesses) against 100 rooms open at
once, the chance of hitting any room is 8.6e6 * 100 / 1.1e12 < 0.1 %; for one class's room it
is 8e-6. And a hit gains little: it lets someone add anonymous votes to a tally. Reading the
tally, the summary, the export, or closing the room needs the room's key, a
``secrets.token_urlsafe(16)`` (128 bits), checked with ``hmac.compare_digest`` against a stored
hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import re
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
ENV_URL = "RNNLAB_PULSE_URL"
DEFAULT_PATH = ROOT / ".pulse" / "pulse.sqlite"
CONNECTION_NAME = "pulse"  # [connections.pulse] in secrets.toml, st.connection("pulse")

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LEN = 8
LIFETIME_S = 24 * 3600.0
BUSY_TIMEOUT_MS = 5000

MAX_QUESTION_ID = 120
MAX_OPTION = 300
MAX_OPTIONS = 12
MAX_PROMPT = 1000
MAX_KEY = 200
MAX_OPEN_ROOMS = 500  # refuse new rooms beyond this (a full database is nobody's lesson)
MAX_ANSWERS_PER_ROOM = 50_000

#: errors meaning "the database is not there / not working": callers show "offline"
OFFLINE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)

_QID = re.compile(r"^[A-Za-z0-9_.:/\-]+$")
_LOOKALIKE = str.maketrans({"I": "1", "L": "1", "O": "0"})


# -- errors ------------------------------------------------------------------------------------
class PulseError(Exception):
    """Anything the class pulse refuses; the message is safe to show to a visitor."""


class BadInput(PulseError, ValueError):
    """A malformed argument: bad code, unknown option, overlong id, ..."""


class BadCode(BadInput):
    """Not a room code at all (wrong length or symbols)."""


class NotAnOption(BadInput):
    """The answer is not one of the question's options."""


class UnknownRoom(PulseError):
    """A well-formed code that names no open room."""


class RoomExpired(UnknownRoom):
    """The room existed but its 24 hours are over."""


class WrongKey(PulseError):
    """The key does not open this room."""


class RateLimited(PulseError):
    """Too many requests from one session in a short time."""


class RoomsFull(PulseError):
    """Too many open rooms on this server."""


# -- codes and keys ----------------------------------------------------------------------------
def new_code() -> str:
    """A random room code, normalised (no hyphen): 8 Crockford base32 symbols, 40 bits."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LEN))


def format_code(code: str) -> str:
    """``K7QM4X2P`` -> ``K7QM-4X2P`` (the form people read aloud and type)."""
    code = parse_code(code)
    half = CODE_LEN // 2
    return f"{code[:half]}-{code[half:]}"


def parse_code(raw: Any) -> str:
    """The normalised code (8 upper-case symbols, no hyphen) of what someone typed or a link
    carries; raises ``BadCode`` when it cannot be one. Accepts lower case, hyphens and spaces
    anywhere, and I/L/O typed for 1/1/0."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise BadCode("A room code has 8 letters and digits, like K7QM-4X2P.")
    s = re.sub(r"[\s\-]", "", raw).upper().translate(_LOOKALIKE)
    if len(s) != CODE_LEN or any(c not in ALPHABET for c in s):
        raise BadCode("A room code has 8 letters and digits, like K7QM-4X2P.")
    return s


def is_code(raw: Any) -> bool:
    try:
        parse_code(raw)
    except BadCode:
        return False
    return True


def new_key() -> str:
    """The room's secret: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def hash_key(key: str) -> str:
    """SHA-256 of the key. The key has 128 random bits, so a fast hash is enough (no password
    stretching needed): the database never holds anything that opens a room."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(key: Any, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented key against a stored hash."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY or not stored_hash:
        return False
    return hmac.compare_digest(hash_key(key), stored_hash)


def new_session_id() -> str:
    return str(uuid.uuid4())


# -- input checks ------------------------------------------------------------------------------
def check_question_id(qid: Any) -> str:
    if not isinstance(qid, str) or not qid or len(qid) > MAX_QUESTION_ID or not _QID.match(qid):
        raise BadInput(f"A question id is 1 to {MAX_QUESTION_ID} characters of letters, digits "
                       "and _ . : / -")
    return qid


def check_session_id(sid: Any) -> str:
    try:
        parsed = uuid.UUID(sid) if isinstance(sid, str) and len(sid) == 36 else None
    except ValueError:
        parsed = None
    if parsed is None or str(parsed) != sid:
        raise BadInput("A session id is a uuid.")
    return sid


def check_options(options: Any) -> list[str]:
    if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
        raise BadInput("The options are a list of strings.")
    opts = list(options)
    if not 2 <= len(opts) <= MAX_OPTIONS:
        raise BadInput(f"A question has 2 to {MAX_OPTIONS} options.")
    for o in opts:
        if not isinstance(o, str) or not o or len(o) > MAX_OPTION:
            raise BadInput(f"Each option is a non-empty string of at most {MAX_OPTION} "
                           "characters.")
    if len(set(opts)) != len(opts):
        raise BadInput("The options must be different from each other.")
    return opts


def check_correct(correct: Any, options: Sequence[str]) -> int | None:
    if correct is None:
        return None
    if isinstance(correct, bool) or not isinstance(correct, int) or not (
            0 <= correct < len(options)):
        raise BadInput("correct is the index of an option, or None.")
    return correct


# -- rate limiting -----------------------------------------------------------------------------
class RateLimiter:
    """Token buckets keyed by session id (thread-safe; one per process).

    Each key may spend ``burst`` requests at once, refilled at ``rate`` per second: a learner
    who answers normally never notices, a script that answers many times a second is refused.
    Idle buckets are dropped when the table grows past ``max_keys``.
    """

    def __init__(self, rate: float = 2.0, burst: float = 5.0, max_keys: int = 10_000):
        self.rate, self.burst, self.max_keys = float(rate), float(burst), max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, *, now: float | None = None, cost: float = 1.0) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - last) * self.rate)
            ok = tokens >= cost
            if ok:
                tokens -= cost
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self.max_keys:
                self._prune(now)
            return ok

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        for k in [k for k, (_, last) in self._buckets.items() if now - last >= full_after]:
            del self._buckets[k]
        if len(self._buckets) > self.max_keys:  # all busy: forget the oldest half
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for k in oldest[: len(oldest) // 2]:
                del self._buckets[k]


# -- schema ------------------------------------------------------------------------------------
metadata = sa.MetaData()

rooms = sa.Table(
    "pulse_rooms", metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)

questions = sa.Table(
    "pulse_questions", metadata,
    sa.Column("room", sa.String(16), sa.ForeignKey("pulse_rooms.code", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("question_id", sa.String(MAX_QUESTION_ID), primary_key=True),
    sa.Column("options", sa.Text, nullable=False),  # JSON list of strings
    sa.Column("correct", sa.Integer, nullable=True),
    sa.Column("prompt", sa.Text, nullable=True),
)

answers = sa.Table(
    "pulse_answers", metadata,
    sa.Column("room", sa.String(16), primary_key=True),
    sa.Column("question_id", sa.String(MAX_QUESTION_ID), primary_key=True),
    sa.Column("session_id", sa.String(36), primary_key=True),
    sa.Column("answer", sa.String(MAX_OPTION), nullable=False),
    sa.Column("option_index", sa.Integer, nullable=False),
    sa.Column("answered_at", sa.Float, nullable=False),
    sa.ForeignKeyConstraint(["room", "question_id"],
                            ["pulse_questions.room", "pulse_questions.question_id"],
                            ondelete="CASCADE"),
)


# -- engines -----------------------------------------------------------------------------------
def default_url() -> str:
    return f"sqlite:///{DEFAULT_PATH}"


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, ValueError) as exc:
        if path.exists():
            log.warning("class pulse: cannot read %s: %s", path, exc)
        return {}


def secrets_section(cwd: Path | None = None) -> dict | None:
    """``[connections.pulse]`` from the secrets files Streamlit reads (``~/.streamlit`` then
    ``<cwd>/.streamlit``, the latter winning), or None."""
    cwd = Path.cwd() if cwd is None else cwd
    found: dict | None = None
    for path in (Path.home() / ".streamlit" / "secrets.toml", cwd / ".streamlit" / "secrets.toml"):
        section = _read_toml(path).get("connections", {}).get(CONNECTION_NAME)
        if isinstance(section, Mapping):
            found = dict(section)
    return found


def url_from_section(section: Mapping[str, Any]) -> URL:
    """The URL a ``[connections.pulse]`` section describes (``url``, or the parts Streamlit's
    SQL connection accepts: dialect, driver, username, password, host, port, database, query)."""
    if "url" in section:
        return make_url(section["url"])
    drivername = section["dialect"] + (f"+{section['driver']}" if "driver" in section else "")
    return URL.create(drivername=drivername, username=section.get("username"),
                      password=section.get("password"), host=section.get("host"),
                      port=int(section["port"]) if "port" in section else None,
                      database=section.get("database"), query=section.get("query", {}))


def resolve_url(cwd: Path | None = None) -> tuple[URL, dict]:
    """Which database the CLI uses, and extra ``create_engine`` arguments: ``RNNLAB_PULSE_URL``,
    else the secrets section, else the default SQLite file. The app makes the same choice."""
    env = os.environ.get(ENV_URL, "").strip()
    if env:
        return make_url(env), {}
    section = secrets_section(cwd)
    if section:
        return url_from_section(section), dict(section.get("create_engine_kwargs", {}))
    return make_url(default_url()), {}


#: a database server that accepts connections but does not answer (overloaded, or a network
#: that drops packets after the handshake) held a page forever without these (measured with
#: psycopg against a silent socket: still waiting after 15 s; with connect_timeout=2, offline
#: after about 4 s, as libpq tries twice)
CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_MS = 5000


def with_timeouts(url: URL | str) -> URL:
    """A PostgreSQL URL (psycopg or psycopg2) with a connect timeout and a statement timeout
    added unless the URL sets its own (``connect_timeout``, ``options``), so a database that
    does not answer makes the pulse "offline" in seconds instead of holding the page. Other
    URLs are returned unchanged."""
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() != "postgresql" or url.get_driver_name() not in ("psycopg",
                                                                                "psycopg2"):
        return url
    extra = {}
    if "connect_timeout" not in url.query:
        extra["connect_timeout"] = str(CONNECT_TIMEOUT_S)
    if "options" not in url.query:
        extra["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    return url.update_query_dict(extra) if extra else url


def ensure_sqlite_dir(url: URL | str) -> None:
    """Create the folder of an SQLite database file (and a ``.gitignore`` in the default one)."""
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:"):
        return
    folder = Path(url.database).expanduser().resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    if folder == DEFAULT_PATH.parent:
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# class pulse database: never commit\n*\n")


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
    finally:
        cur.close()


def prepare_engine(engine: Engine) -> None:
    """SQLite pragmas on every new connection (WAL, busy timeout, foreign keys) and the
    database folder. Call before the engine's first connection; idempotent."""
    if engine.dialect.name == "sqlite":
        ensure_sqlite_dir(engine.url)
        if not event.contains(engine, "connect", _sqlite_on_connect):
            event.listen(engine, "connect", _sqlite_on_connect)


def make_engine(url: URL | str | None = None, **kwargs: Any) -> Engine:
    """An engine for the CLI and tests (the app gets its engine from ``st.connection``)."""
    if url is None:
        url, extra = resolve_url()
        kwargs = {**extra, **kwargs}
    engine = sa.create_engine(with_timeouts(url), **kwargs)
    prepare_engine(engine)
    return engine


_ready: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()
_ready_lock = threading.Lock()


def ensure_tables(engine: Engine) -> None:
    """Create the tables once per engine (a lost race between replicas is retried once)."""
    if _ready.get(engine):
        return
    with _ready_lock:
        if _ready.get(engine):
            return
        prepare_engine(engine)
        try:
            metadata.create_all(engine)
        except SQLAlchemyError:
            time.sleep(0.2)
            metadata.create_all(engine)
        _ready[engine] = True


def store_for(engine: Engine) -> PulseStore:
    """A ``PulseStore`` on ``engine`` (cheap; the tables are created on first use)."""
    return PulseStore(engine)


# -- the store ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Room:
    code: str  # normalised, no hyphen
    created_at: float
    expires_at: float

    @property
    def label(self) -> str:
        return format_code(self.code)


@dataclass(frozen=True)
class QuestionSummary:
    question_id: str
    options: list[str]
    correct: int | None
    counts: dict[str, int]  # option -> count (the options in order, then stray answers)
    answered: int  # sessions that answered
    prompt: str | None = None

    @property
    def share_correct(self) -> float | None:
        if self.correct is None or not self.answered:
            return None
        return self.counts.get(self.options[self.correct], 0) / self.answered


class PulseStore:
    """Rooms and answers in one database. Thread-safe: every call opens its own connection
    from the engine's pool and commits or rolls back before returning."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _ensure(self) -> None:
        ensure_tables(self.engine)

    # -- rooms -----------------------------------------------------------------------------
    def create_room(self, *, now: float | None = None) -> tuple[str, str]:
        """A new room: returns ``(code formatted, key)``. The key is shown once, never stored."""
        self._ensure()
        now = time.time() if now is None else now
        self.purge_expired(now=now)
        with self.engine.connect() as c:
            open_rooms = c.execute(sa.select(sa.func.count()).select_from(rooms)).scalar_one()
        if open_rooms >= MAX_OPEN_ROOMS:
            raise RoomsFull("This server has too many open class rooms; try again later.")
        key = new_key()
        for _ in range(5):
            code = new_code()
            try:
                with self.engine.begin() as c:
                    c.execute(rooms.insert().values(code=code, key_hash=hash_key(key),
                                                    created_at=now,
                                                    expires_at=now + LIFETIME_S))
            except IntegrityError:  # 1 in 1e12: draw again
                continue
            return format_code(code), key
        raise PulseError("Could not draw a free room code.")  # pragma: no cover

    def room(self, code: Any, *, now: float | None = None) -> Room:
        """The open room a code names; raises ``BadCode``, ``UnknownRoom`` or ``RoomExpired``
        (and deletes an expired room on the way)."""
        code = parse_code(code)
        self._ensure()
        now = time.time() if now is None else now
        with self.engine.connect() as c:
            row = c.execute(sa.select(rooms.c.created_at, rooms.c.expires_at)
                            .where(rooms.c.code == code)).first()
        if row is None:
            raise UnknownRoom(f"There is no open class room {format_code(code)}.")
        if row.expires_at <= now:
            self._delete_rooms([code])
            raise RoomExpired(f"Class room {format_code(code)} has expired (rooms last 24 h).")
        return Room(code, row.created_at, row.expires_at)

    def check_key(self, code: Any, key: Any, *, now: float | None = None) -> bool:
        """True when ``key`` opens the open room ``code`` (False for anything else)."""
        try:
            code = parse_code(code)
        except BadCode:
            return False
        self._ensure()
        now = time.time() if now is None else now
        with self.engine.connect() as c:
            row = c.execute(sa.select(rooms.c.key_hash, rooms.c.expires_at)
                            .where(rooms.c.code == code)).first()
        if row is None or row.expires_at <= now:
            key_matches(key, hash_key("-"))  # same work either way
            return False
        return key_matches(key, row.key_hash)

    def _require_key(self, code: Any, key: Any, now: float | None) -> str:
        code = parse_code(code)
        self.room(code, now=now)  # UnknownRoom / RoomExpired first
        if not self.check_key(code, key, now=now):
            raise WrongKey("That key does not open this class room.")
        return code

    def close_room(self, code: Any, key: Any, *, now: float | None = None) -> None:
        """Delete the room and every answer in it (key holder only)."""
        code = self._require_key(code, key, now)
        self._delete_rooms([code])

    def _delete_rooms(self, codes: list[str]) -> None:
        if not codes:
            return
        with self.engine.begin() as c:
            self._lock_rooms(c, codes, write=True)
            c.execute(answers.delete().where(answers.c.room.in_(codes)))
            c.execute(questions.delete().where(questions.c.room.in_(codes)))
            c.execute(rooms.delete().where(rooms.c.code.in_(codes)))

    def purge_expired(self, *, now: float | None = None) -> int:
        """Delete every expired room with its answers; returns how many rooms went."""
        self._ensure()
        now = time.time() if now is None else now
        with self.engine.connect() as c:
            codes = list(c.execute(sa.select(rooms.c.code)
                                   .where(rooms.c.expires_at <= now)).scalars())
        self._delete_rooms(codes)
        return len(codes)

    # -- answers ---------------------------------------------------------------------------
    def record(self, code: Any, question_id: Any, session_id: Any, answer: Any,
               options: Sequence[str], correct: int | None = None, *,
               prompt: str | None = None, now: float | None = None) -> None:
        """Store one session's answer to one question (replacing its earlier one), and the
        question's options, correct index and prompt. Raises ``BadInput`` (bad code, id,
        options, answer not an option), ``UnknownRoom``/``RoomExpired``."""
        code = parse_code(code)
        qid = check_question_id(question_id)
        sid = check_session_id(session_id)
        opts = check_options(options)
        correct = check_correct(correct, opts)
        if prompt is not None and not isinstance(prompt, str):
            raise BadInput("The prompt is a string or None.")
        if prompt is not None and len(prompt) > MAX_PROMPT:
            prompt = prompt[: MAX_PROMPT - 3] + "..."
        if not isinstance(answer, str) or answer not in opts:
            raise NotAnOption("That answer is not one of the question's options.")
        now = time.time() if now is None else now
        self.room(code, now=now)
        with self.engine.connect() as c:
            n = c.execute(sa.select(sa.func.count()).select_from(answers)
                          .where(answers.c.room == code)).scalar_one()
        if n >= MAX_ANSWERS_PER_ROOM:
            raise PulseError("This class room has taken as many answers as it can hold.")
        q_row = {"room": code, "question_id": qid, "options": json.dumps(opts),
                 "correct": correct, "prompt": prompt}
        a_row = {"room": code, "question_id": qid, "session_id": sid, "answer": answer,
                 "option_index": opts.index(answer), "answered_at": now}
        try:
            with self.engine.begin() as c:
                if not self._lock_rooms(c, [code], write=False):  # closed since the check
                    raise UnknownRoom(f"There is no open class room {format_code(code)}.")
                self._upsert(c, questions, q_row, ["room", "question_id"])
                self._upsert(c, answers, a_row, ["room", "question_id", "session_id"])
        except IntegrityError as exc:  # the room was closed between the check and the write
            raise UnknownRoom(f"There is no open class room {format_code(code)}.") from exc

    @staticmethod
    def _lock_rooms(c: sa.Connection, codes: list[str], *, write: bool) -> bool:
        """Lock the rooms' rows first in every writing transaction (a database server only):
        shared by ``record``, exclusive by closing and purging, always in code order. Without
        it, on PostgreSQL, closing a room while learners answer deadlocked (measured: 20 of
        30 closes racing 10 answers each): the close held answer rows the answers waited for,
        while the answers held the question row the close waited for. Returns False when no
        room is left (closed meanwhile). SQLite has one writer at a time and no row locks;
        a read first would only turn its write transactions into read-then-upgrade ones,
        which fail at once instead of waiting, so it is skipped there."""
        if c.dialect.name == "sqlite":
            return True
        stmt = (sa.select(rooms.c.code).where(rooms.c.code.in_(codes))
                .order_by(rooms.c.code).with_for_update(read=not write))
        return bool(c.execute(stmt).all())

    @staticmethod
    def _upsert(c: sa.Connection, table: sa.Table, row: dict, keys: list[str]) -> None:
        """INSERT ... ON CONFLICT (keys) DO UPDATE on SQLite and PostgreSQL; UPDATE then
        INSERT elsewhere."""
        update = {k: v for k, v in row.items()
                  if k not in keys and not (k == "prompt" and v is None)}  # keep a known prompt
        name = c.dialect.name
        if name in ("sqlite", "postgresql"):
            if name == "sqlite":
                from sqlalchemy.dialects.sqlite import insert
            else:
                from sqlalchemy.dialects.postgresql import insert
            stmt = insert(table).values(**row)
            c.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update))
            return
        where = sa.and_(*[table.c[k] == row[k] for k in keys])
        if c.execute(table.update().where(where).values(**update)).rowcount == 0:
            c.execute(table.insert().values(**row))

    # -- reading ---------------------------------------------------------------------------
    def summaries(self, code: Any, *, now: float | None = None) -> list[QuestionSummary]:
        """Every answered question of an open room, in the order they were first answered."""
        code = parse_code(code)
        self.room(code, now=now)
        with self.engine.connect() as c:
            qs = c.execute(sa.select(questions.c.question_id, questions.c.options,
                                     questions.c.correct, questions.c.prompt)
                           .where(questions.c.room == code)).all()
            first = dict(c.execute(sa.select(answers.c.question_id,
                                             sa.func.min(answers.c.answered_at))
                                   .where(answers.c.room == code)
                                   .group_by(answers.c.question_id)).all())
            counts = c.execute(sa.select(answers.c.question_id, answers.c.answer,
                                         sa.func.count())
                               .where(answers.c.room == code)
                               .group_by(answers.c.question_id, answers.c.answer)).all()
        by_q: dict[str, dict[str, int]] = {}
        for qid, ans, n in counts:
            by_q.setdefault(qid, {})[ans] = int(n)
        out = []
        qs = sorted(qs, key=lambda q: (first.get(q[0], math.inf), q[0]))
        for qid, options_json, correct, prompt in qs:
            try:
                opts = [str(o) for o in json.loads(options_json)]
            except (TypeError, ValueError):
                opts = []
            got = by_q.get(qid, {})
            table = {o: got.get(o, 0) for o in opts}
            table.update({a: n for a, n in got.items() if a not in table})
            if correct is not None and not 0 <= correct < len(opts):
                correct = None
            out.append(QuestionSummary(qid, opts, correct, table, sum(got.values()), prompt))
        return out

    def tally(self, code: Any, question_id: str | None = None, *,
              now: float | None = None) -> dict[str, dict[str, int]]:
        """``{question_id: {answer: count}}`` for an open room (every option listed, zeros
        included); one question when ``question_id`` is given (empty counts if unanswered)."""
        sums = self.summaries(code, now=now)
        out = {s.question_id: dict(s.counts) for s in sums}
        if question_id is not None:
            return {question_id: out.get(question_id, {})}
        return out

    def learners(self, code: Any, *, now: float | None = None) -> int:
        """How many sessions answered at least one question in an open room."""
        code = parse_code(code)
        self.room(code, now=now)
        with self.engine.connect() as c:
            return int(c.execute(sa.select(sa.func.count(sa.distinct(answers.c.session_id)))
                                 .where(answers.c.room == code)).scalar_one())

    def summary_for(self, code: Any, key: Any, *,
                    now: float | None = None) -> list[QuestionSummary]:
        """``summaries`` for the key holder only (``WrongKey`` otherwise)."""
        code = self._require_key(code, key, now)
        return self.summaries(code, now=now)


# -- export ------------------------------------------------------------------------------------
CSV_COLUMNS = ["question_id", "prompt", "option", "is_correct", "count", "share", "answered"]


def summary_rows(sums: Sequence[QuestionSummary]) -> list[dict[str, Any]]:
    """One row per question and option: the table the summary page shows and exports."""
    rows = []
    for s in sums:
        for i, (opt, n) in enumerate(s.counts.items()):
            is_correct = None if s.correct is None else (i == s.correct)
            share = n / s.answered if s.answered else math.nan
            rows.append({"question_id": s.question_id, "prompt": s.prompt or "", "option": opt,
                         "is_correct": is_correct, "count": n, "share": share,
                         "answered": s.answered})
    return rows


def summary_csv(sums: Sequence[QuestionSummary]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in summary_rows(sums):
        r = dict(r)
        r["share"] = "" if math.isnan(r["share"]) else f"{r['share']:.4f}"
        r["is_correct"] = "" if r["is_correct"] is None else str(r["is_correct"]).lower()
        for col in ("prompt", "option"):  # never a formula in a spreadsheet
            if str(r[col])[:1] in ("=", "+", "-", "@", "\t", "\r"):
                r[col] = "'" + str(r[col])
        w.writerow(r)
    return buf.getvalue()
