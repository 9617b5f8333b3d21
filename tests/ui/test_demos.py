"""ui.demos: validated shipped files, private copies, canonical cache keys, one computation per
setting, and nothing cached from a run that was cancelled or superseded."""

from __future__ import annotations

import json
import math
import threading
import time

import pytest

from core import admission as core_admission
from core.experiments import REGISTRY, experiment
from ui import admission, demos

CALLS: list[dict] = []
GATE = threading.Event()


def fake(steps, lr, sizes, name, report=None):
    """A stand-in experiment: records its calls, reports 5 times, optionally blocks."""
    CALLS.append({"steps": steps, "lr": lr, "sizes": sizes})
    for i in range(5):
        if name == "block":
            GATE.wait(5)
        if report is not None:
            report((i + 1) / 5, {"partial": i})
    return {"steps": steps, "lr": lr, "sizes": sizes, "values": [1.0, float("nan")]}


def plain(x):
    CALLS.append({"x": x})
    return {"x": x}


REAL_DIR = demos.DEMO_DIR


@pytest.fixture(scope="module", autouse=True)
def registered():
    """Register the stand-ins only while this module runs (other modules list the registry)."""
    experiment(steps=50, lr=0.5, sizes=[8, 16], name="a")(fake)
    experiment(x=1)(plain)
    yield
    REGISTRY.pop(fake.key, None)
    REGISTRY.pop(plain.key, None)


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    monkeypatch.setattr(demos, "DEMO_DIR", tmp_path)
    demos.clear()
    CALLS.clear()
    GATE.clear()
    yield tmp_path
    demos.clear()


def write(tmp_path, key, data):
    (tmp_path / f"{key}.json").write_text(data if isinstance(data, str) else json.dumps(data))


# -- canonical settings --------------------------------------------------------------------


def test_settings_take_the_defaults_types():
    full = demos.coerce(fake, {"steps": 50.0, "lr": 1, "sizes": (8.0, 16)})
    assert full == {"steps": 50, "lr": 1.0, "sizes": [8, 16], "name": "a"}
    assert type(full["steps"]) is int and type(full["lr"]) is float
    assert demos.coerce(fake, {"steps": 50.5})["steps"] == 50.5  # not whole: left alone
    assert demos.coerce(fake, {"sizes": [4.0, 8.0, 32.0]})["sizes"] == [4, 8, 32]
    np = pytest.importorskip("numpy")
    assert type(demos.coerce(fake, {"steps": np.int64(7)})["steps"]) is int


def test_50_and_50_point_0_share_one_computation():
    a = demos.run(fake, steps=60)
    b = demos.run(fake, steps=60.0)
    assert a == b or (a["steps"] == b["steps"] == 60)
    assert len(CALLS) == 1 and type(CALLS[0]["steps"]) is int


# -- shipped files -------------------------------------------------------------------------

GOOD = {"params": {"steps": 50, "lr": 0.5, "sizes": [8, 16], "name": "a"},
        "result": {"steps": 50, "values": [1.0, 2.0]},
        "schema": {"steps": "number", "values": ["list", "number"]}}


def test_a_valid_shipped_file_is_used_and_every_call_gets_a_private_copy(fresh):
    write(fresh, fake.key, GOOD)
    r = demos.run(fake)
    assert r == GOOD["result"] and not CALLS
    r["values"].append(99)
    r["steps"] = -1
    assert demos.run(fake) == GOOD["result"]
    s = demos.shipped(fake.key)
    s["params"]["steps"] = 0
    assert demos.shipped(fake.key)["params"]["steps"] == 50
    assert demos.run(fake, steps=50.0) == GOOD["result"]  # whole float = the default


@pytest.mark.parametrize("damage, why", [
    ('{"params": {"steps": 50', "cannot be read"),
    ({}, 'has no "params" and no "result"'),
    ([1, 2], "JSON list"),
    (None, "is missing"),
    ({"params": {"steps": 51, "lr": 0.5, "sizes": [8, 16], "name": "a"}, "result": {"a": 1}},
     "other settings"),
    ({"params": GOOD["params"], "result": []}, "non-empty object"),
    ({"params": [], "result": {"a": 1}}, '"params" is not an object'),
    ({**GOOD, "schema": {"steps": "number"}}, "recorded schema"),
    ({k: v for k, v in GOOD.items() if k != "schema"}, "no recorded schema"),
    ({**GOOD, "result": {"steps": "50", "values": [1.0, 2.0]}}, "recorded schema"),  # a type
    ({**GOOD, "result": {"steps": 50, "values": [1.0, None]}}, "recorded schema"),  # an item
    ({**GOOD, "result": {"steps": 50, "values": {"a": 1.0}}}, "recorded schema"),  # a shape
    ({**GOOD, "result": {"steps": 50, "values": [1.0], "extra": 1}}, "recorded schema"),
])
def test_a_damaged_shipped_file_is_refused_logged_and_run_live(fresh, caplog, damage, why):
    if damage is not None:
        write(fresh, fake.key, damage)
    with caplog.at_level("WARNING", logger="rnnlab.demos"):
        assert demos.shipped(fake.key) is None
    assert why in demos.problem(fake.key)
    assert any(why in r.getMessage() for r in caplog.records)
    r = demos.run(fake)
    assert r["steps"] == 50 and len(CALLS) == 1  # live fallback at the defaults
    demos.run(fake)
    assert len(CALLS) == 1  # ... computed once, then kept


