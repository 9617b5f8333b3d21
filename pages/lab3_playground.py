"""Lab 3: the technique playground. Every knob, runs kept for the session and compared."""

import math
import re

import numpy as np
import pandas as pd
import streamlit as st

from core import cost
from core.claims import claims_for
from core.experiments import playground as exp
from ui import charts, charts_labs, export, layout, runner, state
from ui import claims as ui_claims

FILE = "lab3_playground.py"
D = exp.train_run.defaults
CLAIMS = claims_for(exp.train_run.key)
PROBE_CLAIMS = ("gru_path_opens_with_training",)  # shown under the gradient-by-step chart
CAP_SECONDS = runner.CAP_ESTIMATE
MAX_RUNS = 12
RUNS = "lab3_runs"  # session_state: list of kept runs, oldest first
SEQ = "lab3_seq"  # session_state: the next run number

CELLS = {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
TASKS = {"adding": "Adding problem", "copy": "Copy memory", "order": "Temporal order",
         "series": "Time series: the value T steps back"}
LR = ["0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1.0"]
THR = ["0.01", "0.1", "0.25", "0.5", "1.0", "2.0", "5.0", "10.0"]

layout.header(FILE, (
    "Set every knob, press **Run**, change one thing and run again: each run of this session "
    "is kept, drawn as a faint ghost behind the newest and listed in a table. Change **one** "
    "setting at a time with the seed fixed, and every difference you see has a single cause."))


def _opt(v: float) -> str:
    return repr(float(v))


controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Knobs**")
    state.presets({
        "rnn30": {"label": "Vanilla RNN, adding, T = 30", "cell": "rnn", "task": "adding",
                  "T": 30, "act": "tanh", "init": "default", "norm": "none", "opt": "adam",
                  "lr": "0.01", "clip": "norm", "thr": "1.0"},
        "gru30": {"label": "GRU, adding, T = 30 (default)", "cell": "gru", "task": "adding",
                  "T": 30, "init": "default", "norm": "none", "opt": "adam", "lr": "0.01",
                  "clip": "norm", "thr": "1.0"},
        "irnn": {"label": "IRNN: ReLU + identity start", "cell": "rnn", "act": "relu",
                 "init": "identity", "task": "adding", "T": 30, "norm": "none", "opt": "adam",
                 "lr": "0.0003", "clip": "norm", "thr": "1.0"},
        "lnlstm": {"label": "LSTM with layer norm", "cell": "lstm", "norm": "layer",
                   "task": "adding", "T": 30, "init": "default", "opt": "adam", "lr": "0.01",
                   "clip": "norm", "thr": "1.0"},
        "sgdboom": {"label": "Plain SGD, big gain, no clipping", "cell": "rnn", "act": "tanh",
                    "init": "orthogonal", "gain": 2.0, "task": "adding", "T": 30,
                    "norm": "none", "opt": "sgd", "lr": "0.1", "clip": "none"},
    }, default="gru30")
    st.markdown("**Task**")
    task = state.select("Task", "task", TASKS, D["task"])
    T = state.slider("Sequence length T (copy memory: the delay)", "T", 10, 300, D["seq_len"],
                     step=5, help="How far apart the things that matter are.")
    st.markdown("**Network**")
    cell = state.select("Cell", "cell", CELLS, D["cell"])
    act = state.select("Nonlinearity (vanilla RNN only)", "act", {"tanh": "tanh",
                                                                  "relu": "ReLU"},
                       D["nonlinearity"], radio=True,
                       help="LSTM and GRU have their own fixed sigmoid and tanh gates.")
    if cell != "rnn":
        st.caption(f"The {CELLS[cell]} ignores this: its gates use sigmoid and tanh.")
    init = state.select("Initialisation of W_hh", "init",
                        {"default": "PyTorch default", "xavier": "Xavier",
                         "orthogonal": "Orthogonal", "identity": "Identity (IRNN)"},
                        D["init"])
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.1, 3.0, D["gain"], step=0.05,
                        advanced=True, help="Multiplies the recurrent weights after the init.")
    norm = state.select("Normalisation", "norm",
                        {"none": "None", "layer": "Layer norm",
                         "batch": "Recurrent batch norm"}, D["norm"],
                        help="Inside the recurrent step, on both projections. It forces the "
                             "slower step-by-step loop instead of the fused kernel.")
    H = state.slider("Hidden size H", "H", 8, 128, D["hidden_size"], step=8)
    st.markdown("**Training**")
    opt = state.select("Optimiser", "opt", {"sgd": "SGD", "momentum": "SGD + momentum",
                                            "rmsprop": "RMSprop", "adam": "Adam"},
                       D["optimizer"])
    lr = float(state.select("Learning rate", "lr", {v: v for v in LR}, _opt(D["lr"])))
    clip = state.select("Gradient clipping", "clip", {"none": "None", "norm": "Norm",
                                                      "value": "Value"}, D["clip"],
                        radio=True)
    thr = float(state.select("Clipping threshold", "thr", {v: v for v in THR},
                             _opt(D["clip_threshold"]),
                             help="Norm: the longest gradient allowed. Value: the largest "
                                  "single entry allowed."))
    steps = state.slider("Training steps", "steps", 50, 3000, D["steps"], step=50)
    seed = state.seed(D["seed"], advanced=False)

