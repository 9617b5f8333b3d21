"""Section 2, exploding gradients: a run that blows up, its NaN forensics, and the cliff."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import cliff
from ..claims import SEEDS, claim, finite, finite_values, held_while_blown, held_while_blown_text
from ..models import build_model
from ..probes import jacobian_log_norms, spectrum
from ..tasks import make_task
from ..training import train
from . import experiment

#: The W_hh heatmap shows the top-left block of at most this many units (JSON size).
HEAT_UNITS = 32
#: The cliff window (w, b) and grid resolution shared with the clipping page.
CLIFF_W, CLIFF_B, CLIFF_N = (2.0, 12.0), (-7.0, 2.0), 46
#: A step that raises ||W_hh|| by more than this fraction counts as "still growing".
GROWTH_TOL = 0.01
#: The growth phase is named only when ||W_hh|| grew by more than this factor in all.
GROWTH_MIN = 100.0
#: Sequences in the fixed batch on which the readout's curvature is measured.
PROBE_BATCH = 64


def _nonfinite_counts(model: torch.nn.Module) -> dict[str, list[int]]:
    """``{parameter name: [non-finite entries, total entries]}``."""
    return {n: [int((~torch.isfinite(p)).sum()), p.numel()] for n, p in model.named_parameters()}


def _block(w: torch.Tensor, k: int) -> list[list[float]]:
    return w.detach()[:k, :k].double().tolist()


def weight_norm(t: torch.Tensor) -> float:
    """Frobenius norm in float64; NaN when any entry is non-finite."""
    t = t.detach()
    return float(t.double().norm()) if bool(torch.isfinite(t).all()) else math.nan


@torch.no_grad()
def readout_curvature(model: torch.nn.Module, x: torch.Tensor) -> float:
    """The largest curvature of the last-step MSE as a function of the readout alone.

    With the hidden state h_T fixed, the loss (1/B) sum_b (w . h_b + c - y_b)^2 is a quadratic
    in the readout (w, c) with Hessian (2/B) sum_b h~_b h~_b^T, h~ = (h_T, 1). Plain SGD on it
    is stable only while lr x (its largest eigenvalue) < 2. ``x``: (B, T, I). NaN when the
    hidden states are not finite.
    """
    h = model.fused_hidden(x)[:, -1, :].double()  # (B, H)
    if not bool(torch.isfinite(h).all()):
        return math.nan
    ht = torch.cat([h, torch.ones(len(h), 1, dtype=h.dtype)], dim=1)  # (B, H + 1)
    try:
        return float(torch.linalg.eigvalsh(2.0 * ht.T @ ht / len(ht))[-1])
    except RuntimeError:  # no convergence on a pathological matrix: no number, no crash
        return math.nan


def phases(w_norm: list[float], w_norm_init: float, loss: list[float],
           curvature: list[float], lr: float, optimizer: str) -> dict:
    """Split a run into the growth of W_hh and what came after, from its per-step records.

    ``growth_end``: the last step whose update raised ||W_hh|| by more than ``GROWTH_TOL``,
    or None when ||W_hh|| never grew ``GROWTH_MIN``-fold. ``after`` (None when fewer than three
    finite losses follow it): ``start`` (first step after the growth), ``end`` (last step with
    a finite loss), ``loss_factor`` (geometric mean of the loss's growth per step between
    them), ``lr_curvature`` (median lr x readout curvature over those steps) and, for plain
    SGD, ``predicted_factor`` = (1 - lr x curvature)^2, the growth per step of a quadratic
    loss under SGD when that curvature dominates.
    """
    out: dict = {"growth_end": None, "growth": None, "after": None}
    fin = [(s, v) for s, v in enumerate(w_norm) if math.isfinite(v)]
    if not fin or not (w_norm_init > 0) or max(v for _, v in fin) < GROWTH_MIN * w_norm_init:
        return out
    prev, end = w_norm_init, -1
    for s, v in fin:
        if v > (1.0 + GROWTH_TOL) * prev:
            end = s
        prev = v
    out["growth_end"] = end
    out["growth"] = w_norm[end] / w_norm_init if end >= 0 else 1.0
    ok = [s for s, v in enumerate(loss) if math.isfinite(v)]
    last = ok[-1] if ok else -1
    start = end + 1
    if last - start < 2 or not all(math.isfinite(loss[s]) and loss[s] > 0
                                   for s in range(start, last + 1)):
        return out
    k = [lr * c for c in curvature[max(end, 0):last - 1] if math.isfinite(c)]
    lc = float(np.median(k)) if k else math.nan
    out["after"] = {
        "start": start, "end": last,
        "loss_factor": (loss[last] / loss[start]) ** (1.0 / (last - start)),
        "lr_curvature": lc,
        "predicted_factor": (1.0 - lc) ** 2 if optimizer == "sgd" and math.isfinite(lc) else None,
    }
    return out


@experiment(nonlinearity="tanh", gain=2.0, seq_len=30, hidden_size=64, optimizer="sgd",
            lr=0.05, steps=200, batch_size=64, seed=0)
def blowup(nonlinearity, gain, seq_len, hidden_size, optimizer, lr, steps, batch_size, seed,
           report=None):
    """Train a vanilla RNN on the adding problem with settings that may explode, and the same
    run with W_hh frozen as a control.

    Records every step until the weights turn non-finite (then the run stops, as a real
    training script would have nothing left to train). Lists over the n steps run:
    ``step``, ``loss``, ``grad_norm`` (pre-update, all parameters together), and after each
    step's update ``w_max`` (max |W_hh|), ``w_norm`` (||W_hh||, Frobenius), ``readout_norm``
    (||readout weight||) and ``curvature`` (:func:`readout_curvature` on a fixed batch of
    ``PROBE_BATCH`` sequences), each NaN when non-finite; their values at initialisation
    ``w_norm_init``, ``readout_norm_init``, ``curvature_init``.
    ``first_nonfinite`` (step, where, tensor) or None; ``stopped``; ``nonfinite_counts`` per
    parameter at the end; ``w_init``, ``w_last_finite`` (after step ``w_last_finite_step``,
    -1 = init) and ``w_end``: the top-left (k, k) block of W_hh at the start, after the last
    step that left it finite, and at the end (non-finite entries kept); ``sigma_max`` and
    ``spectral_radius`` of W_hh at init; ``chance`` (1/6); ``phases`` (see :func:`phases`);
    ``frozen``: the control (same start, same batches, W_hh not trained) with ``step``,
    ``loss``, ``grad_norm``, ``first_nonfinite``, ``stopped`` (None while it has not run).
    """
    task = make_task("adding", seq_len)

    def fresh():
        return build_model("rnn", task.input_size, hidden_size, task.output_size,
                           nonlinearity=nonlinearity, init="default", gain=gain, seed=seed)

    model = fresh()
    px, _ = task.sample(PROBE_BATCH, torch.Generator().manual_seed(seed + 20_011))
    w_init = model.cell.weight_hh.detach().clone()
    spec = spectrum(w_init)
    k = min(hidden_size, HEAT_UNITS)
    track: dict[str, list[float]] = {"w_max": [], "w_norm": [], "readout_norm": [],
                                     "curvature": []}
    init = {"w_norm_init": weight_norm(w_init),
            "readout_norm_init": weight_norm(model.readout.weight),
            "curvature_init": readout_curvature(model, px)}
    last_ok = {"step": -1, "w": w_init.clone()}  # W_hh after the last step that left it finite
    frozen: dict = {"run": None}

    def result(hist, final: bool) -> dict:
        w = model.cell.weight_hh.detach()
        loss = hist.column("loss")
        return {
            "step": hist.column("step"),
            "loss": loss,
            "grad_norm": hist.column("grad_norm"),
            **{key: list(v) for key, v in track.items()},
            **init,
            "first_nonfinite": hist.first_nonfinite,
            "stopped": hist.stopped if final else "running",
            "nonfinite_counts": _nonfinite_counts(model),
            "w_init": _block(w_init, k),
            "w_end": _block(w, k),
            "w_last_finite": _block(last_ok["w"], k),
            "w_last_finite_step": last_ok["step"],
            "sigma_max": float(spec["singular"][0]),
            "spectral_radius": float(spec["spectral_radius"]),
            "chance": task.chance,
            "steps_asked": int(steps),
            "lr": float(lr),
            "optimizer": optimizer,
            "phases": phases(track["w_norm"], init["w_norm_init"], loss, track["curvature"],
                             lr, optimizer),
            "frozen": frozen["run"],
        }

    def control(hist, final: bool) -> dict:
        return {"step": hist.column("step"), "loss": hist.column("loss"),
                "grad_norm": hist.column("grad_norm"),
                "first_nonfinite": hist.first_nonfinite,
                "stopped": hist.stopped if final else "running"}

    def callback(rec, hist):
        w = model.cell.weight_hh.detach()
        ok = bool(torch.isfinite(w).all())
        track["w_max"].append(float(w.abs().max()) if ok else math.nan)
        track["w_norm"].append(weight_norm(w))
        track["readout_norm"].append(weight_norm(model.readout.weight))
        track["curvature"].append(readout_curvature(model, px))
        if ok:
            last_ok.update(step=rec["step"], w=w.clone())
        if report is not None and (rec["step"] % 10 == 0):
            report(0.5 * (rec["step"] + 1) / steps, result(hist, False))

    kw = dict(optimizer=optimizer, lr=lr, steps=steps, batch_size=batch_size, seed=seed)
    hist = train(model, task, callback=callback, **kw)
    main = result(hist, True)

    still = fresh()
    still.cell.weight_hh.requires_grad_(False)  # train() leaves out what needs no gradient

    def frozen_cb(rec, h):
        if report is not None and rec["step"] % 10 == 0:
            frozen["run"] = control(h, False)
            report(0.5 + 0.5 * (rec["step"] + 1) / steps, {**main, "frozen": frozen["run"]})

    frozen["run"] = control(train(still, task, callback=frozen_cb, **kw), True)
    return {**main, "frozen": frozen["run"]}


@experiment(gains=[1.0, 2.0, 3.0], seq_len=50, hidden_size=64, seed=0)
def jacobian_growth(gains, seq_len, hidden_size, seed):
    """log10 ||dh_T/dh_t||_2 against the lag for fresh tanh RNNs at several recurrent gains.

    For each gain: ``sigma_max`` of W_hh (sigma_max > 1 = 1/gamma is needed for explosion) and the
    measured curve over lags ``0..T`` on one adding-problem sequence. Returns ``lag`` (T+1,),
    ``curves``: [{gain, sigma_max, log_norm (T+1,)}].
    """
    task = make_task("adding", seq_len)
    x, _ = task.sample(1, torch.Generator().manual_seed(seed + 1))
    curves = []
    for g in gains:
        model = build_model("rnn", task.input_size, hidden_size, task.output_size, gain=float(g),
                            seed=seed)
        sig = float(spectrum(model.cell.weight_hh)["singular"][0])
        curves.append({"gain": float(g), "sigma_max": sig,
                       "log_norm": jacobian_log_norms(model, x).tolist()})
    return {"lag": list(range(seq_len + 1)), "curves": curves}


def cliff_surface(seq_len: int) -> dict:
    """The loss surface on the shared window (see :data:`CLIFF_W`, :data:`CLIFF_B`)."""
    spec = cliff.CliffSpec(T=seq_len)
    s = cliff.surface(CLIFF_W, CLIFF_B, CLIFF_N, spec)
    s["loss"] = np.round(np.asarray(s["loss"]), 6).tolist()
    s.pop("grad_norm")
    return s


@experiment(w0=6.5, b0=-2.35, lr=0.05, steps=100, seq_len=50)
def cliff_path(w0, b0, lr, steps, seq_len):
    """Pascanu's one-unit RNN: the loss surface over (w, b) and an unclipped GD path.

    Returns ``surface`` (w (n,), b (n,), loss (n, n) indexed [i_b][i_w]), ``path`` (from
    :func:`core.cliff.descend`), ``spec``, and ``wall``: the line b = x0 - w sigmoid(x0) along
    which x0 is the unstable fixed point (the cliff), sampled over the window.
    """
    spec = cliff.CliffSpec(T=seq_len)
    path = cliff.descend((w0, b0), spec, lr=lr, steps=steps)
    return {"surface": cliff_surface(seq_len), "path": path, "spec": spec.as_dict(),
            "wall": wall_line(spec)}


def wall_line(spec: cliff.CliffSpec) -> dict:
    """Where x0 is the map's unstable fixed point: b = x0 - w sigmoid(x0), for w with
    w sigmoid'(x0) > 1 (only there is it unstable, so only there is there a cliff)."""
    s = 1.0 / (1.0 + math.exp(-spec.x0))
    w_min = 1.0 / (s * (1 - s))
    ws = [w for w in np.linspace(max(w_min, CLIFF_W[0]), CLIFF_W[1], 30).tolist()]
    bs = [spec.x0 - w * s for w in ws]
    keep = [(w, b) for w, b in zip(ws, bs) if CLIFF_B[0] <= b <= CLIFF_B[1]]
    return {"w": [p[0] for p in keep], "b": [p[1] for p in keep]}


