"""Controls that live in the URL, validated, with presets and instructor mode.

Every control is a Streamlit widget with ``bind="query-params"``: its key is the URL parameter,
so a copied link reopens the page as it was set. Before a widget is created, the raw value in
the URL is checked against the control's bounds; a bad one (text, NaN, inf, out of range,
unknown option, markup) is reported in a visible note and the default is used. Streamlit
itself also drops values it cannot use, so nothing a link carries can raise.

Usage on a page::

    from ui import state
    T = state.slider("Sequence length T", "T", 10, 300, 50, step=10)
    cell = state.select("Cell", "cell", {"rnn": "Vanilla RNN", "lstm": "LSTM"}, "rnn")
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import streamlit as st

NOTES_KEY = "_url_notes"
INSTRUCTOR_KEY = "instructor"
PRESET_KEY = "preset"


# -- notes about bad link values ---------------------------------------------------------------
def _note(text: str) -> None:
    st.session_state.setdefault(NOTES_KEY, [])
    if text not in st.session_state[NOTES_KEY]:
        st.session_state[NOTES_KEY].append(text)


def take_notes() -> list[str]:
    """Notes gathered during this run (and clears them)."""
    return st.session_state.pop(NOTES_KEY, [])


def _raw(key: str) -> str | None:
    """The raw value a link carries for ``key`` (None when absent or already in use)."""
    try:
        vals = st.query_params.get_all(key)
    except Exception:  # pragma: no cover - defensive: query params API differences
        return None
    if not vals:
        return None
    return str(vals[-1])


def _drop(key: str) -> None:
    """Remove a bad value from the URL before the widget reads it (Streamlit itself can choke on
    some, e.g. ``int(inf)`` in an integer number box). Bound parameters cannot be removed once
    the widget exists; then Streamlit's own check applies."""
    try:
        del st.query_params[key]
    except Exception:  # noqa: BLE001 - bound already, or absent: nothing to do
        pass


def _show(raw: str) -> str:
    raw = raw if len(raw) <= 40 else raw[:37] + "..."
    return raw.replace("`", "'").replace("\n", " ")


def _fresh(key: str) -> bool:
    """True on the run where the widget has no state yet (a page load or a link)."""
    return key not in st.session_state


def parse_number(raw: str, lo: float, hi: float, *, integer: bool) -> float | int | None:
    """The number a link carries, or None when it is not a finite value in ``[lo, hi]``."""
    try:
        v = float(raw.strip())
    except (ValueError, AttributeError):
        return None
    if not math.isfinite(v) or v < lo or v > hi:
        return None
    if integer:
        if v != int(v):
            return None
        return int(v)
    return v


# -- instructor mode ---------------------------------------------------------------------------
def instructor() -> bool:
    """True when the page is in instructor (projector) mode: ``?instructor=true``."""
    if INSTRUCTOR_KEY in st.session_state:
        return bool(st.session_state[INSTRUCTOR_KEY])
    raw = _raw(INSTRUCTOR_KEY)
    return raw is not None and raw.lower() in ("true", "1", "yes", "on")


def _hidden(advanced: bool) -> bool:
    return advanced and instructor()


def _hidden_value(key: str, value: Any) -> Any:
    """A control hidden in instructor mode still follows a preset: the preset wrote its value
    into the session state, where no widget will pick it up."""
    return st.session_state.get(key, value)


# -- controls belong to their page ------------------------------------------------------------
#: Keys that live across pages: the sidebar's instructor switch.
GLOBAL_KEYS = frozenset({INSTRUCTOR_KEY})
_PAGE, _OWN = "_state_page", "_state_page_keys"


def enter_page(page: str) -> None:
    """Start the controls afresh when the learner arrives from another page (``app.py`` calls
    this before every page runs; a rerun of the same page keeps them).

    Session state outlives a page and pages share keys (``gain``, ``T``, ``lr``, ``preset``):
    without this, Lab 1's "Tame" preset opened section 2 at gain 0.9, T = 20 and 300 steps
    instead of its lesson defaults, and a ``?preset=`` link opened in a session that had
    applied it on another page was ignored. The new page's controls then take their values
    from its link, or their defaults. Predictions committed on a page are not controls and
    stay revealed. (An in-app ``st.page_link`` from a page with its own controls cannot carry
    them: Streamlit drops the query parameters bound to the old page's widgets on the switch.)"""
    ss = st.session_state
    if ss.get(_PAGE) == page:
        return
    stale = [*ss.get(_OWN, ()), PRESET_KEY,
             *(k for k in list(ss.keys()) if str(k).startswith("_preset_applied_"))]
    for k in stale:
        if k not in GLOBAL_KEYS:
            ss.pop(k, None)
    ss[_OWN] = set()
    ss[_PAGE] = page


