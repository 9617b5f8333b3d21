"""The app in a real browser: every page, links that restore controls, instructor mode."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import wait_ready
from ui.nav import PAGES


def exceptions(page) -> int:
    return page.locator("[data-testid='stException']").count()


@pytest.mark.parametrize("info", PAGES, ids=[p.url for p in PAGES])
def test_every_page_loads_without_exception(page, app_url, info):
    path = "" if info.file == "home.py" else info.url
    page.goto(f"{app_url}/{path}")
    wait_ready(page)
    assert exceptions(page) == 0
    assert page.locator("h1").first.inner_text().strip().startswith(info.title.split(" ·")[0])
    if info.file not in ("home.py", "glossary.py", "s7_conclusion.py", "class_summary.py"):
        # the page's precomputed result is drawn on first load, with no click
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)


def slider_value(page, label: str) -> str:
    s = page.locator("[data-testid='stSlider']").filter(has_text=label).locator(
        "input[type=range]")
    return s.get_attribute("value")


def test_link_restores_controls(page, app_url):
    page.goto(f"{app_url}/vanishing?T=200&cell=GRU&gain=0.5")
    wait_ready(page)
    assert exceptions(page) == 0
    assert slider_value(page, "Sequence length T") == "200"
    assert float(slider_value(page, "Recurrent gain")) == 0.5
    assert page.get_by_role("combobox", name="Cell", exact=True).input_value() == "GRU"


def test_moving_a_control_writes_the_link(page, app_url):
    page.goto(f"{app_url}/vanishing")
    wait_ready(page)
    s = page.locator("[data-testid='stSlider']").filter(has_text="Sequence length T").locator(
        "input[type=range]")
    s.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r".*[?&]T=110.*"), timeout=30_000)
    wait_ready(page)
    assert exceptions(page) == 0
    link = page.url
    page.goto(link)
    wait_ready(page)
    assert slider_value(page, "Sequence length T") == "110"


def test_hostile_link_shows_a_note_not_a_traceback(page, app_url):
    page.goto(f"{app_url}/vanishing?T=-1&gain=inf&cell=%3Cscript%3Ealert(1)%3C/script%3E&H=abc")
    wait_ready(page)
    assert exceptions(page) == 0
    assert page.get_by_text("not a number from 10 to 500").count() >= 1
    assert slider_value(page, "Sequence length T") == "100"


def test_instructor_mode_hides_advanced_controls_and_enlarges_text(page, app_url):
    page.goto(f"{app_url}/vanishing")
    wait_ready(page)
    page.get_by_text("More settings").click()  # advanced controls fold on a laptop
    page.get_by_text("Hidden size H").wait_for(timeout=30_000)
    assert page.get_by_text("Hidden size H").count() == 1
    normal = page.locator("h1").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    page.goto(f"{app_url}/vanishing?instructor=true")
    wait_ready(page)
    assert exceptions(page) == 0
    assert page.get_by_text("Hidden size H").count() == 0
    assert page.get_by_text("Sequence length T").count() == 1
    big = page.locator("h1").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert big > normal


def test_preset_link_opens_the_page_set_up(page, app_url):
    page.goto(f"{app_url}/vanishing?preset=long300")
    wait_ready(page)
    assert exceptions(page) == 0
    assert slider_value(page, "Sequence length T") == "300"


def test_pressing_run_on_a_lab_trains_live_and_draws_the_curve(page, app_url):
    # a short, non-default setting so the run is live (not the shipped result) and quick
    page.goto(f"{app_url}/lab-clipping?steps=50&T=10")
    wait_ready(page)
    assert exceptions(page) == 0
    page.get_by_text("Only the two clipped runs").click()  # predict, commit, then run
    wait_ready(page)
    page.get_by_role("button", name="Commit and see the run").click()
    wait_ready(page)
    page.get_by_role("button", name="Run all three", exact=True).click()
    page.get_by_text("Trained live in").wait_for(timeout=240_000)
    wait_ready(page)
    assert exceptions(page) == 0
    charts = page.locator("[data-testid='stVegaLiteChart']")
    assert charts.count() >= 2
    charts.first.locator("canvas, svg").first.wait_for(timeout=30_000)


def _chart_kinds(page) -> str:
    """The text of every chart's accessible description (the held-back chart says so)."""
    return " ".join(page.locator("[data-testid='stVegaLiteChart']").all_inner_texts())


def test_predict_commit_reveal_in_the_browser(page, app_url):
    page.goto(f"{app_url}/vanishing")
    wait_ready(page)
    commit = page.get_by_role("button", name="Commit and see the run")
    assert commit.is_disabled()
    assert page.get_by_text("first / last").count() == 0  # no metric before the commit
    page.get_by_text("Less than a billionth").click()
    wait_ready(page)
    commit.click()
    page.get_by_text("Right: Less than a billionth").wait_for(timeout=60_000)
    wait_ready(page)
    assert exceptions(page) == 0
    assert page.get_by_text("first / last").count() == 1
    assert page.get_by_text("Checked in this run").count() >= 1


def test_instructor_reveal_shows_the_answer_without_a_pick(page, app_url):
    page.goto(f"{app_url}/vanishing?instructor=true")
    wait_ready(page)
    page.get_by_role("button", name="Reveal the run").click()
    page.get_by_text("Answer: Less than a billionth").wait_for(timeout=60_000)
    wait_ready(page)
    assert exceptions(page) == 0


def test_phone_puts_the_chart_first_and_its_controls_right_under_it(page, app_url):
    """At 390 px the columns stack with the chart first (PAGE_CSS reverses the page-shape row):
    the main chart starts on the first phone screen and the controls box follows it."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_url}/vanishing")
    wait_ready(page)
    assert exceptions(page) == 0
    chart = page.locator("[data-testid='stVegaLiteChart']").first.bounding_box()
    slider = page.locator("[data-testid='stSlider']").filter(
        has_text="Sequence length T").first.bounding_box()
    assert chart["y"] < 844, chart  # the held-back chart is on the first screen
    assert slider["y"] > chart["y"] + chart["height"]  # its controls come right after it
    assert slider["y"] - (chart["y"] + chart["height"]) < 400


def test_a_preset_on_one_page_does_not_break_another_page_with_the_same_key(page, app_url):
    """Session state outlives a page: Lab 1's presets write ``lr`` as a choice ("0.05"), which
    sections 2, 4 and 5a read as a number (they raised), and ``gain``, ``T``, ``steps`` that
    section 2 took over. Now a page's controls start from its link or its defaults."""
    page.goto(f"{app_url}/lab-clipping")
    wait_ready(page)
    page.locator("[data-testid='stSelectbox']").filter(has_text="Preset").first.click()
    page.get_by_role("option", name="Tame: gain 0.9").click()
    wait_ready(page)
    for path, title in (("exploding", "2 ·"), ("effects", "4 ·"), ("clipping", "5a ·")):
        page.locator(f"[data-testid='stSidebarNavLink'][href$='/{path}']").first.click()
        page.wait_for_function("(t) => [...document.querySelectorAll('h1')].some("
                               "h => h.innerText.startsWith(t))", arg=title, timeout=60_000)
        page.wait_for_timeout(1500)
        assert exceptions(page) == 0, path
        wait_ready(page)
        if path == "exploding":  # its own default (gain 2), not Lab 1's preset (0.9)
            assert float(slider_value(page, "Recurrent gain")) == 2.0