def test_a_recorded_schema_that_matches_is_accepted(fresh):
    write(fresh, fake.key, {**GOOD, "schema": demos.schema_of(GOOD["result"])})
    assert demos.problem(fake.key) is None and demos.run(fake) == GOOD["result"]
    assert demos.schema_of({"a": [1], "b": {"c": None, "d": True, "e": "x", "f": 1.5}}) == \
        {"a": ["list", "number"], "b": {"c": "null", "d": "bool", "e": "str", "f": "number"}}


def test_schema_describes_list_items_keys_and_types():
    assert demos.schema_of([]) == ["list", None]
    assert demos.schema_of([[1, 2.5], [float("nan")]]) == ["list", ["list", "number"]]
    assert demos.schema_of([{"a": 1}, {"a": 2}]) == ["list", {"a": "number"}]
    mixed = demos.schema_of([1, None, 2])
    assert mixed == ["list", ["one of", ["null", "number"]]]
    assert demos.schema_of([None, 1]) == mixed  # order of items does not matter
    assert demos.schema_of([{"a": 1}, {"b": 1}]) != demos.schema_of([{"a": 1}, {"a": 1}])
    assert demos.schema_of((1, 2)) == demos.schema_of([1, 2])


def test_make_demos_writes_the_schema_it_validates_against(fresh, monkeypatch):
    from tools import make_demos

    monkeypatch.setattr(make_demos, "DEMO_DIR", fresh)
    make_demos.make(fake.key, fake)
    data = json.loads((fresh / f"{fake.key}.json").read_text())
    assert data["schema"] == demos.schema_of(data["result"])
    assert data["schema"]["values"] == ["list", "number"]
    assert demos.problem(fake.key) is None and not math.isnan(demos.run(fake)["values"][0])
    # --schema-only records the schema of a file as it stands, without a run
    write(fresh, fake.key, {k: v for k, v in GOOD.items() if k != "schema"})
    CALLS.clear()
    assert make_demos.add_schema(fake.key) == "schema recorded" and not CALLS
    demos.clear()
    assert demos.problem(fake.key) is None and demos.run(fake) == GOOD["result"]


def test_every_shipped_demo_passes_validation(monkeypatch):
    from core.experiments import load_all

    monkeypatch.setattr(demos, "DEMO_DIR", REAL_DIR)
    demos.clear()
    bad = {k: demos.problem(k) for k in load_all() if k not in (fake.key, plain.key)}
    assert not {k: v for k, v in bad.items() if v}, bad


# -- live results --------------------------------------------------------------------------


def test_live_results_are_private_copies_and_nan_survives():
    a = demos.run(fake, steps=7)
    a["values"].clear()
    b = demos.run(fake, steps=7)
    assert len(b["values"]) == 2 and b["values"][1] != b["values"][1]  # NaN kept
    assert len(CALLS) == 1


def test_an_experiment_without_report_runs_too():
    assert demos.run(plain, x=3) == {"x": 3} and CALLS == [{"x": 3}]


def test_a_superseded_run_stops_at_its_next_report_and_is_not_cached(monkeypatch):
    class Superseded(BaseException):  # like Streamlit's StopException
        pass

    polls = []

    def poll():
        polls.append(1)
        if len(polls) > 2:
            raise Superseded

    monkeypatch.setattr(admission, "run_poll", lambda: poll)
    with pytest.raises(Superseded):
        demos.run(fake, steps=8)
    assert len(CALLS) == 1 and demos.cached(fake, {"steps": 8}) is None
    assert core_admission.ADMISSION.snapshot()["running"] == 0
    assert not demos._FLIGHTS
    monkeypatch.setattr(admission, "run_poll", lambda: admission._never)
    assert demos.run(fake, steps=8)["steps"] == 8 and len(CALLS) == 2


def test_two_sessions_asking_for_the_same_settings_share_one_computation():
    out = []

    def session():
        out.append(demos.run(fake, steps=9, name="block"))

    threads = [threading.Thread(target=session) for _ in range(3)]
    for th in threads:
        th.start()
    time.sleep(0.3)
    GATE.set()
    for th in threads:
        th.join(10)
    assert len(out) == 3 and len(CALLS) == 1
    assert all(o == out[0] for o in out[1:]) or all(o["steps"] == 9 for o in out)


def test_a_superseded_run_that_others_wait_for_finishes_for_them(monkeypatch):
    class Superseded(BaseException):
        pass

    gone = threading.Event()
    owner = threading.current_thread()

    def poll():
        if threading.current_thread() is owner and gone.is_set():
            raise Superseded

    monkeypatch.setattr(admission, "run_poll", lambda: poll)
    got = []
    waiter = threading.Thread(target=lambda: got.append(demos.run(fake, steps=11, name="block")))

    def later():
        time.sleep(0.2)
        waiter.start()
        time.sleep(0.3)
        gone.set()  # the owner's page run is superseded while another run waits
        GATE.set()

    threading.Thread(target=later).start()
    with pytest.raises(Superseded):
        demos.run(fake, steps=11, name="block")
    waiter.join(10)
    assert len(CALLS) == 1 and got and got[0]["steps"] == 11
    assert demos.cached(fake, {"steps": 11, "name": "block"}) is not None


def test_cache_evicts_least_recently_used(monkeypatch):
    monkeypatch.setattr(demos, "MAX_ENTRIES", 2)
    for s in (1, 2, 3):
        demos.run(fake, steps=s)
    assert demos.cached(fake, {"steps": 1}) is None
    assert demos.cached(fake, {"steps": 3}) is not None
