"""Pascanu's one-unit cliff: hand-written BPTT against autograd and finite differences,
clipping rules, the cliff line, and overflow that never raises."""

import math

import pytest
import torch

from core import cliff
from core.experiments.exploding import wall_line

SPEC = cliff.CliffSpec(T=50)
POINTS = [(6.5, -2.35), (9.0, -4.0), (3.0, -1.0), (-2.0, 1.5), (11.0, -6.5)]


def _t(v):
    return torch.tensor([v], dtype=torch.float64)


@pytest.mark.parametrize("w,b", POINTS)
def test_hand_bptt_matches_autograd(w, b):
    e, gw, gb = cliff.point_loss_and_grad(w, b, SPEC)
    E, GW, GB = cliff.loss_and_grad(_t(w), _t(b), SPEC)
    assert e == pytest.approx(float(E[0]), rel=1e-12)
    assert gw == pytest.approx(float(GW[0]), rel=1e-9, abs=1e-12)
    assert gb == pytest.approx(float(GB[0]), rel=1e-9, abs=1e-12)


def test_gradient_matches_finite_differences_on_a_short_sequence():
    spec = cliff.CliffSpec(T=5)
    w, b, h = 2.0, -0.5, 1e-6
    _, gw, gb = cliff.point_loss_and_grad(w, b, spec)
    fw = (cliff.point_loss_and_grad(w + h, b, spec)[0]
          - cliff.point_loss_and_grad(w - h, b, spec)[0]) / (2 * h)
    fb = (cliff.point_loss_and_grad(w, b + h, spec)[0]
          - cliff.point_loss_and_grad(w, b - h, spec)[0]) / (2 * h)
    assert gw == pytest.approx(fw, rel=1e-6)
    assert gb == pytest.approx(fb, rel=1e-6)


def test_unroll_is_the_recurrence():
    x = 0.5
    for _ in range(50):
        x = 7.0 / (1 + math.exp(-x)) - 3.0
    assert float(cliff.unroll(_t(7.0), _t(-3.0), SPEC)[0]) == pytest.approx(x, rel=1e-12)


def test_surface_grid_matches_single_points():
    s = cliff.surface((2.0, 12.0), (-7.0, 2.0), 7, SPEC)
    assert len(s["w"]) == 7 and len(s["loss"]) == 7 and len(s["loss"][0]) == 7
    i_b, i_w = 3, 5  # rows are b
    e, gw, gb = cliff.point_loss_and_grad(s["w"][i_w], s["b"][i_b], SPEC)
    assert s["loss"][i_b][i_w] == pytest.approx(e, rel=1e-12)
    assert s["grad_norm"][i_b][i_w] == pytest.approx(math.hypot(gw, gb), rel=1e-9)


def test_wall_line_is_where_x0_is_a_fixed_point():
    wall = wall_line(SPEC)
    assert len(wall["w"]) > 5
    s0 = 1 / (1 + math.exp(-SPEC.x0))
    for w, b in zip(wall["w"], wall["b"]):
        assert w * s0 + b == pytest.approx(SPEC.x0, abs=1e-12)
        assert w * s0 * (1 - s0) >= 1 - 1e-9  # the fixed point is unstable: a real cliff
    # crossing it flips where the unit settles: the loss jumps
    w = 9.0
    b_wall = SPEC.x0 - w * s0
    above = cliff.point_loss_and_grad(w, b_wall + 0.05, SPEC)[0]
    below = cliff.point_loss_and_grad(w, b_wall - 0.05, SPEC)[0]
    assert below > 2 * above


def test_descent_steps_follow_the_clipping_rules():
    lr, c = 0.05, 2.0
    free = cliff.descend((6.5, -2.35), SPEC, lr=lr, steps=40)
    norm = cliff.descend((6.5, -2.35), SPEC, lr=lr, steps=40, clip="norm", threshold=c)
    value = cliff.descend((6.5, -2.35), SPEC, lr=lr, steps=40, clip="value", threshold=c)
    for g, s in zip(free["grad_norm"], free["step_size"]):
        assert s == pytest.approx(lr * g, rel=1e-12)
    for g, s, clipped in zip(norm["grad_norm"], norm["step_size"], norm["clipped"]):
        assert s <= lr * c * (1 + 1e-12)
        assert clipped == (g >= c)
        if not clipped:
            assert s == pytest.approx(lr * g, rel=1e-12)
    for i in range(len(value["grad_norm"])):
        dw = value["w"][i + 1] - value["w"][i]
        db = value["b"][i + 1] - value["b"][i]
        assert abs(dw) <= lr * c + 1e-12 and abs(db) <= lr * c + 1e-12
    # the first step is the same gradient whatever the clipping
    assert free["grad_norm"][0] == norm["grad_norm"][0] == value["grad_norm"][0]
    assert len(free["w"]) == len(free["loss"]) == 41


