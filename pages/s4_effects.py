"""Lesson section 4: what vanishing and exploding gradients do to training."""

import numpy as np
import pandas as pd
import streamlit as st

from core.experiments import effects as exp
from core.tasks import TASKS, make_task
from ui import charts, charts_theory, demos, layout, runner, state

FILE = "s4_effects.py"
D = exp.length_sweep.defaults
E = exp.exploding_run.defaults
SHORT = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}
CELLS = {"rnn": "Vanilla tanh RNN", "lstm": "LSTM (for comparison)", "gru": "GRU (for comparison)"}
TASK_NOTES = {
    "order": "Temporal order: two marked symbols (X or Y) hide among random distractors, the "
             "first early in the sequence; at the end the network must say which pair came, in "
             "order (4 classes). Guessing gives 25% accuracy and a loss of ln 4 = 1.386.",
    "adding": "Adding problem: a stream of random numbers in [0, 1] with two of them marked, one "
              "in each half; at the end the network must output their sum. Always answering 1 "
              "gives a mean squared error of 1/6 = 0.167.",
    "copy": "Copy memory: 10 symbols, then T blanks, then a go signal; the network must replay "
            "the 10 symbols. Guessing gives 1/8 accuracy on them, and a loss of "
            "10 ln 8 / (T + 20) per step (it shrinks with T because blanks are easy).",
}

layout.header(FILE, (
    "The two previous sections measured gradients. This one measures what a learner actually "
    "cares about: **does the network learn?** A vanishing gradient does not crash anything; it "
    "quietly leaves the network unable to connect an answer to an input far back, so the loss "
    "sits at the level of a blind guess. An exploding gradient is loud: the loss jumps, then "
    "turns into NaN, and the weights are ruined for good."))

# -- 1. where learning stops -------------------------------------------------------------------
st.subheader("Where learning stops: the same network at longer and longer dependencies")
controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up the sweep**")
    state.presets({
        "order": {"label": "Temporal order, T up to 60 (tanh RNN)", "task": "order",
                  "tmax": 60, "cell": "rnn", "steps": 300},
        "adding": {"label": "Adding problem, T up to 60 (tanh RNN)", "task": "adding",
                   "tmax": 60, "cell": "rnn", "steps": 300},
        "lstm": {"label": "Same sweep, LSTM instead", "task": "order", "tmax": 60,
                 "cell": "lstm", "steps": 300},
        "short": {"label": "Short range only: T up to 24", "task": "order", "tmax": 24,
                  "cell": "rnn", "steps": 300},
    })
    task = state.select("Task", "task", TASKS, D["task"])
    t_max = state.slider("Longest dependency T", "tmax", 20, 200, D["t_max"], step=2,
                         help="Five lengths from about T/6 up to this value are trained.")
    cell = state.select("Network", "cell", CELLS, D["cell"])
    steps = state.slider("Training steps per length", "steps", 100, 1500, D["steps"], step=50)
    H = state.slider("Hidden size H", "H", 16, 128, D["hidden_size"], step=16, advanced=True)
    lr = state.number("Learning rate (Adam)", "lr", 1e-4, 0.1, D["lr"], step=1e-3,
                      format="%.4f", advanced=True)
    seed = state.seed(D["seed"])
    lengths = exp.sweep_lengths(task, t_max)
    st.caption(f"Lengths trained: {', '.join(map(str, lengths))}. Adam, batch 64, norm clipping "
               "at 1 (so nothing explodes: this sweep isolates vanishing).")

params = dict(task=task, t_max=t_max, cell=cell, hidden_size=H, steps=steps, lr=lr, seed=seed)
est = exp.sweep_seconds(task, t_max, cell, H, steps)
refusal = runner.over_cap(est, "These settings",
                          "Lower the longest T, the steps or the hidden size.")

SCORE = {True: "accuracy at the end", False: "mean squared error at the end"}


def run_label(r: dict) -> str:
    """How a sweep is named in the legend: network and training budget."""
    return f"{SHORT[r['cell']]}, {r['steps']} steps"


