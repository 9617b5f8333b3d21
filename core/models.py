"""Recurrent networks whose every step can be inspected.

``build_model`` returns a :class:`RecurrentNet`: one recurrent cell (``model.cell``, a
``torch.nn.RNNCell`` / ``LSTMCell`` / ``GRUCell`` holding ``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh``) and a linear readout (``model.readout``) applied at every step.

Two ways to run the same weights:
- ``forward`` uses torch's fused kernels (the ones ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` call)
  when no normalisation is on: fast, for training.
- ``hidden_states`` runs an explicit step loop and returns the list of ``h_t``: slower, but
  every ``h_t`` is a node of the autograd graph a probe can ask about, and normalisation layers
  can sit inside the step.
Both give the same numbers (tested).

Shapes: B batch, T time, I input size, H hidden size, G = gates * H, O output size.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

__all__ = [
    "CELLS",
    "INITS",
    "NORMS",
    "NONLINEARITIES",
    "GATES",
    "RecurrentNet",
    "SeqBatchNorm",
    "build_model",
    "init_recurrent",
    "recurrent_blocks",
]

CELLS = ("rnn", "lstm", "gru")
INITS = ("default", "xavier", "orthogonal", "identity")
NORMS = ("none", "layer", "batch")
NONLINEARITIES = ("tanh", "relu")
GATES = {"rnn": ("a",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


class SeqBatchNorm(nn.Module):
    """Recurrent batch normalisation (Cooijmans et al. 2016, arXiv:1603.09025).

    Statistics are kept separately for every time step ``t`` (steps past ``max_len`` share the
    last slot); the scale ``gamma`` is shared across time and starts at 0.1, because gamma = 1
    saturates tanh and makes gradients vanish. ``shift=True`` adds a learned shift ``beta``
    (zero at the start): the paper has one on the cell state, BN(c_t; gamma_c, beta_c), and none
    on the two pre-activation terms, whose sum already carries the cell's biases.

    ``forward(x, t)``: x ``(B, F)`` -> ``(B, F)``.
    """

    def __init__(self, num_features: int, max_len: int = 512, gamma0: float = 0.1,
                 momentum: float = 0.1, eps: float = 1e-5, shift: bool = False):
        super().__init__()
        self.max_len, self.momentum, self.eps, self.gamma0 = max_len, momentum, eps, gamma0
        self.weight = nn.Parameter(torch.full((num_features,), gamma0))
        self.bias = nn.Parameter(torch.zeros(num_features)) if shift else None
        self.register_buffer("running_mean", torch.zeros(max_len, num_features))
        self.register_buffer("running_var", torch.ones(max_len, num_features))

    @torch.no_grad()
    def reset_parameters(self) -> None:
        self.weight.fill_(self.gamma0)
        if self.bias is not None:
            self.bias.zero_()
        self.running_mean.zero_()
        self.running_var.fill_(1.0)

    def forward(self, x: torch.Tensor, t: int) -> torch.Tensor:
        slot = min(t, self.max_len - 1)
        if self.training and x.shape[0] > 1:
            mean = x.mean(0)
            var = x.var(0, unbiased=False)
            with torch.no_grad():
                self.running_mean[slot].lerp_(mean.detach(), self.momentum)
                self.running_var[slot].lerp_(var.detach(), self.momentum)
        else:
            mean, var = self.running_mean[slot], self.running_var[slot]
        y = (x - mean) * torch.rsqrt(var + self.eps) * self.weight
        return y if self.bias is None else y + self.bias


class RecurrentNet(nn.Module):
    """One recurrent layer plus a per-step linear readout.

    ``model(x)``: x ``(B, T, I)`` -> outputs ``(B, T, O)``, starting from ``h_0 = 0``.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int, *,
                 nonlinearity: str = "tanh", norm: str = "none", max_len: int = 512):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.cell_type, self.norm = cell, norm
        self.nonlinearity = nonlinearity if cell == "rnn" else "tanh"
        self.hidden_size = hidden_size
        if cell == "rnn":
            self.cell = nn.RNNCell(input_size, hidden_size, nonlinearity=nonlinearity)
        elif cell == "lstm":
            self.cell = nn.LSTMCell(input_size, hidden_size)
        else:
            self.cell = nn.GRUCell(input_size, hidden_size)
        self.readout = nn.Linear(hidden_size, output_size)
        G = len(GATES[cell]) * hidden_size
        if norm == "layer":  # Ba, Kiros, Hinton 2016: per-example statistics at every step
            self.norm_ih, self.norm_hh = nn.LayerNorm(G, bias=False), nn.LayerNorm(G, bias=False)
            self.norm_c = nn.LayerNorm(hidden_size) if cell == "lstm" else None
        elif norm == "batch":
            self.norm_ih, self.norm_hh = SeqBatchNorm(G, max_len), SeqBatchNorm(G, max_len)
            self.norm_c = SeqBatchNorm(hidden_size, max_len, shift=True) if cell == "lstm" else None

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator) -> None:
        """Torch's default initialisation, drawn from ``generator`` (never the global RNG).

        The same draws in the same order as ``nn.RNNCell`` / ``nn.Linear`` make on their own:
        every cell weight U(-1/sqrt(H), 1/sqrt(H)); the readout Kaiming-uniform with a = sqrt(5)
        and its bias U(-1/sqrt(H), 1/sqrt(H)). Normalisation layers start at their constants.
        """
        std = 1.0 / math.sqrt(self.hidden_size)
        for p in self.cell.parameters():
            p.uniform_(-std, std, generator=generator)
        nn.init.kaiming_uniform_(self.readout.weight, a=math.sqrt(5), generator=generator)
        fan_in = self.readout.weight.shape[1]
        self.readout.bias.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in),
                                   generator=generator)
        for m in self.modules():
            if m is not self and isinstance(m, (nn.LayerNorm, SeqBatchNorm)):
                m.reset_parameters()

    # -- helpers -------------------------------------------------------------------------------
    def _normed(self, which: str, z: torch.Tensor, t: int) -> torch.Tensor:
        if self.norm == "none":
            return z
        layer = getattr(self, which)
        return layer(z, t) if self.norm == "batch" else layer(z)

    def init_state(self, batch_size: int, like: torch.Tensor):
        """Zero state: ``(B, H)``, or a pair ``((B, H), (B, H))`` for the LSTM."""
        h = like.new_zeros(batch_size, self.hidden_size)
        return (h, h.clone()) if self.cell_type == "lstm" else h

    def step(self, xp_t: torch.Tensor, state, t: int, w_hh: torch.Tensor | None = None):
        """One recurrent step.

        xp_t: ``(B, G)`` input projection ``W_ih x_t`` (before normalisation and bias).
        state: ``(B, H)`` or ``(h, c)`` for the LSTM. ``w_hh`` overrides ``cell.weight_hh``.
        Returns ``(h_t, new_state)``.
        """
        c = self.cell
        w_hh = c.weight_hh if w_hh is None else w_hh
        h_prev = state[0] if self.cell_type == "lstm" else state
        xp = self._normed("norm_ih", xp_t, t) + c.bias_ih
        hp = self._normed("norm_hh", h_prev @ w_hh.T, t) + c.bias_hh
        if self.cell_type == "rnn":
            a = xp + hp
            h = torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a)
            return h, h
        if self.cell_type == "lstm":
            i, f, g, o = (xp + hp).chunk(4, dim=-1)
            cell_state = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
            cn = cell_state if self.norm == "none" else self._normed("norm_c", cell_state, t)
            h = torch.sigmoid(o) * torch.tanh(cn)
            return h, (h, cell_state)
        xr, xz, xn = xp.chunk(3, dim=-1)
        hr, hz, hn = hp.chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h = (1 - z) * n + z * h_prev
        return h, h

    def hidden_states(self, x: torch.Tensor, state=None, *, w_hh_steps: torch.Tensor | None = None):
        """Run the explicit step loop.

        x: ``(B, T, I)``. ``w_hh_steps``: optional ``(T, G, H)``, a separate copy of W_hh for
        every step (to measure each step's share of dL/dW_hh).
        Returns the list of T tensors ``h_t``, each ``(B, H)``, every one a node of the graph.
        """
        B, T, _ = x.shape
        state = self.init_state(B, x) if state is None else state
        xp = x @ self.cell.weight_ih.T  # (B, T, G)
        hs = []
        for t in range(T):
            w = None if w_hh_steps is None else w_hh_steps[t]
            h, state = self.step(xp[:, t], state, t, w)
            hs.append(h)
        return hs

    @property
    def fusable(self) -> bool:
        """True when ``forward`` can use torch's fused kernel (no normalisation inside the step)."""
        return self.norm == "none"

    def fused_hidden(self, x: torch.Tensor, w_ih: torch.Tensor | None = None) -> torch.Tensor:
        """All hidden states from torch's fused kernel: x ``(B, T, I')`` -> ``(B, T, H)``.

        ``w_ih`` overrides the input weight (its width must match ``I'``). The kernels are the
        public ops ``torch.lstm`` / ``torch.gru`` / ``torch.rnn_tanh`` / ``torch.rnn_relu``
        that ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` call, given this cell's weights. Arguments
        after the weights: has_biases, num_layers, dropout (0: no random draws), train,
        bidirectional, batch_first.
        """
        c = self.cell
        w_ih = c.weight_ih if w_ih is None else w_ih
        weights = [w_ih, c.weight_hh, c.bias_ih, c.bias_hh]
        h0 = x.new_zeros(1, x.shape[0], self.hidden_size)
        if self.cell_type == "lstm":
            return torch.lstm(x, (h0, h0), weights, True, 1, 0.0, self.training, False, True)[0]
        if self.cell_type == "gru":
            return torch.gru(x, h0, weights, True, 1, 0.0, self.training, False, True)[0]
        fn = torch.rnn_tanh if self.nonlinearity == "tanh" else torch.rnn_relu
        return fn(x, h0, weights, True, 1, 0.0, self.training, False, True)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``(B, T, I)`` -> outputs ``(B, T, O)``."""
        if self.fusable:
            hs = self.fused_hidden(x)
        else:
            hs = torch.stack(self.hidden_states(x), dim=1)  # (B, T, H)
        return self.readout(hs)

    @torch.no_grad()
    def trace(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Gate activations over time, for charts: every value ``(B, T, H)``.

        LSTM: ``i, f, g, o`` (after their sigmoid / tanh), ``c`` and ``h``; GRU: ``r, z, n, h``;
        RNN: ``a`` (pre-activation) and ``h``.
        """
        B, T, _ = x.shape
        state = self.init_state(B, x)
        xp = x @ self.cell.weight_ih.T
        rec: dict[str, list] = {}
        for t in range(T):
            hp = self._normed("norm_hh", (state[0] if self.cell_type == "lstm" else state)
                              @ self.cell.weight_hh.T, t) + self.cell.bias_hh
            z = self._normed("norm_ih", xp[:, t], t) + self.cell.bias_ih
            if self.cell_type == "lstm":
                i, f, g, o = (z + hp).chunk(4, dim=-1)
                vals = {"i": torch.sigmoid(i), "f": torch.sigmoid(f), "g": torch.tanh(g),
                        "o": torch.sigmoid(o)}
            elif self.cell_type == "gru":
                (xr, xz, xn), (hr, hz, hn) = z.chunk(3, -1), hp.chunk(3, -1)
                r = torch.sigmoid(xr + hr)
                vals = {"r": r, "z": torch.sigmoid(xz + hz), "n": torch.tanh(xn + r * hn)}
            else:
                vals = {"a": z + hp}
            h, state = self.step(xp[:, t], state, t)
            vals["h"] = h
            if self.cell_type == "lstm":
                vals["c"] = state[1]
            for k, v in vals.items():
                rec.setdefault(k, []).append(v)
        return {k: torch.stack(v, dim=1) for k, v in rec.items()}


