"""Conclusion page: summary table, the quiz marked question by question (and counted in the
class pulse), the cheat sheet."""

import re

import pytest

from tests.conftest import no_exception, open_as_instructor, open_page
from ui import cheatsheet, pulse, quiz
from ui import pulse_store as ps
from ui.glossary import term
from ui.nav import PAGES, by_file

FILE = "s7_conclusion.py"
QS = quiz.QUESTIONS


def _radio(at, q):
    """The radio of question ``q`` (its key carries the attempt number: quiz<n>_<key>)."""
    return next(r for r in at.radio if r.key.endswith(f"_{q.key}"))


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _check(at, q):
    """The Check button of question ``q`` (quiz_check<attempt>_<key>)."""
    return next(b for b in at.button if b.key and b.key.startswith("quiz_check")
                and b.key.endswith(f"_{q.key}"))


def _answer(at, q, i):
    """Pick option ``i`` of ``q`` and commit it."""
    _radio(at, q).set_value(i).run()
    _check(at, q).click().run()


def test_opens_with_the_summary_table_and_an_unanswered_quiz():
    at = open_page(FILE)
    no_exception(at)
    table = next(m.value for m in at.markdown if m.value.startswith("| Problem |"))
    assert table.count("\n") == len(cheatsheet.SUMMARY) + 1
    for r in cheatsheet.SUMMARY:
        assert r.problem in table and r.fix.split(",")[0] in table
    urls = set(re.findall(r"\]\(([a-z0-9-]+)\)", table))
    assert urls and urls <= {p.url for p in PAGES}
    # a phone gets the same rows stacked (CSS shows one form by width): same text, same links
    cards = next(m.value for m in at.markdown if m.value.startswith("**" + cheatsheet.SUMMARY[0].problem))
    for r in cheatsheet.SUMMARY:
        assert f"**{r.problem}**" in cards and f"*Cause:* {r.cause}" in cards
        assert f"*Fix:* {r.fix}" in cards
    assert set(re.findall(r"\]\(([a-z0-9-]+)\)", cards)) == urls
    assert len(at.radio) == len(QS) >= 8
    assert all(r.value is None for r in at.radio)
    assert not at.metric  # no score before checking
    assert {b.proto.label for b in at.get("download_button")} == {
        "Cheat sheet (HTML)", "Cheat sheet (Markdown)", "Download as notebook"}
    assert "{term(" not in " ".join(m.value for m in at.markdown)  # every link is rendered
    extras = cheatsheet.extras_markdown(level=3).strip()
    assert any(m.value.strip() == extras for m in at.markdown)  # the preview


def test_first_screen_shape_and_the_quiz_in_tabs():
    """Lead of at most two sentences, the table straight under it, the thread folded, the
    questions four to a tab; the thread quotes section 5b's run length, not a typed one."""
    at = open_page(FILE)
    lead = at.markdown[0].value
    assert len(re.findall(r"[.!?](?:\s|$)", lead)) <= 2
    assert [h.value for h in at.header][:2] == ["The lesson on one table",
                                                f"Quiz: {len(QS)} questions across the lesson"]
    assert "The thread through the lesson" in [e.label for e in at.expander]
    tabs = at.tabs
    assert [t.label for t in tabs] == [f"Questions {a + 1}–{min(a + 4, len(QS))}"
                                       for a in range(0, len(QS), 4)]
    assert sum(len(t.get("radio")) for t in tabs) == len(QS)
    text = " ".join(m.value for m in at.markdown)
    T = quiz.GATED["seq_len"]
    assert f"back over the {T - 1} steps of section 5b's run" in text and "fifty" not in text
    spec = at.session_state[f"_notebook_{by_file(FILE).url}"]
    assert spec["recipe"].fn.key == "gated.compare_cells" and spec["recipe"].params == {}


