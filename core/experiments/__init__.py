"""The pure functions behind each page's charts.

Each experiment is a function of plain keyword arguments that returns a JSON-ready dict (lists
of numbers, strings, None; NaN and inf allowed). ``@experiment(**defaults)`` registers it with
the defaults its page opens with; ``python -m tools.make_demos`` precomputes every registered
experiment at its defaults into ``data/demos/`` so pages paint instantly, and a test checks a
fresh run still matches the shipped file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

REGISTRY: dict[str, Callable[..., dict]] = {}


def experiment(**defaults: Any) -> Callable[[Callable[..., dict]], Callable[..., dict]]:
    """Register an experiment with its page's default arguments (``fn.defaults``)."""

    def deco(fn: Callable[..., dict]) -> Callable[..., dict]:
        fn.defaults = dict(defaults)  # type: ignore[attr-defined]
        fn.key = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"  # type: ignore[attr-defined]
        REGISTRY[fn.key] = fn  # type: ignore[attr-defined]
        return fn

    return deco


def load_all() -> dict[str, Callable[..., dict]]:
    """Import every experiment module so the registry is complete."""
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    return REGISTRY


def resolve(key: str) -> Callable[..., dict]:
    """The experiment registered under ``"module.function"``."""
    if key not in REGISTRY:
        importlib.import_module(f"{__name__}.{key.split('.', 1)[0]}")
    return REGISTRY[key]
