import itertools
import math
import string

import pytest
import torch

from core.text import BracketLanguage, CharCorpus, corpus_text, load_corpus


def test_corpus_is_the_pydoc_topics_and_round_trips():
    from pydoc_data.topics import topics

    text = corpus_text()
    assert 400_000 < len(text) < 600_000
    assert topics["if"].strip("\n") in text
    c = load_corpus()
    assert c.vocab_size == len(set(text))
    assert c.decode(c.ids[:500]) == text[:500]
    assert c.split == round(0.9 * len(text))


def test_batches_are_shifted_windows_inside_their_split():
    c = CharCorpus.from_text(string.ascii_lowercase * 40, val_fraction=0.25)
    x, y = c.batch(16, 12, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (16, 12)
    assert torch.equal(x[:, 1:], y[:, :-1])
    # in this text every next letter is the previous one plus one (mod 26)
    assert torch.equal((x + 1) % 26, y)
    xv, _ = c.batch(64, 12, torch.Generator().manual_seed(1), split="val")
    text = c.text
    for row in xv[:5]:
        s = c.decode(row)
        assert text.find(s, c.split) >= c.split
    # same seed, same batch
    x2, _ = c.batch(16, 12, torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)
    with pytest.raises(ValueError):
        c.batch(2, 10_000)


def test_bracket_sequences_follow_the_grammar():
    lang = BracketLanguage(12)
    tokens, d = lang.sample(200, torch.Generator().manual_seed(3))
    assert tokens.shape == (200, 13)
    assert int(d.min()) >= 2 and int(d.max()) <= 12
    for row, dist in zip(tokens.tolist(), d.tolist()):
        s = lang.decode(row)
        assert s[-2] == "|"
        opener = s[12 - dist]
        assert opener in "([{<"
        assert s[-1] == ")]}>"["([{<".index(opener)]
        rest = s[:12 - dist] + s[12 - dist + 1:-2]
        assert set(rest) <= set("abcdefgh")
    fixed, dfix = lang.sample(8, torch.Generator().manual_seed(3), distance=5)
    assert (dfix == 5).all()
    assert all(lang.decode(r)[12 - 5] in "([{<" for r in fixed.tolist())
    x, y = lang.batch(4, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 12) and torch.equal(x[:, 1:], y[:, :-1])


def _enumerated_best_loss(K, n, m):
    """Exact optimum by brute force: enumerate every sequence (small K) with its probability
    and sum -log of the Bayes predictive probability of each next character."""
    opens, fill = list(range(n)), list(range(n, n + m))
    seqs = {}
    for p in range(K - 1):
        for kind in opens:
            for fills in itertools.product(fill, repeat=K - 2):
                s = list(fills)
                s.insert(p, kind)
                s = tuple(s + ["|", ("close", kind)])
                seqs[s] = seqs.get(s, 0.0) + 1.0 / ((K - 1) * n * m ** (K - 2))
    total = 0.0
    for s, ps in seqs.items():
        for t in range(1, K + 1):
            prefix = s[:t + 1]
            num = sum(q for u, q in seqs.items() if u[:t + 1] == prefix)
            den = sum(q for u, q in seqs.items() if u[:t] == s[:t])
            total -= ps * math.log(num / den)
    return total / K


@pytest.mark.parametrize("K,n,m", [(2, 2, 2), (4, 2, 2), (5, 3, 2)])
def test_best_loss_matches_brute_force_enumeration(K, n, m):
    lang = BracketLanguage(K, n_types=n, n_fillers=m)
    assert lang.best_loss == pytest.approx(_enumerated_best_loss(K, n, m), abs=1e-9)
    assert lang.no_memory_loss == pytest.approx(lang.best_loss + math.log(n) / K)
    assert lang.chance_accuracy == pytest.approx(1 / n)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        BracketLanguage(1)
    with pytest.raises(ValueError):
        BracketLanguage(10, n_types=9)
    with pytest.raises(ValueError):
        BracketLanguage(10).sample(2, distance=11)
