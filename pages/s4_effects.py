"""Lesson section 4: what vanishing and exploding gradients do to training."""

import pandas as pd
import streamlit as st

from core import cost
from core.claims import claims_for, finite
from core.experiments import effects as exp
from core.labels import cell_name
from core.tasks import TASKS, make_task
from ui import claims, demos, frames, layout, notebook, palette, runner, state
from ui import words_effects as words
from ui.charts import lines
from ui.glossary import term

FILE = "s4_effects.py"
D = exp.length_sweep.defaults
B = exp.longer_budget.defaults
E = exp.exploding_run.defaults
#: The checked claims this page shows, by name (declared in core.experiments.effects).
CLAIM = {c.name: c for fn in (exp.length_sweep, exp.longer_budget, exp.exploding_run)
         for c in claims_for(fn.key)}
CELLS = {"rnn": "Vanilla tanh RNN", "lstm": "LSTM (for comparison)", "gru": "GRU (for comparison)"}
#: The longer-budget control trains this many times the sweep's steps.
BUDGET_FACTOR = B["steps"] // B["budget"]
#: The exploding run's three runs (result key, legend label) and their colours.
RUNS = (("raw", "no clipping"), ("frozen", "W_hh frozen"), ("clipped", "clipped at 1"))
RUN_COLORS = [palette.BAD, palette.OKABE_ITO[0], palette.OKABE_ITO[3]]
layout.header(FILE, f"""
    Trained for a fixed number of steps, a plain RNN learns a
    {term('long-term dependency', 'dependency')} a few steps long, then stops learning once
    the input that matters lies further back: its loss settles at the
    {term('chance baseline', 'blind-guess level')}. Find where that happens, then watch the
    loud opposite failure, an {term('exploding gradient')}.""",
    short="How far back can a plain RNN learn from, in a fixed number of steps?")

controls, main = layout.beside()
with controls:
    PRESETS = {
        "order": {"label": "Temporal order, T up to 60", "task": "order", "tmax": 60,
                  "cell": "rnn", "steps": 300},
        "adding": {"label": "Adding problem, T up to 60", "task": "adding", "tmax": 60,
                   "cell": "rnn", "steps": 300},
        "series": {"label": "Time series, T up to 60", "task": "series", "tmax": 60,
                   "cell": "rnn", "steps": 300},
        "lstm": {"label": "Same sweep, LSTM instead", "task": "order", "tmax": 60,
                 "cell": "lstm", "steps": 300},
        "short": {"label": "Short range only: T up to 24", "task": "order", "tmax": 24,
                  "cell": "rnn", "steps": 300},
    }
    state.presets(PRESETS, defaults={"task": D["task"], "tmax": D["t_max"], "cell": D["cell"],
                                     "steps": D["steps"]})
    task = state.select("Task", "task", TASKS, D["task"])
    st.caption(words.TASK_NOTES[task])
    t_max = state.slider("Longest dependency T", "tmax", 20, 200, D["t_max"], step=2,
                         help="Five lengths from about T/6 up to this value are trained.")
    cell = state.select("Network", "cell", CELLS, D["cell"])
    steps = state.slider("Training steps per length", "steps", 100, 1500, D["steps"], step=50)
    with layout.more_settings():
        H = state.slider("Hidden size H", "H", 16, 128, D["hidden_size"], step=16,
                         advanced=True)
        lr = state.number("Learning rate (Adam)", "lr", 1e-4, 0.1, D["lr"], step=1e-3,
                          format="%.4f", advanced=True)
        seed = state.seed(D["seed"])
    lengths = exp.sweep_lengths(task, t_max)
    st.caption(f"Lengths: {', '.join(map(str, lengths))}. Adam, batch 64, norm clipping at 1 "
               "(nothing can explode here: this sweep is about vanishing).")

