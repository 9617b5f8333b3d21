"""Lab 2, RNN vs LSTM vs GRU: the same task, the same seed, the same batches, three cells.

Three experiments, each training the three cells one after the other and reporting partial
results (``report(fraction, partial)``) so the page can draw curves while they train:

- :func:`tasks`: a synthetic long-dependency task from ``core.tasks`` (adding, copy memory,
  temporal order, a time series read back T steps); loss curves, final metrics, lag x
  training-step gradient maps.
- :func:`brackets`: the bracket language of ``core.text.BracketLanguage``: language-model loss
  and perplexity, accuracy at the closing bracket against the dependency distance, samples.
- :func:`char_lm`: character-level language modelling of Python's own help texts; training and
  validation loss / perplexity, gradient maps, text sampled at several temperatures.

Every result: ``{"cells": [...], "runs": {cell: {...}}, ...}``; a partial result has the same
shape with only the cells trained so far (the running one marked ``"status": "running"``).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..claims import claim, finite
from ..lm import CharLM, lm_loss, perplexity, sample, train_lm
from ..models import build_model
from ..tasks import make_task
from ..text import BracketLanguage, load_corpus
from ..training import evaluate, train
from . import experiment

CELLS = ("rnn", "lstm", "gru")
#: How the page names the cells (the same words in the claims' evidence).
LABELS = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}
#: Settings whose estimated training time (all three cells) is above this are refused.
CAP_SECONDS = 30.0
#: Probes per run (columns of the lag x training-step maps).
N_PROBES = 12
#: Seconds between partial reports during a live run.
REPORT_INTERVAL = 0.8
#: Temperatures the text samples are drawn at.
TEMPERATURES = (0.5, 1.0)
PROMPT = "The "


def _log10(values) -> list[float]:
    """log10 of non-negative values; exact zeros become -inf (drawn as "below resolution")."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(v)
    return [float(x) for x in out]


class _Due:
    """True at most every ``interval`` seconds (and always at the end of a run): partial
    results are packed and drawn about once a second, however fast the steps are, so the live
    chart costs little of the training time. Reporting never changes the numbers."""

    def __init__(self, interval: float | None = None):
        self.interval = REPORT_INTERVAL if interval is None else interval
        self.last = time.perf_counter()

    def __call__(self, done: int, steps: int) -> bool:
        now = time.perf_counter()
        if done == steps or now - self.last >= self.interval:
            self.last = now
            return True
        return False


class _Cells:
    """The runs of the three cells as they train, one after the other, and the partial results
    the page draws meanwhile: ``report(fraction, {**meta, "runs": runs so far})``, while cell
    ``i`` trains (when :class:`_Due`) and once more when it is done."""

    def __init__(self, report: Callable[[float, dict], None] | None, meta: dict, steps: int):
        self.report, self.meta, self.steps = report, meta, steps
        self.runs: dict[str, dict] = {}

    def watch(self, i: int, cell: str, pack: Callable[..., dict]) -> Callable[[int, Any], None]:
        """The progress hook of cell ``i``: ``hook(done, state)`` after each of its training
        steps (``done`` so far); when due, ``pack(state, "running")`` is its partial run."""
        due = _Due()

        def hook(done: int, state) -> None:
            if self.report is not None and due(done, self.steps):
                self.runs[cell] = pack(state, "running")
                self._send((i + done / self.steps) / len(CELLS))

        return hook

    def done(self, i: int, cell: str, run: dict) -> None:
        """Cell ``i`` has finished: ``run`` is its final entry."""
        self.runs[cell] = run
        self._send((i + 1) / len(CELLS))

    def _send(self, fraction: float) -> None:
        if self.report is not None:
            self.report(fraction, {**self.meta, "runs": dict(self.runs)})


# ---------------------------------------------------------------------------------------------
# Synthetic tasks