def test_default_start_is_thrown_without_clipping_and_not_with_it():
    free = cliff.descend((6.5, -2.35), SPEC, lr=0.05, steps=100)
    clipped = cliff.descend((6.5, -2.35), SPEC, lr=0.05, steps=100, clip="norm", threshold=5.0)
    assert max(free["grad_norm"]) > 500
    assert max(free["step_size"]) > 10
    assert max(clipped["step_size"]) <= 0.25 + 1e-12
    assert max(clipped["loss"]) < 100 < max(free["loss"])


def test_overflow_gives_inf_or_nan_never_an_exception():
    e, gw, gb = cliff.point_loss_and_grad(1e200, 3.0, SPEC)
    assert e == math.inf and math.isnan(gw)
    p = cliff.descend((1e308, 1e308), SPEC, lr=1.0, steps=5)
    assert len(p["loss"]) == len(p["w"])
    with pytest.raises(ValueError):
        cliff.descend((1.0, 1.0), SPEC, lr=0.1, steps=1, clip="bogus")


def test_path_frame_cuts_a_thrown_path_at_the_window_edge():
    from ui.frames import path_frame

    window = ((0.0, 10.0), (0.0, 10.0))
    path = {"w": [5.0, 6.0, 26.0, 30.0, 8.0, 7.0], "b": [5.0, 5.0, 5.0, 5.0, 5.0, 6.0],
            "loss": [1, 2, 3, 4, 5, 6], "grad_norm": [1, 2, 3, 4, 5]}
    df = path_frame({"p": path}, window)
    exit_row = df[df["kind"] == "exit"].iloc[0]
    entry_row = df[df["kind"] == "entry"].iloc[0]
    assert (exit_row["w"], exit_row["b"]) == (10.0, 5.0)  # where 6 -> 26 crosses w = 10
    assert (exit_row["to_w"], exit_row["to_b"]) == (26.0, 5.0)
    assert (entry_row["w"], entry_row["b"]) == (10.0, 5.0)  # 30 -> 8 comes back at w = 10
    assert df["seg"].nunique() == 2
    assert set(df[df["kind"] == "point"]["step"]) == {0, 1, 4, 5}
    assert ((df["w"] >= 0) & (df["w"] <= 10)).all()


def test_edge_offset_is_zero_on_the_wall_where_x0_is_a_fixed_point():
    wall = wall_line(SPEC)
    for w, b in zip(wall["w"], wall["b"]):
        assert cliff.edge_offset(w, b, SPEC) == pytest.approx(0.0, abs=1e-12)
        assert w * torch.sigmoid(torch.tensor(SPEC.x0)).item() + b == pytest.approx(SPEC.x0)
    assert cliff.edge_offset(6.5, -2.35, SPEC) > 0 > cliff.edge_offset(6.5, -5.0, SPEC)


def test_weight_map_is_square_and_keeps_nan_and_inf_off_the_colour_bar():
    import json

    from ui.charts.axes import log_range
    from ui.charts.heatmaps import weight_map

    w = [[0.1, float("nan")], [float("inf"), -2.0]]
    spec = weight_map.uncached(w, domain=log_range(w), cell=7).to_dict()
    view = spec["hconcat"][0]
    assert view["width"] == view["height"] == {"step": 7}
    cells, bad = view["layer"]
    assert cells["encoding"]["color"]["field"] == "log10_w"
    assert bad["encoding"]["fill"]["scale"]["domain"] == ["NaN: 1", "+inf: 1", "−inf: 0"]
    rows = {r["status"]: r for r in spec["datasets"][cells["data"]["name"]]}
    assert set(rows) == {"finite"}  # the colour bar only ever sees finite values
    assert log_range(w) == (-1.0, math.log10(2.0))
    assert json.dumps(spec)  # serialisable


def test_histogram_axis_holds_the_tallest_bar():
    from ui.charts.special import norm_histogram
    from ui.frames import norm_bins

    norms = [1.0] * 50 + [2.0, 3.0, float("inf"), float("nan")]
    hdf = norm_bins(norms, bins=5)
    assert hdf["steps"].sum() == 52  # non-finite norms are left out
    spec = norm_histogram.uncached(hdf, 1.0, reference=1.2).to_dict()
    bars = next(lay for lay in spec["layer"] if lay["encoding"].get("y"))
    assert bars["encoding"]["y"]["scale"]["domain"][1] >= 50
    assert bars["encoding"]["y2"] == {"datum": 0}
