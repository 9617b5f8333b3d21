"""Build each chart once per server, not once per visit.

A page rerun used to rebuild every Altair chart, validate it against the Vega-Lite schema and
serialise its data to Arrow: about 0.3 CPU-seconds a visit, almost all of the page's cost,
paid again by each of thirty learners opening the same page. Two process-wide memos remove
that work for charts whose inputs have been seen before:

- :func:`memo` wraps a pure chart builder (``ui/charts*.py``). Called with the same data and
  options it returns the *same* chart object, built once. Its key hashes DataFrames by content
  (``pandas.util.hash_pandas_object``), so equal results from different sessions share it.
- :func:`spec` turns a chart into the finished Vega-Lite spec Streamlit sends (validated, data
  as Arrow bytes), once per memoised chart and style. ``ui.layout.show`` draws that spec with
  ``st.vega_lite_chart``; charts not built through :func:`memo` (compositions made on a page)
  take Streamlit's usual path.

Cached objects are shared by every session and never mutated: :func:`spec` hands out a deep
copy (the Arrow bytes are immutable and shared), because Streamlit edits the spec it is given.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

MAX_CHARTS = 512

_lock = threading.Lock()
_charts: OrderedDict[tuple, Any] = OrderedDict()  # builder key -> chart (kept alive here)
_specs: OrderedDict[tuple, dict] = OrderedDict()  # (id(chart), style) -> finished spec
_ids: dict[int, tuple] = {}  # id(chart) -> builder key, for charts alive in _charts


class _Unhashable(Exception):
    pass


def _fingerprint(v: Any, h: Any) -> None:
    """Feed a stable description of ``v`` into the hash ``h``; raise for unknown types."""
    if isinstance(v, pd.DataFrame):
        h.update(b"df")
        h.update(repr((list(v.columns), [str(t) for t in v.dtypes], v.shape)).encode())
        h.update(pd.util.hash_pandas_object(v, index=False).to_numpy().tobytes())
    elif isinstance(v, np.ndarray):
        h.update(b"nd" + repr((v.dtype.str, v.shape)).encode())
        h.update(np.ascontiguousarray(v).tobytes())
    elif isinstance(v, (list, tuple)):
        h.update(f"{type(v).__name__}{len(v)}(".encode())
        for x in v:
            _fingerprint(x, h)
        h.update(b")")
    elif isinstance(v, dict):
        h.update(f"dict{len(v)}(".encode())
        for k in sorted(v, key=repr):
            h.update(repr(k).encode())
            _fingerprint(v[k], h)
        h.update(b")")
    elif v is None or isinstance(v, (bool, int, float, str, np.generic)):
        h.update(f"{type(v).__name__}:{v!r};".encode())
    else:
        raise _Unhashable(type(v).__name__)


def key_of(name: str, args: tuple, kwargs: dict) -> tuple | None:
    """A content key for a builder call, or None when an argument cannot be fingerprinted."""
    h = hashlib.blake2b(digest_size=20)
    try:
        _fingerprint(list(args), h)
        _fingerprint(kwargs, h)
    except _Unhashable:
        return None
    return (name, h.hexdigest())


def memo(builder: Callable[..., Any]) -> Callable[..., Any]:
    """Memoise a pure chart builder across sessions (see the module docstring)."""
    name = f"{builder.__module__}.{builder.__qualname__}"

    @functools.wraps(builder)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = key_of(name, args, kwargs)
        if key is None:
            return builder(*args, **kwargs)
        with _lock:
            chart = _charts.get(key)
            if chart is not None:
                _charts.move_to_end(key)
                return chart
        chart = builder(*args, **kwargs)
        with _lock:
            if key not in _charts:
                _charts[key] = chart
                _ids[id(chart)] = key
                while len(_charts) > MAX_CHARTS:
                    old_key, old = _charts.popitem(last=False)
                    _ids.pop(id(old), None)
                    for sk in [sk for sk in _specs if sk[0] == id(old)]:
                        del _specs[sk]
            return _charts[key]

    wrapper.uncached = builder  # type: ignore[attr-defined]
    return wrapper


def is_memoised(chart: Any) -> bool:
    """True for a chart object that :func:`memo` built and still holds."""
    with _lock:
        return _held(chart)


def spec(chart: Any, style: str, finish: Callable[[Any], dict]) -> dict:
    """The finished spec of a memoised chart in a style (e.g. "projector"), built once.

    ``finish(chart) -> dict`` does the expensive part (styling, validation, Arrow data). The
    caller gets a deep copy it may hand to Streamlit.
    """
    sk = (id(chart), style)
    with _lock:
        done = _specs.get(sk)
    if done is None:
        done = finish(chart)
        with _lock:
            if _held(chart):
                _specs[sk] = done
                while len(_specs) > 2 * MAX_CHARTS:
                    _specs.popitem(last=False)
    return copy.deepcopy(done)


def _held(chart: Any) -> bool:
    """Whether ``chart`` is a memoised chart still held (call with ``_lock`` held)."""
    key = _ids.get(id(chart))
    return key is not None and _charts.get(key) is chart


def clear() -> None:
    """Forget every memoised chart and spec (tests)."""
    with _lock:
        _charts.clear()
        _specs.clear()
        _ids.clear()


def sizes() -> tuple[int, int]:
    """(memoised charts, finished specs), for tests and the benchmark."""
    with _lock:
        return len(_charts), len(_specs)
