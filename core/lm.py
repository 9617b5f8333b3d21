"""Character-level language models built on ``core.models.build_model``.

- :class:`CharLM`: ids ``(B, T)`` -> an embedding (or one-hot) ``(B, T, I)`` -> one recurrent
  cell -> logits ``(B, T, V)`` over the next character.
- :func:`lm_loss`, :func:`perplexity`: mean cross-entropy per character (nats) and its exp.
- :func:`train_lm`: Adam with norm clipping on fresh batches from any ``batch_fn``; records the
  loss every step, a validation loss now and then, and the lag profile of ||dL/dh_t|| (loss on
  the last character) at chosen steps, for lag x training-step heatmaps.
- :func:`sample`: text from a trained model, with a seeded generator and a temperature.
- :func:`lm_script`: a standalone Python file (plain torch + pydoc_data) that retrains the
  same models on the same batches and prints the final losses.

Shapes: B batch, T time, V vocabulary, I input size, H hidden size.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from .models import RecurrentNet, build_model
from .probes import gradient_norms_by_step, hidden_state_gradients

__all__ = ["CharLM", "lm_loss", "perplexity", "train_lm", "sample",
           "lm_script", "FINAL_WINDOW"]

#: Final loss = mean training loss over this many last steps.
FINAL_WINDOW = 20


class CharLM(nn.Module):
    """A character-level language model: embedding (or one-hot), one recurrent cell, readout.

    ``embed_dim = 0`` feeds one-hot vectors (I = V); otherwise an ``nn.Embedding(V, E)`` with
    torch's default N(0, 1) weights drawn from a private generator seeded with ``seed + 1``
    (I = E). The recurrent part is ``build_model(cell, I, H, V, seed=seed)``. So the same
    arguments always give the same weights, whatever other threads do: torch's global RNG is
    never used.
    """

    def __init__(self, cell: str, vocab_size: int, hidden_size: int, *, embed_dim: int = 32,
                 seed: int = 0):
        super().__init__()
        self.vocab_size, self.embed_dim = int(vocab_size), int(embed_dim)
        if self.embed_dim > 0:
            with torch.device("meta"):  # thread-local mode: shapes only, no random draws
                embed = nn.Embedding(self.vocab_size, self.embed_dim)
            self.embed = embed.to_empty(device="cpu")
            gen = torch.Generator().manual_seed(int(seed) + 1)
            with torch.no_grad():  # the draws nn.Embedding makes, from gen
                nn.init.normal_(self.embed.weight, generator=gen)
        else:
            self.embed = None
        in_size = self.embed_dim or self.vocab_size
        self.rnn: RecurrentNet = build_model(cell, in_size, hidden_size, self.vocab_size,
                                             seed=seed)

    def inputs(self, ids: torch.Tensor) -> torch.Tensor:
        """ids ``(B, T)`` -> ``(B, T, I)``."""
        if self.embed is not None:
            return self.embed(ids)
        return F.one_hot(ids, self.vocab_size).float()

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids ``(B, T)`` -> logits ``(B, T, V)``."""
        return self.rnn(self.inputs(ids))


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per character (nats): logits ``(B, T, V)``, targets ``(B, T)``."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def perplexity(loss: float) -> float:
    """exp(loss): the number of equally likely characters the model is as unsure as."""
    return math.exp(loss) if math.isfinite(loss) and loss < 700 else math.inf


