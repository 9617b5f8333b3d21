"""core.admission: at most N heavy jobs at once, first come first served, cancellable."""

from __future__ import annotations

import threading
import time

import pytest

from core.admission import Admission, Cancelled, max_jobs


def wait_until(cond, timeout=5.0):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.005)


def test_max_jobs_from_env_or_cores(monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_JOBS", "3")
    assert max_jobs() == 3
    for bad in ("", "0", "-2", "many"):
        monkeypatch.setenv("RNNLAB_MAX_JOBS", bad)
        assert max_jobs() == max(1, __import__("os").cpu_count() or 1)
    assert Admission(0).slots == 1


def test_never_more_than_n_at_once():
    adm = Admission(2)
    lock = threading.Lock()
    now, peak = [0], [0]

    def job():
        with adm.slot("j"):
            with lock:
                now[0] += 1
                peak[0] = max(peak[0], now[0])
            time.sleep(0.02)
            with lock:
                now[0] -= 1

    threads = [threading.Thread(target=job) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak[0] == 2 and now[0] == 0
    assert adm.snapshot() == {"slots": 2, "running": 0, "waiting": 0}


def hold(adm: Admission, label="holder"):
    """A thread holding one slot until the returned event is set."""
    release, started = threading.Event(), threading.Event()

    def run():
        with adm.slot(label):
            started.set()
            release.wait(10)

    th = threading.Thread(target=run)
    th.start()
    started.wait(5)
    return release, th


def test_fifo_order_and_places_while_waiting():
    adm = Admission(1)
    release, holder = hold(adm)
    order, places = [], {}

    def job(name):
        def on_wait(place, running, slots):
            places.setdefault(name, []).append(place)
        with adm.slot(name, on_wait=on_wait, refresh=0.02):
            order.append(name)
            time.sleep(0.1)  # long enough for the others to see their place change

    threads = []
    for name in "abcd":  # queued one after the other, so a is first in line
        th = threading.Thread(target=job, args=(name,))
        th.start()
        threads.append(th)
        wait_until(lambda n=name: adm.snapshot()["waiting"] == "abcd".index(n) + 1)
    wait_until(lambda: all(n in places for n in "abcd"))
    assert [places[n][0] for n in "abcd"] == [1, 2, 3, 4]
    release.set()
    for th in threads + [holder]:
        th.join(5)
    assert order == list("abcd")
    # every job's place only went down while it waited, and each saw its turn coming
    for n in "abcd":
        assert places[n] == sorted(places[n], reverse=True)
    assert [p for i, p in enumerate(places["d"]) if i == 0 or places["d"][i - 1] != p] == \
        [4, 3, 2, 1]


def test_cancel_while_waiting_leaves_the_queue_and_others_move_up():
    adm = Admission(1)
    release, holder = hold(adm)
    outcome = {}

    def job(name):
        try:
            with adm.slot(name, on_wait=lambda *a: None):
                outcome[name] = "ran"
        except Cancelled:
            outcome[name] = "cancelled"

    ths = []
    for name in ("a", "b"):
        th = threading.Thread(target=job, args=(name,))
        th.start()
        ths.append(th)
        wait_until(lambda n=name: adm.snapshot()["waiting"] == ("a", "b").index(n) + 1)
    tickets = {t.label: t for t in adm.waiting()}
    assert adm.place(tickets["b"]) == 2
    tickets["a"].cancel()
    ths[0].join(5)
    assert outcome["a"] == "cancelled" and adm.place(tickets["b"]) == 1
    release.set()
    for th in ths + [holder]:
        th.join(5)
    assert outcome == {"a": "cancelled", "b": "ran"}
    assert tickets["a"].state == "cancelled" and tickets["b"].state == "done"
    assert adm.snapshot()["running"] == 0


def test_cancel_while_running_stops_at_the_next_check_and_frees_the_slot():
    adm = Admission(1)
    seen, got = threading.Event(), {}

    def job():
        try:
            with adm.slot("long") as t:
                got["t"] = t
                seen.set()
                while True:
                    t.check()
                    time.sleep(0.005)
        except Cancelled:
            got["cancelled"] = True

    th = threading.Thread(target=job)
    th.start()
    seen.wait(5)
    assert adm.snapshot()["running"] == 1
    got["t"].cancel()
    th.join(5)
    assert got["cancelled"] and adm.snapshot()["running"] == 0
    with adm.slot("next") as t2:  # the slot is free again at once
        assert t2.state == "running"
    assert [e.what for e in adm.log if e.label == "long"] == ["queued", "started", "cancelled"]


def test_should_stop_raises_instead_of_returning_true():
    adm = Admission(1)
    with pytest.raises(Cancelled), adm.slot("x") as t:
        assert t.should_stop() is False
        t.cancel()
        t.should_stop()
    assert adm.snapshot()["running"] == 0


def test_exceptions_release_the_slot():
    adm = Admission(1)
    for _ in range(3):
        with pytest.raises(ZeroDivisionError), adm.slot("boom"):
            raise ZeroDivisionError
    assert adm.snapshot() == {"slots": 1, "running": 0, "waiting": 0}
    assert [e.what for e in adm.log if e.what != "queued" and e.what != "started"] == \
        ["failed"] * 3


class Superseded(BaseException):
    """Stands in for Streamlit's StopException (a BaseException)."""


def test_a_poll_that_raises_abandons_the_wait_and_the_run():
    adm = Admission(1)
    release, holder = hold(adm)
    gone = threading.Event()

    def poll():
        if gone.is_set():
            raise Superseded

    errors = []

    def job():
        try:
            with adm.slot("waiter", poll=poll):
                errors.append("ran")
        except Superseded:
            errors.append("superseded")

    th = threading.Thread(target=job)
    th.start()
    wait_until(lambda: adm.snapshot()["waiting"] == 1)
    gone.set()
    th.join(5)
    assert errors == ["superseded"] and adm.snapshot()["waiting"] == 0
    assert [e.what for e in adm.log if e.label == "waiter"] == ["queued", "abandoned"]
    release.set()
    holder.join(5)
    # while running, check() calls poll too
    with pytest.raises(Superseded), adm.slot("runner", poll=poll) as t:
        t.check()
    assert adm.snapshot() == {"slots": 1, "running": 0, "waiting": 0}


def test_two_free_slots_start_two_waiters_in_order():
    adm = Admission(2)
    r1, h1 = hold(adm, "h1")
    r2, h2 = hold(adm, "h2")
    started = []
    gate = threading.Event()

    def job(name):
        with adm.slot(name):
            started.append(name)
            gate.wait(5)

    ths = []
    for name in ("a", "b", "c"):
        th = threading.Thread(target=job, args=(name,))
        th.start()
        ths.append(th)
        wait_until(lambda n=name: adm.snapshot()["waiting"] == ("a", "b", "c").index(n) + 1)
    r1.set()
    r2.set()
    wait_until(lambda: len(started) == 2)
    assert started == ["a", "b"] and adm.snapshot()["waiting"] == 1
    gate.set()
    for th in ths + [h1, h2]:
        th.join(5)
    assert started == ["a", "b", "c"]
