"""Screenshots of app pages in headless Chromium, to look at what a learner sees.

    python -m tools.screenshot                      # every page -> shots/<url>.png
    python -m tools.screenshot vanishing "why?gain=2" --out /tmp/shots --width 1400
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from tools import serve
from tools.serve import CHROMIUM, CHROMIUM_ARGS, server
from ui.nav import PAGES


def wait_ready(page) -> None:
    """Wait for the page script, then a little longer so charts finish painting."""
    serve.wait_ready(page, settle_ms=1500)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", help="URL paths (default: every page)")
    ap.add_argument("--out", default="shots")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--full", action="store_true", help="whole page, not just the first screen")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = args.paths or ["" if p.file == "home.py" else p.url for p in PAGES]
    with server() as (url, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(url)  # warm the server: a cold deep link shows Streamlit's "Page not found"
        wait_ready(page)
        for p in paths:
            page.goto(f"{url}/{p}")
            wait_ready(page)
            name = p.replace("?", "_").replace("&", "_").replace("=", "-").replace("/", "_")
            target = out / f"{name or 'home'}.png"
            page.screenshot(path=str(target), full_page=args.full)
            errors = page.locator("[data-testid='stException']").count()
            print(f"{target}  exceptions={errors}")
        browser.close()


if __name__ == "__main__":
    main()
