"""Lab 3: the technique playground. Every knob, runs kept for the session and compared."""

import numpy as np
import streamlit as st

from core import cost
from core.claims import claims_for
from core.experiments import playground as exp
from core.labels import CELL_LABELS, INIT_LABELS, NORM_LABELS, cell_name
from core.tasks import make_task
from ui import claims, export, labs, layout, notebook, runner, runstore, state
from ui.charts import lines

FILE = "lab3_playground.py"
D = exp.train_run.defaults
CLAIMS = claims_for(exp.train_run.key)
PROBE_CLAIMS = ("gru_path_opens_with_training",)  # shown under the gradient-by-step chart
LR = ["0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1.0"]
THR = ["0.01", "0.1", "0.25", "0.5", "1.0", "2.0", "5.0", "10.0"]
CLIPS = {"none": "None", "norm": "Norm", "value": "Value"}
OPTS = {"sgd": "SGD", "momentum": "SGD + momentum", "rmsprop": "RMSprop", "adam": "Adam"}
X_TITLE = "training step"
START = {"default": "PyTorch's default", "xavier": "Xavier", "orthogonal": "orthogonal",
         "identity": "identity"}

layout.header(FILE, """
    Set the knobs, predict, run, then change **one** thing and run again: every run of this
    session is kept, drawn faint behind the newest and listed in a table. With the seed fixed,
    each difference between two runs has a single cause.""",
    short="Change one knob, predict, run: what did that one thing do?")

