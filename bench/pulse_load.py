"""``python -m bench.pulse_load``: a class of learners answering one question in the class pulse.

    python -m bench.pulse_load                   # 30 learners, answers spread over 10 s
    python -m bench.pulse_load --learners 20 --window 5
    python -m bench.load                         # runs this part after the page load test

Starts ``streamlit run app.py`` on 127.0.0.1 (or uses ``--url``, loopback only), opens a room
in the database the app uses (``ui.pulse_store.resolve_url`` from the project root), then, in
one headless Debian Chromium:

1. an instructor context opens section 1 with ``?instructor=true&room=CODE&key=KEY`` (the live
   tally, an ``st.fragment`` refreshing every 2 s);
2. N learner contexts (each its own Streamlit session) open ``/vanishing?room=CODE`` and pick
   an option (option ``i % k`` for learner ``i``);
3. the server's CPU is measured over ``--window`` seconds with everything open and idle (the
   baseline: the instructor's tally polling, websockets kept alive);
4. the learners press *Commit* at evenly spaced instants within ``--window`` seconds. Each
   commit reruns the learner's page: the answer is stored and the run is revealed.

Reported: answers sent, recorded (read back from the database: every learner's exact pick,
none lost, none doubled), time from the first commit until the database held them all, the
learners' click-to-"Counted" times, when the instructor's tally showed them all, and the
server CPU seconds of the answer phase, minus the idle baseline over the same time (what the
answers cost: the write and the page rerun that reveals the run).

The room is closed (deleted) at the end. Bounded: at most 50 learners, every wait has a
timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time

MAX_LEARNERS = 50
PAGE_URL = "vanishing"
QUESTION_BOX = ".st-key-predict_box_s1"  # layout.prediction's container on section 1
COMMIT = "Commit and see the run"
COUNTED = "Counted anonymously in class room"

#: the Commit button of the question box is enabled (a pick's rerun has finished)
COMMIT_ENABLED_JS = """
([box, label]) => [...document.querySelectorAll(box + ' button')].some(
  b => b.innerText.includes(label) && !b.disabled)
