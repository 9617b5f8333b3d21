"""Fit the constants of ``core.cost`` from measured workloads, and check its estimates.

    python -m bench.calibrate            # measure, fit, print constants for core/cost.py
    python -m bench.calibrate --check    # each experiment at its heaviest allowed setting:
                                         # estimate vs measured CPU seconds (the +-30 % target)
    python -m bench.calibrate --check --quick   # the same settings with fewer steps

Everything is timed in CPU seconds of this process (``time.process_time``) on one torch thread:
on a machine shared with other work, wall time measures the neighbours as much as the code,
CPU time much less (it still rises somewhat with cache and memory-bus contention, so calibrate
on a quiet machine when you can, and say how busy it was: the load average is printed).

The fit: for each (cell, normalisation), one training step costs
``per_step + per_t T + per_elem B T G + per_mac B T G (I + H) + per_t2 B G T^2``; the five
constants are fitted by non-negative least squares on relative error over a grid of T, H and
B. Probes the same way.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

from core import cost, runtime

CELLS = ("rnn", "lstm", "gru")
GRID_T = (10, 60, 150, 300)
GRID_H = (16, 64, 128)
#: Target CPU seconds of one timed measurement.
TARGET = 0.3


def _timed(fn, target: float = TARGET, max_n: int = 400) -> float:
    """CPU seconds of one call of ``fn(n)`` per unit of n, with n chosen so the call takes about
    ``target`` seconds (after a warm-up call)."""
    t0 = time.process_time()
    fn(1)
    one = max(time.process_time() - t0, 1e-4)
    n = int(min(max_n, max(2, target / one)))
    t0 = time.process_time()
    fn(n)
    return (time.process_time() - t0) / n


def measure_steps(cell: str, norm: str, T: int, H: int, B: int) -> float:
    from core.models import build_model
    from core.tasks import make_task
    from core.training import train

    task = make_task("adding", T)
    model = build_model(cell, task.input_size, H, task.output_size, norm=norm, seed=0)
    return _timed(lambda n: train(model, task, steps=n, batch_size=B, lr=1e-3,
                                  clip="norm", clip_threshold=1.0))


def measure_probe(cell: str, norm: str, T: int, H: int, B: int = 32) -> float:
    from core.models import build_model
    from core.probes import hidden_state_gradients
    from core.tasks import make_task

    task = make_task("adding", T)
    model = build_model(cell, task.input_size, H, task.output_size, norm=norm, seed=0)
    model.train()
    x, y = task.sample(B, torch.Generator().manual_seed(1))

    def go(n):
        for _ in range(n):
            hidden_state_gradients(model, x, lambda o: task.loss(o, y), dtype=torch.float64)

    return _timed(go)


def measure_forward(cell: str, norm: str, T: int, H: int, B: int = 256) -> float:
    from core.models import build_model
    from core.tasks import make_task
    from core.training import evaluate

    task = make_task("adding", T)
    model = build_model(cell, task.input_size, H, task.output_size, norm=norm, seed=0)

    def go(n):
        for _ in range(n):
            evaluate(model, task, batch_size=B)

    return _timed(go)


def measure_lm_forward(cell: str, T: int, H: int, V: int, B: int) -> float:
    """One evaluation of a language model: forward and loss without gradient, one-hot input."""
    from core.lm import CharLM, lm_loss

    lm = CharLM(cell, V, H, embed_dim=0, seed=0)
    lm.eval()
    ids = torch.randint(0, V, (B, T + 1), generator=torch.Generator().manual_seed(0))
    x, y = ids[:, :-1], ids[:, 1:]

    def go(n):
        with torch.no_grad():
            for _ in range(n):
                float(lm_loss(lm(x), y))

    return _timed(go)


def measure_lm(cell: str, T: int, H: int, V: int, B: int, embed: int = 32) -> float:
    """One LM training step with an embedding of ``embed`` numbers (a small input, so what is
    left over the step model is the readout over V characters at every step)."""
    from core.lm import CharLM, train_lm

    lm = CharLM(cell, V, H, embed_dim=embed, seed=0)

    def batch(b, g):
        ids = torch.randint(0, V, (b, T + 1), generator=g)
        return ids[:, :-1], ids[:, 1:]

    return _timed(lambda n: train_lm(lm, batch, steps=n, batch_size=B))


def measure_setup(cell: str) -> float:
    from core.models import build_model
    from core.tasks import make_task
    from core.training import train

    def go(n):
        for _ in range(n):
            task = make_task("adding", 30)
            model = build_model(cell, 2, 32, 1, seed=0)
            train(model, task, steps=0)

    return _timed(go, target=0.2)


def measure_sample_char(cell: str, V: int = 100, H: int = 64) -> float:
    from core.lm import CharLM, sample

    lm = CharLM(cell, V, H, embed_dim=32, seed=0)
    return _timed(lambda n: sample(lm, [1, 2, 3], n, temperature=1.0,
                                   generator=torch.Generator().manual_seed(0)), target=0.2)


def _features(cell: str, T: int, H: int, B: int, I: int = 2) -> list[float]:
    return list(cost.features(cell, T, H, B, I))


def nnls_relative(X: np.ndarray, y: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Non-negative least squares on error relative to ``y ** power``: 1 = relative error,
    0 = absolute error (the largest workloads, which decide a cap, weigh most)."""
    w = y ** -power
    A, b = X * w[:, None], y * w
    scale = np.abs(A).max(axis=0)
    scale[scale == 0] = 1.0
    try:
        from scipy.optimize import nnls

        coef, _ = nnls(A / scale, b)
    except ImportError:  # active-set fallback: drop negative coefficients until none is left
        keep = np.ones(A.shape[1], bool)
        while True:
            c = np.zeros(A.shape[1])
            c[keep], *_ = np.linalg.lstsq((A / scale)[:, keep], b, rcond=None)
            if (c >= 0).all():
                coef = c
                break
            keep &= c > 0
    return coef / scale


