"""Section 3, why BPTT does this: Jacobian products, eigenvalues, the Pascanu bound, a phase map."""

from __future__ import annotations

import math

import torch

from ..models import build_model
from ..probes import jacobian_log_norms, pascanu_log_bound, spectrum
from ..tasks import make_task
from ..theory import (
    GAMMA_ALL,
    gradient_ratio,
    matrix_with_norm,
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
    W_ih and the biases are PyTorch's default init. For tanh and ReLU the Jacobian product comes
    from :func:`core.probes.jacobian_log_norms` on a ``core.models`` network; for sigmoid and
    linear units from :func:`core.theory.rnn_jacobian_log_norms` (same weights).

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
    if activation in ("tanh", "relu"):
        log_norm = jacobian_log_norms(model, x).tolist()
    else:
        log_norm = rnn_jacobian_log_norms(*args)
    spec = spectrum(c.weight_hh)
    sigma = float(spec["singular"][0])
    gamma = GAMMA_ALL[activation]
    log_bound = pascanu_log_bound(sigma, gamma, seq_len).tolist()
    finite = [v for v in log_norm if math.isfinite(v)]
    rate = (finite[-1] / (len(finite) - 1)) if len(finite) > 1 else math.nan
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