def task_seq_len(task: str, seq_len: int) -> int:
    """Steps a network actually reads: copy memory adds 2 x 10 symbols to the delay; the time
    series reads its lag plus one (the value to recall, then ``seq_len`` more)."""
    return seq_len + {"copy": 20, "series": 1}.get(task, 0)


@experiment(task="adding", seq_len=50, hidden_size=32, steps=500, lr=0.01, seed=0)
def tasks(task, seq_len, hidden_size, steps, lr, seed, report=None):
    """Train RNN, LSTM and GRU on ``make_task(task, seq_len)`` with the same seed and batches
    (Adam, norm clipping at 1, batch 64).

    Returns ``cells``, ``chance`` (loss), ``chance_accuracy``, ``loss_name``, ``reads`` (steps
    read per sequence) and ``runs[cell]`` with ``step``, ``loss`` (per training step),
    ``accuracy`` (per step, or None), ``final_loss`` (mean of the last 20 steps), ``eval_loss``,
    ``eval_accuracy`` (on 256 fresh sequences), ``probe_steps`` (S,), ``log_grad`` (S, T) =
    log10 ||dL/dh|| by lag (0 = the step the loss is on), ``first_nonfinite``, ``status``;
    and the headline ``eval_loss_<cell>`` (the same fresh-sequence losses, top level).
    (No wall times: a result must be the same on every run of the same settings.)
    """
    tk = make_task(task, int(seq_len))
    steps = int(steps)
    probe_every = max(1, steps // N_PROBES)
    meta = {"task": task, "seq_len": int(seq_len), "reads": task_seq_len(task, int(seq_len)),
            "chance": tk.chance, "chance_accuracy": tk.chance_accuracy,
            "loss_name": tk.loss_name, "cells": list(CELLS)}

    def pack(hist, status: str, extra: dict | None = None) -> dict:
        probes = [p for p in hist.probes]
        return {"step": hist.column("step"), "loss": hist.column("loss"),
                "accuracy": hist.column("accuracy") if tk.accuracy is not None else None,
                "final_loss": hist.final_loss(),
                "probe_steps": [p["step"] for p in probes],
                "log_grad": [_log10(p["grad_norm_by_t"][::-1]) for p in probes],
                "first_nonfinite": (hist.first_nonfinite or {}).get("step"),
                "status": status,
                "eval_loss": None, "eval_accuracy": None, **(extra or {})}

    cells = _Cells(report, meta, steps)
    for i, cell in enumerate(CELLS):
        model = build_model(cell, tk.input_size, int(hidden_size), tk.output_size, seed=seed)
        hook = cells.watch(i, cell, pack)
        hist = train(model, tk, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, probe_every=probe_every,
                     callback=lambda rec, h, hook=hook: hook(rec["step"] + 1, h))
        ev = evaluate(model, tk) if hist.stopped != "nonfinite" else {"loss": math.nan,
                                                                      "accuracy": None}
        cells.done(i, cell, pack(hist, "done", {"eval_loss": ev["loss"],
                                                "eval_accuracy": ev["accuracy"]}))
    runs = cells.runs
    # the headline numbers, one scalar per cell (notebooks and snippets print them)
    heads = {f"eval_loss_{c}": runs[c]["eval_loss"] for c in CELLS}
    return {**meta, **heads, "runs": runs}


# ---------------------------------------------------------------------------------------------
# The bracket language


def _bracket_check(lang: BracketLanguage, ids: list[int]) -> str:
    """Verdict on a sampled sequence: does the character after ``|`` close the last opener?"""
    s = lang.decode(ids)
    if lang.MARK not in s:
        return "no marker"
    head, _, tail = s.partition(lang.MARK)
    opens = [c for c in head if c in lang.OPEN]
    if not opens or not tail:
        return "no bracket to close"
    want = lang.CLOSE[lang.OPEN.index(opens[-1])]
    return "closes correctly" if tail[0] == want else f"wrong: wanted {want}"


@experiment(max_distance=20, hidden_size=32, steps=600, lr=0.01, seed=0)
def brackets(max_distance, hidden_size, steps, lr, seed, report=None):
    """Language models of the bracket language (one-hot input, batch 64, Adam, clip 1).

    Returns ``cells``, ``distances`` (2..K), the exact baselines ``best_loss``,
    ``no_memory_loss``, ``chance_accuracy``, and ``runs[cell]`` with ``step``, ``loss`` (per
    step), ``eval_steps``, ``eval_loss`` and ``eval_accuracy`` (closing-bracket accuracy on a
    fixed set), ``acc_by_distance`` (accuracy at each distance, 64 sequences each),
    ``final_loss``, ``probe_steps``, ``log_grad`` (S, K) by lag from the closing bracket's
    loss, ``samples`` (strings from the trained model) with ``verdicts``, ``status``.
    """
    lang = BracketLanguage(int(max_distance))
    K, steps = lang.max_distance, int(steps)
    dists = torch.tensor(lang.distances).repeat_interleave(64)  # (64 (K-1),)
    ex_tokens, ex_d = lang.sample(len(dists), torch.Generator().manual_seed(seed + 7), dists)
    ex_x, ex_y = ex_tokens[:, :-1], ex_tokens[:, 1:]
    probe = (ex_x[::max(1, len(dists) // 32)][:32], ex_y[::max(1, len(dists) // 32)][:32])
    meta = {"max_distance": K, "distances": lang.distances, "best_loss": lang.best_loss,
            "no_memory_loss": lang.no_memory_loss, "chance_accuracy": lang.chance_accuracy,
            "chance_answer_loss": lang.chance_answer_loss, "vocab": "".join(lang.chars),
            "cells": list(CELLS)}
    cells = _Cells(report, meta, steps)

    def ev(m):
        logits = m(ex_x)
        return {"loss": float(lm_loss(logits, ex_y)),
                "accuracy": float((logits[:, -1].argmax(-1) == ex_y[:, -1]).float().mean())}

    def pack(h, status, extra=None):
        return {"step": h["step"], "loss": h["loss"],
                "eval_steps": [e["step"] for e in h["evals"]],
                "eval_loss": [e["loss"] for e in h["evals"]],
                "eval_accuracy": [e["accuracy"] for e in h["evals"]],
                "final_loss": (float(np.mean(h["loss"][-20:])) if h["loss"] else math.nan),
                "probe_steps": [p["step"] for p in h["probes"]],
                "log_grad": [_log10(p["lag_norm"]) for p in h["probes"]],
                "first_nonfinite": h["first_nonfinite"],
                "status": status, "acc_by_distance": None, "samples": [], "verdicts": [],
                **(extra or {})}

    for i, cell in enumerate(CELLS):
        lm = CharLM(cell, lang.vocab_size, int(hidden_size), embed_dim=0, seed=seed)
        hook = cells.watch(i, cell, pack)
        h = train_lm(lm, lambda b, g: lang.batch(b, g), steps=steps, batch_size=64, lr=lr,
                     seed=seed, eval_fn=ev, eval_every=max(1, steps // 20), probe=probe,
                     probe_every=max(1, steps // N_PROBES),
                     callback=lambda h, hook=hook: hook(len(h["step"]), h))
        lm.eval()
        with torch.no_grad():
            right = (lm(ex_x)[:, -1].argmax(-1) == ex_y[:, -1]).float()
        by_d = [float(right[ex_d == d].mean()) for d in lang.distances]
        gen = torch.Generator().manual_seed(seed + 11)
        samples, verdicts = [], []
        for j in range(4):
            first = [int(ex_tokens[j * 7 % len(ex_tokens), 0])]
            ids = first + sample(lm, first, K, temperature=1.0, generator=gen)
            samples.append(lang.decode(ids))
            verdicts.append(_bracket_check(lang, ids))
        cells.done(i, cell, pack(h, "done", {"acc_by_distance": by_d, "samples": samples,
                                             "verdicts": verdicts}))
    return {**meta, "runs": cells.runs}


# ---------------------------------------------------------------------------------------------
# Character-level language modelling of the pydoc topics


def unigram_loss(corpus) -> float:
    """Validation loss (nats per character) of predicting every character by its training
    frequency (add-one smoothing): an exact memoryless baseline."""
    counts = torch.bincount(corpus.ids[:corpus.split], minlength=corpus.vocab_size).double()
    logp = torch.log((counts + 1) / (counts.sum() + corpus.vocab_size))
    return float(-logp[corpus.ids[corpus.split:]].mean())


@functools.cache
def corpus_unigram_loss() -> float | None:
    """:func:`unigram_loss` of the pydoc corpus (computed once), or None when this Python
    has no ``pydoc_data``."""
    try:
        return unigram_loss(load_corpus())
    except ImportError:
        return None


@experiment(hidden_size=64, embed_dim=32, seq_len=48, steps=200, lr=0.01, batch_size=32,
            seed=0)
def char_lm(hidden_size, embed_dim, seq_len, steps, lr, batch_size, seed, report=None):
    """Char-level LMs of ``pydoc_data.topics`` (90 % train / 10 % validation by position).

    Returns ``cells``, ``vocab_size``, ``n_chars``, ``corpus_digest``, ``unigram_loss`` (the
    validation loss of predicting every character by its training frequency: an exact
    memoryless baseline), ``temperatures``, ``prompt`` and ``runs[cell]`` with ``step``,
    ``loss`` (per step), ``eval_steps``, ``val_loss`` (64 fixed validation windows),
    ``final_loss``, ``final_val_loss``, ``probe_steps``, ``log_grad`` (S, T) by lag from the
    last character's loss, ``samples`` (one string per temperature), ``status``.
    """
    corpus = load_corpus()
    T, steps = int(seq_len), int(steps)
    vx, vy = corpus.batch(64, T, torch.Generator().manual_seed(seed + 99), split="val")
    probe = (vx[:8], vy[:8])
    unigram = unigram_loss(corpus)
    meta = {"cells": list(CELLS), "vocab_size": corpus.vocab_size, "n_chars": len(corpus.text),
            "n_train": corpus.split, "corpus_digest": corpus.digest, "unigram_loss": unigram,
            "temperatures": list(TEMPERATURES), "prompt": PROMPT, "seq_len": T}
    cells = _Cells(report, meta, steps)

    def ev(m):
        return {"loss": float(lm_loss(m(vx), vy))}

    def pack(h, status, extra=None):
        vl = [e["loss"] for e in h["evals"]]
        return {"step": h["step"], "loss": h["loss"],
                "eval_steps": [e["step"] for e in h["evals"]], "val_loss": vl,
                "final_loss": (float(np.mean(h["loss"][-20:])) if h["loss"] else math.nan),
                "final_val_loss": vl[-1] if vl else math.nan,
                "final_perplexity": perplexity(vl[-1]) if vl else math.nan,
                "probe_steps": [p["step"] for p in h["probes"]],
                "log_grad": [_log10(p["lag_norm"]) for p in h["probes"]],
                "first_nonfinite": h["first_nonfinite"],
                "status": status, "samples": [], **(extra or {})}

    for i, cell in enumerate(CELLS):
        lm = CharLM(cell, corpus.vocab_size, int(hidden_size), embed_dim=int(embed_dim),
                    seed=seed)
        hook = cells.watch(i, cell, pack)
        h = train_lm(lm, lambda b, g: corpus.batch(b, T, g), steps=steps,
                     batch_size=int(batch_size), lr=lr, seed=seed, eval_fn=ev,
                     eval_every=max(1, steps // 10), probe=probe,
                     probe_every=max(1, steps // N_PROBES),
                     callback=lambda h, hook=hook: hook(len(h["step"]), h))
        samples = []
        for j, temp in enumerate(TEMPERATURES):
            gen = torch.Generator().manual_seed(seed + 1000 + j)
            ids = sample(lm, corpus.encode(PROMPT), 160, temperature=temp, generator=gen)
            samples.append(PROMPT + corpus.decode(ids))
        cells.done(i, cell, pack(h, "done", {"samples": samples}))
    return {**meta, "runs": cells.runs}


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
def _eval(r: dict, cell: str) -> float:
    return r["runs"][cell]["eval_loss"]


def far_ratio(run: dict, probe: int) -> float:
    """||dL/dh|| at the farthest lag over its value at lag 0, at probe ``probe`` (0: before
    training, -1: after the last step); NaN when unreadable."""
    logs = run["log_grad"][probe]
    v = logs[-1] - logs[0]
    return 10.0 ** v if math.isfinite(v) else (0.0 if v == -math.inf else math.nan)


def _adding(p: dict) -> bool:
    return p["task"] == "adding"


def _with_cell(r: dict, cell: str, **changes) -> dict:
    return {**r, "runs": {**r["runs"], cell: {**r["runs"][cell], **changes}}}


@claim(tasks, observed=lambda r: f"tanh RNN {_eval(r, 'rnn'):.3g}, chance {r['chance']:.3g}",
       perturb=lambda r: _with_cell(r, "rnn", eval_loss=0.01),
       applies=lambda p: _adding(p) and p["seq_len"] >= 50)
def rnn_stays_at_chance(r: dict) -> bool:
    """the tanh RNN ends above half of the chance loss on fresh sequences: it has not learned
    to use the marked numbers"""
    return finite(_eval(r, "rnn")) and _eval(r, "rnn") > 0.5 * r["chance"]


@claim(tasks, observed=lambda r: f"GRU {_eval(r, 'gru'):.2g}, chance {r['chance']:.3g}",
       perturb=lambda r: _with_cell(r, "gru", eval_loss=r["chance"]),
       applies=lambda p: _adding(p) and p["seq_len"] <= 50 and p["steps"] >= 500)
def gru_learns(r: dict) -> bool:
    """the GRU ends below a tenth of the chance loss on fresh sequences"""
    return finite(_eval(r, "gru")) and _eval(r, "gru") < 0.1 * r["chance"]


@claim(tasks,
       observed=lambda r: ", ".join(f"{LABELS[c]} {far_ratio(r['runs'][c], 0):.0e}"
                                    for c in r["cells"]),
       perturb=lambda r: _with_cell(r, "lstm", log_grad=[[0.0] * len(r["runs"]["lstm"][
           "log_grad"][0])] + r["runs"]["lstm"]["log_grad"][1:]),
       applies=lambda p: _adding(p) and p["seq_len"] >= 50)
def closed_at_init(r: dict) -> bool:
    """before training, every cell passes less than a millionth of the gradient at lag 0 back to
    the farthest lag: at initialisation the gates do not help"""
    return all(finite(far_ratio(r["runs"][c], 0)) and far_ratio(r["runs"][c], 0) < 1e-6
               for c in r["cells"])


@claim(tasks,
       observed=lambda r: (f"GRU far/near: {far_ratio(r['runs']['gru'], 0):.0e} before, "
                           f"{far_ratio(r['runs']['gru'], -1):.2g} after training"),
       perturb=lambda r: _with_cell(r, "gru", log_grad=r["runs"]["gru"]["log_grad"][:1] * len(
           r["runs"]["gru"]["log_grad"])),
       applies=lambda p: _adding(p) and p["seq_len"] <= 50 and p["steps"] >= 500)
def gru_opens_path(r: dict) -> bool:
    """training opened the GRU's path to the past: the gradient reaching its farthest lag,
    relative to lag 0, grew more than a million-fold and ends above a hundredth"""
    g = r["runs"]["gru"]
    before, after = far_ratio(g, 0), far_ratio(g, -1)
    return finite(before) and finite(after) and after > 1e-2 and after > 1e6 * before


#: The page's time-series preset: lag 20, the tasks' other defaults.
SERIES = {"task": "series", "seq_len": 20}


def _series_setup(p: dict) -> bool:
    return (p["task"] == "series" and p["seq_len"] >= 20 and p["hidden_size"] == 32
            and p["steps"] <= 500 and p["lr"] == 0.01)


@claim(tasks, observed=lambda r: f"LSTM {_eval(r, 'lstm'):.3g}, chance {r['chance']:.3g}",
       perturb=lambda r: _with_cell(r, "lstm", eval_loss=0.01),
       settings=[SERIES], applies=_series_setup)
def lstm_stuck_on_series(r: dict) -> bool:
    """the LSTM stays above half of the chance loss on fresh sequences: on this task, at these
    settings, its gates did not find the value to keep"""
    return finite(_eval(r, "lstm")) and _eval(r, "lstm") > 0.5 * r["chance"]


def _bracket_setup(p: dict) -> bool:
    return p["max_distance"] <= 20 and p["steps"] >= 600


def _acc(r: dict, cell: str) -> list[float]:
    return r["runs"][cell]["eval_accuracy"]


@claim(brackets,
       observed=lambda r: (f"GRU: {_acc(r, 'gru')[2]:.0%} at the third check, "
                           f"{_acc(r, 'gru')[-1]:.0%} at the end"),
       perturb=lambda r: _with_cell(r, "gru", eval_accuracy=[0.25] * len(_acc(r, "gru"))),
       applies=_bracket_setup)
def gru_searches_then_climbs(r: dict) -> bool:
    """the GRU first sits near chance (below 40 % at the third check), then ends right on more
    than half of the closing brackets, at least twice chance"""
    a = _acc(r, "gru")
    return len(a) > 3 and a[2] < 0.4 and a[-1] > 0.5


@claim(brackets,
       observed=lambda r: (f"at distance {r['distances'][-1]}: GRU "
                           f"{r['runs']['gru']['acc_by_distance'][-1]:.0%}, tanh RNN "
                           f"{r['runs']['rnn']['acc_by_distance'][-1]:.0%}"),
       perturb=lambda r: _with_cell(r, "gru", acc_by_distance=[
           0.0 for _ in r["runs"]["gru"]["acc_by_distance"]]),
       applies=_bracket_setup)
def gru_reaches_farthest(r: dict) -> bool:
    """at the longest distance the trained GRU is right more often than the trained tanh RNN"""
    g, n = r["runs"]["gru"]["acc_by_distance"], r["runs"]["rnn"]["acc_by_distance"]
    return bool(g) and bool(n) and g[-1] > n[-1]


def _best_ppl(r: dict) -> float:
    return min(run["final_perplexity"] for run in r["runs"].values())


def _text_setup(p: dict) -> bool:
    return (p["steps"] == 200 and p["hidden_size"] >= 64 and p["seq_len"] >= 48
            and p["lr"] == 0.01)


@claim(char_lm,
       observed=lambda r: (f"best {_best_ppl(r):.2f}; letter frequencies alone "
                           f"{math.exp(r['unigram_loss']):.1f}"),
       perturb=lambda r: {**r, "runs": {c: {**run, "final_perplexity": 20.0}
                                        for c, run in r["runs"].items()}},
       applies=_text_setup)
def best_perplexity_5_to_8(r: dict) -> bool:
    """the best cell's held-out perplexity ends between 5 and 8: it has picked up more than
    letter frequencies, which alone give more than three times as much"""
    best = _best_ppl(r)
    return finite(best) and 5.0 <= best <= 8.0 and 3 * best < math.exp(r["unigram_loss"])
