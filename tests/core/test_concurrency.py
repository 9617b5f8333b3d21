"""Same seed, same numbers, whatever other sessions do.

Streamlit runs every session's script in a thread of one process, so torch's global RNG is
shared by the whole class. Every seeded result must come from private ``torch.Generator``s:
these tests run seeded builds and whole experiments alone, then again from several threads at
once while other threads reseed and draw from the global RNG and build other models, and
require bit-identical results. A source scan keeps global seeding out of ``core/``, including
the standalone scripts it writes.
"""

from __future__ import annotations

import ast
import math
import random
import re
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from core import script
from core.experiments import compare, vanishing
from core.lm import CharLM, lm_script, train_lm
from core.models import build_model
from core.text import BracketLanguage

ROOT = Path(__file__).resolve().parents[2]
TIMING_KEYS = {"seconds"}  # wall time: the one thing that may differ between runs

torch.set_num_threads(1)


# -- the harness ------------------------------------------------------------------------------
def snapshot(x):
    """A comparable copy: tensors cloned, histories as dicts, wall-clock fields dropped."""
    if isinstance(x, torch.Tensor):
        return x.detach().clone()
    if isinstance(x, nn.Module):
        return snapshot(x.state_dict())
    if hasattr(x, "to_dict"):
        return snapshot(x.to_dict())
    if isinstance(x, dict):
        return {k: snapshot(v) for k, v in x.items() if k not in TIMING_KEYS}
    if isinstance(x, (list, tuple)):
        return [snapshot(v) for v in x]
    return x


