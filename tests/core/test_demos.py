"""Every shipped demo result still matches a fresh run of its experiment at the defaults."""

import json
import math

import pytest

from core.experiments import load_all
from tools.make_demos import rounded
from ui.demos import DEMO_DIR, schema_of

REGISTRY = load_all()


def close(a, b, path="result", rtol=2e-2, atol=1e-6):
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            close(a[k], b[k], f"{path}.{k}", rtol, atol)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{i}]", rtol, atol)
    elif isinstance(a, bool) or a is None or isinstance(a, str):
        assert a == b, f"{path}: {a!r} vs {b!r}"
    else:
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            assert math.isnan(a) and math.isnan(b), f"{path}: {a} vs {b}"
        elif math.isinf(a) or math.isinf(b):
            assert a == b, f"{path}: {a} vs {b}"
        else:
            assert abs(a - b) <= atol + rtol * abs(b), f"{path}: {a} vs {b}"


def test_every_registered_experiment_ships_a_demo():
    missing = [k for k in REGISTRY if not (DEMO_DIR / f"{k}.json").exists()]
    assert not missing, f"run `python -m tools.make_demos` for {missing}"


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_shipped_demo_matches_a_fresh_run(key):
    fn = REGISTRY[key]
    path = DEMO_DIR / f"{key}.json"
    if not path.exists():
        pytest.skip("no shipped demo (the test above fails)")
    shipped = json.loads(path.read_text())
    assert shipped["params"] == fn.defaults
    fresh = json.loads(json.dumps(rounded(fn(**fn.defaults))))
    close(fresh, shipped["result"])
    # the keys and types ui.demos validates against are those of a fresh run
    assert shipped.get("schema") == schema_of(fresh), (
        f"{key}: the recorded schema is not that of a fresh run; run "
        f"`python -m tools.make_demos {key}`")
