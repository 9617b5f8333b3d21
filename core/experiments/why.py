"""Section 3, why BPTT does this: Jacobian products, eigenvalues, the Pascanu bound, a phase map."""

from __future__ import annotations

import math

import torch

from ..claims import claim, finite
from ..models import build_model
from ..probes import pascanu_log_bound, spectrum
from ..tasks import make_task
from ..theory import (
    GAMMA_ALL,
    gradient_ratio,
    matrix_with_norm,
    pow10_text,
    regime,
    rnn_derivatives,
    rnn_jacobian_log_norms,
)
from . import experiment

#: Phase diagram grid: spectral radius of W_hh (the recurrent gain) x sequence length.
PHASE_RADII = (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 2.5, 3.0)
PHASE_LENGTHS = (10, 25, 50, 100, 200, 400)


@experiment(value=1.5, which="sigma", kind="gaussian", activation="tanh", hidden_size=32,
            seq_len=200, seed=0)
def matrix_case(value, which, kind, activation, hidden_size, seq_len, seed):
    """A plain RNN whose W_hh has a chosen size, run on one adding-problem sequence.

    W_hh is :func:`core.theory.matrix_with_norm` (spectral radius or sigma_max = ``value``);
    W_ih and the biases are PyTorch's default init of a ``core.models`` network. The Jacobian
    product comes from :func:`core.theory.rnn_jacobian_log_norms` (numpy, a few milliseconds,
    so the page redraws it as a slider moves); for tanh and ReLU it equals
    :func:`core.probes.jacobian_log_norms` on that network (checked in tests/core/test_theory.py).

    Returns ``lag`` (T+1,), ``log_norm`` (T+1,) log10 ||dh_T/dh_{T-lag}||, ``log_bound`` (T+1,)
    log10 (gamma sigma_max)^lag, ``eig_real``/``eig_imag`` (H,), ``singular`` (H,), scalars
    ``spectral_radius``, ``sigma_max``, ``gamma``, ``eta`` = gamma sigma_max, ``mean_deriv``
    (mean sigma'(a) over units and steps), ``rate`` (measured mean log10 shrink per step).
    """
    task = make_task("adding", seq_len)
    w = matrix_with_norm(hidden_size, value, which=which, kind=kind, seed=seed)
    nl = activation if activation in ("tanh", "relu") else "tanh"
    model = build_model("rnn", task.input_size, hidden_size, task.output_size, nonlinearity=nl,
                        seed=seed)
    with torch.no_grad():
        model.cell.weight_hh.copy_(w.to(model.cell.weight_hh.dtype))
    x, _ = task.sample(1, torch.Generator().manual_seed(seed + 1))  # (1, T, 2)
    c = model.cell
    bias = (c.bias_ih.double() + c.bias_hh.double()).detach()  # (H,), summed as the model does
    args = (c.weight_hh.detach(), c.weight_ih.detach(), bias, x[0], activation)
    log_norm = rnn_jacobian_log_norms(*args)
    spec = spectrum(c.weight_hh)
    sigma = float(spec["singular"][0])
    gamma = GAMMA_ALL[activation]
    log_bound = pascanu_log_bound(sigma, gamma, seq_len).tolist()
    kept = [v for v in log_norm if math.isfinite(v)]
    rate = (kept[-1] / (len(kept) - 1)) if len(kept) > 1 else math.nan
    return {
        "lag": list(range(seq_len + 1)),
        "log_norm": log_norm,
        "log_bound": log_bound,
        "eig_real": spec["eig_real"].tolist(),
        "eig_imag": spec["eig_imag"].tolist(),
        "singular": spec["singular"].tolist(),
        "spectral_radius": float(spec["spectral_radius"]),
        "sigma_max": sigma,
        "gamma": gamma,
        "eta": gamma * sigma,
        "mean_deriv": float(rnn_derivatives(*args).mean()),
        "rate": rate,
    }


@experiment(nonlinearity="tanh", hidden_size=32, seed=0)
def phase_diagram(nonlinearity, hidden_size, seed):
    """||dL/dh_0|| / ||dL/dh_{T-1}|| of fresh RNNs over a grid of recurrent gain x length.

    The gain is the spectral radius of W_hh (default init rescaled); see
    :func:`core.theory.gradient_ratio`. Returns ``radius``, ``seq_len``, ``ratio`` and
    ``regime`` as flat lists of equal length (one entry per grid cell), and the grid axes.
    """
    radius, lengths, ratio, reg = [], [], [], []
    for r in PHASE_RADII:
        for T in PHASE_LENGTHS:
            v = gradient_ratio(r, T, hidden_size=hidden_size, nonlinearity=nonlinearity,
                               seed=seed)
            radius.append(r)
            lengths.append(T)
            ratio.append(v)
            reg.append(regime(v))
    return {"radius": radius, "seq_len": lengths, "ratio": ratio, "regime": reg,
            "radii": list(PHASE_RADII), "lengths": list(PHASE_LENGTHS)}


