"""The code behind a chart: a runnable call of the experiment that drew it.

Pages show it under "The code behind this chart", notebooks start from it, and a test runs
every page's snippet, so it can never drift from what the page computes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["experiment_call"]


def experiment_call(fn: Callable[..., dict], params: dict[str, Any], *,
                    show: Sequence[str] = (), var: str = "res") -> str:
    """Python source that imports ``fn``'s module and calls it with ``params`` (missing ones
    take the defaults, written out so the call is explicit), then prints the ``show`` keys.

    For ``vanishing.gradient_profile`` with ``{"seq_len": 50}`` and ``show=["ratio"]``::

        from core.experiments import vanishing

        res = vanishing.gradient_profile(
            cell='rnn',
            seq_len=50,
            ...
        )
        print("ratio:", res["ratio"])
    """
    module = fn.__module__.rsplit(".", 1)[-1]
    full = {**getattr(fn, "defaults", {}), **params}
    args = "".join(f"    {k}={v!r},\n" for k, v in full.items())
    lines = [f"from core.experiments import {module}", "",
             f"{var} = {module}.{fn.__name__}(\n{args})"]
    lines += [f'print("{k}:", {var}["{k}"])' for k in show]
    return "\n".join(lines) + "\n"