params = dict(task=task, t_max=t_max, cell=cell, hidden_size=H, steps=steps, lr=lr, seed=seed)
est = cost.estimate("effects.length_sweep", params)
refusal = runner.over_cap(est, "These settings", "Lower the longest T, the steps or H.")
OPTIONS = ["All of them: it reads every input", "Only the short ones: then it stays at chance",
           "None: a plain RNN can't learn this task"]
X_TITLE = "dependency length T"
classify = make_task(task, lengths[-1]).chance_accuracy is not None
Y_TITLE = "accuracy at the end" if classify else "mean squared error at the end"
fmt = "{:.0%}" if classify else "{:.3g}"
RECIPE = notebook.Recipe(exp.length_sweep, params, frames.score_frame, lines.score_chart, dict(
    percent=classify, y_title=Y_TITLE, height=280), headline=("lengths", "learned", "final_loss"))

with main:
    held = runner.after_prediction(
        "s4_sweep", "s4", exp.length_sweep, params, refusal=refusal,
        draw=lambda p: p.get("curve_T") and layout.draw_chart(
            lines.ratio_curves.uncached(frames.curve_frame(p), height=200)))
    r, complete = held.result, held.complete
    with held.ask:
        shown = layout.prediction(
            FILE, "s4", f"A {cell_name(cell)} trains {steps} steps at each length "
            f"T = {', '.join(map(str, lengths))} ({TASKS[task].lower()}). Which does it learn, "
            "ending under half the chance loss?", OPTIONS,
            correct=(0 if all(r["learned"]) else 2 if not any(r["learned"]) else 1)
            if complete else 1,
            why="Each step back multiplies the error signal by that step's Jacobian, and in a "
                "plain RNN the product shrinks fast with the distance (section 1). A short "
                "dependency gets enough signal to learn from; from further back, the input "
                "that matters is drowned out by nearby ones that do not, and within the budget "
                "the network settles for the blind guess.",
            observed=(f"within {r['steps']} steps, " + "; ".join(
                f"T = {t}: {'learned' if ok else 'not learned'}"
                for t, ok in zip(r["lengths"], r["learned"])) + ".") if complete else None)
    with held.top:
        if not shown or r is None or not r["lengths"]:
            held.held_back(shown, X_TITLE, Y_TITLE)
        else:
            sdf = RECIPE.table(r)
            # earlier sweeps of this session on the same task, for comparison (e.g. RNN vs LSTM)
            older = [o["result"] for o in runner.runs_for("s4_sweep")
                     if o["result"] is not r and o["result"].get("task") == task
                     and o["result"].get("lengths")
                     and frames.run_label(o["result"]) != frames.run_label(r)]
            for o in older[-3:]:
                sdf = pd.concat([sdf, frames.score_frame(o)], ignore_index=True)
            mine = sdf[sdf["run"] == frames.run_label(r)]
            layout.show(RECIPE.chart(sdf), sdf,
                        key="s4_score", name="score_by_length", alt_text=(
                            f"{Y_TITLE} against T for {frames.run_label(r)}: " + ", ".join(
                                f"T = {t}: {fmt.format(v)} ({w.split(' (')[0]})" for t, v, w in
                                zip(mine["T"], mine["score"], mine["verdict"]))
                            + f". Blind guess: {fmt.format(mine['chance'].iloc[-1])}."))
            if complete:
                layout.verdict("s4")

