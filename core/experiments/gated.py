"""Section 5b, LSTM and GRU: what gates change, measured at initialisation AND after training.

One experiment, :func:`compare_cells`, trains a tanh RNN, an LSTM, a GRU and an LSTM whose
forget-gate bias starts at 1 on the same adding problem with the same seed, probing
||dL/dh_t|| at every lag during training, and traces the gates of the LSTM and GRU before and
after training on one example sequence.

Shapes: B batch, T time, H hidden size; a "lag" k is T-1-t steps back from the loss.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import torch

from ..claims import claim, finite
from ..models import build_model
from ..probes import gradient_norms_by_step, hidden_state_gradients
from ..tasks import make_task
from ..training import train
from . import experiment

#: The runs of :func:`compare_cells`, in drawing order: (id, cell, forget-gate bias, label).
RUNS = (
    ("rnn", "rnn", None, "tanh RNN"),
    ("lstm", "lstm", None, "LSTM"),
    ("gru", "gru", None, "GRU"),
    ("lstm_fb1", "lstm", 1.0, "LSTM, forget bias 1"),
)
LABELS = {rid: label for rid, _, _, label in RUNS}
#: Gates traced for each gated cell (LSTM: input, forget, output; GRU: reset, update).
TRACED = {"lstm": ("i", "f", "o"), "gru": ("r", "z")}
#: Hidden units kept in the per-unit gate heatmap.
MAX_UNITS = 32
#: Seed of the one example sequence the gates are traced on.
EXAMPLE_SEED = 4242
#: Forget-gate bias of the untrained "carousel" control: sigmoid(10) = 0.99995, so the cell
#: path keeps almost all of c_{t-1}, close to the 1997 LSTM's fixed self-weight of 1.
CAROUSEL_BIAS = 10.0
#: MSE below which a run counts as having solved the adding problem (chance is 1/6).
SOLVED = 0.05
#: Window (steps) of the running mean of the loss that :func:`first_below` reads.
WINDOW = 10


def log_grad_by_lag(grad_norm_by_t: list[float]) -> list[float]:
    """``||dL/dh_t||`` for t = 0..T-1 -> log10 of it by lag (index k = T-1-t).

    Exact zeros become -300 (below anything float64 can hold), NaN stays NaN.
    """
    v = np.asarray(grad_norm_by_t, dtype=float)[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(v > 0, np.log10(np.maximum(v, 1e-300)), np.where(v == 0, -300.0, np.nan))
    return out.tolist()


def first_last_ratio(grad_norm_by_t: list[float]) -> float:
    """||dL/dh_0|| / ||dL/dh_{T-1}||: how much of the gradient's size reaches the first step."""
    first, last = float(grad_norm_by_t[0]), float(grad_norm_by_t[-1])
    return first / last if last > 0 and math.isfinite(last) else math.nan


def first_below(loss: list[float], level: float, window: int = WINDOW) -> int | None:
    """The first step at which the mean loss of the last ``window`` steps is below ``level``.

    None if it never is (NaN losses count as not below).
    """
    v = np.asarray(loss, dtype=float)
    for end in range(window, len(v) + 1):
        m = v[end - window:end].mean()
        if m < level:
            return end - 1
    return None


def first_open(run: dict, level: float = 1e-3) -> int | None:
    """The first probed training step at which ||dL/dh_0|| / ||dL/dh_T-1|| exceeds ``level``."""
    for step, row in zip(run["probe_steps"], run["log_grad"]):
        if finite(row[-1]) and finite(row[0]) and row[-1] - row[0] > math.log10(level):
            return step
    return None


def fresh_norms(cell: str, seq_len: int, hidden_size: int, seed: int,
                forget_bias: float | None = None) -> list[float]:
    """``||dL/dh_t||`` for t = 0..T-1 of an untrained cell, on the probe batch ``train`` uses
    for ``seed`` (32 sequences, float64): exactly the first probe of a training run."""
    task = make_task("adding", seq_len)
    px, py = task.sample(32, torch.Generator().manual_seed(seed + 10_007))  # (32, T, 2)
    model = build_model(cell, task.input_size, hidden_size, task.output_size,
                        forget_bias=forget_bias, seed=seed)
    model.train()
    g = hidden_state_gradients(model, px, lambda o: task.loss(o, py), dtype=torch.float64)
    return gradient_norms_by_step(g).tolist()


