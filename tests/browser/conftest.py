"""One `streamlit run app.py` server and one headless Debian Chromium for the browser tests."""

from __future__ import annotations

import shutil

import pytest

from tools.serve import CHROMIUM, CHROMIUM_ARGS, server, wait_ready  # noqa: F401 (tests import it)

playwright = pytest.importorskip("playwright.sync_api")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def app_url():
    if not shutil.which(CHROMIUM) and not shutil.os.path.exists(CHROMIUM):
        pytest.fail(f"Debian chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with server(env={"RNNLAB_THREADS": "1"}) as (url, _proc):
        yield url


@pytest.fixture(scope="session")
def browser():
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = ctx.new_page()
    p.goto(app_url)  # warm the server: Streamlit shows "Page not found" on a cold deep link
    wait_ready(p)
    yield p
    ctx.close()
