"""The theory behind BPTT's vanishing and exploding gradients, computed exactly and safely.

- :func:`scalar_log_powers`: the one-unit toy, log10 |w|^k for k = 0..K.
- :func:`matrix_with_norm`: a recurrent matrix W_hh whose spectral radius (largest |eigenvalue|)
  or largest singular value is exactly the value asked for.
- :func:`rnn_derivatives`: sigma'(a_t) along one sequence of such an RNN.
- :func:`rnn_jacobian_log_norms`: log10 ||dh_T/dh_t||_2 for every lag of a plain RNN with tanh,
  ReLU, logistic-sigmoid or linear units (sigmoid and linear are not in ``core.models``).
- :func:`gradient_ratio`: ||dL/dh_0|| / ||dL/dh_{T-1}|| of a fresh RNN whose W_hh has a given
  spectral radius: one cell of the phase diagram.
- :func:`regime`: "vanishing" / "stable" / "exploding" from such a ratio.
- :func:`pow10_text`: a number given as its log10, written for a reader ("2.5e-5", not "1e-4.6").

Everything runs in float64 and keeps products of Jacobians as a renormalised matrix plus a log
scale, so T = 500 neither under- nor overflows. No Streamlit here.

Shapes: T time, H hidden size, I input size.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .models import build_model
from .probes import gradient_norms_by_step, hidden_state_gradients
from .tasks import make_task

__all__ = [
    "ACTIVATIONS",
    "GAMMA_ALL",
    "scalar_log_powers",
    "matrix_with_norm",
    "rnn_derivatives",
    "rnn_jacobian_log_norms",
    "gradient_ratio",
    "regime",
    "REGIME_THRESHOLD",
    "pow10_text",
]

#: Recurrent activations this module can differentiate.
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
#: Bound gamma on |sigma'(a)| for each: tanh' <= 1, ReLU' in {0, 1}, sigmoid' <= 1/4, linear 1.
GAMMA_ALL = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25, "linear": 1.0}
#: A ratio below 1/THRESHOLD is called vanishing, above THRESHOLD exploding.
REGIME_THRESHOLD = 100.0


def scalar_log_powers(w: float, k_max: int) -> list[float]:
    """log10 |w|^k for k = 0..k_max (the gradient factor after k steps of a one-unit linear RNN).

    Computed as k * log10|w|, so it never under- or overflows. w = 0 gives -inf for k >= 1.
    """
    k_max = int(k_max)
    if w == 0:
        return [0.0] + [-math.inf] * k_max
    lw = math.log10(abs(float(w)))
    return [k * lw for k in range(k_max + 1)]


def matrix_with_norm(H: int, value: float, *, which: str = "radius", kind: str = "gaussian",
                     seed: int = 0) -> torch.Tensor:
    """A random ``(H, H)`` float64 matrix rescaled so one of its sizes equals ``value``.

    which: ``"radius"`` (spectral radius, the largest |eigenvalue|) or ``"sigma"`` (largest
    singular value, the most any vector can be stretched). kind: ``"gaussian"`` (entries
    N(0, 1/H): not normal, so sigma_max is about twice the radius) or ``"orthogonal"`` (every
    eigenvalue on a circle and every singular value equal, so both sizes coincide).
    """
    if which not in ("radius", "sigma"):
        raise ValueError(f"which must be 'radius' or 'sigma', got {which!r}")
    if kind not in ("gaussian", "orthogonal"):
        raise ValueError(f"kind must be 'gaussian' or 'orthogonal', got {kind!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError("value must be a finite number >= 0")
    g = torch.Generator().manual_seed(int(seed))
    w = torch.randn(H, H, generator=g, dtype=torch.float64) / math.sqrt(H)
    if kind == "orthogonal":
        q, r = torch.linalg.qr(w)
        w = q * torch.sign(torch.diagonal(r))  # Haar-distributed orthogonal matrix
    size = (torch.linalg.eigvals(w).abs().max() if which == "radius"
            else torch.linalg.matrix_norm(w, ord=2))
    return w * (float(value) / float(size))


def _act(name: str, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Activation value and its derivative at ``a`` (float64 numpy)."""
    if name == "tanh":
        h = np.tanh(a)
        return h, 1 - h * h
    if name == "relu":
        return np.maximum(a, 0.0), (a > 0).astype(np.float64)
    if name == "sigmoid":
        h = 0.5 * (1.0 + np.tanh(0.5 * a))  # the logistic function, without overflow
        return h, h * (1 - h)
    if name == "linear":
        return a, np.ones_like(a)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")


def _f64(t) -> np.ndarray:
    """A float64 numpy copy of a tensor (or array)."""
    if isinstance(t, torch.Tensor):
        t = t.detach().to(torch.float64).cpu().numpy()
    return np.array(t, dtype=np.float64)


def _derivatives(w_hh: np.ndarray, w_ih: np.ndarray, bias: np.ndarray, x: np.ndarray,
                 activation: str) -> np.ndarray:
    pre_in = x @ w_ih.T + bias  # (T, H): the input part of every pre-activation at once
    h = np.zeros(w_hh.shape[0])
    derivs = np.empty_like(pre_in)
    for t in range(x.shape[0]):
        h, derivs[t] = _act(activation, w_hh @ h + pre_in[t])
    return derivs