def _own(key: str) -> None:
    """Note ``key`` as a control of the current page (see :func:`enter_page`)."""
    if key not in GLOBAL_KEYS:
        st.session_state.setdefault(_OWN, set()).add(key)


# -- controls ----------------------------------------------------------------------------------
def _drop_stale(key: str, fits: Callable[[Any], bool]) -> None:
    """Note ``key`` as the current page's control, and forget a value under it that this
    control cannot take. Session state outlives a
    page, and pages share URL keys with other meanings: Lab 1's ``lr`` is a choice ("0.05"),
    section 2's a number box, and a preset writes its values straight into the state. Handed
    the other page's value, Streamlit's widget raises; dropped, the control starts from the
    link or its default."""
    _own(key)
    if key in st.session_state and not fits(st.session_state[key]):
        del st.session_state[key]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _number_from_link(label: str, key: str, min_value: float, max_value: float,
                      default: float, integer: bool) -> Any:
    """The value the link gives the control (checked; else default, with a note and the bad
    value dropped from the URL)."""
    raw = _raw(key)
    if raw is None:
        return default
    parsed = parse_number(raw, min_value, max_value, integer=integer)
    if parsed is not None:
        return parsed
    if _fresh(key):
        _note(f"The link set **{label}** to `{_show(raw)}`, which is not a number from "
              f"{min_value} to {max_value}; using the default {default}.")
    _drop(key)
    return default


def slider(label: str, key: str, min_value: float, max_value: float, default: float, *,
           step: float | None = None, help: str | None = None, advanced: bool = False,
           format: str | None = None, where: Any = None) -> Any:
    """A bounded slider bound to the URL. Integer when ``default`` and the bounds are ints."""
    return _bounded(False, label, key, min_value, max_value, default, step=step, help=help,
                    advanced=advanced, format=format, where=where)


def _bounded(box: bool, label: str, key: str, min_value: float, max_value: float,
             default: float, *, step: float | None, help: str | None, advanced: bool,
             format: str | None, where: Any) -> Any:
    """A slider (``box`` False) or a number box: the value from the link (checked), hidden
    in instructor mode when ``advanced``, else the widget bound to the URL."""
    integer = all(isinstance(v, int) and not isinstance(v, bool)
                  for v in (min_value, max_value, default))
    # a whole-number slider takes ints only; a number box keeps floats (see below)
    _drop_stale(key, lambda v: _is_number(v) and min_value <= v <= max_value
                and (box or not integer or isinstance(v, int)))
    value = _number_from_link(label, key, min_value, max_value, default, integer)
    if _hidden(advanced):  # a number box keeps a float (seed 0.0): give the control's type
        v = _hidden_value(key, value)
        return int(round(v)) if integer else float(v)
    kwargs = {} if key in st.session_state else {"value": float(default) if box or not integer
                                                  else default}
    if not box:
        if not integer:
            min_value, max_value = float(min_value), float(max_value)
            step = float(step) if step is not None else None
        return (where or st).slider(label, min_value, max_value, step=step, key=key, help=help,
                                    format=format, bind="query-params", **kwargs)
    # Integer boxes are float boxes showing whole numbers: Streamlit's integer box raises on
    # ``?seed=inf`` while reading the URL, before any check of ours can run.
    step = float(step if step is not None else (1 if integer else 0.01))
    out = (where or st).number_input(label, float(min_value), float(max_value), step=step,
                                     key=key, help=help,
                                     format=format or ("%.0f" if integer else None),
                                     bind="query-params", **kwargs)
    return int(round(out)) if integer else out


def select(label: str, key: str, options: Mapping[str, str] | Sequence[str], default: str, *,
           help: str | None = None, advanced: bool = False, radio: bool = False,
           where: Any = None) -> str:
    """A choice bound to the URL. ``options`` maps URL values to the labels people read."""
    labels = dict(options) if isinstance(options, Mapping) else {o: str(o) for o in options}
    values = list(labels)
    _drop_stale(key, lambda v: isinstance(v, (str, int, float)) and v in labels)
    raw = _raw(key)
    value = default
    if raw is not None:
        by_label = {v: k for k, v in labels.items()}
        if raw in by_label:  # Streamlit writes the label people read into the URL
            value = by_label[raw]
        elif raw in labels:  # a hand-written link may use the short id
            value = raw
            if _fresh(key):
                st.session_state[key] = raw
        else:
            _drop(key)
        if raw not in by_label and raw not in labels and _fresh(key):
            _note(f"The link set **{label}** to `{_show(raw)}`, which is not one of "
                  f"{', '.join(labels.values())}; using the default {labels[default]}.")
    if _hidden(advanced):
        return _hidden_value(key, value)
    kwargs = {} if key in st.session_state else {"index": values.index(default)}
    widget = (where or st).radio if radio else (where or st).selectbox
    extra = {"horizontal": True} if radio else {}
    return widget(label, values, format_func=labels.__getitem__, key=key, help=help,
                  bind="query-params", **kwargs, **extra)