params = dict(cell=cell, nonlinearity=act if cell == "rnn" else "tanh", init=init, gain=gain,
              norm=norm, optimizer=opt, lr=lr, clip=clip, clip_threshold=thr, task=task,
              seq_len=T, hidden_size=H, steps=steps, seed=seed)
est = cost.estimate("playground.train_run", params)
why_slow = ("Normalisation runs the step-by-step loop, several times slower than the fused "
            "kernel. " if norm != "none" else "")
refusal = runner.over_cap(est, f"This run ({steps} steps, {exp.task_length(task, T)} time "
                          f"steps, H = {H}, {CELLS[cell]})", f"{why_slow}Lower the steps, T or H.")


# -- the session's runs ------------------------------------------------------------------------
def runs() -> list[dict]:
    return st.session_state.setdefault(RUNS, [])


def _add(result: dict, status: str, seconds: float, name: str | None = None) -> dict:
    n = st.session_state.get(SEQ, 1)
    st.session_state[SEQ] = n + 1
    c = result["config"]
    run = {"id": n, "name": name or f"Run {n}: {CELLS[c['cell']]}, {c['task']} T={c['seq_len']}",
           "status": status, "seconds": seconds, "result": result}
    kept = runs()
    kept.append(run)
    if len(kept) > MAX_RUNS:
        del kept[0]
    return run


def _short(name: str) -> str:
    """A run name as typed, made safe: no markup characters, at most 40 characters."""
    s = re.sub(r"<[^>]*>", "", " ".join(str(name).split()))  # drop tags, then odd characters
    s = re.sub(r"[^\w .,:;=+\-()#/%]", "", s)[:40].strip()
    return s or "unnamed"


def _rename(name: str) -> None:
    """Rename the run called ``name`` (names stay unique: they key the chart colours)."""
    kept = runs()
    clean = _short(st.session_state.get("lab3_name", ""))
    taken = {r["name"] for r in kept if r["name"] != name}
    for r in kept:
        if r["name"] == name:
            r["name"] = clean if clean not in taken else f"{clean} ({r['id']})"
            st.session_state["lab3_pick"] = r["name"]
    st.session_state["lab3_name"] = ""


def _remove(name: str) -> None:
    runs()[:] = [r for r in runs() if r["name"] != name]


def _clear() -> None:
    runs().clear()


def _harvest(live: dict | None) -> None:
    """Keep every finished, stopped or capped live run once; the shipped run on first view."""
    for entry in runner.runs_for("play"):
        if entry.get("_lab3_kept"):
            continue
        status = "stopped" if entry["status"] == "running" else entry["status"]
        _add(entry["result"], status, entry["seconds"])
        entry["_lab3_kept"] = True
    if (live is not None and live["status"] == "shipped"
            and not st.session_state.get("lab3_shipped_seen")):
        st.session_state["lab3_shipped_seen"] = True
        _add(live["result"], "precomputed", 0.0)


