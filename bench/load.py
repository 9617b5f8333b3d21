"""``python -m bench.load``: many learners at once, in real browsers.

    python -m bench.load                  # 10 sessions against a fresh local server
    python -m bench.load --sessions 30    # heavier
    python -m bench.load --json out.json  # also write the numbers
    python -m bench.load --pulse-learners 0  # without the class pulse part (bench.pulse_load)

Starts ``streamlit run app.py`` on 127.0.0.1 (``tools.serve.server``, one torch thread per
request) and one headless Debian Chromium (each session is an isolated browser context, its own
Streamlit session), then, in one run on the same machine:

1. **warm-up**: one session visits every page once (the server's cold visits: imports, shipped
   results, chart specs); not counted;
2. **one session** clicks through every page of ``ui.nav.PAGES`` in the sidebar: the reference
   visit times of an unloaded server;
3. **N sessions** do the same. They arrive like a class opening a link, not in the same
   millisecond: one new session every ``--stagger`` seconds (default 1 s: thirty learners
   over 29 s), and at most ``--open-at-once`` browsers (default 2) loading the app itself at
   the same moment (a newcomer's first page waits for its turn; that wait is not visit time:
   thirty headless browsers parsing the app's JavaScript at once on 2 cores timed out before
   the server saw them). Each then clicks on as soon as a page has finished (``--think`` adds
   reading time).

A page visit fails when it shows an exception box (``[data-testid='stException']``) or does
not finish within ``--page-timeout`` seconds. Reports, for both phases: failed visits, median
and 95th-percentile visit time (click to finished page) and the server CPU per visit (user +
system CPU seconds of the server process tree over the phase, divided by its visits: every
visit after the warm-up is a warm one); and the server's memory (RSS of the server process and
its children, sampled every 0.25 s). The numbers also go into ``bench/results.json`` (rows of
the group "load", replacing earlier rows of the same name; ``--no-save`` skips that).

Bounded: at most 50 sessions, every wait has a timeout and the whole run stops after
``--max-seconds``. Only loopback servers are contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import sys
import threading
import time
from urllib.parse import urlparse

MAX_SESSIONS = 50

#: The page is finished: script not running, the new page's title painted, no running-status
#: widget and no element left over (stale) from the previous page.
READY_JS = """
(title) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const h1 = document.querySelector("[data-testid='stMain'] h1");
  if (!h1 || !h1.innerText.trim().startsWith(title)) return false;
  if (document.querySelector("[data-testid='stStatusWidget']")) return false;
  return !document.querySelector("[data-stale='true']");
}
"""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; nan for no values."""
    if not values:
        return math.nan
    v = sorted(values)
    pos = (len(v) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


class RssSampler:
    """Samples the RSS (MB) of a process and all its children in a background thread."""

    def __init__(self, pid: int, every: float = 0.25):
        import psutil

        self._proc = psutil.Process(pid)
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> float:
        import psutil

        total = 0
        try:
            procs = [self._proc, *self._proc.children(recursive=True)]
        except psutil.Error:
            return math.nan
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            v = self.now()
            if math.isfinite(v):
                self.samples.append(v)
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def peak(self) -> float:
        return max(self.samples) if self.samples else math.nan


def tree_cpu_seconds(pid: int, exclude: int | None = None) -> float:
    """User + system CPU seconds used so far by a process and its children (except the subtree
    of ``exclude``). Processes that ended are not counted."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
        skip = set()
        if exclude is not None:
            ex = psutil.Process(exclude)
            skip = {ex.pid, *(c.pid for c in ex.children(recursive=True))}
    except psutil.Error:
        return math.nan
    total = 0.0
    for p in procs:
        if p.pid in skip:
            continue
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _title_prefix(title: str) -> str:
    return title.split(" ·")[0].strip()


async def _visit(page, click, title: str, timeout_ms: int) -> tuple[float, str | None]:
    """Do ``click`` and wait for the page titled ``title`` to finish: (seconds, error or None)."""
    t0 = time.perf_counter()
    try:
        await click()
        await page.wait_for_function(READY_JS, arg=_title_prefix(title), timeout=timeout_ms,
                                     polling=100)
    except Exception as e:  # a timeout or a closed page: a failed visit, reported, not raised
        return time.perf_counter() - t0, f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
    dt = time.perf_counter() - t0
    if await page.locator("[data-testid='stException']").count():
        return dt, "exception shown on the page"
    return dt, None


async def _session(browser, url: str, n: int, pages, timeout_ms: int, deadline: float,
                   results: list[dict], think_s: float = 0.0,
                   gate: asyncio.Semaphore | None = None) -> None:
    """One learner: open the link (waiting for ``gate``, which bounds how many browsers load
    the app at the same moment), then click through every page."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = await ctx.new_page()
        home = pages[0]
        async with gate or contextlib.nullcontext():
            dt, err = await _visit(page, lambda: page.goto(url, timeout=timeout_ms), home.title,
                                   timeout_ms)
        results.append({"session": n, "page": home.url, "seconds": dt, "error": err})
        for info in pages[1:]:
            await asyncio.sleep(think_s)  # a learner reading (0: click on at once)
            if time.perf_counter() > deadline:
                results.append({"session": n, "page": info.url, "seconds": math.nan,
                                "error": "skipped: --max-seconds reached"})
                continue
            link = page.locator(f"[data-testid='stSidebarNavLink'][href$='/{info.url}']")

            async def click(link=link):
                if not await link.count():
                    more = page.locator("[data-testid='stSidebarNavViewButton']")
                    if await more.count():
                        await more.first.click(timeout=timeout_ms)
                await link.first.click(timeout=timeout_ms)

            dt, err = await _visit(page, click, info.title, timeout_ms)
            results.append({"session": n, "page": info.url, "seconds": dt, "error": err})
    finally:
        await ctx.close()


def _summary(visits: list[dict]) -> dict:
    times = [v["seconds"] for v in visits if v["error"] is None]
    fails = [v for v in visits if v["error"] is not None]
    return {
        "visits": len(visits),
        "failures": len(fails),
        "failure_examples": [f"{v['page']}: {v['error']}" for v in fails[:5]],
        "median_s": statistics.median(times) if times else math.nan,
        "p95_s": percentile(times, 95),
        "max_s": max(times) if times else math.nan,
    }


async def _drive(url: str, sessions: int, timeout_ms: int, max_seconds: float,
                 stagger_s: float, server_pid: int | None = None, think_s: float = 0.0,
                 baseline: bool = True, open_at_once: int = 2) -> dict:
    """Warm-up, the one-session reference and the N sessions (see the module docstring).

    Returns ``{"visits": [...N-session visits...], "one_session": summary or None, "warmup":
    summary, "server_cpu_s", "client_cpu_s", "wall_s"}`` (CPU and wall of the N-session phase;
    the server's CPU is nan without ``server_pid``)."""
    from playwright.async_api import async_playwright

    from tools.serve import CHROMIUM, CHROMIUM_ARGS
    from ui.nav import PAGES

    pages = [p for p in PAGES if p.file == "home.py"] + [p for p in PAGES if p.file != "home.py"]
    deadline = time.perf_counter() + max_seconds
    out: dict = {"one_session": None}

    def server_cpu() -> float:
        return tree_cpu_seconds(server_pid) if server_pid is not None else math.nan

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            warm: list[dict] = []  # every page once: the server's cold visits, not counted
            await _session(browser, url, -1, pages, timeout_ms, deadline, warm, 0.0)
            out["warmup"] = _summary(warm)
            if baseline:
                one: list[dict] = []
                c0, t0 = server_cpu(), time.perf_counter()
                await _session(browser, url, 0, pages, timeout_ms, deadline, one, think_s)
                ref = _summary(one)
                ref["server_cpu_s"] = server_cpu() - c0
                ref["server_cpu_per_visit_s"] = ref["server_cpu_s"] / max(1, len(one))
                ref["wall_s"] = time.perf_counter() - t0
                out["one_session"] = ref
            results: list[dict] = []
            cpu0 = tree_cpu_seconds(os.getpid(), exclude=server_pid)
            s0, t0 = server_cpu(), time.perf_counter()

            gate = asyncio.Semaphore(max(1, open_at_once))

            async def one_learner(n: int):
                await asyncio.sleep(n * stagger_s)  # arrivals spread like a class opening a link
                await _session(browser, url, n, pages, timeout_ms, deadline, results, think_s,
                               gate)

            tasks = [asyncio.create_task(one_learner(n)) for n in range(sessions)]
            done, pending = await asyncio.wait(tasks, timeout=max_seconds + 60)
            for t in pending:
                t.cancel()
            for t in done:
                if t.exception() is not None:
                    results.append({"session": -1, "page": "?", "seconds": math.nan,
                                    "error": f"session crashed: {t.exception()!r}"[:200]})
            out["wall_s"] = time.perf_counter() - t0
            out["server_cpu_s"] = server_cpu() - s0
            out["client_cpu_s"] = tree_cpu_seconds(os.getpid(), exclude=server_pid) - cpu0
            out["visits"] = results
        finally:
            await browser.close()
    return out


def _check_loopback(url: str) -> None:
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load-test {host!r}: only a loopback server is allowed")


def run_load(sessions: int = 10, *, page_timeout_s: float = 90.0, max_seconds: float = 900.0,
             stagger_s: float = 1.0, think_s: float = 0.0, url: str | None = None,
             server_pid: int | None = None, baseline: bool = True, open_at_once: int = 2) -> dict:
    """Run the load test; returns the summary of the N-session phase, the one-session reference
    (``one_session``) and every visit (``visits_detail``).

    Without ``url`` a fresh server is started (and stopped) with ``tools.serve.server``.
    """
    sessions = max(1, min(int(sessions), MAX_SESSIONS))
    timeout_ms = int(page_timeout_s * 1000)

    def go(url: str, pid: int | None) -> dict:
        t0 = time.perf_counter()
        if pid is None:
            d = asyncio.run(_drive(url, sessions, timeout_ms, max_seconds, stagger_s, None,
                                   think_s, baseline, open_at_once))
            idle, peak = math.nan, math.nan
        else:
            sampler = RssSampler(pid)
            idle = sampler.now()
            with sampler:
                d = asyncio.run(_drive(url, sessions, timeout_ms, max_seconds, stagger_s, pid,
                                       think_s, baseline, open_at_once))
            peak = sampler.peak
        visits = d["visits"]
        summary = _summary(visits)
        times = [v["seconds"] for v in visits if v["error"] is None]
        return {
            "sessions": sessions,
            **summary,
            "server_cpu_per_visit_s": d["server_cpu_s"] / max(1, len(visits)),
            "one_session": d["one_session"],
            "warmup": d["warmup"],
            "arrival": {"stagger_s": stagger_s, "ramp_s": stagger_s * (sessions - 1),
                        "think_s": think_s, "open_at_once": open_at_once},
            "rss_idle_mb": idle,
            "rss_peak_mb": peak,
            "wall_s": time.perf_counter() - t0,
            "phase_wall_s": d["wall_s"],
            "server_cpu_s": d["server_cpu_s"],
            "browser_cpu_s": d["client_cpu_s"],
            "loadavg": list(os.getloadavg()),
            "per_page_median_s": {
                p: statistics.median([v["seconds"] for v in visits
                                      if v["page"] == p and v["error"] is None] or [math.nan])
                for p in dict.fromkeys(v["page"] for v in visits)},
            "n_timed": len(times),
            "visits_detail": visits,
        }

    if url is not None:
        _check_loopback(url)
        return go(url.rstrip("/"), server_pid)
    from tools.serve import server

    with server(env={"RNNLAB_THREADS": "1"}) as (base, proc):
        return go(base, proc.pid)


def report(r: dict) -> str:
    one = r.get("one_session") or {}
    arr = r.get("arrival") or {}
    n = r["sessions"]
    lines = [
        f"sessions            {n}, arriving one every {arr.get('stagger_s', math.nan):g} s "
        f"(all in within {arr.get('ramp_s', math.nan):.0f} s); at most "
        f"{arr.get('open_at_once', 'any')} browsers loading the app at the same moment (a "
        "newcomer's first page waits its turn, not counted as visit time); reading time "
        f"{arr.get('think_s', 0):g} s per page; after a warm-up visit of every page",
        "                    one session alone   " + f"{n} sessions",
        f"page visits         {one.get('visits', 0):<19} {r['visits']}",
        f"failed visits       {one.get('failures', math.nan):<19} {r['failures']}",
        f"median visit time   {one.get('median_s', math.nan):<6.2f} s{'':13}{r['median_s']:.2f} s",
        f"95th percentile     {one.get('p95_s', math.nan):<6.2f} s{'':13}{r['p95_s']:.2f} s",
        f"slowest visit       {one.get('max_s', math.nan):<6.2f} s{'':13}{r['max_s']:.2f} s",
        f"server CPU / visit  {one.get('server_cpu_per_visit_s', math.nan):<6.3f} s{'':13}"
        f"{r.get('server_cpu_per_visit_s', math.nan):.3f} s   (target <= 0.12 s)",
        f"server RSS          {r['rss_idle_mb']:.0f} MB idle, {r['rss_peak_mb']:.0f} MB peak",
        f"wall time           {r['wall_s']:.0f} s in all",
        f"CPU seconds         {n} sessions: server {r['server_cpu_s']:.0f}, browsers and this "
        f"script {r['browser_cpu_s']:.0f} (on the same {os.cpu_count()} cores; "
        f"{r.get('phase_wall_s', r['wall_s']) * (os.cpu_count() or 1):.0f} CPU-s in the "
        "phase's wall time)",
        f"load average        {r['loadavg']}",
    ]
    lines += [f"  failure: {f}" for f in r["failure_examples"]]
    lines += [f"  failure (one session): {f}" for f in one.get("failure_examples", [])]
    lines.append("median per page: " + ", ".join(
        f"{p} {s:.2f}s" for p, s in r["per_page_median_s"].items()))
    return "\n".join(lines)


def save(r: dict, path=None) -> None:
    """Put this run's rows (``bench.load_rows``) into ``bench/results.json``, replacing rows of
    the same name, and the summary under ``load_runs[<sessions>]``."""
    import bench
    from core.claims import json_ready

    path = path or bench.RESULTS
    try:
        data = json.loads(open(path).read())
    except (OSError, ValueError):
        data = {"machine": bench.machine_info(), "targets": bench.TARGETS, "rows": []}
    rows = [bench.asdict(x) for x in bench.load_rows(r)]
    names = {x["name"] for x in rows}
    data["rows"] = [x for x in data.get("rows", []) if x.get("name") not in names] + rows
    data.setdefault("load_runs", {})[str(r["sessions"])] = json_ready(
        {k: v for k, v in r.items() if k != "visits_detail"}
        | {"time_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())})
    with open(path, "w") as f:
        f.write(json.dumps(json_ready(data), indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load",
                                 description="N browser sessions click through every page.")
    ap.add_argument("--sessions", type=int, default=10, help=f"1..{MAX_SESSIONS} (default 10)")
    ap.add_argument("--page-timeout", type=float, default=90.0, help="seconds per page visit")
    ap.add_argument("--max-seconds", type=float, default=900.0, help="cap on the whole run")
    ap.add_argument("--stagger", type=float, default=1.0,
                    help="seconds between session arrivals (default 1: thirty learners over "
                         "29 s; 0 = all at the same instant)")
    ap.add_argument("--open-at-once", type=int, default=2,
                    help="at most this many browsers load the app (their first page) at the "
                         "same moment (default 2, one per core of this machine)")
    ap.add_argument("--think", type=float, default=0.0,
                    help="seconds each session waits on a page before the next click (0..60)")
    ap.add_argument("--url", default=None, help="an already running loopback server")
    ap.add_argument("--json", default=None, help="also write the summary to this file")
    ap.add_argument("--no-save", action="store_true",
                    help="do not put the rows into bench/results.json")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the one-session reference run")
    ap.add_argument("--pulse-learners", type=int, default=30,
                    help="class pulse part: learners committing one answer within 10 s "
                         "(bench.pulse_load; 0 skips it)")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        ap.error(f"--sessions must be from 1 to {MAX_SESSIONS}")
    r = run_load(args.sessions, page_timeout_s=max(1.0, args.page_timeout),
                 max_seconds=max(10.0, args.max_seconds), stagger_s=max(0.0, args.stagger),
                 think_s=min(max(0.0, args.think), 60.0), url=args.url,
                 baseline=not args.no_baseline, open_at_once=max(1, args.open_at_once))
    print(report(r))
    pulse_ok = True
    if args.pulse_learners > 0:
        from bench import pulse_load

        r["pulse"] = pulse_load.run_pulse_load(args.pulse_learners, url=args.url)
        print(pulse_load.report(r["pulse"]))
        pulse_ok = r["pulse"]["ok"]
    if not args.no_save and args.url is None:
        save(r)
        print("rows written to bench/results.json (group 'load')")
    if args.json:
        from core.claims import json_ready

        with open(args.json, "w") as f:
            json.dump(json_ready(r), f, indent=1)
    return 0 if r["failures"] == 0 and pulse_ok else 1


if __name__ == "__main__":
    sys.exit(main())
