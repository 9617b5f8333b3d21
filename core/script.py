""""Download as script": a standalone PyTorch file that reproduces one training run.

The generated file imports only ``torch`` (plus the standard library) and nothing from this
repository, so a learner can run it anywhere. It mirrors ``core.tasks``, ``core.models`` and
``core.training`` line for line for the settings it supports: the same seeded generators
consumed in the same order, the same initialisation, the same fused kernel (the one
``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` call) or step loop, the same optimiser and clipping. So it
prints the same final loss as :func:`reference_run` / the app (tested to float32 precision on
the same machine; another CPU or torch build may differ in the last digits).

API (for every lab page)::

    from core import script
    cfg = dict(task="adding", seq_len=50, cell="rnn", hidden_size=64, nonlinearity="tanh",
               init="default", gain=1.0, norm="none", optimizer="sgd", lr=0.05,
               clip="norm", clip_threshold=1.0, steps=300, batch_size=64, seed=0)
    if script.unsupported(cfg) is None:
        text = script.training_script(cfg, title="Lab 1, norm clipping")  # -> str (a .py file)
    hist = script.reference_run(cfg)  # the same run through core: a core.training.History

Config keys use the names of ``core.tasks.make_task`` (``task``, ``seq_len``),
``core.models.build_model`` (``cell``, ``hidden_size``, ``nonlinearity``, ``init``, ``gain``,
``forget_bias``, ``norm``) and ``core.training.train`` (``optimizer``, ``lr``, ``clip``,
``clip_threshold``, ``steps``, ``batch_size``, ``seed``). ``seed`` seeds both the weights and
the batches, as the labs do; ``model_seed`` (optional) seeds the weights separately. Missing
keys take :data:`DEFAULTS`. Unknown keys are ignored (pages may pass their whole parameter dict).

Not covered: gradient probes (they never change the trained weights, so the losses are the
same without them), runs stopped early by the user or a time cap (the script trains every step),
and tasks outside ``core.tasks`` (``unsupported`` says so).
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

__all__ = ["DEFAULTS", "normalise", "unsupported", "training_script", "reference_run",
           "FINAL_LOSS_PREFIX", "parse_final_loss"]

#: Settings a config may leave out.
DEFAULTS: dict[str, Any] = {
    "task": "adding", "seq_len": 50, "cell": "rnn", "hidden_size": 64, "nonlinearity": "tanh",
    "init": "default", "gain": 1.0, "forget_bias": None, "norm": "none", "optimizer": "adam",
    "lr": 1e-3, "clip": "none", "clip_threshold": 1.0, "steps": 200, "batch_size": 64,
    "seed": 0, "model_seed": None,
}

_CHOICES = {
    "task": ("adding", "copy", "order", "series"),
    "cell": ("rnn", "lstm", "gru"),
    "nonlinearity": ("tanh", "relu"),
    "init": ("default", "xavier", "orthogonal", "identity"),
    "norm": ("none", "layer", "batch"),
    "optimizer": ("sgd", "momentum", "rmsprop", "adam"),
    "clip": ("none", "norm", "value"),
}

#: The generated script's last line starts with this, followed by the number.
FINAL_LOSS_PREFIX = "final loss (mean of the last 20 finite steps):"


def normalise(config: dict[str, Any]) -> dict[str, Any]:
    """The config with defaults filled in, types fixed and unknown keys dropped."""
    cfg = {k: config.get(k, v) for k, v in DEFAULTS.items()}
    for k in ("seq_len", "hidden_size", "steps", "batch_size", "seed"):
        cfg[k] = int(cfg[k])
    for k in ("gain", "lr", "clip_threshold"):
        cfg[k] = float(cfg[k])
    if cfg["forget_bias"] is not None:
        cfg["forget_bias"] = float(cfg["forget_bias"])
    cfg["model_seed"] = cfg["seed"] if cfg["model_seed"] is None else int(cfg["model_seed"])
    if cfg["cell"] != "rnn":
        cfg["nonlinearity"] = "tanh"  # gated cells ignore it (as core.models does)
    return cfg


def unsupported(config: dict[str, Any]) -> str | None:
    """None when :func:`training_script` can reproduce ``config``, else the reason why not."""
    try:
        cfg = normalise(config)
    except (TypeError, ValueError) as e:
        return f"the settings are not numbers where numbers are needed ({e})"
    for k, options in _CHOICES.items():
        if cfg[k] not in options:
            return f"{k} = {cfg[k]!r} is not one of {', '.join(options)}"
    if not (math.isfinite(cfg["lr"]) and cfg["lr"] > 0):
        return "the learning rate must be a positive finite number"
    if not math.isfinite(cfg["gain"]):
        return "the gain must be a finite number"
    if cfg["steps"] < 1 or cfg["batch_size"] < 1 or cfg["hidden_size"] < 1:
        return "steps, batch size and hidden size must be at least 1"
    minimum = {"adding": 2, "copy": 1, "order": 10, "series": 1}[cfg["task"]]
    if cfg["seq_len"] < minimum:
        return f"the {cfg['task']} task needs a sequence length of at least {minimum}"
    return None


def reference_run(config: dict[str, Any], **train_kwargs: Any):
    """Train the same run through ``core`` (the app's code path): a ``core.training.History``.

    Extra keyword arguments go to ``core.training.train`` (e.g. ``probe_every``, ``callback``).
    """
    from .models import build_model
    from .tasks import make_task
    from .training import train

    cfg = normalise(config)
    task = make_task(cfg["task"], cfg["seq_len"])
    model = build_model(cfg["cell"], task.input_size, cfg["hidden_size"], task.output_size,
                        nonlinearity=cfg["nonlinearity"], init=cfg["init"], gain=cfg["gain"],
                        forget_bias=cfg["forget_bias"], norm=cfg["norm"],
                        seed=cfg["model_seed"])
    return train(model, task, optimizer=cfg["optimizer"], lr=cfg["lr"], clip=cfg["clip"],
                 clip_threshold=cfg["clip_threshold"], steps=cfg["steps"],
                 batch_size=cfg["batch_size"], seed=cfg["seed"], **train_kwargs)


def parse_final_loss(stdout: str) -> float:
    """The final loss a generated script printed (nan when it printed none)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(FINAL_LOSS_PREFIX):
            return float(line[len(FINAL_LOSS_PREFIX):].strip())
    return math.nan


# ---------------------------------------------------------------------------------------------
# Pieces of the generated file. Each mirrors a function in core/; keep them in step.

_TASKS = {
    "adding": '''
        # Adding problem (Le et al. 2015; Arjovsky et al. 2016). Chance: always answer 1 -> MSE 1/6.
        INPUT_SIZE, OUTPUT_SIZE, CHANCE, LOSS_NAME = 2, 1, 1.0 / 6.0, "MSE"


        def sample(batch_size, generator):
            """x (B, T, 2): values U[0, 1] and a marker with one 1 in each half; y (B, 1)."""
            T, B = CONFIG["seq_len"], batch_size
            values = torch.rand(B, T, generator=generator)
            half = T // 2
            first = torch.randint(0, half, (B,), generator=generator)
            second = torch.randint(half, T, (B,), generator=generator)
            marker = torch.zeros(B, T)
            rows = torch.arange(B)
            marker[rows, first] = 1.0
            marker[rows, second] = 1.0
            x = torch.stack([values, marker], dim=-1)  # (B, T, 2)
            y = (values[rows, first] + values[rows, second]).unsqueeze(-1)  # (B, 1)
            return x, y


        def loss_fn(out, y):  # out (B, T, 1): only the last step is scored
            return F.mse_loss(out[:, -1, :], y)


        accuracy_fn = None
    ''',
    "copy": '''
        # Copy memory (Arjovsky, Shah, Bengio 2016): 10 symbols, a delay, then recall them.
        N_SYMBOLS, COPY_LEN = 8, 10
        INPUT_SIZE = OUTPUT_SIZE = N_SYMBOLS + 2
        CHANCE = COPY_LEN * math.log(N_SYMBOLS) / (CONFIG["seq_len"] + 2 * COPY_LEN)
        LOSS_NAME = "cross-entropy"


        def sample(batch_size, generator):
            """x (B, T, 10) one-hot, T = delay + 20 (0 blank, 9 delimiter); y (B, T) classes."""
            delay, B, L = CONFIG["seq_len"], batch_size, COPY_LEN
            T = delay + 2 * L
            symbols = torch.randint(1, N_SYMBOLS + 1, (B, L), generator=generator)
            tokens = torch.zeros(B, T, dtype=torch.long)
            tokens[:, :L] = symbols
            tokens[:, L + delay - 1] = N_SYMBOLS + 1
            target = torch.zeros(B, T, dtype=torch.long)
            target[:, -L:] = symbols
            return F.one_hot(tokens, N_SYMBOLS + 2).float(), target


        def loss_fn(out, y):  # every step is scored
            return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


        def accuracy_fn(out, y):  # on the recalled symbols only
            return (out[:, -COPY_LEN:, :].argmax(-1) == y[:, -COPY_LEN:]).float().mean()
    ''',
    "order": '''
        # Temporal order (Hochreiter & Schmidhuber 1997): which of XX, XY, YX, YY appeared?
        N_DISTRACTORS = 4  # a, b, c, d
        INPUT_SIZE, OUTPUT_SIZE, CHANCE, LOSS_NAME = 6, 4, math.log(4.0), "cross-entropy"


        def sample(batch_size, generator):
            """x (B, T, 6) one-hot over (a, b, c, d, X, Y); y (B,) class 0..3."""
            T, B = CONFIG["seq_len"], batch_size
            tokens = torch.randint(0, N_DISTRACTORS, (B, T), generator=generator)
            lo1, hi1 = T // 10, max(T // 10 + 1, 2 * T // 10)
            lo2, hi2 = 5 * T // 10, max(5 * T // 10 + 1, 6 * T // 10)
            p1 = torch.randint(lo1, hi1, (B,), generator=generator)
            p2 = torch.randint(lo2, hi2, (B,), generator=generator)
            s1 = torch.randint(0, 2, (B,), generator=generator)
            s2 = torch.randint(0, 2, (B,), generator=generator)
            rows = torch.arange(B)
            tokens[rows, p1] = N_DISTRACTORS + s1
            tokens[rows, p2] = N_DISTRACTORS + s2
            return F.one_hot(tokens, N_DISTRACTORS + 2).float(), 2 * s1 + s2


        def loss_fn(out, y):  # only the last step is scored
            return F.cross_entropy(out[:, -1, :], y)


        def accuracy_fn(out, y):
            return (out[:, -1, :].argmax(-1) == y).float().mean()
    ''',
    "series": '''
        # Time series: read a noisy series, answer the value T steps back. Chance: MSE 1 (the mean).
        INPUT_SIZE, OUTPUT_SIZE, CHANCE, LOSS_NAME = 1, 1, 1.0, "MSE"


        def sample(batch_size, generator):
            """x (B, T + 1, 1): values drawn from N(0, 1); y (B, 1): the value T steps back."""
            lag, B = CONFIG["seq_len"], batch_size
            x = torch.randn(B, lag + 1, 1, generator=generator)  # (B, T + 1, 1)
            return x, x[:, -1 - lag, :].clone()  # (B, 1)


        def loss_fn(out, y):  # out (B, T + 1, 1): only the last step is scored
            return F.mse_loss(out[:, -1, :], y)


        accuracy_fn = None
    ''',
}

_BATCHNORM = '''
    class SeqBatchNorm(nn.Module):
        """Recurrent batch norm (Cooijmans et al. 2016): statistics per time step, gamma = 0.1;
        a learned shift beta (shift=True) on the cell state only, as in the paper."""

        def __init__(self, num_features, max_len=512, gamma0=0.1, momentum=0.1, eps=1e-5,
                     shift=False):
            super().__init__()
            self.max_len, self.momentum, self.eps = max_len, momentum, eps
            self.weight = nn.Parameter(torch.full((num_features,), gamma0))
            self.bias = nn.Parameter(torch.zeros(num_features)) if shift else None
            self.register_buffer("running_mean", torch.zeros(max_len, num_features))
            self.register_buffer("running_var", torch.ones(max_len, num_features))

        def forward(self, x, t):  # x (B, F)
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

'''

_CELL_CTOR = {
    "rnn": 'nn.RNNCell(input_size, hidden_size, nonlinearity=CONFIG["nonlinearity"])',
    "lstm": "nn.LSTMCell(input_size, hidden_size)",
    "gru": "nn.GRUCell(input_size, hidden_size)",
}

_FUSED = {
    "rnn": '''
            fn = torch.rnn_tanh if CONFIG["nonlinearity"] == "tanh" else torch.rnn_relu
            return fn(x, h0, weights, True, 1, 0.0, self.training, False, True)[0]''',
    "lstm": '''
            return torch.lstm(x, (h0, h0), weights, True, 1, 0.0, self.training, False,
                              True)[0]''',
    "gru": '''
            return torch.gru(x, h0, weights, True, 1, 0.0, self.training, False, True)[0]''',
}

_STEP = {
    "rnn": '''
            a = xp + hp
            h = torch.tanh(a) if CONFIG["nonlinearity"] == "tanh" else torch.relu(a)
            return h, h''',
    "lstm": '''
            i, f, g, o = (xp + hp).chunk(4, dim=-1)
            cell_state = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
            cn = self._normed("norm_c", cell_state, t)
            h = torch.sigmoid(o) * torch.tanh(cn)
            return h, (h, cell_state)''',
    "gru": '''
            xr, xz, xn = xp.chunk(3, dim=-1)
            hr, hz, hn = hp.chunk(3, dim=-1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            h = (1 - z) * n + z * h_prev
            return h, h''',
}

_INIT = {
    "default": "",  # torch's own, drawn above
    "xavier": '''        for w in (c.weight_ih, c.weight_hh):  # Glorot-uniform per gate block
            for block in w.view(n, H, -1):
                nn.init.xavier_uniform_(block, generator=gen)
        c.bias_ih.zero_()
        c.bias_hh.zero_()''',
    "orthogonal": '''        for block in c.weight_hh.view(n, H, H):  # Saxe et al. 2013
            nn.init.orthogonal_(block, generator=gen)''',
    "identity": '''        c.weight_hh.copy_(torch.eye(H).repeat(n, 1))  # IRNN (Le et al. 2015)
        nn.init.normal_(c.weight_ih, 0.0, 1e-3, generator=gen)
        c.bias_ih.zero_()
        c.bias_hh.zero_()''',
}

_OPTIMIZERS = {
    "sgd": "torch.optim.SGD(params, lr=lr)",
    "momentum": "torch.optim.SGD(params, lr=lr, momentum=0.9)",
    "rmsprop": "torch.optim.RMSprop(params, lr=lr)",
    "adam": "torch.optim.Adam(params, lr=lr)",
}


def _block(text: str, indent: str = "") -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n"), indent)


def _model_code(cfg: dict[str, Any]) -> str:
    cell, norm = cfg["cell"], cfg["norm"]
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    parts = []
    if norm == "batch":
        parts.append(_block(_BATCHNORM))
        parts.append("")
    norm_ctor = ""
    if norm == "layer":
        norm_ctor = (
            "        # layer norm (Ba, Kiros, Hinton 2016) on both projections, inside the step\n"
            "        self.norm_ih, self.norm_hh = nn.LayerNorm(G, bias=False), "
            "nn.LayerNorm(G, bias=False)\n")
        if cell == "lstm":
            norm_ctor += "        self.norm_c = nn.LayerNorm(hidden_size)\n"
    elif norm == "batch":
        norm_ctor = ("        self.norm_ih, self.norm_hh = SeqBatchNorm(G), SeqBatchNorm(G)\n")
        if cell == "lstm":
            norm_ctor += "        self.norm_c = SeqBatchNorm(hidden_size, shift=True)\n"
    if norm == "none":
        forward = f'''
        def hidden(self, x):
            """All hidden states from torch's fused kernel (what nn.{cell.upper()} runs):
            x (B, T, I) -> (B, T, H). Arguments: has_biases, layers, dropout, train,
            bidirectional, batch_first."""
            c = self.cell
            weights = [c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh]
            h0 = x.new_zeros(1, x.shape[0], self.hidden_size){_FUSED[cell]}
        '''
    else:
        call = "layer(z, t)" if norm == "batch" else "layer(z)"
        state0 = ("(h, h.clone())" if cell == "lstm" else "h")
        h_prev = "state[0]" if cell == "lstm" else "state"
        forward = f'''
        def _normed(self, which, z, t):
            layer = getattr(self, which)
            return {call}

        def step(self, xp_t, state, t):
            """One step. xp_t (B, G) = W_ih x_t before normalisation and bias."""
            c = self.cell
            h_prev = {h_prev}
            xp = self._normed("norm_ih", xp_t, t) + c.bias_ih
            hp = self._normed("norm_hh", h_prev @ c.weight_hh.T, t) + c.bias_hh{_STEP[cell]}

        def hidden(self, x):
            """The explicit step loop (normalisation sits inside the step): (B, T, H)."""
            B, T, _ = x.shape
            h = x.new_zeros(B, self.hidden_size)
            state = {state0}
            xp = x @ self.cell.weight_ih.T  # (B, T, G)
            hs = []
            for t in range(T):
                h, state = self.step(xp[:, t], state, t)
                hs.append(h)
            return torch.stack(hs, dim=1)
        '''
    init_code = _INIT[cfg["init"]] + "\n" if _INIT[cfg["init"]] else ""
    parts.append(f'''class Net(nn.Module):
    """One recurrent cell and a linear readout at every step: x (B, T, I) -> (B, T, O)."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = {_CELL_CTOR[cell]}
        self.readout = nn.Linear(hidden_size, output_size)
        G = {gates} * hidden_size
{norm_ctor}
{_block(forward, "    ")}

    def forward(self, x):
        return self.readout(self.hidden(x))


def build_model():
    """Reproducible weights: every draw comes from a private generator seeded with model_seed
    (never torch's global RNG), torch's default initialisation first, then the chosen init."""
    model = Net(INPUT_SIZE, CONFIG["hidden_size"], OUTPUT_SIZE)
    c, H, n = model.cell, CONFIG["hidden_size"], {gates}
    gen = torch.Generator().manual_seed(CONFIG["model_seed"])
    with torch.no_grad():
        bound = 1 / math.sqrt(H)
        for p in c.parameters():  # W_ih, W_hh, b_ih, b_hh: U(-1/sqrt(H), 1/sqrt(H))
            p.uniform_(-bound, bound, generator=gen)
        nn.init.kaiming_uniform_(model.readout.weight, a=math.sqrt(5), generator=gen)
        model.readout.bias.uniform_(-bound, bound, generator=gen)
{init_code}\
        c.weight_hh.mul_(CONFIG["gain"])  # the recurrent gain''')
    if cell == "lstm" and cfg["forget_bias"] is not None:
        parts.append(
            '        c.bias_ih[H:2 * H] = CONFIG["forget_bias"]  # forget gate total bias\n'
            "        c.bias_hh[H:2 * H] = 0.0")
    parts.append("    return model")
    return "\n".join(parts)


_TRAIN = '''
def make_optimizer(params, lr):
    return {optimizer}


def grad_total_norm(grads):
    """The 2-norm of all gradients together (torch.nn.utils.get_total_norm in torch >= 2.6)."""
    if hasattr(torch.nn.utils, "get_total_norm"):
        return torch.nn.utils.get_total_norm(grads)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))


def first_nonfinite(named):
    for name, t in named:
        if t is not None and not torch.isfinite(t).all():
            return name
    return None


def train(model, steps):
    """Fresh batches every step; clipping as configured; stops when the weights turn NaN/inf.

    Returns one record per step: step, loss, grad_norm (BEFORE clipping), clipped, nonfinite,
    accuracy (None for regression).
    """
    clip, threshold = CONFIG["clip"], CONFIG["clip_threshold"]
    gen = torch.Generator().manual_seed(CONFIG["seed"])
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    opt = make_optimizer(params, CONFIG["lr"])
    records = []
    for step in range(steps):
        x, y = sample(CONFIG["batch_size"], gen)
        model.train()
        out = model(x)
        loss = loss_fn(out, y)
        acc = float(accuracy_fn(out, y)) if accuracy_fn is not None else None
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in params if p.grad is not None]
        if clip == "norm":  # Pascanu et al. 2013, Algorithm 1: rescale when too long
            gnorm = float(torch.nn.utils.clip_grad_norm_(params, threshold))
            clipped = gnorm > threshold
        else:
            gnorm = float(grad_total_norm(grads))
            clipped = False
            if clip == "value":  # clamp every element to [-threshold, threshold]
                clipped = any(bool((g.abs() > threshold).any()) for g in grads)
                torch.nn.utils.clip_grad_value_(params, threshold)
        loss_v = float(loss.detach())
        bad = not math.isfinite(loss_v) or first_nonfinite([(n, p.grad) for n, p in named])
        opt.step()
        weights_bad = first_nonfinite(named)
        records.append({{"step": step, "loss": loss_v, "grad_norm": gnorm,
                        "clipped": bool(clipped), "nonfinite": bool(bad or weights_bad),
                        "accuracy": acc}})
        if step % max(1, steps // 10) == 0 or step == steps - 1:
            print(f"step {{step:5d}}  loss {{loss_v:.5f}}  grad norm {{gnorm:.4g}}"
                  + ("  (clipped)" if clipped else ""))
        if weights_bad is not None:
            print(f"step {{step}}: the weights turned NaN/inf ({{weights_bad}}); stopping.")
            break
    return records


def final_loss(records, window=20):
    tail = [r["loss"] for r in records[-window:] if math.isfinite(r["loss"])]
    return sum(tail) / len(tail) if tail else math.nan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=CONFIG["steps"],
                        help="training steps (default: the app's)")
    parser.add_argument("--csv", help="also write every step's record to this CSV file")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the app; also keeps the numbers identical
    model = build_model()
    print(f"{{CONFIG['cell']}} on the {{CONFIG['task']}} task, T = {{CONFIG['seq_len']}}, "
          f"{{sum(p.numel() for p in model.parameters())}} parameters; "
          f"chance {{LOSS_NAME}} = {{CHANCE:.4f}}")
    start = time.perf_counter()
    records = train(model, args.steps)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    clipped = sum(r["clipped"] for r in records)
    print(f"{{len(records)}} steps in {{time.perf_counter() - start:.1f}} s; "
          f"clipped at {{clipped}} of them")
    print(f"{final_prefix} {{final_loss(records)!r}}")


if __name__ == "__main__":
    main()
'''


def training_script(config: dict[str, Any], *, title: str | None = None) -> str:
    """The text of a standalone ``.py`` file that trains ``config`` and prints its final loss.

    The last line it prints is ``FINAL_LOSS_PREFIX <number>`` (see :func:`parse_final_loss`):
    the mean of the last 20 finite losses, the same as ``History.final_loss()``.
    Raises ValueError when :func:`unsupported` gives a reason.
    """
    reason = unsupported(config)
    if reason is not None:
        raise ValueError(f"cannot write a script for these settings: {reason}")
    cfg = normalise(config)
    lines = ",\n".join(f"    {k}={v!r}" for k, v in cfg.items())
    heading = title or "a training run"
    doc = (
        f'"""RNN Gradient Lab: {heading}, reproduced with plain PyTorch.\n\n'
        "Needs only torch (python -m pip install torch). Run:\n\n"
        "    python this_file.py               # the run as the app trained it\n"
        "    python this_file.py --steps 50    # a quicker look\n"
        "    python this_file.py --csv run.csv # keep every step's loss and gradient norm\n\n"
        "Same settings and seed as the app: the same batches, the same initial weights, the\n"
        "same kernels, so the final loss matches the app's (on another CPU or torch version\n"
        "the last digits may differ, and an exploding run may blow up a step earlier or later).\n"
        '"""\n')
    header = (doc + "\nimport argparse\nimport csv\nimport math\nimport time\n\nimport torch\n"
              "import torch.nn as nn\nimport torch.nn.functional as F\n\n"
              f"CONFIG = dict(\n{lines},\n)\n")
    task = _block(_TASKS[cfg["task"]])
    model = _model_code(cfg)
    train = _TRAIN.format(optimizer=_OPTIMIZERS[cfg["optimizer"]],
                          final_prefix=FINAL_LOSS_PREFIX)
    sep = "\n\n# " + "-" * 93 + "\n"
    return (header + sep + "# The task\n\n" + task + "\n" + sep + "# The model\n\n" + model
            + "\n" + sep + "# Training" + "\n" + train)