def _same(a: list, b: list) -> bool:
    """Two loss curves equal step for step (to the 7 digits a precomputed file keeps)."""
    return len(a) == len(b) and bool(np.allclose(np.asarray(a, float), np.asarray(b, float),
                                                 rtol=1e-6, atol=0.0, equal_nan=True))


def frames(kept: list[dict]) -> dict[str, pd.DataFrame]:
    """Tidy tables: per-step curves of every run, and one row per run."""
    curves, table = [], []
    for r in kept:
        res, c = r["result"], r["result"]["config"]
        acc = res["accuracy"] or [None] * len(res["step"])
        for s, lv, gv, cl, a in zip(res["step"], res["loss"], res["grad_norm"], res["clipped"],
                                    acc):
            curves.append({"run": r["name"], "step": s, "loss": lv, "grad_norm": gv,
                           "clipped": cl, "accuracy": a})
        same = next((o["name"] for o in kept if o["id"] < r["id"]
                     and o["result"]["config"] == c and _same(o["result"]["loss"], res["loss"])),
                    None)
        fn = res["first_nonfinite"]
        table.append({
            "run": r["name"], "status": r["status"], "final loss": res["final_loss"],
            "chance loss": res["chance"], "final accuracy": res["final_accuracy"],
            "steps trained": res["steps_done"],
            "first NaN/inf": None if fn is None else fn["step"],
            "clipped (%)": 100.0 * res["share_clipped"], "identical curve to": same,
            "task": c["task"], "T": c["seq_len"], "cell": c["cell"],
            "act": c["nonlinearity"] if c["cell"] == "rnn" else "-", "init": c["init"],
            "gain": c["gain"], "norm": c["norm"], "H": c["hidden_size"],
            "optimiser": c["optimizer"], "lr": c["lr"], "clip": c["clip"],
            "threshold": c["clip_threshold"] if c["clip"] != "none" else None,
            "steps": c["steps"], "seed": c["seed"],
            "seconds": round(r["seconds"], 1) if r["seconds"] else None,
        })
    events = [{"run": r["name"], "x": r["result"]["first_nonfinite"]["step"],
               "label": f"{r['name']}: NaN/inf at step {r['result']['first_nonfinite']['step']}"}
              for r in kept if r["result"]["first_nonfinite"] is not None]
    return {"curves": pd.DataFrame(curves, columns=["run", "step", "loss", "grad_norm",
                                                    "clipped", "accuracy"]),
            "runs": pd.DataFrame(table),
            "events": pd.DataFrame(events, columns=["run", "x", "label"])}


def curve_chart(curves: pd.DataFrame, col: str, names: list[str], ghosts: list[str], *,
                y_title: str, log_y: bool, rules: dict | None = None, height: int = 300,
                events: pd.DataFrame | None = None):
    data = curves[curves["run"].isin(names)][["run", "step", col]]
    if events is not None:
        events = events[events["run"].isin(names)]
    return charts_labs.run_lines(data, "step", col, "run", log_y=log_y, color_domain=names,
                                 ghosts=ghosts, x_title="training step", y_title=y_title,
                                 rules=rules, height=height, events=events)


def _draw_partial(partial: dict) -> None:
    """While training: the run so far in colour over ghosts of the kept runs."""
    ghosts = runs()[-5:]
    now = {"id": 10**9, "name": "training now…", "status": "running", "seconds": 0.0,
           "result": partial}
    f = frames([*ghosts, now])
    names = [g["name"] for g in ghosts] + ["training now…"]
    st.altair_chart(curve_chart(f["curves"], "loss", names, names[:-1],
                                y_title=f"loss, {partial['loss_name']} (log)", log_y=True,
                                height=260, events=f["events"]), width="stretch")


with main:
    st.header("Train")
    live = runner.live("play", exp.train_run, params, refusal=refusal,
                       draw=_draw_partial)
    st.caption(f"Estimated time for this run: about {est:.1f} s on one CPU thread (cap "
               f"{CAP_SECONDS:.0f} s). Same settings and seed give the same curve: try it.")


_harvest(live)
kept = runs()