def _fmt(v) -> str:
    return "(" + ", ".join(f"{x:.3g}" for x in v) + ")"


def calibrate(grid_t=GRID_T, grid_h=GRID_H, out=sys.stdout, steps: bool = True) -> dict:
    """Measure and fit; ``steps=False`` keeps core.cost's STEP and PROBE and refits the rest."""
    runtime.configure(1)  # one thread and the server's allocator settings
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    started = time.process_time()
    fitted: dict = {"STEP": {}, "PROBE": {}}
    worst: dict = {"STEP": {}, "PROBE": {}}
    if not steps:
        fitted = {"STEP": dict(cost.STEP), "PROBE": dict(cost.PROBE)}
    for cell in CELLS if steps else ():
        for norm in cost.NORMS:
            for what, measure, batches in (("STEP", measure_steps, (64, 16)),
                                           ("PROBE", measure_probe, (32, 8))):
                rows, ys = [], []
                for T in grid_t:
                    for H in grid_h:
                        for B in (batches if (T, H) in ((60, 64), (150, 128), (10, 16))
                                  else batches[:1]):
                            ys.append(measure(cell, norm, T, H, B))
                            rows.append(_features(cell, T, H, B))
                X, y = np.array(rows), np.array(ys)
                coef = nnls_relative(X, y)
                rel = np.abs(X @ coef / y - 1)
                fitted[what][(cell, norm)] = tuple(float(c) for c in coef)
                worst[what][(cell, norm)] = float(rel.max())
                print(f"{what:5s} {cell:4s} {norm:5s} {_fmt(coef)}  worst fit error "
                      f"{100 * rel.max():.0f} %, median {100 * np.median(rel):.0f} %",
                      file=out, flush=True)
    # forward passes: evaluate() of the tasks (readout on the last step) and LM evaluations
    # (readout at every step) up to the bracket page's evaluation set of 64 (K - 1) sequences
    shares, forward = [], {}
    for cell in CELLS:
        rows, ys = [], []
        for T, H in ((30, 32), (100, 64), (200, 128)):
            f = measure_forward(cell, "none", T, H)
            shares.append(f / cost._form(fitted["STEP"][(cell, "none")], cell, T, H, 256, 2))
            rows.append(list(cost.features(cell, T, H, 256, 2))[:4] + [0.0])
            ys.append(f)
        for T, H, V, B in ((20, 32, 13, 1216), (100, 64, 13, 6336), (50, 128, 13, 3136),
                           (48, 64, 100, 64), (128, 256, 100, 64)):
            ys.append(measure_lm_forward(cell, T, H, V, B))
            rows.append(list(cost.features(cell, T, H, B, V))[:4] + [B * T * V * (H + 1)])
        X, y = np.array(rows), np.array(ys)
        forward[cell] = tuple(float(c) for c in nnls_relative(X, y, power=0.5))
        rel = np.abs(X @ np.array(forward[cell]) / y - 1)
        print(f"FORWARD {cell:4s} {_fmt(forward[cell])}  worst fit error {100 * rel.max():.0f} %",
              file=out, flush=True)
    forward_share = statistics.median(shares)
    # LM readout: measured LM steps minus the step model, per B T V (H + 1)
    heads = []
    for cell in CELLS:
        for T, H, V, B in ((20, 32, 13, 64), (48, 64, 100, 32), (100, 128, 100, 32)):
            m = measure_lm(cell, T, H, V, B)
            base = cost._form(fitted["STEP"][(cell, "none")], cell, T, H, B, 32)
            heads.append(max(m - base, 0.0) / (B * T * V * (H + 1)))
    lm_head = statistics.median(heads)
    setup = statistics.median(measure_setup(c) for c in CELLS)
    sample_char = {c: measure_sample_char(c) for c in CELLS}
    spent = time.process_time() - started
    where = (f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
             f"load average {load:.1f} at start, {spent:.0f} CPU s")
    print("\n# --- paste into core/cost.py ---", file=out)
    for what in ("STEP", "PROBE"):
        print(f"{what}: dict[tuple[str, str], tuple[float, ...]] = {{",
              file=out)
        for (cell, norm), c in fitted[what].items():
            print(f'    ("{cell}", "{norm}"): {_fmt(c)},', file=out)
        print("}", file=out)
    print(f"LM_HEAD = {lm_head:.3g}", file=out)
    print(f"FORWARD_SHARE = {forward_share:.3g}", file=out)
    print("FORWARD: dict[str, tuple[float, ...]] = {", file=out)
    for cell, c in forward.items():
        print(f'    "{cell}": {_fmt(c)},', file=out)
    print("}", file=out)
    print(f"RUN_SETUP = {setup:.3g}", file=out)
    print("SAMPLE_CHAR = {" + ", ".join(f'"{c}": {v:.3g}' for c, v in sample_char.items())
          + "}", file=out)
    print(f'CALIBRATED_ON = "{where}"', file=out)
    return {"fitted": fitted, "worst": worst, "lm_head": lm_head, "forward": forward,
            "forward_share": forward_share, "setup": setup, "sample_char": sample_char,
            "where": where}


