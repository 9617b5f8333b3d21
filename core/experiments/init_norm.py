"""Section 6, initialisation and normalisation: where the gradient starts, and what changes.

- :func:`init_schemes`: default, Xavier, orthogonal and identity (IRNN, ReLU) starts for a
  vanilla RNN, all scaled by one recurrent gain, plus an LSTM with and without forget-gate bias 1.
  For each: the singular values of W_hh and ||dL/dh|| by lag, before and after a short training
  run, and the loss curve.
- :func:`norm_compare`: no normalisation, layer normalisation (Ba et al. 2016) and recurrent
  batch normalisation (Cooijmans et al. 2016) in the same cell, on convergence, gradient flow
  and the scale of the hidden state.

Shapes: B batch, T time, H hidden size; a "lag" k is T-1-t steps back from the loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ..claims import claim, finite
from ..models import build_model, recurrent_blocks
from ..probes import gradient_norms_by_step, hidden_state_gradients, spectrum
from ..tasks import make_task
from ..training import train
from . import experiment

#: Initialisation schemes: (id, cell, init, nonlinearity, forget bias, label).
SCHEMES = (
    ("default", "rnn", "default", "tanh", None, "PyTorch default (tanh RNN)"),
    ("xavier", "rnn", "xavier", "tanh", None, "Xavier (tanh RNN)"),
    ("orthogonal", "rnn", "orthogonal", "tanh", None, "Orthogonal (tanh RNN)"),
    ("identity", "rnn", "identity", "relu", None, "Identity (IRNN, ReLU)"),
    ("lstm", "lstm", "default", "tanh", None, "LSTM default"),
    ("lstm_fb1", "lstm", "default", "tanh", 1.0, "LSTM, forget bias 1"),
)
SCHEME_LABELS = {s[0]: s[5] for s in SCHEMES}
NORMS = (("none", "No normalisation"), ("layer", "Layer norm"),
         ("batch", "Recurrent batch norm"))
NORM_LABELS = dict(NORMS)


def _log10_by_lag(norms: list[float]) -> list[float]:
    v = np.asarray(norms, dtype=float)[::-1]  # index = lag
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(v > 0, np.log10(np.maximum(v, 1e-300)),
                       np.where(v == 0, -300.0, np.nan))
    return out.tolist()


def _ratio(norms: list[float]) -> float:
    first, last = float(norms[0]), float(norms[-1])
    return first / last if last > 0 and np.isfinite(last) else float("nan")


class _Progress:
    """Partial results of an experiment that trains its runs (``result["order"]``) one after
    the other: ``report(fraction, partial)`` every ten steps, with the running run's loss curve
    so far, and ``report(fraction, result)`` when a run is finished."""

    def __init__(self, report: Callable[[float, dict], None] | None, result: dict, steps: int):
        self.report, self.result, self.steps = report, result, steps
        self.n = len(result["order"])

    def callback(self, i: int, key: str, run: dict) -> Callable:
        """``train``'s callback for run ``key``, the ``i``-th; ``run`` is its entry so far."""

        def callback(rec, hist):
            if self.report is not None and rec["step"] % 10 == 9:
                part = {**run, "step": hist.column("step"), "loss": hist.column("loss")}
                self.report((i + (rec["step"] + 1) / self.steps) / self.n,
                            {**self.result, "runs": {**self.result["runs"], key: part}})

        return callback

    def finish(self, i: int, key: str, run: dict, hist) -> None:
        """Run ``key`` has trained: its loss curve, final loss and first non-finite value from
        ``hist`` go into ``run``, which becomes the result's entry."""
        run["step"], run["loss"] = hist.column("step"), hist.column("loss")
        run["final_loss"] = hist.final_loss()
        run["first_nonfinite"] = hist.first_nonfinite
        self.result["runs"] = {**self.result["runs"], key: run}
        if self.report is not None:
            self.report((i + 1) / self.n, self.result)