with main:
    rnn_runs = [r for r in kept if r["result"]["config"]["cell"] == "rnn"
                and r["result"]["config"]["task"] == "adding"]
    layout.predict(
        "lab3", "The default run is a GRU on the adding problem with T = 30, and it learns. "
        "Switch the cell to a **vanilla RNN**, keep everything else, and run. Where does its "
        "loss end up after 300 steps?",
        ["Near zero, like the GRU", "Near the chance line (MSE 1/6)",
         "It explodes to NaN", "Lower than the GRU's"],
        correct=1,
        why="The two marked numbers sit up to 30 steps before the answer. The vanilla RNN's "
            "gradient from the loss fades by orders of magnitude over that distance, so the "
            "weights barely hear about the early inputs; it learns to answer about 1 (the "
            "mean), which is exactly the chance loss. Clipping and Adam keep it stable, but "
            "stability is not memory. The GRU's update gate lets training open a path on which "
            "each step scales the gradient by a gate value near 1.",
        observed=(f"your vanilla RNN run '{rnn_runs[-1]['name']}' ended at loss "
                  f"{rnn_runs[-1]['result']['final_loss']:.3g}." if rnn_runs else None))

    if not kept:
        st.info("No runs yet in this session. Press **Run** to train the settings on the left.",
                icon=":material/play_circle:")
    else:
        f = frames(kept)
        names = [r["name"] for r in kept]
        all_colour = state.toggle("Draw every run in full colour", "allcol", False,
                                  help="Off: the newest run in colour, earlier runs as "
                                       "ghosts.")
        ghosts = [] if all_colour else names[:-1]
        latest = kept[-1]["result"]
        tasks = {r["result"]["config"]["task"] for r in kept}
        st.markdown("### Training loss")
        rule = {f"chance, newest run: {latest['chance']:.3g}": latest["chance"]}
        layout.show(curve_chart(f["curves"], "loss", names, ghosts, y_title=(
            f"training loss, {latest['loss_name']} (log)" if len(tasks) == 1
            else "training loss (log; tasks differ)"), log_y=True, rules=rule,
            events=f["events"]),
            f["curves"][["run", "step", "loss"]], key="lab3_loss", name="lab3_loss_curves",
            alt_text=f"Training loss of {len(kept)} run{'s' if len(kept) > 1 else ''}. " + "; ".join(
                f"{r['name']}: final loss {r['result']['final_loss']:.3g} after "
                f"{r['result']['steps_done']} steps" for r in kept[-4:]) + ".")
        layout.how_to_read(
            "- The newest run is the bold line; earlier runs of this session are the pale "
            "ghosts behind it (the toggle above draws them all in colour).\n"
            "- The y-axis is logarithmic: each grid line down is the loss divided by 10.\n"
            "- The dashed line is the newest run's chance level, the best loss a network can "
            "reach without remembering anything. A line that settles on it learned nothing "
            "about the long-range dependency.\n"
            "- Losses of different tasks are not comparable (MSE vs cross-entropy); compare runs "
            "of the same task. Red crosses at the top mark NaN/inf losses.")
        finished = kept[-1]["status"] in ("done", "precomputed")
        if finished:
            ui_claims.show(latest, latest["config"],
                           [c for c in CLAIMS if c.name not in PROBE_CLAIMS])
        if len(tasks) > 1:
            st.caption(":material/warning: The runs mix tasks, so their losses are in "
                       "different units; compare within a task.")

        st.markdown("### Gradient norm before clipping")
        thr_rule = ({f"newest run's norm threshold {latest['config']['clip_threshold']:g}":
                     latest["config"]["clip_threshold"]}
                    if latest["config"]["clip"] == "norm" else None)
        layout.show(curve_chart(f["curves"], "grad_norm", names, ghosts,
                                y_title="grad norm, pre-clip (log)", log_y=True,
                                rules=thr_rule, height=260, events=f["events"]),
                    f["curves"][["run", "step", "grad_norm", "clipped"]], key="lab3_gnorm",
                    name="lab3_gradient_norms", alt_text=(
                        "Gradient norm per training step, before clipping, for every run. "
                        "Newest run: median "
                        f"{np.nanmedian(np.asarray(latest['grad_norm'], float)):.3g}."))
        layout.how_to_read(
            "The length of the whole gradient at each step, before clipping changed it. A "
            "steady band means healthy training; spikes of several orders of magnitude are "
            "exploding gradients; a line sinking towards zero while the loss sits at chance "
            "means the network gets almost no signal. With norm clipping, points above the "
            "dashed line were rescaled to it.")

        if any(r["result"]["accuracy"] is not None for r in kept):
            st.markdown("### Accuracy")
            acc_runs = [r["name"] for r in kept if r["result"]["accuracy"] is not None]
            adf = f["curves"][f["curves"]["run"].isin(acc_runs)]
            acc_rules = ({f"chance, newest run: {latest['chance_accuracy']:.0%}":
                          latest["chance_accuracy"]}
                         if latest["chance_accuracy"] is not None else None)
            layout.show(curve_chart(adf, "accuracy", acc_runs,
                                    [g for g in ghosts if g in acc_runs],
                                    y_title="training accuracy", log_y=False, rules=acc_rules,
                                    height=240),
                        adf[["run", "step", "accuracy"]], key="lab3_acc",
                        name="lab3_accuracy", alt_text=(
                            "Training-batch accuracy per step for the classification runs."))
            layout.how_to_read(
                "Share of correct answers on each training batch (copy memory: only the 10 "
                "recalled symbols count; temporal order: the class at the end). The dashed "
                "line is guessing.")

        st.markdown("### Does the gradient reach the start of the sequence?")
        pr = latest["probes"]
        if pr:
            pdf = pd.concat([pd.DataFrame({
                "t": range(len(p["grad_norm_by_t"])), "grad": p["grad_norm_by_t"],
                "when": "before training" if p["step"] == 0 else f"after {p['step']} steps"})
                for p in pr], ignore_index=True)
            pdf["initial"] = pdf["when"] == "before training"  # drawn dashed
            prof = pr[-1]["grad_norm_by_t"]
            ratio = prof[0] / prof[-1] if prof[-1] > 0 else math.nan
            layout.show(charts.log_lines(pdf, "t", "grad", color="when", dashed="initial",
                                         color_domain=list(dict.fromkeys(pdf["when"])),
                                         x_title="time step t (loss at the end)",
                                         y_title="||dL/dh_t|| (log)", height=260),
                        pdf, key="lab3_probe", name="lab3_gradient_by_step", alt_text=(
                            f"Newest run: gradient reaching each time step, "
                            f"{'before and after' if len(pr) > 1 else 'before'} training; "
                            f"first/last ratio {ratio:.2g}."))
            layout.how_to_read(
                "The newest run only: the size of the gradient the loss sends back to each "
                "time step, on a fixed batch, computed in float64. A line falling to the left "
                "is a vanishing gradient: the early steps, where the task hides its information, "
                "hear almost nothing. The default GRU run is the example to compare with: steep "
                "before training, much flatter after it. A run that was stopped or blew up has "
                "only the before-training line.")
            if finished:
                ui_claims.show(latest, latest["config"],
                               [c for c in CLAIMS if c.name in PROBE_CLAIMS])

