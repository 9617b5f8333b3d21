"""Precompute every registered experiment at its page defaults into data/demos/.

    python -m tools.make_demos            # all
    python -m tools.make_demos vanishing  # the experiments whose key starts with "vanishing"

Pages show these results instantly when their settings are the defaults; ``tests/core/
test_demos.py`` checks that a fresh run still matches each file within tolerance.
"""

from __future__ import annotations

import json
import math
import sys
import time

from core import runtime
from core.experiments import load_all
from ui.demos import DEMO_DIR

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


def make(key: str, fn) -> float:
    start = time.perf_counter()
    result = fn(**fn.defaults)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    with (DEMO_DIR / f"{key}.json").open("w") as f:
        json.dump({"params": fn.defaults, "result": rounded(result)}, f, separators=(",", ":"))
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    runtime.configure(1)
    registry = load_all()
    for key, fn in sorted(registry.items()):
        if argv and not any(key.startswith(a) for a in argv):
            continue
        print(f"{key:45s} {make(key, fn):6.2f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
