import pytest
import torch
import torch.nn as nn

from core.models import CELLS, build_model, recurrent_blocks


@pytest.mark.parametrize("cell", CELLS)
def test_fused_forward_matches_torch_modules_and_step_loop(cell):
    model = build_model(cell, 3, 16, 2, seed=4)
    ref = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](3, 16, batch_first=True)
    with torch.no_grad():
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ref, f"{n}_l0").copy_(getattr(model.cell, n))
    x = torch.randn(5, 12, 3, generator=torch.Generator().manual_seed(0))
    out = model(x)
    hs_ref = ref(x)[0]
    assert out.shape == (5, 12, 2)
    torch.testing.assert_close(out, model.readout(hs_ref))
    loop = model.readout(torch.stack(model.hidden_states(x), 1))
    torch.testing.assert_close(out, loop, atol=1e-6, rtol=1e-5)


def test_relu_rnn_uses_relu():
    model = build_model("rnn", 2, 8, 1, nonlinearity="relu", seed=1)
    hs = torch.stack(model.hidden_states(torch.randn(3, 7, 2)), 1)
    assert hs.min() >= 0
    assert isinstance(model.cell, nn.RNNCell) and model.cell.nonlinearity == "relu"


def test_same_seed_same_weights_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = build_model("lstm", 2, 8, 1, seed=7)
    after = torch.rand(1)
    b = build_model("lstm", 2, 8, 1, seed=7)
    c = build_model("lstm", 2, 8, 1, seed=8)
    assert torch.equal(before, after)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.cell.weight_hh, c.cell.weight_hh)


def test_default_init_is_torch_uniform_range():
    H = 64
    w = build_model("rnn", 2, H, 1, seed=0).cell.weight_hh
    assert w.abs().max() <= 1 / H**0.5 and w.abs().max() > 0.9 / H**0.5


def test_orthogonal_identity_xavier_and_gain():
    H = 32
    orth = build_model("rnn", 2, H, 1, init="orthogonal", gain=0.5, seed=0)
    s = torch.linalg.svdvals(orth.cell.weight_hh)
    torch.testing.assert_close(s, torch.full((H,), 0.5), atol=1e-5, rtol=0)
    irnn = build_model("rnn", 2, H, 1, init="identity", nonlinearity="relu")
    assert torch.equal(irnn.cell.weight_hh, torch.eye(H))
    assert torch.all(irnn.cell.bias_hh == 0) and torch.all(irnn.cell.bias_ih == 0)
    for block in recurrent_blocks(build_model("gru", 2, H, 1, init="orthogonal")).values():
        torch.testing.assert_close(block @ block.T, torch.eye(H), atol=1e-5, rtol=0)
    xav = build_model("lstm", 2, H, 1, init="xavier")
    limit = (6 / (H + H)) ** 0.5
    assert xav.cell.weight_hh.abs().max() <= limit


def test_forget_bias_sets_the_lstm_forget_gate_total_bias():
    H = 8
    m = build_model("lstm", 2, H, 1, forget_bias=1.0)
    total = m.cell.bias_ih + m.cell.bias_hh
    assert torch.all(total[H:2 * H] == 1.0)
    trace = m.trace(torch.zeros(2, 3, 2))
    assert trace["f"].shape == (2, 3, H)
    assert trace["f"][:, 0].min() > 0.7  # sigmoid(1 + small) at h = 0


@pytest.mark.parametrize("norm", ["layer", "batch"])
@pytest.mark.parametrize("cell", CELLS)
def test_normalised_cells_run_and_batch_norm_starts_at_gamma_0_1(cell, norm):
    m = build_model(cell, 2, 8, 1, norm=norm, seed=0)
    out = m(torch.randn(4, 6, 2))
    assert out.shape == (4, 6, 1) and torch.isfinite(out).all()
    if norm == "batch":
        assert torch.all(m.norm_hh.weight == 0.1)


def test_recurrent_batch_norm_lstm_has_a_learned_shift_on_the_cell_state_only():
    """Cooijmans et al. 2016: h_t = o * tanh(BN(c_t; gamma_c, beta_c)); the two
    pre-activation terms have a scale but no shift (the cell's biases play that role)."""
    m = build_model("lstm", 2, 6, 1, norm="batch", seed=0)
    assert m.norm_ih.bias is None and m.norm_hh.bias is None
    beta = m.norm_c.bias
    assert beta is not None and beta.requires_grad and torch.all(beta == 0)
    assert any(p is beta for p in m.parameters())  # the optimiser trains it
    x = torch.randn(8, 5, 2)
    m.train()
    out0 = m(x)
    with torch.no_grad():
        beta.fill_(0.5)
    assert not torch.allclose(m(x), out0)  # the shift is applied inside the step
    out0.sum().backward()
    assert beta.grad is not None and torch.isfinite(beta.grad).all()
    assert build_model("rnn", 2, 6, 1, norm="batch", seed=0).norm_c is None


def test_recurrent_batch_norm_keeps_statistics_per_time_step():
    m = build_model("rnn", 2, 4, 1, norm="batch", seed=0)
    x = torch.randn(16, 3, 2)
    x[:, 2] *= 10  # step 2 has a different scale
    m.train()
    m(x)
    rv = m.norm_ih.running_var
    # one update from 1 with momentum 0.1: 0.9 + 0.1 * var_t, so the step-2 slot moved more
    assert (rv[2] - 0.9).mean() > 5 * (rv[1] - 0.9).mean()


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="cell must be"):
        build_model("transformer", 2, 8, 1)
    with pytest.raises(ValueError, match="init must be"):
        build_model("rnn", 2, 8, 1, init="magic")
    with pytest.raises(ValueError, match="gain"):
        build_model("rnn", 2, 8, 1, gain=float("nan"))