# --- the check: each experiment at its heaviest allowed setting -----------------------------
#: For each estimated experiment: the page's largest settings (slider maxima; H lowered where
#: even the fewest steps would be over the cap; gain 1 where the defaults explode, because a
#: run stops at its first NaN and the estimate prices every step). ``steps`` is then lowered
#: along its slider until the estimate fits the 30 s cap: the heaviest run a page allows.
HEAVIEST: dict[str, tuple[dict, list[int]]] = {
    "playground.train_run": ({"cell": "lstm", "seq_len": 300, "hidden_size": 128},
                             list(range(50, 3001, 50))),
    "playground.train_run/norm": ({"cell": "gru", "norm": "layer", "seq_len": 300,
                                   "hidden_size": 64}, list(range(50, 3001, 50))),
    "lab_clipping.compare": ({"seq_len": 200, "hidden_size": 128, "gain": 1.0, "lr": 0.01},
                             list(range(50, 2001, 50))),
    "clipping.compare": ({"seq_len": 150, "gain": 1.0}, list(range(50, 501, 50))),
    "clipping.sweep": ({"seq_len": 150, "gain": 1.0}, [80]),
    "exploding.blowup": ({"seq_len": 200, "hidden_size": 128, "gain": 1.0},
                         list(range(20, 601, 20))),
    "effects.length_sweep": ({"task": "copy", "t_max": 200, "hidden_size": 128},
                             list(range(100, 1501, 50))),
    "effects.longer_budget": ({"task": "copy", "T": 200, "hidden_size": 128},
                              list(range(100, 3001, 50))),
    "effects.exploding_run": ({"gain": 1.0}, list(range(20, 151, 10))),
    "gated.compare_cells": ({"seq_len": 100, "hidden_size": 128}, list(range(100, 1501, 50))),
    "init_norm.init_schemes": ({"seq_len": 100, "hidden_size": 128}, list(range(50, 601, 50))),
    "init_norm.norm_compare": ({"cell": "lstm", "seq_len": 100, "hidden_size": 128},
                               list(range(50, 601, 50))),
    "compare.tasks": ({"task": "copy", "seq_len": 200, "hidden_size": 128},
                      list(range(50, 2001, 50))),
    "compare.brackets": ({"max_distance": 100, "hidden_size": 64}, list(range(50, 2001, 50))),
    "compare.char_lm": ({"hidden_size": 256, "seq_len": 128, "batch_size": 64},
                        list(range(50, 1001, 50))),
    "vanishing.training_heatmap": ({}, [300]),
    "vanishing.gradient_profile": ({"cell": "gru", "seq_len": 500, "hidden_size": 256}, [0]),
}
STEP_KEY = {"vanishing.gradient_profile": None}
CAP = 30.0