def test_answering_one_question_marks_it_at_once_and_leaves_the_others_unmarked():
    at = open_page(FILE)
    q = QS[0]
    _radio(at, q).set_value(q.correct).run()
    assert not at.success and not at.error and not at.metric  # picked, not yet committed
    _check(at, q).click().run()
    no_exception(at)
    assert len(at.success) == 1 and not at.error  # only this question is marked
    assert q.why in at.success[0].value
    assert _radio(at, q).disabled and _radio(at, q).value == q.correct  # locked in
    assert all(_radio(at, o).value is None and not _radio(at, o).disabled for o in QS[1:])
    assert {b.key for b in at.button if b.key.startswith("quiz_check")} == {
        f"quiz_check0_{o.key}" for o in QS[1:]}  # the others still wait for a check
    assert at.metric[0].value == f"1 / {len(QS)}"
    assert at.metric[1].value == f"1 / {len(QS)}"  # answered
    assert not dict(at.query_params)  # answers never go into the link

    wrong = QS[1]
    _answer(at, wrong, (wrong.correct + 1) % len(wrong.options))
    no_exception(at)
    assert len(at.success) == 1 and len(at.error) == 1
    assert wrong.why in at.error[0].value and wrong.options[wrong.correct] in at.error[0].value
    assert at.metric[0].value == f"1 / {len(QS)}" and at.metric[1].value == f"2 / {len(QS)}"


def test_the_check_button_waits_for_a_pick():
    at = open_page(FILE)
    assert all(_check(at, q).disabled for q in QS)
    _radio(at, QS[2]).set_value(0).run()
    assert not _check(at, QS[2]).disabled and _check(at, QS[3]).disabled


def test_quiz_is_scored_explained_locked_and_retakeable():
    at = open_page(FILE)
    right = QS[:6]
    wrong = QS[6]
    for q in right:
        _answer(at, q, q.correct)
    _answer(at, wrong, (wrong.correct + 1) % len(wrong.options))
    no_exception(at)
    expected = quiz.score({**{q.key: q.correct for q in right},
                           wrong.key: (wrong.correct + 1) % len(wrong.options)})
    assert (expected.correct, expected.answered) == (6, 7)
    assert at.metric[0].value == f"{expected.correct} / {len(QS)}"
    assert at.metric[1].value == f"{expected.answered} / {len(QS)}"
    assert len(at.success) == 6 and len(at.error) == 1 and not at.info
    assert all(q.why in " ".join(s.value for s in at.success) for q in right)
    captions = " ".join(c.value for c in at.caption)
    assert all(term(t) in captions for q in QS[:7] for t in q.terms)  # glossary links
    assert [_radio(at, q).value for q in right] == [q.correct for q in right]
    assert not [k for k in at.query_params if k.startswith("quiz")]
    labels = [el.proto.label for el in at.get("page_link")]
    assert by_file(wrong.page).title in labels  # the wrong answer's page is suggested
    assert by_file(right[0].page).title not in labels or right[0].page == wrong.page
    unanswered = {q.page for q in QS[7:]} - {q.page for q in QS[:7]}
    assert not {by_file(f).title for f in unanswered} & set(labels)  # not for unchecked ones
    text = " ".join(m.value for m in at.markdown)
    left = len(QS) - 7
    assert f"{left} question{'s' if left != 1 else ''} still to check" in text

    for q in QS[7:]:
        _answer(at, q, q.correct)
    no_exception(at)
    assert at.metric[0].value == f"{len(QS) - 1} / {len(QS)}"
    assert quiz.verdict(quiz.score({**{q.key: q.correct for q in QS},
                                    wrong.key: (wrong.correct + 1) % len(wrong.options)})) \
        in " ".join(m.value for m in at.markdown)
    assert all(r.disabled for r in at.radio)

    keys_before = {r.key for r in at.radio}
    _button(at, "Retake the quiz").click().run()
    no_exception(at)
    assert all(r.value is None and not r.disabled for r in at.radio)
    # fresh widget keys: a real browser would otherwise send its old picks straight back
    assert not keys_before & {r.key for r in at.radio}
    assert not at.metric and not at.success and not at.error