controls, main = layout.beside()
with controls:
    state.presets({
        "rnn30": {"label": "Vanilla RNN, adding, T = 30", "cell": "rnn", "task": "adding",
                  "T": 30, "act": "tanh", "init": "default", "norm": "none", "opt": "adam",
                  "lr": "0.01", "clip": "norm", "thr": "1.0"},
        "gru30": {"label": "GRU, adding, T = 30", "cell": "gru", "task": "adding",
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
    cell = state.select("Cell", "cell", CELL_LABELS, D["cell"])
    task = state.select("Task", "task", labs.TASKS, D["task"])
    T = state.slider("Sequence length T", "T", 10, 300, D["seq_len"], step=5,
                     help="How far apart the things that matter are (copy memory: the delay "
                          "between the symbols and their recall).")
    clip = state.select("Gradient clipping", "clip", CLIPS, D["clip"], radio=True)
    with layout.more_settings():
        act = state.select("Nonlinearity (vanilla RNN only)", "act",
                           {"tanh": "tanh", "relu": "ReLU"}, D["nonlinearity"], radio=True,
                           advanced=True,
                           help="LSTM and GRU have their own fixed sigmoid and tanh gates.")
        init = state.select("Initialisation of W_hh", "init", INIT_LABELS, D["init"],
                            advanced=True)
        gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.1, 3.0, D["gain"], step=0.05,
                            advanced=True, help="Multiplies the recurrent weights after the "
                                                "init.")
        norm = state.select("Normalisation", "norm", {**NORM_LABELS, "none": "None"},
                            D["norm"], advanced=True,
                            help="Inside the recurrent step, on both projections. It forces "
                                 "the slower step-by-step loop instead of the fused kernel.")
        H = state.slider("Hidden size H", "H", 8, 128, D["hidden_size"], step=8, advanced=True)
        opt = state.select("Optimiser", "opt", OPTS, D["optimizer"], advanced=True)
        lr = float(state.select("Learning rate", "lr", {v: v for v in LR}, repr(D["lr"]),
                                advanced=True))
        thr = float(state.select("Clipping threshold", "thr", {v: v for v in THR},
                                 repr(D["clip_threshold"]), advanced=True,
                                 help="Norm: the longest gradient allowed. Value: the largest "
                                      "single entry allowed."))
        steps = state.slider("Training steps", "steps", 50, 3000, D["steps"], step=50,
                             advanced=True)
        seed = state.seed(D["seed"])

params = dict(cell=cell, nonlinearity=act if cell == "rnn" else "tanh", init=init, gain=gain,
              norm=norm, optimizer=opt, lr=lr, clip=clip, clip_threshold=thr, task=task,
              seq_len=T, hidden_size=H, steps=steps, seed=seed)
est = cost.estimate("playground.train_run", params)
why_slow = ("Normalisation runs the step-by-step loop, several times slower than the fused "
            "kernel. " if norm != "none" else "")
refusal = runner.over_cap(est, f"This run ({steps} steps, {exp.task_length(task, T)} time "
                          f"steps, H = {H}, {CELL_LABELS[cell]})",
                          f"{why_slow}Lower the steps, T or H.")
tk = make_task(task, T)
Y_TITLE = f"training loss, {tk.loss_name} (log)"
RECIPE = notebook.Recipe(
    exp.train_run, params, labs.playground_loss, lines.lab_lines,
    dict(x="step", y="loss", run="run", x_title=X_TITLE, y_title=Y_TITLE, height=280,
         hrules=[{"y": tk.chance, "label": f"chance: {tk.chance:.3g}", "kind": "ref"}]),
    headline=("final_loss", "chance"))


def draw_partial(partial: dict) -> None:
    """While training: the run so far in colour over ghosts of the last kept runs."""
    now = {"id": 10**9, "name": "training now…", "result": partial}
    df = labs.playground_curves([*runstore.runs()[-5:], now])
    st.caption("Training live: the loss so far.")
    layout.draw_chart(lines.lab_lines.uncached(df, **{**RECIPE.chart_args,
                                                            "height": 200}))


runstore.ask_again("lab3", exp.train_run, params)
with main:
    held = runner.after_prediction("play", "lab3", exp.train_run, params, refusal=refusal,
                                   draw=draw_partial)
    runstore.harvest(held.run)
    kept = runstore.runs()
    res, complete = held.result, held.complete
    with held.ask:
        shown = layout.prediction(
            FILE, "lab3", f"""
                A **{cell_name(cell, params['nonlinearity'])}** ({START[init]} start,
                {OPTS[opt]} at lr {lr:g}, clipping: {CLIPS[clip].lower()}) trains {steps} steps
                on the **{labs.TASKS[task].lower()}** with T = {T}. Where does its loss
                end?""", labs.PLAY_OPTIONS,
            correct=labs.playground_answer(res) if complete else 0,
            why=[
                "The loss fell well below what any network without memory can reach, so "
                "training linked the answer to the inputs far back. Compare with a run that "
                "stays at chance: the gradient-per-step chart below shows the difference.",
                "A loss at chance means the network answers as if it remembered nothing. The "
                "usual cause is a gradient that fades before it reaches the inputs that "
                "matter (the gradient-per-step chart below shows whether it did here); "
                "clipping and Adam keep a run stable, but stability is not memory.",
                "Nothing kept the updates small enough: a large gradient times the learning "
                "rate became a jump that enlarged the weights, and the next gradient was "
                "larger still, until the numbers overflowed."][
                labs.playground_answer(res) if complete else 0],
            observed=labs.playground_observed(res) if complete else None)
    focus = (next((r for r in reversed(kept) if r["result"]["config"] == res["config"]
                   and labs.same_curve(r["result"]["loss"], res["loss"])), None)
             if res is not None else None)
    on = shown and focus is not None
    all_colour = on and state.toggle("Draw every run in full colour", "allcol", False,
                                     help="Off: the newest run in colour, the others faint.")
    order = [r for r in kept if r is not focus] + [focus] if on else []
    with held.top:
        if not on:
            held.held_back(shown, X_TITLE, Y_TITLE)
            runstore.unshipped_note("lab3", exp.train_run, params)
        else:
            df = labs.playground_curves(order, ghosts=not all_colour)
            layout.show(RECIPE.chart(df), df, key="lab3_loss", name="lab3_loss_curves",
                        alt_text=f"Training loss of {len(order)} run(s); the newest, "
                        f"{focus['name']}: " + labs.playground_observed(res))
            if complete:
                layout.verdict("lab3")
if on:
    fn = res["first_nonfinite"]
    with main:
        layout.metric_row([
            ("final loss", f"{res['final_loss']:.3g}", "mean of the last 20 finite losses"),
            ("chance loss", f"{res['chance']:.3g}", "the best loss without any memory"),
            ("first NaN/inf", f"step {fn['step']}" if fn else "never", None),
            ("steps clipped", f"{100 * res['share_clipped']:.0f}%", None)])
        if complete:
            claims.show(res, res["config"], [c for c in CLAIMS if c.name not in PROBE_CLAIMS])
        layout.how_to_read(
            "- The newest run is the bold line; earlier runs of this session are faint behind "
            "it (the switch above draws them all in colour).\n"
            "- The y-axis is logarithmic: each grid line down is the loss divided by 10.\n"
            "- The dotted line is this task's chance level, the best loss a network can reach "
            "without remembering anything. A line that settles on it learned nothing about the "
            "long-range link.\n"
            "- Losses of different tasks are not comparable (MSE vs cross-entropy). Crosses on "
            "the top edge mark NaN/inf losses; a dashed line the step of the first one.")

st.header("Inside the newest run")
if not on:
    st.caption("The gradient norms, the gradient per time step and the table of runs appear "
               "here once you commit above and the run has trained.")
else:
    cdf = labs.playground_curves(order, ghosts=not all_colour)
    c1, c2 = st.columns(2, gap="medium")
    with c1:
        thr_rule = ([{"y": thr, "label": f"norm threshold {thr:g}", "kind": "thr"}]
                    if res["config"]["clip"] == "norm" else [])
        layout.show(lines.lab_lines(cdf, "step", "grad_norm", "run", hrules=thr_rule,
                                          x_title=X_TITLE, y_title="grad norm, pre-clip (log)",
                                          height=200, mark_first_bad=False),
                    cdf[["run", "step", "grad_norm"]], key="lab3_gnorm",
                    name="lab3_gradient_norms", alt_text=(
                        "Gradient norm per training step, before clipping. Newest run: median "
                        f"{np.nanmedian(np.asarray(res['grad_norm'], float)):.3g}."))
    with c2:
        if res["probes"]:
            pdf = labs.playground_probe(res)
            prof = res["probes"][-1]["grad_norm_by_t"]
            layout.show(lines.log_lines(pdf, "t", "grad", color="when", dashed="initial",
                                         color_domain=list(dict.fromkeys(pdf["when"])),
                                         x_title="time step t (loss at the end)",
                                         y_title="||dL/dh_t|| (log)", height=200),
                        pdf, key="lab3_probe", name="lab3_gradient_by_step", alt_text=(
                            "Newest run: the gradient reaching each time step, "
                            f"{'before and after' if len(res['probes']) > 1 else 'before'} "
                            f"training; first/last {exp.first_last(res, -1):.2g}."))
    if complete:
        claims.show(res, res["config"], [c for c in CLAIMS if c.name in PROBE_CLAIMS])
    layout.how_to_read(
        "- Left: the length of the whole gradient at each step, before clipping changed it. "
        "Spikes of several orders of magnitude are exploding gradients; with norm clipping, "
        "points above the dotted line were rescaled to it.\n"
        "- Right, the newest run only: the size of the gradient the loss sends back to each "
        "time step, on a fixed batch, in float64. A line falling to the left is a vanishing "
        "gradient: the early steps, where the task hides its information, hear almost nothing. "
        "A run that was stopped or blew up has only the before-training line.")
    acc = [r for r in order if r["result"]["accuracy"] is not None]
    if acc:
        adf = labs.playground_curves(acc, ghosts=not all_colour)
        ca = res["chance_accuracy"]
        layout.show(lines.lab_lines(
            adf, "step", "accuracy", "run", log=False, x_title=X_TITLE,
            y_title="training accuracy", height=170, mark_first_bad=False,
            hrules=[{"y": ca, "label": f"guessing: {ca:.0%}", "kind": "ref"}] if ca else []),
            adf[["run", "step", "accuracy"]], key="lab3_acc", name="lab3_accuracy",
            alt_text="Training-batch accuracy per step for the classification runs.")

    st.header("Compare the runs")
    st.dataframe(labs.playground_table(order), hide_index=True, width="stretch")
    st.caption("Loss and accuracy: means over the last 20 finite training steps. 'same curve "
               "as' names an earlier run with the same settings whose loss curve matches this "
               f"one number for number. The last {runstore.MAX_RUNS} runs of this browser "
               "session are kept; reloading the page starts afresh.")
    with layout.section("Settings of each run"):
        st.dataframe(labs.playground_settings(order), hide_index=True, width="stretch")
    with layout.section("Rename, remove or download runs"):
        pick = runstore.pick(kept)
        st.selectbox("Run", [r["name"] for r in kept], key="lab3_pick")
        c1, c2, c3, c4 = st.columns([2.2, 1, 1, 1], vertical_alignment="bottom")
        c1.text_input("New name", key="lab3_name", max_chars=40,
                      placeholder="e.g. GRU baseline")
        c2.button("Rename", key="lab3_rename", width="stretch", icon=":material/edit:",
                  on_click=runstore.rename, args=(pick,))
        c3.button("Remove", key="lab3_remove", width="stretch", icon=":material/delete:",
                  on_click=runstore.remove, args=(pick,))
        c4.button("Clear all", key="lab3_clear", width="stretch",
                  icon=":material/clear_all:", on_click=runstore.clear)
        chosen = next((r for r in kept if r["name"] == pick), kept[-1])
        export.downloads(
            "lab3", {"curves": labs.playground_curves(kept, ghosts=False),
                     "runs": labs.playground_table(kept),
                     "settings": labs.playground_settings(kept)},
            script=export.script_text(chosen["result"]["config"],
                                      title=f"Lab 3, {chosen['name']}"),
            stem="lab3_runs", script_name=f"lab3_{chosen['name'][:30]}",
            meta={"script_run": chosen["name"], **chosen["result"]["config"]})
        st.caption(f"The script reproduces the run picked above: **{chosen['name']}**. The "
                   "CSV and JSON hold every kept run.")

with layout.section("Experiments to run (change one knob, keep the seed)"):
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
        "5. **Normalisation**: LSTM with and without layer norm. Faster? Does the "
        "gradient-per-step chart reach further back?\n"
        "6. **Reproducibility**: change a knob and back, and run again. The table's "
        "'same curve as' column shows the second run matches the first exactly.")
with layout.section("What the knobs do"):
    st.markdown(
        "Every knob here is one of the remedies from the lesson, and they act on different "
        "parts of the problem. **Clipping** caps the size of an update, so it stops explosions "
        "but does nothing for a signal that has already faded. **Gates** (LSTM, GRU) carry a "
        "memory that is updated by addition. The gradient along it is still multiplied at "
        "every step, but by a gate value (the LSTM's forget gate, the GRU's update gate) that "
        "training can hold near 1, which is what lets them learn long gaps. "
        "**Initialisation** sets where the multiplying starts: orthogonal and identity starts "
        "make W_hh keep every direction's length at the outset (Saxe et al. 2013; Le et al. "
        "2015). **Normalisation** keeps the hidden state's scale steady and can speed training "
        "up (Cooijmans et al. 2016); whether it carries the gradient further back in your run, "
        "the gradient-per-step chart shows. **Adam** rescales each weight's step by its recent "
        "gradient size, which blunts both tiny and huge gradients.")
layout.ending(FILE, RECIPE)
