"""Synthetic tasks with long-term dependencies, and their chance baselines.

Every sampler takes ``batch_size`` and a length, an optional ``torch.Generator`` (the same
seeded generator gives the same batch) and returns ``(x, y)`` as float32 / int64 tensors.

``Task`` wraps a sampler with what training needs: input/output sizes, the loss on the model's
outputs ``(B, T, O)``, an optional accuracy, and the chance line.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = [
    "adding_problem",
    "adding_chance_mse",
    "copy_memory",
    "copy_memory_chance_ce",
    "temporal_order",
    "temporal_order_chance_ce",
    "lagged_series",
    "lagged_series_chance_mse",
    "Task",
    "make_task",
    "TASKS",
]


def _check_len(seq_len: int, minimum: int, name: str) -> int:
    seq_len = int(seq_len)
    if seq_len < minimum:
        raise ValueError(f"{name} needs a length of at least {minimum}, got {seq_len}")
    return seq_len


# ---------------------------------------------------------------------------------------------
# Adding problem (Le et al. 2015; Arjovsky et al. 2016)


def adding_problem(batch_size: int, seq_len: int, *, generator: torch.Generator | None = None):
    """Sample the adding problem.

    Returns:
        x: ``(B, T, 2)`` float32. Channel 0 holds values drawn from U[0, 1]; channel 1 is a
           marker with exactly one 1 in ``[0, T//2)`` and exactly one 1 in ``[T//2, T)``.
        y: ``(B, 1)`` float32, the sum of the two marked values.
    """
    T = _check_len(seq_len, 2, "the adding problem")
    B = int(batch_size)
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


def adding_chance_mse() -> float:
    """MSE of always predicting 1 (the mean): Var(U1 + U2) = 2/12 = 1/6."""
    return 1.0 / 6.0


# ---------------------------------------------------------------------------------------------
# Copy memory (Arjovsky, Shah, Bengio 2016, arXiv:1511.06464)

COPY_BLANK = 0
COPY_DELIM = 9


def copy_memory(
    batch_size: int,
    delay: int,
    *,
    n_symbols: int = 8,
    copy_len: int = 10,
    generator: torch.Generator | None = None,
):
    """Sample the copy-memory task.

    The input is ``copy_len`` symbols from ``1..n_symbols``, ``delay - 1`` blanks, a delimiter,
    then ``copy_len`` blanks: total length ``delay + 2 * copy_len``. The target is blank everywhere
    except the last ``copy_len`` steps, which must repeat the symbols.

    Returns:
        x: ``(B, T, n_symbols + 2)`` float32 one-hot (0 = blank, n_symbols + 1 = delimiter).
        y: ``(B, T)`` int64 class indices.
    """
    delay = _check_len(delay, 1, "copy memory")
    B, L = int(batch_size), int(copy_len)
    T = delay + 2 * L
    delim = n_symbols + 1
    symbols = torch.randint(1, n_symbols + 1, (B, L), generator=generator)
    tokens = torch.zeros(B, T, dtype=torch.long)
    tokens[:, :L] = symbols
    tokens[:, L + delay - 1] = delim
    target = torch.zeros(B, T, dtype=torch.long)
    target[:, -L:] = symbols
    x = F.one_hot(tokens, n_symbols + 2).float()
    return x, target


def copy_memory_chance_ce(delay: int, *, n_symbols: int = 8, copy_len: int = 10) -> float:
    """Cross-entropy per step of the memoryless strategy: blanks right, symbols guessed.

    ``copy_len * ln(n_symbols) / (delay + 2 * copy_len)``: 0.173 at delay 100 (Arjovsky et al.).
    """
    return copy_len * math.log(n_symbols) / (delay + 2 * copy_len)


# ---------------------------------------------------------------------------------------------
# Temporal order (Hochreiter & Schmidhuber 1997, task 6a; Pascanu et al. 2013)

N_DISTRACTORS = 4  # symbols a, b, c, d
TEMPORAL_CLASSES = ("XX", "XY", "YX", "YY")


def temporal_order(batch_size: int, seq_len: int, *, generator: torch.Generator | None = None):
    """Sample the temporal-order task.

    A sequence of random distractors (a, b, c, d) holds X or Y at two positions, the first in
    ``[T/10, 2T/10)`` and the second in ``[5T/10, 6T/10)``; the class is which of XX, XY, YX, YY
    appeared, in order.

    Returns:
        x: ``(B, T, 6)`` float32 one-hot over (a, b, c, d, X, Y).
        y: ``(B,)`` int64 class in ``0..3``.
    """
    T = _check_len(seq_len, 10, "temporal order")
    B = int(batch_size)
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
    x = F.one_hot(tokens, N_DISTRACTORS + 2).float()
    y = 2 * s1 + s2
    return x, y


def temporal_order_chance_ce() -> float:
    """Cross-entropy of guessing uniformly among 4 classes: ln 4 = 1.386 nats (75 % error)."""
    return math.log(4.0)


# ---------------------------------------------------------------------------------------------
# Time series with a lag: the answer is the value the series had k steps back


def lagged_series(batch_size: int, lag: int, *, generator: torch.Generator | None = None):
    """Sample the lagged-series task: read a noisy series, then output its value ``lag`` steps
    back (the first value read).

    The series has ``lag + 1`` steps, each value drawn afresh from N(0, 1); the answer, due at
    the last step ``t = lag``, is ``x_{t - lag} = x_0``. Nothing read after step 0 helps: the
    dependency distance is exactly ``lag``.

    Returns:
        x: ``(B, lag + 1, 1)`` float32, the series.
        y: ``(B, 1)`` float32, the value ``lag`` steps before the last step.
    """
    lag = _check_len(lag, 1, "the lagged series")
    B = int(batch_size)
    x = torch.randn(B, lag + 1, 1, generator=generator)  # (B, T, 1)
    return x, x[:, -1 - lag, :].clone()  # (B, 1)


def lagged_series_chance_mse() -> float:
    """MSE of always predicting the mean, 0: the variance of one value of the series, 1."""
    return 1.0


# ---------------------------------------------------------------------------------------------
# A uniform wrapper for training code


@dataclass(frozen=True)
class Task:
    """A task as the training loop sees it.

    ``sample(batch_size, generator) -> (x, y)``; ``loss(out, y)`` takes the model's outputs
    ``(B, T, output_size)``; ``accuracy(out, y)`` is None for regression; ``chance`` is the loss
    of the best input-blind strategy; ``chance_accuracy`` its accuracy (None for regression).
    """

    name: str
    seq_len: int
    input_size: int
    output_size: int
    sample: Callable[[int, torch.Generator | None], tuple[torch.Tensor, torch.Tensor]]
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    accuracy: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None
    chance: float
    chance_accuracy: float | None
    loss_name: str


def _last_mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out[:, -1, :], y)


def _last_ce(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out[:, -1, :], y)


def _last_acc(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (out[:, -1, :].argmax(-1) == y).float().mean()


def _all_ce(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def _copy_acc(out: torch.Tensor, y: torch.Tensor, copy_len: int = 10) -> torch.Tensor:
    """Accuracy on the recalled symbols only (the last ``copy_len`` steps)."""
    return (out[:, -copy_len:, :].argmax(-1) == y[:, -copy_len:]).float().mean()


def make_task(name: str, seq_len: int) -> Task:
    """Build a :class:`Task` by name: ``"adding"``, ``"copy"`` (seq_len is the delay),
    ``"order"`` (temporal order) or ``"series"`` (seq_len is the lag; the network reads
    ``seq_len + 1`` steps)."""
    if name == "adding":
        return Task(
            "adding", seq_len, 2, 1,
            lambda b, g: adding_problem(b, seq_len, generator=g),
            _last_mse, None, adding_chance_mse(), None, "MSE",
        )
    if name == "copy":
        return Task(
            "copy", seq_len, 10, 10,
            lambda b, g: copy_memory(b, seq_len, generator=g),
            _all_ce, _copy_acc, copy_memory_chance_ce(seq_len), 1.0 / 8.0, "cross-entropy",
        )
    if name == "order":
        return Task(
            "order", seq_len, 6, 4,
            lambda b, g: temporal_order(b, seq_len, generator=g),
            _last_ce, _last_acc, temporal_order_chance_ce(), 0.25, "cross-entropy",
        )
    if name == "series":
        return Task(
            "series", seq_len, 1, 1,
            lambda b, g: lagged_series(b, seq_len, generator=g),
            _last_mse, None, lagged_series_chance_mse(), None, "MSE",
        )
    raise ValueError(f"unknown task {name!r}; choose from {sorted(TASKS)}")


TASKS = {
    "adding": "Adding problem",
    "copy": "Copy memory",
    "order": "Temporal order",
    "series": "Time series: value T steps back",
}
