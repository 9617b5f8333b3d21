"""Tidy reshaping against explicit loops."""

import numpy as np

from ui.frames import matrix_long, series_long


def test_matrix_long_matches_a_loop():
    a = np.arange(6.0).reshape(2, 3)
    df = matrix_long(a, [10, 20], ["x", "y", "z"], row="t", col="u", value="v")
    expect = [(t, u, a[i, j]) for i, t in enumerate([10, 20]) for j, u in enumerate("xyz")]
    assert list(df.itertuples(index=False, name=None)) == expect


def test_series_long_keeps_order_and_names():
    df = series_long([0, 1], {"b": [3.0, 4.0], "a": [1.0, 2.0]}, x_name="t", y_name="y")
    assert list(df.columns) == ["t", "kind", "y"]
    assert df["kind"].tolist() == ["b", "b", "a", "a"] and df["y"].tolist() == [3, 4, 1, 2]