def carousel_ratio(seq_len: int, hidden_size: int, seed: int) -> float:
    """First/last ratio of a fresh LSTM whose forget gates start near 1 (bias
    :data:`CAROUSEL_BIAS`), on the probe batch ``train`` uses for ``seed``: the control that
    shows what the forget gate's starting value costs. No training."""
    return first_last_ratio(fresh_norms("lstm", seq_len, hidden_size, seed, CAROUSEL_BIAS))


def example_sequence(seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The one adding-problem sequence the gates are traced on: x ``(1, T, 2)``, y ``(1, 1)``."""
    task = make_task("adding", seq_len)
    return task.sample(1, torch.Generator().manual_seed(EXAMPLE_SEED))


def gate_summary(model, x: torch.Tensor) -> dict:
    """Gate activations of a gated ``model`` on one sequence x ``(1, T, I)``.

    Returns ``{"mean": {gate: (T,)}, "heat": (T, U), "keep_gate"}``: ``mean`` averages each
    traced gate over hidden units; ``heat`` (rounded to 4 decimals) is the per-unit forget gate
    f (LSTM) or update gate z (GRU) for the first ``MAX_UNITS`` units, sorted by their average
    value so that units holding on to memory (gate near 1) gather at the end.
    """
    tr = model.trace(x)  # every value (1, T, H)
    gates = TRACED[model.cell_type]
    keep = "f" if model.cell_type == "lstm" else "z"
    heat = tr[keep][0, :, :MAX_UNITS].double().numpy()  # (T, U)
    heat = np.round(heat[:, np.argsort(heat.mean(0))], 4)
    return {"mean": {g: tr[g][0].double().mean(-1).tolist() for g in gates},
            "heat": heat.tolist(), "keep_gate": keep}


def _empty_run(rid: str, lr: float) -> dict:
    return {"label": LABELS[rid], "lr": lr, "step": [], "loss": [], "probe_steps": [],
            "log_grad": [], "ratio_init": None, "ratio_final": None, "ratio_final_step": None,
            "final_loss": None, "solved_step": None, "first_nonfinite": None}


def _fill(run: dict, hist) -> dict:
    run = dict(run)
    run["step"] = hist.column("step")
    run["loss"] = hist.column("loss")
    run["probe_steps"] = [p["step"] for p in hist.probes]
    run["log_grad"] = [log_grad_by_lag(p["grad_norm_by_t"]) for p in hist.probes]
    if hist.probes:
        run["ratio_init"] = first_last_ratio(hist.probes[0]["grad_norm_by_t"])
        run["ratio_final"] = first_last_ratio(hist.probes[-1]["grad_norm_by_t"])
        run["ratio_final_step"] = hist.probes[-1]["step"]
    run["final_loss"] = hist.final_loss() if hist.records else None
    run["solved_step"] = first_below(run["loss"], SOLVED)
    run["first_nonfinite"] = hist.first_nonfinite
    return run


@experiment(seq_len=40, hidden_size=32, steps=600, lr_rnn=1e-3, lr_gated=2e-2, seed=0)
def compare_cells(seq_len, hidden_size, steps, lr_rnn, lr_gated, seed,
                  report: Callable[[float, dict], None] | None = None):
    """Train RNN, LSTM, GRU and LSTM (forget bias 1) on the adding problem, same data and seed.

    Adam, norm clipping at 1, batch 64; ||dL/dh_t|| probed (float64, fixed batch of 32) about
    16 times per run, including before the first update and after the last.

    Returns ``{"order", "seq_len", "chance", "runs", "gates", "example", "carousel"}``:
    ``runs[id]`` has the loss curve ``step``, ``loss``; ``probe_steps`` (S,), ``log_grad``
    (S, T) = log10 ||dL/dh|| by lag; ``ratio_init`` / ``ratio_final`` (first-step over
    last-step gradient norm before training and at the last probe); ``final_loss`` (mean of
    the last 20 steps); ``solved_step`` (:func:`first_below` :data:`SOLVED`, or None).
    ``gates[cell]["init" | "trained"]``: :func:`gate_summary` of the LSTM / GRU on one example
    sequence whose marked positions are ``example["markers"]``. ``carousel``: the untrained
    control :func:`carousel_ratio`, ``{"forget_bias", "ratio_init"}``.
    """
    seq_len, hidden_size, steps, seed = int(seq_len), int(hidden_size), int(steps), int(seed)
    task = make_task("adding", seq_len)
    x_ex, y_ex = example_sequence(seq_len)
    markers = torch.nonzero(x_ex[0, :, 1]).flatten().tolist()
    result = {
        "order": [rid for rid, _, _, _ in RUNS],
        "seq_len": seq_len,
        "chance": task.chance,
        "runs": {rid: _empty_run(rid, lr_rnn if cell == "rnn" else lr_gated)
                 for rid, cell, _, _ in RUNS},
        "gates": {},
        "example": {"markers": markers, "values": x_ex[0, :, 0].tolist(),
                    "target": float(y_ex[0, 0])},
        "carousel": {"forget_bias": CAROUSEL_BIAS,
                     "ratio_init": carousel_ratio(seq_len, hidden_size, seed)},
    }
    probe_every = max(1, steps // 15)
    for i, (rid, cell, fb, _) in enumerate(RUNS):
        lr = lr_rnn if cell == "rnn" else lr_gated
        model = build_model(cell, task.input_size, hidden_size, task.output_size,
                            forget_bias=fb, seed=seed)
        traced = cell in TRACED and fb is None
        if traced:
            result["gates"][cell] = {"init": gate_summary(copy.deepcopy(model).eval(), x_ex)}

        def callback(rec, hist, i=i, rid=rid):
            if report is not None and (rec["step"] % 10 == 9):
                part = {**result, "runs": {**result["runs"], rid: _fill(result["runs"][rid],
                                                                         hist)}}
                report((i + (rec["step"] + 1) / steps) / len(RUNS), part)

        hist = train(model, task, optimizer="adam", lr=lr, clip="norm", clip_threshold=1.0,
                     steps=steps, batch_size=64, seed=seed, probe_every=probe_every,
                     callback=callback)
        result["runs"] = {**result["runs"], rid: _fill(result["runs"][rid], hist)}
        if traced:
            result["gates"][cell] = {**result["gates"][cell],
                                     "trained": gate_summary(model.eval(), x_ex)}
        if report is not None:
            report((i + 1) / len(RUNS), result)
    return result


@experiment(seq_len=40, hidden_size=32, seed=0)
def fresh_cells(seq_len, hidden_size, seed):
    """The four cells of :func:`compare_cells` before any training: milliseconds, no training.

    Each cell is built as :func:`compare_cells` builds it and probed on the same batch, so the
    numbers equal that run's first probe. Returns ``{"order", "seq_len", "runs", "carousel"}``
    with ``runs[id]``: ``label``, ``ratio_init`` (||dL/dh_0|| / ||dL/dh_T-1||) and
    ``log_grad`` (T,) = log10 ||dL/dh|| by lag; ``carousel`` as in :func:`compare_cells`.
    """
    seq_len, hidden_size, seed = int(seq_len), int(hidden_size), int(seed)
    runs = {}
    for rid, cell, fb, label in RUNS:
        norms = fresh_norms(cell, seq_len, hidden_size, seed, fb)
        runs[rid] = {"label": label, "ratio_init": first_last_ratio(norms),
                     "log_grad": log_grad_by_lag(norms)}
    return {"order": [rid for rid, *_ in RUNS], "seq_len": seq_len, "runs": runs,
            "carousel": {"forget_bias": CAROUSEL_BIAS,
                         "ratio_init": carousel_ratio(seq_len, hidden_size, seed)}}


# -- tidy tables for the page's charts (column name -> list) ------------------------------------
def moment_table(fresh: dict, trained: dict | None) -> dict[str, list]:
    """First/last ratio per cell and moment: ``cell`` (id), ``label``, ``moment``
    ("at initialisation" from ``fresh``, "after training" from ``trained`` where measured),
    ``ratio``."""
    rows = []
    for rid in fresh["order"]:
        rows.append((rid, fresh["runs"][rid]["label"], "at initialisation",
                     fresh["runs"][rid]["ratio_init"]))
        r = (trained or {}).get("runs", {}).get(rid, {})
        if r.get("ratio_final") is not None and (r.get("probe_steps") or [0])[-1] > 0:
            rows.append((rid, r["label"], "after training", r["ratio_final"]))
    return dict(zip(("cell", "label", "moment", "ratio"), map(list, zip(*rows))))


def lag_table(res: dict) -> dict[str, list]:
    """log10 ||dL/dh|| by lag at every probe of every run: ``cell`` (label), ``training
    step``, ``lag``, ``log10 grad``."""
    rows = [(r["label"], int(s), lag, v) for r in (res["runs"][k] for k in res["order"])
            for s, row in zip(r["probe_steps"], r["log_grad"]) for lag, v in enumerate(row)]
    return dict(zip(("cell", "training step", "lag", "log10 grad"), map(list, zip(*rows))))


def loss_table(res: dict, smooth: int = WINDOW) -> dict[str, list]:
    """Every run's loss curve and its running mean over ``smooth`` steps: ``cell`` (label),
    ``step``, ``loss``, ``smoothed loss``."""
    out: dict[str, list] = {"cell": [], "step": [], "loss": [], "smoothed loss": []}
    for rid in res["order"]:
        r = res["runs"][rid]
        v = np.asarray(r["loss"], dtype=float)
        mean = [float(v[max(0, i - smooth + 1):i + 1].mean()) for i in range(len(v))]
        out["cell"] += [r["label"]] * len(v)
        out["step"] += list(r["step"])
        out["loss"] += v.tolist()
        out["smoothed loss"] += mean
    return out


def gate_heat_table(res: dict, cell: str) -> dict[str, list]:
    """The per-unit keep gate (LSTM f, GRU z) of ``cell`` on the example sequence, before and
    after training: ``moment``, ``t``, ``unit (sorted)``, ``gate``."""
    out: dict[str, list] = {"moment": [], "t": [], "unit (sorted)": [], "gate": []}
    for moment, name in (("init", "at initialisation"), ("trained", "after training")):
        heat = np.asarray(res["gates"][cell][moment]["heat"], dtype=float)  # (T, U)
        t, u = np.meshgrid(np.arange(heat.shape[0]), np.arange(heat.shape[1]), indexing="ij")
        out["moment"] += [name] * heat.size
        out["t"] += t.ravel().tolist()
        out["unit (sorted)"] += u.ravel().tolist()
        out["gate"] += heat.ravel().tolist()
    return out


def gate_line_table(res: dict, cell: str) -> dict[str, list]:
    """Gate activations over the example sequence after training (the most persistent unit's
    keep gate, every traced gate averaged over units) and the keep gate's average before
    training. Columns ``series``, ``t``, ``gate value``."""
    g = res["gates"][cell]
    keep = g["trained"]["keep_gate"]
    series = {f"{keep}, most persistent unit":
              np.asarray(g["trained"]["heat"], dtype=float)[:, -1].tolist()}
    series.update({f"{gate}, mean over units": v for gate, v in g["trained"]["mean"].items()})
    series[f"{keep}, mean before training"] = g["init"]["mean"][keep]
    out: dict[str, list] = {"series": [], "t": [], "gate value": []}
    for name, vals in series.items():
        out["series"] += [name] * len(vals)
        out["t"] += list(range(len(vals)))
        out["gate value"] += [float(v) for v in vals]
    return out


def keep_stats(res: dict, cell: str) -> dict:
    """Summary of ``cell``'s keep gate on the example sequence: ``keep`` (gate name),
    ``units``, ``n_keep`` (units whose mean gate after training is above 0.9), ``top`` (the
    highest such mean), ``init_min`` / ``init_max`` and the mean over units ``mean_before`` /
    ``mean_after``."""
    g = res["gates"][cell]
    keep = g["trained"]["keep_gate"]
    trained = np.asarray(g["trained"]["heat"], dtype=float)
    init = np.asarray(g["init"]["heat"], dtype=float)
    unit = trained.mean(0)
    return {"keep": keep, "units": int(trained.shape[1]), "n_keep": int((unit > 0.9).sum()),
            "top": float(unit.max()), "init_min": float(init.min()),
            "init_max": float(init.max()),
            "mean_before": float(np.mean(g["init"]["mean"][keep])),
            "mean_after": float(np.mean(g["trained"]["mean"][keep]))}


# -- what the page says about these runs (checked by tests/claims/) ---------------------------
GATED = ("lstm", "gru", "lstm_fb1")


def _set(r: dict, rid: str, **values) -> dict:
    """A copy of ``r`` with some fields of one run replaced (for the claims' ``perturb``)."""
    return {**r, "runs": {**r["runs"], rid: {**r["runs"][rid], **values}}}


def _ratio(r: dict, rid: str, key: str) -> float:
    v = r["runs"][rid][key]
    return v if finite(v) else math.nan


def _gate_range(r: dict, cell: str, moment: str) -> tuple[float, float]:
    heat = np.asarray(r["gates"][cell][moment]["heat"], dtype=float)
    return float(heat.min()), float(heat.max())


@claim(fresh_cells,
       observed=lambda r: ", ".join(f"{LABELS[k]} {r['runs'][k]['ratio_init']:.0e}"
                                    for k in ("rnn", "lstm", "gru")),
       perturb=lambda r: _set(r, "lstm", ratio_init=0.5))
def fresh_cells_lose_it(r: dict) -> bool:
    """before training, the tanh RNN, the LSTM and the GRU each pass less than a millionth of the
    last step's gradient back to the first step"""
    return all(_ratio(r, k, "ratio_init") < 1e-6 for k in ("rnn", "lstm", "gru"))


@claim(compare_cells,
       observed=lambda r: "; ".join(
           f"{name} from {lo:.2f} to {hi:.2f}"
           for name, (lo, hi) in (("LSTM f", _gate_range(r, "lstm", "init")),
                                  ("GRU z", _gate_range(r, "gru", "init")))),
       perturb=lambda r: {**r, "gates": {**r["gates"], "lstm": {
           **r["gates"]["lstm"], "init": {**r["gates"]["lstm"]["init"],
                                          "heat": [[0.99]]}}}})
def gates_start_half_open(r: dict) -> bool:
    """before training, every forget gate of the LSTM and every update gate of the GRU sits
    between 0.3 and 0.7 on the example sequence"""
    return all(0.3 < lo and hi < 0.7 for lo, hi in (_gate_range(r, "lstm", "init"),
                                                    _gate_range(r, "gru", "init")))


def _orders_fb(r: dict) -> float:
    return math.log10(_ratio(r, "lstm_fb1", "ratio_init") / _ratio(r, "lstm", "ratio_init"))


@claim(fresh_cells,
       observed=lambda r: (f"{r['runs']['lstm']['ratio_init']:.1e} → "
                           f"{r['runs']['lstm_fb1']['ratio_init']:.1e}, "
                           f"{_orders_fb(r):.1f} orders"),
       perturb=lambda r: _set(r, "lstm_fb1", ratio_init=10 * r["runs"]["lstm"]["ratio_init"]))
def forget_bias_head_start(r: dict) -> bool:
    """a forget-gate bias of 1 raises the fresh LSTM's first/last ratio by more than four orders
    of magnitude, yet less than a hundredth of the gradient reaches the first step"""
    return _orders_fb(r) > 4 and _ratio(r, "lstm_fb1", "ratio_init") < 1e-2


@claim(fresh_cells,
       text=f"an untrained LSTM whose forget gates start near 1 (bias {CAROUSEL_BIAS:g}, like the "
            "1997 cell's fixed weight of 1) passes more than a hundredth of the gradient to the "
            "first step: the fresh LSTM's path is closed by its forget gate",
       observed=lambda r: (f"forget bias {r['carousel']['forget_bias']:g}: "
                           f"{r['carousel']['ratio_init']:.2g}, default: "
                           f"{r['runs']['lstm']['ratio_init']:.1e}"),
       perturb=lambda r: {**r, "carousel": {**r["carousel"], "ratio_init": 1e-10}})
def forget_gate_closes_path(r: dict) -> bool:
    v = r["carousel"]["ratio_init"]
    return finite(v) and v > 1e-2 and _ratio(r, "lstm", "ratio_init") < 1e-6


@claim(compare_cells,
       text="after training, the LSTM, the GRU and the LSTM with forget bias 1 each pass more "
            "than a hundredth of the gradient to the first step, and each has solved the task "
            f"(loss below {SOLVED})",
       observed=lambda r: ", ".join(
           f"{LABELS[k]} {r['runs'][k]['ratio_final']:.2f} (loss {r['runs'][k]['final_loss']:.1e})"
           for k in GATED),
       perturb=lambda r: _set(r, "lstm", ratio_final=1e-9))
def trained_gates_open(r: dict) -> bool:
    return all(_ratio(r, k, "ratio_final") > 1e-2 and r["runs"][k]["final_loss"] < SOLVED
               for k in GATED)


@claim(compare_cells,
       observed=lambda r: (f"first/last {r['runs']['rnn']['ratio_final']:.0e}, loss "
                           f"{r['runs']['rnn']['final_loss']:.3f}"),
       perturb=lambda r: _set(r, "rnn", final_loss=0.01))
def rnn_stays_closed(r: dict) -> bool:
    """after the same training, the tanh RNN still passes less than a millionth of the gradient
    to the first step, and its loss stays near chance (above 0.15)"""
    return _ratio(r, "rnn", "ratio_final") < 1e-6 and r["runs"]["rnn"]["final_loss"] > 0.15


def _step_text(v: int | None) -> str:
    return "never" if v is None else f"step {v}"


@claim(compare_cells,
       text=f"the GRU got its loss below {SOLVED} in fewer training steps than the LSTM, and ended "
            "lower",
       observed=lambda r: (f"GRU at {_step_text(r['runs']['gru']['solved_step'])}, LSTM at "
                           f"{_step_text(r['runs']['lstm']['solved_step'])}; final loss "
                           f"{r['runs']['gru']['final_loss']:.1e} vs "
                           f"{r['runs']['lstm']['final_loss']:.1e}"),
       perturb=lambda r: _set(r, "gru", solved_step=None))
def gru_first(r: dict) -> bool:
    g, m = r["runs"]["gru"], r["runs"]["lstm"]
    return (g["solved_step"] is not None
            and (m["solved_step"] is None or g["solved_step"] < m["solved_step"])
            and g["final_loss"] < m["final_loss"])


def _open_and_learn(r: dict, rid: str) -> tuple[int | None, int | None]:
    run = r["runs"][rid]
    return first_open(run), first_below(run["loss"], r["chance"] / 2)


@claim(compare_cells,
       observed=lambda r: "; ".join(
           f"{LABELS[k]}: opened at {_step_text(_open_and_learn(r, k)[0])}, loss below half "
           f"of chance at {_step_text(_open_and_learn(r, k)[1])}" for k in GATED),
       perturb=lambda r: _set(r, "gru", log_grad=[[0.0] + [-20.0] * (r["seq_len"] - 1)
                                                  for _ in r["runs"]["gru"]["log_grad"]]))
def path_opens_with_learning(r: dict) -> bool:
    """each gated cell's path back to the first step opened (first/last above a
    thousandth) before, or at most one probe column after, its loss fell below half of
    chance; the tanh RNN did neither"""
    for k in GATED:
        opened, learned = _open_and_learn(r, k)
        ps = r["runs"][k]["probe_steps"]
        if opened is None or learned is None or opened > learned + (ps[1] - ps[0]):
            return False
    return _open_and_learn(r, "rnn") == (None, None)


def _kept(r: dict) -> tuple[int, float, float, float]:
    """LSTM after training: units with mean f > 0.9, the top unit's mean f, and the mean f
    over units before and after training."""
    heat = np.asarray(r["gates"]["lstm"]["trained"]["heat"], dtype=float)  # (T, U)
    unit = heat.mean(0)
    return (int((unit > 0.9).sum()), float(unit.max()),
            float(np.mean(r["gates"]["lstm"]["init"]["mean"]["f"])),
            float(np.mean(r["gates"]["lstm"]["trained"]["mean"]["f"])))


@claim(compare_cells,
       observed=lambda r: (f"{_kept(r)[0]} unit(s) above 0.9, highest {_kept(r)[1]:.3f}; "
                           f"mean over units {_kept(r)[2]:.2f} → {_kept(r)[3]:.2f}"),
       perturb=lambda r: {**r, "gates": {**r["gates"], "lstm": {
           **r["gates"]["lstm"], "trained": {**r["gates"]["lstm"]["trained"],
                                             "heat": [[0.5]]}}}})
def few_units_keep(r: dict) -> bool:
    """after training, at least one LSTM unit holds its forget gate above 0.9 on average, while
    the forget gate averaged over all units fell below its starting value"""
    n, top, before, after = _kept(r)
    return n >= 1 and top > 0.9 and after < before