# -- what the page says about these runs (checked by tests/claims/) ---------------------------

def num(x: float) -> str:
    """A number for a sentence: 3 significant digits, powers of ten for very big or small."""
    return f"{x:.1e}" if finite(x) and x != 0 and not 1e-3 <= abs(x) < 1e4 else f"{x:.3g}"


def _after(r: dict) -> dict:
    return r["phases"]["after"]


def _growth_tail(r: dict) -> list[float]:
    """||W_hh|| from the end of its growth to the end of the run (finite values)."""
    return finite_values(r["w_norm"][r["phases"]["growth_end"]:])


@claim(blowup,
       observed=lambda r: (f"×{num(r['phases']['growth'])} by step "
                           f"{r['phases']['growth_end']}, "
                           f"then flat for {len(_growth_tail(r)) - 1} steps"),
       perturb=lambda r: {**r, "w_norm": [v * 1.1 ** i for i, v in enumerate(r["w_norm"])]},
       settings=[{}], seeds=SEEDS)
def w_grows_then_stops(r: dict) -> bool:
    """||W_hh|| grows more than a thousand-fold, then stops: from that step on it stays
    within 1% of where it stopped"""
    ph = r["phases"]
    tail = _growth_tail(r)
    return (ph["growth_end"] is not None and ph["growth"] > 1e3 and len(tail) >= 3
            and all(abs(v / tail[0] - 1.0) <= 0.01 for v in tail))


