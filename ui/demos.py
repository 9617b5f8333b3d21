"""Run a page's experiment: the shipped result when the settings are the defaults, else live.

``run(fn, **params)``: ``fn`` is a ``core.experiments`` function. At its defaults the result
comes from ``data/demos/<key>.json`` (precomputed by ``python -m tools.make_demos``), so a page
paints at once even on a cold, slow server. Any other setting runs live once and is cached for
every session (``st.cache_data``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demos"


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


@functools.cache
def shipped(key: str) -> dict | None:
    """The precomputed ``{"params": ..., "result": ...}`` for an experiment, if shipped."""
    path = DEMO_DIR / f"{key}.json"
    if not path.exists():
        return None
    with path.open() as f:
        return json.load(f)


@st.cache_data(show_spinner=False, max_entries=256, ttl=24 * 3600)
def _live(key: str, params_json: str) -> dict:
    from core import runtime
    from core.experiments import resolve

    runtime.configure()
    try:
        return resolve(key)(**json.loads(params_json))
    finally:
        runtime.release_memory()


def is_default(fn: Callable[..., dict], params: dict[str, Any]) -> bool:
    return canonical({**fn.defaults, **params}) == canonical(fn.defaults)


def run(fn: Callable[..., dict], **params: Any) -> dict:
    """The experiment's result for these settings (missing ones take the defaults)."""
    full = {**fn.defaults, **params}
    demo = shipped(fn.key)
    if demo is not None and canonical(demo["params"]) == canonical(full):
        return demo["result"]
    with st.spinner("Running the model live (the first time for these settings)…",
                    show_time=True):
        return _live(fn.key, json.dumps(full, sort_keys=True))
