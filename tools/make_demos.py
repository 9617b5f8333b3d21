"""Precompute every registered experiment at its page defaults into data/demos/.

    python -m tools.make_demos            # all
    python -m tools.make_demos vanishing  # the experiments whose key starts with "vanishing"
    python -m tools.make_demos --schema-only  # record the schema of the shipped results as
                                              # they are (no run)

Each file is ``{"params": defaults, "result": ..., "schema": ...}``: the schema holds the
result's keys and types (``ui.demos.schema_of``), and ``ui.demos`` refuses a shipped result
that does not have it (a live run replaces it). Pages show these results instantly when their
settings are the defaults; ``tests/core/test_demos.py`` checks that a fresh run still matches
each file within tolerance and has the recorded schema.
"""

from __future__ import annotations

import json
import math
import sys
import time

from core import runtime
from core.experiments import load_all
from ui.demos import DEMO_DIR, schema_of

SIG = 7  # significant digits kept in the shipped files


def rounded(v):
    """Round every float to ``SIG`` significant digits (NaN and inf stay as they are)."""
    if isinstance(v, float):
        return v if not math.isfinite(v) or v == 0 else float(f"{v:.{SIG}g}")
    if isinstance(v, list):
        return [rounded(x) for x in v]
    if isinstance(v, dict):
        return {k: rounded(x) for k, x in v.items()}
    return v


def shipped_form(params: dict, result: dict) -> dict:
    """What a demo file holds: the settings, the rounded result as JSON reads it back, and
    that result's schema."""
    result = json.loads(json.dumps(rounded(result)))
    return {"params": params, "result": result, "schema": schema_of(result)}


def write(key: str, data: dict) -> None:
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    with (DEMO_DIR / f"{key}.json").open("w") as f:
        json.dump(data, f, separators=(",", ":"))


def make(key: str, fn) -> float:
    start = time.perf_counter()
    result = fn(**fn.defaults)
    write(key, shipped_form(fn.defaults, result))
    return time.perf_counter() - start


def add_schema(key: str) -> str:
    """Record the schema of a shipped file's result as it stands (no run)."""
    path = DEMO_DIR / f"{key}.json"
    if not path.exists():
        return "missing: run python -m tools.make_demos " + key
    data = json.loads(path.read_text())
    write(key, shipped_form(data["params"], data["result"]))
    return "schema recorded"


def main(argv: list[str]) -> None:
    runtime.configure(1)
    schema_only = "--schema-only" in argv
    argv = [a for a in argv if a != "--schema-only"]
    registry = load_all()
    for key, fn in sorted(registry.items()):
        if argv and not any(key.startswith(a) for a in argv):
            continue
        if schema_only:
            print(f"{key:45s} {add_schema(key)}", flush=True)
        else:
            print(f"{key:45s} {make(key, fn):6.2f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
