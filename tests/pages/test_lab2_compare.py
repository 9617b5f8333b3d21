import json
import math

import numpy as np

from core.claims import claims_for
from core.experiments import compare
from tests.conftest import code_blocks, commit, no_exception, open_page, partials, store_run
from tests.pages.charts import spec_fields, spec_rows, vega_specs
from ui.demos import DEMO_DIR

FILE = "lab2_compare.py"
CELLS = {"tanh RNN", "LSTM", "GRU"}
RIGHT = "Near chance; a gated cell drops far below"
BRACKETS_RIGHT = "About a quarter of the time"


def _rows(spec, **match):
    return [r for r in spec_rows(spec) if all(r.get(k) == v for k, v in match.items())]


def _md(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _spec_with(at, *fields):
    return next(s for s in vega_specs(at) if set(fields) <= spec_fields(s))


def _shipped(key: str) -> dict:
    return json.loads((DEMO_DIR / f"{key}.json").read_text())["result"]


def shown(at) -> bool:
    return any({"cell", "loss"} <= spec_fields(s) for s in vega_specs(at))


def held_back(at):
    assert not any("cell" in spec_fields(s) for s in vega_specs(at))  # empty axes only
    assert "Checked in this run" not in _md(at)
    assert not at.metric
    assert at.selectbox(key="preset").value == "adding50"  # the defaults are this preset


def committed(at):
    """After the right commit (test_flow): the shipped run, its heatmap and every claim."""
    assert any("chance" in s.value for s in at.success)
    assert any("precomputed" in i.value for i in at.info)
    loss = _spec_with(at, "cell", "step", "loss")
    assert {r["cell"] for r in _rows(loss) if "cell" in r} == CELLS
    assert any(math.isclose(r["v"], 1 / 6, rel_tol=1e-6) for r in _rows(loss) if "v" in r)
    shipped = _shipped("compare.tasks")
    gru = shipped["runs"]["gru"]["loss"]  # the drawn curve: a 10-step mean of the shipped loss
    last = next(r for r in _rows(loss, cell="GRU") if r["step"] == 499)
    assert math.isclose(last["loss"], float(np.mean(gru[-10:])), rel_tol=1e-6)
    heat = _spec_with(at, "training step", "lag")
    assert {r["cell"] for r in _rows(heat) if "cell" in r} == CELLS
    assert "fresh loss" in " ".join(m.label for m in at.metric)
    md = _md(at)
    claims = [c for c in claims_for(compare.tasks.key) if c.applies_to(compare.tasks.defaults)]
    assert len(claims) >= 3 and all(f"Checked in this run:** {c.text}" in md for c in claims)
    assert "Not in this run" not in md
    lstm = shipped["runs"]["lstm"]["eval_loss"]
    assert any(f"{lstm:.2g}" in m.value and "LSTM" in m.value for m in at.markdown)


def snippet_reproduces(at, res):
    shipped = _shipped("compare.tasks")
    for c in compare.CELLS:
        assert math.isclose(res[f"eval_loss_{c}"], shipped[f"eval_loss_{c}"], rel_tol=1e-5)
    at.selectbox(key="part").set_value("brackets").run()
    assert any("compare.brackets(" in c for c in code_blocks(at))


def test_another_task_waits_for_its_run():
    at = open_page(FILE)
    at.selectbox(key="task").set_value("copy").run()
    no_exception(at)
    assert at.slider(key="T").label == "Delay T"
    assert any("Training all three cells takes about" in c.value for c in at.caption)
    commit(at, "lab2_tasks", RIGHT)
    no_exception(at)
    assert "Press Run below" in str(vega_specs(at)[0])
    assert "Checked in this run" not in _md(at)
    assert any("Press **Run**" in i.value for i in at.info)


def test_run_trains_three_cells_live_on_a_short_task():
    at = open_page(FILE, {"task": "order", "T": "10", "steps": "50", "H": "8"})
    commit(at, "lab2_tasks", RIGHT)
    at.button(key="run_lab2_tasks").click().run()
    no_exception(at)
    assert any("Trained live" in s.value for s in at.success)
    loss = _spec_with(at, "cell", "loss")
    for cell in CELLS:
        assert sorted(r["step"] for r in _rows(loss, cell=cell)) == list(range(50))
    assert any(math.isclose(r["v"], math.log(4), rel_tol=1e-9) for r in _rows(loss)
               if "v" in r)  # chance for temporal order: ln 4
    acc = _spec_with(at, "cell", "accuracy")
    accs = [r for r in spec_rows(acc) if "accuracy" in r]
    assert {r["cell"] for r in accs} == CELLS and len(accs) == 150
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in accs)
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Script: tanh RNN", "Script: LSTM", "Script: GRU", "Data as CSV (zip)",
            "Data as JSON", "Download as notebook"} <= labels
    final = next(d.value for d in at.dataframe if "fresh-sequence loss" in d.value.columns)
    assert "None" not in final.to_string()


def test_time_series_task_runs_with_its_own_chance_line():
    at = open_page(FILE, {"task": "series", "T": "10", "steps": "50", "H": "8"})
    assert at.slider(key="T").label == "Lag T"
    assert any("steps back" in c.value for c in at.caption)
    commit(at, "lab2_tasks", RIGHT)
    at.button(key="run_lab2_tasks").click().run()
    no_exception(at)
    loss = _spec_with(at, "cell", "loss")
    assert any(r["v"] == 1.0 for r in _rows(loss) if "v" in r)  # chance: MSE 1
    heat = _spec_with(at, "training step", "lag")
    assert max(r["lag"] for r in spec_rows(heat) if "lag" in r) == 10  # reads T + 1 steps