if kept:
    st.markdown("### Compare the runs")
    st.dataframe(f["runs"], hide_index=True, column_config={
        "final loss": st.column_config.NumberColumn(format="%.4g"),
        "chance loss": st.column_config.NumberColumn(format="%.4g"),
        "final accuracy": st.column_config.NumberColumn(format="percent"),
        "clipped (%)": st.column_config.NumberColumn(format="%.0f"),
        "lr": st.column_config.NumberColumn(format="%g"),
    })
    st.caption("Final loss and accuracy: means over the last 20 finite training steps. "
               "'identical curve to' names an earlier run with the same settings whose "
               f"loss curve matches this one number for number. The last {MAX_RUNS} runs of "
               "this browser session are kept; reloading the page starts afresh.")

    with st.container(border=True):
        st.markdown(":material/edit: **Manage runs**")
        by_name = {r["name"]: r for r in kept}
        if (st.session_state.get("lab3_last") != kept[-1]["id"]
                or st.session_state.get("lab3_pick") not in by_name):
            st.session_state["lab3_pick"] = kept[-1]["name"]  # a new run: pick it
            st.session_state["lab3_last"] = kept[-1]["id"]
        pick = st.selectbox("Run", list(by_name), key="lab3_pick")
        c1, c2, c3, c4 = st.columns([2.2, 1, 1, 1], vertical_alignment="bottom")
        c1.text_input("New name", key="lab3_name", max_chars=40,
                      placeholder="e.g. GRU baseline")
        c2.button("Rename", key="lab3_rename", width="stretch", icon=":material/edit:",
                  on_click=_rename, args=(pick,))
        c3.button("Remove", key="lab3_remove", width="stretch", icon=":material/delete:",
                  on_click=_remove, args=(pick,))
        c4.button("Clear all", key="lab3_clear", width="stretch",
                  icon=":material/clear_all:", on_click=_clear)

    chosen = by_name.get(pick, kept[-1])
    export.downloads(
        "lab3", {"curves": f["curves"], "runs": f["runs"]},
        script=export.script_text(chosen["result"]["config"],
                                  title=f"Lab 3, {chosen['name']}"),
        stem="lab3_runs", script_name=f"lab3_{chosen['name'][:30]}",
        meta={"script_run": chosen["name"], **chosen["result"]["config"]})
    st.caption(f"The script reproduces the run picked above: **{chosen['name']}**. The CSV "
               "and JSON hold every kept run.")

