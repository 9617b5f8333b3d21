"""Lesson section 4: what vanishing and exploding gradients do to training."""

import numpy as np
import pandas as pd
import streamlit as st

from core.claims import claims_for, finite
from core.experiments import effects as exp
from core.tasks import TASKS, make_task
from ui import charts, charts_theory, claims, demos, layout, runner, state

FILE = "s4_effects.py"
D = exp.length_sweep.defaults
B = exp.longer_budget.defaults
E = exp.exploding_run.defaults
#: The checked claims this page shows, by name (declared in core.experiments.effects).
CLAIM = {c.name: c for fn in (exp.length_sweep, exp.longer_budget, exp.exploding_run)
         for c in claims_for(fn.key)}
SHORT = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}
CELLS = {"rnn": "Vanilla tanh RNN", "lstm": "LSTM (for comparison)", "gru": "GRU (for comparison)"}
#: The longer-budget control trains this many times the sweep's steps.
BUDGET_FACTOR = B["steps"] // B["budget"]
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
    "series": "Time series: the network reads a noisy series, one value per step, each drawn "
              "afresh from a normal distribution (mean 0, variance 1). At the last step it must "
              "output the value it read T steps earlier, the very first one. It stands in for "
              "forecasting a series whose next value echoes one far back, like a seasonal "
              "pattern. Always answering the mean, 0, gives a mean squared error of 1.",
}

layout.header(FILE, (
    "Vanishing and exploding gradients show up in training in opposite ways. A vanishing "
    "gradient quietly leaves the loss at the blind-guess level once the answer depends on "
    "inputs far back; an exploding one throws the weights far out, and the run can end in NaN."))

# -- 1. where learning stops -------------------------------------------------------------------
st.subheader("Where learning stops: the same network at longer and longer dependencies")
st.markdown(
    "Language models and time series forecasts both need answers that depend on inputs many "
    "steps back: a verb agreeing with a subject a sentence ago, this week's sales echoing the "
    "same week last year. The tasks below are small, checkable versions of that need, one of "
    "them a time series.")
controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up the sweep**")
    state.presets({
        "order": {"label": "Temporal order, T up to 60 (tanh RNN)", "task": "order",
                  "tmax": 60, "cell": "rnn", "steps": 300},
        "adding": {"label": "Adding problem, T up to 60 (tanh RNN)", "task": "adding",
                   "tmax": 60, "cell": "rnn", "steps": 300},
        "series": {"label": "Time series, T up to 60 (tanh RNN)", "task": "series",
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
               "at 1 (so no single step can throw the weights far: this sweep is about "
               "vanishing).")

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


def budget_frame(b: dict) -> pd.DataFrame:
    """The longer run's training curve (log10) and its chance loss, long form."""
    n = len(b["curve_step"])
    df = pd.DataFrame({"step": list(b["curve_step"]) * 2,
                       "loss": list(b["curve_loss"]) + [b["chance"]] * n,
                       "line": [f"T = {b['T']}, training loss"] * n + ["chance"] * n,
                       "bound": [False] * n + [True] * n})
    v = pd.to_numeric(df["loss"], errors="coerce").astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        df["log10 loss"] = np.where(np.isfinite(v) & (v > 0), np.log10(v), np.nan)
    return df


def budget_chart(b: dict):
    return charts_theory.log10_lines(
        budget_frame(b), "step", "log10 loss", color="line", dashed="bound",
        x_title="training step", y_title=f"training loss ({b['loss_name']})", height=240,
        vline=(b["budget"], f"the sweep's budget: {b['budget']} steps"))


def draw_budget_partial(b: dict) -> None:
    if b.get("curve_step"):
        st.altair_chart(budget_chart(b))


with main:
    qslot = st.container()
    QUESTION = (f"A {SHORT[cell]} is trained for {steps} steps at each of the lengths "
                f"{', '.join(map(str, lengths))} ({TASKS[task].lower()}). Which lengths will it "
                "learn (final loss below half the blind-guess level)?")
    OPTIONS = ["All of them", "The short ones only: past some length it sits at chance",
               "None of them"]
    res = runner.live("s4_sweep", exp.length_sweep, params, draw=draw_partial,
                      refusal=refusal)
    r = None
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
                why="The error signal from the answer back to an input shrinks with the "
                    "distance between them (section 1). At short range enough of it arrives "
                    "to learn from. Further back, what arrives is tiny next to the signal from "
                    "nearby inputs that do not matter, and within a fixed number of steps the "
                    "network settles for the blind guess.",
                observed=(f"within {r['steps']} steps it learned up to T = {longest}; "
                          if longest else f"within {r['steps']} steps it learned none; ")
                + ", ".join(f"T={t}: {'learned' if ok else 'not learned'}"
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
        claims.show(r, params, [CLAIM["shortest_learned"], CLAIM["longest_at_chance"]],
                    inline=2)
        layout.how_to_read(
            "One point per dependency length: a fresh network trained from scratch at that T "
            f"for {r['steps']} steps, then scored on 256 new sequences. The dashed line is what "
            "a network that ignores the inputs would score. Sweeps you train on the same task "
            "in this session are added as extra lines, so an LSTM sweep can sit beside the "
            "RNN's. "
            + ("Higher is better: accuracy falls to the chance line where learning stopped."
               if r["chance_accuracy"] is not None else
               "Lower is better: the error rises to the chance line where learning stopped.")
            + " Where learning stops is a property of this run, with this budget and this "
            "seed, not a fixed limit of the network: the control below changes the budget.")
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
            "(averaged over a few steps), the dashed line the blind-guess loss. Where a length "
            "was learned, the curve leaves the line and keeps falling. Where it was not, the "
            "curve reaches the line early (whatever can be learned without the distant inputs, "
            "such as the average answer or the blanks of copy memory) and stays there for the "
            f"rest of the {r['steps']} steps. Flat for {r['steps']} steps does not mean flat "
            "for ever: the control below trains one such length for longer.")
        layout.cite("Tasks: Hochreiter & Schmidhuber (1997), Long short-term memory (temporal "
                    "order, adding); Arjovsky, Shah & Bengio (2016), arXiv:1511.06464 (copy "
                    "memory, adding); Le, Jaitly & Hinton (2015), arXiv:1504.00941 (adding).")

st.caption(TASK_NOTES[task])

# -- 1b. the step-budget control ---------------------------------------------------------------
if r is not None:
    st.markdown("**Would more steps help? The control**")
    failed = [t for t, ok in zip(r["lengths"], r["learned"]) if not ok]
    if not failed:
        st.info(f"Every length was learned within {r['steps']} steps, so there is no failure "
                "to test with a longer budget. Raise the longest T to find one.",
                icon=":material/info:")
    else:
        bparams = dict(task=r["task"], T=failed[0], cell=r["cell"], hidden_size=H,
                       steps=BUDGET_FACTOR * r["steps"], budget=r["steps"], lr=lr, seed=seed)
        st.markdown(
            f"The shortest length the sweep did not learn, T = {failed[0]}, trained again from "
            f"the same start with {BUDGET_FACTOR} times the budget ({bparams['steps']} steps). "
            f"Its first {r['steps']} steps are the sweep's run exactly.")
        best = exp.budget_seconds(r["task"], failed[0], r["cell"], H, bparams["steps"])
        bres = runner.live("s4_budget", exp.longer_budget, bparams, draw=draw_budget_partial,
                           refusal=runner.over_cap(best, "This longer run",
                                                   "Lower the steps per length."))
        if bres is None:
            st.info(f"Press **Run** to train it (about {best:.0f} s on one thread).",
                    icon=":material/hourglass_empty:")
        else:
            b = bres["result"]
            bdf = budget_frame(b)
            layout.show(budget_chart(b), bdf, key="s4_budget", name="longer_budget", alt_text=(
                f"Training loss at T = {b['T']} over {b['steps_done']} steps; at the sweep's "
                f"budget of {b['budget']} steps the held-out loss was "
                + (f"{b['loss_at_budget']:.3g}" if finite(b["loss_at_budget"]) else "not reached")
                + (f", at the end {b['final_loss']:.3g}" if finite(b["final_loss"]) else "")
                + f"; chance {b['chance']:.3g}."))
            claims.show(b, bparams, [CLAIM["not_learned_at_budget"], CLAIM["learned_later"]],
                        inline=2)
            st.caption(f"These two checks describe this one run (seed {seed}); another seed "
                       "can give a different answer.")
            layout.how_to_read(
                "Training loss on a log axis, the dashed line the blind-guess loss, the "
                "vertical line the sweep's budget. A curve that is still flat at the vertical "
                "line and drops later means the sweep's verdict was about its budget: the "
                "distant signal was weak, not absent, and enough steps of it can add up.")

# -- 2. exploding run --------------------------------------------------------------------------
st.subheader("When the gradient explodes: one huge step, then NaN")
ec, em = st.columns([1, 2.6], gap="large")
with ec, st.container(border=True):
    st.markdown("**An unstable start**")
    gain = state.slider("Recurrent gain (x W_hh)", "eg", 0.5, 5.0, E["gain"], step=0.25,
                        help="Multiplies PyTorch's default W_hh.")
    elr = state.number("Learning rate (plain SGD)", "elr", 0.001, 2.0, E["lr"], step=0.01,
                       format="%.3f")
    eact = state.select("Nonlinearity", "eact", {"tanh": "tanh", "relu": "ReLU"},
                        E["nonlinearity"])
    esteps = state.slider("Steps", "esteps", 20, 150, E["steps"], step=10, advanced=True)
    eseed = state.number("Seed (exploding run)", "eseed", 0, 999, E["seed"], step=1, advanced=True)
    st.caption(f"Adding problem, T = {E['seq_len']}, H = {E['hidden_size']}, batch 32. Three "
               "runs from the same weights and batches: no clipping; W_hh frozen, the control "
               "(the gradient still flows back through W_hh, but W_hh never changes); and norm "
               "clipping at 1.")
eparams = dict(E, gain=gain, lr=elr, nonlinearity=eact, steps=esteps, seed=int(eseed))
eres = demos.run(exp.exploding_run, **eparams)
bad = eres["first_nonfinite_raw"]
bad_frozen = eres["first_nonfinite_frozen"]
RUNS = (("raw", "no clipping"), ("frozen", "W_hh frozen"), ("clipped", "clipped at 1"))
with em:
    rows = []
    for run, label in RUNS:
        for s, lv, gv, wv in zip(eres["step"], eres[f"loss_{run}"], eres[f"grad_norm_{run}"],
                                 eres[f"w_hh_norm_{run}"]):
            rows.append((s, lv, gv, wv, label))
    edf = pd.DataFrame(rows, columns=["step", "loss", "grad_norm", "w_hh_norm", "run"])
    for col in ("loss", "grad_norm", "w_hh_norm"):  # log10 of finite positive values
        v = pd.to_numeric(edf[col], errors="coerce").astype(float).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            edf[f"log10 {col}"] = np.where(np.isfinite(v) & (v > 0), np.log10(v), np.nan)
    domain = [label for _, label in RUNS]
    vline = (bad["step"], f"first NaN/inf: step {bad['step']}") if bad else None
    lc, gc = st.columns(2, gap="medium")
    with lc:
        layout.show(charts_theory.log10_lines(
            edf, "step", "log10 loss", color="run", x_title="training step",
            y_title="training loss (MSE)", height=260, color_domain=domain, vline=vline),
            edf, key="s4_explode_loss", name="exploding_loss", alt_text=(
                (f"Without clipping the loss turns non-finite at step {bad['step']} (first in "
                 f"the {bad['where']}); every later step stays non-finite. "
                 if bad else "Without clipping the loss stays finite for these settings. ")
                + (f"With W_hh frozen it turns non-finite at step {bad_frozen['step']}. "
                   if bad_frozen else "With W_hh frozen it stays finite. ")
                + f"With clipping the final loss is {eres['loss_clipped'][-1]:.3g}."))
    with gc:
        finite_g = edf["grad_norm"][np.isfinite(edf["grad_norm"])]
        layout.show(charts_theory.log10_lines(
            edf, "step", "log10 grad_norm", color="run", x_title="training step",
            y_title="gradient norm before clipping", height=260, color_domain=domain,
            vline=vline),
            edf, key="s4_explode_grad", name="exploding_grad_norm", alt_text=(
                "Gradient norm per step for the three runs; largest finite value: "
                f"{finite_g.max() if len(finite_g) else float('nan'):.3g}."))
    wc, cc = st.columns(2, gap="medium")
    with wc:
        layout.show(charts_theory.log10_lines(
            edf, "step", "log10 w_hh_norm", color="run", x_title="training step",
            y_title="size of W_hh (norm)", height=260, color_domain=domain, vline=vline),
            edf, key="s4_explode_whh", name="exploding_w_hh_norm", alt_text=(
                f"Norm of W_hh per step; it starts at {eres['w_hh_norm_start']:.3g}; without "
                "clipping its largest finite value is "
                f"{exp.max_finite(eres['w_hh_norm_raw']):.3g}."))
    with cc:
        st.markdown("**About this one run** (with another seed the unclipped run may not blow "
                    "up at all):")
        claims.show(eres, eparams, [CLAIM[n] for n in (
            "raw_two_phases", "saturates", "readout_takes_over",
            "clipped_sees_smaller_gradients")])
        st.markdown("**Also checked over seeds 0 to 4** at the default settings:")
        claims.show(eres, eparams, [CLAIM["frozen_stays_finite"],
                                    CLAIM["clipped_stays_finite"]], inline=2)
    growth = exp.w_hh_growth(eres)
    layout.metric_row([
        ("first non-finite step", str(bad["step"]) if bad else "none", "step at which a "
         "NaN or inf first appeared in the run without clipping"),
        ("appeared in", (bad["where"] if bad["where"] == bad["tensor"] else
                         f"{bad['where']}: {bad['tensor']}") if bad else "-",
         "the loss, a gradient, or the weights after the update"),
        ("W_hh grew", f"x{growth:.2g}" if finite(growth) else "-",
         "largest finite norm of W_hh in the run without clipping, over its starting norm"),
        ("readout's limit", f"lr {eres['readout_lr_limit']:.2g}" + (
            f" → {exp.readout_limit_before_nan(eres):.2g}"
            if bad and finite(exp.readout_limit_before_nan(eres)) else ""),
         "2 / lambda for the readout alone: plain SGD on the readout diverges above this "
         "learning rate, whatever the recurrence does. At the start, and (after the arrow) "
         "in the ten steps before the first NaN of the run without clipping"),
    ])
    if bad_frozen is not None:
        st.warning(
            f"The control blew up too (step {bad_frozen['step']}), with W_hh never changing. "
            f"So this NaN does not need the recurrent weights to move: at learning rate "
            f"{elr:g} another layer is unstable on its own (the readout's limit at the start "
            f"is {eres['readout_lr_limit']:.3g}). Lower the learning rate to see the exploding "
            "gradient through the recurrence on its own.", icon=":material/warning:")
    if CLAIM["raw_two_phases"].holds(eres):
        story = (
            "Read the unclipped run in two phases. First the gradient on W_hh, which travels "
            "back through all the time steps, grows large, and plain SGD steps throw W_hh far "
            "out (the W_hh chart). "
            + ("The hidden units are pushed to the ends of tanh's range, which lowers the "
               f"learning rate the readout can take below this run's {elr:g} (metrics above). "
               "Then the readout overshoots, further every step, until the numbers overflow "
               "(the loss chart). " if CLAIM["readout_takes_over"].holds(eres) else
               "Later the loss overflows (the loss chart). ")
            + ("The control shows the first phase is needed: with W_hh frozen, the same start, "
               "batches and learning rate stay finite. " if bad_frozen is None else ""))
    elif bad is not None:
        story = ("In this run the loss turned non-finite without W_hh being thrown out first: "
                 "compare the control to see whether the recurrence is needed for it at all. ")
    else:
        story = ("In this run the unclipped loss stays finite: the gradient through the "
                 "recurrence did not grow enough to throw the weights out. A larger gain or "
                 "learning rate may change that. ")
    layout.how_to_read(
        "All three charts have logarithmic y-axes (powers of ten). Red triangles along the "
        "bottom mark steps whose value was NaN or inf; the dashed vertical line marks the first "
        "one in the unclipped run. " + story
        + "Once one weight is NaN, every output, loss and gradient computed from it is NaN "
        "too: only a restart or an earlier checkpoint helps. With clipping at 1 every step "
        f"moves the weights by at most the learning rate ({elr:g}), so W_hh cannot jump; "
        "clipping prevents the crash, and whether the network then learns the task is another "
        "question (section 5a).")
    layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063: exploding gradients and "
                "norm clipping (section 3.2).")

layout.explain(
    "Vanishing and exploding gradients fail in opposite styles. Vanishing is silent: training "
    "runs, the loss may fall a little, and nothing says the model has learned only short-range "
    "patterns; the chance line is the tell, and so is a longer budget. Exploding is loud: the "
    "gradient norm jumps by orders of magnitude, the weights are thrown out, and the run may "
    "end in NaN. Before blaming the recurrence for a NaN, run the control: freeze W_hh, and "
    "check the learning rate against what the other layers can take. The first failure is "
    "addressed by changing the architecture or the start (gated cells, careful initialisation: "
    "sections 5b and 6); the second mostly by bounding the step (clipping: section 5a).",
    title="Two failures, two signatures")

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

# the exploding run and its control: plain SGD from a large recurrent gain, NaN kept
task = make_task("adding", {E['seq_len']})
for frozen in (False, True):
    model = build_model("rnn", 2, {E['hidden_size']}, 1, nonlinearity="{eact}", gain={gain},
                        seed={int(eseed)})
    model.cell.weight_hh.requires_grad_(not frozen)  # frozen: W_hh never changes
    hist = train(model, task, optimizer="sgd", lr={elr}, steps={esteps}, batch_size=32,
                 seed={int(eseed)}, stop_on_nonfinite=False)
    print("W_hh frozen" if frozen else "W_hh trained", hist.first_nonfinite)
""")
layout.footer(FILE)