def recurrent_singular_values(model) -> list[float]:
    """Singular values (descending) of the ``(H, H)`` recurrent matrix that plays W_hh's role:
    W_hh itself for the RNN, the candidate block W_hg for the LSTM."""
    blocks = recurrent_blocks(model)
    w = blocks["a"] if "a" in blocks else blocks["g"]
    return spectrum(w)["singular"].tolist()


@experiment(seq_len=50, hidden_size=32, gain=1.0, steps=150, lr=1e-3, seed=0)
def init_schemes(seq_len, hidden_size, gain, steps, lr, seed,
                 report: Callable[[float, dict], None] | None = None):
    """Every start of :data:`SCHEMES` on the adding problem, same data and seed.

    W_hh is multiplied by ``gain`` after initialisation (for the LSTM, its whole W_hh). Training:
    Adam at ``lr``, norm clipping at 1, batch 64, ``steps`` steps; ||dL/dh_t|| probed in float64
    on a fixed batch of 32 before the first and after the last update.

    Returns ``{"order", "seq_len", "chance", "runs"}`` with ``runs[id]``: ``label``,
    ``sv_init`` / ``sv_trained`` (H,), ``lag`` (T,), ``grad_init`` / ``grad_trained``
    (T,) = log10 ||dL/dh|| by lag (None until measured), ``ratio_init`` / ``ratio_trained``,
    ``step`` / ``loss`` and ``final_loss``, ``first_nonfinite``.
    """
    seq_len, hidden_size, steps, seed = int(seq_len), int(hidden_size), int(steps), int(seed)
    task = make_task("adding", seq_len)
    runs = {sid: {"label": label, "sv_init": None, "sv_trained": None,
                  "grad_init": None, "grad_trained": None, "ratio_init": None,
                  "ratio_trained": None, "step": [], "loss": [], "final_loss": None,
                  "first_nonfinite": None}
            for sid, *_, label in SCHEMES}
    result = {"order": [s[0] for s in SCHEMES], "seq_len": seq_len, "chance": task.chance,
              "lag": list(range(seq_len)), "runs": runs}
    progress = _Progress(report, result, steps)
    for i, (sid, cell, init, act, fb, _) in enumerate(SCHEMES):
        model = build_model(cell, task.input_size, hidden_size, task.output_size,
                            nonlinearity=act, init=init, gain=gain, forget_bias=fb, seed=seed)
        run = dict(runs[sid])
        run["sv_init"] = recurrent_singular_values(model)
        hist = train(model, task, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, probe_every=steps,
                     callback=progress.callback(i, sid, run))
        probes = hist.probes
        run["grad_init"] = _log10_by_lag(probes[0]["grad_norm_by_t"])
        run["ratio_init"] = _ratio(probes[0]["grad_norm_by_t"])
        if len(probes) > 1:
            run["grad_trained"] = _log10_by_lag(probes[-1]["grad_norm_by_t"])
            run["ratio_trained"] = _ratio(probes[-1]["grad_norm_by_t"])
        run["sv_trained"] = recurrent_singular_values(model)
        progress.finish(i, sid, run, hist)
    return result


@experiment(seq_len=50, hidden_size=32, gain=1.0, seed=0)
def init_profiles(seq_len, hidden_size, gain, seed):
    """Every start of :data:`SCHEMES` before any training: milliseconds, no training.

    Each model is built as :func:`init_schemes` builds it and probed on the same batch (32
    sequences, float64), so the numbers equal that run's measurements at initialisation.
    Returns ``{"order", "seq_len", "gain", "runs"}`` with ``runs[id]``: ``label``, ``cell``,
    ``sv_init`` (H,) singular values of the recurrent matrix, ``grad_init`` (T,) = log10
    ||dL/dh|| by lag, ``ratio_init`` (||dL/dh_0|| / ||dL/dh_T-1||).
    """
    seq_len, hidden_size, seed = int(seq_len), int(hidden_size), int(seed)
    task = make_task("adding", seq_len)
    px, py = task.sample(32, torch.Generator().manual_seed(seed + 10_007))  # as train() does
    runs = {}
    for sid, cell, init, act, fb, label in SCHEMES:
        model = build_model(cell, task.input_size, hidden_size, task.output_size,
                            nonlinearity=act, init=init, gain=gain, forget_bias=fb, seed=seed)
        model.train()
        g = hidden_state_gradients(model, px, lambda o: task.loss(o, py), dtype=torch.float64)
        norms = gradient_norms_by_step(g).tolist()
        runs[sid] = {"label": label, "cell": cell,
                     "sv_init": recurrent_singular_values(model),
                     "grad_init": _log10_by_lag(norms), "ratio_init": _ratio(norms)}
    return {"order": [s[0] for s in SCHEMES], "seq_len": seq_len, "gain": float(gain),
            "runs": runs}


