"""Smoke tests of the benchmark and load script at tiny sizes: the table and JSON hold the same
rows, every target row has a verdict, the naive and fast probes agree. No timing asserts."""

import json
import math
import os

import numpy as np
import pytest

import bench
from bench import __main__ as bench_main
from bench import load


def test_probe_rows_have_targets_verdicts_and_raw_timings():
    rows = bench.bench_probe(cells=("rnn", "gru"), B=3, T=6, H=4, T_long=12, reps=1)
    names = [r.name for r in rows]
    assert "RNN probe / fused step" in names and "GRU probe T=12 / T=6" in names
    targeted = [r for r in rows if r.target]
    assert len(targeted) == 4  # probe / step and scaling, per cell
    for r in targeted:
        assert isinstance(r.passed, bool) and r.unit == "x"
        assert r.passed == (r.value <= float(r.target.split()[-1]))
    ratio = rows[0]
    assert ratio.value == pytest.approx(ratio.data["probe"]["wall"] / ratio.data["step"]["wall"])
    assert all(v["runs"] == 1 for k, v in ratio.data.items() if isinstance(v, dict))


def test_naive_and_fast_probes_agree_in_the_benchmark():
    rows = bench.bench_naive(B=3, T=7, H=5)
    assert [r.name.split()[0] for r in rows] == ["RNN", "LSTM", "GRU"]
    for r in rows:
        assert r.data["agree"] is True and r.data["max_rel_diff"] < 1e-5
        assert r.passed is None and r.value > 0


def test_fast_probe_functions_match_naive_at_benchmark_shapes():
    import torch

    for cell in bench.CELLS:
        fast = bench.probe_fn(cell, 4, 12, 6, dtype=torch.float64)()
        slow = bench.probe_fn(cell, 4, 12, 6, dtype=torch.float64, which="naive")()
        old = bench.probe_fn(cell, 4, 12, 6, dtype=torch.float64, which="autograd")()
        torch.testing.assert_close(fast, slow, rtol=1e-9, atol=1e-15)
        torch.testing.assert_close(old, slow, rtol=1e-9, atol=1e-15)


def test_training_rows_compare_the_same_number_of_steps():
    rows = bench.bench_training(cells=("lstm",), T=5, H=4, steps=15, reps=1)
    (r,) = rows
    assert r.data["steps"] == 15 and r.data["probe_every"] == 1
    assert r.value == pytest.approx(r.data["probed"]["wall"] / r.data["plain"]["wall"])
    assert r.target == "<= 1.25" and isinstance(r.passed, bool)


def test_contrast_reports_a_step_or_nan_and_never_counts_an_early_spike():
    hit = bench.contrast_seconds(T=6, H=8, max_steps=40, window=5)
    if hit.get("step") is None:
        assert math.isnan(hit["seconds"])
    else:  # the LSTM must be below half of both the RNN and the chance line
        assert hit["lstm"] < 0.5 * min(hit["rnn"], 1 / 6) and hit["seconds"] > 0


