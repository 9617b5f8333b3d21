"""The quiz data and scoring, and the figures its questions quote, checked independently."""

import math

import pytest
import torch

from ui import quiz
from ui.glossary import find
from ui.nav import PAGES

Q = quiz.BY_KEY


def test_at_least_eight_well_formed_questions_spanning_every_section():
    assert len(quiz.QUESTIONS) >= 8
    assert len(Q) == len(quiz.QUESTIONS)  # unique keys
    files = {p.file for p in PAGES}
    for q in quiz.QUESTIONS:
        assert q.page in files
        assert len(q.options) >= 3 and len(set(q.options)) == len(q.options)
        assert 0 <= q.correct < len(q.options)
        assert len(q.why) > 80  # every answer is explained
        assert q.terms and all(find(t) for t in q.terms)  # glossary links resolve
    covered = {q.page for q in quiz.QUESTIONS}
    assert covered >= {"s1_vanishing.py", "s2_exploding.py", "s3_why.py", "s4_effects.py",
                       "s5_clipping.py", "s5_gated.py", "s6_init_norm.py"}
    # the right answer is not always in the same place
    assert len({q.correct for q in quiz.QUESTIONS}) >= 3


def test_score_counts_right_wrong_and_unanswered():
    qs = quiz.QUESTIONS
    perfect = quiz.score({q.key: q.correct for q in qs})
    assert (perfect.correct, perfect.answered, perfect.total) == (len(qs), len(qs), len(qs))
    assert perfect.percent == 100 and perfect.missed_pages() == []
    wrong = quiz.score({q.key: (q.correct + 1) % len(q.options) for q in qs})
    assert (wrong.correct, wrong.answered) == (0, len(qs))
    assert quiz.score({}).answered == 0 and quiz.score({}).correct == 0

    answers = {qs[0].key: qs[0].correct, qs[1].key: qs[1].correct,
               qs[2].key: (qs[2].correct + 1) % len(qs[2].options)}
    s = quiz.score(answers)
    assert (s.correct, s.answered, s.total) == (2, 3, len(qs))
    assert s.results[qs[0].key] is True and s.results[qs[2].key] is False
    assert s.results[qs[3].key] is None
    assert math.isclose(s.percent, 200 / len(qs))
    expected = []
    for q in qs[2:]:
        if q.page not in expected:
            expected.append(q.page)
    assert s.missed_pages() == expected  # wrong or unanswered, lesson order, no repeats
    assert qs[0].page not in expected  # both questions of that page were right


@pytest.mark.parametrize("bad", [None, -1, 99, True, "1", 1.0, [1]])
def test_invalid_choices_count_as_unanswered(bad):
    q = quiz.QUESTIONS[0]
    s = quiz.score({q.key: bad})
    assert s.results[q.key] is None and s.answered == 0
    assert not quiz.is_correct(q, bad)


def test_verdict_bands():
    qs = quiz.QUESTIONS
    full = quiz.verdict(quiz.score({q.key: q.correct for q in qs}))
    none = quiz.verdict(quiz.score({}))
    assert full.startswith("Full marks") and full != none


# -- the figures the questions quote ------------------------------------------------------------
def test_clipping_numbers_match_torch():
    q = Q["clip_direction"]
    right = q.options[q.correct]
    g = torch.tensor([3.0, 0.1], dtype=torch.float64)
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_([p], 1.0)
    assert f"{total.item():.4f}" in q.why  # 3.0017, the norm it divides by
    assert f"({p.grad[0].item():.4f}, {p.grad[1].item():.4f})" in right  # (0.9994, 0.0333)
    p.grad = g.clone()
    torch.nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [1.0, 0.1] and "Value: (1, 0.1)" in right


def test_adding_problem_chance_line_is_one_sixth():
    from core.tasks import make_task

    q = Q["chance"]
    assert "1/6 = 0.167" in q.options[q.correct]
    x, y = make_task("adding", 100).sample(20000, torch.Generator().manual_seed(0))
    mse = ((y.double() - 1.0) ** 2).mean().item()  # always answer 1
    assert abs(mse - 1 / 6) < 0.006