# -- tidy tables for the page's charts (column name -> list) ------------------------------------
def share_table(res: dict, key: str = "grad_init",
                labels: dict[str, str] | None = None) -> dict[str, list]:
    """Each start's gradient by lag as a share of its gradient at lag 0 (``key``: "grad_init"
    or "grad_trained"): ``start`` (``labels[id]``, default the run's label), ``lag``,
    ``share`` (``||dL/dh|| / ||dL/dh at lag 0||``, NaN where not finite, 0 for an exact
    zero), ``log10 grad``."""
    out: dict[str, list] = {"start": [], "lag": [], "share": [], "log10 grad": []}
    for sid in res["order"]:
        r = res["runs"][sid]
        logs = r.get(key)
        if logs is None:
            continue
        v = np.asarray(logs, dtype=float)
        with np.errstate(invalid="ignore", over="ignore"):
            share = np.where(v <= -300.0, 0.0, 10.0 ** (v - v[0]))
        out["start"] += [(labels or {}).get(sid, r["label"])] * len(v)
        out["lag"] += list(range(len(v)))
        out["share"] += share.tolist()
        out["log10 grad"] += v.tolist()
    return out


def sv_table(res: dict, ids=None, labels: dict[str, str] | None = None) -> dict[str, list]:
    """Singular values at initialisation, largest first: ``start`` (``labels[id]``, default
    the run's label), ``rank``, ``singular value`` (for the starts ``ids``, default all)."""
    out: dict[str, list] = {"start": [], "rank": [], "singular value": []}
    for sid in ids or res["order"]:
        sv = res["runs"][sid]["sv_init"]
        out["start"] += [(labels or {}).get(sid, res["runs"][sid]["label"])] * len(sv)
        out["rank"] += list(range(1, len(sv) + 1))
        out["singular value"] += list(sv)
    return out


def loss_table(res: dict, series: str, smooth: int = 10,
               labels: dict[str, str] | None = None) -> dict[str, list]:
    """Every run's loss and its running mean over ``smooth`` steps: ``series``
    (``labels[id]``, default the run's label), ``step``, ``loss``, ``smoothed loss``."""
    out: dict[str, list] = {series: [], "step": [], "loss": [], "smoothed loss": []}
    for k in res["order"]:
        r = res["runs"][k]
        v = np.asarray(r["loss"], dtype=float)
        out[series] += [(labels or {}).get(k, r["label"])] * len(v)
        out["step"] += list(r["step"])
        out["loss"] += v.tolist()
        out["smoothed loss"] += [float(v[max(0, i - smooth + 1):i + 1].mean())
                                 for i in range(len(v))]
    return out


def norm_lag_table(res: dict) -> dict[str, list]:
    """log10 ||dL/dh|| by lag at every probe of every normalisation: ``normalisation``,
    ``training step``, ``lag``, ``log10 grad``."""
    rows = [(r["label"], int(s), k, v) for r in (res["runs"][n] for n in res["order"])
            for s, row in zip(r["probe_steps"], r["log_grad"]) for k, v in enumerate(row)]
    return dict(zip(("normalisation", "training step", "lag", "log10 grad"),
                    map(list, zip(*rows)))) if rows else {
        "normalisation": [], "training step": [], "lag": [], "log10 grad": []}


