"""Pages share the server's heavy-job slots: a page whose run has to wait shows its place, then
runs; a cancelled wait says so instead of computing."""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from core.admission import ADMISSION
from core.experiments import resolve
from tests.conftest import APP, commit, no_exception, open_page
from ui import demos, runner

PROFILE = resolve("vanishing.gradient_profile")
PLAY = resolve("playground.train_run")


@pytest.fixture(autouse=True)
def fresh():
    demos.clear()
    yield
    demos.clear()


def hold_all_slots(seconds: float) -> list[threading.Thread]:
    """Threads that take every slot of the shared queue and free them after ``seconds``."""
    started = threading.Barrier(ADMISSION.slots + 1)

    def hold():
        with ADMISSION.slot("test holder"):
            started.wait(5)
            time.sleep(seconds)

    threads = [threading.Thread(target=hold) for _ in range(ADMISSION.slots)]
    for th in threads:
        th.start()
    started.wait(5)
    return threads


def events(label: str) -> list[str]:
    return [e.what for e in ADMISSION.log if e.label == label]


def test_a_live_experiment_waits_for_a_free_core_then_runs():
    holders = hold_all_slots(1.5)
    start = time.monotonic()
    at = open_page("s1_vanishing.py", {"T": "30"})
    waited = time.monotonic() - start
    for th in holders:
        th.join(5)
    no_exception(at)
    label = f"{PROFILE.key} (live)"
    assert events(label)[-3:] == ["queued", "started", "done"]
    queued = [e for e in ADMISSION.log if e.label == label][-3]
    assert queued.place == 1 and waited >= 1.0
    assert demos.cached(PROFILE, {"seq_len": 30}) is not None  # finished: kept for everyone
    assert ADMISSION.snapshot()["running"] == 0


def test_a_cancelled_wait_says_so_and_offers_to_run():
    params = demos.coerce(PROFILE, {"seq_len": 30})
    jid = demos.job_id(PROFILE.key, params)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state["_admission_cancelled"] = {jid}
    at.query_params.update({"T": "30"})
    at.switch_page("pages/s1_vanishing.py")
    at.run()
    no_exception(at)
    assert any("You cancelled the live run" in i.value for i in at.info)
    assert demos.cached(PROFILE, {"seq_len": 30}) is None  # nothing was computed
    at.button(key=f"retry_{jid}").click().run()
    no_exception(at)
    assert not any("You cancelled the live run" in i.value for i in at.info)
    assert demos.cached(PROFILE, {"seq_len": 30}) is not None


def open_playground(query: dict[str, str]) -> AppTest:
    """Lab 3 with its Run button showing (after the prediction, if the page asks one)."""
    at = open_page("lab3_playground.py", query)
    no_exception(at)
    if not [b for b in at.button if b.key == "run_play"]:
        box = next(r for r in at.radio if (r.key or "").startswith("predict_"))
        commit(at, box.key.removeprefix("predict_"), box.options[0])
        no_exception(at)
    return at


def test_a_live_training_run_waits_its_turn():
    at = open_playground({"steps": "50"})
    holders = hold_all_slots(1.0)
    at.button(key="run_play").click().run()
    for th in holders:
        th.join(5)
    no_exception(at)
    assert any("Trained live" in s.value for s in at.success)
    label = f"{PLAY.key} (live, play)"
    assert events(label)[-3:] == ["queued", "started", "done"]


def test_a_cancelled_training_wait_trains_nothing():
    at = open_playground({"steps": "50"})
    full = demos.coerce(PLAY, {"steps": 50})
    ck = f"play:{demos.canonical(full)}"
    jid = f"play_{demos.job_id(PLAY.key, full)}"
    at.session_state[runner._STORE] = {ck: {"status": "waiting", "result": None,
                                            "seconds": 0.0}}
    at.session_state["_admission_cancelled"] = {jid}
    at.run()
    no_exception(at)
    assert any("Cancelled" in i.value for i in at.info)
    assert ck not in at.session_state[runner._STORE]
