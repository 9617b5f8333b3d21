"""Section 4, effects on training: where a vanilla RNN stops learning, and what NaN does."""

from __future__ import annotations

import math

import torch

from ..claims import claim, finite
from ..models import build_model
from ..tasks import make_task
from ..training import evaluate, train, weights_ok
from . import experiment

#: Shortest length each task accepts (temporal order places its markers at T/10 and 5T/10).
MIN_LEN = {"adding": 2, "copy": 1, "order": 10, "series": 1}
#: Fractions of the longest length used for the sweep.
FRACTIONS = (1 / 6, 1 / 3, 1 / 2, 3 / 4, 1.0)
#: Training steps are grouped into this many points when a curve is shipped (mean per group).
CURVE_POINTS = 100


def sweep_lengths(task: str, t_max: int) -> list[int]:
    """The dependency lengths of a sweep: five values from about t_max/6 up to ``t_max``."""
    lo = MIN_LEN[task]
    return sorted({max(lo, int(round(t_max * f))) for f in FRACTIONS})


def _binned(values: list[float], points: int = CURVE_POINTS) -> tuple[list[int], list[float]]:
    """Mean of ``values`` over about ``points`` equal groups of steps (NaN if a group has one).

    Returns (first step of each group, group mean)."""
    n = len(values)
    size = max(1, math.ceil(n / points))
    steps, means = [], []
    for s in range(0, n, size):
        chunk = values[s:s + size]
        steps.append(s)
        means.append(sum(chunk) / len(chunk))  # NaN / inf propagate: they are the lesson
    return steps, means


def _copy(d: dict) -> dict:
    """A copy whose lists later appends do not change (partial results handed to ``report``)."""
    return {k: list(v) if isinstance(v, list) else v for k, v in d.items()}