def scale_table(res: dict) -> dict[str, list]:
    """RMS of h_t by step before and after training: ``normalisation``, ``moment``, ``t``,
    ``RMS of h_t``."""
    out: dict[str, list] = {"normalisation": [], "moment": [], "t": [], "RMS of h_t": []}
    for n in res["order"]:
        r = res["runs"][n]
        for moment, key in (("at initialisation", "scale_init"),
                            ("after training", "scale_trained")):
            if r[key] is not None:
                out["normalisation"] += [r["label"]] * len(r[key])
                out["moment"] += [moment] * len(r[key])
                out["t"] += list(range(len(r[key])))
                out["RMS of h_t"] += list(r[key])
    return out


def hidden_scale(model, x: torch.Tensor) -> list[float]:
    """RMS of the hidden state at every step, over batch and units: x ``(B, T, I)`` -> (T,)."""
    with torch.no_grad():
        hs = torch.stack(model.hidden_states(x), dim=1).double()  # (B, T, H)
    return hs.pow(2).mean(dim=(0, 2)).sqrt().tolist()


#: Mean of the adding problem's target, E[U1 + U2] = 1: where :func:`norm_compare` starts the
#: readout bias (the best input-blind answer, whose loss is the chance line 1/6).
TARGET_MEAN = 1.0


