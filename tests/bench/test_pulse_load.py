"""The class pulse load script without browsers: its schedule, its figures and verdict, the
report, the store's own cost on a scratch SQLite file, and its place in ``python -m bench.load``
(the browser run itself is tests/browser/test_pulse.py's job)."""

from __future__ import annotations

import json
import math
import re

import pytest

from bench import load, pulse_load
from ui import pulse_store as ps

OPTS = ["a", "b", "c"]


def figures(**over):
    picks = [OPTS[i % 3] for i in range(30)]
    kw = dict(learners=30, window_s=10.0, options=OPTS, picks=picks,
              sent_at=[i / 3 for i in range(30)], counted_s=[1.0] * 29 + [3.0],
              tally={"a": 10, "b": 10, "c": 10}, all_recorded_s=11.0, teacher_saw_s=12.5,
              cpu_idle_s=0.5, idle_wall_s=10.0, cpu_answers_s=6.6, answers_wall_s=12.0,
              setup_s=60.0, errors=[])
    kw.update(over)
    return pulse_load.summarise(**kw)


def test_every_learner_commits_within_the_window_evenly_spread():
    at = pulse_load.schedule(30, 10.0)
    assert len(at) == 30 and at == sorted(at) and at[0] == 0.0 and max(at) < 10.0
    assert {round(b - a, 9) for a, b in zip(at, at[1:])} == {round(10 / 30, 9)}
    assert pulse_load.schedule(0, 10.0) == []
    assert pulse_load.schedule(5, 0.0) == [0.0] * 5  # all at the same instant


def test_a_run_passes_only_when_every_pick_is_counted_exactly():
    r = figures()
    assert r["ok"] and r["exact"] and (r["sent"], r["recorded"], r["lost"]) == (30, 30, 0)
    assert r["expected"] == {"a": 10, "b": 10, "c": 10}
    assert r["sent_span_s"] == pytest.approx(29 / 3)
    assert r["counted_median_s"] == 1.0 and r["counted_max_s"] == 3.0
    # the answers' cost: answer-phase CPU minus the idle rate over the same time
    assert r["server_cpu_net_s"] == pytest.approx(6.6 - 0.05 * 12.0)
    assert r["server_cpu_per_answer_s"] == pytest.approx((6.6 - 0.6) / 30)

    lost = figures(tally={"a": 10, "b": 9, "c": 10})
    assert not lost["ok"] and lost["lost"] == 1 and not lost["exact"]
    moved = figures(tally={"a": 11, "b": 9, "c": 10})  # right count, wrong picks
    assert not moved["ok"] and moved["lost"] == 0
    assert not figures(errors=["learner 3: TimeoutError"])["ok"]
    assert not figures(sent_at=[0.0] * 29)["ok"]  # a learner never committed
    unseen = figures(counted_s=[None] * 30)
    assert unseen["not_counted"] == 30 and math.isnan(unseen["counted_median_s"])


def test_the_report_names_sent_recorded_time_and_cpu():
    r = figures()
    r.update(database="sqlite", loadavg=[1.0, 1.0, 1.0], store_cpu_per_answer_s=0.002)
    text = pulse_load.report(r)
    assert "30 learners commit one prediction within 10 s (sqlite database)" in text
    assert "sent 30 (over 9.7 s), recorded 30, lost 0, every pick counted exactly: yes" in text
    assert "time to record all  11.0 s after the first commit" in text
    assert "showed all 30 after 12.5 s" in text
    assert "net 6.0 CPU-s, 0.20 per answer" in text and "store write alone 2.0 ms" in text
    r["errors"] = ["learner 3: TimeoutError: x"]
    assert "  error: learner 3: TimeoutError: x" in pulse_load.report(r)


def test_the_store_share_of_an_answer_is_measured_on_a_scratch_room(tmp_path):
    engine = ps.make_engine(f"sqlite:///{tmp_path}/pulse.sqlite")
    store = ps.store_for(engine)
    try:
        cost = pulse_load.store_cpu_per_answer(store, 5)
        assert 0 < cost < 1
        with engine.connect() as c:  # the scratch room is closed: nothing is left
            assert c.execute(ps.rooms.select()).all() == []
            assert c.execute(ps.answers.select()).all() == []
    finally:
        engine.dispose()


def test_learners_are_bounded():
    for bad in ("0", str(pulse_load.MAX_LEARNERS + 1)):
        with pytest.raises(SystemExit):
            pulse_load.main(["--learners", bad])


def test_bench_load_runs_the_pulse_part_and_writes_its_figures(monkeypatch, tmp_path, capsys):
    page_load = {"sessions": 1, "visits": 13, "failures": 0, "median_s": 1.0, "p95_s": 2.0,
                 "max_s": 3.0, "rss_idle_mb": 50.0, "rss_peak_mb": 80.0, "wall_s": 20.0,
                 "server_cpu_s": 5.0, "browser_cpu_s": 9.0, "loadavg": [1.0, 1.0, 1.0],
                 "failure_examples": [], "per_page_median_s": {}, "visits_detail": []}
    calls = []

    def fake_pulse(learners, **kw):
        calls.append((learners, kw))
        r = figures()
        r.update(database="sqlite", loadavg=[1.0], store_cpu_per_answer_s=0.001)
        return r

    monkeypatch.setattr(load, "run_load", lambda *a, **kw: dict(page_load))
    monkeypatch.setattr(load, "report", lambda r: "page visits (fake)")
    monkeypatch.setattr(load, "save", lambda r: pytest.fail("bench/results.json written"),
                        raising=False)
    monkeypatch.setattr(pulse_load, "run_pulse_load", fake_pulse)
    out = tmp_path / "load.json"
    assert load.main(["--sessions", "1", "--no-save", "--json", str(out)]) == 0
    assert calls == [(30, {"url": None})]  # 30 learners by default
    text = capsys.readouterr().out
    assert "page visits" in text and "class pulse         30 learners" in text
    data = json.loads(out.read_text())
    assert data["pulse"]["recorded"] == 30 and data["pulse"]["ok"] is True

    lossy = figures(tally={"a": 10, "b": 9, "c": 10})
    lossy.update(database="sqlite", loadavg=[1.0])
    monkeypatch.setattr(pulse_load, "run_pulse_load", lambda learners, **kw: lossy)
    assert load.main(["--sessions", "1", "--no-save"]) == 1  # a lost answer fails the load test

    calls.clear()
    capsys.readouterr()
    monkeypatch.setattr(pulse_load, "run_pulse_load", fake_pulse)
    assert load.main(["--sessions", "1", "--no-save", "--pulse-learners", "0"]) == 0
    assert calls == [] and "class pulse" not in capsys.readouterr().out


def test_the_selectors_match_the_page_the_learners_answer_on():
    """The browser part finds section 1's question box, its Commit button and the caption a
    counted answer shows; a rename in ui/ must be followed here."""
    from tools.serve import ROOT

    layout = (ROOT / "ui" / "layout.py").read_text()
    pulse = (ROOT / "ui" / "pulse.py").read_text()
    page = (ROOT / "pages" / "s1_vanishing.py").read_text()
    assert 'key=f"predict_box_{key}"' in layout and f'"{pulse_load.COMMIT}"' in layout
    assert pulse_load.QUESTION_BOX == ".st-key-predict_box_s1"
    assert re.search(r'layout\.prediction\(\s*FILE,\s*"s1"', page)
    assert pulse_load.COUNTED in pulse
    from ui.nav import PAGES

    assert any(p.url == pulse_load.PAGE_URL and p.file == "s1_vanishing.py" for p in PAGES)