def test_main_prints_the_table_and_writes_the_same_numbers(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert bench_main.main(["--tiny", "--only", "probe,training", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["machine"]["nproc"] == os.cpu_count() and data["machine"]["cpu_model"]
    assert data["machine"]["torch_threads"] == 1
    assert "| measure | value | target | result | note |" in text
    rows = data["rows"]
    assert {r["group"] for r in rows} == {"probe", "training"}
    for r in rows:  # every JSON row is a table line with the same value and verdict
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {r['name']} |"))
        cells = [c.strip() for c in line.split("|")[1:-1]]
        assert cells[1] == f"{r['value']:.2f}x"
        assert cells[3] == ("" if r["passed"] is None else "pass" if r["passed"] else "FAIL")
    assert f"{sum(r['passed'] is True for r in rows)} targets met" in text


def test_json_has_no_nan_and_a_failed_page_is_a_fail_row():
    rows = [bench.Row("pages", "x.py cold", math.nan, "s", "<= 3 s", bench._check(math.nan, 3),
                      "EXCEPTION: boom", {"cold": math.nan})]
    text = json.dumps(bench.to_json(rows, bench.machine_info()), allow_nan=False)
    assert '"value": null' in text and rows[0].passed is False
    assert "| x.py cold | n/a | <= 3 s | FAIL |" in bench.table(rows)


def test_unknown_part_is_refused():
    with pytest.raises(SystemExit):
        bench_main.main(["--only", "probe,bogus"])


def test_page_times_of_a_light_page_in_a_fresh_process():
    r = bench.page_times("glossary.py", warm_reps=1, timeout=240)
    assert r["errors"] == [], r["errors"]
    assert r["cold"] > 0 and r["warm"] > 0 and len(r["warm_runs"]) == 1


def test_percentile_matches_numpy():
    vals = [3.0, 1.0, 7.5, 2.2, 9.1, 4.4, 0.3]
    for q in (0, 50, 95, 100):
        assert load.percentile(vals, q) == pytest.approx(np.percentile(vals, q))
    assert math.isnan(load.percentile([], 95))


def test_load_script_only_contacts_loopback_and_bounds_sessions():
    with pytest.raises(SystemExit):
        load._check_loopback("http://example.com:8501")
    load._check_loopback("http://127.0.0.1:8501")
    with pytest.raises(SystemExit):
        load.main(["--sessions", "0"])
    with pytest.raises(SystemExit):
        load.main(["--sessions", str(load.MAX_SESSIONS + 1)])


def test_rss_sampler_measures_this_process_tree():
    import psutil

    with load.RssSampler(os.getpid(), every=0.01) as s:
        big = bytearray(50 * 2**20)  # noqa: F841  (50 MB held while sampling)
        import time

        time.sleep(0.1)
    own = psutil.Process().memory_info().rss / 2**20
    assert s.samples and s.peak >= 50 and s.peak <= own * 1.5 + 50


def test_load_rows_judge_failures_and_p95(monkeypatch):
    fake = {"sessions": 10, "visits": 130, "failures": 2, "median_s": 1.5, "p95_s": 12.0,
            "max_s": 20.0, "rss_idle_mb": 50.0, "rss_peak_mb": 480.0, "wall_s": 99.0,
            "server_cpu_s": 80.0, "browser_cpu_s": 100.0,
            "failure_examples": ["why: TimeoutError", "gated: exception shown on the page"],
            "per_page_median_s": {}, "visits_detail": []}
    fake |= {"server_cpu_per_visit_s": 80.0 / 130, "arrival": {"stagger_s": 1.0, "ramp_s": 9.0,
                                                               "think_s": 0.0},
             "one_session": {"visits": 14, "failures": 0, "median_s": 0.8, "p95_s": 1.4,
                             "server_cpu_per_visit_s": 0.05}}
    monkeypatch.setattr(load, "run_load", lambda **kw: fake)
    fails, p95, per_visit, rss, cpu = bench.bench_load(sessions=10)
    assert (fails.value, fails.passed, fails.target) == (2, False, "0")
    assert "why: TimeoutError" in fails.note and "visits_detail" not in fails.data
    assert "one new session every 1 s" in fails.note and "alone: 0 of 14" in fails.note
    assert (p95.value, p95.passed) == (12.0, False)
    assert "one session alone" in p95.note and "median 0.80 s" in p95.note
    assert per_visit.value == pytest.approx(80 / 130) and per_visit.passed is False
    assert "0.050 s per visit" in per_visit.note
    assert rss.passed is None and rss.shown() == "480 MB"
    assert cpu.value == 80.0 and "browsers and driver 100 s" in cpu.note
    assert "| 10 browser sessions: failed page visits | 2 | 0 | FAIL |" in bench.table([fails])
    # 30 sessions: the p95 is reported beside one session, without the 10-session target
    fake |= {"sessions": 30}
    assert bench.load_rows(fake)[1].passed is None


def test_load_save_merges_rows_into_results(tmp_path):
    fake = {"sessions": 30, "visits": 420, "failures": 0, "median_s": 1.5, "p95_s": 12.0,
            "max_s": 20.0, "rss_idle_mb": 50.0, "rss_peak_mb": 480.0, "wall_s": 99.0,
            "server_cpu_s": 20.0, "browser_cpu_s": 100.0, "failure_examples": [],
            "per_page_median_s": {}, "visits_detail": [{"x": 1}],
            "server_cpu_per_visit_s": 20 / 420, "one_session": None}
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"machine": {}, "rows": [
        {"name": "30 sessions: server RSS peak", "value": 1}, {"name": "other", "value": 2}]}))
    load.save(fake, path)
    data = json.loads(path.read_text())
    names = [r["name"] for r in data["rows"]]
    assert names.count("30 sessions: server RSS peak") == 1 and "other" in names
    assert "30 sessions: server CPU per warm page visit" in names
    assert "visits_detail" not in data["load_runs"]["30"]