@claim(blowup,
       observed=lambda r: (f"measured ×{_after(r)['loss_factor']:.3g} per step, "
                           f"(1 − lr × λ)² = {_after(r)['predicted_factor']:.3g}"),
       perturb=lambda r: {**r, "phases": {**r["phases"], "after": {
           **r["phases"]["after"], "loss_factor": 2.0 * r["phases"]["after"]["loss_factor"]}}},
       settings=[{}], seeds=SEEDS)
def readout_rule(r: dict) -> bool:
    """after that, the loss changes per step by a factor (geometric mean) within 25% of (1 −
    lr × λ)²: what plain SGD does on the readout alone, where λ is the curvature of the loss
    along the readout weights"""
    a = _after(r)
    return (a is not None and finite(a["predicted_factor"]) and a["predicted_factor"] > 0
            and finite(a["loss_factor"]) and a["loss_factor"] > 0
            and abs(math.log(a["loss_factor"] / a["predicted_factor"])) < math.log(1.25))


@claim(blowup,
       observed=lambda r: (f"lr × λ = {_after(r)['lr_curvature']:.3g}; "
                           + (f"first inf/NaN at step {r['first_nonfinite']['step']}"
                              if r["first_nonfinite"] else "stayed finite")),
       perturb=lambda r: {**r, "first_nonfinite": None if r["first_nonfinite"] else
                          {"step": 0, "where": "loss", "tensor": "loss"}},
       settings=[{}], seeds=SEEDS)
