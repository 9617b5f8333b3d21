"""Class pulse in real browsers: twenty learners in one room commit a prediction at once, the
command line's tally (``python -m tools.pulse show CODE``, run from the project root with no
configuration) counts every one of them, and the instructor's live tally refreshes to the same
count without a reload.

One browser, one context per learner (each its own Streamlit session and pulse session id),
against the session's ``streamlit run app.py`` server (tests/browser/conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from tests.browser.conftest import wait_ready
from tools.serve import ROOT

LEARNERS = 20
PAGE = "vanishing"
BOX = ".st-key-predict_box_s1"  # layout.prediction's container on section 1
COMMIT = "Commit and see the run"
COUNTED = "Counted anonymously in class room"


def cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m tools.pulse ...`` as an instructor types it: from the project root, with
    the environment the app server got (no extra configuration)."""
    return subprocess.run([sys.executable, "-m", "tools.pulse", *args], cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=60)


def exceptions(page) -> list[str]:
    """The text of every exception box on the page (none expected)."""
    return page.locator("[data-testid='stException']").all_inner_texts()


@pytest.fixture
def room():
    made = cli("new")
    assert made.returncode == 0, made.stderr
    info = json.loads(made.stdout)
    yield info["room"], info["key"]
    cli("close", info["room"], "--key", info["key"])


def test_twenty_learners_answer_at_once_and_the_cli_and_live_tally_count_all(
        browser, app_url, room):
    code, key = room
    contexts = []

    def open_page(url: str, **kw):
        ctx = browser.new_context(viewport={"width": 1200, "height": 900}, **kw)
        contexts.append(ctx)
        p = ctx.new_page()
        p.goto(url, wait_until="commit", timeout=90_000)
        return p

    try:
        t_start = time.monotonic()
        warm = open_page(app_url)  # a cold deep link can show "Page not found"
        wait_ready(warm)

        # the instructor, on the projector: the tally of the room beside the question
        teacher = open_page(f"{app_url}/{PAGE}?instructor=true&room={code}&key={key}")
        wait_ready(teacher)
        assert exceptions(teacher) == []
        assert "key=" not in teacher.url  # the key leaves the address bar at once
        tally = teacher.get_by_text(re.compile(r"Class pulse, room .*learners? answered")).first
        tally.wait_for(timeout=60_000)
        assert "0 learners answered" in tally.inner_text()

        # twenty learners open the join link at once
        learners = [open_page(f"{app_url}/{PAGE}?room={code}") for _ in range(LEARNERS)]
        for p in learners:
            wait_ready(p, timeout_ms=180_000)
            assert exceptions(p) == []
            assert p.get_by_text("You joined class room").count() == 1
        print(f"{LEARNERS} learners' pages ready after {time.monotonic() - t_start:.0f} s")
        options = [t.strip() for t in learners[0].locator(
            f"{BOX} [data-testid='stRadio'] [role='radiogroup'] label").all_inner_texts()]
        assert len(options) >= 2, options
        picks = [options[i % len(options)] for i in range(LEARNERS)]

        for p, pick in zip(learners, picks):  # every learner picks ...
            p.locator(BOX).get_by_text(pick, exact=True).click()
        for p in learners:
            commit = p.get_by_role("button", name=COMMIT)
            deadline = time.monotonic() + 120
            while commit.is_disabled():  # the pick's rerun enables Commit
                assert time.monotonic() < deadline, "Commit stayed disabled"
                p.wait_for_timeout(100)
        t0 = time.monotonic()
        for p in learners:  # ... and all commit at once (a click event each, no waiting)
            p.get_by_role("button", name=COMMIT).dispatch_event("click")
        sent_s = time.monotonic() - t0
        for p in learners:
            p.get_by_text(COUNTED).wait_for(timeout=120_000)
            assert exceptions(p) == []
        print(f"{LEARNERS} commits sent in {sent_s:.2f} s, all counted "
              f"{time.monotonic() - t0:.1f} s after the first")

        shown = cli("show", code)
        assert shown.returncode == 0, shown.stderr
        tallies = json.loads(shown.stdout)
        (qid,) = tallies  # one question, answered by everyone
        assert qid.endswith(":s1")
        want = {o: picks.count(o) for o in options}
        assert tallies[qid] == want  # no answer lost, none counted twice
        assert sum(tallies[qid].values()) == LEARNERS

        # the projector's tally refreshed by itself (st.fragment(run_every=...)), no reload
        teacher.get_by_text(f"{LEARNERS} learners answered").wait_for(timeout=30_000)
        assert teacher.locator("[data-testid='stProgress']").count() >= len(options)
        assert exceptions(teacher) == []

        # the key holder can close the room from the command line; then it is gone
        closed = cli("close", code, "--key", key)
        assert closed.returncode == 0, closed.stderr
        assert cli("show", code).returncode == 2
    finally:
        for ctx in contexts:
            ctx.close()


def test_a_bad_room_link_gets_a_note_and_the_page_works(page, app_url):
    page.goto(f"{app_url}/{PAGE}?room=NOPE-<b>")
    wait_ready(page)
    assert exceptions(page) == []
    page.get_by_text("which is not a room code").wait_for(timeout=30_000)
    assert "room=" not in page.url
    page.goto(f"{app_url}/{PAGE}?room=ZZZZ-ZZZZ")
    wait_ready(page)
    page.get_by_text("is not open").wait_for(timeout=30_000)
    assert page.get_by_role("button", name=COMMIT).count() == 1  # the page works as usual
