"""The section-4 chart builders (ui.charts.lines) and tables (ui.frames)."""

import math

import pandas as pd
import pytest

from ui import frames
from ui.charts import axes, lines
from ui.demos import shipped


def test_decades_tick_whole_powers_of_ten_covering_the_data():
    assert axes.decades([0.003, 1.2]) == [1e-3, 1e-2, 1e-1, 1.0, 1e1]
    ticks = axes.decades([1e-2, 3e37])  # a blow-up: thinned, and the top tick covers the max
    assert len(ticks) <= 9 and ticks[0] == 1e-2 and ticks[-1] >= 3e37
    assert all(math.log10(t) == round(math.log10(t)) for t in ticks)
    assert axes.decades([math.nan, math.inf, 0.0]) == [1.0]


def test_score_frame_marks_learned_lengths_and_chance():
    r = shipped("effects.length_sweep")["result"]
    df = frames.score_frame(r)
    assert list(df["T"]) == r["lengths"] and set(df["chance"]) == {0.25}
    assert list(df["verdict"]) == [frames.LEARNED if ok else frames.NOT_LEARNED for ok in r["learned"]]
    assert set(df["run"]) == {"tanh RNN, 300 steps"}
    chart = lines.score_chart(df, percent=True, y_title="accuracy")
    assert chart is lines.score_chart(df.copy(), percent=True, y_title="accuracy")  # memoised
    spec = chart.to_dict()
    color = spec["layer"][0]["encoding"]["color"]["scale"]
    assert color["domain"] == ["tanh RNN, 300 steps", lines.CHANCE]
    assert color["range"][0] == "#D55E00"  # the tanh RNN's colour on every page
    # the blind guess is drawn first, under the data
    assert spec["layer"][0]["mark"]["type"] == "line" and spec["layer"][-1]["mark"]["type"] == "point"


def test_curve_frame_divides_each_length_by_its_own_chance():
    r = {"task": "copy", "curve_T": [10, 10, 40], "curve_step": [0, 5, 0],
         "curve_loss": [0.5, math.nan, 0.1]}
    df = frames.curve_frame(r)
    assert df["chance"][0] == pytest.approx(10 * math.log(8) / 30)
    assert df["chance"][2] == pytest.approx(10 * math.log(8) / 60)
    assert df["ratio"][0] == pytest.approx(0.5 / df["chance"][0])
    spec = lines.ratio_curves.uncached(df).to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert marks == ["rule", "line", "point"]  # references under the data, NaN marked


def test_run_lines_names_reference_lines_in_the_legend_and_marks_nan():
    df = pd.DataFrame({"step": [0, 1, 2], "loss": [1.0, 1e30, math.inf], "run": "a"})
    spec = lines.decade_run_lines.uncached(df, "step", "loss", "run", order=["a"], colors=["#000000"],
                                 vrules=[{"x": 2, "label": "first NaN", "kind": "bad"}],
                                 hrules=[{"y": 0.2, "label": "chance", "kind": "ref"}]).to_dict()
    color = spec["layer"][0]["encoding"]["color"]["scale"]
    assert color["domain"] == ["a", "first NaN", "chance"]
    assert all("text" not in str(layer["mark"]) for layer in spec["layer"])  # no labels on lines
    y = spec["layer"][2]["encoding"]["y"]
    assert y["axis"]["values"][0] <= 0.2 and y["axis"]["values"][-1] >= 1e30
