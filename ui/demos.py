"""Run a page's experiment: the shipped result when the settings are the defaults, else live.

``run(fn, **params)``: ``fn`` is a ``core.experiments`` function. At its defaults the result
comes from ``data/demos/<key>.json`` (precomputed by ``python -m tools.make_demos``), so a page
paints at once even on a cold, slow server. Any other setting runs live once and is kept for
every session (a process-wide cache of finished results).

* A shipped file is checked before use (:func:`validate`); a damaged or missing one is logged
  on the server and the page falls back to a live run with a quiet note.
* Every call hands out a private copy (a page may change what it gets without changing what
  the next visitor sees).
* Settings are canonicalised by the types of the defaults (``50.0`` for an int setting runs
  and caches as ``50``), so equal settings share one cache entry.
* A live run takes one of the server's heavy-job slots (:mod:`core.admission`): the visitor
  sees their place in the queue and can cancel; a run whose page run was superseded stops at
  its next progress report and is never cached. Two sessions asking for the same settings
  share one computation.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import inspect
import json
import logging
import math
import pickle
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from . import admission

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demos"
log = logging.getLogger("rnnlab.demos")

#: The live-result cache: entries, total pickled bytes, and age limits.
MAX_ENTRIES, MAX_BYTES, TTL_SECONDS = 256, 256 * 2**20, 24 * 3600.0


def canonical(params: dict[str, Any]) -> str:
    """A stable text form of the settings: ints and whole floats compare equal."""
    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, (int, float)):
            return float(v)
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return str(v)
    return json.dumps({k: norm(v) for k, v in params.items()}, sort_keys=True)


def _like(default: Any, v: Any) -> Any:
    """``v`` in the type of ``default``: a whole float for an int setting becomes an int, an int
    for a float setting a float, numpy scalars plain numbers, tuples lists."""
    if hasattr(v, "item") and not isinstance(v, (list, tuple, dict)):
        try:
            v = v.item()
        except (TypeError, ValueError):
            pass
    if isinstance(default, bool) or isinstance(v, bool):
        return v
    if isinstance(default, int) and isinstance(v, float) and math.isfinite(v) \
            and v.is_integer():
        return int(v)
    if isinstance(default, float) and isinstance(v, int):
        return float(v)
    if isinstance(default, (list, tuple)) and isinstance(v, (list, tuple)):
        if len(default) == len(v):
            return [_like(d, x) for d, x in zip(default, v)]
        kinds = {type(d) for d in default}
        return [_like(default[0], x) if len(kinds) == 1 else x for x in v]
    if isinstance(v, tuple):
        return list(v)
    return v


def coerce(fn: Callable[..., dict], params: dict[str, Any]) -> dict[str, Any]:
    """The full settings (defaults filled in) in the defaults' types: what the experiment is
    called with and what the cache is keyed on."""
    d = fn.defaults
    full = {**d, **params}
    return {k: _like(d.get(k), v) for k, v in full.items()}


def is_default(fn: Callable[..., dict], params: dict[str, Any]) -> bool:
    return canonical({**fn.defaults, **params}) == canonical(fn.defaults)


# -------------------------------------------------------------------------------------------
# Shipped results


def schema_of(value: Any) -> Any:
    """The keys and types of a JSON-ready value, as ``tools.make_demos`` records them beside a
    shipped result: a dict maps each key to its schema; a scalar is "number", "bool", "str" or
    "null"; a list is ``["list", <schema of its items>]``, where items of several schemas give
    ``["one of", [...]]`` (sorted) and an empty list ``["list", None]``. Two results of one
    experiment at the same settings have the same schema."""
    if isinstance(value, dict):
        return {k: schema_of(v) for k, v in value.items()}
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        kinds: dict[str, Any] = {}
        for item in value:
            sch = schema_of(item)
            kinds.setdefault(json.dumps(sch, sort_keys=True), sch)
        if not kinds:
            return ["list", None]
        if len(kinds) == 1:
            return ["list", next(iter(kinds.values()))]
        return ["list", ["one of", [kinds[k] for k in sorted(kinds)]]]
    return type(value).__name__


def validate(fn: Callable[..., dict], data: Any) -> str | None:
    """Why a shipped ``{"params", "result"}`` cannot be used for ``fn``, or None if it can.

    Checks the structure (an object with a ``params`` object equal to the experiment's defaults
    and a non-empty ``result`` object) and the types: the result must have exactly the
    ``schema`` (keys and types, :func:`schema_of`) that ``tools.make_demos`` recorded beside
    it."""
    if not isinstance(data, dict):
        return f"holds a JSON {type(data).__name__}, not an object"
    missing = [k for k in ("params", "result") if k not in data]
    if missing:
        return "has no " + " and no ".join(f'"{k}"' for k in missing)
    params, result = data["params"], data["result"]
    if not isinstance(params, dict):
        return '"params" is not an object'
    if canonical(params) != canonical(fn.defaults):
        return "was made with other settings than the experiment's defaults"
    if not isinstance(result, dict) or not result:
        return '"result" is not a non-empty object'
    if "schema" not in data:
        return "has no recorded schema (regenerate it: python -m tools.make_demos)"
    if data["schema"] != schema_of(result):
        return '"result" does not have the recorded schema (keys and types)'
    return None


@functools.cache
def _load(key: str) -> tuple[bytes | None, str | None]:
    """(pickled validated demo, None) or (None, why not). Read once per process."""
    path = DEMO_DIR / f"{key}.json"
    if not path.exists():
        problem = "is missing"
    else:
        try:
            from core.experiments import resolve

            with path.open() as f:
                data = json.load(f)
            problem = validate(resolve(key), data)
        except (OSError, ValueError, RecursionError) as e:
            problem = f"cannot be read ({type(e).__name__}: {str(e)[:80]})"
        except (KeyError, ImportError):
            problem = "belongs to no registered experiment"
        else:
            if problem is None:
                return pickle.dumps({"params": data["params"], "result": data["result"]},
                                    protocol=pickle.HIGHEST_PROTOCOL), None
    log.warning("shipped result %s %s: pages fall back to a live run", path.name, problem)
    return None, problem


def shipped(key: str) -> dict | None:
    """A private copy of the precomputed ``{"params": ..., "result": ...}`` for an experiment,
    or None when it is missing or damaged (see :func:`problem`)."""
    blob, _ = _load(key)
    return pickle.loads(blob) if blob is not None else None


def problem(key: str) -> str | None:
    """Why the shipped result of ``key`` cannot be used ("is missing", ...), None if it can."""
    return _load(key)[1]


def fallback_note(key: str) -> str:
    return ("The precomputed result for these settings could not be loaded, so it was "
            "computed live on the server (the same settings and seed give the same numbers).")


# -------------------------------------------------------------------------------------------
# Live results


class _Cache:
    """Finished results, pickled (compact; every read is a fresh copy), least recently used
    first out, at most ``MAX_ENTRIES`` entries and ``MAX_BYTES`` bytes, ``TTL_SECONDS`` old."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: collections.OrderedDict[str, tuple[bytes, float]] = \
            collections.OrderedDict()
        self._bytes = 0

    def get(self, key: str) -> dict | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if time.monotonic() - item[1] > TTL_SECONDS:
                self._drop(key)
                return None
            self._data.move_to_end(key)
            blob = item[0]
        return pickle.loads(blob)

    def put(self, key: str, value: dict) -> None:
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if key in self._data:
                self._drop(key)
            self._data[key] = (blob, time.monotonic())
            self._bytes += len(blob)
            while self._data and (len(self._data) > MAX_ENTRIES or self._bytes > MAX_BYTES):
                self._drop(next(iter(self._data)))

    def _drop(self, key: str) -> None:
        blob, _ = self._data.pop(key)
        self._bytes -= len(blob)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)


