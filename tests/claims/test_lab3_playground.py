"""Claims made by pages/lab3_playground.py, over their settings and seeds."""

import pytest

from tests.claims.helpers import cases, check_perturbed, claims_of, run_case

MODULE = "playground"


@pytest.mark.parametrize(("c", "settings", "seed"), cases(MODULE))
def test_claim_holds(c, settings, seed):
    run_case(c, settings, seed)


@pytest.mark.parametrize("c", claims_of(MODULE))
def test_claim_can_fail(c):
    check_perturbed(c)