@experiment(value=1.5, which="sigma", kind="gaussian", hidden_size=32, seq_len=200, seed=0)
def activation_compare(value, which, kind, hidden_size, seq_len, seed):
    """The same W_hh, inputs and biases as :func:`matrix_case`, under all four activations.

    Returns ``lag`` (T+1,) and, per activation in ``activations``: ``log_norm[act]`` (T+1,)
    log10 ||dh_T/dh_{T-lag}||, ``gamma[act]``, ``mean_deriv[act]`` (mean sigma'(a_t)).
    """
    acts = ["tanh", "relu", "sigmoid", "linear"]
    out = {"lag": list(range(seq_len + 1)), "activations": acts, "log_norm": {}, "gamma": {},
           "mean_deriv": {}}
    for a in acts:
        r = matrix_case(value=value, which=which, kind=kind, activation=a,
                        hidden_size=hidden_size, seq_len=seq_len, seed=seed)
        out["log_norm"][a] = r["log_norm"]
        out["gamma"][a] = r["gamma"]
        out["mean_deriv"][a] = r["mean_deriv"]
    return out


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
def stable_gains(r: dict) -> dict[int, list[float]]:
    """The phase diagram's stable gains at each length: ``{T: [gain, ...]}`` (ascending)."""
    out: dict[int, list[float]] = {T: [] for T in r["lengths"]}
    for g, T, reg in zip(r["radius"], r["seq_len"], r["regime"]):
        if reg == "stable":
            out[T].append(g)
    return {T: sorted(v) for T, v in out.items()}


def band_text(gains: list[float], radii: list[float]) -> str:
    """One row's stable gains as a reader says them: "0.75 to 3", "only 1.25", "none"."""
    if not gains:
        return "none"
    if len(gains) == 1:
        return f"only {gains[0]:g}"
    idx = [radii.index(g) for g in gains]
    if idx == list(range(idx[0], idx[-1] + 1)):
        return f"{gains[0]:g} to {gains[-1]:g}"
    return ", ".join(f"{g:g}" for g in gains)


def _cells(r: dict) -> dict[tuple[float, int], float]:
    return {(g, T): v for g, T, v in zip(r["radius"], r["seq_len"], r["ratio"])}


def _sigma_default(p: dict) -> bool:
    return p["which"] == "sigma" and p["kind"] == "gaussian"


@claim(matrix_case,
       observed=lambda r: (f"spectral radius {r['spectral_radius']:.3f}, σ_max "
                           f"{r['sigma_max']:.3f}"),
       perturb=lambda r: {**r, "spectral_radius": r["sigma_max"]},
       applies=lambda p: p["kind"] == "gaussian")
def radius_below_sigma(r: dict) -> bool:
    """a random Gaussian W_hh's spectral radius is well below its σ_max: under two-thirds of it"""
    return r["spectral_radius"] < (2 / 3) * r["sigma_max"]


@claim(matrix_case, observed=lambda r: f"spectral radius {r['spectral_radius']:.3f}",
       perturb=lambda r: {**r, "spectral_radius": 1.2},
       applies=lambda p: _sigma_default(p) and 1.0 < p["value"] <= 1.5)
def eigs_inside(r: dict) -> bool:
    """every eigenvalue lies inside the unit circle although σ_max is above 1"""
    return r["sigma_max"] > 1 and r["spectral_radius"] < 1


@claim(matrix_case,
       observed=lambda r: (f"after {len(r['lag']) - 1} steps the bound allows "
                           f"{pow10_text(r['log_bound'][-1])}, measured "
                           f"{pow10_text(r['log_norm'][-1])}"),
       perturb=lambda r: {**r, "log_norm": [0.0] * len(r["log_norm"])},
       applies=lambda p: (p["which"] == "sigma"
                          and p["value"] * GAMMA_ALL[p["activation"]] > 1))
def bound_silent(r: dict) -> bool:
    """the bound grows (γσ_max > 1), yet the measured product shrinks by more
    than ten orders of magnitude"""
    return r["eta"] > 1 and r["log_norm"][-1] < -10