def toggle(label: str, key: str, default: bool = False, *, help: str | None = None,
           advanced: bool = False, where: Any = None) -> bool:
    """An on/off switch bound to the URL (``true`` / ``false``)."""
    _drop_stale(key, lambda v: isinstance(v, bool))
    raw = _raw(key)
    value = default
    if raw is not None:
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            _drop(key)
            if _fresh(key):
                _note(f"The link set **{label}** to `{_show(raw)}`, which is not true or "
                      f"false; using the default {default}.")
    if _hidden(advanced):
        return _hidden_value(key, value)
    kwargs = {} if key in st.session_state else {"value": default}
    return (where or st).toggle(label, key=key, help=help, bind="query-params", **kwargs)


def number(label: str, key: str, min_value: float, max_value: float, default: float, *,
           step: float | None = None, help: str | None = None, advanced: bool = False,
           format: str | None = None, where: Any = None) -> Any:
    """A bounded number box bound to the URL (for values a slider serves badly: lr, seed)."""
    return _bounded(True, label, key, min_value, max_value, default, step=step, help=help,
                    advanced=advanced, format=format, where=where)


def seed(default: int = 0, *, where: Any = None, advanced: bool = True) -> int:
    """The random seed control (0-9999)."""
    return number("Seed", "seed", 0, 9999, default, step=1, advanced=advanced, where=where,
                  help="Same settings and seed give the same result.")


# -- presets -----------------------------------------------------------------------------------
def matching_preset(options: Mapping[str, Mapping[str, Any]],
                    values: Mapping[str, Any]) -> str:
    """The first preset all of whose settings equal ``values`` (a control's key -> value),
    else ``"custom"``. Numbers compare by value (50 == 50.0)."""
    def same(a: Any, b: Any) -> bool:
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
                and not isinstance(a, bool) and not isinstance(b, bool):
            return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)
        return a == b

    for pid, o in options.items():
        if all(k in values and same(values[k], v) for k, v in o.items() if k != "label"):
            return pid
    return "custom"


def presets(options: Mapping[str, Mapping[str, Any]], *, where: Any = None,
            defaults: Mapping[str, Any] | None = None, default: str | None = None) -> str | None:
    """A "Preset" picker. ``options`` maps a URL-safe preset id to ``{"label": ..., key: value}``.

    Picking one writes its values into the controls (which then write the URL). A link with
    ``?preset=ID`` opens the page with that preset applied. With ``defaults`` (each control's
    key -> default value) the picker names the preset the current settings equal, so a page
    opened at its defaults shows the preset it matches instead of "Custom"; ``default`` names
    the preset whose values are the page's defaults (a shorthand for ``defaults``). Returns the
    active preset id.
    """
    if defaults is None and default is not None:
        defaults = {k: v for k, v in options[default].items() if k != "label"}
    ids = ["custom", *options]
    labels = {"custom": "Custom (your settings)",
              **{k: v.get("label", k) for k, v in options.items()}}

    def apply(pid: str) -> None:
        for k, v in options.get(pid, {}).items():
            if k != "label":
                st.session_state[k] = v

    def on_change() -> None:
        apply(st.session_state[PRESET_KEY])

    raw = _raw(PRESET_KEY)
    flag = f"_preset_applied_{raw}"
    if raw is not None and raw not in ids and _fresh(PRESET_KEY):
        _note(f"The link asked for preset `{_show(raw)}`, which this page does not have; "
              f"showing the defaults.")
        _drop(PRESET_KEY)
    elif raw in options and not st.session_state.get(flag):
        apply(raw)
        st.session_state[flag] = True
        st.session_state[PRESET_KEY] = raw  # the picker shows the preset the link named
    elif defaults is not None:
        keys = {k for o in options.values() for k in o if k != "label"}
        values = {k: st.session_state[k] if k in st.session_state else defaults[k]
                  for k in keys if k in st.session_state or k in defaults}
        match = matching_preset(options, values)
        if st.session_state.get(PRESET_KEY, "custom") != match:
            st.session_state[PRESET_KEY] = match
    kwargs = {} if PRESET_KEY in st.session_state else {"index": 0}
    return (where or st).selectbox(
        "Preset", ids, format_func=labels.__getitem__, key=PRESET_KEY, on_change=on_change,
        bind="query-params", help="Ready-made setups for class. Each has its own link.", **kwargs)
