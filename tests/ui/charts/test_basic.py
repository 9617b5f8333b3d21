"""The basic builders (ui.charts): NaN, inf and zeros never reach a log axis silently."""

import json
import math

import numpy as np
import pandas as pd

from ui.charts import axes, heatmaps, lines, special


def spec(chart) -> dict:
    return json.loads(chart.to_json())


def rows(chart) -> list[dict]:
    out = []
    for v in spec(chart).get("datasets", {}).values():
        out.extend(v)
    return out


def test_log_safe_floors_and_tags_zero_tiny_and_nonfinite():
    df = pd.DataFrame({"v": [1.0, 0.0, 1e-320, float("nan"), float("inf"), -2.0]})
    out = axes.log_safe(df, "v")
    assert list(out["status"]) == ["ok", axes.STATUS_TINY, axes.STATUS_TINY, axes.STATUS_BAD,
                                   axes.STATUS_BAD, axes.STATUS_TINY]
    assert (out["v"] > 0).all() and np.isfinite(out["v"]).all()
    assert out["v"].iloc[0] == 1.0


def test_log_lines_mark_flagged_points_and_keep_values_positive():
    df = pd.DataFrame({"t": [0, 1, 2, 3], "g": [0.0, 1e-5, float("nan"), 1.0]})
    ch = lines.log_lines(df, "t", "g")
    data = rows(ch)
    assert all(r["g"] > 0 for r in data)
    assert sorted(r["status"] for r in data) == sorted(
        [axes.STATUS_TINY, "ok", axes.STATUS_BAD, "ok"])
    layers = spec(ch)["layer"]
    assert layers[0]["encoding"]["y"]["scale"]["type"] == "log"
    assert layers[1]["mark"]["type"] == "point"  # the flagged-point layer


def test_heatmap_draws_nonfinite_cells_as_marked_not_as_small():
    df = pd.DataFrame({"x": [0, 1, 0, 1], "y": [0, 0, 1, 1], "v": [1.0, float("nan"), 1e-3, float("inf")]})
    data = rows(heatmaps.heatmap(df, "x", "y", "v"))
    bad = [r for r in data if r["status"] != "ok"]
    assert len(bad) == 2 and all(r["_shown"] is None or (isinstance(r["_shown"], float) and math.isnan(r["_shown"])) for r in bad)
    good = {(r["x"], r["y"]): r["_shown"] for r in data if r["status"] == "ok"}
    assert good[(0, 0)] == 0.0 and good[(0, 1)] == -3.0


def test_log_bars_rise_from_a_baseline_below_the_smallest_positive_value():
    df = pd.DataFrame({"t": [0, 1, 2], "c": [0.0, 1e-9, 1.0]})
    data = rows(special.bars(df, "t", "c", log_y=True))
    base = data[0]["_base"]
    assert base == 1e-10
    assert [r["c"] for r in data] == [1e-10, 1e-9, 1.0]  # the exact zero sits on the baseline


def test_lines_with_rules_and_nonfinite_gap():
    df = pd.DataFrame({"step": [0, 1, 2], "loss": [1.0, float("inf"), 0.5]})
    ch = lines.lines(df, "step", "loss", rules={"chance (1/6)": 1 / 6})
    data = rows(ch)
    assert any(r.get("label") == "chance (1/6)" for r in data)
    assert [r["status"] for r in data if "status" in r] == ["ok", axes.STATUS_BAD, "ok"]
