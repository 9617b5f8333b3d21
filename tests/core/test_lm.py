import math
import re
import string
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from core.lm import (
    CharLM,
    lag_profile,
    lm_loss,
    lm_script,
    perplexity,
    sample,
    train_lm,
)
from core.probes import hidden_state_gradients_naive
from core.text import BracketLanguage, CharCorpus, load_corpus

torch.set_num_threads(1)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("embed_dim", [0, 6])
def test_shapes_and_seeded_weights(cell, embed_dim):
    a = CharLM(cell, 11, 8, embed_dim=embed_dim, seed=4)
    b = CharLM(cell, 11, 8, embed_dim=embed_dim, seed=4)
    ids = torch.randint(0, 11, (3, 7), generator=torch.Generator().manual_seed(0))
    out = a(ids)
    assert out.shape == (3, 7, 11)
    assert torch.equal(out, b(ids))
    assert not torch.equal(out, CharLM(cell, 11, 8, embed_dim=embed_dim, seed=5)(ids))
    assert a.inputs(ids).shape == (3, 7, embed_dim or 11)


def test_loss_and_perplexity_match_a_hand_computation():
    logits = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([[0, 4, 2], [1, 1, 3]])
    logp = logits.log_softmax(-1)
    hand = -sum(logp[b, t, y[b, t]] for b in range(2) for t in range(3)) / 6
    assert float(lm_loss(logits, y)) == pytest.approx(float(hand), rel=1e-6)
    assert perplexity(math.log(7.0)) == pytest.approx(7.0)
    assert perplexity(float("nan")) == math.inf


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_lag_profile_matches_the_naive_per_step_gradients(cell):
    lm = CharLM(cell, 9, 6, embed_dim=4, seed=1).double()
    x = torch.randint(0, 9, (3, 10), generator=torch.Generator().manual_seed(2))
    y = torch.randint(0, 9, (3, 10), generator=torch.Generator().manual_seed(3))
    prof = lag_profile(lm, x, y)
    inp = lm.inputs(x).detach()
    g = hidden_state_gradients_naive(lm.rnn, inp, lambda o: F.cross_entropy(o[:, -1], y[:, -1]))
    want = g.pow(2).sum(dim=(0, 2)).sqrt().flip(0)
    assert prof == pytest.approx(want.tolist(), rel=1e-6, abs=1e-30)
    assert len(prof) == 10 and prof[0] > prof[-1]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_greedy_sampling_agrees_with_the_fused_forward(cell):
    lm = CharLM(cell, 7, 8, embed_dim=5, seed=0)
    with torch.no_grad():
        for p in lm.parameters():
            p.mul_(3.0)  # sharper predictions
    prompt = [1, 2]
    got = sample(lm, prompt, 6, temperature=1e-4, generator=torch.Generator().manual_seed(0))
    seq = list(prompt)
    with torch.no_grad():
        for _ in range(6):
            seq.append(int(lm(torch.tensor([seq]))[0, -1].argmax()))
    assert got == seq[2:]


def test_sampling_is_seeded_and_temperature_is_checked():
    lm = CharLM("gru", 7, 8, seed=0)
    a = sample(lm, [3], 30, temperature=1.0, generator=torch.Generator().manual_seed(9))
    b = sample(lm, [3], 30, temperature=1.0, generator=torch.Generator().manual_seed(9))
    c = sample(lm, [3], 30, temperature=1.0, generator=torch.Generator().manual_seed(10))
    assert a == b and a != c and len(a) == 30 and all(0 <= i < 7 for i in a)
    g = torch.Generator()
    with pytest.raises(ValueError):
        sample(lm, [3], 5, temperature=0.0, generator=g)
    with pytest.raises(ValueError):
        sample(lm, [], 5, generator=g)


def test_training_learns_a_deterministic_text_and_records_everything():
    corpus = CharCorpus.from_text(string.ascii_lowercase * 30)
    lm = CharLM("gru", corpus.vocab_size, 16, embed_dim=8, seed=0)
    vx, vy = corpus.batch(8, 10, torch.Generator().manual_seed(5), split="val")
    h = train_lm(lm, lambda b, g: corpus.batch(b, 10, g), steps=60, batch_size=8, lr=0.03,
                 eval_fn=lambda m: {"loss": float(lm_loss(m(vx), vy))}, eval_every=20,
                 probe=(vx, vy), probe_every=30)
    assert len(h["loss"]) == 60 and h["step"] == list(range(60))
    assert h["loss"][-1] < 0.2 * h["loss"][0]  # next letter = this letter + 1: learnable
    assert [e["step"] for e in h["evals"]] == [0, 20, 40, 60]
    assert h["evals"][-1]["loss"] < h["evals"][0]["loss"]
    assert [p["step"] for p in h["probes"]] == [0, 30, 60]
    assert h["final_loss"] == pytest.approx(sum(h["loss"][-20:]) / 20)
    lm2 = CharLM("gru", corpus.vocab_size, 16, embed_dim=8, seed=0)
    h2 = train_lm(lm2, lambda b, g: corpus.batch(b, 10, g), steps=60, batch_size=8, lr=0.03)
    assert h2["loss"] == h["loss"]  # evals and probes do not change training


def _run_script(src, tmp_path, *args):
    path = tmp_path / "run.py"
    path.write_text(src)
    out = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    return {m[0]: float(m[1]) for m in re.findall(r"^(\w+) final loss ([\d.]+)", out.stdout,
                                                   re.M)}


def test_downloaded_script_reproduces_the_pydoc_run(tmp_path):
    corpus = load_corpus()
    cfg = dict(hidden_size=12, embed_dim=6, seq_len=16, batch_size=4, steps=25, lr=0.01,
               seed=3)
    want = {}
    for cell in ["rnn", "lstm"]:
        lm = CharLM(cell, corpus.vocab_size, 12, embed_dim=6, seed=3)
        want[cell] = train_lm(lm, lambda b, g: corpus.batch(b, 16, g), steps=25, batch_size=4,
                              lr=0.01, seed=3)["final_loss"]
    src = lm_script(cells=["rnn", "lstm"], clip=1.0, **cfg)
    assert "from core" not in src and "import core" not in src
    got = _run_script(src, tmp_path)
    assert got.keys() == want.keys()
    for c in want:
        assert got[c] == pytest.approx(want[c], abs=2e-6)


def test_downloaded_script_reproduces_the_bracket_run(tmp_path):
    lang = BracketLanguage(7)
    lm = CharLM("gru", lang.vocab_size, 10, embed_dim=0, seed=1)
    want = train_lm(lm, lambda b, g: lang.batch(b, g), steps=30, batch_size=16, lr=0.01,
                    seed=1)["final_loss"]
    src = lm_script(data="brackets", max_distance=7, cells=["gru"], hidden_size=10,
                    embed_dim=0, seq_len=7, batch_size=16, steps=30, lr=0.01, clip=1.0, seed=1)
    got = _run_script(src, tmp_path)
    assert got["gru"] == pytest.approx(want, abs=2e-6)
    lm = CharLM("gru", lang.vocab_size, 10, embed_dim=0, seed=1)
    short = train_lm(lm, lambda b, g: lang.batch(b, g), steps=5, batch_size=16, lr=0.01,
                     seed=1)["final_loss"]
    assert _run_script(src, tmp_path, "--steps", "5")["gru"] == pytest.approx(short, abs=2e-6)