if shown and r is not None and r["lengths"]:
    longest = max([t for t, ok in zip(r["lengths"], r["learned"]) if ok], default=None)
    with main:
        layout.metric_row([
            ("longest T learned", "none" if longest is None else str(longest),
             "the longest length whose final loss fell below half the blind-guess loss"),
            (f"score at T = {r['lengths'][-1]}", fmt.format(mine["score"].iloc[-1]),
             f"{Y_TITLE} on 256 fresh sequences"),
            ("blind guess", fmt.format(mine["chance"].iloc[-1]),
             "what a network that ignores the inputs scores"),
        ])
        if complete:
            claims.show(r, params, [CLAIM["shortest_learned"], CLAIM["longest_at_chance"]])
        else:
            st.caption("The checks on this sweep appear once every length has trained.")
        layout.how_to_read(
            "- T, the dependency length, is how many steps separate the input that matters "
            "from the step where the answer is due.\n"
            "- One point per length: a fresh network trained from scratch at that T for "
            f"{r['steps']} steps, then scored on 256 new sequences. A filled dot is a length "
            "it learned (final loss below half the blind-guess loss), a hollow one a length it "
            "did not.\n"
            "- The dotted line is the blind guess: what a network that ignores the inputs "
            "scores. " + ("Higher is better: accuracy falls to it where learning stopped.\n"
                          if classify else
                          "Lower is better: the error rises to it where learning stopped.\n")
            + "- Sweeps you train on the same task in this session stay on the chart, so an "
            "LSTM sweep can sit beside the RNN's.\n"
            "- Where learning stops belongs to this run, its budget and its seed, not to the "
            "network for ever: the control below trains one failed length for longer.\n\n"
            ":material/menu_book: Tasks from Hochreiter & Schmidhuber (1997), Long short-term "
            "memory (temporal order, adding); Arjovsky, Shah & Bengio (2016), arXiv:1511.06464 "
            "(copy memory, adding); Le, Jaitly & Hinton (2015), arXiv:1504.00941 (adding).")
        layout.code_for(exp.length_sweep, params, show=RECIPE.headline)

# -- go deeper: each length's training, the longer budget -------------------------------------
if not (shown and r is not None and r["lengths"]):
    st.header("Inside the sweep")
    st.caption("Each length's training curve, and the same network given more steps, appear "
               "here once you commit above.")
else:
    left, right = st.columns([1, 1.2], gap="large")
    with left:
        st.header("How each length trained")
        cdf = frames.curve_frame(r)
        layout.show(lines.ratio_curves(cdf, height=180), cdf, key="s4_curves",
                    name="convergence_by_length", alt_text=(
                        "Training loss as a fraction of the blind-guess loss, per step, for each "
                        "length; " + ", ".join(
                            f"T = {t} ends at {v / c:.2g} of it" for t, v, c in
                            zip(r["lengths"], r["final_loss"], r["chance_loss"])) + "."))
        layout.how_to_read(
            "Each line is one length, darker for longer. The y-axis divides the training loss "
            "(averaged over a few steps) by that length's blind-guess loss, on a log scale: the "
            "dotted line at 1 is the blind guess, the dashed line at ½ the bar for *learned*. "
            "A learned length leaves the dotted line and keeps falling. A length not learned "
            "comes down to the dotted line early (what can be learned without the distant "
            "input, such as the average answer or the blanks of copy memory) and stays on it "
            f"for the rest of the {r['steps']} steps.")
    with right:
        st.header("Would more steps help?")
        failed = [t for t, ok in zip(r["lengths"], r["learned"]) if not ok] if complete else []
        if not complete:
            st.caption("The control appears once the sweep has finished.")
        elif not failed:
            st.info(f"Every length was learned within {r['steps']} steps, so there is no "
                    "failure to test with a longer budget. Raise the longest T to find one.",
                    icon=":material/info:")
        else:
            bparams = dict(task=r["task"], T=failed[0], cell=r["cell"], hidden_size=H,
                           steps=BUDGET_FACTOR * r["steps"], budget=r["steps"], lr=lr, seed=seed)
            st.markdown(
                f"T = {failed[0]}, the shortest length not learned, trains again for "
                f"{bparams['steps']} steps ({BUDGET_FACTOR} times the budget); its first "
                f"{r['steps']} are the sweep's run exactly.")
            best = cost.estimate("effects.longer_budget", bparams)
            brun = runner.live("s4_budget", exp.longer_budget, bparams,
                               draw=lambda p: p.get("curve_step") and layout.draw_chart(
                                   lines.budget_chart(p, cached=False, height=180)),
                               refusal=runner.over_cap(best, "This longer run",
                                                       "Lower the steps."))
            if brun is not None:
                b = brun["result"]
                layout.show(lines.budget_chart(b, height=180), frames.budget_frame(b), key="s4_budget",
                            name="longer_budget", alt_text=(
                                f"Training loss at T = {b['T']} over {b['steps_done']} steps; at "
                                f"the sweep's budget of {b['budget']} steps the held-out loss "
                                "was " + (f"{b['loss_at_budget']:.3g}"
                                          if finite(b["loss_at_budget"]) else "not reached")
                                + (f", at the end {b['final_loss']:.3g}"
                                   if finite(b["final_loss"]) else "")
                                + f"; blind guess {b['chance']:.3g}."))
                if runner.complete(brun):
                    claims.show(b, bparams, [CLAIM["not_learned_at_budget"],
                                             CLAIM["learned_later"]], inline=2)
                layout.how_to_read(
                    "Training loss on a log axis, the dotted line the blind-guess loss, the "
                    "dashed vertical line the sweep's budget. A curve still flat at the budget "
                    "that drops later means the sweep's verdict was about its budget: the "
                    "distant signal was weak, not absent, and enough steps of it can add up. "
                    f"The checks describe this one run (seed {seed}); another seed can give a "
                    "different answer.")