def differences(a, b, path="result") -> list[str]:
    """Where ``a`` and ``b`` are not bit-identical (NaN equals NaN)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        same = (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.dtype == b.dtype and a.shape == b.shape
                and torch.equal(torch.nan_to_num(a), torch.nan_to_num(b))
                and torch.equal(a.isnan(), b.isnan()))
        return [] if same else [path]
    if isinstance(a, dict):
        if not isinstance(b, dict) or a.keys() != b.keys():
            return [path]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            return [path]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return []
    return [] if (type(a) is type(b) and a == b) else [path]


def global_rng_noise(stop: threading.Event, k: int) -> None:
    """What another session might do: reseed and draw from torch's global RNG, use dropout,
    build modules with torch's default (global) initialisation, and build other models."""
    i = 0
    while not stop.is_set():
        i += 1
        torch.manual_seed(1000 * k + i)
        torch.rand(32, 32) @ torch.randn(32, 32)
        nn.LSTM(6, 6)(torch.randn(2, 5, 6))
        F.dropout(torch.ones(128), 0.5, training=True)
        torch.randint(0, 10, (64,)).float().multinomial(1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(i)
            torch.rand(8)
        build_model("gru", 2, 8, 1, seed=10_000 + i)


def reseed_often(stop: threading.Event) -> None:
    """Reseed the global RNG in a tight loop, so that code which seeds it and then draws from
    it is caught between the two."""
    i = 0
    while not stop.is_set():
        i += 1
        torch.manual_seed(i)
        torch.rand(1)


def race(jobs: dict[str, Callable[[], object]], copies: int = 2, workers: int = 4,
         noise_threads: int = 2, rounds: int = 1) -> dict[str, list[str]]:
    """Run every job alone, then ``copies`` times concurrently (shuffled, ``workers`` threads)
    beside ``noise_threads`` threads of global-RNG traffic and one that reseeds it in a tight
    loop, ``rounds`` times over. Returns the differences per job (empty lists when every
    concurrent result is bit-identical to the one run alone)."""
    alone = {name: snapshot(fn()) for name, fn in jobs.items()}
    order = [name for name in jobs for _ in range(copies)] * rounds
    random.Random(0).shuffle(order)
    stop = threading.Event()
    noise = [threading.Thread(target=global_rng_noise, args=(stop, k), daemon=True)
             for k in range(noise_threads)]
    noise.append(threading.Thread(target=reseed_often, args=(stop,), daemon=True))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: short unsafe windows get hit
    for t in noise:
        t.start()
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [(name, pool.submit(lambda fn=jobs[name]: snapshot(fn()))) for name in order]
            raced = [(name, f.result()) for name, f in futures]
    finally:
        stop.set()
        for t in noise:
            t.join()
        sys.setswitchinterval(interval)
    out: dict[str, list[str]] = {name: [] for name in jobs}
    for name, res in raced:
        out[name] += differences(res, alone[name], name)
    return out


# -- what must not depend on other threads ----------------------------------------------------
BUILDS = {
    "rnn-default": dict(cell="rnn"),
    "rnn-relu-identity": dict(cell="rnn", nonlinearity="relu", init="identity", gain=0.9),
    "lstm-orthogonal-layer": dict(cell="lstm", init="orthogonal", forget_bias=1.0, norm="layer"),
    "gru-xavier-batch": dict(cell="gru", init="xavier", norm="batch"),
    "lstm-batch": dict(cell="lstm", norm="batch"),
    "rnn-orthogonal-gain": dict(cell="rnn", init="orthogonal", gain=1.5),
}


def _build(cfg: dict, seed: int):
    kw = {k: v for k, v in cfg.items() if k != "cell"}
    return build_model(cfg["cell"], 3, 16, 2, seed=seed, **kw)


def test_seeded_builds_are_bit_identical_under_concurrency():
    jobs = {f"{name}/seed{s}": (lambda cfg=cfg, s=s: _build(cfg, s))
            for name, cfg in BUILDS.items() for s in (0, 3)}
    jobs["charlm-lstm-embed"] = lambda: CharLM("lstm", 20, 12, embed_dim=6, seed=2)
    jobs["charlm-gru-onehot"] = lambda: CharLM("gru", 20, 12, embed_dim=0, seed=1)
    # builds are cheap: many rounds, so that even a short unsafe window (seed the global RNG,
    # then draw from it) is hit; the old fork_rng + manual_seed embedding was caught in about
    # a third of single rounds
    diffs = race(jobs, copies=3, rounds=8)
    assert not any(diffs.values()), {k: v[:3] for k, v in diffs.items() if v}


def _bracket_lm(cell: str):
    lang = BracketLanguage(6)
    lm = CharLM(cell, lang.vocab_size, 10, embed_dim=0, seed=1)
    return train_lm(lm, lambda b, g: lang.batch(b, g), steps=12, batch_size=8, lr=0.01, seed=1)


EXPERIMENTS = {
    "vanishing.gradient_profile/rnn": lambda: vanishing.gradient_profile(
        cell="rnn", seq_len=30, hidden_size=16, init="orthogonal", gain=1.0,
        nonlinearity="tanh", seed=1, batch_size=8),
    "vanishing.gradient_profile/lstm": lambda: vanishing.gradient_profile(
        cell="lstm", seq_len=30, hidden_size=16, init="default", gain=1.0,
        nonlinearity="tanh", seed=2, batch_size=8),
    "training.train/adding-layer-norm": lambda: script.reference_run(dict(
        task="adding", seq_len=12, cell="lstm", hidden_size=12, norm="layer", steps=12,
        optimizer="adam", lr=1e-2, clip="norm", clip_threshold=0.5, seed=2)),
    "training.train/order-gru": lambda: script.reference_run(dict(
        task="order", seq_len=12, cell="gru", hidden_size=12, init="orthogonal", steps=12,
        optimizer="sgd", lr=0.05, seed=4)),
    "lm.train_lm/brackets-gru": lambda: _bracket_lm("gru"),
    "compare.tasks/tiny": lambda: compare.tasks(task="adding", seq_len=10, hidden_size=8,
                                                steps=10, lr=0.01, seed=0),
    "compare.brackets/tiny": lambda: compare.brackets(max_distance=5, hidden_size=8, steps=10,
                                                      lr=0.01, seed=0),
    "compare.char_lm/tiny": lambda: compare.char_lm(hidden_size=8, embed_dim=4, seq_len=12,
                                                    steps=6, lr=0.01, batch_size=4, seed=0),
}


def test_seeded_experiments_are_bit_identical_under_concurrency():
    diffs = race(EXPERIMENTS, copies=2)
    assert not any(diffs.values()), {k: v[:3] for k, v in diffs.items() if v}


def test_the_race_catches_a_result_that_uses_the_global_rng():
    """The harness has teeth: a job that seeds the global RNG and draws from it in steps (as
    code using torch.manual_seed would) gives different numbers when raced."""

    def global_rng_job():
        torch.manual_seed(0)
        out = []
        for _ in range(40):
            out.append(torch.rand(16))
            time.sleep(0.001)  # let the other threads run, as a training step would
        return torch.stack(out)

    diffs = race({"global": global_rng_job}, copies=2)
    assert diffs["global"], "raced global-RNG draws matched: the race would miss a regression"


# -- source scan ------------------------------------------------------------------------------
#: Calls that draw random numbers: they must name a ``generator=``.
DRAWS = {"rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
         "multinomial", "bernoulli", "normal", "poisson", "uniform_", "normal_", "random_",
         "exponential_", "geometric_", "log_normal_", "cauchy_", "bernoulli_", "xavier_uniform_",
         "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "trunc_normal_",
         "sparse_"}
#: Calls that use process-wide random state whatever their arguments.
GLOBAL = {"fork_rng", "dropout", "Dropout", "set_rng_state", "get_rng_state", "initial_seed"}


def global_rng_uses(source: str, where: str) -> list[str]:
    """Every call in ``source`` that seeds or draws from a process-wide RNG."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any(n == "random" or n.startswith("numpy.random") for n in names):
                found.append(f"{where}:{node.lineno}: imports random")
        if isinstance(node, ast.Attribute) and node.attr == "random" and \
                isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy"):
            found.append(f"{where}:{node.lineno}: numpy's global RNG")
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        text = ast.unparse(f)
        on_generator = isinstance(f, ast.Attribute) and "Generator(" in ast.unparse(f.value)
        if name in ("manual_seed", "seed") and not on_generator:
            found.append(f"{where}:{node.lineno}: {text}()")
        elif name in GLOBAL:
            found.append(f"{where}:{node.lineno}: {text}()")
        elif name in DRAWS and not any(k.arg == "generator" for k in node.keywords):
            found.append(f"{where}:{node.lineno}: {text}() without generator=")
    return found


def test_core_never_uses_the_global_rng():
    found = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        text = path.read_text()
        found += global_rng_uses(text, str(path.relative_to(ROOT)))
        # plain text too: catches the call inside a string template as well
        for m in re.finditer(r"torch\.(random\.)?manual_seed\(|fork_rng\(", text):
            found.append(f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: "
                         f"{m.group(0)}")
    assert not found, "use a torch.Generator:\n" + "\n".join(found)


GENERATED = [
    *(dict(cell=c, init=i, norm=n, task=t, forget_bias=1.0)
      for c in ("rnn", "lstm", "gru") for i in ("default", "xavier", "orthogonal", "identity")
      for n, t in (("none", "adding"), ("layer", "copy"), ("batch", "order"))),
]


@pytest.mark.parametrize("data", ["pydoc", "brackets"])
def test_downloaded_lm_scripts_seed_private_generators(data):
    src = lm_script(cells=["rnn", "lstm", "gru"], hidden_size=8, embed_dim=4, seq_len=8,
                    batch_size=2, steps=1, lr=0.01, clip=1.0, seed=0, data=data)
    assert not global_rng_uses(src, f"lm_script({data})")


def test_downloaded_training_scripts_seed_private_generators():
    found = []
    for cfg in GENERATED:
        found += global_rng_uses(script.training_script(cfg), str(cfg))
    assert not found, "\n".join(found[:10])


def test_the_scan_finds_global_seeding():
    bad = ("import torch\nimport random\nimport numpy as np\ntorch.manual_seed(0)\n"
           "x = torch.rand(3)\nnp.random.seed(1)\nwith torch.random.fork_rng():\n    pass\n"
           "torch.nn.init.normal_(x)\ny = torch.Generator().manual_seed(0)\n"
           "z = torch.rand(3, generator=y)\n")
    found = global_rng_uses(bad, "bad")
    lines = sorted({int(f.split(":")[1]) for f in found})
    assert lines == [2, 4, 5, 6, 7, 9], found


def test_sessions_set_torch_threads_once(monkeypatch):
    """core.runtime.configure runs before every live run; only the first call in the process
    may touch torch's process-wide thread count, however many sessions start together."""
    from core import runtime

    calls, fixes = [], []
    monkeypatch.setattr(runtime, "_done", False)
    monkeypatch.setattr(runtime.torch, "set_num_threads", lambda n: calls.append(n))
    monkeypatch.setattr(runtime, "fix_malloc", lambda: fixes.append(1))
    start = threading.Barrier(8)

    def session():
        start.wait()
        runtime.configure()

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1, calls
    assert len(fixes) == 1, "the allocator thresholds are set once per process"


def test_fix_malloc_sets_glibc_thresholds_or_stays_out(monkeypatch):
    """The thresholds are set through glibc's mallopt (True where glibc is the allocator);
    RNNLAB_MALLOC_MB=0 keeps glibc's own and sets nothing."""
    import ctypes.util

    from core import runtime

    monkeypatch.setenv("RNNLAB_MALLOC_MB", "0")
    assert runtime.fix_malloc() is False
    monkeypatch.setenv("RNNLAB_MALLOC_MB", "64")  # malformed: glibc's own, and no exception
    assert runtime.fix_malloc() is False
    monkeypatch.setenv("RNNLAB_MALLOC_MB", "64,128")
    glibc = ctypes.util.find_library("c") == "libc.so.6"
    assert runtime.fix_malloc() is glibc
