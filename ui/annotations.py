"""Reference lines named by a run: the chart options a page's main chart takes from its result.

Used by the pages and, through ``ui.notebook.Recipe.chart_from``, by their take-home
notebooks, so both draw the same lines with the same labels. Streamlit-free.
"""

from __future__ import annotations


def _chance(r: dict) -> list[dict]:
    return [{"y": r["chance"], "kind": "ref", "label": f"chance {r['chance']:.3f}"}]


def blowup_rules(r: dict) -> dict:
    """``exploding.blowup``: the first inf/NaN (where it appeared) and the chance loss, as
    ``run_lines`` options ``vrules`` and ``hrules``."""
    ev = r["first_nonfinite"]
    vrules = [{"x": ev["step"], "label": f"first inf/NaN: step {ev['step']} "
               f"(in the {ev['where']})", "kind": "bad"}] if ev else []
    return {"vrules": vrules, "hrules": _chance(r)}


def clipping_rules(r: dict) -> dict:
    """``clipping.compare``: the unclipped run's first inf/NaN and the chance loss."""
    ev = (r.get("none") or {}).get("first_nonfinite")
    vrules = [{"x": ev["step"], "kind": "bad",
               "label": f"unclipped run: inf/NaN at step {ev['step']}"}] if ev else []
    return {"vrules": vrules, "hrules": _chance(r)}
