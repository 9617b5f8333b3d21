"""The conclusion page's cheat sheet prints on exactly one page in Chromium."""

import re

from ui import cheatsheet


def test_cheat_sheet_prints_on_one_page(browser):
    page = browser.new_page()
    page.set_content(cheatsheet.html())
    pdf = page.pdf(prefer_css_page_size=True)
    page.close()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
