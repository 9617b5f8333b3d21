"""``python -m bench.visit``: what one warm page visit costs the server, page by page.

    python -m bench.visit                 # every page, 3 warm visits each
    python -m bench.visit --reps 5 --json visit.json
    python -m bench.visit --pages vanishing,exploding
    python -m bench.visit --revealed      # a learner who has committed every prediction

Starts the app (``tools.serve.server`` with ``RNNLAB_TIMING=1``), opens one headless Chromium
session and clicks through every page of ``ui.nav.PAGES`` once (the cold visits: imports,
shipped results, chart specs; not measured), then ``--reps`` more rounds, page after page. For
each warm visit it records:

- **server CPU**: user + system CPU seconds of the server process (all its threads: script
  run, Streamlit's messages, the websocket), from the click until 0.3 s after the page has
  finished. CPU time, not wall time, so that other work on the machine hardly moves it
  (psutil counts in 10 ms ticks: medians of several visits).
- **script time**: the wall time of the server's script run (``app.py`` through the page's
  last element; ``ui.perf.timed`` logs it), and its CPU time. Target <= 1 s on a quiet machine.
- **visit time**: click to finished page in the browser (script, messages, drawing).

With ``--revealed`` the cold round also commits every prediction on each page (the first
option, as ``tools.screenshot --reveal`` does), so the warm visits measure the revealed pages:
the main charts, the deeper sections and the checked claims drawn.

Only a loopback server is contacted; every wait has a timeout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time

#: Targets of issue 11 for a warm visit.
TARGET_CPU_S = 0.12
TARGET_SCRIPT_S = 1.0

_TIMING = re.compile(r"RNNLAB_TIMING page=(\S+) wall=([\d.]+) cpu=([\d.]+) end=(\w+)")


def _cpu(proc) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def _median(xs: list[float]) -> float:
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return statistics.median(xs) if xs else math.nan


def run_visits(reps: int = 3, pages: list[str] | None = None, *, settle_s: float = 0.3,
               timeout_s: float = 90.0, revealed: bool = False) -> dict:
    """Warm visits of every page (or the URL paths in ``pages``) by a new learner (predictions
    not committed, so main charts are held back; ``revealed``: committed in the cold round, so
    the warm visits draw everything); see the module docstring.

    Returns ``{"pages": {url: {...medians...}}, "server_cpu_per_visit_s": mean over pages,
    "slowest_script_s": ..., "visits": [...every visit...], "failures": [...]}``.
    """
    import psutil
    from playwright.sync_api import sync_playwright

    from bench.load import READY_JS, _title_prefix
    from tools.screenshot import reveal
    from tools.serve import CHROMIUM, CHROMIUM_ARGS, server
    from ui.nav import PAGES

    infos = [p for p in PAGES if pages is None or p.url in pages]
    timeout_ms = int(timeout_s * 1000)
    visits: list[dict] = []
    failures: list[str] = []
    load0 = list(os.getloadavg())
    with server(env={"RNNLAB_THREADS": "1", "RNNLAB_TIMING": "1"}) as (url, proc):
        sp = psutil.Process(proc.pid)
        log = open(proc.log_path, "rb")  # noqa: SIM115 - read as the server writes it
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url, timeout=timeout_ms)
                page.wait_for_function(READY_JS, arg="Home", timeout=timeout_ms, polling=100)

                def visit(info) -> dict:
                    links = page.locator("[data-testid='stSidebarNavLink']")
                    link = (links.filter(has_text=info.title) if info.file == "home.py" else
                            page.locator(f"[data-testid='stSidebarNavLink']"
                                         f"[href$='/{info.url}']"))
                    log.read()  # skip older lines
                    c0, t0 = _cpu(sp), time.perf_counter()
                    err = None
                    try:
                        link.first.click(timeout=timeout_ms)
                        page.wait_for_function(READY_JS, arg=_title_prefix(info.title),
                                               timeout=timeout_ms, polling=50)
                    except Exception as e:  # noqa: BLE001 - reported as a failed visit
                        err = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
                    dt = time.perf_counter() - t0
                    page.wait_for_timeout(settle_s * 1000)
                    cpu = _cpu(sp) - c0
                    runs = [m for m in _TIMING.finditer(log.read().decode(errors="replace"))]
                    shown = page.locator("[data-testid='stException']")
                    if not err and shown.count():
                        err = ("exception shown on the page: "
                               + " ".join(shown.first.inner_text().split())[:300])
                    return {"page": info.url, "server_cpu_s": cpu, "visit_s": dt,
                            "script_s": sum(float(m[2]) for m in runs),
                            "script_cpu_s": sum(float(m[3]) for m in runs),
                            "runs": len(runs), "error": err}

                for rnd in range(reps + 1):
                    for info in infos:
                        v = visit(info)
                        v["round"] = rnd
                        if revealed and rnd == 0 and not v["error"]:
                            reveal(page)  # commit every prediction: warm visits draw it all
                        visits.append(v)
                        if v["error"]:
                            failures.append(f"{info.url} (round {rnd}): {v['error']}")
                browser.close()
        finally:
            log.close()
    per_page = {}
    for info in infos:
        warm = [v for v in visits if v["page"] == info.url and v["round"] > 0 and not v["error"]]
        cold = next((v for v in visits if v["page"] == info.url and v["round"] == 0), None)
        per_page[info.url] = {
            "server_cpu_s": _median([v["server_cpu_s"] for v in warm]),
            "server_cpu_all": [round(v["server_cpu_s"], 3) for v in warm],
            "script_s": _median([v["script_s"] for v in warm]),
            "script_cpu_s": _median([v["script_cpu_s"] for v in warm]),
            "visit_s": _median([v["visit_s"] for v in warm]),
            "runs": _median([v["runs"] for v in warm]),
            "cold_server_cpu_s": cold["server_cpu_s"] if cold else math.nan,
            "cold_script_s": cold["script_s"] if cold else math.nan,
        }
    cpus = [p["server_cpu_s"] for p in per_page.values()]
    scripts = [p["script_s"] for p in per_page.values()]
    return {
        "reps": reps,
        "pages": per_page,
        "server_cpu_per_visit_s": statistics.fmean(cpus) if cpus else math.nan,
        "server_cpu_max_s": max(cpus) if cpus else math.nan,
        "slowest_script_s": max(scripts) if scripts else math.nan,
        "failures": failures,
        "revealed": revealed,
        "loadavg": [load0, list(os.getloadavg())],
        "visits": visits,
    }


def report(r: dict) -> str:
    lines = [("Warm visits of a learner who committed every prediction (everything drawn)."
              if r.get("revealed") else
              "Warm visits of a new learner (predictions not committed: main charts held back)."),
             "| page | server CPU per warm visit | script time | script CPU | visit in the "
             "browser | cold visit: server CPU |",
             "| --- | --- | --- | --- | --- | --- |"]
    for url, p in r["pages"].items():
        lines.append(f"| {url} | {p['server_cpu_s']:.3f} s {p['server_cpu_all']} | "
                     f"{p['script_s']:.3f} s | {p['script_cpu_s']:.3f} s | {p['visit_s']:.2f} s | "
                     f"{p['cold_server_cpu_s']:.2f} s |")
    lines.append("")
    lines.append(f"server CPU per warm visit, mean over pages: {r['server_cpu_per_visit_s']:.3f} s "
                 f"(target <= {TARGET_CPU_S} s); heaviest page {r['server_cpu_max_s']:.3f} s")
    lines.append(f"slowest warm script run: {r['slowest_script_s']:.2f} s (target <= "
                 f"{TARGET_SCRIPT_S:g} s on a quiet machine)")
    lines.append(f"load average before / after: {r['loadavg'][0]} / {r['loadavg'][1]}")
    lines += [f"failed visit: {f}" for f in r["failures"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.visit", description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="warm visits per page (default 3)")
    ap.add_argument("--pages", default=None, help="comma-separated URL paths (default all)")
    ap.add_argument("--json", default=None, help="also write the numbers to this file")
    ap.add_argument("--revealed", action="store_true",
                    help="commit every prediction in the cold round (warm visits draw it all)")
    a = ap.parse_args(argv)
    r = run_visits(max(1, a.reps), a.pages.split(",") if a.pages else None,
                   revealed=a.revealed)
    print(report(r))
    if a.json:
        from core.claims import json_ready

        with open(a.json, "w") as f:
            json.dump(json_ready(r), f, indent=1)
    return 0 if not r["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
