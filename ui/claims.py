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


def show(result: dict, params: dict, claims: Iterable[Claim], *, inline: int = 1) -> list[bool]:
    """Draw the verdict of every claim that applies to ``params``; returns the verdicts.

    The first ``inline`` claims and every claim that fails on this run are shown as lines; the
    other passing ones fold into "N more checks on this run", so checks do not bury the chart.
    """
    items = [(c, c.holds(result)) for c in claims if c.applies_to(params)]
    up = [verdict_md(c, result) for i, (c, ok) in enumerate(items) if i < inline or not ok]
    folded = [verdict_md(c, result) for i, (c, ok) in enumerate(items) if i >= inline and ok]
    if up:
        st.markdown("\n\n".join(up))
    if folded:
        with st.expander(f"{len(folded)} more check{'s' * (len(folded) > 1)} on this run",
                         icon=":material/fact_check:"):
            st.markdown("\n\n".join(folded))
    return [ok for _, ok in items]
