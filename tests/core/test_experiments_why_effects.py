import math

import pytest
import torch

from core import cost
from core.experiments import effects, why
from core.theory import gradient_ratio, regime

torch.set_num_threads(1)


def test_matrix_case_sizes_bound_and_shapes():
    r = why.matrix_case(value=0.8, which="sigma", kind="gaussian", activation="sigmoid",
                        hidden_size=16, seq_len=60, seed=1)
    assert r["sigma_max"] == pytest.approx(0.8, rel=1e-5)
    assert r["gamma"] == 0.25 and r["eta"] == pytest.approx(0.2, rel=1e-5)
    assert len(r["lag"]) == len(r["log_norm"]) == len(r["log_bound"]) == 61
    assert len(r["eig_real"]) == 16
    assert r["log_bound"][60] == pytest.approx(60 * math.log10(r["eta"]))
    assert all(m <= b + 1e-6 for m, b in zip(r["log_norm"], r["log_bound"]))
    assert 0 < r["mean_deriv"] <= 0.25
    # eta < 1: the bound guarantees decay, and the measurement decays at least as fast
    assert r["log_norm"][-1] <= 60 * math.log10(0.2) + 1e-6


def test_matrix_case_radius_setting_and_tanh_path():
    r = why.matrix_case(value=1.2, which="radius", kind="orthogonal", activation="tanh",
                        hidden_size=16, seq_len=40, seed=0)
    assert r["spectral_radius"] == pytest.approx(1.2, rel=1e-5)
    assert r["sigma_max"] == pytest.approx(1.2, rel=1e-5)  # orthogonal: equal sizes
    assert r["rate"] == pytest.approx(r["log_norm"][-1] / 40)


def test_phase_diagram_cells_match_independent_ratios():
    r = why.phase_diagram(nonlinearity="tanh", hidden_size=8, seed=0)
    n = len(why.PHASE_RADII) * len(why.PHASE_LENGTHS)
    assert len(r["radius"]) == len(r["seq_len"]) == len(r["ratio"]) == len(r["regime"]) == n
    i = r["radius"].index(0.5) + why.PHASE_LENGTHS.index(50)
    assert r["seq_len"][i] == 50
    expected = gradient_ratio(0.5, 50, hidden_size=8, seed=0)
    assert r["ratio"][i] == pytest.approx(expected, rel=1e-9)
    assert r["regime"][i] == regime(expected) == "vanishing"


def test_stable_gains_reads_the_phase_grid():
    r = {"lengths": [10, 50], "radius": [0.5, 0.5, 1.0, 1.0, 2.0, 2.0],
         "seq_len": [10, 50, 10, 50, 10, 50],
         "regime": ["stable", "vanishing", "stable", "stable", "stable", "exploding"]}
    assert why.stable_gains(r) == {10: [0.5, 1.0, 2.0], 50: [1.0]}


def test_sweep_lengths_respect_each_task():
    assert effects.sweep_lengths("order", 60) == [10, 20, 30, 45, 60]
    assert effects.sweep_lengths("order", 20) == [10, 15, 20]
    assert min(effects.sweep_lengths("adding", 12)) == 2
    big = dict(task="order", t_max=200, cell="lstm", hidden_size=128, steps=1500)
    assert cost.estimate("effects.length_sweep", big) > 30
    assert cost.estimate("effects.length_sweep",
                         dict(task="order", t_max=60, cell="rnn", hidden_size=32, steps=300)) < 30


def test_length_sweep_shape_chance_and_progress():
    seen = []
    r = effects.length_sweep(task="order", t_max=12, cell="rnn", hidden_size=8, steps=25,
                             lr=1e-2, seed=0, report=lambda f, p: seen.append((f, p)))
    assert r["lengths"] == [10, 12]
    assert r["chance_loss"] == [pytest.approx(math.log(4))] * 2
    assert r["chance_accuracy"] == 0.25
    assert all(isinstance(v, bool) for v in r["learned"])
    assert [ok for ok in r["learned"]] == [v < 0.5 * math.log(4) for v in r["final_loss"]]
    assert set(r["curve_T"]) == {10, 12} and len(r["curve_loss"]) == len(r["curve_step"])
    fracs = [f for f, _ in seen]
    assert fracs == sorted(fracs) and fracs[-1] == pytest.approx(1.0)
    assert seen[-1][1]["lengths"] == [10, 12]
    assert seen[0][1]["lengths"] == []  # partial: nothing finished yet, curve under way
    assert seen[0][1]["curve_T"]


