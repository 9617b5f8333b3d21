"""Screenshots of app pages in headless Chromium, to look at what a learner sees.

    python -m tools.screenshot                      # every page -> shots/<url>.png
    python -m tools.screenshot vanishing "why?gain=2" --out /tmp/shots --width 1400
    python -m tools.screenshot vanishing --reveal --full      # after committing, whole page

Each line printed gives the file, the page's exceptions, the first chart's top edge (px) and
the page's height in screens: the numbers the page-shape rules speak about.
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


def measure(page, screen_height: int) -> tuple[float | None, float]:
    """(top edge of the first chart in px from the top of the page, page height in screens)."""
    top = page.evaluate("""() => {
        const c = document.querySelector('[data-testid="stVegaLiteChart"]');
        const m = document.querySelector('[data-testid="stMain"]');
        if (!c) return null;
        return c.getBoundingClientRect().top + (m ? m.scrollTop : 0);
    }""")
    height = page.evaluate("""() => {
        const m = document.querySelector('[data-testid="stMain"]');
        return m ? m.scrollHeight : document.body.scrollHeight;
    }""")
    return (None if top is None else round(top)), height / screen_height


def reveal(page) -> None:
    """Pick the first option of every prediction and press its Commit / Reveal button."""
    for _ in range(6):
        boxes = [b for b in page.locator("[class*='st-key-predict_box_']").all()
                 if b.locator("button").count()]
        if not boxes:
            return
        box = boxes[0]
        button = box.locator("button").first
        for _attempt in range(3):
            try:
                if button.is_enabled(timeout=5_000):
                    break
            except Exception:  # noqa: BLE001 - the button went away: already revealed
                break
            box.locator("label:has(input[type=radio])").first.click()
            serve.wait_ready(page, settle_ms=600)
            try:
                button.wait_for(state="visible", timeout=20_000)
                page.wait_for_function("(b) => !b.disabled", arg=button.element_handle(),
                                       timeout=20_000)
            except Exception:  # noqa: BLE001 - a slow rerun: try the click again
                continue
        try:
            button.click(timeout=10_000)
            button.wait_for(state="detached", timeout=30_000)  # the box is revealed
        except Exception:  # noqa: BLE001 - already revealed by the time we looked
            pass
        serve.wait_ready(page, settle_ms=1200)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", help="URL paths (default: every page)")
    ap.add_argument("--out", default="shots")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--full", action="store_true", help="whole page, not just the first screen")
    ap.add_argument("--reveal", action="store_true",
                    help="answer every prediction (first option) and commit before the shot")
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
            if args.reveal:
                reveal(page)
            top, screens = measure(page, args.height)
            if args.full:
                page.set_viewport_size({"width": args.width,
                                        "height": int(screens * args.height) + 40})
                page.wait_for_timeout(800)
            page.screenshot(path=str(target))
            if args.full:
                page.set_viewport_size({"width": args.width, "height": args.height})
            errors = page.locator("[data-testid='stException']").count()
            print(f"{target}  exceptions={errors}  first_chart_top={top}px  "
                  f"screens={screens:.2f}")
        browser.close()


if __name__ == "__main__":
    main()