def test_brackets_run_gives_accuracy_by_distance_and_samples():
    at = open_page(FILE, {"part": "brackets", "K": "6", "bsteps": "50", "bH": "8"})
    no_exception(at)
    commit(at, "lab2_brackets", BRACKETS_RIGHT)
    at.button(key="run_lab2_brackets").click().run()
    no_exception(at)
    by_d = _spec_with(at, "distance")
    rows = [r for r in spec_rows(by_d) if "distance" in r]
    assert {r["cell"] for r in rows} == CELLS
    assert sorted({r["distance"] for r in rows}) == [2, 3, 4, 5, 6]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in rows)
    lm = _spec_with(at, "loss", "ref")
    best = [r["v"] for r in spec_rows(lm) if str(r.get("ref", "")).startswith("best")]
    from core.text import BracketLanguage

    assert math.isclose(best[0], BracketLanguage(6).best_loss, rel_tol=1e-9)
    samples = next(d.value for d in at.dataframe if "sampled sequence" in d.value.columns)
    assert len(samples) == 12 and all(len(s) == 7 for s in samples["sampled sequence"])
    assert "Download as script" in {b.proto.label for b in at.get("download_button")}
    table = next(d.value for d in at.dataframe if "run" in d.value.columns)
    assert len(table) == 1 and table["max_distance"].tolist() == [6]
    at.number_input(key="seed").set_value(1).run()  # another seed: a second row
    at.button(key="run_lab2_brackets").click().run()
    no_exception(at)
    table = next(d.value for d in at.dataframe if "run" in d.value.columns)
    assert table["seed"].tolist() == [0, 1] and table["status"].tolist() == ["done", "done"]
    assert all(0.0 <= float(a) <= 1.0 for a in table["GRU: bracket accuracy"])


def test_text_run_shows_heldout_curves_and_sampled_text():
    at = open_page(FILE, {"part": "text", "tsteps": "50", "tT": "16", "tH": "16"})
    commit(at, "lab2_text", at.radio(key="predict_lab2_text").options[2])
    at.button(key="run_lab2_text").click().run()
    no_exception(at)
    curves = _spec_with(at, "series")
    assert {"held-out text", "training batches"} <= {r.get("series") for r in spec_rows(curves)}
    texts = [c.value for c in at.code if c.value.startswith("The ")]
    assert len(texts) == 3 and all(len(t) > 100 for t in texts)
    assert "Download as script" in {b.proto.label for b in at.get("download_button")}
    at.radio(key="temp").set_value("0.5").run()
    cooler = [c.value for c in at.code if c.value.startswith("The ")]
    assert len(cooler) == 3 and cooler != texts


def test_compute_cap_refuses_and_bad_links_warn():
    at = open_page(FILE, {"T": "200", "H": "128", "steps": "2000"})
    commit(at, "lab2_tasks", RIGHT)
    no_exception(at)
    assert at.button(key="run_lab2_tasks").disabled
    assert any("cap is 30 s" in w.value for w in at.warning)
    bad = open_page(FILE, {"T": "abc", "steps": "-3", "part": "<script>"})
    no_exception(bad)
    notes = " ".join(w.value for w in bad.warning)
    assert "Sequence length T" in notes and "Training steps" in notes and "Experiment" in notes
    assert bad.slider(key="T").value == 50


def test_preset_link_switches_to_the_bracket_language():
    at = open_page(FILE, {"preset": "brackets40"})
    no_exception(at)
    assert at.selectbox(key="part").value == "brackets"
    assert at.slider(key="K").value == 40 and at.slider(key="bsteps").value == 1000
    commit(at, "lab2_brackets", BRACKETS_RIGHT)
    assert not at.button(key="run_lab2_brackets").disabled  # every preset fits the cap


def test_a_stopped_run_shows_its_partial_result_for_every_experiment(monkeypatch):
    """A Stop keeps what was trained: feed each experiment's mid-run partial to the page."""
    monkeypatch.setattr(compare, "REPORT_INTERVAL", 0.0)
    cases = [
        ("lab2_tasks", compare.tasks, {"task": "copy", "T": "10", "steps": "50", "H": "8"},
         dict(task="copy", seq_len=10, hidden_size=8, steps=50)),
        ("lab2_brackets", compare.brackets, {"part": "brackets", "K": "5", "bsteps": "50",
                                             "bH": "8"},
         dict(max_distance=5, hidden_size=8, steps=50)),
        ("lab2_text", compare.char_lm, {"part": "text", "tsteps": "50", "tT": "16",
                                        "tH": "16"},
         dict(hidden_size=16, seq_len=16, steps=50)),
    ]
    for key, fn, query, params in cases:
        full = {**fn.defaults, **params}
        mid = next(p for f, p in partials(fn, full) if 0.4 < f < 0.6)
        assert mid["runs"]["lstm"]["status"] == "running" and "gru" not in mid["runs"]
        at = open_page(FILE, query)
        store_run(at, key, full, mid, status="stopped")
        commit(at, key, at.radio(key=f"predict_{key}").options[1])
        no_exception(at)
        assert any("Stopped by you" in i.value for i in at.info), key
        cells = {r.get("cell") for s in vega_specs(at) for r in spec_rows(s)} - {None}
        assert cells == {"tanh RNN", "LSTM"}, key
        assert "Checked in this run" not in _md(at), key  # a partial run is not judged