with st.expander("Experiments to run (change one knob, keep the seed)",
                 icon=":material/lightbulb:"):
    st.markdown(
        "1. **Cell**: GRU, then vanilla RNN, then LSTM, all at T = 30. Which ones leave the "
        "chance line, and how many steps does it take?\n"
        "2. **Sequence length**: take the cell that learned and double T. Then double it "
        "again. Where does it stop learning within the step budget?\n"
        "3. **Clipping**: preset *Plain SGD, big gain, no clipping*, then switch clipping to "
        "Norm with the same seed. Does the run still end in NaN?\n"
        "4. **Initialisation**: vanilla RNN with ReLU, PyTorch default start vs identity "
        "start (preset *IRNN*). Le et al. (2015) report the identity start is very "
        "sensitive to the learning rate: try 0.0003 and 0.003.\n"
        "5. **Normalisation**: LSTM with and without layer norm. Faster? And look at the "
        "gradient-by-step chart: does it reach further back?\n"
        "6. **Reproducibility**: press Run twice without changing anything. The table's "
        "'identical curve to' column shows the second run matches the first exactly.")

layout.explain(
    "Every knob here is one of the remedies from the lesson, and they act on different parts "
    "of the problem. **Clipping** caps the size of an update, so it stops explosions but does "
    "nothing for a signal that has already faded. **Gates** (LSTM, GRU) carry a memory that "
    "is updated by addition. The gradient along it is still multiplied at every step, but by a "
    "gate value (the LSTM's forget gate, the GRU's update gate) that training can hold near "
    "1, which is what lets them learn long gaps. **Initialisation** sets where the "
    "multiplying starts: orthogonal and identity starts make W_hh keep every direction's "
    "length at the outset (Saxe et al. 2013; Le et al. 2015). **Normalisation** keeps the "
    "hidden state's scale steady and can speed training up (Cooijmans et al. 2016); whether it "
    "carries the gradient further back in your run, the gradient-by-step chart shows. "
    "**Adam** rescales "
    "each weight's step by its recent gradient size, which blunts both tiny and huge gradients. "
    "A useful habit: fix the seed, change one thing, and let the ghost of the previous run "
    "tell you what that one thing did.", title="What the knobs do")

layout.code(f"""
from core.models import build_model
from core.tasks import make_task
from core.training import train

task = make_task("{task}", {T})
model = build_model("{cell}", task.input_size, {H}, task.output_size,
                    nonlinearity="{params['nonlinearity']}", init="{init}", gain={gain},
                    norm="{norm}", seed={seed})
hist = train(model, task, optimizer="{opt}", lr={lr}, clip="{clip}", clip_threshold={thr},
             steps={steps}, seed={seed})
print(hist.final_loss(), "chance:", task.chance)
""")
layout.footer(FILE)