def rnn_derivatives(w_hh: torch.Tensor, w_ih: torch.Tensor, bias: torch.Tensor, x: torch.Tensor,
                    activation: str = "tanh") -> torch.Tensor:
    """Run h_t = sigma(W_hh h_{t-1} + W_ih x_t + b) from h_0 = 0 in float64; return sigma'(a_t).

    w_hh ``(H, H)``, w_ih ``(H, I)``, bias ``(H,)``, x ``(T, I)`` (one sequence) -> ``(T, H)``.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return torch.from_numpy(_derivatives(_f64(w_hh), _f64(w_ih), _f64(bias), _f64(x),
                                         activation))


def rnn_jacobian_log_norms(w_hh: torch.Tensor, w_ih: torch.Tensor, bias: torch.Tensor,
                           x: torch.Tensor, activation: str = "tanh") -> list[float]:
    """log10 ||dh_T/dh_{T-k}||_2 for every lag k = 0..T of the RNN of :func:`rnn_derivatives`.

    Step t's Jacobian is J_t = dh_t/dh_{t-1} = diag(sigma'(a_t)) W_hh; the product
    J_T J_{T-1} ... J_{T-k+1} is renormalised after every factor and its scale kept as a log.
    Returns ``(T+1,)`` floats: lag 0 is 0.0 (the identity); -inf from the lag where the product is
    exactly zero (every ReLU unit off); NaN if it turns non-finite.

    The forward pass runs in numpy and the product in torch (one thread: a few tens of
    milliseconds at H = 32, T = 200), so a page can redraw it on every slider move.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    w = _f64(w_hh)
    derivs = _derivatives(w, _f64(w_ih), _f64(bias), _f64(x), activation)  # (T, H)
    T, H = derivs.shape
    d, w = torch.from_numpy(derivs), torch.from_numpy(w)
    out = [0.0]
    P = torch.eye(H, dtype=torch.float64)
    log_scale = 0.0
    for k in range(1, T + 1):
        P = P @ (d[T - k].unsqueeze(1) * w)  # times diag(sigma'(a)) W_hh
        if not bool(torch.isfinite(P).all()):
            out.extend([math.nan] * (T + 1 - k))
            break
        n = float(torch.linalg.svdvals(P)[0])
        if n == 0.0 or not math.isfinite(n):
            out.extend([-math.inf if n == 0.0 else math.nan] * (T + 1 - k))
            break
        log_scale += math.log10(n)
        out.append(log_scale)
        P = P / n
    return out


def gradient_ratio(radius: float, seq_len: int, *, hidden_size: int = 32,
                   nonlinearity: str = "tanh", batch_size: int = 8, seed: int = 0) -> float:
    """||dL/dh_0|| / ||dL/dh_{T-1}|| for a fresh RNN on the adding problem, loss at the end.

    The network is ``build_model("rnn", ...)`` with PyTorch's default init, its W_hh then
    rescaled so its spectral radius is exactly ``radius`` (the "recurrent gain" of the phase
    diagram). The gradient comes from one float64 backward pass. NaN when the last step's
    gradient is zero or non-finite; inf as it comes (an exploding ReLU net may overflow).
    """
    task = make_task("adding", seq_len)
    model = build_model("rnn", task.input_size, hidden_size, task.output_size,
                        nonlinearity=nonlinearity, seed=seed)
    with torch.no_grad():
        w = model.cell.weight_hh
        w.mul_(float(radius) / float(torch.linalg.eigvals(w.double()).abs().max()))
    x, y = task.sample(batch_size, torch.Generator().manual_seed(seed + 1))
    g = hidden_state_gradients(model, x, lambda o: task.loss(o, y.double()), dtype=torch.float64)
    norms = gradient_norms_by_step(g)  # (T,)
    first, last = float(norms[0]), float(norms[-1])
    if last == 0.0 or not math.isfinite(last):
        return math.nan
    return first / last


def regime(ratio: float, threshold: float = REGIME_THRESHOLD) -> str:
    """"vanishing" below 1/threshold, "exploding" above threshold (or inf), "stable" between;
    "non-finite" for NaN."""
    if math.isnan(ratio):
        return "non-finite"
    if ratio < 1.0 / threshold:
        return "vanishing"
    if ratio > threshold:
        return "exploding"
    return "stable"


def pow10_text(log10_value: float, digits: int = 2) -> str:
    """10 ** ``log10_value`` as a reader writes it, with ``digits`` significant digits.

    Works far beyond float range (a log10 of -400 gives "1e-400"): 2.5e-5, 0.031, 120, 3.2e+12;
    trailing zeros are dropped (2e-5, 0.1).
    -inf gives "0", +inf "inf", NaN "NaN".
    """
    x = float(log10_value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "0"
    exp = math.floor(x)
    mant = round(10.0 ** (x - exp), digits - 1)
    if mant >= 10.0:
        mant, exp = mant / 10.0, exp + 1
    if -3 <= exp <= 3:
        return _trim(f"{mant * 10.0 ** exp:.{max(digits - 1 - exp, 0)}f}")
    return f"{_trim(f'{mant:.{digits - 1}f}')}e{'+' if exp > 0 else '-'}{abs(exp)}"


def _trim(num: str) -> str:
    """Drop trailing zeros after a decimal point: "2.50" -> "2.5", "1.0" -> "1"."""
    return num.rstrip("0").rstrip(".") if "." in num else num
