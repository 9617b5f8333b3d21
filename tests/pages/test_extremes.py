"""Every page with every slider and number box at its maximum (and then its minimum) runs or
refuses with a reason; it never raises."""

from __future__ import annotations

import time

import pytest

from tests.conftest import no_exception, open_page
from ui.nav import PAGES

NUMERIC = ("slider", "number_input")


def extreme_query(at, which: str) -> dict[str, str]:
    q = {}
    for kind in NUMERIC:
        for w in at.get(kind):
            key = getattr(w, "key", None)
            if not key or key == "seed":
                continue
            v = w.max if which == "max" else w.min
            if v is None:
                continue
            q[key] = str(int(v)) if float(v).is_integer() else repr(float(v))
    return q


@pytest.mark.parametrize("which", ["max", "min"])
@pytest.mark.parametrize("info", PAGES, ids=[p.url for p in PAGES])
def test_extreme_settings_run_or_are_refused(info, which):
    at = open_page(info.file)
    query = extreme_query(at, which)
    start = time.perf_counter()
    bad = open_page(info.file, query, timeout=180)
    elapsed = time.perf_counter() - start
    no_exception(bad)
    assert not bad.error, [e.value for e in bad.error]
    assert elapsed < 120, f"{info.file} at {which} took {elapsed:.0f} s to open"
