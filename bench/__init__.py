"""The speed benchmark behind ``python -m bench``: every figure measured side by side in one run.

Each ``bench_*`` function returns a list of :class:`Row` (one line of the table: the measured
value, the target, pass/fail and a note) and keeps its raw timings in ``Row.data`` for the JSON.
Timings are wall-clock (``time.perf_counter``) medians of runs interleaved A, B, A, B, ... so that
the load of other processes hits both sides of a ratio alike; CPU-time (``time.thread_time``)
ratios are kept beside them in the JSON because they move less on a busy machine.

Sizes follow the issue: B 64, T 100, H 64, the adding problem (loss on the last step).
The functions take their sizes as arguments so the tests can run them tiny.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.claims import json_ready

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"

#: The issue's targets, in one place (the table prints them).
TARGETS = {
    "probe_over_step": 1.2,
    "probe_scaling": 4.5,
    "training_with_probes": 1.25,
    "page_cold_s": 3.0,
    "page_warm_s": 0.5,
    "rss_mb": 600.0,
    "contrast_s": 10.0,
}

CELLS = ("rnn", "lstm", "gru")


@dataclass
class Row:
    """One line of the table. ``passed`` is None for rows without a target (context only)."""

    group: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    passed: bool | None = None
    note: str = ""
    data: dict = field(default_factory=dict)

    def shown(self) -> str:
        if self.value is None or (isinstance(self.value, float) and not math.isfinite(self.value)):
            return "n/a"
        v = self.value
        if self.unit == "x":
            return f"{v:.2f}x"
        if self.unit == "s":
            return f"{v:.2f} s"
        if self.unit == "MB":
            return f"{v:.0f} MB"
        if self.unit == "":
            return f"{v:g}"
        return f"{v:.3g} {self.unit}".strip()


def _check(value: float | None, limit: float) -> bool | None:
    if value is None or not math.isfinite(value):
        return False
    return value <= limit


# -- machine -------------------------------------------------------------------------------------
def machine_info() -> dict:
    """nproc, CPU model, torch version and threads, load average: printed above the table."""
    import torch

    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        load = None
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "loadavg": load,
        "time_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }


# -- timing helpers ------------------------------------------------------------------------------
def interleaved(fns: dict[str, Callable[[], object]], reps: int, warmup: int = 1
                ) -> dict[str, dict[str, float]]:
    """Run every function ``reps`` times in turn (A, B, C, A, B, C, ...).

    Returns ``{name: {"wall": median seconds, "cpu": median thread CPU seconds, "runs": reps}}``.
    """
    for _ in range(warmup):
        for f in fns.values():
            f()
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(max(1, reps)):
        for k, f in fns.items():
            c0, t0 = time.thread_time(), time.perf_counter()
            f()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.thread_time() - c0)
    return {k: {"wall": statistics.median(wall[k]), "cpu": statistics.median(cpu[k]),
                "runs": len(wall[k])} for k in fns}


def _adding(B: int, T: int, seed: int = 0):
    import torch

    from core.tasks import make_task

    task = make_task("adding", T)
    x, y = task.sample(B, torch.Generator().manual_seed(seed))
    return task, x, y


def fused_step_fn(cell: str, B: int, T: int, H: int, *, dtype=None, seed: int = 0):
    """A plain training step on torch's own module: ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``
    (batch first) and a linear readout, forward + MSE on the last step + backward."""
    import torch
    import torch.nn as nn

    dtype = dtype or torch.float32
    task, x, y = _adding(B, T, seed)
    torch.manual_seed(seed)
    rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](
        task.input_size, H, batch_first=True).to(dtype)
    lin = nn.Linear(H, task.output_size).to(dtype)
    x, y = x.to(dtype), y.to(dtype)
    params = list(rnn.parameters()) + list(lin.parameters())

    def step():
        for p in params:
            p.grad = None
        out = lin(rnn(x)[0])
        task.loss(out, y).backward()

    return step


def probe_fn(cell: str, B: int, T: int, H: int, *, dtype=None, which: str = "adjoint",
             seed: int = 0):
    """``hidden_state_gradients`` (``which="adjoint"``, the app's probe), the one-backward
    autograd design it replaced (``"autograd"``) or the per-step baseline (``"naive"``)."""
    import torch

    from core.models import build_model
    from core.probes import (
        hidden_state_gradients,
        hidden_state_gradients_autograd,
        hidden_state_gradients_naive,
    )

    task, x, y = _adding(B, T, seed)
    model = build_model(cell, task.input_size, H, task.output_size, seed=seed)
    if dtype is not None and dtype != torch.float32:
        model, x, y = model.to(dtype), x.to(dtype), y.to(dtype)

    def loss_fn(o):
        return task.loss(o, y)

    if which == "adjoint":
        return lambda: hidden_state_gradients(model, x, loss_fn)
    if which == "autograd":
        return lambda: hidden_state_gradients_autograd(model, x, loss_fn)
    if which == "naive":
        return lambda: hidden_state_gradients_naive(model, x, loss_fn)
    raise ValueError(which)


# -- 1. the probe against a fused step -----------------------------------------------------------
def bench_probe(cells=CELLS, B: int = 64, T: int = 100, H: int = 64, T_long: int = 400,
                reps: int = 15) -> list[Row]:
    """Probe / fused step per cell (float32, both), probe T_long / T, and context rows: the
    previous autograd design and the float64 probe the pages call (same step as denominator)."""
    import torch

    rows: list[Row] = []
    for cell in cells:
        r = interleaved({
            "step": fused_step_fn(cell, B, T, H),
            "probe": probe_fn(cell, B, T, H),
            "autograd": probe_fn(cell, B, T, H, which="autograd"),
            "probe64": probe_fn(cell, B, T, H, dtype=torch.float64),
        }, reps)
        step, probe = r["step"], r["probe"]
        ratio = probe["wall"] / step["wall"]
        data = {k: v for k, v in r.items()} | {
            "ratio_wall": ratio, "ratio_cpu": probe["cpu"] / step["cpu"], "B": B, "T": T, "H": H}
        lim = TARGETS["probe_over_step"]
        rows.append(Row("probe", f"{cell.upper()} probe / fused step", ratio, "x", f"<= {lim}",
                        _check(ratio, lim),
                        f"{probe['wall'] * 1e3:.1f} vs {step['wall'] * 1e3:.1f} ms "
                        f"(CPU-time ratio {data['ratio_cpu']:.2f})", data))
        old = r["autograd"]["wall"] / step["wall"]
        rows.append(Row("probe", f"{cell.upper()} previous probe design / fused step", old, "x",
                        note="one autograd backward: zero-channel trick (RNN, LSTM), step loop "
                             "(GRU)", data={"ratio_wall": old}))
        p64 = r["probe64"]["wall"] / step["wall"]
        rows.append(Row("probe", f"{cell.upper()} float64 probe (as pages call it) / float32 "
                        "step", p64, "x", note="double precision so tiny gradients do not "
                        "underflow; context only", data={"ratio_wall": p64}))
    for cell in cells:
        r = interleaved({"short": probe_fn(cell, B, T, H),
                         "long": probe_fn(cell, B, T_long, H)}, max(3, reps // 3))
        ratio = r["long"]["wall"] / r["short"]["wall"]
        lim = TARGETS["probe_scaling"]
        rows.append(Row("probe", f"{cell.upper()} probe T={T_long} / T={T}", ratio, "x",
                        f"<= {lim}", _check(ratio, lim),
                        f"linear is {T_long / T:g}; {r['long']['wall'] * 1e3:.0f} vs "
                        f"{r['short']['wall'] * 1e3:.0f} ms", r))
    return rows


# -- 2. the naive probe --------------------------------------------------------------------------
def bench_naive(cells=CELLS, B: int = 64, T: int = 100, H: int = 64, reps: int = 1
                ) -> list[Row]:
    """The O(T^2) baseline (one backward per step) against the probe, and their agreement."""
    import torch

    rows = []
    for cell in cells:
        fast = probe_fn(cell, B, T, H)
        slow = probe_fn(cell, B, T, H, which="naive")
        a, b = fast(), slow()
        err = float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))
        r = interleaved({"naive": slow}, reps, warmup=0)  # slow: once is enough
        r |= interleaved({"probe": fast}, 5, warmup=0)  # right after it, median of 5
        speed = r["naive"]["wall"] / r["probe"]["wall"]
        ok = bool(torch.isfinite(a).all()) and err < 1e-4
        rows.append(Row("probe", f"{cell.upper()} naive probe / probe", speed, "x", "",
                        None, f"{r['naive']['wall']:.2f} s vs {r['probe']['wall'] * 1e3:.0f} ms; "
                        f"max relative difference {err:.1e} (float32)"
                        + ("" if ok else " DISAGREE"), r | {"max_rel_diff": err, "agree": ok}))
    return rows


# -- 3. training with live probes ----------------------------------------------------------------
def warm_up_training() -> None:
    """Pay the once-per-process costs before timing: torch.optim imports ``torch._dynamo`` on the
    first optimizer (1-4 s here; see :func:`bench_cold_start`), and the first fused calls."""
    from core.models import build_model
    from core.tasks import make_task
    from core.training import train

    task = make_task("adding", 5)
    for cell in CELLS:
        train(build_model(cell, task.input_size, 4, task.output_size), task, steps=2,
              batch_size=4, probe_every=1)


def bench_training(cells=CELLS, T: int = 40, H: int = 64, steps: int = 300, reps: int = 3
                   ) -> list[Row]:
    """``train(probe_every=steps // 15)`` against the same training without probes (as the
    vanishing page's training heatmap: adding problem, Adam 1e-3, norm clip 1, batch 64)."""
    from core.models import build_model
    from core.tasks import make_task
    from core.training import train

    task = make_task("adding", T)
    k = max(1, steps // 15)
    rows = []
    warm_up_training()
    for cell in cells:
        def run(probe_every: int, cell=cell):
            def go():
                model = build_model(cell, task.input_size, H, task.output_size, seed=0)
                return train(model, task, optimizer="adam", lr=1e-3, clip="norm",
                             clip_threshold=1.0, steps=steps, batch_size=64, seed=0,
                             probe_every=probe_every)
            return go

        r = interleaved({"plain": run(0), "probed": run(k)}, reps, warmup=0)
        ratio = r["probed"]["wall"] / r["plain"]["wall"]
        lim = TARGETS["training_with_probes"]
        n_probes = steps // k + 1
        rows.append(Row("training", f"{cell.upper()} training with live probes / plain", ratio,
                        "x", f"<= {lim}", _check(ratio, lim),
                        f"{steps} steps, T={T}, {n_probes} probes (every {k}, float64, batch 32): "
                        f"{r['probed']['wall']:.2f} vs {r['plain']['wall']:.2f} s (CPU-time ratio "
                        f"{r['probed']['cpu'] / r['plain']['cpu']:.2f})",
                        r | {"steps": steps, "probe_every": k, "T": T, "H": H}))
    return rows


# -- 4. page script times --------------------------------------------------------------------------
_PAGE_WORKER = r"""
import json, sys, time, statistics
t_start = time.perf_counter()
from streamlit.testing.v1 import AppTest
import streamlit as st
file, warm_reps = sys.argv[1], int(sys.argv[2])
at = AppTest.from_file(sys.argv[3], default_timeout=600)
t0 = time.perf_counter()
at.run()
home = time.perf_counter() - t0
startup = time.perf_counter() - t_start
errors = [e.message for e in at.exception]
t0 = time.perf_counter()
import torch, core.training, core.experiments  # a running server has loaded these once
imports = time.perf_counter() - t0
if file != "home.py":
    at.switch_page(f"pages/{file}")
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
else:
    cold = home
errors += [e.message for e in at.exception]
import ui.chartcache, ui.demos
st.cache_data.clear()
st.cache_resource.clear()
ui.demos.clear()  # shipped files read and live results (a process-wide cache of its own)
ui.chartcache.clear()  # memoised charts and finished specs
t0 = time.perf_counter()
at.run()
cleared = time.perf_counter() - t0
warm = []
for _ in range(warm_reps):
    t0 = time.perf_counter()
    at.run()
    warm.append(time.perf_counter() - t0)
errors += [e.message for e in at.exception]
print("RESULT " + json.dumps({"cold": cold, "cache_cleared": cleared,
                              "warm": statistics.median(warm), "warm_runs": warm,
                              "startup": startup, "imports": imports,
                              "errors": errors[:3]}))
"""


def page_times(file: str, warm_reps: int = 3, timeout: float = 300) -> dict:
    """Script times of one page through AppTest, in a fresh Python process.

    ``cold``: the page's first run in that process, as on a server that has started and shown
    another page: app.py has run once and torch and ``core`` are imported (``imports``: what that
    took, paid once per server process), but the page's own modules, shipped results and caches
    are not loaded yet;
    ``cache_cleared``: a rerun after clearing every cache (``ui.demos.clear()``: shipped files
    read and live results; ``ui.chartcache.clear()``: charts and specs; ``st.cache_data`` /
    ``st.cache_resource``), modules loaded; ``warm``: median of ``warm_reps`` further reruns.
    """
    env = {**os.environ, "RNNLAB_THREADS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", _PAGE_WORKER, file, str(warm_reps),
                           str(ROOT / "app.py")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"cold": math.nan, "cache_cleared": math.nan, "warm": math.nan,
            "errors": [f"worker failed ({proc.returncode}): {proc.stderr[-400:]}"]}


def bench_pages(files: list[str] | None = None, warm_reps: int = 3) -> list[Row]:
    """Cold and warm script time of every page in ``ui.nav.PAGES`` (one after another)."""
    from ui.nav import PAGES

    files = files or [p.file for p in PAGES]
    rows = []
    for file in files:
        try:
            r = page_times(file, warm_reps)
        except subprocess.TimeoutExpired:
            r = {"cold": math.nan, "cache_cleared": math.nan, "warm": math.nan,
                 "errors": ["timed out"]}
        err = "; ".join(str(e)[:120] for e in r.get("errors", []))
        lim_c, lim_w = TARGETS["page_cold_s"], TARGETS["page_warm_s"]
        note = (f"first page after a server start (with import torch, core): "
                f"{r['cold'] + r.get('imports', 0.0):.2f} s; after clearing the caches: "
                f"{r['cache_cleared']:.2f} s")
        rows.append(Row("pages", f"{file} cold", r["cold"], "s", f"<= {lim_c:g} s",
                        _check(r["cold"], lim_c) and not err,
                        (f"EXCEPTION: {err}" if err else note), r))
        rows.append(Row("pages", f"{file} warm", r["warm"], "s", f"<= {lim_w:g} s",
                        _check(r["warm"], lim_w) and not err, "rerun, median" if not err else
                        "see cold row", {}))
    return rows


_COLD_WORKER = r"""
import json, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
torch.optim.Adam([torch.zeros(1, requires_grad=True)])
t2 = time.perf_counter()
import streamlit
t3 = time.perf_counter()
print("RESULT " + json.dumps({"torch": t1 - t0, "optimizer": t2 - t1, "streamlit": t3 - t2}))
"""


def bench_cold_start() -> list[Row]:
    """Once-per-server-process costs, in a fresh process (context for the cold page times)."""
    proc = subprocess.run([sys.executable, "-c", _COLD_WORKER], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    r = next((json.loads(line[7:]) for line in proc.stdout.splitlines()
              if line.startswith("RESULT ")), {"torch": math.nan, "optimizer": math.nan,
                                               "streamlit": math.nan})
    return [
        Row("pages", "cold start: import torch", r["torch"], "s",
            note="once per server process", data=r),
        Row("pages", "cold start: first torch.optim optimizer", r["optimizer"], "s",
            note="torch.optim imports torch._dynamo on first use; once per server process",
            data=r),
    ]


# -- 5. memory of one session --------------------------------------------------------------------
def bench_rss(timeout_s: float = 90.0) -> list[Row]:
    """Peak RSS of the server process tree while one browser session clicks every page."""
    from bench.load import run_load

    r = run_load(sessions=1, page_timeout_s=timeout_s, baseline=False)
    lim = TARGETS["rss_mb"]
    note = (f"{r['visits']} page visits, {r['failures']} failures; idle server "
            f"{r['rss_idle_mb']:.0f} MB")
    return [Row("memory", "server RSS, one session through every page", r["rss_peak_mb"], "MB",
                f"<= {lim:g} MB", _check(r["rss_peak_mb"], lim) and r["failures"] == 0, note,
                {k: v for k, v in r.items() if k != "visits_detail"})]


def load_rows(r: dict) -> list[Row]:
    """The table rows of one ``bench.load`` run (its summary ``r``)."""
    n = r["sessions"]
    fails = "; ".join(r["failure_examples"][:2])
    one = r.get("one_session") or {}
    arr = r.get("arrival") or {}
    data = {k: v for k, v in r.items() if k != "visits_detail"}
    how = (f"one new session every {arr['stagger_s']:g} s, all in within "
           f"{arr['ramp_s']:.0f} s, at most {arr.get('open_at_once', 'any')} loading the app at "
           "once; " if arr else "")
    cpu_visit = r.get("server_cpu_per_visit_s", math.nan)
    p95_target = 10.0 if n <= 10 else None
    rows = [
        Row("load", f"{n} browser sessions: failed page visits", r["failures"], "",
            "0", r["failures"] == 0, f"of {r['visits']} visits; {how}"
            f"one session alone: {one.get('failures', 'n/a')} of {one.get('visits', 'n/a')}"
            + (f"; {fails}" if fails else ""), data),
        Row("load", f"{n} sessions: 95th-percentile visit time", r["p95_s"], "s",
            f"<= {p95_target:g} s" if p95_target else "",
            _check(r["p95_s"], p95_target) if p95_target else None,
            f"median {r['median_s']:.2f} s, slowest {r['max_s']:.2f} s; one session alone on "
            f"the same server in the same run: median {one.get('median_s', math.nan):.2f} s, "
            f"95th percentile {one.get('p95_s', math.nan):.2f} s", {}),
        Row("load", f"{n} sessions: server CPU per warm page visit", cpu_visit, "s",
            "<= 0.12 s", _check(cpu_visit, 0.12),
            f"server {r['server_cpu_s']:.0f} CPU-s for {r['visits']} visits after a warm-up "
            f"visit of every page; one session alone "
            f"{one.get('server_cpu_per_visit_s', math.nan):.3f} s per visit", {}),
        Row("load", f"{n} sessions: server RSS peak", r["rss_peak_mb"], "MB", "", None,
            f"idle {r['rss_idle_mb']:.0f} MB; whole run {r['wall_s']:.0f} s", {}),
        Row("load", f"{n} sessions: CPU seconds, server / browsers", r["server_cpu_s"], "s",
            "", None, f"browsers and driver {r['browser_cpu_s']:.0f} s, on the same cores "
            f"({r.get('phase_wall_s', r['wall_s']) * (os.cpu_count() or 1):.0f} CPU-s in the "
            "phase)", {}),
    ]
    return rows


def bench_load(sessions: int = 10, timeout_s: float = 90.0) -> list[Row]:
    """``bench.load`` with N browser sessions (after a warm-up and a one-session reference):
    failures, visit-time percentiles beside one session alone, server CPU per warm visit."""
    from bench.load import run_load

    return load_rows(run_load(sessions=sessions, page_timeout_s=timeout_s))


# -- 6. time until the RNN-vs-LSTM contrast shows --------------------------------------------------
def contrast_seconds(T: int = 50, H: int = 32, max_steps: int = 1500, window: int = 20,
                     lr_rnn: float = 1e-3, lr_lstm: float = 1e-2) -> dict:
    """Wall time until the LSTM has visibly learned the adding problem and the RNN has not.

    Both train with ``core.training.train`` (Adam, norm clip 1, batch 64, seed 0; the learning
    rates of science.md: tanh RNN 1e-3, LSTM 1e-2); losses are ``window``-step moving means.
    The contrast shows at the first step s where lstm(s) < min(rnn(s), chance) / 2 (a loss spike
    of the RNN early on does not count); its time is the RNN's training time to s plus the
    LSTM's, both from a cold start (trained one after the other on one thread). Returns
    ``{"seconds", "step", "lstm", "rnn"}`` (seconds nan when it never shows).
    """
    from core.models import build_model
    from core.tasks import make_task
    from core.training import train

    task = make_task("adding", T)
    warm_up_training()

    def smooth(vals: list[float]) -> float:
        tail = [v for v in vals[-window:] if math.isfinite(v)]
        return sum(tail) / len(tail) if tail else math.inf

    rnn_loss: list[float] = []
    rnn_time: list[float] = []
    t0 = time.perf_counter()
    model = build_model("rnn", task.input_size, H, task.output_size, seed=0)

    def rec_rnn(r, _h):
        rnn_loss.append(r["loss"])
        rnn_time.append(time.perf_counter() - t0)

    train(model, task, optimizer="adam", lr=lr_rnn, clip="norm", steps=max_steps,
          batch_size=64, seed=0, callback=rec_rnn)
    rnn_smooth = [smooth(rnn_loss[:i + 1]) for i in range(len(rnn_loss))]
    lstm_loss: list[float] = []
    hit: dict = {}
    t1 = time.perf_counter()
    model = build_model("lstm", task.input_size, H, task.output_size, seed=0)

    def rec_lstm(r, _h):
        lstm_loss.append(r["loss"])
        s = r["step"]
        if hit or s < window - 1 or s >= len(rnn_smooth):
            return
        if smooth(lstm_loss) < 0.5 * min(rnn_smooth[s], task.chance):
            hit.update(step=s, seconds=rnn_time[s] + time.perf_counter() - t1,
                       lstm=smooth(lstm_loss), rnn=rnn_smooth[s])

    train(model, task, optimizer="adam", lr=lr_lstm, clip="norm", steps=max_steps,
          batch_size=64, seed=0, callback=rec_lstm, should_stop=lambda: bool(hit))
    return hit or {"seconds": math.nan, "step": None, "lstm": smooth(lstm_loss),
                   "rnn": rnn_smooth[-1] if rnn_smooth else math.nan}


def bench_contrast(T: int = 50, sizes=(32, 64), max_steps: int = 1500) -> list[Row]:
    """The contrast time at the first hidden size (the target row) and the others (context)."""
    rows = []
    lim = TARGETS["contrast_s"]
    for n, H in enumerate(sizes):
        hit = contrast_seconds(T=T, H=H, max_steps=max_steps)
        if hit.get("step") is not None:
            note = (f"H={H}: at step {hit['step']} LSTM loss {hit['lstm']:.3f} vs RNN "
                    f"{hit['rnn']:.3f} (chance 0.167; 20-step means)")
        else:
            note = f"H={H}: no contrast within {max_steps} steps"
        rows.append(Row("contrast", f"RNN vs LSTM contrast visible (adding, T={T}, H={H})",
                        hit["seconds"], "s", f"<= {lim:g} s" if n == 0 else "",
                        _check(hit["seconds"], lim) if n == 0 else None, note,
                        hit | {"T": T, "H": H, "max_steps": max_steps}))
    return rows


# -- 4b. a warm page visit in a real server ------------------------------------------------------
def bench_visit(reps: int = 3, pages: list[str] | None = None) -> list[Row]:
    """``bench.visit``: one browser session, every page visited once cold and ``reps`` times
    warm; per page the server CPU of a warm visit and its script time (server side)."""
    from bench import visit

    r = visit.run_visits(reps=reps, pages=pages)
    rows = []
    for url, p in r["pages"].items():
        rows.append(Row("visit", f"{url}: server CPU / script time of a warm visit",
                        p["server_cpu_s"], "s", f"<= {visit.TARGET_CPU_S:g} s",
                        _check(p["server_cpu_s"], visit.TARGET_CPU_S),
                        f"script {p['script_s']:.2f} s (CPU {p['script_cpu_s']:.2f} s), "
                        f"in the browser {p['visit_s']:.2f} s; visits {p['server_cpu_all']}",
                        p))
    fails = "; ".join(r["failures"][:3])
    rows.append(Row("visit", "server CPU per warm page visit (mean over pages)",
                    r["server_cpu_per_visit_s"], "s", f"<= {visit.TARGET_CPU_S:g} s",
                    _check(r["server_cpu_per_visit_s"], visit.TARGET_CPU_S) and not r["failures"],
                    f"one browser session, {reps} warm visits per page, medians; heaviest page "
                    f"{r['server_cpu_max_s']:.3f} s" + (f"; FAILED: {fails}" if fails else ""),
                    {k: v for k, v in r.items() if k not in ("visits", "pages")}))
    rows.append(Row("visit", "slowest warm script run (server side)", r["slowest_script_s"], "s",
                    f"<= {visit.TARGET_SCRIPT_S:g} s", _check(r["slowest_script_s"],
                                                              visit.TARGET_SCRIPT_S),
                    "app.py through the page's last element, median of the warm visits; load "
                    f"average {r['loadavg'][0][0]:.1f} at the start"))
    return rows


# -- 7. the cost model's calibration ------------------------------------------------------------
#: The page each estimated experiment belongs to (module of ``core/experiments`` -> page).
CALIBRATION_PAGES = {
    "vanishing": "s1_vanishing.py", "exploding": "s2_exploding.py", "effects": "s4_effects.py",
    "clipping": "s5_clipping.py", "gated": "s5_gated.py", "init_norm": "s6_init_norm.py",
    "lab_clipping": "lab1_clipping.py", "compare": "lab2_compare.py",
    "playground": "lab3_playground.py",
}


def bench_calibration(quick: bool = False, names: list[str] | None = None) -> list[Row]:
    """``bench.calibrate --check``: every estimated experiment at the heaviest setting its page
    allows; ``core.cost``'s estimate against the measured CPU seconds (one thread). One row per
    page (how many of its heaviest settings are within +-30 %) and one for all of them; every
    setting's numbers in the data. ``quick``: the same settings with a fifth of the steps."""
    from bench import calibrate

    checked = calibrate.check(quick=quick, names=names, out=sys.stderr)
    for c in checked:
        c["within"] = bool(0.7 <= c["ratio"] <= 1.3)
    by_page: dict[str, list[dict]] = {}
    for c in checked:
        page = CALIBRATION_PAGES.get(c["name"].split(".")[0], c["name"].split(".")[0])
        by_page.setdefault(page, []).append(c)
    rows = []
    for page, cs in by_page.items():
        ok = sum(c["within"] for c in cs)
        note = "; ".join(f"{c['name']}: estimate {c['estimate']:.1f} s, measured "
                         f"{c['measured']:.1f} s ({c['ratio']:.2f}x)" for c in cs)
        rows.append(Row("calibration", f"cost model, {page}: heaviest settings within +-30 %",
                        ok, "", f"{len(cs)} of {len(cs)}", ok == len(cs), note,
                        {"settings": cs}))
    ok = sum(c["within"] for c in checked)
    rows.append(Row("calibration", "cost model: heaviest allowed settings within +-30 % of "
                    "measured CPU time", ok, "", f"{len(checked)} of {len(checked)}",
                    ok == len(checked),
                    f"{ok} of {len(checked)} (estimate / measured from "
                    f"{min(c['ratio'] for c in checked):.2f} to "
                    f"{max(c['ratio'] for c in checked):.2f})"
                    + ("; quick: a fifth of the steps" if quick else ""),
                    {"within": ok, "of": len(checked), "quick": quick}))
    return rows


# -- the table ------------------------------------------------------------------------------
def table(rows: list[Row], machine: dict | None = None) -> str:
    """Plain-text table (also valid Markdown): measure | value | target | result | note."""
    lines = []
    if machine:
        lines.append(f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), torch "
                     f"{machine['torch']} with {machine['torch_threads']} thread(s), Python "
                     f"{machine['python']}, load average {machine['loadavg']} at "
                     f"{machine['time_utc']} UTC")
        lines.append("")
    lines.append("| measure | value | target | result | note |")
    lines.append("| --- | --- | --- | --- | --- |")
    for r in rows:
        res = "" if r.passed is None else ("pass" if r.passed else "FAIL")
        lines.append(f"| {r.name} | {r.shown()} | {r.target} | {res} | {r.note} |")
    return "\n".join(lines)


def to_json(rows: list[Row], machine: dict, extra: dict | None = None) -> dict:
    """The same numbers as the table, JSON-ready (non-finite values become null)."""
    return json_ready({"machine": machine, "targets": TARGETS, **(extra or {}),
                   "rows": [asdict(r) for r in rows]})
