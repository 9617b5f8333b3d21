"""Home page: paints without torch, links every page, and its links and glossary terms resolve."""

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

from streamlit.testing.v1 import AppTest

from tests.conftest import APP, ROOT, no_exception, open_page
from ui.glossary import BY_ANCHOR, GLOSSARY_URL
from ui.layout import PROJECTOR_CSS
from ui.nav import PAGES

FILE = "home.py"

_PROBE = f"""
import json, sys, time
from streamlit.testing.v1 import AppTest
start = time.perf_counter()
at = AppTest.from_file({APP!r}, default_timeout=60)
at.run()
print(json.dumps({{
    "seconds": time.perf_counter() - start,
    "exceptions": [e.message for e in at.exception],
    "title": [t.value for t in at.title],
    "heavy": sorted(m for m in sys.modules
                    if m.split(".")[0] in ("torch", "core") or m in ("ui.demos", "ui.runner")),
}}))
"""


def test_home_is_the_default_page_and_paints_without_torch():
    # A fresh interpreter: the test process itself has torch loaded by conftest.
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True)
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["exceptions"] == []
    assert info["title"] == ["Home"]
    assert info["heavy"] == []  # neither torch nor core nor the live-run helpers were imported
    assert info["seconds"] < 20


def open_home(query: dict[str, str] | None = None) -> AppTest:
    """Open the app at its root, as a browser does: the home page is the default page."""
    at = AppTest.from_file(APP, default_timeout=60)
    if query:
        at.query_params.update(query)
    at.run()
    return at


def _links(at):
    return [el.proto for el in at.get("page_link")]


def test_lesson_map_links_every_page_with_its_blurb():
    at = open_home()
    no_exception(at)
    assert at.title[0].value == "Home"
    linked = {p.page for p in _links(at)}
    for p in PAGES:
        if p.file != FILE:
            assert p.url in linked, p.title
    captions = " ".join(c.value for c in at.caption)
    for p in PAGES:
        if p.file != FILE:
            assert p.blurb in captions, p.title


def test_preset_link_opens_section_1_as_set():
    at = open_home()
    preset = [p for p in _links(at) if p.query_string == "preset=long300"]
    assert len(preset) == 1 and preset[0].page == "vanishing"
    query = {k: v[-1] for k, v in parse_qs(preset[0].query_string).items()}
    assert query == {"preset": "long300"}
    s1 = open_page("s1_vanishing.py", query)
    no_exception(s1)
    assert s1.slider(key="T").value == 300  # the preset exists and was applied


def test_every_glossary_link_on_the_page_has_an_entry():
    at = open_page(FILE)  # also reachable by switching to it from another page
    no_exception(at)
    assert at.title[0].value == "Home"
    text = " ".join(m.value for m in at.markdown)
    anchors = re.findall(rf"\]\({GLOSSARY_URL}#([a-z0-9-]+)\)", text)
    assert len(anchors) >= 10
    assert set(anchors) <= set(BY_ANCHOR)


def test_instructor_mode_enlarges_text_and_keeps_the_page_whole():
    css = PROJECTOR_CSS.strip()
    plain = open_home()
    assert not any(css in h.proto.body for h in plain.get("html"))
    at = open_home({"instructor": "true"})
    no_exception(at)
    assert any(css in h.proto.body for h in at.get("html"))
    assert at.toggle(key="instructor").value is True
    assert len(_links(at)) == len(_links(plain))
    # on a projector the class plan is the first section; a learner meets it further down
    heads = [h.value for h in at.header]
    assert heads[0] == "A 50-minute class"
    assert [h.value for h in plain.header].index("A 50-minute class") > 0


def _class_plan():
    import ast

    tree = ast.parse((Path(__file__).resolve().parents[2] / "pages" / "home.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign)
                and getattr(n.targets[0], "id", "") == "CLASS_PLAN")
    return ast.literal_eval(node.value)


def test_class_plan_fills_fifty_minutes_with_links_that_work():
    plan = _class_plan()
    assert plan[0][0].startswith("0-") and plan[-1][0].endswith("50 min")
    at = open_home()
    links = [p for p in at.get("page_link") if "instructor" in str(p.proto)]
    assert len(links) >= len(plan)
    for _, file, preset, _ in plan:
        if preset is None:
            continue
        page = open_page(file, {"preset": preset})
        no_exception(page)
        assert page.selectbox(key="preset").value == preset, (file, preset)