def test_tanh_jacobian_answer_matches_autograd():
    q = Q["jacobian"]
    assert q.options[q.correct] == "diag(1 - h_t^2) W_hh"
    torch.manual_seed(0)
    cell = torch.nn.RNNCell(3, 5, dtype=torch.float64)
    x, h0 = torch.randn(3, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda h: cell(x, h), h0)
    h1 = cell(x, h0).detach()
    assert torch.allclose(J, torch.diag(1 - h1 ** 2) @ cell.weight_hh, atol=1e-12)


def test_measured_figures_are_read_from_the_shipped_runs():
    """No measured number is typed into the quiz: each one is the shipped run's, formatted."""
    s1 = quiz.shipped("vanishing.gradient_profile")
    n = s1["result"]["grad_norm"]
    T = len(n)
    q = Q["vanish_size"]
    assert f"H = {s1['params']['hidden_size']}) reads {T} steps" in q.prompt
    assert f"t = {T // 2}?" in q.prompt
    assert quiz.figure(n[T // 2] / n[-1]) in q.why and quiz.figure(s1["result"]["ratio"]) in q.why
    assert f"sigma_max = {s1['result']['sigma_max']:.2f}" in Q["bound"].why
    g = quiz.shipped("gated.compare_cells")
    runs, T = g["result"]["runs"], g["params"]["seq_len"]
    q = Q["gates_init"]
    assert f"T = {T}," in q.prompt and f"||dL/dh_{T - 1}||" in q.prompt
    assert quiz.figure(runs["rnn"]["ratio_init"]) in q.prompt
    for rid, key in [("lstm", "ratio_init"), ("lstm", "ratio_final"), ("gru", "ratio_final"),
                     ("lstm_fb1", "ratio_init")]:
        assert quiz.figure(runs[rid][key]) in q.why, (rid, key)
    nc = quiz.shipped("init_norm.norm_compare")["result"]["runs"]
    assert quiz.figure(nc["layer"]["ratio_init"]) in Q["norm_verdict"].why
    assert f"{nc['none']['final_loss']:.3f}" in Q["norm_verdict"].why
    lab2 = quiz.shipped("compare.tasks")["result"]["runs"]
    assert f"{lab2['rnn']['eval_loss']:.3f}" in Q["chance"].why
    lab1 = quiz.shipped("lab_clipping.compare")["result"]["runs"][0]
    assert f"step {lab1['first_nonfinite']['step']}," in Q["explode_sign"].why
    # a figure that was once typed in must not come back
    for typed in ("about 1e-5", "about 2e-12", "2e-10 (loss", "1500 steps", "a billionth"):
        assert all(typed not in x for q in quiz.QUESTIONS for x in (q.prompt, q.why)), typed


def test_figure_formatting():
    assert quiz.figure(3.2e-12) == "3e-12" and quiz.figure(0.0807) == "0.081"
    assert quiz.figure(9.06e-6) == "9e-6" and quiz.figure(4.2e5) == "4e+5"
    assert quiz.figure(float("nan")) == "not a number" and quiz.figure(0.0) == "0"


def test_a_missing_shipped_run_drops_the_sentence_not_the_question(monkeypatch):
    monkeypatch.setattr(quiz, "GATED", None)
    q = quiz._q10()
    assert q.correct == 1 and "Section 5b" not in q.why and "T = 50" in q.prompt


def test_a_partly_checked_sheet_scores_what_was_checked():
    """The page marks questions one by one: the score counts the checked ones, and pages to
    revisit come from the wrong answers only (grading just the checked questions)."""
    qs = quiz.QUESTIONS
    wrong = next(q for q in qs[1:] if q.page != qs[0].page)
    answers = {qs[0].key: qs[0].correct, wrong.key: (wrong.correct + 1) % len(wrong.options)}
    s = quiz.score(answers)
    assert (s.correct, s.answered, s.total) == (1, 2, len(qs))
    checked = [q for q in qs if s.results[q.key] is not None]
    assert quiz.score(answers, checked).missed_pages() == [wrong.page]
    assert len(s.missed_pages()) > 1  # the whole sheet also counts the unchecked ones
