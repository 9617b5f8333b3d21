"""One training loop for every experiment in the app.

``train(model, task, ...)`` returns a :class:`History`: a tidy record per step (loss, pre-clip
gradient norm, clipped or not, non-finite or not, accuracy where the task has one), optional
gradient probes (||dL/dh_t|| for every t at chosen steps), and the FIRST non-finite value seen
(step, where and which tensor) instead of an exception. Exploding runs are a lesson, not a crash.

Clipping uses torch's own ``clip_grad_norm_`` (one norm over all gradients together, returns
the pre-clip norm) and ``clip_grad_value_`` (element-wise clamp, changes the direction).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

from .models import RecurrentNet
from .probes import gradient_norms_by_step, hidden_state_gradients
from .tasks import Task

__all__ = ["OPTIMIZERS", "CLIPS", "History", "make_optimizer", "train", "evaluate"]

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
CLIPS = ("none", "norm", "value")


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """``"sgd"``, ``"momentum"`` (SGD, 0.9), ``"rmsprop"`` or ``"adam"``."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


@dataclass
class History:
    """What a training run produced. Every field is plain Python (JSON-ready via ``to_dict``).

    records: one dict per completed step: ``step, loss, grad_norm, clipped, nonfinite`` and
        ``accuracy`` (None for regression). ``grad_norm`` is the norm over all gradients BEFORE
        clipping.
    probes: ``{"step": s, "grad_norm_by_t": [T floats]}`` at the probed steps (||dL/dh_t|| over
        the probe batch, float64).
    first_nonfinite: None, or ``{"step", "where" ("loss" | "gradient" | "weights"), "tensor"}``.
    stopped: None, ``"user"``, ``"nonfinite"`` or ``"time"``.
    """

    records: list[dict] = field(default_factory=list)
    probes: list[dict] = field(default_factory=list)
    first_nonfinite: dict | None = None
    stopped: str | None = None
    chance: float | None = None
    seconds: float = 0.0

    def column(self, name: str) -> list:
        return [r[name] for r in self.records]

    def final_loss(self, window: int = 20) -> float:
        """Mean finite loss over the last ``window`` steps (nan if none is finite)."""
        tail = [v for v in self.column("loss")[-window:] if math.isfinite(v)]
        return sum(tail) / len(tail) if tail else math.nan

    def to_dict(self) -> dict:
        return asdict(self)


def _first_nonfinite(named: list[tuple[str, torch.Tensor | None]]) -> str | None:
    for name, t in named:
        if t is not None and not torch.isfinite(t).all():
            return name
    return None


def train(
    model: RecurrentNet,
    task: Task,
    *,
    optimizer: str = "adam",
    lr: float = 1e-3,
    clip: str = "none",
    clip_threshold: float = 1.0,
    steps: int = 200,
    batch_size: int = 64,
    seed: int = 0,
    probe_every: int = 0,
    probe_batch: int = 32,
    callback: Callable[[dict, History], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    max_seconds: float | None = None,
    stop_on_nonfinite: bool = True,
) -> History:
    """Train ``model`` on fresh batches of ``task`` for ``steps`` steps.

    clip: ``"none"``, ``"norm"`` (rescale all gradients together when their joint norm exceeds
    ``clip_threshold``) or ``"value"`` (clamp every element to ``[-c, c]``).
    probe_every: every that many steps (and at the last), record ||dL/dh_t|| for every t on a
    fixed probe batch; 0 turns probes off. ``callback(record, history)`` runs after every step;
    ``should_stop()`` is asked before every step; ``max_seconds`` caps the wall time. When the
    weights turn non-finite the run stops (``stop_on_nonfinite``) with the event recorded.
    The same model weights, task and seed give the same history.
    """
    if clip not in CLIPS:
        raise ValueError(f"clip must be one of {CLIPS}, got {clip!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError("the learning rate must be a positive finite number")
    gen = torch.Generator().manual_seed(int(seed))
    probe_gen = torch.Generator().manual_seed(int(seed) + 10_007)
    px, py = task.sample(probe_batch, probe_gen) if probe_every else (None, None)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    opt = make_optimizer(optimizer, params, lr)
    hist = History(chance=task.chance)
    start = time.perf_counter()

    def probe(step: int) -> None:
        model.train()
        g = hidden_state_gradients(model, px, lambda o: task.loss(o, py), dtype=torch.float64)
        hist.probes.append({"step": step, "grad_norm_by_t": gradient_norms_by_step(g).tolist()})

    for step in range(int(steps)):
        if should_stop is not None and should_stop():
            hist.stopped = "user"
            break
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            hist.stopped = "time"
            break
        if probe_every and step % probe_every == 0:
            probe(step)
        x, y = task.sample(batch_size, gen)
        model.train()
        out = model(x)
        loss = task.loss(out, y)
        acc = float(task.accuracy(out, y)) if task.accuracy is not None else None
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in params if p.grad is not None]
        if clip == "norm":
            gnorm = float(torch.nn.utils.clip_grad_norm_(params, clip_threshold))
            clipped = gnorm > clip_threshold
        else:
            gnorm = float(torch.nn.utils.get_total_norm(grads))
            clipped = False
            if clip == "value":
                clipped = any(bool((g.abs() > clip_threshold).any()) for g in grads)
                torch.nn.utils.clip_grad_value_(params, clip_threshold)
        loss_v = float(loss.detach())
        bad = None
        if not math.isfinite(loss_v):
            bad = ("loss", "loss")
        else:
            name = _first_nonfinite([(n, p.grad) for n, p in named])
            if name is not None:
                bad = ("gradient", name)
        opt.step()
        weights_bad = _first_nonfinite(named)
        if bad is None and weights_bad is not None:
            bad = ("weights", weights_bad)
        if bad is not None and hist.first_nonfinite is None:
            hist.first_nonfinite = {"step": step, "where": bad[0], "tensor": bad[1]}
        rec = {"step": step, "loss": loss_v, "grad_norm": gnorm, "clipped": bool(clipped),
               "nonfinite": bad is not None, "accuracy": acc}
        hist.records.append(rec)
        if callback is not None:
            callback(rec, hist)
        if weights_bad is not None and stop_on_nonfinite:
            hist.stopped = "nonfinite"
            break
    else:
        if probe_every and weights_ok(model):
            probe(int(steps))
    hist.seconds = time.perf_counter() - start
    return hist


def weights_ok(model: torch.nn.Module) -> bool:
    """True when every parameter is finite."""
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


@torch.no_grad()
def evaluate(model: RecurrentNet, task: Task, *, batch_size: int = 256, seed: int = 12_345
             ) -> dict:
    """Loss (and accuracy) on one fresh batch: ``{"loss": float, "accuracy": float | None}``."""
    model.eval()
    x, y = task.sample(batch_size, torch.Generator().manual_seed(seed))
    out = model(x)
    acc = float(task.accuracy(out, y)) if task.accuracy is not None else None
    return {"loss": float(task.loss(out, y)), "accuracy": acc}


