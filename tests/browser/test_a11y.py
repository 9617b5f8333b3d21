"""axe-core on every page in Chromium: no serious or critical finding (and no heading-order
one) in the app's own content, before and after the learner commits a prediction. Streamlit's
sidebar page navigation is excluded by selector (tools.a11y.NAV_SELECTOR; see the README)."""

import pytest

from tests.browser.conftest import wait_ready
from tools.a11y import audit
from tools.screenshot import reveal
from ui.nav import PAGES

pytest.importorskip("axe_playwright_python")


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.url)
def test_page_has_no_serious_accessibility_finding(page, app_url, info):
    page.goto(f"{app_url}/{'' if info.file == 'home.py' else info.url}")
    wait_ready(page)
    found = audit(page)
    assert not found, found
    if page.locator("[class*='st-key-predict_box_']").count():
        reveal(page)
        found = audit(page)
        assert not found, found