def overflow_iff_unstable(r: dict) -> bool:
    """whether the run overflows is decided in that phase by lr × λ: above 2 every SGD step
    overshoots the readout's error further and the run overflows; below 2 it stays finite"""
    a = _after(r)
    return (a is not None and finite(a["lr_curvature"])
            and (r["first_nonfinite"] is not None) == (a["lr_curvature"] > 2.0))


@claim(blowup,
       observed=lambda r: held_while_blown_text("frozen", r["frozen"]["loss"], "full run",
                                                r["loss"]),
       perturb=lambda r: {**r, "frozen": {**r["frozen"],
                                          "loss": r["frozen"]["loss"] + [float("nan")]}},
       settings=[{}], seeds=SEEDS)
def frozen_control(r: dict) -> bool:
    """with W_hh frozen (same start, same batches, everything else trained) the run stays
    finite and its loss never exceeds twice its first value, while the full run's loss climbs
    more than a million-fold"""
    return held_while_blown(r["frozen"], r["loss"])


@claim(blowup, observed=lambda r: f"||W_hh|| from {r['w_norm_init']:.3g} to {r['w_norm'][-1]:.3g}",
       perturb=lambda r: {**r, "w_norm": r["w_norm"][:-1] + [100.0 * r["w_norm_init"]]},
       settings=[{"gain": 1.0}], seeds=SEEDS, applies=lambda p: p["gain"] <= 1.0)
def calm_at_gain_1(r: dict) -> bool:
    """at gain 1 nothing explodes: the run stays finite and ||W_hh|| stays within 5% of its start"""
    return (r["first_nonfinite"] is None and len(r["w_norm"]) > 0
            and all(finite(v) and abs(v / r["w_norm_init"] - 1.0) <= 0.05
                    for v in r["w_norm"]))


