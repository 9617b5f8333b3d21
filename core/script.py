""""Download as script": a standalone PyTorch file that reproduces one training run.

The generated file imports only ``torch`` (plus the standard library) and nothing from this
repository, so a learner can run it anywhere. Its task, model and optimiser are core's own code:
the definitions are copied from ``core/tasks.py``, ``core/models.py`` and ``core/training.py``
when the script is written (:func:`_definitions`), so there is one copy of them in the
repository. Only the training loop is written out here: ``core.training.train`` without its
probes, callbacks and time cap, the same steps in the same order. So it prints the same final
loss as :func:`reference_run` / the app (tested to float32 precision on the same machine;
another CPU or torch build may differ in the last digits).

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

import ast
import functools
import inspect
import math
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
# The generated file. Its task, model and optimiser are core's own code, copied from the source
# files when the script is written (one copy in the repository); only the training loop, the
# printing and the command line are written here.

#: Per task, what the script takes from core/tasks.py besides the loss and accuracy (which
#: come from make_task): the sampler make_task wraps, the chance function, what they read.
_TASK_CODE = {
    "adding": ("adding_problem", "adding_chance_mse", "_check_len"),
    "copy": ("copy_memory", "copy_memory_chance_ce", "_check_len"),
    "order": ("temporal_order", "temporal_order_chance_ce", "_check_len", "N_DISTRACTORS"),
    "series": ("lagged_series", "lagged_series_chance_mse", "_check_len"),
}

#: What the script takes from core/models.py: every cell and normalisation (CONFIG picks one).
_MODEL_CODE = ("CELLS", "INITS", "NORMS", "NONLINEARITIES", "GATES", "SeqBatchNorm",
               "RecurrentNet", "init_recurrent", "build_model")

#: What the script takes from core/training.py (its loop is written out below, without probes).
_TRAINING_CODE = ("OPTIMIZERS", "make_optimizer", "_first_nonfinite")


@functools.cache
def _top_level(module) -> dict[str, tuple[bool, str]]:
    """Every top-level function, class and constant of ``module`` as its source file has them
    (decorators and comments included): name -> (is a constant, source), in the module's order.
    Read once per process."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found[node.name] = (False, "\n".join(lines[start - 1:node.end_lineno]))
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = (True, "\n".join(lines[node.lineno - 1:node.end_lineno]))
    return found


def _definitions(module, names) -> str:
    """The definitions ``names`` of ``module``, verbatim and in the module's order, under a
    comment naming the file. Raises LookupError for a name the module does not define."""
    found = _top_level(module)
    missing = set(names) - found.keys()
    if missing:
        raise LookupError(f"{module.__name__} defines no {', '.join(sorted(missing))}")
    out, previous_constant = [], False
    for name, (constant, text) in found.items():
        if name in names:
            if out:  # constants one under the other, definitions two blank lines apart
                out.append("\n" if constant and previous_constant else "\n\n\n")
            out.append(text)
            previous_constant = constant
    path = module.__name__.replace(".", "/") + ".py"
    return f"# from {path}, as the app runs it\n" + "".join(out)


def _task_code(cfg: dict[str, Any]) -> str:
    from . import tasks

    task = tasks.make_task(cfg["task"], cfg["seq_len"])
    sampler, chance, *helpers = _TASK_CODE[cfg["task"]]
    loss = task.loss.__name__
    accuracy = None if task.accuracy is None else task.accuracy.__name__
    names = [sampler, chance, *helpers, loss] + ([accuracy] if accuracy else [])
    # copy memory's chance depends on the delay; the others' on nothing
    length = 'CONFIG["seq_len"]'
    chance_args = length if inspect.signature(getattr(tasks, chance)).parameters else ""
    return f"""{_definitions(tasks, names)}


# what make_task({cfg["task"]!r}, T) builds from them
INPUT_SIZE, OUTPUT_SIZE, LOSS_NAME = {task.input_size}, {task.output_size}, {task.loss_name!r}
CHANCE = {chance}({chance_args})


def sample(batch_size, generator):
    return {sampler}(batch_size, {length}, generator=generator)


loss_fn, accuracy_fn = {loss}, {accuracy}"""


