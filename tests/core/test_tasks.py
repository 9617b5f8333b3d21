import math

import pytest
import torch

from core.tasks import (
    adding_chance_mse,
    adding_problem,
    copy_memory,
    copy_memory_chance_ce,
    make_task,
    temporal_order,
    temporal_order_chance_ce,
)


def gen(s=0):
    return torch.Generator().manual_seed(s)


@pytest.mark.parametrize("T", [2, 3, 10, 51, 200])
def test_adding_shapes_markers_and_target(T):
    x, y = adding_problem(256, T, generator=gen())
    assert x.shape == (256, T, 2) and x.dtype == torch.float32 and y.shape == (256, 1)
    m = x[..., 1]
    assert torch.all(m[:, : T // 2].sum(1) == 1) and torch.all(m[:, T // 2:].sum(1) == 1)
    assert torch.all((x[..., 0] >= 0) & (x[..., 0] <= 1))
    assert torch.allclose((x[..., 0] * m).sum(1, keepdim=True), y)


def test_adding_chance_line_is_the_mse_of_predicting_one():
    _, y = adding_problem(200_000, 20, generator=gen(3))
    empirical = ((y - 1.0) ** 2).mean().item()
    assert adding_chance_mse() == pytest.approx(1 / 6)
    assert empirical == pytest.approx(1 / 6, rel=0.02)


def test_same_seed_same_batch_other_seed_other_batch():
    a = adding_problem(8, 30, generator=gen(1))
    b = adding_problem(8, 30, generator=gen(1))
    c = adding_problem(8, 30, generator=gen(2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_copy_memory_layout_and_chance():
    x, y = copy_memory(16, 30, generator=gen())
    assert x.shape == (16, 50, 10) and y.shape == (16, 50)
    tokens = x.argmax(-1)
    assert torch.equal(y[:, -10:], tokens[:, :10])  # recall the first ten symbols
    assert torch.all(tokens[:, 10 + 30 - 1] == 9)  # delimiter
    assert torch.all(y[:, :-10] == 0)
    assert copy_memory_chance_ce(100) == pytest.approx(10 * math.log(8) / 120)
    assert copy_memory_chance_ce(100) == pytest.approx(0.173, abs=1e-3)
    assert copy_memory_chance_ce(200) == pytest.approx(0.0945, abs=1e-4)


def test_copy_memory_chance_matches_the_memoryless_strategy():
    task = make_task("copy", 40)
    x, y = task.sample(64, gen())
    T = x.shape[1]
    logits = torch.full((64, T, 10), -1e9)
    logits[:, :-10, 0] = 0.0  # blanks: certain
    logits[:, -10:, 1:9] = 0.0  # symbols: uniform over 8
    assert task.loss(logits, y).item() == pytest.approx(task.chance, rel=1e-5)


def test_temporal_order_classes_and_chance():
    x, y = temporal_order(4000, 100, generator=gen())
    assert x.shape == (4000, 100, 6) and y.shape == (4000,)
    tok = x.argmax(-1)
    marks = (tok >= 4).nonzero()
    assert marks.shape[0] == 2 * 4000
    first = tok[:, 10:20].max(1).values - 4
    second = tok[:, 50:60].max(1).values - 4
    assert torch.equal(2 * first + second, y)
    counts = torch.bincount(y, minlength=4).float() / 4000
    assert torch.all((counts - 0.25).abs() < 0.03)
    assert temporal_order_chance_ce() == pytest.approx(math.log(4))


def test_bad_lengths_are_refused_with_a_message():
    with pytest.raises(ValueError, match="at least"):
        adding_problem(4, 1)
    with pytest.raises(ValueError, match="unknown task"):
        make_task("nope", 10)
