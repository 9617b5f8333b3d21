"""The experiments behind pages 5b (LSTM and GRU) and 6 (initialisation and normalisation),
checked against independent computations at tiny sizes (each test well under a few seconds)."""

import json
import math

import numpy as np
import pytest
import torch

from core import cost
from core.experiments import gated, init_norm
from core.models import build_model
from core.probes import gradient_norms_by_step, hidden_state_gradients_naive
from core.tasks import make_task
from ui.demos import DEMO_DIR


def naive_ratio(model, task, seed):
    """First/last ||dL/dh_t|| from T separate backward passes on the probe batch train() uses."""
    px, py = task.sample(32, torch.Generator().manual_seed(seed + 10_007))
    m = model.double()
    g = hidden_state_gradients_naive(m, px.double(), lambda o: task.loss(o, py.double()))
    n = gradient_norms_by_step(g)
    return float(n[0] / n[-1]), n


def test_log_grad_by_lag_reverses_time_and_marks_zeros():
    out = gated.log_grad_by_lag([0.0, 1e-3, 10.0])
    assert out[0] == pytest.approx(1.0) and out[1] == pytest.approx(-3.0)
    assert out[2] == -300.0  # exact zero at t = 0 is the largest lag
    assert math.isnan(gated.log_grad_by_lag([float("nan"), 1.0])[1])
    assert gated.first_last_ratio([2.0, 5.0, 4.0]) == pytest.approx(0.5)
    assert math.isnan(gated.first_last_ratio([1.0, 0.0]))


def test_first_below_reads_a_trailing_mean_and_first_open_a_probe():
    loss = [1.0] * 10 + [0.0] * 10
    # the trailing 10-step mean first drops below 0.5 once six zeros are in the window
    assert gated.first_below(loss, 0.5) == 15
    assert gated.first_below(loss, 0.0) is None
    assert gated.first_below([float("nan")] * 20, 1.0) is None
    run = {"probe_steps": [0, 40, 80], "log_grad": [[0.0, -9.0], [0.0, -2.5], [0.0, -1.0]]}
    assert gated.first_open(run) == 40  # first/last above 1e-3 from the second probe on
    assert gated.first_open(run, level=0.5) is None


def test_compare_cells_matches_a_naive_probe_at_initialisation():
    T, H, seed = 8, 6, 3
    res = gated.compare_cells(seq_len=T, hidden_size=H, steps=4, lr_rnn=1e-3, lr_gated=1e-2,
                              seed=seed)
    assert res["order"] == ["rnn", "lstm", "gru", "lstm_fb1"]
    json.dumps(res)  # JSON-ready
    task = make_task("adding", T)
    for rid, cell, fb, _ in gated.RUNS:
        r = res["runs"][rid]
        model = build_model(cell, 2, H, 1, forget_bias=fb, seed=seed)
        want, norms = naive_ratio(model, task, seed)
        assert r["ratio_init"] == pytest.approx(want, rel=1e-6), rid
        # the first probe is the untrained network, by lag
        np.testing.assert_allclose(r["log_grad"][0], np.log10(norms.numpy()[::-1]), rtol=1e-6)
        assert r["probe_steps"][0] == 0 and r["probe_steps"][-1] == 4
        assert len(r["loss"]) == 4 and r["lr"] == (1e-3 if cell == "rnn" else 1e-2)
    # the untrained control: an LSTM whose forget gates start near 1
    carousel = build_model("lstm", 2, H, 1, forget_bias=gated.CAROUSEL_BIAS, seed=seed)
    want, _ = naive_ratio(carousel, task, seed)
    assert res["carousel"]["ratio_init"] == pytest.approx(want, rel=1e-6)


def test_gate_trace_is_the_models_own_gates_and_sorted():
    T, H = 7, 5
    res = gated.compare_cells(seq_len=T, hidden_size=H, steps=2, lr_rnn=1e-3, lr_gated=1e-2,
                              seed=1)
    x, _ = gated.example_sequence(T)
    model = build_model("lstm", 2, H, 1, seed=1)  # the untrained LSTM
    f = model.trace(x)["f"][0].double().numpy()  # (T, H)
    init = res["gates"]["lstm"]["init"]
    np.testing.assert_allclose(init["mean"]["f"], f.mean(1), rtol=1e-6)
    heat = np.asarray(init["heat"])
    assert heat.shape == (T, H)
    np.testing.assert_allclose(heat, np.round(f[:, np.argsort(f.mean(0))], 4), atol=1e-6)
    assert np.all(np.diff(heat.mean(0)) >= -1e-9)  # sorted: most persistent unit last
    assert res["gates"]["gru"]["trained"]["keep_gate"] == "z"
    assert res["example"]["markers"] == torch.nonzero(x[0, :, 1]).flatten().tolist()


