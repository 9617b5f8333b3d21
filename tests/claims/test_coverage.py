"""Every lesson page and lab has a claims test with at least three checked claims, and every
claim the experiments declare is tested by some page's claims test."""

import importlib
from pathlib import Path

import pytest

from core.claims import CLAIMS
from core.experiments import load_all
from ui.nav import PAGES

HERE = Path(__file__).resolve().parent
PAGES_WITH_CLAIMS = [p for p in PAGES if p.section in ("Lesson", "Labs")]


def _page_claims(stem: str) -> set[str]:
    mod = importlib.import_module(f"tests.claims.test_{stem}")
    modules = list(getattr(mod, "MODULES", [])) + (
        [mod.MODULE] if hasattr(mod, "MODULE") else [])
    for m in modules:
        importlib.import_module(f"core.experiments.{m}")
    keys = {k for k, c in CLAIMS.items() if c.experiment.split(".", 1)[0] in modules}
    keys |= set(getattr(mod, "CLAIM_KEYS", []))
    # claims a page's test checks that are not in the registry (e.g. the quiz's own checks)
    return keys | {f"{c.experiment}.{c.name}" for c in getattr(mod, "EXTRA_CLAIMS", [])}


@pytest.mark.parametrize("page", PAGES_WITH_CLAIMS, ids=lambda p: p.file)
def test_page_has_three_checked_claims(page):
    stem = page.file.removesuffix(".py")
    assert (HERE / f"test_{stem}.py").exists(), f"no tests/claims/test_{stem}.py"
    keys = _page_claims(stem)
    assert len(keys) >= 3, f"{page.file} has {len(keys)} checked claims, needs 3: {keys}"
    extra = {f"{c.experiment}.{c.name}" for c in getattr(
        importlib.import_module(f"tests.claims.test_{stem}"), "EXTRA_CLAIMS", [])}
    unknown = keys - set(CLAIMS) - extra
    assert not unknown, f"{page.file} lists undeclared claims {unknown}"


def test_every_claim_is_checked_by_a_page():
    load_all()
    covered = set()
    for p in PAGES_WITH_CLAIMS:
        stem = p.file.removesuffix(".py")
        if (HERE / f"test_{stem}.py").exists():
            covered |= _page_claims(stem)
    assert set(CLAIMS) <= covered, f"claims no page test runs: {set(CLAIMS) - covered}"


def test_json_ready_turns_non_finite_numbers_into_null():
    """The one JSON rule (exports and the benchmark file): NaN and inf become null, numpy
    scalars plain numbers, tuples lists, at any depth; strict JSON then accepts it."""
    import json
    import math

    import numpy as np

    from core.claims import json_ready

    raw = {"a": [1.0, math.nan, (math.inf, -math.inf)], "b": {"c": np.float32(0.5),
                                                             "d": np.int64(3), "e": "x"}}
    out = json_ready(raw)
    assert out == {"a": [1.0, None, [None, None]], "b": {"c": 0.5, "d": 3, "e": "x"}}
    assert type(out["b"]["d"]) is int and type(out["b"]["c"]) is float
    json.dumps(out, allow_nan=False)  # strict JSON accepts it