_TRAIN = '''
def grad_total_norm(grads):
    """The 2-norm of all gradients together (torch.nn.utils.get_total_norm in torch >= 2.6)."""
    if hasattr(torch.nn.utils, "get_total_norm"):
        return torch.nn.utils.get_total_norm(grads)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))


def train(model, steps):
    """core.training.train without its probes: fresh batches every step; clipping as
    configured; stops when the weights turn NaN/inf.

    Returns one record per step: step, loss, grad_norm (BEFORE clipping), clipped, nonfinite,
    accuracy (None for regression).
    """
    clip, threshold = CONFIG["clip"], CONFIG["clip_threshold"]
    gen = torch.Generator().manual_seed(CONFIG["seed"])
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    opt = make_optimizer(CONFIG["optimizer"], params, CONFIG["lr"])
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
        bad = not math.isfinite(loss_v) or _first_nonfinite([(n, p.grad) for n, p in named])
        opt.step()
        weights_bad = _first_nonfinite(named)
        records.append({"step": step, "loss": loss_v, "grad_norm": gnorm,
                        "clipped": bool(clipped), "nonfinite": bool(bad or weights_bad),
                        "accuracy": acc})
        if step % max(1, steps // 10) == 0 or step == steps - 1:
            print(f"step {step:5d}  loss {loss_v:.5f}  grad norm {gnorm:.4g}"
                  + ("  (clipped)" if clipped else ""))
        if weights_bad is not None:
            print(f"step {step}: the weights turned NaN/inf ({weights_bad}); stopping.")
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
    model = build_model(CONFIG["cell"], INPUT_SIZE, CONFIG["hidden_size"], OUTPUT_SIZE,
                        nonlinearity=CONFIG["nonlinearity"], init=CONFIG["init"],
                        gain=CONFIG["gain"], forget_bias=CONFIG["forget_bias"],
                        norm=CONFIG["norm"], seed=CONFIG["model_seed"])
    print(f"{CONFIG['cell']} on the {CONFIG['task']} task, T = {CONFIG['seq_len']}, "
          f"{sum(p.numel() for p in model.parameters())} parameters; "
          f"chance {LOSS_NAME} = {CHANCE:.4f}")
    start = time.perf_counter()
    records = train(model, args.steps)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)
    clipped = sum(r["clipped"] for r in records)
    print(f"{len(records)} steps in {time.perf_counter() - start:.1f} s; "
          f"clipped at {clipped} of them")
    print(f"FINAL_LOSS_PREFIX {final_loss(records)!r}")


if __name__ == "__main__":
    main()
'''


def training_script(config: dict[str, Any], *, title: str | None = None) -> str:
    """The text of a standalone ``.py`` file that trains ``config`` and prints its final loss.

    The last line it prints is ``FINAL_LOSS_PREFIX <number>`` (see :func:`parse_final_loss`):
    the mean of the last 20 finite losses, the same as ``History.final_loss()``.
    Raises ValueError when :func:`unsupported` gives a reason.
    """
    from . import models, training

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
        "The task, the model and the optimiser below are the app's own code, copied from its\n"
        "files.\n"
        '"""\n')
    header = (doc + "\nfrom __future__ import annotations\n\nimport argparse\nimport csv\n"
              "import math\nimport time\n\nimport torch\nimport torch.nn as nn\n"
              f"import torch.nn.functional as F\n\nCONFIG = dict(\n{lines},\n)\n")
    sep = "\n\n# " + "-" * 93 + "\n"
    return (header + sep + "# The task\n\n" + _task_code(cfg) + "\n"
            + sep + "# The model\n\n" + _definitions(models, _MODEL_CODE) + "\n"
            + sep + "# Training\n\n" + _definitions(training, _TRAINING_CODE) + "\n\n"
            + _TRAIN.replace("FINAL_LOSS_PREFIX", FINAL_LOSS_PREFIX))