@claim(blowup,
       observed=lambda r: (f"||W_hh|| at most {max(finite_values(r['w_norm'])):.3g} "
                           f"(start {r['w_norm_init']:.3g})"),
       perturb=lambda r: {**r, "first_nonfinite": {"step": 0, "where": "loss",
                                                   "tensor": "loss"}},
       settings=[{"optimizer": "adam"}], seeds=SEEDS,
       applies=lambda p: p["optimizer"] == "adam")
def adam_survives(r: dict) -> bool:
    """with Adam the same explosive start stays finite, and ||W_hh|| grows less than tenfold"""
    return (r["first_nonfinite"] is None and len(r["w_norm"]) > 0
            and all(finite(v) for v in r["w_norm"])
            and max(r["w_norm"]) < 10.0 * r["w_norm_init"])


def _curve(r: dict, gain: float) -> dict:
    return next(c for c in r["curves"] if c["gain"] == gain)


@claim(jacobian_growth,
       observed=lambda r: (f"gain 1: 10^{_curve(r, 1.0)['log_norm'][-1]:.1f}, "
                           f"gain 3: 10^{_curve(r, 3.0)['log_norm'][-1]:.1f}"),
       perturb=lambda r: {**r, "curves": [{**c, "log_norm": c["log_norm"][:-1] + [0.0]}
                                          for c in r["curves"]]},
       settings=[{}], seeds=SEEDS)
def necessary_not_sufficient(r: dict) -> bool:
    """every network here has sigma_max > 1, yet at gain 1 the product over all T steps shrinks
    below 1/1000, while at gain 3 it grows past 100"""
    return (all(c["sigma_max"] > 1.0 for c in r["curves"])
            and _curve(r, 1.0)["log_norm"][-1] < -3.0 and _curve(r, 3.0)["log_norm"][-1] > 2.0)


def inside_map(r: dict, w: float, b: float) -> bool:
    """Whether (w, b) lies on the cliff map drawn from ``r["surface"]``."""
    s = r["surface"]
    return (finite(w) and finite(b) and s["w"][0] <= w <= s["w"][-1]
            and s["b"][0] <= b <= s["b"][-1])


def _throw(p: dict) -> int:
    """The step with the largest gradient norm on a descent path."""
    g = p["grad_norm"]
    return max(range(len(g)), key=lambda i: g[i] if finite(g[i]) else -1.0)


def near_edge(r: dict, w: float, b: float) -> bool:
    """Whether (w, b) lies within 0.05 in b of the cliff line (see :func:`wall_line`)."""
    spec = cliff.CliffSpec(**r["spec"])
    return abs(cliff.edge_offset(w, b, spec)) < 0.05


@claim(cliff_path,
       observed=lambda r: (f"step {_throw(r['path'])}: gradient "
                           f"{r['path']['grad_norm'][_throw(r['path'])]:.3g}, largest before it "
                           f"{max(r['path']['grad_norm'][:_throw(r['path'])]):.3g}"),
       perturb=lambda r: {**r, "path": {**r["path"], "grad_norm": [
           min(g, 10.0) for g in r["path"]["grad_norm"]]}},
       settings=[{}], seeds=None)
def flung(r: dict) -> bool:
    """one step lands right at the cliff edge, meets a gradient more than 50 times larger than
    any before it, and that single update throws the point off the map"""
    p = r["path"]
    i = _throw(p)
    return (i > 0 and p["grad_norm"][i] > 50.0 * max(p["grad_norm"][:i])
            and inside_map(r, p["w"][i], p["b"][i]) and near_edge(r, p["w"][i], p["b"][i])
            and not inside_map(r, p["w"][i + 1], p["b"][i + 1]))


@claim(cliff_path,
       observed=lambda r: f"ends at w = {r['path']['w'][-1]:.3g}, b = {r['path']['b'][-1]:.3g}",
       perturb=lambda r: {**r, "path": {**r["path"], "w": r["path"]["w"][:-1] + [6.5],
                                        "b": r["path"]["b"][:-1] + [-2.35]}},
       settings=[{}], seeds=None)
def lost(r: dict) -> bool:
    """the thrown point never comes back: it ends in another valley, off the map at w < 0"""
    p = r["path"]
    i = _throw(p)
    return (p["w"][-1] < 0 and
            not any(inside_map(r, w, b) for w, b in zip(p["w"][i + 1:], p["b"][i + 1:])))