_CACHE = _Cache()


class _Flight:
    """One computation in progress, and how many other runs wait for its result."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.waiters = 0


_FLIGHTS: dict[str, _Flight] = {}
_FLIGHTS_LOCK = threading.Lock()


def clear() -> None:
    """Forget every shipped file read and every live result (tests, after regenerating)."""
    _load.cache_clear()
    _CACHE.clear()


def cache_key(key: str, params: dict[str, Any]) -> str:
    return f"{key}:{json.dumps(params, sort_keys=True)}"


def job_id(key: str, params: dict[str, Any]) -> str:
    """A short stable id of one experiment at one setting (widget keys, Cancel marks)."""
    return hashlib.sha1(cache_key(key, params).encode()).hexdigest()[:12]


def cached(fn: Callable[..., dict], params: dict[str, Any]) -> dict | None:
    """A copy of the finished live result for these settings, if one is kept."""
    return _CACHE.get(cache_key(fn.key, coerce(fn, params)))


def remember(fn: Callable[..., dict], params: dict[str, Any], result: dict) -> None:
    """Keep a finished (never a partial) result for every session."""
    _CACHE.put(cache_key(fn.key, coerce(fn, params)), result)


def accepts_report(fn: Callable[..., dict]) -> bool:
    try:
        return "report" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def compute(fn: Callable[..., dict], params: dict[str, Any], ticket) -> dict:
    """Run the experiment holding a slot; its ``report`` calls ``ticket.check()`` so a
    cancelled or superseded run stops at its next progress report."""
    from core import runtime

    runtime.configure()
    try:
        if accepts_report(fn):
            return fn(**params, report=lambda frac, partial: ticket.check())
        return fn(**params)
    finally:
        runtime.release_memory()


def _live(key: str, params_json: str) -> dict:
    """The finished result of experiment ``key`` at these (canonical) settings: from the
    cache, from another session's computation of the same settings, or computed here."""
    from core.experiments import resolve

    fn = resolve(key)
    params = json.loads(params_json)
    ck = cache_key(key, params)
    jid = job_id(key, params)
    if (hit := _CACHE.get(ck)) is not None:
        return hit
    if admission.cancelled(jid):
        box = st.empty()
        with box.container():
            st.info("You cancelled the live run for these settings, so this part of the page "
                    "stops here. Change a setting, or run it now.", icon=":material/cancel:")
            again = st.button("Run it now", key=f"retry_{jid}", icon=":material/play_arrow:")
        if not again:
            st.stop()
        box.empty()
        admission.forget(jid)
    poll = admission.run_poll()
    while True:
        with _FLIGHTS_LOCK:
            if (hit := _CACHE.get(ck)) is not None:
                return hit
            flight = _FLIGHTS.get(ck)
            mine = flight is None
            if mine:
                flight = _FLIGHTS[ck] = _Flight()
            else:
                flight.waiters += 1
        if mine:
            break
        try:
            with st.spinner("Someone started this same run a moment ago: waiting for it…",
                            show_time=True):
                while not flight.done.wait(0.1):
                    poll()
        finally:
            with _FLIGHTS_LOCK:
                flight.waiters -= 1
    # This run computes. If its page run is superseded while others wait for the same
    # settings, it finishes for them (drawing nothing) and ends afterwards.
    pending: list[BaseException] = []

    def owner_poll() -> None:
        if pending:
            if flight.waiters == 0:
                raise pending[0]
            return
        try:
            poll()
        except BaseException as e:  # Streamlit's Stop/Rerun: the page run is gone
            if flight.waiters == 0:
                raise
            pending.append(e)

    try:
        with admission.slot(jid, f"{key} (live)", poll=owner_poll,
                            quiet=lambda: bool(pending)) as ticket:
            spin = contextlib.nullcontext() if pending else st.spinner(
                "Running the model live (the first time for these settings)…", show_time=True)
            with spin:
                result = compute(fn, params, ticket)
                _CACHE.put(ck, result)
    finally:
        with _FLIGHTS_LOCK:
            _FLIGHTS.pop(ck, None)
        flight.done.set()
    if pending:
        raise pending[0]
    return _CACHE.get(ck) or result


def run(fn: Callable[..., dict], **params: Any) -> dict:
    """The experiment's result for these settings (missing ones take the defaults)."""
    full = coerce(fn, params)
    if is_default(fn, full):
        demo = shipped(fn.key)
        if demo is not None:
            return demo["result"]
        st.caption(fallback_note(fn.key))
    return _live(fn.key, json.dumps(full, sort_keys=True))