"""


def schedule(n: int, window_s: float) -> list[float]:
    """Commit instants (seconds after the start) of ``n`` learners, evenly spread so that all
    answer within ``window_s`` seconds: 0, w/n, 2w/n, ... (the last one before ``window_s``)."""
    if n <= 0:
        return []
    return [i * window_s / n for i in range(n)]


def expected(picks: list[str], options: list[str]) -> dict[str, int]:
    """The tally the database must hold: every option, with how many learners picked it."""
    return {o: picks.count(o) for o in options}


def summarise(*, learners: int, window_s: float, options: list[str], picks: list[str],
              sent_at: list[float], counted_s: list[float | None], tally: dict[str, int],
              all_recorded_s: float, teacher_saw_s: float, cpu_idle_s: float,
              idle_wall_s: float, cpu_answers_s: float, answers_wall_s: float,
              setup_s: float, errors: list[str]) -> dict:
    """The figures of one run (pure; the browser part collects its inputs)."""
    want = expected(picks, options)
    recorded = sum(tally.values())
    lat = [c for c in counted_s if c is not None]
    idle_rate = cpu_idle_s / idle_wall_s if idle_wall_s > 0 else math.nan
    net = cpu_answers_s - idle_rate * answers_wall_s
    sent = len(sent_at)
    return {
        "learners": learners,
        "window_s": window_s,
        "sent": sent,
        "sent_span_s": (max(sent_at) - min(sent_at)) if sent_at else math.nan,
        "recorded": recorded,
        "lost": max(0, sent - recorded),
        "exact": tally == want,
        "tally": tally,
        "expected": want,
        "all_recorded_s": all_recorded_s,
        "counted_median_s": statistics.median(lat) if lat else math.nan,
        "counted_max_s": max(lat) if lat else math.nan,
        "not_counted": sum(1 for c in counted_s if c is None),
        "teacher_saw_all_s": teacher_saw_s,
        "server_cpu_idle_s": cpu_idle_s,
        "idle_wall_s": idle_wall_s,
        "server_cpu_answers_s": cpu_answers_s,
        "answers_wall_s": answers_wall_s,
        "server_cpu_net_s": net,
        "server_cpu_per_answer_s": net / sent if sent else math.nan,
        "setup_s": setup_s,
        "errors": errors[:10],
        "ok": sent == learners and recorded == sent and tally == want and not errors,
    }


async def _wait_text(page, text: str, timeout_ms: int) -> None:
    await page.get_by_text(text).first.wait_for(timeout=timeout_ms)


async def _drive(url: str, code: str, key: str, learners: int, window_s: float,
                 timeout_ms: int, server_pid: int | None, store) -> dict:
    from playwright.async_api import async_playwright

    from bench.load import READY_JS, _title_prefix, tree_cpu_seconds
    from tools.serve import CHROMIUM, CHROMIUM_ARGS
    from ui.nav import PAGES

    title = _title_prefix(next(p.title for p in PAGES if p.url == PAGE_URL))
    home = _title_prefix(next(p.title for p in PAGES if p.file == "home.py"))

    def cpu() -> float:
        return tree_cpu_seconds(server_pid) if server_pid is not None else math.nan

    errors: list[str] = []
    t_setup = time.perf_counter()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            async def open_page(path: str, want_title: str):
                ctx = await browser.new_context(viewport={"width": 1200, "height": 900})
                page = await ctx.new_page()
                await page.goto(f"{url}{path}", timeout=timeout_ms)
                await page.wait_for_function(READY_JS, arg=want_title, timeout=timeout_ms,
                                             polling=200)
                return page

            await (await open_page("/", home)).context.close()  # warm the server
            teacher = await open_page(f"/{PAGE_URL}?instructor=true&room={code}&key={key}",
                                      title)
            await _wait_text(teacher, "0 learners answered", timeout_ms)
            pages = await asyncio.gather(*[open_page(f"/{PAGE_URL}?room={code}", title)
                                           for _ in range(learners)])
            labels = pages[0].locator(f"{QUESTION_BOX} [role='radiogroup'] label")
            await labels.first.wait_for(timeout=timeout_ms)
            options = [t.strip() for t in await labels.all_inner_texts()]
            if len(options) < 2:
                raise RuntimeError(f"no prediction options found on /{PAGE_URL}: {options}")
            picks = [options[i % len(options)] for i in range(learners)]
            for p, pick in zip(pages, picks):
                await p.locator(QUESTION_BOX).get_by_text(pick, exact=True).click(
                    timeout=timeout_ms)
            await asyncio.gather(*[p.wait_for_function(COMMIT_ENABLED_JS,
                                                       arg=[QUESTION_BOX, COMMIT],
                                                       timeout=timeout_ms, polling=100)
                                   for p in pages])
            setup_s = time.perf_counter() - t_setup

            # baseline: everything open, nobody answering
            c0, w0 = cpu(), time.perf_counter()
            await asyncio.sleep(window_s)
            cpu_idle, idle_wall = cpu() - c0, time.perf_counter() - w0

            # the answers: commit i at t0 + schedule[i]
            sent_at: list[float] = []
            counted: list[float | None] = [None] * learners
            c1, t0 = cpu(), time.perf_counter()

            async def learner(i: int, p, at: float) -> None:
                await asyncio.sleep(max(0.0, t0 + at - time.perf_counter()))
                start = time.perf_counter()
                sent_at.append(start - t0)
                try:
                    await p.get_by_role("button", name=COMMIT).dispatch_event("click")
                    await _wait_text(p, COUNTED, timeout_ms)
                    counted[i] = time.perf_counter() - start
                except Exception as e:  # noqa: BLE001 - reported, not raised
                    errors.append(f"learner {i}: {type(e).__name__}: {str(e)[:120]}")
                if await p.locator("[data-testid='stException']").count():
                    errors.append(f"learner {i}: exception shown on the page")

            async def poll_db() -> float:
                while time.perf_counter() - t0 < timeout_ms / 1000:
                    got = await asyncio.to_thread(store.tally, code, None)
                    if sum(sum(v.values()) for v in got.values()) >= learners:
                        return time.perf_counter() - t0
                    await asyncio.sleep(0.1)
                return math.nan

            async def teacher_sees() -> float:
                try:
                    await _wait_text(teacher, f"{learners} learners answered", timeout_ms)
                except Exception as e:  # noqa: BLE001
                    errors.append(f"instructor tally: {type(e).__name__}: {str(e)[:120]}")
                    return math.nan
                return time.perf_counter() - t0

            slots = schedule(learners, window_s)
            results = await asyncio.gather(
                poll_db(), teacher_sees(),
                *[learner(i, p, at) for i, (p, at) in enumerate(zip(pages, slots))])
            all_recorded_s, teacher_s = results[0], results[1]
            answers_wall = time.perf_counter() - t0
            cpu_answers = cpu() - c1
        finally:
            await browser.close()
    got = store.tally(code)
    tally = next(iter(got.values()), {}) if len(got) == 1 else {
        f"{q}:{a}": n for q, v in got.items() for a, n in v.items()}
    return summarise(learners=learners, window_s=window_s, options=options, picks=picks,
                     sent_at=sent_at, counted_s=counted, tally=tally,
                     all_recorded_s=all_recorded_s, teacher_saw_s=teacher_s,
                     cpu_idle_s=cpu_idle, idle_wall_s=idle_wall, cpu_answers_s=cpu_answers,
                     answers_wall_s=answers_wall, setup_s=setup_s, errors=errors)


def store_cpu_per_answer(store, n: int) -> float:
    """CPU seconds (this process) of one ``PulseStore.record`` on the app's database: the
    pulse's own share of an answer's cost, measured on a scratch room of ``n`` answers."""
    from ui import pulse_store as ps

    code, key = store.create_room()
    try:
        opts = ["a", "b", "c"]
        sids = [ps.new_session_id() for _ in range(n)]
        c0 = time.process_time()
        for i, sid in enumerate(sids):
            store.record(code, "bench:q", sid, opts[i % 3], opts, correct=0, prompt="bench")
        return (time.process_time() - c0) / max(1, n)
    finally:
        store.close_room(code, key)


def run_pulse_load(learners: int = 30, *, window_s: float = 10.0, timeout_s: float = 180.0,
                   url: str | None = None, server_pid: int | None = None) -> dict:
    """Run the class pulse load test; returns the figures (see the module docstring).

    Without ``url`` a fresh server is started (and stopped) with ``tools.serve.server``; with
    ``url`` (loopback only) the server must use the database this process resolves from the
    project root, and its CPU is measured only when ``server_pid`` is given.
    """
    from bench.load import _check_loopback
    from tools.serve import ROOT
    from ui import pulse_store as ps

    learners = max(1, min(int(learners), MAX_LEARNERS))
    window_s = max(0.0, float(window_s))
    db_url, extra = ps.resolve_url(cwd=ROOT)
    engine = ps.make_engine(db_url, **extra)
    store = ps.store_for(engine)
    code, key = store.create_room()
    t0 = time.perf_counter()

    def go(base: str, pid: int | None) -> dict:
        r = asyncio.run(_drive(base, code, key, learners, window_s, int(timeout_s * 1000),
                               pid, store))
        r["store_cpu_per_answer_s"] = store_cpu_per_answer(store, learners)
        r["database"] = engine.dialect.name
        r["wall_s"] = time.perf_counter() - t0
        r["loadavg"] = list(os.getloadavg())
        return r

    try:
        if url is not None:
            _check_loopback(url)
            return go(url.rstrip("/"), server_pid)
        from tools.serve import server

        with server(env={"RNNLAB_THREADS": "1"}) as (base, proc):
            return go(base, proc.pid)
    finally:
        try:
            store.close_room(code, key)
        finally:
            engine.dispose()


def report(r: dict) -> str:
    """The figures as lines of text (the pulse part of ``python -m bench.load``)."""
    lines = [
        f"class pulse         {r['learners']} learners commit one prediction within "
        f"{r['window_s']:.0f} s ({r.get('database', '?')} database)",
        f"answers             sent {r['sent']} (over {r['sent_span_s']:.1f} s), recorded "
        f"{r['recorded']}, lost {r['lost']}, every pick counted exactly: "
        f"{'yes' if r['exact'] else 'NO'}",
        f"time to record all  {r['all_recorded_s']:.1f} s after the first commit",
        f"click to 'Counted'  median {r['counted_median_s']:.1f} s, slowest "
        f"{r['counted_max_s']:.1f} s ({r['not_counted']} never shown)",
        f"instructor's tally  showed all {r['learners']} after {r['teacher_saw_all_s']:.1f} s "
        "(refreshes every 2 s)",
        f"server CPU          {r['server_cpu_answers_s']:.1f} s in the answer phase "
        f"({r['answers_wall_s']:.1f} s), idle baseline {r['server_cpu_idle_s']:.1f} s per "
        f"{r['idle_wall_s']:.1f} s; net {r['server_cpu_net_s']:.1f} CPU-s, "
        f"{r['server_cpu_per_answer_s']:.2f} per answer (page rerun and reveal; the store "
        f"write alone {r.get('store_cpu_per_answer_s', math.nan) * 1000:.1f} ms)",
        f"set-up              {r['setup_s']:.0f} s to open {r['learners'] + 1} pages and pick; "
        f"load average {r.get('loadavg')}",
    ]
    lines += [f"  error: {e}" for e in r["errors"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pulse_load",
                                 description="N learners answer one class pulse question.")
    ap.add_argument("--learners", type=int, default=30, help=f"1..{MAX_LEARNERS} (default 30)")
    ap.add_argument("--window", type=float, default=10.0,
                    help="seconds within which all learners commit (default 10)")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds per wait")
    ap.add_argument("--url", default=None, help="an already running loopback server")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    args = ap.parse_args(argv)
    if not 1 <= args.learners <= MAX_LEARNERS:
        ap.error(f"--learners must be from 1 to {MAX_LEARNERS}")
    r = run_pulse_load(args.learners, window_s=args.window, timeout_s=max(10.0, args.timeout),
                       url=args.url)
    print(report(r))
    if args.json:
        from core.claims import json_ready

        with open(args.json, "w") as f:
            json.dump(json_ready(r), f, indent=1)
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
