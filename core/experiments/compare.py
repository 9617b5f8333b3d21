"""Lab 2, RNN vs LSTM vs GRU: the same task, the same seed, the same batches, three cells.

Three experiments, each training the three cells one after the other and reporting partial
results (``report(fraction, partial)``) so the page can draw curves while they train:

- :func:`tasks`: a synthetic long-dependency task from ``core.tasks`` (adding, copy memory,
  temporal order); loss curves, final metrics, lag x training-step gradient maps.
- :func:`brackets`: the bracket language of ``core.text.BracketLanguage``: language-model loss
  and perplexity, accuracy at the closing bracket against the dependency distance, samples.
- :func:`char_lm`: character-level language modelling of Python's own help texts; training and
  validation loss / perplexity, gradient maps, text sampled at several temperatures.

Every result: ``{"cells": [...], "runs": {cell: {...}}, ...}``; a partial result has the same
shape with only the cells trained so far (the running one marked ``"status": "running"``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from ..lm import CharLM, lm_estimate_seconds, lm_loss, perplexity, sample, train_lm
from ..models import build_model
from ..tasks import make_task
from ..text import BracketLanguage, load_corpus
from ..training import estimate_seconds, evaluate, train
from . import experiment

CELLS = ("rnn", "lstm", "gru")
#: Settings whose estimated training time (all three cells) is above this are refused.
CAP_SECONDS = 30.0
#: Probes per run (columns of the lag x training-step maps).
N_PROBES = 12
#: Python-side cost of one training step beyond the matrix products (optimiser, clipping,
#: logging, evaluation, probes), measured on the 2-core server: added to every estimate.
STEP_OVERHEAD = 5e-3
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


# ---------------------------------------------------------------------------------------------
# Synthetic tasks


def task_seq_len(task: str, seq_len: int) -> int:
    """Steps a network actually reads: copy memory adds 2 x 10 symbols to the delay."""
    return seq_len + 20 if task == "copy" else seq_len


def estimate_tasks(task: str, seq_len: int, hidden_size: int, steps: int,
                   batch_size: int = 64) -> float:
    """Estimated seconds for all three cells (``core.training.estimate_seconds``), plus the
    gradient probes (about one float64 forward-backward on 32 sequences each)."""
    t = task_seq_len(task, seq_len)
    size = {"adding": 2, "copy": 10, "order": 6}[task]
    return sum(estimate_seconds(c, t, hidden_size, steps=steps + 2 * N_PROBES,
                                batch_size=batch_size, input_size=size)
               + steps * STEP_OVERHEAD for c in CELLS)


@experiment(task="adding", seq_len=50, hidden_size=32, steps=500, lr=0.01, seed=0)
def tasks(task, seq_len, hidden_size, steps, lr, seed, report=None):
    """Train RNN, LSTM and GRU on ``make_task(task, seq_len)`` with the same seed and batches
    (Adam, norm clipping at 1, batch 64).

    Returns ``cells``, ``chance`` (loss), ``chance_accuracy``, ``loss_name``, ``reads`` (steps
    read per sequence) and ``runs[cell]`` with ``step``, ``loss`` (per training step),
    ``accuracy`` (per step, or None), ``final_loss`` (mean of the last 20 steps), ``eval_loss``,
    ``eval_accuracy`` (on 256 fresh sequences), ``probe_steps`` (S,), ``log_grad`` (S, T) =
    log10 ||dL/dh|| by lag (0 = the step the loss is on), ``first_nonfinite``, ``status``.
    (No wall times: a result must be the same on every run of the same settings.)
    """
    tk = make_task(task, int(seq_len))
    steps = int(steps)
    probe_every = max(1, steps // N_PROBES)
    runs: dict[str, dict] = {}
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

    for i, cell in enumerate(CELLS):
        model = build_model(cell, tk.input_size, int(hidden_size), tk.output_size, seed=seed)
        due = _Due()

        def cb(rec, hist, i=i, cell=cell, due=due):
            done = rec["step"] + 1
            if report is not None and due(done, steps):
                runs[cell] = pack(hist, "running")
                report((i + done / steps) / len(CELLS), {**meta, "runs": dict(runs)})

        hist = train(model, tk, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, probe_every=probe_every,
                     callback=cb)
        ev = evaluate(model, tk) if hist.stopped != "nonfinite" else {"loss": math.nan,
                                                                      "accuracy": None}
        runs[cell] = pack(hist, "done", {"eval_loss": ev["loss"],
                                         "eval_accuracy": ev["accuracy"]})
        if report is not None:
            report((i + 1) / len(CELLS), {**meta, "runs": dict(runs)})
    return {**meta, "runs": runs}


# ---------------------------------------------------------------------------------------------
# The bracket language


def estimate_brackets(max_distance: int, hidden_size: int, steps: int,
                      batch_size: int = 64) -> float:
    lang = BracketLanguage(int(max_distance))
    return sum(lm_estimate_seconds(c, lang.max_distance, hidden_size, lang.vocab_size,
                                   steps=steps + 2 * N_PROBES, batch_size=batch_size,
                                   input_size=lang.vocab_size)
               + steps * STEP_OVERHEAD for c in CELLS)


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
    runs: dict[str, dict] = {}

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
        due = _Due()

        def cb(h, i=i, cell=cell, due=due):
            done = len(h["step"])
            if report is not None and due(done, steps):
                runs[cell] = pack(h, "running")
                report((i + done / steps) / len(CELLS), {**meta, "runs": dict(runs)})

        h = train_lm(lm, lambda b, g: lang.batch(b, g), steps=steps, batch_size=64, lr=lr,
                     seed=seed, eval_fn=ev, eval_every=max(1, steps // 20), probe=probe,
                     probe_every=max(1, steps // N_PROBES), callback=cb)
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
        runs[cell] = pack(h, "done", {"acc_by_distance": by_d, "samples": samples,
                                      "verdicts": verdicts})
        if report is not None:
            report((i + 1) / len(CELLS), {**meta, "runs": dict(runs)})
    return {**meta, "runs": runs}


# ---------------------------------------------------------------------------------------------
# Character-level language modelling of the pydoc topics


def estimate_char_lm(hidden_size: int, embed_dim: int, seq_len: int, steps: int,
                     batch_size: int) -> float:
    corpus = load_corpus()
    return sum(lm_estimate_seconds(c, seq_len, hidden_size, corpus.vocab_size,
                                   steps=steps + 2 * N_PROBES, batch_size=batch_size,
                                   input_size=embed_dim or corpus.vocab_size)
               + steps * STEP_OVERHEAD for c in CELLS)


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
    counts = torch.bincount(corpus.ids[:corpus.split], minlength=corpus.vocab_size).double()
    logp = torch.log((counts + 1) / (counts.sum() + corpus.vocab_size))  # add-one smoothing
    unigram = float(-logp[corpus.ids[corpus.split:]].mean())
    meta = {"cells": list(CELLS), "vocab_size": corpus.vocab_size, "n_chars": len(corpus.text),
            "n_train": corpus.split, "corpus_digest": corpus.digest, "unigram_loss": unigram,
            "temperatures": list(TEMPERATURES), "prompt": PROMPT, "seq_len": T}
    runs: dict[str, dict] = {}

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
        due = _Due()

        def cb(h, i=i, cell=cell, due=due):
            done = len(h["step"])
            if report is not None and due(done, steps):
                runs[cell] = pack(h, "running")
                report((i + done / steps) / len(CELLS), {**meta, "runs": dict(runs)})

        h = train_lm(lm, lambda b, g: corpus.batch(b, T, g), steps=steps,
                     batch_size=int(batch_size), lr=lr, seed=seed, eval_fn=ev,
                     eval_every=max(1, steps // 10), probe=probe,
                     probe_every=max(1, steps // N_PROBES), callback=cb)
        samples = []
        for j, temp in enumerate(TEMPERATURES):
            gen = torch.Generator().manual_seed(seed + 1000 + j)
            ids = sample(lm, corpus.encode(PROMPT), 160, temperature=temp, generator=gen)
            samples.append(PROMPT + corpus.decode(ids))
        runs[cell] = pack(h, "done", {"samples": samples})
        if report is not None:
            report((i + 1) / len(CELLS), {**meta, "runs": dict(runs)})
    return {**meta, "runs": runs}