def test_compare_cells_reports_partials_of_the_same_shape():
    seen = []
    gated.compare_cells(seq_len=6, hidden_size=4, steps=10, lr_rnn=1e-3, lr_gated=1e-2,
                        seed=0, report=lambda f, p: seen.append((f, p)))
    fracs = [f for f, _ in seen]
    assert fracs == sorted(fracs) and fracs[-1] == pytest.approx(1.0)
    assert all(set(p) == {"order", "seq_len", "chance", "runs", "gates", "example", "carousel"}
               for _, p in seen)


def test_shipped_gated_demo_tells_the_init_vs_trained_story():
    """The precomputed default run passes every claim its page makes (tests/claims checks
    them over seeds 0-4), and records when each run solved the task."""
    from core.claims import claims_for

    res = json.loads((DEMO_DIR / "gated.compare_cells.json").read_text())["result"]
    for c in claims_for(gated.compare_cells.key):
        assert c.holds(res), c.name
    fresh = json.loads((DEMO_DIR / "gated.fresh_cells.json").read_text())["result"]
    for c in claims_for(gated.fresh_cells.key):
        assert c.holds(fresh), c.name
        assert c.holds(res), c.name  # the trained run carries the same first probe
    for run in res["runs"].values():
        assert run["solved_step"] == gated.first_below(run["loss"], gated.SOLVED)
    assert res["runs"]["rnn"]["solved_step"] is None


def test_init_schemes_spectra_and_gradients_are_independent_measurements():
    T, H, seed, gain = 8, 6, 2, 0.9
    res = init_norm.init_schemes(seq_len=T, hidden_size=H, gain=gain, steps=3, lr=1e-3,
                                 seed=seed)
    task = make_task("adding", T)
    for sid, cell, init, act, fb, _ in init_norm.SCHEMES:
        r = res["runs"][sid]
        model = build_model(cell, 2, H, 1, nonlinearity=act, init=init, gain=gain,
                            forget_bias=fb, seed=seed)
        w = model.cell.weight_hh.detach().double()
        w = w if cell == "rnn" else w[2 * H:3 * H]  # the LSTM's candidate block W_hg
        np.testing.assert_allclose(r["sv_init"], np.linalg.svd(w.numpy(), compute_uv=False),
                                   rtol=1e-6)
        want, _ = naive_ratio(model, task, seed)
        assert r["ratio_init"] == pytest.approx(want, rel=1e-6), sid
        assert len(r["grad_trained"]) == T and len(r["loss"]) == 3
    # orthogonal and identity starts: every singular value is the gain
    for sid in ("orthogonal", "identity"):
        np.testing.assert_allclose(res["runs"][sid]["sv_init"], gain, rtol=1e-6)


def test_progress_reports_every_ten_steps_and_each_finished_run():
    """init_norm._Progress: the one progress rule of init_schemes and norm_compare."""

    class Hist:  # what _Progress reads of core.training.History
        first_nonfinite = None

        def column(self, name):
            return [0, 1, 2] if name == "step" else [0.3, 0.2, 0.1]

        def final_loss(self):
            return 0.1

    sent = []
    result = {"order": ["a", "b"], "runs": {"a": {"loss": []}, "b": {"loss": []}}}
    progress = init_norm._Progress(lambda f, p: sent.append((f, p)), result, steps=20)
    cb = progress.callback(1, "b", {"label": "B"})
    for step in range(20):
        cb({"step": step}, Hist())
    assert [f for f, _ in sent] == [pytest.approx(0.75), pytest.approx(1.0)]
    assert sent[0][1]["runs"]["b"] == {"label": "B", "step": [0, 1, 2], "loss": [0.3, 0.2, 0.1]}
    assert result["runs"]["b"] == {"loss": []}  # partials never touch the result
    run = {"label": "B"}
    progress.finish(1, "b", run, Hist())
    assert run == {"label": "B", "step": [0, 1, 2], "loss": [0.3, 0.2, 0.1], "final_loss": 0.1,
                   "first_nonfinite": None}
    assert result["runs"]["b"] is run and sent[-1] == (pytest.approx(1.0), result)


def test_norm_compare_scale_and_gradients():
    T, H, seed = 6, 5, 0
    res = init_norm.norm_compare(cell="rnn", seq_len=T, hidden_size=H, steps=2, lr=1e-3,
                                 seed=seed)
    task = make_task("adding", T)
    px, _ = task.sample(32, torch.Generator().manual_seed(seed + 10_007))
    for norm in ("none", "layer", "batch"):
        r = res["runs"][norm]
        model = build_model("rnn", 2, H, 1, norm=norm, seed=seed)
        with torch.no_grad():
            model.readout.bias.fill_(1.0)  # every model's readout starts at the target mean
        want, _ = naive_ratio(model, task, seed)
        assert r["ratio_init"] == pytest.approx(want, rel=1e-6), norm
        model = build_model("rnn", 2, H, 1, norm=norm, seed=seed)
        with torch.no_grad():
            hs = torch.stack(model.hidden_states(px), 1)
        np.testing.assert_allclose(r["scale_init"], hs.pow(2).mean((0, 2)).sqrt().numpy(),
                                   rtol=1e-5)
        assert len(r["log_grad"]) == len(r["probe_steps"]) == 3  # steps 0, 1 and 2


