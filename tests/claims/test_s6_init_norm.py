"""Claims made by pages/s6_init_norm.py, over their settings and seeds.

Three experiments: ``init_profiles`` (the six starts untrained, milliseconds), ``init_schemes``
(the six starts after a short run, one run per seed) and ``norm_compare`` at the page's
defaults (tanh RNN) and at its "Normalised LSTMs" preset; each distinct run is made once and
shared by every claim that reads it.
"""

import pytest

from tests.claims.helpers import cases, check_perturbed, claims_of, run_case

MODULE = "init_norm"


@pytest.mark.parametrize(("c", "settings", "seed"), cases(MODULE))
def test_claim_holds(c, settings, seed):
    run_case(c, settings, seed)


@pytest.mark.parametrize("c", claims_of(MODULE))
def test_claim_can_fail(c):
    check_perturbed(c)