def test_a_checked_answer_survives_a_visit_to_another_page():
    at = open_page(FILE)
    q = QS[0]
    _answer(at, q, q.correct)
    at.switch_page("pages/glossary.py").run()
    at.switch_page(f"pages/{FILE}").run()
    no_exception(at)
    assert at.metric[0].value == f"1 / {len(QS)}"
    assert _radio(at, q).value == q.correct and _radio(at, q).disabled
    assert len(at.success) == 1
    assert not at.warning


def test_instructor_mode_offers_each_answer_for_discussion():
    at = open_as_instructor(FILE)
    no_exception(at)
    labels = [e.label for e in at.expander]
    assert labels.count("Answer, for discussion") == len(QS)


def _headings(node) -> list[int]:
    """Heading levels in page order: st.title/header/subheader and markdown "#" lines."""
    out: list[int] = []
    kind = getattr(node, "type", None)
    if kind in ("title", "header", "subheader"):
        out.append(int(node.tag[1]))
    elif kind == "markdown":
        prose = re.sub(r"^```.*?^```", "", node.value, flags=re.M | re.S)  # not code comments
        out += [len(m) for m in re.findall(r"^(#{1,6}) ", prose, flags=re.M)]
    for child in getattr(node, "children", {}).values():
        out += _headings(child)
    return out


def test_headings_go_in_order():
    at = open_page(FILE)
    _answer(at, QS[0], QS[0].correct)  # the score box adds its own heading
    levels = _headings(at.main)
    assert levels[0] == 1 and levels.count(1) == 1
    assert 3 in levels  # "Your score"
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels


# -- class pulse -------------------------------------------------------------------------------
@pytest.fixture
def room(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/pulse.sqlite"
    monkeypatch.setenv(ps.ENV_URL, url)
    engine = ps.make_engine(url)
    store = ps.store_for(engine)
    yield store, *store.create_room()
    engine.dispose()


def _bars(at) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_a_committed_quiz_answer_shows_in_the_instructors_tally(room):
    store, code, key = room
    q = QS[0]
    pick = (q.correct + 1) % len(q.options)
    learner = open_page(FILE, {"room": code})
    no_exception(learner)
    assert not any(b.startswith(pulse._md(q.options[0])) for b in _bars(learner))
    teacher = open_page(FILE, {"room": code, "key": key})
    no_exception(teacher)
    assert "0 learners answered" in " ".join(m.value for m in teacher.markdown)

    _radio(learner, q).set_value(pick).run()  # picked, not committed: nothing is counted
    assert store.tally(code).get(f"quiz:{q.key}", {}) in ({}, {o: 0 for o in q.options})
    _check(learner, q).click().run()
    no_exception(learner)
    assert "Counted anonymously in class room" in " ".join(c.value for c in learner.caption)
    assert store.tally(code)[f"quiz:{q.key}"][q.options[pick]] == 1

    teacher.run()
    no_exception(teacher)
    text = " ".join(m.value for m in teacher.markdown)
    assert "1 learner answered" in text
    assert any(b.startswith(f"{pulse._md(q.options[pick])}: **1** (100%)")
               for b in _bars(teacher))
    # the learner sees no tally; the teacher's tally does not mark the answer before its own
    # check of that question
    assert not any("learner" in m.value and "answered" in m.value for m in learner.markdown)
    assert not any("**correct**" in b for b in _bars(teacher))
    _answer(teacher, q, q.correct)  # once the instructor has checked it, the key is marked
    no_exception(teacher)
    assert any(b.startswith(pulse._md(q.options[q.correct])) and "**correct**" in b
               for b in _bars(teacher))
    assert store.tally(code)[f"quiz:{q.key}"][q.options[pick]] == 1


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
