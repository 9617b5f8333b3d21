import math
import re
import subprocess
import sys

import pytest
import torch

from core import cost
from core import script as core_script
from core.experiments import compare
from core.lm import lm_script
from core.text import BracketLanguage

torch.set_num_threads(1)


def test_tasks_trains_three_cells_on_the_same_batches_and_reports_partials(monkeypatch):
    monkeypatch.setattr(compare, "REPORT_INTERVAL", 0.0)  # report after every step
    partials = []
    res = compare.tasks(task="order", seq_len=10, hidden_size=8, steps=24, lr=0.01, seed=1,
                        report=lambda f, p: partials.append((f, p)))
    assert res["cells"] == ["rnn", "lstm", "gru"] and set(res["runs"]) == set(res["cells"])
    assert res["chance"] == pytest.approx(math.log(4)) and res["chance_accuracy"] == 0.25
    for run in res["runs"].values():
        assert run["step"] == list(range(24)) and run["status"] == "done"
        assert len(run["log_grad"]) == len(run["probe_steps"]) >= 2
        assert all(len(row) == 10 for row in run["log_grad"])
        assert 0.0 <= run["eval_accuracy"] <= 1.0
    fracs = [f for f, _ in partials]
    assert fracs == sorted(fracs) and fracs[-1] == pytest.approx(1.0)
    mid = next(p for f, p in partials if 0.34 < f < 0.66)
    assert set(mid["runs"]) == {"rnn", "lstm"} and mid["runs"]["lstm"]["status"] == "running"
    assert mid["runs"]["rnn"]["status"] == "done"
    for f, p in partials:  # the fraction says how many steps the running cell has done
        running = [r for r in p["runs"].values() if r["status"] == "running"]
        if running:
            assert len(running[0]["step"]) == round((f * 3 - len(p["runs"]) + 1) * 24)
    # the same run through core.script's reference (what "download as script" reproduces)
    for cell in res["cells"]:
        ref = core_script.reference_run(dict(task="order", seq_len=10, cell=cell,
                                             hidden_size=8, optimizer="adam", lr=0.01,
                                             clip="norm", clip_threshold=1.0, steps=24,
                                             batch_size=64, seed=1))
        assert ref.final_loss() == pytest.approx(res["runs"][cell]["final_loss"], rel=1e-6)


def test_cells_reports_the_running_cell_when_due_and_each_finished_one(monkeypatch):
    """compare._Cells: the one progress rule of tasks, brackets and char_lm."""
    monkeypatch.setattr(compare, "REPORT_INTERVAL", 0.0)
    sent, packed = [], []

    def pack(state, status):
        packed.append(state)
        return {"status": status, "step": state}

    cells = compare._Cells(lambda f, p: sent.append((f, p)), {"task": "x"}, steps=4)
    hook = cells.watch(1, "lstm", pack)
    hook(2, [0, 1])
    assert sent[-1] == (pytest.approx(1.5 / 3), {"task": "x", "runs": {
        "lstm": {"status": "running", "step": [0, 1]}}})
    cells.done(1, "lstm", {"status": "done"})
    assert sent[-1] == (pytest.approx(2 / 3), {"task": "x", "runs": {"lstm": {"status": "done"}}})
    assert sent[0][1]["runs"]["lstm"]["status"] == "running"  # each report has its own copy
    quiet = compare._Cells(None, {}, steps=4)
    quiet.watch(0, "rnn", pack)(4, [0, 1, 2, 3])
    quiet.done(0, "rnn", {"status": "done"})
    assert len(packed) == 1 and quiet.runs == {"rnn": {"status": "done"}}


def test_same_seed_same_curves():
    a = compare.tasks(task="adding", seq_len=10, hidden_size=8, steps=10, lr=0.01, seed=3)
    b = compare.tasks(task="adding", seq_len=10, hidden_size=8, steps=10, lr=0.01, seed=3)
    assert a["runs"]["gru"]["loss"] == b["runs"]["gru"]["loss"]
    c = compare.tasks(task="adding", seq_len=10, hidden_size=8, steps=10, lr=0.01, seed=4)
    assert a["runs"]["gru"]["loss"] != c["runs"]["gru"]["loss"]


