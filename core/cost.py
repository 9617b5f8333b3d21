"""One cost model for every compute cap: seconds of one CPU thread for a training workload.

:func:`seconds` prices a run of ``steps`` training steps (any cell, normalisation, T, H, batch,
input size, an LM readout over a vocabulary), its gradient probes, its evaluations and its
set-up. The constants come from ``python -m bench.calibrate``, which times representative
workloads in CPU seconds (``time.process_time``: on a shared machine other processes inflate wall
time, far less CPU time) and fits them by non-negative least squares. Rerun it on the server
class the app is deployed to and paste its output over the constants below.

Per training step (one forward and backward of B sequences of T steps, G = gates x H):

    step = per_step + per_t T + per_elem B T G + per_mac B T G (I + H) + per_t2 B G T^2
           [+ lm_head B T V (H + 1) for a language model's readout at every step]

``per_step`` is the loop's bookkeeping (optimiser, clipping, NaN checks, sampling a batch),
``per_t`` the kernel's or the Python step loop's cost per time step, ``per_elem`` the element-wise
gate arithmetic, ``per_mac`` the matrix products. ``per_t2`` is measured, not designed: the
explicit step loop (normalisation inside the cell) grows faster than T (its autograd graph
holds every step's tensors). The constants are measured with the server's allocator settings
(``core.runtime.fix_malloc``): with glibc's adaptive ones, long steps spent a large, varying
share of their time in page faults, and no model of the work could follow that.

One probe (``core.probes``, float64, batch ``probe_batch``) has the same form with its own
constants; an evaluation is a forward pass without gradient at ``eval_batch``
(:func:`forward_seconds`, :data:`FORWARD`, with a term for a language model's readout at every
step: at the large batches of an evaluation set, memory traffic makes it cost more than its
share of a training step); sampling text costs :data:`SAMPLE_CHAR` per character.

:data:`ESTIMATORS` maps every training experiment (``core.experiments`` key) to a function of
its settings: ``estimate(key, params)``. Pages refuse settings whose estimate is over the cap.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

__all__ = ["seconds", "step_seconds", "probe_seconds", "forward_seconds", "estimate",
           "ESTIMATORS", "GATES", "NORMS", "features", "STEP", "PROBE", "FORWARD",
           "FORWARD_SHARE", "LM_HEAD", "RUN_SETUP", "SAMPLE_CHAR", "FROZEN_HH_SHARE"]

GATES = {"rnn": 1, "gru": 3, "lstm": 4}
NORMS = ("none", "layer", "batch")

# --- fitted constants (python -m bench.calibrate; CPU seconds, one torch thread) -------------
#: (cell, norm) -> (per_step, per_t, per_elem, per_mac, per_t2) of one training step.
STEP: dict[tuple[str, str], tuple[float, ...]] = {
    ("rnn", "none"): (0.000658, 2.59e-05, 5.85e-09, 7.4e-11, 8.1e-12),
    ("rnn", "layer"): (0.000394, 8.37e-05, 9.91e-09, 7.91e-11, 1.41e-10),
    ("rnn", "batch"): (0.000235, 0.000215, 2.08e-08, 1.07e-10, 1.43e-10),
    ("lstm", "none"): (0.000854, 0, 9.82e-10, 4.26e-11, 1.05e-11),
    ("lstm", "layer"): (0.000632, 0.00014, 1.57e-09, 1.12e-10, 2.2e-10),
    ("lstm", "batch"): (0.000901, 0.000289, 2.16e-08, 1.02e-10, 2.49e-10),
    ("gru", "none"): (0.000519, 8.66e-05, 6.75e-09, 6.59e-11, 6.89e-12),
    ("gru", "layer"): (0.000803, 0.000124, 5.35e-09, 7.07e-11, 2.44e-10),
    ("gru", "batch"): (0.000849, 0.000253, 1.6e-08, 1.13e-10, 2.56e-10),
}
#: (cell, norm) -> the same five constants for one float64 probe.
PROBE: dict[tuple[str, str], tuple[float, ...]] = {
    ("rnn", "none"): (0.000276, 8.54e-06, 6.81e-09, 1.01e-10, 9.4e-12),
    ("rnn", "layer"): (0.000282, 5.34e-05, 1.1e-08, 9.56e-11, 2.08e-11),
    ("rnn", "batch"): (0.000415, 0.000134, 2.68e-08, 1.84e-10, 0),
    ("lstm", "none"): (0.00034, 2.91e-05, 3.87e-09, 1.03e-10, 0),
    ("lstm", "layer"): (0.000248, 0.000118, 1.02e-08, 8.12e-11, 1.53e-11),
    ("lstm", "batch"): (0.000111, 0.000293, 2.36e-08, 1.88e-10, 1.68e-11),
    ("gru", "none"): (0.000415, 3.9e-05, 3.03e-09, 1.16e-10, 0),
    ("gru", "layer"): (0, 0.000137, 8.99e-09, 8.38e-11, 1.8e-11),
    ("gru", "batch"): (0.00021, 0.000217, 2.92e-08, 1.08e-10, 0),
}
#: Seconds per B T V (H + 1) of a language model's readout and loss at every step.
LM_HEAD = 6.13e-11
#: A forward pass (evaluation, no gradient) as a share of a training step's work: used for the
#: step loop (normalisation), which :data:`FORWARD` does not cover.
FORWARD_SHARE = 0.345
#: cell -> (per_call, per_t, per_elem, per_mac, per_out) of one forward pass without gradient
#: (fused kernel); ``per_out`` multiplies B T V (H + 1), a readout over V outputs at every step.
FORWARD: dict[str, tuple[float, ...]] = {
    "rnn": (0, 0, 1.36e-08, 0, 4.33e-11),
    "lstm": (0, 0, 3.33e-09, 0, 1.38e-10),
    "gru": (0, 0, 7.21e-09, 0, 1.27e-10),
}
#: A run with W_hh frozen (a control) as a share of a trained run: no gradient for W_hh itself
#: (measured 0.77-0.82 on the vanilla RNN, T 30-200, H 32-128).
FROZEN_HH_SHARE = 0.8
#: Building the model, optimiser and first batch of one run.
RUN_SETUP = 0.000416
#: Sampling one character from a language model (one step, batch 1, no gradient).
SAMPLE_CHAR = {"rnn": 5.11e-05, "lstm": 6.52e-05, "gru": 7.21e-05}
#: Where these constants were measured (printed by the calibration).
CALIBRATED_ON = ("x86_64, 2 cores, torch 2.13.0+cpu, allocator thresholds fixed (core.runtime); "
                 "steps and probes on a quiet machine (load average 1.2, 119 CPU s), the rest "
                 "at load average 4.5")



def _norm(norm: str | None, fused: bool | None) -> str:
    if norm is None or norm == "none":
        return "layer" if fused is False else "none"
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return norm


def features(cell: str, T: int, H: int, B: int, I: int) -> tuple[float, ...]:
    """The five workload measures the constants multiply (see the module docstring)."""
    G = GATES[cell] * H
    return (1.0, float(T), float(B * T * G), float(B * T * G * (I + H)), float(B * G * T * T))


def _form(c: tuple[float, ...], cell: str, T: int, H: int, B: int, I: int) -> float:
    return sum(a * f for a, f in zip(c, features(cell, T, H, B, I)))


def step_seconds(cell: str, seq_len: int, hidden_size: int, *, batch_size: int = 64,
                 input_size: int = 2, norm: str | None = "none", fused: bool | None = None,
                 vocab: int = 0) -> float:
    """CPU seconds of one training step (``vocab`` > 0: an LM readout at every step)."""
    T, H, B = int(seq_len), int(hidden_size), int(batch_size)
    s = _form(STEP[(cell, _norm(norm, fused))], cell, T, H, B, int(input_size))
    return s + (LM_HEAD * B * T * vocab * (H + 1) if vocab else 0.0)


def probe_seconds(cell: str, seq_len: int, hidden_size: int, *, probe_batch: int = 32,
                  input_size: int = 2, norm: str | None = "none", fused: bool | None = None,
                  vocab: int = 0) -> float:
    """CPU seconds of one gradient probe (``core.probes.hidden_state_gradients``, float64)."""
    T, H, B = int(seq_len), int(hidden_size), int(probe_batch)
    s = _form(PROBE[(cell, _norm(norm, fused))], cell, T, H, B, int(input_size))
    return s + (2 * LM_HEAD * B * T * vocab * (H + 1) if vocab else 0.0)


def forward_seconds(cell: str, seq_len: int, hidden_size: int, *, batch_size: int,
                    input_size: int = 2, norm: str | None = "none", fused: bool | None = None,
                    vocab: int = 0) -> float:
    """CPU seconds of one forward pass without gradient (an evaluation): ``vocab`` > 0 reads
    out ``vocab`` values at every step (a language model), else the last step only."""
    T, H, B = int(seq_len), int(hidden_size), int(batch_size)
    if _norm(norm, fused) != "none":
        return FORWARD_SHARE * step_seconds(cell, T, H, batch_size=B, input_size=input_size,
                                            norm=norm, fused=fused, vocab=vocab)
    c = FORWARD[cell]
    f = features(cell, T, H, B, int(input_size))
    return sum(a * x for a, x in zip(c[:4], f[:4])) + c[4] * B * T * vocab * (H + 1)


def seconds(cell: str, seq_len: int, hidden_size: int, *, steps: int, batch_size: int = 64,
            input_size: int = 2, norm: str | None = "none", fused: bool | None = None,
            probes: int = 0, probe_batch: int = 32, vocab: int = 0, evals: int = 0,
            eval_batch: int = 256, eval_len: int | None = None, runs: int = 1) -> float:
    """CPU seconds of ``runs`` identical training runs on one thread.

    Each run: ``steps`` training steps at ``batch_size`` (``norm`` "none" uses torch's fused
    kernel, "layer" / "batch" the step loop; ``fused=False`` without a norm prices the loop
    too), ``probes`` gradient probes at ``probe_batch``, ``evals`` forward passes of
    ``eval_batch`` sequences of ``eval_len`` (default T) steps, and the run's set-up.
    ``vocab`` > 0 adds a language model's readout over that many characters at every step.
    """
    kw = dict(input_size=input_size, norm=norm, fused=fused, vocab=vocab)
    per_run = (RUN_SETUP
               + int(steps) * step_seconds(cell, seq_len, hidden_size, batch_size=batch_size,
                                           **kw)
               + int(probes) * probe_seconds(cell, seq_len, hidden_size,
                                             probe_batch=probe_batch, **kw)
               + int(evals) * forward_seconds(cell, eval_len or seq_len, hidden_size,
                                              batch_size=eval_batch, **kw))
    return int(runs) * per_run


# --- the experiments ----------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def task_shape(task: str, seq_len: int) -> tuple[int, int]:
    """(time steps the network reads, input size) of ``make_task(task, seq_len)``: copy memory
    reads T + 20 steps, the lagged series T + 1 (one sampled sequence tells)."""
    import torch

    from .tasks import make_task

    x, _ = make_task(task, int(seq_len)).sample(1, torch.Generator().manual_seed(0))
    return int(x.shape[1]), int(x.shape[2])


def _task_seconds(task: str, T: int, cell: str, H: int, **kw) -> float:
    reads, inputs = task_shape(task, T)
    return seconds(cell, reads, H, input_size=inputs, **kw)


def _probe_count(steps: int, every: int) -> int:
    """Probes ``core.training.train`` takes: every ``every`` steps and after the last."""
    return math.ceil(int(steps) / max(1, int(every))) + 1


def _playground(p: dict) -> float:
    return _task_seconds(p["task"], p["seq_len"], p["cell"], p["hidden_size"],
                         steps=p["steps"], norm=p["norm"], probes=2)


def _lab_clipping(p: dict) -> float:
    from .experiments import lab_clipping

    # no clipping, norm, value, and (where the module has it) the W_hh-frozen control
    frozen = FROZEN_HH_SHARE * ("frozen" in getattr(lab_clipping, "LABELS", {}))
    return (len(lab_clipping.MODES) + frozen) * seconds("rnn", p["seq_len"], p["hidden_size"],
                                                       steps=p["steps"])


def _clipping_compare(p: dict) -> float:
    return seconds("rnn", p["seq_len"], p["hidden_size"], steps=p["steps"],
                   batch_size=p["batch_size"], runs=2)


def _clipping_sweep(p: dict) -> float:
    return seconds("rnn", p["seq_len"], p["hidden_size"], steps=p["steps"],
                   batch_size=p["batch_size"], runs=len(p["thresholds"]))


def _blowup(p: dict) -> float:
    from .experiments import exploding

    run = seconds("rnn", p["seq_len"], p["hidden_size"], steps=p["steps"],
                  batch_size=p["batch_size"])
    if not hasattr(exploding, "readout_curvature"):
        return run
    # the W_hh-frozen control, and the readout's curvature on a fixed batch after every step
    return (1 + FROZEN_HH_SHARE) * run + int(p["steps"]) * forward_seconds(
        "rnn", p["seq_len"], p["hidden_size"], batch_size=getattr(exploding, "PROBE_BATCH", 64))


def _length_sweep(p: dict) -> float:
    from .experiments.effects import sweep_lengths

    return sum(_task_seconds(p["task"], T, p["cell"], p["hidden_size"], steps=p["steps"],
                             evals=1)
               for T in sweep_lengths(p["task"], int(p["t_max"])))


def _longer_budget(p: dict) -> float:
    return _task_seconds(p["task"], p["T"], p["cell"], p["hidden_size"], steps=p["steps"],
                         evals=2)


def _exploding_run(p: dict) -> float:
    from .experiments import effects

    # (name, clip, W_hh trained) per run; older modules had the raw and clipped runs only
    runs = sum(1.0 if r[2] else FROZEN_HH_SHARE
               for r in getattr(effects, "EXPLODING_RUNS", (("raw", "none", True),) * 2))
    # the raw run also measures saturation on a fixed batch of 64 after every step
    return (runs * seconds("rnn", p["seq_len"], p["hidden_size"], steps=p["steps"],
                           batch_size=32)
            + int(p["steps"]) * forward_seconds("rnn", p["seq_len"], p["hidden_size"],
                                                batch_size=64))


def _compare_cells(p: dict) -> float:
    n = _probe_count(p["steps"], max(1, int(p["steps"]) // 15))
    return sum(seconds(cell, p["seq_len"], p["hidden_size"], steps=p["steps"], probes=n)
               for cell in ("rnn", "lstm", "gru", "lstm"))


def _init_schemes(p: dict) -> float:
    return sum(seconds(cell, p["seq_len"], p["hidden_size"], steps=p["steps"], probes=2)
               for cell in ("rnn", "rnn", "rnn", "rnn", "lstm", "lstm"))


def _norm_compare(p: dict) -> float:
    n = _probe_count(p["steps"], max(1, int(p["steps"]) // 10))
    return sum(seconds(p["cell"], p["seq_len"], p["hidden_size"], steps=p["steps"], probes=n,
                       norm=norm) for norm in NORMS)


def _tasks(p: dict) -> float:
    n = _probe_count(p["steps"], max(1, int(p["steps"]) // 12))
    return sum(_task_seconds(p["task"], p["seq_len"], cell, p["hidden_size"],
                             steps=p["steps"], probes=n, evals=1)
               for cell in ("rnn", "lstm", "gru"))


def _brackets(p: dict) -> float:
    from .text import BracketLanguage

    lang = BracketLanguage(int(p["max_distance"]))
    T, V, steps = lang.max_distance, lang.vocab_size, int(p["steps"])
    n_eval = 64 * len(lang.distances)
    # evaluations on the fixed set of 64 (K - 1) sequences: every steps // 20, at the end,
    # and once more for the accuracy by distance; then 4 samples of K characters
    return sum(seconds(cell, T, p["hidden_size"], steps=steps, input_size=V, vocab=V,
                       probes=_probe_count(steps, max(1, steps // 12)),
                       evals=_probe_count(steps, max(1, steps // 20)) + 1, eval_batch=n_eval)
               + 4 * T * SAMPLE_CHAR[cell]
               for cell in ("rnn", "lstm", "gru"))


def _char_lm(p: dict) -> float:
    from .text import load_corpus

    V = load_corpus().vocab_size
    I = int(p["embed_dim"]) or V
    steps, T = int(p["steps"]), int(p["seq_len"])
    return sum(seconds(cell, T, p["hidden_size"], steps=steps, batch_size=p["batch_size"],
                       input_size=I, vocab=V, probes=_probe_count(steps, max(1, steps // 12)),
                       probe_batch=8, evals=_probe_count(steps, max(1, steps // 10)),
                       eval_batch=64)
               + 2 * 160 * SAMPLE_CHAR[cell]  # two samples of 160 characters
               for cell in ("rnn", "lstm", "gru"))


def _training_heatmap(p: dict) -> float:
    steps = int(p["steps"])
    return (seconds(p["cell"], p["seq_len"], p["hidden_size"], steps=steps,
                    probes=_probe_count(steps, max(1, steps // 15)))
            + seconds(p["cell"], p["short_len"], p["hidden_size"], steps=steps))


def _gradient_profile(p: dict) -> float:
    from .experiments.vanishing import probe_batch

    # a long, wide probe runs on a smaller batch than asked (the memory budget)
    B = probe_batch(p["cell"], int(p["seq_len"]), int(p["hidden_size"]), int(p["batch_size"]))
    return RUN_SETUP + probe_seconds(p["cell"], p["seq_len"], p["hidden_size"], probe_batch=B)


#: Experiment key -> estimated CPU seconds of one call at the given (full) settings.
ESTIMATORS: dict[str, Callable[[dict], float]] = {
    "playground.train_run": _playground,
    "lab_clipping.compare": _lab_clipping,
    "clipping.compare": _clipping_compare,
    "clipping.sweep": _clipping_sweep,
    "exploding.blowup": _blowup,
    "effects.length_sweep": _length_sweep,
    "effects.longer_budget": _longer_budget,
    "effects.exploding_run": _exploding_run,
    "gated.compare_cells": _compare_cells,
    "init_norm.init_schemes": _init_schemes,
    "init_norm.norm_compare": _norm_compare,
    "compare.tasks": _tasks,
    "compare.brackets": _brackets,
    "compare.char_lm": _char_lm,
    "vanishing.training_heatmap": _training_heatmap,
    "vanishing.gradient_profile": _gradient_profile,
}


def estimate(key: str, params: dict[str, Any] | None = None) -> float:
    """Estimated CPU seconds of experiment ``key`` at ``params`` (missing ones: its defaults)."""
    from .experiments import resolve

    return ESTIMATORS[key]({**resolve(key).defaults, **(params or {})})
