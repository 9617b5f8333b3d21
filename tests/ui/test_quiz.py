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


def test_vanishing_sizes_quoted_in_question_one():
    from core.models import build_model
    from core.probes import gradient_norms_by_step, hidden_state_gradients
    from core.tasks import make_task

    q = Q["vanish_size"]
    assert q.options[q.correct] == "About a hundred thousand times smaller"
    assert "1e-5" in q.why and "1e-10" in q.why
    task = make_task("adding", 50)
    model = build_model("rnn", 2, 32, 1, seed=0)
    x, y = task.sample(32, torch.Generator().manual_seed(1))
    n = gradient_norms_by_step(hidden_state_gradients(
        model, x, lambda out: task.loss(out, y.double()), dtype=torch.float64))
    mid, first = (n[25] / n[49]).item(), (n[0] / n[49]).item()
    assert 1e-6 < mid < 1e-4  # "about 1e-5"
    assert 1e-11 < first < 1e-9  # "about 1e-10"