@experiment(cell="rnn", seq_len=50, hidden_size=32, steps=200, lr=1e-3, seed=0)
def norm_compare(cell, seq_len, hidden_size, steps, lr, seed,
                 report: Callable[[float, dict], None] | None = None):
    """The same cell with no normalisation, layer norm and recurrent batch norm.

    Every model's readout bias starts at :data:`TARGET_MEAN`, so that each starts at the chance
    line instead of spending its first steps learning the mean: recurrent batch norm's hidden
    state starts small (gamma = 0.1), and a short run would otherwise judge the readout, not the
    normalisation (Cooijmans et al. train for many thousands of steps).
    Training: Adam at ``lr``, norm clipping at 1, batch 64, ``steps`` steps, same data and seed;
    ||dL/dh_t|| probed about 10 times (float64, fixed batch of 32, training-mode statistics).

    Returns ``{"order", "seq_len", "chance", "runs"}`` with ``runs[norm]``: ``label``,
    ``step`` / ``loss``, ``probe_steps`` (S,), ``log_grad`` (S, T) log10 ||dL/dh|| by lag,
    ``ratio_init`` / ``ratio_final``, ``scale_init`` / ``scale_trained`` (T,) RMS of h_t on
    the probe batch, ``final_loss``, ``first_nonfinite``.
    """
    seq_len, hidden_size, steps, seed = int(seq_len), int(hidden_size), int(steps), int(seed)
    task = make_task("adding", seq_len)
    px, _ = task.sample(32, torch.Generator().manual_seed(seed + 10_007))
    runs = {n: {"label": label, "step": [], "loss": [], "probe_steps": [], "log_grad": [],
                "ratio_init": None, "ratio_final": None, "scale_init": None,
                "scale_trained": None, "final_loss": None, "first_nonfinite": None}
            for n, label in NORMS}
    result = {"order": [n for n, _ in NORMS], "cell": cell, "seq_len": seq_len,
              "chance": task.chance, "lag": list(range(seq_len)), "runs": runs}
    progress = _Progress(report, result, steps)
    for i, (norm, _) in enumerate(NORMS):
        model = build_model(cell, task.input_size, hidden_size, task.output_size, norm=norm,
                            seed=seed)
        with torch.no_grad():
            model.readout.bias.fill_(TARGET_MEAN)
        model.train()
        run = dict(runs[norm])
        run["scale_init"] = hidden_scale(model, px)
        hist = train(model, task, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, probe_every=max(1, steps // 10),
                     callback=progress.callback(i, norm, run))
        model.train()
        run["scale_trained"] = hidden_scale(model, px)
        run["probe_steps"] = [p["step"] for p in hist.probes]
        run["log_grad"] = [_log10_by_lag(p["grad_norm_by_t"]) for p in hist.probes]
        if hist.probes:
            run["ratio_init"] = _ratio(hist.probes[0]["grad_norm_by_t"])
            run["ratio_final"] = _ratio(hist.probes[-1]["grad_norm_by_t"])
        progress.finish(i, norm, run, hist)
    return result


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
#: The four plain-RNN starts of :data:`SCHEMES`.
RNN_STARTS = tuple(s[0] for s in SCHEMES if s[1] == "rnn")


def _ratios(r: dict, key: str, ids=RNN_STARTS) -> dict[str, float]:
    return {s: (r["runs"][s][key] if finite(r["runs"][s][key]) else math.nan) for s in ids}


def _set_run(r: dict, rid: str, **values) -> dict:
    """A copy of ``r`` with some fields of one run replaced (for the claims' ``perturb``)."""
    return {**r, "runs": {**r["runs"], rid: {**r["runs"][rid], **values}}}


def _ratio_text(r: dict, key: str, ids=RNN_STARTS) -> str:
    return ", ".join(f"{SCHEME_LABELS[s]} {v:.1e}" for s, v in _ratios(r, key, ids).items())


@claim(init_profiles, observed=lambda r: _ratio_text(r, "ratio_init"),
       perturb=lambda r: _set_run(r, "identity", ratio_init=1e-12))
def irnn_keeps_most(r: dict) -> bool:
    """at initialisation the identity start (IRNN) passes the largest share of the gradient to
    step 0 of the four RNN starts, more than a tenth"""
    v = _ratios(r, "ratio_init")
    return v["identity"] > 0.1 and all(v["identity"] > x for s, x in v.items()
                                       if s != "identity")


@claim(init_profiles, observed=lambda r: f"{r['runs']['default']['ratio_init']:.1e}",
       perturb=lambda r: _set_run(r, "default", ratio_init=0.5))
def default_loses_most(r: dict) -> bool:
    """the PyTorch default start loses the most: less than a hundred-millionth of
    the gradient reaches step 0"""
    v = _ratios(r, "ratio_init")
    return v["default"] < 1e-8 and all(v["default"] < x for s, x in v.items()
                                       if s != "default")


def _sv(r: dict, sid: str) -> np.ndarray:
    return np.asarray(r["runs"][sid]["sv_init"], dtype=float)


@claim(init_profiles,
       observed=lambda r: "; ".join(f"{SCHEME_LABELS[s]}: {_sv(r, s).min():.4f} to "
                                    f"{_sv(r, s).max():.4f}" for s in ("orthogonal", "identity")),
       perturb=lambda r: _set_run(r, "orthogonal", sv_init=[1.2, 1.0, 0.5]))
def orthogonal_flat(r: dict) -> bool:
    """the orthogonal and identity starts have every singular value equal (to the gain): W_hh
    stretches no direction more than another"""
    return all(np.ptp(_sv(r, s)) < 1e-4 * _sv(r, s).max() for s in ("orthogonal", "identity"))


@claim(init_profiles,
       observed=lambda r: (f"default: {np.mean(_sv(r, 'default') < 1):.0%} below 1, largest "
                           f"{_sv(r, 'default').max():.2f}; Xavier: "
                           f"{np.mean(_sv(r, 'xavier') < 1):.0%} below 1, largest "
                           f"{_sv(r, 'xavier').max():.2f}"),
       perturb=lambda r: _set_run(r, "xavier", sv_init=[0.9, 0.8, 0.7]),
       applies=lambda p: p["gain"] == 1.0)
def random_starts_mostly_shrink(r: dict) -> bool:
    """with the PyTorch default start more than nine in ten singular values of W_hh are below 1
    and the largest is below 1.2; Xavier's largest is above 1.5, yet more than half of its
    singular values are below 1"""
    d, x = _sv(r, "default"), _sv(r, "xavier")
    return (np.mean(d < 1) > 0.9 and d.max() < 1.2 and x.max() > 1.5
            and np.mean(x < 1) > 0.5)


@claim(init_schemes,
       observed=lambda r: ", ".join(f"{SCHEME_LABELS[s]} {r['runs'][s]['final_loss']:.3f}"
                                    for s in r["order"]),
       perturb=lambda r: _set_run(r, "identity", final_loss=0.01))
def short_run_stalls(r: dict) -> bool:
    """no start learned the task in this short run: every final loss is
    above 0.15 (chance is 0.167)"""
    return all(finite(r["runs"][s]["final_loss"]) and r["runs"][s]["final_loss"] > 0.15
               for s in r["order"])


@claim(init_schemes,
       observed=lambda r: "; ".join(
           f"{SCHEME_LABELS[s]} {r['runs'][s]['ratio_init']:.1e} → "
           f"{r['runs'][s]['ratio_trained']:.1e}" for s in ("xavier", "orthogonal", "identity")),
       perturb=lambda r: _set_run(r, "xavier", ratio_trained=r["runs"]["xavier"]["ratio_init"]))
def training_closes_tanh_paths(r: dict) -> bool:
    """the short run shrinks the gradient reaching step 0 by more than a thousand times for the
    Xavier and orthogonal starts, while the IRNN still passes more than a tenth"""
    a, b = _ratios(r, "ratio_init"), _ratios(r, "ratio_trained")
    return (all(b[s] < a[s] / 1000 for s in ("xavier", "orthogonal"))
            and b["identity"] > 0.1)


def _lstm_orders(r: dict) -> float:
    v = _ratios(r, "ratio_init", ("lstm", "lstm_fb1"))
    return math.log10(v["lstm_fb1"] / v["lstm"])


@claim(init_profiles,
       observed=lambda r: (f"{r['runs']['lstm']['ratio_init']:.1e} → "
                           f"{r['runs']['lstm_fb1']['ratio_init']:.1e}, "
                           f"{_lstm_orders(r):.1f} orders"),
       perturb=lambda r: _set_run(r, "lstm_fb1", ratio_init=r["runs"]["lstm"]["ratio_init"]))
def forget_bias_start(r: dict) -> bool:
    """a forget-gate bias of 1 raises the fresh LSTM's first/last ratio by more than
    five orders of magnitude"""
    return _lstm_orders(r) > 5


#: The page's "Normalised LSTMs" preset, as :func:`norm_compare` settings (its claims below are
#: checked there): a T = 40 LSTM, 100 steps at lr 1e-2, within the page's compute cap.
LSTM_PRESET = {"cell": "lstm", "seq_len": 40, "steps": 100, "lr": 1e-2}


def _is_rnn(p: dict) -> bool:
    return p["cell"] == "rnn"


def _is_lstm(p: dict) -> bool:
    return p["cell"] == "lstm"


def _norm_losses(r: dict) -> str:
    return ", ".join(f"{NORM_LABELS[n]} {r['runs'][n]['final_loss']:.3f}" for n in r["order"])


def _norm_ratios(r: dict, key: str) -> str:
    return ", ".join(f"{NORM_LABELS[n]} {r['runs'][n][key]:.1e}" for n in r["order"])


def _loss(r: dict, n: str) -> float:
    v = r["runs"][n]["final_loss"]
    return v if finite(v) else math.nan


@claim(norm_compare,
       observed=lambda r: (f"first/last {r['runs']['none']['ratio_init']:.0e} → "
                           f"{r['runs']['none']['ratio_final']:.0e}, loss "
                           f"{r['runs']['none']['final_loss']:.3f}"),
       perturb=lambda r: _set_run(r, "none", ratio_final=0.5),
       applies=_is_rnn)
def plain_stalls(r: dict) -> bool:
    """without normalisation the tanh RNN passes less than a hundred-millionth of the gradient to
    step 0, before and after training, and its loss stays near chance (above 0.15)"""
    v = _ratios(r, "ratio_init", ("none",))["none"], _ratios(r, "ratio_final", ("none",))["none"]
    return max(v) < 1e-8 and _loss(r, "none") > 0.15


@claim(norm_compare, observed=lambda r: f"first/last {r['runs']['batch']['ratio_final']:.2g}",
       perturb=lambda r: _set_run(r, "batch", ratio_final=1e-3),
       applies=_is_rnn)
def batch_norm_grows_gradient(r: dict) -> bool:
    """after training, recurrent batch norm sends a larger gradient to step 0 than to the last
    step (first/last above 1)"""
    return _ratios(r, "ratio_final", ("batch",))["batch"] > 1


@claim(norm_compare, observed=lambda r: f"loss {r['runs']['layer']['final_loss']:.3f}",
       perturb=lambda r: _set_run(r, "layer", final_loss=0.02),
       applies=_is_rnn)
def layer_norm_stalls(r: dict) -> bool:
    """with layer norm the tanh RNN's loss also stays near chance (above 0.14)"""
    return _loss(r, "layer") > 0.14


@claim(norm_compare,
       observed=lambda r: (f"first/last at initialisation {r['runs']['layer']['ratio_init']:.2g}, "
                           f"loss {r['runs']['layer']['final_loss']:.3f}"),
       perturb=lambda r: _set_run(r, "layer", ratio_init=1e-9),
       seeds=None, applies=_is_rnn)
def arrives_but_not_learned(r: dict) -> bool:
    """layer norm let more than a tenth of the gradient reach step 0 at initialisation, and still
    its loss stayed near chance (above 0.14)"""
    return _ratios(r, "ratio_init", ("layer",))["layer"] > 0.1 and _loss(r, "layer") > 0.14


def _scale_range(r: dict, n: str) -> tuple[float, float]:
    v = np.asarray(r["runs"][n]["scale_init"] + r["runs"][n]["scale_trained"], dtype=float)
    return float(v.min()), float(v.max())


@claim(norm_compare, observed=lambda r: "from {:.2f} to {:.2f}".format(*_scale_range(r, "layer")),
       perturb=lambda r: _set_run(r, "layer", scale_trained=[0.1] * r["seq_len"]),
       applies=_is_rnn)
def layer_norm_sets_scale(r: dict) -> bool:
    """with layer norm the hidden state's RMS stays between 0.6 and 0.9 at every step,
    before and after training"""
    lo, hi = _scale_range(r, "layer")
    return 0.6 < lo and hi < 0.9


@claim(norm_compare, observed=_norm_losses,
       perturb=lambda r: _set_run(r, "batch", final_loss=1.0),
       settings=[{}, LSTM_PRESET])
def batch_norm_lowest(r: dict) -> bool:
    """recurrent batch norm ends with the lowest loss of the three"""
    return _loss(r, "batch") < min(_loss(r, "none"), _loss(r, "layer"))


@claim(norm_compare, observed=_norm_losses,
       perturb=lambda r: _set_run(r, "layer", final_loss=0.16),
       settings=[LSTM_PRESET], applies=_is_lstm)
def lstm_norm_learns(r: dict) -> bool:
    """both normalised LSTMs end below half of chance, while the plain LSTM stays
    near chance (above 0.14)"""
    half = r["chance"] / 2
    return _loss(r, "layer") < half and _loss(r, "batch") < half and _loss(r, "none") > 0.14


@claim(norm_compare, observed=lambda r: _norm_ratios(r, "ratio_init"),
       perturb=lambda r: _set_run(r, "batch", ratio_init=1e-9),
       settings=[LSTM_PRESET], applies=_is_lstm)
def lstm_norm_gradient_at_init(r: dict) -> bool:
    """at initialisation both normalised LSTMs pass more than a thousandth of the gradient to
    step 0, the plain LSTM less than a millionth"""
    v = _ratios(r, "ratio_init", ("none", "layer", "batch"))
    return v["layer"] > 1e-3 and v["batch"] > 1e-3 and v["none"] < 1e-6