def test_log_grad_is_log10_of_the_lag_profile():
    assert compare._log10([100.0, 0.0, 1e-3]) == [2.0, -math.inf, pytest.approx(-3.0)]


def test_brackets_baselines_accuracy_by_distance_and_script(tmp_path):
    res = compare.brackets(max_distance=5, hidden_size=8, steps=30, lr=0.01, seed=2)
    lang = BracketLanguage(5)
    assert res["distances"] == [2, 3, 4, 5]
    assert res["best_loss"] == pytest.approx(lang.best_loss)
    assert res["no_memory_loss"] > res["best_loss"]
    for run in res["runs"].values():
        assert len(run["acc_by_distance"]) == 4
        assert all(0 <= a <= 1 for a in run["acc_by_distance"])
        assert len(run["samples"]) == 4 and all(len(s) == 6 for s in run["samples"])
        assert all(len(r) == 5 for r in run["log_grad"])
    src = lm_script(data="brackets", max_distance=5, cells=res["cells"], hidden_size=8,
                    embed_dim=0, seq_len=5, batch_size=64, steps=30, lr=0.01, clip=1.0, seed=2)
    path = tmp_path / "b.py"
    path.write_text(src)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    got = dict(re.findall(r"^(\w+) final loss ([\d.]+)", out.stdout, re.M))
    for cell, run in res["runs"].items():
        assert float(got[cell]) == pytest.approx(run["final_loss"], abs=2e-6)


def test_char_lm_small_run_has_curves_samples_and_an_exact_unigram_baseline():
    res = compare.char_lm(hidden_size=8, embed_dim=4, seq_len=12, steps=20, lr=0.01,
                          batch_size=4, seed=0)
    from core.text import load_corpus

    c = load_corpus()
    counts = torch.bincount(c.ids[:c.split], minlength=c.vocab_size).double() + 1
    p = counts / counts.sum()
    want = float(-(torch.log(p)[c.ids[c.split:]]).mean())
    assert res["unigram_loss"] == pytest.approx(want, rel=1e-9)
    for run in res["runs"].values():
        assert run["eval_steps"][0] == 0 and run["eval_steps"][-1] == 20
        assert run["final_perplexity"] == pytest.approx(math.exp(run["final_val_loss"]))
        assert [s[:4] for s in run["samples"]] == ["The "] * 2
        assert all(len(s) == 4 + 160 for s in run["samples"])


def test_estimates_grow_and_defaults_fit_under_the_cap():
    for key in ("compare.tasks", "compare.brackets", "compare.char_lm"):
        assert cost.estimate(key) < 30, key
    big = dict(task="adding", seq_len=200, hidden_size=128, steps=2000)
    assert cost.estimate("compare.tasks", big) > 30
    big_lm = dict(hidden_size=256, embed_dim=32, seq_len=128, steps=1000, batch_size=64)
    assert cost.estimate("compare.char_lm", big_lm) > 30


def test_tasks_runs_the_time_series_and_reads_lag_plus_one_steps():
    res = compare.tasks(task="series", seq_len=6, hidden_size=8, steps=12, lr=0.01, seed=0)
    assert res["reads"] == 7 == compare.task_seq_len("series", 6)
    assert res["chance"] == 1.0 and res["chance_accuracy"] is None
    assert all(len(row) == 7 for run in res["runs"].values() for row in run["log_grad"])
    assert cost.estimate("compare.tasks", dict(task="series", seq_len=50, steps=500)) > 0


def test_far_ratio_reads_the_lag_profile():
    run = {"log_grad": [[0.0, -3.0, -6.0], [-1.0, -1.5, -2.0]]}
    assert compare.far_ratio(run, 0) == pytest.approx(1e-6)
    assert compare.far_ratio(run, -1) == pytest.approx(0.1)
    assert compare.far_ratio({"log_grad": [[0.0, -math.inf]]}, 0) == 0.0


def test_unigram_loss_is_the_exact_frequency_baseline():
    from core.text import load_corpus

    c = load_corpus()
    counts = torch.bincount(c.ids[:c.split], minlength=c.vocab_size).double() + 1
    p = counts / counts.sum()
    assert compare.unigram_loss(c) == pytest.approx(float(-(torch.log(p)[c.ids[c.split:]]).mean()))