# -- the opposite failure: an exploding run -----------------------------------------------------
st.header("The loud opposite: an exploding gradient")
ec, em = layout.beside(key="budget")
with ec:
    gain = state.slider("Recurrent gain (x W_hh)", "eg", 0.5, 5.0, E["gain"], step=0.25,
                        help="Multiplies PyTorch's default W_hh.")
    elr = state.number("Learning rate (plain SGD)", "elr", 0.001, 2.0, E["lr"], step=0.01,
                       format="%.3f")
    eact = state.select("Nonlinearity", "eact", {"tanh": "tanh", "relu": "ReLU"},
                        E["nonlinearity"])
    with layout.more_settings():
        esteps = state.slider("Steps", "esteps", 20, 150, E["steps"], step=10, advanced=True)
        eseed = state.number("Seed (exploding run)", "eseed", 0, 999, E["seed"], step=1,
                             advanced=True)
    st.caption(f"Adding problem, T = {E['seq_len']}, H = {E['hidden_size']}, batch 32. Three "
               "runs from one start and the same batches: no clipping; W_hh frozen (the "
               "control: the gradient still flows back through W_hh, which never changes); "
               "norm clipping at 1.")
eparams = dict(E, gain=gain, lr=elr, nonlinearity=eact, steps=esteps, seed=int(eseed))
eres = demos.run(exp.exploding_run, **eparams)
bad, bad_frozen = eres["first_nonfinite_raw"], eres["first_nonfinite_frozen"]
edf = frames.exploding_frame(eres, RUNS)
jump = exp.whh_jump_step(eres)
evr = ([{"x": jump, "label": f"W_hh x10: step {jump}", "kind": "phase"}]
       if jump is not None else []) + ([{"x": bad["step"], "label": f"first NaN: step "
                                         f"{bad['step']}", "kind": "bad"}] if bad else [])