def score_frame(r: dict) -> tuple[pd.DataFrame, dict, str]:
    """Final score per length, the chance line, and the axis title."""
    classify = r["chance_accuracy"] is not None
    if classify:
        vals = r["final_accuracy"]
        chance = {f"chance ({100 * r['chance_accuracy']:.1f}%)": r["chance_accuracy"]}
    else:
        vals = r["final_loss"]
        chance = {f"chance (MSE {r['chance_loss'][0]:.3f})": r["chance_loss"][0]} \
            if r["chance_loss"] else {}
    df = pd.DataFrame({"T": r["lengths"], "score": [np.nan if v is None else v for v in vals],
                       "run": run_label(r)})
    return df, chance, SCORE[classify]


def curve_frame(r: dict) -> pd.DataFrame:
    """Training curves, long form, with each length's chance loss (also for a length still
    training, whose chance is not in the partial result yet)."""
    df = pd.DataFrame({"T": r["curve_T"], "step": r["curve_step"], "loss": r["curve_loss"]})
    chance = {int(t): make_task(r["task"], int(t)).chance for t in set(r["curve_T"])}
    df["chance"] = [chance[int(t)] for t in df["T"]]
    return df


def draw_partial(r: dict) -> None:
    """What the live runner draws while a sweep trains: the curves so far."""
    if r.get("curve_T"):
        st.altair_chart(charts_theory.facet_curves(curve_frame(r), y_title="training loss",
                                                   height=170))


with main:
    qslot = st.container()
    QUESTION = (f"A {SHORT[cell]} is trained for {steps} steps at each of the lengths "
                f"{', '.join(map(str, lengths))} ({TASKS[task].lower()}). Which lengths will it "
                "learn (final loss below half the blind-guess level)?")
    OPTIONS = ["All of them", "The short ones only: past some length it sits at chance",
               "None of them"]
    res = runner.live("s4_sweep", exp.length_sweep, params, draw=draw_partial,
                      refusal=refusal)
    if res is None:
        with qslot, st.container(border=True):  # the same radio layout.predict draws
            st.markdown(f":material/psychology: **Predict first.** {QUESTION}")
            st.radio("Your prediction", OPTIONS, index=None, key="predict_s4",
                     label_visibility="collapsed")
            st.caption("Commit to an answer, then press Run: the verdict appears here.")
        st.info("No result for these settings yet: press **Run** (about "
                f"{est:.0f} s on one thread).", icon=":material/hourglass_empty:")
    else:
        r = res["result"]
        learned = r["learned"]
        n_ok = sum(learned)
        correct = 0 if learned and all(learned) else (2 if n_ok == 0 else 1)
        longest = max([t for t, ok in zip(r["lengths"], learned) if ok], default=None)
        with qslot:
            layout.predict(
                "s4", QUESTION, OPTIONS, correct=correct,
                why="A vanilla RNN's gradient from the marked inputs shrinks geometrically with "
                    "their distance from the answer (section 1). At short range enough signal "
                    "arrives to learn from; past a few dozen steps it is swamped by the "
                    "gradient from nearby, irrelevant inputs, and the network settles for the "
                    "blind guess. Gated cells keep a path along which the signal does not "
                    "shrink, so they reach further.",
                observed=(f"learned up to T = {longest}; " if longest else "learned none; ")
                + ", ".join(f"T={t}: {'learned' if ok else 'chance'}"
                            for t, ok in zip(r["lengths"], learned)) + ".")
        sdf, chance, ytitle = score_frame(r)
        # earlier sweeps of this session on the same task, for comparison (e.g. RNN vs LSTM)
        others = [o["result"] for o in runner.runs_for("s4_sweep")
                  if o["result"] is not r and o["result"].get("task") == task
                  and o["result"].get("lengths") and run_label(o["result"]) != run_label(r)]
        for o in others[-3:]:
            sdf = pd.concat([sdf, score_frame(o)[0]], ignore_index=True)
        layout.show(charts.lines(sdf, "T", "score", color="run", x_title="dependency length T",
                                 y_title=ytitle, rules=chance, height=280),
                    sdf, key="s4_score", name="score_by_length", alt_text=(
                        f"{ytitle} against T for {run_label(r)}: " + ", ".join(
                            f"T={t}: {v:.3g}" for t, v in zip(r["lengths"], score_frame(r)[0]
                                                               ["score"]))
                        + "".join(f". Chance: {v:.3g}." for v in chance.values())))
        layout.how_to_read(
            "One point per dependency length: a fresh network trained from scratch at that T, "
            "then scored on 256 new sequences. The dashed line is what a network that ignores "
            "the inputs would score. Sweeps you train on the same task in this session are "
            "added as extra lines, so an LSTM sweep can sit beside the RNN's. "
            + ("Higher is better: accuracy drops to the chance line where learning stops."
               if r["chance_accuracy"] is not None else
               "Lower is better: the error rises to the chance line where learning stops.")
            + " The drop is usually sudden, not gradual: below some length the marked inputs "
            "are still reachable, above it the gradient they send is too small to matter.")
        st.markdown("**Convergence, side by side**")
        cdf = curve_frame(r)
        layout.show(charts_theory.facet_curves(cdf, y_title=f"training loss ({r['loss_name']})",
                                               height=190),
                    cdf, key="s4_curves", name="convergence_by_length", alt_text=(
                        "Training loss per step for each length; " + ", ".join(
                            f"T={t} ends at {v:.3g} (chance {c:.3g})" for t, v, c in
                            zip(r["lengths"], r["final_loss"], r["chance_loss"])) + "."))
        layout.how_to_read(
            "Each panel is one length (shortest on the left), training loss on a log axis "
            "(averaged over a few steps), the dashed line the blind-guess loss. At short T the "
            "curve leaves the line and keeps falling. At long T it reaches the line quickly "
            "(whatever can be learned without the distant inputs, such as the average answer "
            "or the blanks of copy memory) and then stays flat: the gradient that would teach "
            "it the rest arrives too weak, so more steps do not help.")
        layout.cite("Tasks: Hochreiter & Schmidhuber (1997), Long short-term memory (temporal "
                    "order, adding); Arjovsky, Shah & Bengio (2016), arXiv:1511.06464 (copy "
                    "memory, adding); Le, Jaitly & Hinton (2015), arXiv:1504.00941 (adding).")

