"""Conclusion page: summary table, the scored and retakeable quiz, the cheat sheet."""

import re

from streamlit.testing.v1 import AppTest

from tests.conftest import APP, no_exception, open_page
from ui import cheatsheet, quiz
from ui.glossary import term
from ui.nav import PAGES, by_file

FILE = "s7_conclusion.py"
QS = quiz.QUESTIONS


def _radio(at, q):
    """The radio of question ``q`` (its key carries the attempt number: quiz<n>_<key>)."""
    return next(r for r in at.radio if r.key.endswith(f"_{q.key}"))


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_opens_with_the_summary_table_and_an_unanswered_quiz():
    at = open_page(FILE)
    no_exception(at)
    table = next(m.value for m in at.markdown if m.value.startswith("| Problem |"))
    assert table.count("\n") == len(cheatsheet.SUMMARY) + 1
    for r in cheatsheet.SUMMARY:
        assert r.problem in table and r.fix.split(",")[0] in table
    urls = set(re.findall(r"\]\(([a-z0-9-]+)\)", table))
    assert urls and urls <= {p.url for p in PAGES}
    assert len(at.radio) == len(QS) >= 8
    assert all(r.value is None for r in at.radio)
    assert not at.metric  # no score before checking
    assert {b.proto.label for b in at.get("download_button")} == {
        "Cheat sheet (HTML)", "Cheat sheet (Markdown)"}
    extras = cheatsheet.extras_markdown(level=4).strip()
    assert any(m.value.strip() == extras for m in at.markdown)  # the preview


def test_quiz_is_scored_explained_locked_and_retakeable():
    at = open_page(FILE)
    right = QS[:6]
    wrong = QS[6]
    for q in right:
        _radio(at, q).set_value(q.correct)
    _radio(at, wrong).set_value((wrong.correct + 1) % len(wrong.options))
    assert not dict(at.query_params)  # answers never go into the link
    _button(at, "Check my answers").click().run()
    no_exception(at)
    expected = quiz.score({**{q.key: q.correct for q in right},
                           wrong.key: (wrong.correct + 1) % len(wrong.options)})
    assert expected.correct == 6
    assert at.metric[0].value == f"{expected.correct} / {len(QS)}"
    assert len(at.success) == 6 and len(at.error) == 1 and len(at.info) == len(QS) - 7
    assert wrong.why in at.error[0].value and wrong.options[wrong.correct] in at.error[0].value
    assert all(q.why in " ".join(s.value for s in at.success) for q in right)
    captions = " ".join(c.value for c in at.caption)
    assert all(term(t) in captions for q in QS for t in q.terms)  # glossary links per answer
    assert all(r.disabled for r in at.radio)  # graded answers are locked, and shown
    assert [_radio(at, q).value for q in right] == [q.correct for q in right]
    assert not [k for k in at.query_params if k.startswith("quiz")]
    labels = [el.proto.label for el in at.get("page_link")]
    missed = [by_file(f).title for f in expected.missed_pages()]
    assert missed and all(t in labels for t in missed)  # links to revisit what was missed
    assert by_file(right[0].page).title not in labels  # fully right pages are not suggested

    keys_before = {r.key for r in at.radio}
    _button(at, "Retake the quiz").click().run()
    no_exception(at)
    assert all(r.value is None and not r.disabled for r in at.radio)
    # fresh widget keys: a real browser would otherwise send its old picks straight back
    assert not keys_before & {r.key for r in at.radio}
    assert not at.metric and not at.success and not at.error


def test_graded_quiz_survives_a_visit_to_another_page():
    at = open_page(FILE)
    q = QS[0]
    _radio(at, q).set_value(q.correct)
    _button(at, "Check my answers").click().run()
    at.switch_page("pages/glossary.py").run()
    at.switch_page(f"pages/{FILE}").run()
    no_exception(at)
    assert at.metric[0].value == f"1 / {len(QS)}"
    assert _radio(at, q).value == q.correct
    assert not at.warning


def test_unanswered_quiz_scores_zero_and_shows_every_answer():
    at = open_page(FILE)
    _button(at, "Check my answers").click().run()
    no_exception(at)
    assert at.metric[0].value == f"0 / {len(QS)}"
    info = " ".join(i.value for i in at.info)
    assert all(q.options[q.correct] in info for q in QS)


def test_instructor_mode_offers_each_answer_for_discussion():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["instructor"] = "true"
    at.run()
    at.switch_page(f"pages/{FILE}")
    at.run()
    no_exception(at)
    labels = [e.label for e in at.expander]
    assert labels.count("Answer, for discussion") == len(QS)


def test_cheat_sheet_is_self_contained_and_complete():
    html = cheatsheet.html()
    md = cheatsheet.markdown()
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    assert "<script" not in html and "src=" not in html and "http" not in html
    assert "<link" not in html and "@import" not in html
    for r in cheatsheet.SUMMARY:
        for text in (r.problem, r.cause, r.symptom, r.fix):
            assert text.replace("|", "\\|") in md  # pipes escaped inside the table
            assert text.replace("'", "&#x27;").replace("<", "&lt;").replace(">", "&gt;") in html
    assert md.count("\n| ") == len(cheatsheet.SUMMARY) + 2  # header, rule, rows
    for name, eq in cheatsheet.EQUATIONS:
        assert eq in md
    assert "0.9994, 0.0333" in md and "1/6 = 0.167" in md
    # the gates line quotes section 5b's shipped run, not typed-in numbers
    g = quiz.shipped("gated.compare_cells")
    runs, T = g["result"]["runs"], g["params"]["seq_len"]
    line = next(n for n in cheatsheet.NUMBERS if n.startswith("Gates help once trained"))
    assert f"T = {T}" in line and f"||dL/dh_{T - 1}||" in line and "one seed" in line
    for rid, key in [("rnn", "ratio_init"), ("lstm", "ratio_init"), ("gru", "ratio_init"),
                     ("lstm", "ratio_final"), ("gru", "ratio_final")]:
        assert quiz.figure(runs[rid][key]) in line, (rid, key)
    assert line in md