def test_norm_compare_starts_every_readout_at_the_target_mean():
    res = init_norm.norm_compare(cell="lstm", seq_len=6, hidden_size=4, steps=1, lr=1e-3,
                                 seed=0)
    assert init_norm.TARGET_MEAN == 1.0  # E[U1 + U2] for the adding problem
    # one Adam step moves the bias by at most about lr: the first loss is near chance
    for r in res["runs"].values():
        assert r["loss"][0] < 0.5


def test_estimates_grow_with_the_work_and_norm_costs_the_step_loop():
    assert cost.estimate("gated.compare_cells") < 30  # the defaults fit
    largest = dict(seq_len=100, hidden_size=128, steps=1500)
    assert cost.estimate("gated.compare_cells", largest) > 30  # the largest setting is refused
    fused = cost.seconds("rnn", 50, 32, steps=200)
    small = dict(cell="rnn", seq_len=50, hidden_size=32, steps=200)
    assert cost.estimate("init_norm.norm_compare", small) > 3 * fused  # two run the step loop


def test_fresh_cells_are_the_training_runs_first_probe_without_training():
    T, H, seed = 8, 6, 3
    fresh = gated.fresh_cells(seq_len=T, hidden_size=H, seed=seed)
    run = gated.compare_cells(seq_len=T, hidden_size=H, steps=2, lr_rnn=1e-3, lr_gated=1e-2,
                              seed=seed)
    json.dumps(fresh)
    for rid in gated.LABELS:
        assert fresh["runs"][rid]["ratio_init"] == run["runs"][rid]["ratio_init"]
        assert fresh["runs"][rid]["log_grad"] == run["runs"][rid]["log_grad"][0]
    assert fresh["carousel"] == run["carousel"]


def test_gated_tables_are_tidy_views_of_the_result():
    fresh = gated.fresh_cells(seq_len=6, hidden_size=4, seed=0)
    res = gated.compare_cells(seq_len=6, hidden_size=4, steps=12, lr_rnn=1e-3, lr_gated=1e-2,
                              seed=0)
    m = gated.moment_table(fresh, None)
    assert m["moment"] == ["at initialisation"] * 4
    m = gated.moment_table(fresh, res)
    assert len(m["ratio"]) == 8 and m["ratio"][1] == res["runs"]["rnn"]["ratio_final"]
    lag = gated.lag_table(res)
    assert len(lag["lag"]) == 4 * len(res["runs"]["rnn"]["probe_steps"]) * 6
    loss = gated.loss_table(res, smooth=3)
    v = np.asarray(res["runs"]["rnn"]["loss"])
    np.testing.assert_allclose(loss["smoothed loss"][:12],
                               [v[max(0, i - 2):i + 1].mean() for i in range(12)])
    heat = gated.gate_heat_table(res, "lstm")
    assert len(heat["gate"]) == 2 * 6 * 4
    lines = gated.gate_line_table(res, "gru")
    assert set(lines["series"]) == {"z, most persistent unit", "r, mean over units",
                                    "z, mean over units", "z, mean before training"}
    k = gated.keep_stats(res, "lstm")
    assert k["keep"] == "f" and k["units"] == 4 and 0 <= k["n_keep"] <= 4


def test_init_profiles_are_init_schemes_at_initialisation_without_training():
    T, H, seed, gain = 8, 6, 2, 0.9
    prof = init_norm.init_profiles(seq_len=T, hidden_size=H, gain=gain, seed=seed)
    run = init_norm.init_schemes(seq_len=T, hidden_size=H, gain=gain, steps=2, lr=1e-3,
                                 seed=seed)
    json.dumps(prof)
    for sid in run["order"]:
        for key in ("sv_init", "grad_init", "ratio_init"):
            assert prof["runs"][sid][key] == run["runs"][sid][key], (sid, key)
    share = init_norm.share_table(prof, labels={"default": "d"})
    rows = [(s, lag, v) for s, lag, v in zip(share["start"], share["lag"], share["share"])]
    assert len(rows) == 6 * T and rows[0] == ("d", 0, 1.0)
    last = next(v for s, lag, v in rows if s == "d" and lag == T - 1)
    assert last == pytest.approx(prof["runs"]["default"]["ratio_init"], rel=1e-9)
    sv = init_norm.sv_table(prof, init_norm.RNN_STARTS)
    assert len(sv["rank"]) == 4 * H and sv["rank"][:2] == [1, 2]


def test_init_norm_claims_hold_on_the_shipped_defaults():
    from core.claims import claims_for

    for key in ("init_profiles", "init_schemes", "norm_compare"):
        fn = getattr(init_norm, key)
        res = json.loads((DEMO_DIR / f"init_norm.{key}.json").read_text())["result"]
        for c in claims_for(fn.key):
            if c.applies_to(fn.defaults):
                assert c.holds(res), c.name