def test_exploding_run_blows_up_through_w_hh_while_frozen_and_clipped_twins_survive():
    kw = dict(exploding_defaults(), steps=80)
    r = effects.exploding_run(**kw)
    bad = r["first_nonfinite_raw"]
    assert bad is not None and bad["step"] < 80
    after = r["loss_raw"][bad["step"] + 1:]
    assert after and not any(math.isfinite(v) for v in after)  # inf, then NaN for good
    assert all(math.isfinite(v) for v in r["loss_raw"][:bad["step"]])
    # phase 1: W_hh is thrown out well before the NaN; phase 2: the readout overshoots
    jump = next(i for i, v in enumerate(r["w_hh_norm_raw"]) if v > 10 * r["w_hh_norm_start"])
    assert jump < bad["step"] - 10
    assert effects.whh_jump_step(r) == jump  # the step the page marks on its charts
    assert effects.whh_jump_step({**r, "w_hh_norm_raw": [r["w_hh_norm_start"]] * 80}) is None
    assert r["saturation_start"] < 0.1 and r["saturation_raw"][bad["step"] - 1] > 0.9
    # saturation lowers the readout's learning-rate limit below lr; it cannot go below
    # 1 / (H + 1), since every row of [h_T, 1] has squared norm at most H + 1
    limits = [v for v in r["readout_lr_limit_raw"] if math.isfinite(v)]
    assert max(r["readout_lr_limit_raw"][bad["step"] - 10:bad["step"]]) < kw["lr"]
    assert kw["lr"] < r["readout_lr_limit"]
    assert min(limits) >= 1 / (kw["hidden_size"] + 1) - 1e-9
    # the control: same start, same batches, W_hh never changes, and the run stays finite
    assert r["w_hh_norm_frozen"] == [pytest.approx(r["w_hh_norm_start"])] * 80
    assert r["first_nonfinite_frozen"] is None and all(map(math.isfinite, r["loss_frozen"]))
    assert r["loss_frozen"][0] == r["loss_raw"][0] == r["loss_clipped"][0]  # same start
    assert r["first_nonfinite_clipped"] is None
    assert all(math.isfinite(v) for v in r["loss_clipped"])
    # clipped steps move the weights by at most lr: W_hh's norm changes by at most lr per step
    w = [r["w_hh_norm_start"]] + r["w_hh_norm_clipped"]
    assert max(abs(a - b) for a, b in zip(w, w[1:])) <= kw["lr"] * 1.0001
    assert r["nonfinite_weights_raw"] == 1.0 and r["nonfinite_weights_clipped"] == 0.0
    assert len(r["w_hh"]) == 16
    assert len(r["grad_norm_hh_raw"]) == len(r["grad_norm_readout_raw"]) == 80


def exploding_defaults() -> dict:
    return dict(effects.exploding_run.defaults)


def test_readout_lr_limit_matches_a_direct_hessian():
    import torch

    from core.models import build_model
    from core.tasks import make_task

    task = make_task("adding", 20)
    model = build_model("rnn", 2, 8, 1, gain=2.0, seed=3)
    x, y = task.sample(16, torch.Generator().manual_seed(0))
    w = torch.cat([model.readout.weight.detach().flatten(),
                   model.readout.bias.detach()]).double()
    with torch.no_grad():
        h = model.fused_hidden(x)[:, -1, :].double()

    def loss(v):  # the MSE on the last step as a function of the readout alone
        return ((h @ v[:8] + v[8] - y[:, 0].double()) ** 2).mean()

    hess = torch.autograd.functional.hessian(loss, w)
    lam = float(torch.linalg.eigvalsh(hess).max())
    assert effects.readout_lr_limit(model, x) == pytest.approx(2 / lam, rel=1e-9)


def test_longer_budget_repeats_the_sweep_run_then_keeps_training():
    kw = dict(task="order", cell="rnn", hidden_size=8, lr=1e-2, seed=0)
    sweep = effects.length_sweep(t_max=12, steps=30, **kw)
    seen = []
    b = effects.longer_budget(T=12, steps=60, budget=30, report=lambda f, p: seen.append(f),
                              **kw)
    i = sweep["lengths"].index(12)
    assert b["loss_at_budget"] == pytest.approx(sweep["final_loss"][i], rel=1e-6)
    assert b["learned_at_budget"] == sweep["learned"][i]
    assert b["steps_done"] == 60 and b["chance"] == pytest.approx(math.log(4))
    assert b["learned"] == (b["final_loss"] < 0.5 * math.log(4))
    assert len(b["curve_step"]) == len(b["curve_loss"]) and seen[-1] == pytest.approx(1.0)
    assert effects.first_below([1.0] * 25 + [0.0] * 30, 0.5) == 35
    assert effects.first_below([1.0] * 50, 0.5) is None


def test_series_task_runs_in_the_sweep():
    assert effects.sweep_lengths("series", 12) == [2, 4, 6, 9, 12]
    r = effects.length_sweep(task="series", t_max=6, cell="rnn", hidden_size=8, steps=20,
                             lr=1e-2, seed=0)
    assert r["chance_loss"] == [1.0] * len(r["lengths"]) and r["chance_accuracy"] is None
    assert r["final_accuracy"] == [None] * len(r["lengths"]) and r["loss_name"] == "MSE"
    assert cost.estimate("effects.length_sweep",
                         dict(task="series", t_max=60, cell="rnn", hidden_size=32, steps=300)) < 30


def test_activation_compare_reuses_the_matrix_case():
    kw = dict(value=1.2, which="sigma", kind="gaussian", hidden_size=12, seq_len=30, seed=2)
    r = why.activation_compare(**kw)
    assert r["activations"] == ["tanh", "relu", "sigmoid", "linear"]
    for a in r["activations"]:
        single = why.matrix_case(activation=a, **kw)
        assert r["log_norm"][a] == single["log_norm"]
        assert r["gamma"][a] == single["gamma"]
    assert r["mean_deriv"]["linear"] == 1.0
    assert r["mean_deriv"]["sigmoid"] <= 0.25
