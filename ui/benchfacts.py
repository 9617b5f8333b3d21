"""Timings a page may quote, read from the last ``python -m bench`` run (``bench/results.json``).

A measured time typed into prose goes stale; these come from one benchmark run, with its date
and machine, and vanish quietly (an empty list) when the file is missing or damaged.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results.json"
log = logging.getLogger(__name__)


@functools.cache
def _load(path: Path = RESULTS) -> dict | None:
    try:
        data = json.loads(path.read_text())
        rows = {r["name"]: r for r in data["rows"]}
        return {"machine": dict(data["machine"]), "rows": rows}
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("bench results unusable (%s): %s", path, e)
        return None


def _secs(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


def machine_note(path: Path = RESULTS) -> str:
    """'2 cores (AMD EPYC), torch 2.13.0+cpu on 1 thread, 2026-11-25 19:30 UTC' or ''."""
    d = _load(path)
    if d is None:
        return ""
    m = d["machine"]
    try:
        return (f"{m['nproc']} cores ({m['cpu_model']}), torch {m['torch']} on "
                f"{m['torch_threads']} thread(s), load average {m['loadavg'][0]:.1f} at the "
                f"start, {m['time_utc'][:16]} UTC")
    except (KeyError, IndexError, TypeError, ValueError):
        return ""


def timing_rows(path: Path = RESULTS) -> list[tuple[str, str, str]]:
    """(what, time, how it was measured) for the home page's table; [] if unavailable."""
    d = _load(path)
    if d is None:
        return []
    rows = d["rows"]
    out: list[tuple[str, str, str]] = []

    def add(fn):
        try:
            out.append(fn())
        except (KeyError, IndexError, TypeError, ValueError):
            pass

    def pages():
        warm = [r["value"] for n, r in rows.items() if n.endswith(".py warm")]
        return ("Open any page at its default settings", f"under {_secs(max(warm))}",
                f"Slowest warm page script of {len(warm)}: the default result ships with the "
                "app, so no model runs.")

    def cold():
        dd = rows["cold start: import torch"]["data"]
        return ("The first live run after the server starts",
                f"{_secs(dd['torch'] + dd['optimizer'])} extra",
                f"Loading PyTorch ({_secs(dd['torch'])}) and its optimiser machinery "
                f"({_secs(dd['optimizer'])}), once per server.")

    def probe():
        dd = rows["RNN probe T=400 / T=100"]["data"]
        return ("Gradient probe of a fresh RNN (every ||dL/dh_t||), T = 100 and 400",
                f"{_secs(dd['short']['wall'])} and {_secs(dd['long']['wall'])}",
                "One forward and one reverse sweep, batch 64, H = 64 (float32; pages use "
                "float64, about twice that).")

    def training():
        dd = rows["RNN training with live probes / plain"]["data"]
        return (f"Training run: tanh RNN, {dd['steps']} Adam steps, T = {dd['T']}, "
                f"H = {dd['H']}, probed every {dd['probe_every']} steps",
                _secs(dd["probed"]["wall"]), "Runs like this show progress and a Stop button.")

    def contrast():
        r = rows["RNN vs LSTM contrast visible (adding, T=50, H=32)"]
        dd = r["data"]
        return (f"LSTM vs RNN on the adding problem until the LSTM is clearly ahead "
                f"(T = {dd['T']}, H = {dd['H']})", _secs(dd["seconds"]),
                f"Both trained side by side until step {dd['step']}.")

    for fn in (pages, cold, probe, training, contrast):
        add(fn)
    return out
