import math

import pytest
import torch

from core.models import build_model
from core.probes import GAMMA, jacobian_log_norms, pascanu_log_bound
from core.tasks import make_task
from core.theory import (
    GAMMA_ALL,
    gradient_ratio,
    matrix_with_norm,
    regime,
    rnn_derivatives,
    rnn_jacobian_log_norms,
    scalar_log_powers,
)

torch.set_num_threads(1)


def test_scalar_powers_match_direct_powers():
    v = scalar_log_powers(0.9, 50)
    assert len(v) == 51 and v[0] == 0.0
    assert math.isclose(10 ** v[50], 0.9 ** 50, rel_tol=1e-12)
    assert math.isclose(10 ** v[7], 1.1 ** 7, rel_tol=1e-12) is False  # it is 0.9, not 1.1
    assert math.isclose(scalar_log_powers(1.1, 200)[200], 200 * math.log10(1.1))
    assert scalar_log_powers(-2.0, 3)[3] == pytest.approx(3 * math.log10(2))
    assert scalar_log_powers(0.0, 2) == [0.0, -math.inf, -math.inf]


@pytest.mark.parametrize("kind", ["gaussian", "orthogonal"])
def test_matrix_with_norm_hits_the_asked_size(kind):
    w = matrix_with_norm(24, 1.7, which="radius", kind=kind, seed=3)
    assert w.shape == (24, 24) and w.dtype == torch.float64
    assert float(torch.linalg.eigvals(w).abs().max()) == pytest.approx(1.7, rel=1e-10)
    w = matrix_with_norm(24, 0.6, which="sigma", kind=kind, seed=3)
    s = torch.linalg.svdvals(w)
    assert float(s[0]) == pytest.approx(0.6, rel=1e-10)
    if kind == "orthogonal":  # every singular value equal: sigma_max = radius
        assert torch.allclose(s, torch.full_like(s, 0.6), rtol=1e-10)
    else:  # a Gaussian matrix is far from normal: its radius is well below sigma_max
        assert float(torch.linalg.eigvals(w).abs().max()) < 0.8 * 0.6
    with pytest.raises(ValueError):
        matrix_with_norm(4, math.nan)


def _model_and_input(act, H=12, T=30, seed=0):
    task = make_task("adding", T)
    model = build_model("rnn", 2, H, 1, nonlinearity=act, seed=seed)
    with torch.no_grad():
        model.cell.weight_hh.copy_(matrix_with_norm(H, 1.3, which="sigma", seed=seed).float())
    x, _ = task.sample(1, torch.Generator().manual_seed(5))
    return model, x


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_own_jacobian_product_matches_core_probes(act):
    model, x = _model_and_input(act)
    c = model.cell
    mine = rnn_jacobian_log_norms(c.weight_hh.detach(), c.weight_ih.detach(),
                                  (c.bias_ih.double() + c.bias_hh.double()).detach(), x[0], act)
    ref = jacobian_log_norms(model, x)
    assert len(mine) == len(ref) == 31
    for a, b in zip(mine, ref.tolist()):
        assert a == pytest.approx(b, abs=1e-8) or (a == b == -math.inf)


@pytest.mark.parametrize("act", ["sigmoid", "linear"])
def test_sigmoid_and_linear_products_match_autograd(act):
    """||dh_T/dh_{T-k}|| from autograd's full Jacobian of the unrolled map, k = 4."""
    H, T, k = 6, 9, 4
    g = torch.Generator().manual_seed(1)
    w = matrix_with_norm(H, 2.0, which="sigma", seed=2)
    u = torch.randn(H, 2, generator=g, dtype=torch.float64)
    b = torch.randn(H, generator=g, dtype=torch.float64)
    x = torch.randn(T, 2, generator=g, dtype=torch.float64)
    f = {"sigmoid": torch.sigmoid, "linear": lambda a: a}[act]
    h = torch.zeros(H, dtype=torch.float64)
    for t in range(T - k):
        h = f(w @ h + u @ x[t] + b)

    def unroll(h0):
        for t in range(T - k, T):
            h0 = f(w @ h0 + u @ x[t] + b)
        return h0

    J = torch.autograd.functional.jacobian(unroll, h)
    expected = math.log10(float(torch.linalg.matrix_norm(J, ord=2)))
    got = rnn_jacobian_log_norms(w, u, b, x, act)
    assert got[k] == pytest.approx(expected, abs=1e-10)
    d = rnn_derivatives(w, u, b, x, act)
    assert d.shape == (T, H)
    assert float(d.max()) <= GAMMA_ALL[act] + 1e-12


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid", "linear"])
def test_measured_product_never_exceeds_the_pascanu_bound(act):
    model, x = _model_and_input("tanh", H=16, T=80)
    c = model.cell
    w = matrix_with_norm(16, 2.2, which="sigma", seed=7)
    got = rnn_jacobian_log_norms(w, c.weight_ih.detach(), (c.bias_ih.double() + c.bias_hh.double()).detach(),
                                 x[0], act)
    bound = pascanu_log_bound(2.2, GAMMA_ALL[act], 80).tolist()
    assert all(m <= b + 1e-9 for m, b in zip(got, bound))


def test_orthogonal_linear_recurrence_preserves_norm_exactly():
    w = matrix_with_norm(10, 1.0, which="radius", kind="orthogonal", seed=0)
    got = rnn_jacobian_log_norms(w, torch.zeros(10, 2), torch.zeros(10), torch.zeros(300, 2),
                                 "linear")
    assert max(abs(v) for v in got) < 1e-9


def test_gammas_agree_with_core_probes():
    for act, g in GAMMA.items():
        assert GAMMA_ALL[act] == g


def test_gradient_ratio_matches_an_explicit_backward_pass():
    T, H = 12, 8
    ratio = gradient_ratio(0.8, T, hidden_size=H, seed=4)
    task = make_task("adding", T)
    model = build_model("rnn", 2, H, 1, seed=4).double()
    with torch.no_grad():
        w = model.cell.weight_hh
        w.mul_(0.8 / float(torch.linalg.eigvals(w).abs().max()))
    x, y = task.sample(8, torch.Generator().manual_seed(5))
    hs = model.hidden_states(x.double())
    loss = task.loss(model.readout(torch.stack(hs, 1)), y.double())
    grads = torch.autograd.grad(loss, hs)
    assert ratio == pytest.approx(float(grads[0].norm() / grads[-1].norm()), rel=1e-6)


def test_regimes():
    assert regime(1e-5) == "vanishing"
    assert regime(0.5) == "stable" and regime(50.0) == "stable"
    assert regime(1e3) == "exploding" and regime(math.inf) == "exploding"
    assert regime(math.nan) == "non-finite"


@pytest.mark.parametrize(("log10", "text"), [
    (math.log10(2.5e-5), "2.5e-5"), (-4.7, "2e-5"), (math.log10(0.031), "0.031"),
    (math.log10(120), "120"), (12.5, "3.2e+12"), (-400.0, "1e-400"), (0.0, "1"),
    (math.log10(9.96e-5), "1e-4"), (-math.inf, "0"), (math.inf, "inf"), (math.nan, "NaN")])
def test_pow10_text_is_readable(log10, text):
    from core.theory import pow10_text

    assert pow10_text(log10) == text