VIEWS = {  # what the exploding chart can show: column, axis title, text alternative
    "grad": ("grad_norm", "gradient norm before clipping (log)",
             "Gradient norm per step for the three runs; largest finite value: "
             f"{exp.max_finite(eres['grad_norm_raw'] + eres['grad_norm_frozen']):.3g}."),
    "whh": ("w_hh_norm", "size of W_hh (norm, log)",
            f"Norm of W_hh per step; it starts at {eres['w_hh_norm_start']:.3g}; without "
            f"clipping its largest finite value is {exp.max_finite(eres['w_hh_norm_raw']):.3g}."),
    "loss": ("loss", "training loss (MSE, log)",
             (f"Without clipping the loss turns non-finite at step {bad['step']} (first in the "
              f"{bad['where']}); every later step stays non-finite. " if bad else
              "Without clipping the loss stays finite. ")
             + (f"With W_hh frozen it turns non-finite at step {bad_frozen['step']}. "
                if bad_frozen else "With W_hh frozen it stays finite. ")
             + f"With clipping the final loss is {eres['loss_clipped'][-1]:.3g}."),
}
with em:
    view = state.select("Show", "eview", {"grad": "the gradient's size", "whh": "the size of W_hh",
                                          "loss": "the loss"}, "grad", radio=True)
    col, ytitle, alt_text = VIEWS[view]
    layout.show(lines.decade_run_lines(edf, "step", col, "run", order=[lab for _, lab in RUNS],
                             colors=RUN_COLORS, vrules=evr, x_title="training step",
                             y_title=ytitle, height=180),
                edf, key="s4_explode", name=f"exploding_{col}", alt_text=alt_text)
    growth = exp.w_hh_growth(eres)
    layout.metric_row([
        ("first non-finite step", str(bad["step"]) if bad else "none", "step at which a NaN or "
         "inf first appeared in the run without clipping"),
        ("appeared in", (bad["where"] if bad["where"] == bad["tensor"] else
                         f"{bad['where']}: {bad['tensor']}") if bad else "—",
         "the loss, a gradient, or the weights after the update"),
        ("W_hh grew", f"x{growth:.2g}" if finite(growth) else "—",
         "largest finite norm of W_hh in the run without clipping, over its starting norm"),
    ])
    st.caption("The checks describe this one run: with another seed the unclipped run may not "
               "blow up at all. The last two (the control and clipping stay finite) also hold "
               "over seeds 0 to 4 at the default settings.")
    claims.show(eres, eparams, [CLAIM[n] for n in (
        "raw_two_phases", "saturates", "readout_takes_over", "clipped_sees_smaller_gradients",
        "frozen_stays_finite", "clipped_stays_finite")])
if bad_frozen is not None:
    st.warning(
        f"The control blew up too (step {bad_frozen['step']}), with W_hh never changing. So this "
        f"NaN does not need the recurrent weights to move: at learning rate {elr:g} another "
        f"layer is unstable on its own (the readout's limit at the start is "
        f"{eres['readout_lr_limit']:.3g}: plain SGD on the readout alone diverges above it). "
        "Lower the learning rate to see the exploding gradient through the recurrence on its "
        "own.", icon=":material/warning:")
layout.how_to_read(
    "Switch between the gradient's size, the size of W_hh and the loss; each y-axis is "
    "logarithmic. Crosses on the top edge mark steps whose value was NaN or inf; the dashed "
    "vertical line marks the first one in the unclipped run, the dotted one the step where its "
    "W_hh passed ten times its starting size. "
    + words.exploding_story(eres) + "Once one weight is NaN, every output, loss and gradient "
    "computed from it is NaN too: only a restart or an earlier checkpoint helps. With clipping "
    f"at 1 every step moves the weights by at most the learning rate ({elr:g}), so W_hh cannot "
    "jump; clipping "
    "prevents the crash, and whether the network then learns is another question (section 5a)."
    "\n\n:material/menu_book: Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063: exploding "
    "gradients and norm clipping (section 3.2).")
layout.code_for(exp.exploding_run, eparams, show=["first_nonfinite_raw",
                                                  "first_nonfinite_frozen"],
                title="The code behind the exploding run")

with layout.section("Two failures, two signatures"):
    st.markdown(
        "Vanishing and exploding gradients fail in opposite styles. Vanishing is silent: "
        "training runs, the loss may fall a little, and nothing says the model has learned only "
        "short-range patterns; the blind-guess line is the tell, and so is a longer budget. "
        "Exploding is loud: the gradient norm jumps by orders of magnitude, the weights are "
        "thrown out, and the run may end in NaN. Before blaming the recurrence for a NaN, run "
        "the control: freeze W_hh, and check the learning rate against what the other layers "
        "can take. The first failure is addressed by changing the architecture or the start "
        "(gated cells, careful initialisation: sections 5b and 6); the second mostly by "
        "bounding the step (clipping: section 5a).")
layout.ending(FILE, RECIPE, code=False)
