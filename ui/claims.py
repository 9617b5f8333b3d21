"""Show a page's checked claims beside its chart: "✓ checked in this run: ...".

Claims are declared beside the experiments (``core.claims``); this module only draws the
verdict for the learner's own run. A claim that fails on the learner's settings says so
plainly instead of repeating the textbook line.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from core.claims import Claim


def verdict_md(c: Claim, result: dict) -> str:
    """One line of markdown: the claim, its verdict on ``result`` and the run's numbers."""
    ev = c.evidence(result)
    tail = f" ({ev})" if ev else ""
    if c.holds(result):
        return f":green[:material/check_circle:] **Checked in this run:** {c.text}{tail}"
    return (f":orange[:material/error:] **Not in this run:** {c.text}{tail}. Your settings "
            "depart from the usual story: the chart shows what actually happened.")


def show(result: dict, params: dict, claims: Iterable[Claim]) -> list[bool]:
    """Draw the verdict of every claim that applies to ``params``; returns the verdicts."""
    lines, verdicts = [], []
    for c in claims:
        if not c.applies_to(params):
            continue
        verdicts.append(c.holds(result))
        lines.append(verdict_md(c, result))
    if lines:
        st.markdown("\n\n".join(lines))
    return verdicts
