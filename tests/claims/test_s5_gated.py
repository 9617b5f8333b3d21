"""Claims made by pages/s5_gated.py, over their settings and seeds.

One ``compare_cells`` run trains four cells (about 10-25 s on one thread), so the claims of
this page cost five such runs, one per seed; every claim reads the same cached result. The
claims about the untrained cells read ``fresh_cells`` (no training, milliseconds).
"""

import pytest

from tests.claims.helpers import cases, check_perturbed, claims_of, run_case

MODULE = "gated"


@pytest.mark.parametrize(("c", "settings", "seed"), cases(MODULE))
def test_claim_holds(c, settings, seed):
    run_case(c, settings, seed)


@pytest.mark.parametrize("c", claims_of(MODULE))
def test_claim_can_fail(c):
    check_perturbed(c)
