"""The glossary data, term() links, and the figures the definitions quote."""

import math

import pytest
import torch

from ui import glossary
from ui.glossary import BY_ANCHOR, GLOSSARY_URL, find, term
from ui.nav import PAGES, by_file

REQUIRED = [
    "BPTT", "Jacobian", "spectral radius", "singular value", "eigenvalue", "vanishing gradient",
    "exploding gradient", "Pascanu bound", "gamma", "gate", "input gate", "forget gate",
    "output gate", "reset gate", "update gate", "cell state", "gradient clipping",
    "norm clipping", "value clipping", "clipping threshold", "orthogonal initialisation", "IRNN",
    "layer norm", "recurrent batch norm", "batch norm", "chance baseline", "perplexity", "NaN",
    "inf", "float32 underflow", "LSTM", "GRU", "hidden state", "W_hh",
]


def test_data_is_consistent():
    assert glossary.check() == []
    assert len(glossary.TERMS) >= 30
    for group, terms in glossary.grouped():
        assert terms, group
    assert sum(len(t) for _, t in glossary.grouped()) == len(glossary.TERMS)


def test_glossary_url_is_the_glossary_page_path():
    assert by_file("glossary.py").url == GLOSSARY_URL
    assert not GLOSSARY_URL.startswith("/")  # relative: survives a base path


@pytest.mark.parametrize("name", REQUIRED)
def test_every_required_term_has_an_entry(name):
    t = find(name)
    assert len(t.definition) > 80
    assert all(f in {p.file for p in PAGES} for f in t.pages)


def test_term_links_by_name_alias_abbreviation_and_case():
    assert term("BPTT") == "[BPTT](glossary#bptt)"
    assert term("backpropagation through time") == "[backpropagation through time](glossary#bptt)"
    assert term("jacobians", "Jacobians") == "[Jacobians](glossary#jacobian)"
    assert term("Forget-Gate Bias") == "[Forget-Gate Bias](glossary#forget-gate-bias)"
    assert find("reset gate").anchor == "gate"
    assert find("layer-norm") is BY_ANCHOR["layer-norm"]  # the anchor itself works too
    assert term("Gain", "[x]") == "[(x)](glossary#gain)"  # brackets cannot break the link


def test_unknown_term_raises_with_suggestions():
    with pytest.raises(KeyError, match="did you mean"):
        find("clipp")
    with pytest.raises(KeyError):
        term("transformer")


def test_slug():
    assert glossary.slug("Gated cells") == "gated-cells"
    assert glossary.slug("Numbers on a computer") == "numbers-on-a-computer"


# -- figures quoted in the definitions ----------------------------------------------------------
def test_default_init_singular_value_and_spectral_radius():
    """The definitions quote random-matrix theory's 2/sqrt(3) and 1/sqrt(3) for PyTorch's
    default W_hh, not one measured seed; default builds at H = 64 and 256 over seeds 0-4 sit
    within 10% of both (and sigma_max above 1, so the bound promises nothing)."""
    from core.models import build_model

    d = find("default initialisation").definition + find("Pascanu bound").definition
    assert "2/sqrt(3)" in d and "1/sqrt(3)" in d and "1.15" in d and "0.58" in d
    assert "1.14" not in d and "0.63" not in d and "1e-21" not in d  # no single run's numbers
    for H in (64, 256):
        for seed in range(5):
            model = build_model("rnn", 2, H, 1, seed=seed)
            w_hh = next(v for k, v in model.named_parameters() if "weight_hh" in k)
            w_hh = w_hh.detach().double()
            sigma = torch.linalg.svdvals(w_hh)[0].item()
            radius = torch.linalg.eigvals(w_hh).abs().max().item()
            assert sigma > 1 and abs(sigma / (2 / 3 ** 0.5) - 1) < 0.1, (H, seed, sigma)
            assert abs(radius / (1 / 3 ** 0.5) - 1) < 0.15, (H, seed, radius)


def test_float32_limits():
    d = find("float32 underflow").definition
    assert "1.4e-45" in d and "5e-324" in d
    assert torch.tensor(1.5e-45, dtype=torch.float32).item() > 0
    assert torch.tensor(0.6e-45, dtype=torch.float32).item() == 0.0  # rounds to exactly 0
    assert torch.tensor(4e-324, dtype=torch.float64).item() > 0
    assert "3.4e38" in find("NaN").definition
    assert f"{torch.finfo(torch.float32).max:.1e}" == "3.4e+38"


def test_baselines_and_gate_numbers():
    assert f"{1 / (1 + math.exp(-1)):.2f}" == "0.73" and "0.73" in find("forget-gate bias").definition
    assert f"{10 * math.log(8) / 120:.3f}" == "0.173" and "0.173" in find("copy memory").definition
    assert f"{math.log(4):.3f}" == "1.386" and "1.386" in find("temporal order").definition
    assert "1/6 = 0.167" in find("adding problem").definition


def test_every_term_used_on_any_page_resolves():
    """Pages call term("...") with a literal name; a typo would raise on that page."""
    import re
    from pathlib import Path

    used = []
    for path in sorted((Path(__file__).resolve().parents[2] / "pages").glob("*.py")):
        used += [(path.name, m) for m in re.findall(r"\bterm\(\s*['\"]([^'\"]+)['\"]",
                                                     path.read_text())]
    assert len(used) >= 10  # home and the conclusion use it at least
    bad = []
    for f, name in used:
        try:
            find(name)
        except KeyError as e:
            bad.append((f, str(e)))
    assert not bad
