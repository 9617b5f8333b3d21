"""What the conclusion page's quiz and cheat sheet rely on.

- the claims declared beside this app's experiments that the keyed answers use
  (``ui.quiz.DECLARED``), over their settings and seeds;
- ``ui.quiz.CHECKS``: claims about other pages' runs, over seeds 0-4 (live) or, for a one-run
  claim, on the shipped run the quiz quotes;
- the sentences that speak about the seeds as a set ("swing by orders of magnitude").
"""

import importlib

import pytest

from core.claims import CLAIMS, SEEDS
from core.experiments import resolve
from tests.claims.helpers import check_perturbed, result_for, run_case
from ui import quiz
from ui.demos import canonical

#: For tests/claims/test_coverage.py: the declared claims the quiz relies on, and its own checks.
CLAIM_KEYS = list(quiz.DECLARED)
EXTRA_CLAIMS = list(quiz.CHECKS)


def _declared():
    for key in quiz.DECLARED:
        importlib.import_module(f"core.experiments.{key.split('.', 1)[0]}")
    return [CLAIMS[k] for k in quiz.DECLARED]


def _cases():
    """The quiz quotes the pages' default runs: each claim at its default settings ``{}``."""
    out = []
    for c in _declared() + [c for c in quiz.CHECKS if c.seeds is not None]:
        assert {} in c.settings, f"{c.key} is not claimed at the page's defaults"
        group = pytest.mark.xdist_group(c.experiment.split(".", 1)[0])
        for seed in c.seeds:
            out.append(pytest.param(c, {}, seed, id=f"{c.name}[seed={seed}]", marks=group))
    return out


@pytest.mark.parametrize(("c", "settings", "seed"), _cases())
def test_quiz_claim_holds(c, settings, seed):
    run_case(c, settings, seed)


@pytest.mark.parametrize("c", [pytest.param(c, id=c.name) for c in quiz.CHECKS
                               if c.seeds is not None])
def test_quiz_claim_can_fail(c):
    check_perturbed(c)


@pytest.mark.parametrize("c", [pytest.param(c, id=c.name) for c in quiz.CHECKS
                               if c.seeds is None])
def test_one_run_claim_holds_on_the_shipped_run_the_quiz_quotes(c):
    demo = quiz.shipped(c.experiment)
    assert demo is not None, f"{c.experiment} has no shipped run"
    fn = resolve(c.experiment)
    assert canonical(demo["params"]) == canonical(fn.defaults)  # the page's default run
    r = demo["result"]
    assert c.holds(r), f"{c.key}: {c.text} [{c.evidence(r)}]"
    assert not c.holds(c.perturb(r)), f"{c.key} accepts its perturbed result"


def test_the_declared_claims_exist_and_can_fail():
    for c in _declared():
        assert c.seeds == SEEDS
        check_perturbed(c)


@pytest.mark.xdist_group("vanishing")
def test_first_last_ratios_swing_by_orders_of_magnitude_over_seeds():
    """Question 1 and the cheat sheet: 'the figures swing by orders of magnitude from seed to
    seed'. Section 1's probe (middle step) and Lab 2's probe before training (step 0)."""
    c = next(c for c in quiz.CHECKS if c.name == "quiz_middle_fades")
    mids = []
    for s in SEEDS:
        n = result_for(c, {}, s)["grad_norm"]
        mids.append(n[len(n) // 2] / n[-1])
    assert max(mids) / min(mids) > 10, mids
    from core.experiments.compare import far_ratio

    tasks = CLAIMS["compare.tasks.closed_at_init"]
    rnn = [far_ratio(result_for(tasks, {}, s)["runs"]["rnn"], 0) for s in SEEDS]
    assert max(rnn) / min(rnn) > 10, rnn
