"""Glossary page: one anchored heading per entry, the jump index, and links into the app."""


from tests.conftest import no_exception, open_as_instructor, open_page
from ui import glossary
from ui.layout import PAGE_END_ID, PROJECTOR_CSS
from ui.nav import by_file

FILE = "glossary.py"


def test_every_entry_has_its_anchored_heading_definition_and_page_links():
    at = open_page(FILE)
    no_exception(at)
    heads = {h.proto.anchor: h.proto.body for h in at.subheader}
    assert set(heads) == set(glossary.BY_ANCHOR)
    for t in glossary.TERMS:
        assert heads[t.anchor] == t.name
    text = " ".join(m.value for m in at.markdown)
    for t in glossary.TERMS:
        assert t.definition in text
        assert f"[{t.name}](#{t.anchor})" in text  # the jump index
    labels = [el.proto.label for el in at.get("page_link")]
    expected = sum(len(t.pages) for t in glossary.TERMS)
    assert len(labels) >= expected
    for t in glossary.TERMS:
        for f in t.pages:
            assert by_file(f).title in labels
    assert any(PAGE_END_ID in h.proto.body for h in at.get("html"))  # browser tests wait for it
    topics = {h.proto.anchor for h in at.header}
    assert {f"topic-{glossary.slug(g)}" for g in glossary.GROUPS} <= topics


def test_related_links_point_at_entries_on_the_page():
    at = open_page(FILE)
    captions = " ".join(c.value for c in at.caption)
    for t in glossary.TERMS:
        for a in t.related:
            assert f"(#{a})" in captions


def test_deep_link_to_the_glossary_in_instructor_mode():
    at = open_as_instructor(FILE)
    no_exception(at)
    assert at.title[0].value == "Glossary"
    assert len(at.subheader) == len(glossary.TERMS)
    assert any(PROJECTOR_CSS.strip() in h.proto.body for h in at.get("html"))
