"""Run every claim a page makes over its settings and seeds (see ``core.claims``).

``cases(module)`` lists (claim, settings, seed) for the claims declared in
``core.experiments.<module>``; ``run_case`` runs the experiment once per distinct parameter
set (cached for the worker) and asserts the claim. ``check_perturbed`` shows a claim can fail:
its ``perturb`` of a real result must be rejected.
"""

from __future__ import annotations

import functools
import importlib
import json

import pytest

from core.claims import CLAIMS, Claim


def _claims(module: str) -> list[Claim]:
    importlib.import_module(f"core.experiments.{module}")
    return [c for c in CLAIMS.values() if c.experiment.split(".", 1)[0] == module]


def params_for(c: Claim, settings: dict, seed: int | None) -> dict:
    from core.experiments import resolve

    fn = resolve(c.experiment)
    p = {**fn.defaults, **settings}
    if seed is not None:
        p["seed"] = seed
    return p


@functools.cache
def _result(key: str, params_json: str) -> dict:
    from core.experiments import resolve

    return resolve(key)(**json.loads(params_json))


def result_for(c: Claim, settings: dict, seed: int | None) -> dict:
    return _result(c.experiment, json.dumps(params_for(c, settings, seed), sort_keys=True))


def cases(module: str) -> list:
    out = []
    for c in _claims(module):
        for s in c.settings:
            for seed in (c.seeds if c.seeds is not None else (None,)):
                sid = ",".join(f"{k}={v}" for k, v in s.items()) or "defaults"
                out.append(pytest.param(c, s, seed, id=f"{c.name}[{sid},seed={seed}]",
                                        marks=pytest.mark.xdist_group(module)))
    return out


def claims_of(module: str) -> list:
    return [pytest.param(c, id=c.name, marks=pytest.mark.xdist_group(module))
            for c in _claims(module)]


def run_case(c: Claim, settings: dict, seed: int | None) -> None:
    p = params_for(c, settings, seed)
    assert c.applies_to(p), f"{c.key}: declared settings {settings} are outside its `applies`"
    r = result_for(c, settings, seed)
    assert c.holds(r), (f"claim {c.key!r} is false at {settings}, seed {seed}: {c.text} "
                        f"[{c.evidence(r)}]")


def check_perturbed(c: Claim) -> None:
    settings = c.settings[0]
    seed = None if c.seeds is None else c.seeds[0]
    r = result_for(c, settings, seed)
    assert c.holds(r)
    bad = c.perturb(json.loads(json.dumps(r)))
    assert not c.holds(bad), f"claim {c.key!r} accepts its perturbed result: it cannot fail"
