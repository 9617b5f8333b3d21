"""The ui.charts package: builders grouped by kind, every heat map taking a colour scheme, one
run_lines, colours from ui.palette."""

import inspect
import math

import numpy as np
import pandas as pd

from ui import frames, palette
from ui.charts import axes, heatmaps, lines, special


def _public_builders(module):
    return [f for name, f in vars(module).items()
            if callable(f) and not name.startswith("_") and hasattr(f, "uncached")]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def test_every_builder_is_memoised_and_every_heatmap_takes_a_scheme():
    for module in (lines, heatmaps, special):
        assert _public_builders(module), module.__name__
    for f in _public_builders(heatmaps) + [special.cliff_map]:
        assert "scheme" in inspect.signature(f.uncached).parameters, f.__name__
    # gradient_maps draws through facet_heatmap (memoised there)
    assert "scheme" in inspect.signature(heatmaps.gradient_maps).parameters


def test_heatmap_scheme_reaches_the_colour_scale_and_nan_gets_a_legend_entry():
    df = pd.DataFrame({"x": [0, 1, 0, 1], "y": [0, 0, 1, 1], "v": [1.0, 2.0, 3.0, 4.0]})
    spec = heatmaps.heatmap.uncached(df, "x", "y", "v").to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["scheme"] == palette.SEQUENTIAL
    assert "shape" not in spec["layer"][1]["encoding"]  # nothing to name: no legend entry
    spec = heatmaps.heatmap.uncached(df, "x", "y", "v", scheme="magma").to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["scheme"] == "magma"
    spec = heatmaps.heatmap.uncached(df, "x", "y", "v", diverging=True).to_dict()
    assert spec["layer"][0]["encoding"]["color"]["scale"]["scheme"] == palette.DIVERGING
    bad = df.assign(v=[1.0, math.nan, math.inf, 4.0])
    spec = heatmaps.heatmap.uncached(bad, "x", "y", "v").to_dict()
    shape = spec["layer"][1]["encoding"]["shape"]
    assert shape["scale"]["domain"] == [palette.NAN_MARK] and shape["legend"] is not None


def test_weight_map_and_facet_heatmap_and_phase_map_use_the_scheme_given():
    w = np.eye(4).tolist()
    spec = heatmaps.weight_map.uncached(w, domain=(-1.0, 0.0), scheme="plasma").to_dict()
    assert any(n.get("scheme") == "plasma" for n in _walk(spec))
    df = pd.DataFrame({"s": [0, 0, 1, 1], "lag": [0, 1, 0, 1], "g": [-1.0, -2.0, -3.0, -300.0],
                       "cell": "a"})
    spec = heatmaps.facet_heatmap.uncached(df, "s", "lag", "g", "cell", scheme="plasma").to_dict()
    assert any(n.get("scheme") == "plasma" for n in _walk(spec))
    pdf = frames.phase_frame({"radius": [0.5, 1.5], "seq_len": [10, 10], "ratio": [0.0, 1e3],
                              "regime": ["vanishing", "exploding"]})
    spec = heatmaps.phase_map.uncached(pdf, scheme="redblue").to_dict()
    assert any(n.get("scheme") == "redblue" for n in _walk(spec))


def test_decade_run_lines_is_run_lines_with_decade_ticks():
    df = pd.DataFrame({"step": [0, 1, 2], "loss": [1.0, 30.0, math.inf], "run": "a"})
    kw = dict(order=["a"], colors=["#000000"],
              vrules=[{"x": 1, "label": "W_hh x10", "kind": "phase"}],
              hrules=[{"y": 0.2, "label": "chance", "kind": "ref"}], height=200)
    a = lines.decade_run_lines.uncached(df, "step", "loss", "run", **kw).to_dict()
    b = lines.run_lines.uncached(df, "step", "loss", "run", styles=lines.DECADE_RULES,
                                 y_ticks="decades", cross_size=60, **kw).to_dict()
    assert a == b
    y = next(n for n in _walk(a) if n.get("field") == "_y")
    assert y["axis"]["values"] == axes.decades([1.0, 30.0, 0.2])


def test_run_colours_live_in_the_palette():
    assert palette.run_colors(["no clipping", "x"], ["rnn", "lstm"]) == [
        palette.BAD, palette.CELL_COLORS["lstm"]]
    assert palette.RUN_COLORS["lstm"] == palette.CELL_COLORS["lstm"]
    assert palette.START_COLORS["default"] == palette.CELL_COLORS["rnn"]
    assert palette.PATH_COLORS["unclipped"] == palette.BAD


def test_one_status_rule():
    v = pd.Series([1.0, 0.0, -1.0, math.nan, math.inf])
    assert list(axes.status(v)) == ["ok", palette.TINY_MARK, palette.TINY_MARK,
                                    palette.NAN_MARK, palette.NAN_MARK]
    assert list(axes.status(v, zero=False)) == ["ok", "ok", "ok", palette.NAN_MARK,
                                                palette.NAN_MARK]
    assert list(axes.status([-300.0, -2.0], log10=True)) == [palette.TINY_MARK, "ok"]
