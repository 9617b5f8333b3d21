"""Accessibility audit of app pages with axe-core (the engine behind Lighthouse's audit).

    python -m tools.a11y                         # every page, first state and revealed
    python -m tools.a11y vanishing why --reveal  # some pages, after answering the prediction

Prints each serious or critical violation in the app's own content. Streamlit's sidebar page
navigation (``NAV_SELECTOR``) is excluded: its markup comes from Streamlit and cannot be
changed from the app (see the README). Exit status 1 when anything serious is found.
"""

from __future__ import annotations

import argparse
import sys

from playwright.sync_api import sync_playwright

from tools import serve
from tools.screenshot import reveal
from tools.serve import CHROMIUM, CHROMIUM_ARGS, server
from ui.nav import PAGES

#: Streamlit's own navigation markup, left out of the audit.
NAV_SELECTOR = "[data-testid='stSidebarNav']"
SERIOUS = ("serious", "critical")
#: Rules reported whatever their impact: headings must go in order.
ALWAYS = ("heading-order",)


def audit(page) -> list[dict]:
    """Serious/critical axe violations (and any heading-order one) on the page as loaded,
    outside Streamlit's navigation:
    [{"id", "impact", "help", "targets": [...]}]."""
    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page, context={"exclude": [[NAV_SELECTOR]]},
                    options={"resultTypes": ["violations"]})
    out = []
    for v in res.response.get("violations", []):
        if v.get("impact") in SERIOUS or v.get("id") in ALWAYS:
            nodes = v.get("nodes", [])
            detail = [(n.get("any") or [{}])[0].get("message", "") for n in nodes][:3]
            out.append({"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "targets": [n["target"] for n in nodes][:6], "detail": detail,
                        "html": [n.get("html", "")[:160] for n in nodes][:3]})
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", help="URL paths (default: every page)")
    ap.add_argument("--reveal", action="store_true", help="also audit after answering")
    ap.add_argument("--width", type=int, default=1400)
    args = ap.parse_args()
    paths = args.paths or ["" if p.file == "home.py" else p.url for p in PAGES]
    bad = 0
    with server() as (url, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        page.goto(url)
        serve.wait_ready(page)
        for p in paths:
            page.goto(f"{url}/{p}")
            serve.wait_ready(page, settle_ms=1500)
            states = [("first", audit(page))]
            if args.reveal:
                reveal(page)
                states.append(("revealed", audit(page)))
            for state, found in states:
                bad += len(found)
                print(f"{p or 'home'} [{state}]: {len(found)} serious/critical")
                for v in found:
                    print(f"  {v['impact']:8} {v['id']}: {v['help']}  {v['targets'][:3]}")
                    for h, d in zip(v["html"], v["detail"]):
                        print(f"      {h}\n        {d}")
        browser.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
