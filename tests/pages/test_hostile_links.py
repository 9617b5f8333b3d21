"""Every page, opened with hostile values for every control it has, shows notes, not tracebacks."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import no_exception, open_page
from ui.nav import PAGES

HOSTILE = ["-1", "1e308", "nan", "inf", "-inf", "abc", "../../etc/passwd",
           "<script>alert(1)</script>", "", "0", "99999999999999999999", "1; import os",
           "`rm -rf`", "%00", "[1,2]"]
WIDGETS = ("slider", "selectbox", "number_input", "toggle", "radio", "select_slider",
           "checkbox", "text_input", "multiselect")


def widget_keys(at) -> list[str]:
    keys = []
    for kind in WIDGETS:
        for w in at.get(kind):
            key = getattr(w, "key", None)
            if key and not key.startswith(("predict_", "FormSubmitter", "$$")):
                keys.append(key)
    return sorted(set(keys))


@pytest.mark.parametrize("info", PAGES, ids=[p.url for p in PAGES])
def test_hostile_values_for_every_control(info):
    at = open_page(info.file)
    no_exception(at)
    keys = widget_keys(at) + ["preset", "instructor", "unknown_param"]
    for offset in range(0, len(HOSTILE), 5):
        values = itertools.islice(itertools.cycle(HOSTILE), offset, None)
        query = {k: v for k, v in zip(keys, values)}
        bad = open_page(info.file, query)
        no_exception(bad)
        assert not bad.error, [e.value for e in bad.error]