@claim(matrix_case,
       observed=lambda r: (f"γσ_max = {r['eta']:.3f}; after {len(r['lag']) - 1} steps the "
                           f"bound allows {pow10_text(r['log_bound'][-1])}, measured "
                           f"{pow10_text(r['log_norm'][-1])}"),
       perturb=lambda r: {**r, "log_norm": [b + 1.0 for b in r["log_bound"]]},
       settings=[{"value": 0.9}, {"value": 3.0, "activation": "sigmoid"}],
       applies=lambda p: (p["which"] == "sigma"
                          and p["value"] * GAMMA_ALL[p["activation"]] < 1))
def under_falling_bound(r: dict) -> bool:
    """γσ_max is below 1, so the bound falls, and the measured product
    stays under it at every lag"""
    return r["eta"] < 1 and all(m <= b + 1e-9 for m, b in zip(r["log_norm"], r["log_bound"]))


@claim(matrix_case,
       observed=lambda r: f"after {len(r['lag']) - 1} steps: {pow10_text(r['log_norm'][-1])}",
       perturb=lambda r: {**r, "log_norm": [0.0] * len(r["log_norm"])},
       settings=[{"which": "radius", "value": 3.0}],
       applies=lambda p: (p["which"] == "radius" and p["value"] >= 3.0
                          and p["activation"] == "tanh"))
def grows(r: dict) -> bool:
    """with spectral radius 3 the product grows by orders of magnitude"""
    return r["log_norm"][-1] > 2


@claim(matrix_case,
       observed=lambda r: ("largest departure from 1: a factor of "
                           f"{10 ** max(abs(v) for v in r['log_norm']):.7f}"),
       perturb=lambda r: {**r, "log_norm": [-0.01 * k for k in r["lag"]]},
       settings=[{"which": "radius", "value": 1.0, "kind": "orthogonal",
                  "activation": "linear"}],
       applies=lambda p: (p["kind"] == "orthogonal" and p["activation"] == "linear"
                          and p["value"] == 1.0))
def norm_preserving(r: dict) -> bool:
    """a linear RNN with an orthogonal W_hh of radius 1 keeps the product's
    norm at 1 at every lag"""
    return all(abs(v) < 1e-4 for v in r["log_norm"])


@claim(activation_compare,
       observed=lambda r: "; ".join(f"{a} {pow10_text(r['log_norm'][a][-1])}"
                                    for a in r["activations"]),
       perturb=lambda r: {**r, "log_norm": {**r["log_norm"],
                                            "tanh": [v + 5 for v in r["log_norm"]["linear"]]}})
def nonlinearity_pulls_down(r: dict) -> bool:
    """every activation's product ends at or below the linear one"""
    lin = r["log_norm"]["linear"][-1]
    return all(r["log_norm"][a][-1] <= lin + 1e-9 for a in r["activations"])


def _sigmoid_extra(r: dict) -> float:
    """How many times more the sigmoid product loses per step than the linear one."""
    steps = len(r["lag"]) - 1
    return 10 ** ((r["log_norm"]["linear"][-1] - r["log_norm"]["sigmoid"][-1]) / steps)


@claim(activation_compare,
       observed=lambda r: (f"{_sigmoid_extra(r):.1f} times per step; mean sigmoid slope "
                           f"{r['mean_deriv']['sigmoid']:.3f}"),
       perturb=lambda r: {**r, "log_norm": {**r["log_norm"],
                                            "sigmoid": r["log_norm"]["linear"]}},
       settings=[{}, {"which": "radius", "value": 3.0}])
def sigmoid_fastest(r: dict) -> bool:
    """the sigmoid line falls fastest, losing at least 3 times more per step than the linear one;
    its slope is at most 1/4"""
    ends = {a: r["log_norm"][a][-1] for a in r["activations"]}
    return min(ends, key=ends.get) == "sigmoid" and _sigmoid_extra(r) >= 3


@claim(activation_compare,
       observed=lambda r: (f"linear {pow10_text(r['log_norm']['linear'][-1])}, tanh "
                           f"{pow10_text(r['log_norm']['tanh'][-1])}; mean tanh slope "
                           f"{r['mean_deriv']['tanh']:.2f}"),
       perturb=lambda r: {**r, "mean_deriv": {**r["mean_deriv"], "tanh": 1.0}},
       settings=[{"which": "radius", "value": 1.5}],
       applies=lambda p: p["which"] == "radius" and p["value"] >= 1.5)
