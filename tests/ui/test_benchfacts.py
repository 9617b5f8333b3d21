"""The home page's timings come from bench/results.json, and survive a damaged file."""

import json

from ui import benchfacts


def test_rows_quote_the_benchmark_file(tmp_path):
    src = json.loads(benchfacts.RESULTS.read_text())
    src["rows"] = [r for r in src["rows"] if r["name"] != "RNN probe T=400 / T=100"]
    for r in src["rows"]:
        if r["name"] == "cold start: import torch":
            r["data"].update(torch=1.25, optimizer=0.5)
    p = tmp_path / "results.json"
    p.write_text(json.dumps(src))
    rows = benchfacts.timing_rows(p)
    assert [r for r in rows if r[0].startswith("The first live run")][0][1] == "1.8 s extra"
    assert not any(r[0].startswith("Gradient probe") for r in rows)  # a missing row is left out, not invented
    assert src["machine"]["time_utc"][:16] in benchfacts.machine_note(p)


def test_damaged_file_gives_nothing(tmp_path):
    for text in ("{", "{}", "[]", '{"rows": [1]}'):
        p = tmp_path / f"r{len(text)}.json"
        p.write_text(text)
        assert benchfacts.timing_rows(p) == []
        assert benchfacts.machine_note(p) == ""
    assert benchfacts.timing_rows(tmp_path / "missing.json") == []