st.caption(TASK_NOTES[task])

# -- 2. exploding run --------------------------------------------------------------------------
st.subheader("When the gradient explodes: the loss curve after a NaN")
ec, em = st.columns([1, 2.6], gap="large")
with ec, st.container(border=True):
    st.markdown("**An unstable start**")
    gain = state.slider("Recurrent gain (x W_hh)", "eg", 0.5, 5.0, E["gain"], step=0.25,
                        help="Multiplies PyTorch's default W_hh.")
    elr = state.number("Learning rate (plain SGD)", "elr", 0.001, 2.0, E["lr"], step=0.05,
                       format="%.3f")
    eact = state.select("Nonlinearity", "eact", {"tanh": "tanh", "relu": "ReLU"},
                        E["nonlinearity"])
    esteps = state.slider("Steps", "esteps", 20, 150, E["steps"], step=10, advanced=True)
    st.caption(f"Adding problem, T = {E['seq_len']}, H = {E['hidden_size']}, batch 32. Two runs "
               "from the same weights and batches: no clipping, and norm clipping at 1.")
eres = demos.run(exp.exploding_run, gain=gain, lr=elr, nonlinearity=eact, steps=esteps)
bad = eres["first_nonfinite_raw"]
with em:
    rows = []
    for run, label in (("raw", "no clipping"), ("clipped", "norm clipping at 1")):
        for s, lv, gv in zip(eres["step"], eres[f"loss_{run}"], eres[f"grad_norm_{run}"]):
            rows.append((s, lv, gv, label))
    edf = pd.DataFrame(rows, columns=["step", "loss", "grad_norm", "run"])
    for col in ("loss", "grad_norm"):  # log10 of finite positive values; NaN/inf stay marked
        v = pd.to_numeric(edf[col], errors="coerce").astype(float).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            edf[f"log10 {col}"] = np.where(np.isfinite(v) & (v > 0), np.log10(v), np.nan)
    domain = ["no clipping", "norm clipping at 1"]
    lc, gc = st.columns(2, gap="medium")
    with lc:
        ch = charts_theory.log10_lines(
            edf, "step", "log10 loss", color="run", x_title="training step",
            y_title="training loss (MSE)", height=280, color_domain=domain,
            vline=(bad["step"], f"first NaN/inf: step {bad['step']}") if bad else None)
        layout.show(ch, edf, key="s4_explode_loss", name="exploding_loss", alt_text=(
            (f"Without clipping the loss climbs and turns non-finite at step {bad['step']} "
             f"(first in the {bad['where']}); every later step stays NaN. "
             if bad else "Without clipping the loss stays finite for these settings. ")
            + f"With clipping the final loss is {eres['loss_clipped'][-1]:.3g}."))
    with gc:
        finite_g = edf["grad_norm"][np.isfinite(edf["grad_norm"])]
        layout.show(charts_theory.log10_lines(edf, "step", "log10 grad_norm", color="run",
                                              x_title="training step",
                                              y_title="gradient norm before clipping",
                                              height=280, color_domain=domain),
                    edf, key="s4_explode_grad", name="exploding_grad_norm", alt_text=(
                        "Gradient norm per step for both runs; largest finite value: "
                        f"{finite_g.max() if len(finite_g) else float('nan'):.3g}."))
    layout.metric_row([
        ("first non-finite step", str(bad["step"]) if bad else "none", "step at which a "
         "NaN or inf first appeared in the run without clipping"),
        ("appeared in", (bad["where"] if bad["where"] == bad["tensor"] else
                         f"{bad['where']}: {bad['tensor']}") if bad else "-",
         "the loss, a gradient, or the weights after the update"),
        ("W_hh non-finite", f"{100 * eres['nonfinite_weights_raw']:.0f}%",
         "at the end of the run without clipping"),
        ("final loss, clipped", f"{eres['loss_clipped'][-1]:.3g}",
         f"chance is {eres['chance']:.3f}"),
    ])
    layout.how_to_read(
        "Both y-axes are logarithmic (powers of ten). Red triangles along the bottom mark "
        "steps whose value was NaN or inf; the dashed vertical line marks the first. Before it, the unclipped loss "
        "does not descend, it **jumps by orders of magnitude** as each huge gradient throws the "
        "weights further out. Once one weight is NaN, every output, loss and gradient computed "
        "from it is NaN too, so the curve never comes back: the run is over and only a restart "
        "(or an earlier checkpoint) helps. The clipped run sees the same huge raw gradients "
        "(right chart) but takes bounded steps, so its loss stays finite; from "
        "such a bad start it still learns little in a few dozen steps. Clipping prevents the "
        "crash, it does not cure the cause. Section 5a explains it properly.")
    layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063, section 3.2 (norm "
                "clipping).")

