"""core.cost: the structure of the one cost model (its accuracy is measured in bench.calibrate)."""

from __future__ import annotations

import inspect
import math

import pytest

from core import cost
from core.experiments import load_all

REGISTRY = load_all()


def test_every_experiment_that_trains_has_an_estimator():
    trains = {k for k, fn in REGISTRY.items() if "report" in inspect.signature(fn).parameters}
    assert trains <= set(cost.ESTIMATORS), sorted(trains - set(cost.ESTIMATORS))
    assert set(cost.ESTIMATORS) <= set(REGISTRY)


@pytest.mark.parametrize("key", sorted(cost.ESTIMATORS))
def test_defaults_are_estimated_finite_positive_and_under_the_cap(key):
    est = cost.estimate(key)
    assert math.isfinite(est) and 0 < est < 30, est


@pytest.mark.parametrize("key", sorted(cost.ESTIMATORS))
def test_more_work_never_costs_less(key):
    d = REGISTRY[key].defaults
    base = cost.estimate(key)
    for name in ("steps", "seq_len", "hidden_size", "t_max", "max_distance", "batch_size"):
        if name in d:
            assert cost.estimate(key, {name: 2 * d[name]}) > base, name


def test_the_constants_cover_every_cell_and_norm():
    for table in (cost.STEP, cost.PROBE):
        assert set(table) == {(c, n) for c in cost.GATES for n in cost.NORMS}
        assert all(len(v) == 5 and min(v) >= 0 and max(v) > 0 for v in table.values())
    assert set(cost.FORWARD) == set(cost.GATES)
    assert all(len(v) == 5 and min(v) >= 0 for v in cost.FORWARD.values())
    assert cost.LM_HEAD > 0 and 0 < cost.FORWARD_SHARE < 1 and cost.RUN_SETUP >= 0
    assert set(cost.SAMPLE_CHAR) == set(cost.GATES)


def test_seconds_adds_up_its_parts():
    one = cost.seconds("gru", 40, 32, steps=100)
    assert cost.seconds("gru", 40, 32, steps=100, runs=3) == pytest.approx(3 * one)
    assert cost.seconds("gru", 40, 32, steps=200) - one == pytest.approx(
        100 * cost.step_seconds("gru", 40, 32))
    with_probes = cost.seconds("gru", 40, 32, steps=100, probes=4)
    assert with_probes - one == pytest.approx(4 * cost.probe_seconds("gru", 40, 32))
    assert cost.seconds("gru", 40, 32, steps=100, vocab=50) > one
    evals = cost.seconds("gru", 40, 32, steps=100, evals=2, eval_batch=300)
    assert evals - one == pytest.approx(2 * cost.forward_seconds("gru", 40, 32, batch_size=300))
    assert cost.forward_seconds("gru", 40, 32, batch_size=300, vocab=13) > \
        cost.forward_seconds("gru", 40, 32, batch_size=300)
    assert cost.forward_seconds("gru", 40, 32, batch_size=64, norm="layer") == pytest.approx(
        cost.FORWARD_SHARE * cost.step_seconds("gru", 40, 32, norm="layer"))


def test_the_step_loop_is_priced_above_the_fused_kernel_and_fused_false_means_the_loop():
    for cell in cost.GATES:
        fused = cost.step_seconds(cell, 100, 64)
        for norm in ("layer", "batch"):
            assert cost.step_seconds(cell, 100, 64, norm=norm) > fused
        assert cost.step_seconds(cell, 100, 64, fused=False) == \
            cost.step_seconds(cell, 100, 64, norm="layer")
    with pytest.raises(ValueError):
        cost.step_seconds("rnn", 10, 8, norm="group")


def test_the_calibration_check_covers_every_estimator():
    from bench.calibrate import HEAVIEST, heaviest

    assert {n.split("/")[0] for n in HEAVIEST} == set(cost.ESTIMATORS)
    for name in HEAVIEST:
        key, params = heaviest(name)
        assert cost.estimate(key, params) <= 30 or params.get("steps") == HEAVIEST[name][1][0]


def _live_runs(tree) -> list[tuple[str, str]]:
    """(experiments module, function) of every ``runner.live(name, exp.fn, ...)`` and
    ``runner.after_prediction(name, reveal, exp.fn, ...)`` on a page."""
    import ast

    alias = {a.asname or a.name: a.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "core.experiments"
             for a in node.names}
    # a name bound to a choice of experiments (Lab 2: FN = {"tasks": exp.tasks, ...}[part])
    chosen = {node.targets[0].id: [v for v in node.value.value.values
                                   if isinstance(v, ast.Attribute)]
              for node in ast.walk(tree)
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
              and isinstance(node.value, ast.Subscript) and isinstance(node.value.value, ast.Dict)}
    out = []
    for node in ast.walk(tree):
        at = (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and {"live": 1, "after_prediction": 2}.get(node.func.attr))
        if at and len(node.args) > at:
            arg = node.args[at]
            fns = chosen.get(arg.id, []) if isinstance(arg, ast.Name) else [arg]
            out += [(alias[f.value.id], f.attr) for f in fns
                    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)]
    return out


def test_no_page_computes_its_own_estimate():
    """Every training run a page offers is priced by ``cost.estimate`` under its own key, and
    no module outside core/cost.py keeps a cost constant or estimator of its own."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    seen = set()
    for page in sorted((root / "pages").glob("*.py")):
        src = page.read_text()
        for module, fn in _live_runs(ast.parse(src)):
            key = f"{module}.{fn}"
            assert key in cost.ESTIMATORS, (page.name, key)
            # by name, or through the chosen experiment's own key (Lab 2: FN.key)
            assert (f'cost.estimate("{key}"' in src
                    or re.search(r"cost\.estimate\(\w+\.key\b", src)), (page.name, key)
            seen.add(key)
        # no estimator called on an experiment module (or anything but core.cost)
        assert not re.search(r"\b(?!cost\.)\w+\.(estimate\w*|\w+_seconds)\(", src), page.name
    assert len(seen) >= 12  # the pages' live runs were found
    banned = re.compile(r"^(STEP_OVERHEAD|FUSED_FACTOR|CALIBRATION\w*)$")
    for path in [*(root / "core").rglob("*.py"), *(root / "ui").rglob("*.py"),
                 *(root / "pages").glob("*.py")]:
        if path == root / "core" / "cost.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([t.id for t in ast.walk(node) if isinstance(t, ast.Name)]
                     if isinstance(node, (ast.Assign, ast.AnnAssign)) else [])
            assert not any(banned.match(n) for n in names), (path.name, names)
            if isinstance(node, ast.FunctionDef):
                assert not re.match(r"(estimate\w*|\w*estimate_seconds|sweep_seconds|"
                                    r"budget_seconds)$", node.name), (path.name, node.name)