def heaviest(name: str, cap: float = CAP) -> tuple[str, dict]:
    key = name.split("/")[0]
    base, grid = HEAVIEST[name]
    step_key = STEP_KEY.get(key, "steps")
    if step_key is None:
        return key, dict(base)
    fits = [s for s in grid if cost.estimate(key, {**base, step_key: s}) <= cap]
    return key, {**base, step_key: max(fits) if fits else min(grid)}


#: A call shorter than this (CPU seconds) is timed again warm, the median of three: the model
#: prices steady-state work, and a sub-second call's first run is mostly one-time costs
#: (allocating float64 buffers, lazy kernel set-up) that no cap is about.
WARM_BELOW = 2.0


def _call_seconds(fn, params: dict) -> float:
    t0 = time.process_time()
    fn(**params)
    return time.process_time() - t0


def check(quick: bool = False, names=None, out=sys.stdout) -> list[dict]:
    from bench import warm_up_training
    from core.experiments import resolve

    runtime.configure(1)  # one thread and the server's allocator settings
    warm_up_training()  # a server has paid the once-per-process costs before any page's run
    rows = []
    for name in names or HEAVIEST:
        key, params = heaviest(name)
        if quick and "steps" in params:
            params["steps"] = max(HEAVIEST[name][1][0], params["steps"] // 5)
        fn = resolve(key)
        full = {**fn.defaults, **params}
        est = cost.estimate(key, full)
        took = _call_seconds(fn, full)
        if took < WARM_BELOW:  # a short call is mostly first-call costs: time it warm
            took = statistics.median(_call_seconds(fn, full) for _ in range(3))
        rows.append({"name": name, "params": params, "estimate": est, "measured": took,
                     "ratio": est / took})
        print(f"{name:28s} estimate {est:6.1f} s  measured {took:6.1f} s  "
              f"estimate/measured {est / took:5.2f}  {json.dumps(params)}", file=out,
              flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep-steps", action="store_true",
                    help="keep core.cost's STEP and PROBE; refit forward, LM, set-up, sampling")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args(argv)
    if a.check:
        rows = check(a.quick, a.names or None)
        off = [r for r in rows if not 0.7 <= r["ratio"] <= 1.3]
        print(f"{len(rows) - len(off)} of {len(rows)} within +-30 %", flush=True)
    else:
        calibrate(steps=not a.keep_steps)


if __name__ == "__main__":
    main()
