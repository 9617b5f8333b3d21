"""Charts built once per server: the memo keys on content, and the cached spec is what
Streamlit's own path would send."""

import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from ui import chartcache, layout


@pytest.fixture(autouse=True)
def _fresh():
    chartcache.clear()
    yield
    chartcache.clear()


calls = []


@chartcache.memo
def _line(df, *, title="y"):
    calls.append(1)
    return alt.Chart(df).mark_line().encode(x="t:Q", y=alt.Y("v:Q", title=title))


def test_same_content_same_object_built_once():
    calls.clear()
    a = _line(pd.DataFrame({"t": [0, 1, 2], "v": [1.0, np.nan, 3.0]}))
    b = _line(pd.DataFrame({"t": [0, 1, 2], "v": [1.0, np.nan, 3.0]}))  # equal, not identical
    assert a is b and len(calls) == 1 and chartcache.is_memoised(a)


def test_different_content_or_options_build_again():
    calls.clear()
    df = pd.DataFrame({"t": [0, 1, 2], "v": [1.0, 2.0, 3.0]})
    a = _line(df)
    b = _line(df.assign(v=[1.0, 2.0, 3.5]))
    c = _line(df, title="other")
    d = _line(df.astype({"t": float}))  # same numbers, other dtype: another chart
    assert len({id(a), id(b), id(c), id(d)}) == 4 and len(calls) == 4


def test_uncacheable_argument_falls_through():
    calls.clear()
    df = pd.DataFrame({"t": [0], "v": [1.0]})
    a, b = _line(df, title=object()), _line(df, title=object())
    assert a is not b and not chartcache.is_memoised(a)


def test_spec_is_built_once_and_handed_out_as_a_copy():
    df = pd.DataFrame({"t": [0, 1, 2], "v": [1.0, 2.0, 3.0]})
    chart = _line(df)
    n = []

    def finish(c):
        n.append(1)
        return layout._finished_spec(c, False)

    s1 = chartcache.spec(chart, "laptop", finish)
    s1["mark"] = "mutated"
    s1.pop("datasets")
    s2 = chartcache.spec(chart, "laptop", finish)
    assert len(n) == 1 and s2["mark"] != "mutated" and s2["datasets"]
    # The cached spec equals what Streamlit's own conversion makes of the same chart.
    fresh = layout._finished_spec(_line.uncached(df), False)
    assert json.dumps(s2, sort_keys=True, default=repr) == json.dumps(
        fresh, sort_keys=True, default=repr)
    assert chartcache.spec(chart, "projector", lambda c: layout._finished_spec(c, True)) != s2


def test_evicted_charts_take_their_specs_along(monkeypatch):
    monkeypatch.setattr(chartcache, "MAX_CHARTS", 3)
    for i in range(6):
        c = _line(pd.DataFrame({"t": [0], "v": [float(i)]}))
        chartcache.spec(c, "laptop", lambda c: {"i": 1})
    charts, specs = chartcache.sizes()
    assert charts == 3 and specs <= 3