@experiment(task="order", t_max=60, cell="rnn", hidden_size=32, steps=300, lr=1e-2, seed=0)
def length_sweep(task, t_max, cell, hidden_size, steps, lr, seed, report=None):
    """Train a fresh network on ``task`` at five dependency lengths up to ``t_max``.

    Adam, norm clipping at 1 (so nothing explodes: this chart is about vanishing), batch 64.
    Returns ``task``, ``cell``, ``steps`` (as given), ``lengths`` (L,), ``final_loss`` and
    ``final_accuracy`` (L,) on a fresh batch of 256
    (accuracy None for the adding problem), ``chance_loss`` (L,), ``chance_accuracy``,
    ``learned`` (L,) (final loss below half the chance loss), ``curve_T``, ``curve_step``,
    ``curve_loss`` (flat lists: training loss, binned, for every length), ``loss_name``.
    ``report(fraction, partial)`` gets the same shape with the lengths finished so far.
    """
    lengths = sweep_lengths(task, t_max)
    out = {"task": task, "cell": cell, "steps": steps, "lengths": [], "final_loss": [],
           "final_accuracy": [], "chance_loss": [], "learned": [], "curve_T": [], "curve_step": [],
           "curve_loss": [], "chance_accuracy": None, "loss_name": ""}
    total = len(lengths) * steps
    for i, T in enumerate(lengths):
        tk = make_task(task, T)
        out["chance_accuracy"], out["loss_name"] = tk.chance_accuracy, tk.loss_name
        model = build_model(cell, tk.input_size, hidden_size, tk.output_size, seed=seed)

        def progress(rec, hist, i=i, T=T):
            if report is not None and (rec["step"] + 1) % 25 == 0:
                s, m = _binned(hist.column("loss"), CURVE_POINTS * (rec["step"] + 1) // steps)
                part = {**_copy(out), "curve_T": out["curve_T"] + [T] * len(s),
                        "curve_step": out["curve_step"] + s, "curve_loss": out["curve_loss"] + m}
                report((i * steps + rec["step"] + 1) / total, part)

        hist = train(model, tk, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, callback=progress)
        ev = evaluate(model, tk) if weights_ok(model) else {"loss": math.nan, "accuracy": None}
        s, m = _binned(hist.column("loss"))
        out["lengths"].append(T)
        out["final_loss"].append(ev["loss"])
        out["final_accuracy"].append(ev["accuracy"])
        out["chance_loss"].append(tk.chance)
        out["learned"].append(bool(ev["loss"] < 0.5 * tk.chance))
        out["curve_T"] += [T] * len(s)
        out["curve_step"] += s
        out["curve_loss"] += m
        if report is not None:
            report((i + 1) / len(lengths), _copy(out))
    return out


def first_below(values: list[float], level: float, window: int = 20) -> int | None:
    """First step at which the mean of the last ``window`` values is below ``level`` (None if
    never): when a training curve has really left a level, not one lucky batch."""
    for i in range(window, len(values) + 1):
        if sum(values[i - window:i]) / window < level:
            return i - 1
    return None


@experiment(task="order", T=30, cell="rnn", hidden_size=32, steps=1500, budget=300, lr=1e-2,
            seed=0)
def longer_budget(task, T, cell, hidden_size, steps, budget, lr, seed, report=None):
    """The step-budget control of :func:`length_sweep`: one length trained ``steps`` steps
    instead of ``budget``.

    The first ``budget`` steps are the sweep's own run at this length (same weights, batches,
    optimiser), so the score at ``budget`` is the sweep's. Returns ``task``, ``cell``, ``T``,
    ``steps``, ``budget``, ``curve_step``, ``curve_loss`` (training loss, binned, as in the
    sweep), ``loss_at_budget``, ``accuracy_at_budget``, ``final_loss``, ``final_accuracy``
    (on the sweep's 256 fresh sequences; accuracy None for regression), ``learned_at_budget``,
    ``learned`` (loss below half the chance loss), ``first_below_half`` (first step whose
    20-step mean training loss is below half the chance loss, or None), ``chance``,
    ``chance_accuracy``, ``loss_name``, ``steps_done``.
    """
    tk = make_task(task, T)
    model = build_model(cell, tk.input_size, hidden_size, tk.output_size, seed=seed)
    out = {"task": task, "cell": cell, "T": T, "steps": steps, "budget": budget,
           "chance": tk.chance, "chance_accuracy": tk.chance_accuracy, "loss_name": tk.loss_name,
           "curve_step": [], "curve_loss": [], "loss_at_budget": None,
           "accuracy_at_budget": None, "learned_at_budget": None, "final_loss": None,
           "final_accuracy": None, "learned": None, "first_below_half": None, "steps_done": 0}

    def score() -> dict:
        return evaluate(model, tk) if weights_ok(model) else {"loss": math.nan, "accuracy": None}

    def progress(rec, hist):
        done = rec["step"] + 1
        if done == budget:
            ev = score()
            out.update(loss_at_budget=ev["loss"], accuracy_at_budget=ev["accuracy"],
                       learned_at_budget=bool(ev["loss"] < 0.5 * tk.chance))
        if report is not None and (done % 50 == 0 or done == steps):
            s, m = _binned(hist.column("loss"), CURVE_POINTS * done // steps)
            report(done / steps, {**_copy(out), "curve_step": s, "curve_loss": m,
                                  "steps_done": done})

    hist = train(model, tk, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                 steps=steps, batch_size=64, seed=seed, callback=progress)
    ev = score()
    losses = hist.column("loss")
    out["curve_step"], out["curve_loss"] = _binned(losses)
    out.update(final_loss=ev["loss"], final_accuracy=ev["accuracy"],
               learned=bool(ev["loss"] < 0.5 * tk.chance), steps_done=len(losses),
               first_below_half=first_below(losses, 0.5 * tk.chance))
    return out


def readout_lr_limit(model, x: torch.Tensor) -> float:
    """2 / lambda for the readout alone on the batch ``x`` ``(B, T, I)``: plain SGD on the
    readout's weights and bias diverges above this learning rate, whatever the recurrence does.

    With the loss the MSE on the last step, the readout's Hessian is ``2 F^T F / B`` where
    ``F = [h_T, 1]`` ``(B, H + 1)``; lambda is its largest eigenvalue. NaN for non-finite
    weights.
    """
    return hidden_stats(model, x)[1]


def hidden_stats(model, x: torch.Tensor) -> tuple[float | None, float]:
    """``(saturation, readout_lr_limit)`` from one forward pass on the batch ``x`` ``(B, T, I)``.

    saturation: fraction of hidden values with |h| > 0.99 over every step (tanh units at the
    ends of their range; None for ReLU). Both are NaN / None when a weight is non-finite.
    """
    if not weights_ok(model):
        return None, math.nan
    with torch.no_grad():
        h = model.fused_hidden(x).double()  # (B, T, H)
    sat = float((h.abs() > 0.99).double().mean()) if model.nonlinearity == "tanh" else None
    last = h[:, -1, :]  # (B, H)
    f = torch.cat([last, torch.ones(last.shape[0], 1, dtype=last.dtype)], dim=1)  # (B, H + 1)
    if not bool(torch.isfinite(f).all()):
        return sat, math.nan
    lam = 2.0 * float(torch.linalg.eigvalsh(f.T @ f / f.shape[0]).max())
    return sat, (2.0 / lam if lam > 0 else math.inf)


def _norm(*grads: torch.Tensor | None) -> float:
    """Joint norm of some gradients (0 for none); inf/NaN pass through."""
    sq = [float(g.double().pow(2).sum()) for g in grads if g is not None]
    return math.sqrt(sum(sq)) if sq else 0.0


#: The three runs of :func:`exploding_run`: name, clipping, W_hh trained.
EXPLODING_RUNS = (("raw", "none", True), ("frozen", "none", False), ("clipped", "norm", True))


@experiment(gain=2.5, lr=0.05, nonlinearity="tanh", seq_len=100, hidden_size=32, steps=100,
            seed=0)
def exploding_run(gain, lr, nonlinearity, seq_len, hidden_size, steps, seed, report=None):
    """Plain SGD on the adding problem from a large recurrent gain, three times from the same
    start with the same batches: without clipping (``raw``), with W_hh frozen (``frozen``, the
    control: the gradient still flows back through W_hh, but W_hh is never updated), and with
    norm clipping at 1 (``clipped``, a preview of section 5).

    Training does not stop at the first NaN (``stop_on_nonfinite=False``), so the curve shows
    what a non-finite weight does to every later step. Returns ``step`` (S,) and, for ``<run>``
    in ``raw``, ``frozen``, ``clipped``: ``loss_<run>``, ``grad_norm_<run>`` (S,) (the norm over
    all gradients before clipping), ``w_hh_norm_<run>`` (S,) (Frobenius norm of W_hh after each
    step), ``first_nonfinite_<run>`` (None or ``{"step", "where", "tensor"}``),
    ``nonfinite_weights_<run>`` (fraction of the final W_hh entries that are NaN/inf); for the
    raw run alone ``grad_norm_hh_raw`` and ``grad_norm_readout_raw`` (S,) (the gradient norms
    of W_hh and of the readout's weight and bias) and ``saturation_raw`` (S,) (fraction of
    hidden values with |h| > 0.99 on a fixed batch of 64 after each step; None for ReLU or
    non-finite weights) and ``readout_lr_limit_raw`` (S,) (the readout's learning-rate limit,
    see :func:`readout_lr_limit`, on that batch after each step); ``saturation_start``,
    ``readout_lr_limit`` (the limit at the start: SGD on the readout alone diverges above it),
    ``w_hh_norm_start``, ``w_hh`` (the raw run's final W_hh, top-left 16 x 16 corner), ``lr``
    and ``chance``.
    """
    task = make_task("adding", seq_len)
    out: dict = {"chance": task.chance, "lr": lr}
    n = len(EXPLODING_RUNS)
    probe, _ = task.sample(64, torch.Generator().manual_seed(int(seed) + 10_007))  # (64, T, 2)
    for j, (name, clip, train_hh) in enumerate(EXPLODING_RUNS):
        model = build_model("rnn", task.input_size, hidden_size, task.output_size,
                            nonlinearity=nonlinearity, gain=gain, seed=seed)
        w = model.cell.weight_hh
        if j == 0:
            out["w_hh_norm_start"] = float(w.detach().norm())
            out["saturation_start"], out["readout_lr_limit"] = hidden_stats(model, probe)
        w.requires_grad_(train_hh)
        rec: dict[str, list] = {"w": [], "g_hh": [], "g_out": [], "sat": [], "limit": []}

        def progress(step_rec, hist, j=j, model=model, name=name, rec=rec):
            cell, ro = model.cell, model.readout
            rec["w"].append(float(cell.weight_hh.detach().norm()))
            if name == "raw":  # no clipping: these are the raw gradients
                rec["g_hh"].append(_norm(cell.weight_hh.grad))
                rec["g_out"].append(_norm(ro.weight.grad, ro.bias.grad))
                sat, limit = hidden_stats(model, probe)
                rec["sat"].append(sat)
                rec["limit"].append(limit)
            if report is not None and (step_rec["step"] + 1) % 10 == 0:
                report((j * steps + step_rec["step"] + 1) / (n * steps), _copy(out))

        hist = train(model, task, optimizer="sgd", lr=lr, clip=clip, clip_threshold=1.0,
                     steps=steps, batch_size=32, seed=seed, stop_on_nonfinite=False,
                     callback=progress)
        out["step"] = hist.column("step")
        out[f"loss_{name}"] = hist.column("loss")
        out[f"grad_norm_{name}"] = hist.column("grad_norm")
        out[f"w_hh_norm_{name}"] = rec["w"]
        out[f"first_nonfinite_{name}"] = hist.first_nonfinite
        wd = w.detach()
        out[f"nonfinite_weights_{name}"] = float((~torch.isfinite(wd)).double().mean())
        if name == "raw":
            out["grad_norm_hh_raw"] = rec["g_hh"]
            out["grad_norm_readout_raw"] = rec["g_out"]
            out["saturation_raw"] = rec["sat"]
            out["readout_lr_limit_raw"] = rec["limit"]
            out["w_hh"] = wd[:16, :16].double().tolist()
    return out


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
def _near_chance(r: dict, i: int) -> bool:
    """Length i ended at the blind-guess level: not learned, and its loss at least 90% of the
    chance loss."""
    loss = r["final_loss"][i]
    return (not r["learned"][i]) and finite(loss) and loss >= 0.9 * r["chance_loss"][i]


def _is_rnn(p: dict) -> bool:
    return p.get("cell") == "rnn"


@claim(length_sweep,
       observed=lambda r: (f"T = {r['lengths'][0]}: loss {r['final_loss'][0]:.2g}, chance "
                           f"{r['chance_loss'][0]:.3g}, {r['steps']} steps"),
       perturb=lambda r: {**r, "learned": [False] + r["learned"][1:]},
       applies=_is_rnn)
def shortest_learned(r: dict) -> bool:
    """within this step budget the tanh RNN learned the shortest length (final loss below
    half the blind-guess loss)"""
    return bool(r["learned"][0])


@claim(length_sweep,
       observed=lambda r: (f"T = {r['lengths'][-1]}: loss {r['final_loss'][-1]:.3g}, chance "
                           f"{r['chance_loss'][-1]:.3g}, {r['steps']} steps"),
       perturb=lambda r: {**r, "final_loss": r["final_loss"][:-1] + [0.01],
                          "learned": r["learned"][:-1] + [True]},
       applies=_is_rnn)
def longest_at_chance(r: dict) -> bool:
    """within the same budget it stayed at the blind-guess level at the longest length"""
    return _near_chance(r, len(r["lengths"]) - 1)


@claim(longer_budget,
       observed=lambda r: (f"T = {r['T']}: loss {r['loss_at_budget']:.3g} after {r['budget']} "
                           f"steps, chance {r['chance']:.3g}"),
       perturb=lambda r: {**r, "learned_at_budget": True, "loss_at_budget": 0.01},
       seeds=None)
def not_learned_at_budget(r: dict) -> bool:
    """after the sweep's step budget this length was not learned (loss above
    half the blind-guess loss)"""
    return r["learned_at_budget"] is False


@claim(longer_budget,
       observed=lambda r: (f"loss {r['final_loss']:.2g} after {r['steps_done']} steps; the "
                           f"training loss first fell below half of chance at step "
                           f"{r['first_below_half']}"),
       perturb=lambda r: {**r, "learned": False, "final_loss": r["chance"]},
       seeds=None)
def learned_later(r: dict) -> bool:
    """given more steps, the same network learned it"""
    return bool(r["learned"]) and r["steps_done"] > r["budget"]


def max_finite(values: list) -> float:
    """Largest finite number in ``values`` (NaN if none)."""
    vals = [v for v in values if finite(v)]
    return max(vals) if vals else math.nan


def w_hh_growth(r: dict) -> float:
    """Largest finite W_hh norm of the raw run over its starting norm."""
    return max_finite(r["w_hh_norm_raw"]) / r["w_hh_norm_start"]


def whh_jump_step(r: dict, factor: float = 10.0) -> int | None:
    """First step after which the raw run's W_hh norm is ``factor`` times its start."""
    start = r["w_hh_norm_start"]
    return next((i for i, v in enumerate(r["w_hh_norm_raw"])
                 if finite(v) and v > factor * start), None)


def _two_phases_evidence(r: dict) -> str:
    jump, bad = whh_jump_step(r), r["first_nonfinite_raw"]
    return "; ".join([
        (f"W_hh norm past x10 at step {jump}" if jump is not None else "W_hh norm never x10")
        + f", up to x{w_hh_growth(r):.2g}",
        f"largest gradient on W_hh {max_finite(r['grad_norm_hh_raw']):.2g}",
        f"first NaN/inf at step {bad['step']}" if bad else "no NaN/inf"])


@claim(exploding_run, observed=lambda r: _two_phases_evidence(r),
       perturb=lambda r: {**r, "w_hh_norm_raw": [r["w_hh_norm_start"]] * len(r["step"])},
       seeds=None)
def raw_two_phases(r: dict) -> bool:
    """without clipping, the recurrent weights W_hh are thrown out first (their norm grows more
    than tenfold), and the loss turns non-finite only later"""
    bad, jump = r["first_nonfinite_raw"], whh_jump_step(r)
    return bad is not None and jump is not None and jump < bad["step"]


def _before_nan(r: dict, key: str, window: int = 10) -> list:
    """The raw run's ``key`` over the ``window`` steps before its first non-finite step."""
    bad = r["first_nonfinite_raw"]["step"]
    return r[key][max(0, bad - window):bad]


def _saturated_before_nan(r: dict) -> float:
    vals = [v for v in _before_nan(r, "saturation_raw") if finite(v)]
    return min(vals) if vals else math.nan


@claim(exploding_run,
       observed=lambda r: (f"{100 * r['saturation_start']:.2f}% of hidden values at the "
                           f"start, at least {100 * _saturated_before_nan(r):.2f}% over the ten "
                           "steps before the NaN"),
       perturb=lambda r: {**r, "saturation_raw": [r["saturation_start"]] * len(r["step"])},
       applies=lambda p: p.get("nonlinearity") == "tanh", seeds=None)
def saturates(r: dict) -> bool:
    """once W_hh is thrown out, almost every hidden value sits at the end of tanh's range
    (|h| > 0.99), where tanh is flat"""
    return (r["first_nonfinite_raw"] is not None and r["saturation_start"] < 0.1
            and _saturated_before_nan(r) > 0.9)


def _readout_share(r: dict) -> float:
    """Smallest share of the readout in the raw run's gradient norm over the ten steps before
    its NaN (steps whose total norm is finite)."""
    pairs = [(o, t) for o, t in zip(_before_nan(r, "grad_norm_readout_raw"),
                                     _before_nan(r, "grad_norm_raw")) if finite(t) and t > 0]
    return min(o / t for o, t in pairs) if pairs else math.nan


def readout_limit_before_nan(r: dict) -> float:
    """Largest learning-rate limit of the readout over the ten steps before the raw run's NaN
    (NaN when it has none)."""
    return max_finite(_before_nan(r, "readout_lr_limit_raw"))


@claim(exploding_run,
       observed=lambda r: (f"readout share at least {100 * _readout_share(r):.2f}%; its limit "
                           f"{r['readout_lr_limit']:.3g} at the start, at most "
                           f"{readout_limit_before_nan(r):.3g} before the NaN; lr {r['lr']:g}"),
       perturb=lambda r: {**r, "grad_norm_readout_raw": [0.0] * len(r["step"])},
       seeds=None)
def readout_takes_over(r: dict) -> bool:
    """in the ten steps before the NaN, nearly all of the gradient is the readout's (over 95% of
    its norm), and the learning rate the readout can take (2/lambda) has fallen below this run's:
    the readout overshoots further each step"""
    return (r["first_nonfinite_raw"] is not None and _readout_share(r) > 0.95
            and readout_limit_before_nan(r) < r["lr"] < r["readout_lr_limit"])


@claim(exploding_run,
       observed=lambda r: (f"largest gradient norm {max_finite(r['grad_norm_frozen']):.3g}, "
                           f"final loss {r['loss_frozen'][-1]:.3g}"),
       perturb=lambda r: {**r, "first_nonfinite_frozen": {"step": 3, "where": "loss",
                                                          "tensor": "loss"}})
def frozen_stays_finite(r: dict) -> bool:
    """with W_hh frozen (same start, same batches, same learning rate), the run stays finite"""
    return r["first_nonfinite_frozen"] is None and all(finite(v) for v in r["loss_frozen"])


@claim(exploding_run, observed=lambda r: f"final loss {r['loss_clipped'][-1]:.3g}",
       perturb=lambda r: {**r, "loss_clipped": r["loss_clipped"][:-1] + [math.nan]})
def clipped_stays_finite(r: dict) -> bool:
    """with norm clipping at 1, the run stays finite"""
    return r["first_nonfinite_clipped"] is None and all(finite(v) for v in r["loss_clipped"])


@claim(exploding_run,
       observed=lambda r: ("largest raw gradient norm: clipped "
                           f"{max_finite(r['grad_norm_clipped']):.3g}, unclipped "
                           f"{max_finite(r['grad_norm_raw']):.3g}"),
       perturb=lambda r: {**r, "grad_norm_clipped": [max_finite(r["grad_norm_raw"])]},
       seeds=None)
def clipped_sees_smaller_gradients(r: dict) -> bool:
    """the clipped run's raw gradients stay far below the unclipped run's: its largest is less
    than a thousandth of the unclipped peak"""
    return max_finite(r["grad_norm_clipped"]) < 1e-3 * max_finite(r["grad_norm_raw"])