def lag_profile(lm: CharLM, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """||dL/dh_t|| for the loss on the LAST character only, indexed by lag (0 = last step).

    x, y: ``(B, T)`` ids. Computed in float64 so tiny values do not underflow. Returns T floats.
    """
    inp = lm.inputs(x).detach()  # (B, T, I)
    g = hidden_state_gradients(lm.rnn, inp, lambda out: F.cross_entropy(out[:, -1], y[:, -1]),
                               dtype=torch.float64)  # (B, T, H)
    return gradient_norms_by_step(g).flip(0).tolist()


def train_lm(lm: CharLM, batch_fn: Callable[[int, torch.Generator], tuple], *, steps: int,
             batch_size: int = 32, lr: float = 3e-3, clip_threshold: float = 1.0,
             seed: int = 0, eval_fn: Callable[[CharLM], dict] | None = None,
             eval_every: int = 0, probe: tuple[torch.Tensor, torch.Tensor] | None = None,
             probe_every: int = 0, callback: Callable[[dict], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> dict:
    """Train with Adam and norm clipping on ``batch_fn(batch_size, generator)`` batches.

    The batch generator is ``torch.Generator().manual_seed(seed)``, so two models trained with
    the same seed see the same batches. ``eval_fn(lm) -> dict`` runs (in eval mode, no grad)
    every ``eval_every`` steps and at the end; ``probe = (x, y)`` gets a :func:`lag_profile`
    every ``probe_every`` steps and at the end. ``callback(history)`` runs after every step.

    Returns ``{"step", "loss", "grad_norm"}`` lists (one per step), ``"evals"`` (list of
    ``{"step", ...eval_fn output}``), ``"probes"`` (list of ``{"step", "lag_norm"}``),
    ``"final_loss"`` (mean of the last FINAL_WINDOW losses), ``"first_nonfinite"`` (step or
    None), ``"stopped"`` (None, "user" or "nonfinite") and ``"seconds"``.
    """
    gen = torch.Generator().manual_seed(int(seed))
    params = list(lm.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    hist: dict = {"step": [], "loss": [], "grad_norm": [], "evals": [], "probes": [],
                  "final_loss": math.nan, "first_nonfinite": None, "stopped": None,
                  "seconds": 0.0}
    start = time.perf_counter()

    def do_eval(step: int) -> None:
        if eval_fn is not None:
            lm.eval()
            with torch.no_grad():
                hist["evals"].append({"step": step, **eval_fn(lm)})
            lm.train()

    def do_probe(step: int) -> None:
        if probe is not None:
            hist["probes"].append({"step": step, "lag_norm": lag_profile(lm, *probe)})

    done = 0
    for step in range(int(steps)):
        if should_stop is not None and should_stop():
            hist["stopped"] = "user"
            break
        if eval_every and step % eval_every == 0:
            do_eval(step)
        if probe_every and step % probe_every == 0:
            do_probe(step)
        x, y = batch_fn(batch_size, gen)
        lm.train()
        loss = lm_loss(lm(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = float(torch.nn.utils.clip_grad_norm_(params, clip_threshold))
        opt.step()
        lv = float(loss.detach())
        hist["step"].append(step)
        hist["loss"].append(lv)
        hist["grad_norm"].append(gnorm)
        done = step + 1
        bad = not (math.isfinite(lv) and math.isfinite(gnorm))
        if bad and hist["first_nonfinite"] is None:
            hist["first_nonfinite"] = step
        if callback is not None:
            callback(hist)
        if bad and not all(bool(torch.isfinite(p).all()) for p in params):
            hist["stopped"] = "nonfinite"
            break
    if hist["stopped"] != "nonfinite":
        if eval_every and (not hist["evals"] or hist["evals"][-1]["step"] != done):
            do_eval(done)
        if probe_every and (not hist["probes"] or hist["probes"][-1]["step"] != done):
            do_probe(done)
    tail = [v for v in hist["loss"][-FINAL_WINDOW:] if math.isfinite(v)]
    hist["final_loss"] = sum(tail) / len(tail) if tail else math.nan
    hist["seconds"] = time.perf_counter() - start
    return hist


@torch.no_grad()
def sample(lm: CharLM, prompt: list[int], n_chars: int, *, generator: torch.Generator,
           temperature: float = 1.0) -> list[int]:
    """Continue ``prompt`` (ids, at least one) by ``n_chars`` sampled ids.

    Each next id is drawn from softmax(logits / temperature) with ``generator`` (required, so
    the text never depends on torch's global RNG: the same seed gives the same text). Low
    temperature sharpens toward the likeliest character.
    """
    if not prompt:
        raise ValueError("the prompt needs at least one character")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError("temperature must be a positive number")
    was = lm.training
    lm.eval()
    rnn = lm.rnn
    state = rnn.init_state(1, rnn.cell.weight_hh)
    out: list[int] = []
    tok = torch.tensor([[prompt[0]]])
    seq = list(prompt)
    for t in range(len(prompt) - 1 + int(n_chars)):
        xp = lm.inputs(tok)[:, 0] @ rnn.cell.weight_ih.T  # (1, G)
        h, state = rnn.step(xp, state, t)
        if t + 1 < len(seq):
            nxt = seq[t + 1]
        else:
            logits = rnn.readout(h)[0] / temperature  # (V,)
            probs = torch.softmax(logits.double(), -1)
            if not bool(torch.isfinite(probs).all()):
                break
            nxt = int(torch.multinomial(probs, 1, generator=generator))
            out.append(nxt)
            seq.append(nxt)
        tok = torch.tensor([[nxt]])
    lm.train(was)
    return out


# ---------------------------------------------------------------------------------------------
# "Download as script"

_HEAD = '''"""{title}, trained on the same batches.
Exported from RNN Gradient Lab (Lab 2, RNN vs LSTM vs GRU).

Needs only PyTorch and the standard library. Run:  python {filename}
It prints the final training loss of every cell (mean of the last {window} steps); with the
same PyTorch version it matches the app's run ({expected}).
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
CELLS = {cells!r}
HIDDEN, EMBED, SEQ_LEN, BATCH = {hidden_size}, {embed_dim}, {seq_len}, {batch_size}
STEPS, LR, CLIP, SEED = {steps}, {lr!r}, {clip!r}, {seed}
_args = argparse.ArgumentParser(description="Retrain the exported run.")
_args.add_argument("--steps", type=int, default=STEPS,
                   help="training steps (fewer for a quick look; the final loss then differs)")
STEPS = max(1, _args.parse_args().steps)
'''

_PYDOC = '''
# -- data: Python's help pages, one id per character; the first 90 % for training -------------
from pydoc_data.topics import topics

text = "\\n\\n".join(topics[k].strip("\\n") for k in sorted(topics))
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
split = int(round(len(text) * 0.9))
V = len(chars)


def batch(gen):
    """Random windows of the training part: x (B, T) and y (B, T), y shifted by one."""
    starts = torch.randint(0, split - SEQ_LEN, (BATCH,), generator=gen)
    w = ids[starts.unsqueeze(1) + torch.arange(SEQ_LEN + 1)]
    return w[:, :-1], w[:, 1:]
'''

_BRACKETS = '''
# -- data: the bracket language. Fillers a-h, an opening bracket 2..K steps before the end,
# the marker "|" and the matching closing bracket. Ids: ( [ { < ) ] } > a..h |
K = SEQ_LEN
N_TYPES, N_FILL = 4, 8
V = 2 * N_TYPES + N_FILL + 1


def batch(gen):
    """x (B, K) and y (B, K): sequences of K + 1 characters, y shifted by one."""
    tokens = 2 * N_TYPES + torch.randint(0, N_FILL, (BATCH, K + 1), generator=gen)
    d = torch.randint(2, K + 1, (BATCH,), generator=gen)  # the dependency distance
    kind = torch.randint(0, N_TYPES, (BATCH,), generator=gen)
    rows = torch.arange(BATCH)
    tokens[rows, K - d] = kind  # opening bracket
    tokens[:, K - 1] = 2 * N_TYPES + N_FILL  # marker
    tokens[:, K] = N_TYPES + kind  # matching closing bracket
    return tokens[:, :-1], tokens[:, 1:]
'''

_BODY = '''

class CharLM(nn.Module):
    def __init__(self, cell):
        super().__init__()
        in_size = EMBED or V
        kind = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.embed = nn.Embedding(V, EMBED) if EMBED else None
        self.rnn = kind(in_size, HIDDEN, batch_first=True)
        self.readout = nn.Linear(HIDDEN, V)
        # Torch's default initialisation again, drawn from private seeded generators (as the
        # app does), so the weights do not depend on anything else that used torch's RNG.
        with torch.no_grad():
            if EMBED:  # N(0, 1), seed SEED + 1
                embed_gen = torch.Generator().manual_seed(SEED + 1)
                nn.init.normal_(self.embed.weight, generator=embed_gen)
            gen = torch.Generator().manual_seed(SEED)
            bound = 1 / math.sqrt(HIDDEN)
            for p in self.rnn.parameters():  # W_ih, W_hh, b_ih, b_hh: U(-bound, bound)
                p.uniform_(-bound, bound, generator=gen)
            nn.init.kaiming_uniform_(self.readout.weight, a=math.sqrt(5), generator=gen)
            self.readout.bias.uniform_(-bound, bound, generator=gen)

    def forward(self, x):  # (B, T) ids -> (B, T, V) logits
        inp = self.embed(x) if EMBED else F.one_hot(x, V).float()
        return self.readout(self.rnn(inp)[0])


for cell in CELLS:
    model = CharLM(cell)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=LR)
    gen = torch.Generator().manual_seed(SEED)  # the same batches for every cell
    losses = []
    for step in range(STEPS):
        x, y = batch(gen)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
    tail = [v for v in losses[-WINDOW:] if math.isfinite(v)]
    final = sum(tail) / len(tail) if tail else float("nan")
    print(f"{cell} final loss {final:.6f} nats/char, perplexity {math.exp(final):.3f}")
'''


def lm_script(*, cells: list[str], hidden_size: int, embed_dim: int, seq_len: int,
              batch_size: int, steps: int, lr: float, clip: float, seed: int,
              data: str = "pydoc", max_distance: int | None = None,
              expected: dict[str, float] | None = None,
              filename: str = "lab2_char_lm.py") -> str:
    """Source of a standalone script that retrains a Lab 2 language-model run and prints each
    cell's final loss.

    ``data="pydoc"``: :func:`core.experiments.compare.char_lm`; ``data="brackets"``:
    :func:`core.experiments.compare.brackets` (``seq_len`` = ``max_distance`` = K). It uses
    plain torch (``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``, which call the same fused kernels as
    :class:`CharLM`, with the same draws from the same seeded generators), the same batches
    (the same generator calls) and the same optimiser, so the numbers agree.
    """
    if data not in ("pydoc", "brackets"):
        raise ValueError("data must be 'pydoc' or 'brackets'")
    if data == "brackets":
        seq_len = int(max_distance if max_distance is not None else seq_len)
        embed_dim = 0
    exp = ", ".join(f"{c} {v:.4f}" for c, v in (expected or {}).items()) or "see the app"
    title = (" vs ".join(c.upper() for c in cells)
             + (" on Python's help pages (pydoc_data.topics), character by character"
                if data == "pydoc" else f" on the bracket language, distances 2 to {seq_len}"))
    head = _HEAD.format(title=title, filename=filename, window=FINAL_WINDOW, expected=exp,
                        cells=list(cells), hidden_size=int(hidden_size),
                        embed_dim=int(embed_dim), seq_len=int(seq_len),
                        batch_size=int(batch_size), steps=int(steps), lr=float(lr),
                        clip=float(clip), seed=int(seed))
    head += f"WINDOW = {FINAL_WINDOW}\n"
    return head + (_PYDOC if data == "pydoc" else _BRACKETS) + _BODY