layout.explain(
    "Vanishing and exploding gradients fail in opposite styles. Vanishing is silent: training "
    "runs, the loss goes down a little, and you may not notice that the model has learned only "
    "short-range patterns; the chance line is the tell. Exploding is loud: spikes in the loss, "
    "gradient norms of 10^5 and more, then NaN. The first is fixed by changing the architecture "
    "or the start (gated cells, careful initialisation: sections 5b and 6); the second mostly by "
    "bounding the step (clipping: section 5a).", title="Two failures, two signatures")

layout.code(f"""
from core.models import build_model
from core.tasks import make_task
from core.training import train, evaluate

for T in {lengths}:
    task = make_task("{task}", T)
    model = build_model("{cell}", task.input_size, {H}, task.output_size, seed={seed})
    hist = train(model, task, optimizer="adam", lr={lr}, clip="norm", clip_threshold=1.0,
                 steps={steps}, batch_size=64, seed={seed})
    print(T, evaluate(model, task), "chance loss", round(task.chance, 3))

# the exploding run: plain SGD from a large recurrent gain, NaN kept in the history
task = make_task("adding", {E['seq_len']})
model = build_model("rnn", 2, {E['hidden_size']}, 1, nonlinearity="{eact}", gain={gain}, seed=0)
hist = train(model, task, optimizer="sgd", lr={elr}, steps={esteps}, batch_size=32,
             stop_on_nonfinite=False)
print(hist.first_nonfinite, hist.column("loss")[-5:])
""")
layout.footer(FILE)