def saturation_holds_back(r: dict) -> bool:
    """W_hh alone (the linear line) grows, yet tanh ends more than 20 orders of magnitude lower:
    the bigger state saturates its units (mean slope below 0.8)"""
    lin, tanh = r["log_norm"]["linear"][-1], r["log_norm"]["tanh"][-1]
    return lin > 0 and lin - tanh > 20 and r["mean_deriv"]["tanh"] < 0.8


PHASE_SETTINGS = [{}, {"nonlinearity": "relu"}]


@claim(phase_diagram,
       observed=lambda r: "stable gains per length: " + ", ".join(
           f"T = {T}: {len(g)}" for T, g in stable_gains(r).items()),
       perturb=lambda r: {**r, "regime": ["vanishing"] * len(r["regime"])},
       settings=PHASE_SETTINGS)
def widest_at_shortest(r: dict) -> bool:
    """the stable band is widest at the shortest length"""
    band = stable_gains(r)
    first, *rest = r["lengths"]
    return all(len(band[first]) > len(band[T]) for T in rest)


def _doublings(r: dict, gain: float) -> list[float]:
    """log10 ratio at 2T over log10 ratio at T, for every doubling of T in the grid."""
    cells, out = _cells(r), []
    for T in r["lengths"]:
        a, b = cells.get((gain, T)), cells.get((gain, 2 * T))
        if b is not None and finite(a) and finite(b) and 0 < a < 1 and 0 < b < 1:
            out.append(math.log10(b) / math.log10(a))
    return out


@claim(phase_diagram,
       observed=lambda r: "doubling T multiplied it by " + ", ".join(
           f"{x:.2f}" for g in r["radii"] if g <= 0.75 for x in _doublings(r, g)),
       perturb=lambda r: {**r, "ratio": [1e-3 if finite(v) else v for v in r["ratio"]]},
       settings=PHASE_SETTINGS)
def exponent_grows_with_T(r: dict) -> bool:
    """for gains of 0.75 and below the exponent is proportional to T: doubling
    T doubles it, within 10%"""
    low = [g for g in r["radii"] if g <= 0.75]
    return bool(low) and all(len(_doublings(r, g)) >= 2
                             and all(1.8 <= x <= 2.2 for x in _doublings(r, g)) for g in low)


@claim(phase_diagram, perturb=lambda r: {**r, "regime": ["stable"] * len(r["regime"])},
       settings=PHASE_SETTINGS)
def below_one_vanishes(r: dict) -> bool:
    """every gain below 1 vanishes from T = 50 on"""
    return all(reg == "vanishing" for g, T, reg in zip(r["radius"], r["seq_len"], r["regime"])
               if g < 1 and T >= 50)


@claim(phase_diagram,
       observed=lambda r: "smallest exploding gain: " + str(min(
           (g for g, reg in zip(r["radius"], r["regime"]) if reg == "exploding"),
           default="none")),
       perturb=lambda r: {**r, "regime": ["exploding"] * len(r["regime"])},
       settings=PHASE_SETTINGS)
def one_is_not_enough(r: dict) -> bool:
    """crossing gain 1 is not enough to explode: no gain up to 1.25 explodes at any length"""
    return not any(reg == "exploding" and g <= 1.25
                   for g, reg in zip(r["radius"], r["regime"]))


@claim(phase_diagram,
       observed=lambda r: "; ".join(
           f"T = {T}: " + (", ".join(f"{g:g}" for g in gs) if gs else "none")
           for T, gs in stable_gains(r).items() if T >= 200),
       perturb=lambda r: {**r, "regime": ["stable"] * len(r["regime"])},
       settings=PHASE_SETTINGS)
def long_band_narrow(r: dict) -> bool:
    """at T = 200 and beyond at most three gains are stable, all of them above 1"""
    return all(len(gs) <= 3 and all(g > 1 for g in gs)
               for T, gs in stable_gains(r).items() if T >= 200)


@claim(phase_diagram, perturb=lambda r: {**r, "regime": ["stable"] * len(r["regime"])},
       settings=[{"nonlinearity": "relu"}], applies=lambda p: p["nonlinearity"] == "relu")
def relu_needs_more(r: dict) -> bool:
    """with ReLU even gains up to 1.25 vanish from T = 50 on: with some units switched off, W_hh
    has to stretch more to carry the signal"""
    return all(reg == "vanishing" for g, T, reg in zip(r["radius"], r["seq_len"], r["regime"])
               if g <= 1.25 and T >= 50)
