import math

import pytest
import torch

from core.tasks import (
    TASKS,
    adding_chance_mse,
    adding_problem,
    copy_memory,
    copy_memory_chance_ce,
    lagged_series,
    lagged_series_chance_mse,
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


@pytest.mark.parametrize("lag", [1, 2, 7, 60])
def test_lagged_series_target_is_the_value_lag_steps_back(lag):
    x, y = lagged_series(128, lag, generator=gen(lag))
    assert x.shape == (128, lag + 1, 1) and x.dtype == torch.float32
    assert y.shape == (128, 1) and y.dtype == torch.float32
    t = x.shape[1] - 1  # the answer is due at the last step
    assert torch.equal(y, x[:, t - lag, :])
    # no other step of the series carries the answer
    others = x[:, 1:, 0]
    assert not torch.any((others == y).all(0))


def test_lagged_series_is_reproducible_and_standard_normal():
    a = lagged_series(8, 10, generator=gen(4))
    b = lagged_series(8, 10, generator=gen(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    x, _ = lagged_series(20_000, 10, generator=gen(5))
    assert x.mean().item() == pytest.approx(0.0, abs=0.01)
    assert x.var().item() == pytest.approx(1.0, rel=0.01)


def test_lagged_series_chance_is_the_mse_of_predicting_the_mean():
    task = make_task("series", 30)
    x, y = task.sample(200_000, gen(6))
    out = torch.zeros(y.shape[0], x.shape[1], 1)  # always predict the mean, 0
    empirical = task.loss(out, y).item()
    assert task.chance == lagged_series_chance_mse() == 1.0
    assert empirical == pytest.approx(task.chance, rel=0.01)
    # a constant other than the mean does worse: the mean is the best input-blind answer
    assert task.loss(out + 0.3, y).item() > empirical
    # and the perfect answer, read from the input, scores 0
    perfect = torch.zeros_like(out)
    perfect[:, -1, :] = x[:, 0, :]
    assert task.loss(perfect, y).item() == 0.0


def test_series_task_interface():
    task = make_task("series", 12)
    assert (task.name, task.seq_len, task.input_size, task.output_size) == ("series", 12, 1, 1)
    assert task.accuracy is None and task.chance_accuracy is None and task.loss_name == "MSE"
    assert "series" in TASKS and "T steps back" in TASKS["series"]
    with pytest.raises(ValueError, match="at least 1"):
        make_task("series", 0).sample(2, gen())


def test_bad_lengths_are_refused_with_a_message():
    with pytest.raises(ValueError, match="at least"):
        adding_problem(4, 1)
    with pytest.raises(ValueError, match="unknown task"):
        make_task("nope", 10)