def recurrent_blocks(model: RecurrentNet) -> dict[str, torch.Tensor]:
    """The ``(H, H)`` recurrent block of every gate, e.g. ``{"i": ..., "f": ...}`` for an LSTM."""
    w = model.cell.weight_hh.detach()
    names = GATES[model.cell_type]
    return dict(zip(names, w.chunk(len(names), dim=0)))


@torch.no_grad()
def init_recurrent(model: RecurrentNet, init: str = "default", gain: float = 1.0,
                   forget_bias: float | None = None, *,
                   generator: torch.Generator | None = None) -> RecurrentNet:
    """Re-initialise the recurrent weights in place.

    - ``default``: torch's own, every weight U(-1/sqrt(H), 1/sqrt(H)).
    - ``xavier``: Glorot-uniform for each gate block of W_ih and W_hh; biases 0.
    - ``orthogonal``: each ``(H, H)`` gate block of W_hh orthogonal (Saxe et al. 2013).
    - ``identity``: each block of W_hh = I, biases 0, W_ih ~ N(0, 0.001^2) (IRNN, Le et al. 2015).
    ``gain`` then multiplies W_hh. ``forget_bias`` (LSTM only) sets the forget gate's total bias.
    Random draws come from ``generator`` (pass one: without it torch's global RNG is used).
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    c, H = model.cell, model.hidden_size
    n = len(GATES[model.cell_type])
    if init == "xavier":
        for w in (c.weight_ih, c.weight_hh):
            for block in w.view(n, H, -1):
                nn.init.xavier_uniform_(block, generator=generator)
        c.bias_ih.zero_()
        c.bias_hh.zero_()
    elif init == "orthogonal":
        for block in c.weight_hh.view(n, H, H):
            nn.init.orthogonal_(block, generator=generator)
    elif init == "identity":
        c.weight_hh.copy_(torch.eye(H).repeat(n, 1))
        nn.init.normal_(c.weight_ih, 0.0, 1e-3, generator=generator)
        c.bias_ih.zero_()
        c.bias_hh.zero_()
    if not math.isfinite(gain):
        raise ValueError("gain must be a finite number")
    c.weight_hh.mul_(gain)
    if forget_bias is not None and model.cell_type == "lstm":
        c.bias_ih[H:2 * H] = forget_bias
        c.bias_hh[H:2 * H] = 0.0
    return model


def build_model(cell: str, input_size: int, hidden_size: int, output_size: int, *,
                nonlinearity: str = "tanh", init: str = "default", gain: float = 1.0,
                forget_bias: float | None = None, norm: str = "none", seed: int = 0,
                max_len: int = 512) -> RecurrentNet:
    """Build a :class:`RecurrentNet` with reproducible weights.

    cell: ``"rnn"``, ``"lstm"`` or ``"gru"``; nonlinearity (vanilla RNN only): ``"tanh"`` or
    ``"relu"``; init: one of ``INITS``, then W_hh times ``gain``; ``forget_bias``: LSTM forget
    gate bias (None keeps the init's); norm: ``"none"``, ``"layer"`` or ``"batch"`` (recurrent
    batch norm). The same arguments and seed always give the same weights, whatever other
    threads do: the modules are built on the meta device (no draws), then every weight is drawn
    from a private ``torch.Generator`` seeded with ``seed``. Torch's global RNG is never used.
    """
    with torch.device("meta"):  # thread-local mode: shapes only, no random draws
        model = RecurrentNet(cell, input_size, hidden_size, output_size,
                             nonlinearity=nonlinearity, norm=norm, max_len=max_len)
    model = model.to_empty(device="cpu")
    gen = torch.Generator().manual_seed(int(seed))
    model.reset_parameters(gen)
    init_recurrent(model, init, gain, forget_bias, generator=gen)
    return model
