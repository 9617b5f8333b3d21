"""Lab 2: a tanh RNN, an LSTM and a GRU trained side by side on long-dependency tasks, a
bracket language whose dependency distance you set, and Python's own help texts."""

import math

import numpy as np
import streamlit as st

from core import cost
from core.claims import claims_for
from core.experiments import compare as exp
from core.labels import cell_name
from core.tasks import make_task
from ui import claims, demos, frames, layout, notebook, runner, runs, state
from ui import words_compare as words
from ui.charts import heatmaps, lines

FILE = "lab2_compare.py"
DT, DB, DL = exp.tasks.defaults, exp.brackets.defaults, exp.char_lm.defaults
TASK_CLAIMS = claims_for(exp.tasks.key)
#: Shown under the loss chart; the rest under the gradient maps.
LOSS_CLAIMS = ("rnn_stays_at_chance", "gru_learns", "lstm_stuck_on_series")
STEP = "training step"

layout.header(FILE, """
    A tanh RNN, an LSTM and a GRU train on one task with the **same seed and the same
    batches**, so any gap between their curves comes from how each cell carries its memory
    from step to step. Predict, then watch all three train.""",
    short="Same task, same batches: which cell remembers across T steps?")

controls, main = layout.beside()
with controls:
    state.presets({
        "adding50": {"label": "Adding problem, T = 50", "part": "tasks",
                     "task": "adding", "T": 50, "H": 32, "steps": 500, "lr": "0.01"},
        "order40": {"label": "Temporal order, T = 40", "part": "tasks", "task": "order",
                    "T": 40, "H": 32, "steps": 500, "lr": "0.01"},
        "series20": {"label": "Time series, lag 20", "part": "tasks",
                     "task": "series", "T": 20, "H": 32, "steps": 500, "lr": "0.01"},
        "brackets20": {"label": "Brackets, k = 20", "part": "brackets", "K": 20,
                       "bH": 32, "bsteps": 600, "blr": "0.01"},
        "brackets20long": {"label": "Brackets, k = 20, 1200 steps",
                           "part": "brackets", "K": 20, "bH": 32, "bsteps": 1200,
                           "blr": "0.01"},
        "brackets40": {"label": "Brackets, k = 40 (hard)", "part": "brackets",
                       "K": 40, "bH": 32, "bsteps": 1000, "blr": "0.01"},
        "text": {"label": "English text, 200 steps", "part": "text", "tH": 64,
                 "tT": 48, "tsteps": 200, "tlr": "0.01"},
    }, default="adding50")
    part = state.select("Experiment", "part", words.PARTS, "tasks",
                        help="Each experiment trains the three cells one after another.")
    if part == "tasks":
        task = state.select("Task", "task", words.TASKS, DT["task"])
        st.caption(words.TASK_HELP[task])
        T = state.slider({"copy": "Delay T", "series": "Lag T"}.get(task, "Sequence length T"),
                         "T", 10, 200, DT["seq_len"], step=10,
                         help="How far apart the input that matters and the answer are.")
        steps = state.slider("Training steps", "steps", 50, 2000, DT["steps"], step=50)
        with layout.more_settings():
            H, lr = runs.size_and_rate("", DT)
            seed = state.seed(DT["seed"])
        params = dict(task=task, seq_len=T, hidden_size=H, steps=steps, lr=lr, seed=seed)
    elif part == "brackets":
        K = state.slider("Longest distance k", "K", 2, 100, DB["max_distance"],
                         help="The opening bracket sits 2 to k characters before the closing "
                              "one; every sequence is k + 1 characters long.")
        st.caption(words.BRACKET_HELP)
        steps = state.slider("Training steps", "bsteps", 50, 2000, DB["steps"], step=50)
        with layout.more_settings():
            H, lr = runs.size_and_rate("b", DB)
            seed = state.seed(DB["seed"])
        params = dict(max_distance=K, hidden_size=H, steps=steps, lr=lr, seed=seed)
    else:
        st.caption(words.TEXT_HELP)
        T = state.slider("Characters per window (BPTT length)", "tT", 16, 128, DL["seq_len"],
                         step=16, help="How many characters the gradient travels back through.")
        steps = state.slider("Training steps", "tsteps", 50, 1000, DL["steps"], step=50)
        with layout.more_settings():
            H, lr = runs.size_and_rate("t", DL, h_min=16, h_max=256, h_step=16)
            E = state.select("Input", "emb", {"32": "Embedding, 32 numbers per character",
                                              "0": "One-hot (one input per character)"},
                             str(DL["embed_dim"]), advanced=True)
            B = state.slider("Batch size", "tB", 8, 64, DL["batch_size"], step=8,
                             advanced=True)
            seed = state.seed(DL["seed"])
        params = dict(hidden_size=H, embed_dim=int(E), seq_len=T, steps=steps, lr=lr,
                      batch_size=B, seed=seed)
    FN = {"tasks": exp.tasks, "brackets": exp.brackets, "text": exp.char_lm}[part]
    est = cost.estimate(FN.key, params)
    st.caption(f"Training all three cells takes about {est:.0f} s on one CPU thread.")

refusal = runner.over_cap(est, "Training all three cells with these settings",
                          "Lower the steps, the length or the hidden size.",
                          cap=exp.CAP_SECONDS)
KEY = f"lab2_{part}"
if part == "tasks":
    X_TITLE, Y_TITLE = STEP, "loss on the batch (log scale)"
    chance = make_task(task, T).chance
    RECIPE = notebook.Recipe(exp.tasks, params, frames.compare_task_loss, lines.curves, dict(
        x="step", y="loss", log_y=True, x_title=STEP, y_title=Y_TITLE,
        rules={f"chance ({chance:.3g})": chance}, height=280), headline=("chance", "eval_loss_rnn", "eval_loss_lstm", "eval_loss_gru"))
elif part == "brackets":
    X_TITLE, Y_TITLE = STEP, "accuracy at the closing bracket"
    RECIPE = notebook.Recipe(exp.brackets, params, frames.compare_bracket_accuracy, lines.curves,
                             dict(x="step", y="accuracy", x_title=STEP, y_title=Y_TITLE,
                                  y_domain=(0, 1), rules={"chance 1/4": 0.25}, height=280),
                             headline=("chance_accuracy", "best_loss"))
else:
    X_TITLE, Y_TITLE = STEP, "loss (nats per character)"
    uni = exp.corpus_unigram_loss()
    if uni is None:
        st.warning("This Python was installed without its help texts (`pydoc_data`), so the "
                   "text experiment cannot run here.", icon=":material/block:")
        refusal, uni = "No corpus on this server.", math.log(25)
    RECIPE = notebook.Recipe(exp.char_lm, params, frames.compare_lm_loss, lines.curves, dict(
        x="step", y="loss", dash="series", x_title=STEP, y_title=Y_TITLE, height=280,
        rules={f"letter frequencies only ({uni:.3g})": uni}), headline=("unigram_loss",))


def draw_live(partial: dict) -> None:
    """Drawn while the cells train: the main chart so far."""
    layout.draw_chart(lines.curves.uncached(RECIPE.table(partial), **RECIPE.chart_args),
                      "Training in progress.")


with main:
    held = runner.after_prediction(KEY, KEY, FN, params, draw=draw_live, refusal=refusal)
    res = held.result
    complete = res is not None and set(res["runs"]) == set(exp.CELLS) and all(
        r["status"] == "done" for r in res["runs"].values())
    with held.ask:
        if part == "tasks":
            question, options = words.task_question(task, T, steps), words.TASK_OPTIONS
            correct = words.task_answer(res) if complete else 1
            why, observed = words.TASK_WHY, words.task_observed(res) if complete else None
        elif part == "brackets":
            question, options, correct = words.BRACKET_QUESTION, words.BRACKET_OPTIONS, 1
            why = words.BRACKET_WHY
            observed = words.bracket_observed(res) if complete else None
        else:
            best = min(r["final_perplexity"] for r in res["runs"].values()) if complete else 0
            question = (f"After {steps} steps, what perplexity will the best cell reach on "
                        "held-out text?")
            options, why = words.text_options(math.exp(uni)), words.TEXT_WHY
            correct = words.text_answer(best) if complete else 2
            observed = (f"best held-out perplexity {best:.2f}; letter frequencies alone give "
                        f"{math.exp(uni):.1f}.") if complete else None
        shown = layout.prediction(FILE, KEY, question, options, correct, why,
                                  observed=observed)
    with held.top:
        if not shown and demos.is_default(FN, params) and demos.problem(FN.key):
            st.caption("The precomputed result for these settings could not be loaded, so it "
                       "will be computed live on the server once you commit.")
        if not shown or res is None:
            held.held_back(shown, X_TITLE, Y_TITLE)
        else:
            runs.run_note(held.run)
            df = RECIPE.table(res)
            if part == "tasks":
                alt_text = "Loss curves; " + words.task_observed(res)
            elif part == "brackets":
                alt_text = "Closing-bracket accuracy over training; last values: " + ", ".join(
                    f"{cell_name(c)} {r['eval_accuracy'][-1]:.0%}"
                    for c, r in res["runs"].items() if r["eval_accuracy"]) + "."
            else:
                alt_text = ("Training (solid) and held-out (dashed) loss per cell; final "
                            "held-out perplexity: " + ", ".join(
                                f"{cell_name(c)} {r['final_perplexity']:.2f}"
                                for c, r in res["runs"].items() if r["status"] == "done") + ".")
            layout.show(RECIPE.chart(df), df, key=f"{KEY}_main", name=f"{KEY}_main", alt_text=alt_text)
            if complete:
                layout.verdict(KEY)
            if complete and part == "tasks":
                layout.metric_row([(f"{cell_name(c)}: fresh loss",
                                    f"{res['runs'][c]['eval_loss']:.2g}",
                                    f"loss on 256 fresh sequences; chance {res['chance']:.3g}")
                                   for c in exp.CELLS])
                claims.show(res, params, [c for c in TASK_CLAIMS if c.name in LOSS_CLAIMS])
                note = words.lstm_note(res, {**params, "seed": 0} == {**DT, "seed": 0})
                if note:
                    st.markdown(note)
            elif complete and part == "brackets":
                claims.show(res, params, claims_for(exp.brackets.key))
            elif complete:
                claims.show(res, params, claims_for(exp.char_lm.key))
            layout.how_to_read(words.task_how_to_read(task) if part == "tasks" else
                               words.BRACKET_HOW_TO_READ if part == "brackets"
                               else words.TEXT_HOW_TO_READ)

# -- go deeper ----------------------------------------------------------------------------------
if shown and res is not None:
    if part == "tasks":
        accdf = frames.compare_task_accuracy(res)
        if not accdf.empty:
            st.header("Accuracy while training")
            layout.show(lines.curves(accdf, "step", "accuracy", x_title=STEP,
                                  y_title="accuracy (batch)", y_domain=(0, 1), height=200,
                                  rules={f"chance {res['chance_accuracy']:.0%}":
                                         res["chance_accuracy"]}),
                        accdf, key="lab2_tasks_acc", name="lab2_task_accuracy", alt_text=(
                            "Accuracy over training; last values: " + ", ".join(
                                f"{c} {g['accuracy'].iloc[-1]:.0%}"
                                for c, g in accdf.groupby("cell", sort=False)) + "."))
        if res["task"] == "series":
            st.markdown(words.SERIES_NOTE)
        what, reads = "the answer", res["reads"]
    elif part == "brackets":
        st.header("Accuracy against the dependency distance")
        ddf = frames.compare_bracket_distance(res)
        if ddf.empty:
            st.caption("Appears when the first cell has finished training.")
        else:
            layout.show(lines.curves(ddf, "distance", "accuracy", x_title="distance k (steps "
                                  "from opening to closing bracket)",
                                  y_title="accuracy after training", y_domain=(0, 1),
                                  rules={"chance 1/4": res["chance_accuracy"]}, height=220,
                                  points=len(res["distances"]) <= 30),
                        ddf, key="lab2_br_dist", name="lab2_accuracy_by_distance", alt_text=(
                            "Accuracy of each trained cell at every distance from 2 to "
                            f"{res['max_distance']}: " + "; ".join(
                                f"{cell} {g['accuracy'].iloc[0]:.0%} at the shortest, "
                                f"{g['accuracy'].iloc[-1]:.0%} at the longest"
                                for cell, g in ddf.groupby("cell", sort=False)) + "."))
            layout.how_to_read(words.DISTANCE_HOW_TO_READ)
        what, reads = "the closing bracket", res["max_distance"]
    else:
        st.header("Text written by each trained model")
        temps = {str(t): f"temperature {t}" for t in res["temperatures"]}
        tpick = state.select("Sampling temperature", "temp", temps,
                             str(res["temperatures"][-1]), radio=True,
                             help="Below 1 the model plays safe and repeats common words; at "
                                  "1 it samples its own probabilities.")
        ti = [str(t) for t in res["temperatures"]].index(tpick)
        for col, (c, r) in zip(st.columns(3), res["runs"].items()):
            if r["samples"]:
                col.markdown(f"**{cell_name(c)}**")
                col.code(r["samples"][ti], language=None, wrap_lines=True)
        st.caption(f"Prompt: “{res['prompt'].strip()}”. " + words.SAMPLES_NOTE)
        what, reads = "the last character's prediction", res["seq_len"]

    gdf = frames.compare_gradient_map(res)
    if not gdf.empty:
        st.header("Where does the error signal reach, while each cell learns?")
        far = gdf[(gdf["lag"] == gdf.groupby("cell")["lag"].transform("max"))
                  & (gdf[STEP] == gdf.groupby("cell")[STEP].transform("max"))]
        layout.show(heatmaps.gradient_maps(gdf, height=200), gdf, key=f"{KEY}_heat",
                    name=f"{KEY}_gradients", alt_text=(
                        "Three heatmaps of log10 ||dL/dh|| by lag and training step. At the "
                        "end of training the gradient reaching the farthest lag is: " + ", ".join(
                            f"{c} 10^{v:.0f}" if v > -299 else f"{c} 0"
                            for c, v in zip(far["cell"], far["log10 grad"])) + "."))
        if complete and part == "tasks":
            claims.show(res, params, [c for c in TASK_CLAIMS if c.name not in LOSS_CLAIMS])
        layout.how_to_read(words.gradient_how_to_read(what, reads))

    if part == "tasks":
        runs.session_table(KEY, held.run, params, lambda r: r["eval_loss"] if r["eval_loss"]
                           is not None else r["final_loss"], "test loss")
        with layout.section("Final numbers and downloads"):
            st.markdown(f"Chance loss {res['chance']:.4g}" + (
                f", chance accuracy {res['chance_accuracy']:.0%}"
                if res["chance_accuracy"] is not None else "") + ".")
            st.dataframe(words.final_rows(res), hide_index=True, width="stretch")
            runs.export_tasks(res, params)
        layout.cite("Hochreiter & Schmidhuber (1997), Long short-term memory, Neural "
                    "Computation 9(8); Cho et al. (2014), arXiv:1406.1078 (the GRU).")
    elif part == "brackets":
        runs.session_table(KEY, held.run, params, lambda r: (
            float(np.mean(r["acc_by_distance"])) if r["acc_by_distance"]
            else (r["eval_accuracy"] or [None])[-1]), "bracket accuracy")
        ldf = frames.compare_lm_loss(res)
        with layout.section("Language-model loss, samples and downloads"):
            layout.show(lines.curves(ldf, "step", "loss", x_title=STEP,
                                  y_title="loss (nats per character)", rules={
                f"best possible ({res['best_loss']:.3f})": res["best_loss"],
                f"grammar, no memory ({res['no_memory_loss']:.3f})": res["no_memory_loss"]},
                height=220), ldf, key="lab2_br_loss", name="lab2_bracket_loss", alt_text=(
                f"Language-model loss over training. The best possible loss is "
                f"{res['best_loss']:.3f} nats; knowing the grammar but not the bracket gives "
                f"{res['no_memory_loss']:.3f}."))
            st.markdown(words.bracket_lm_how_to_read(res["max_distance"]))
            sdf = [{"cell": cell_name(c), "sampled sequence": s, "closing bracket": v}
                   for c, r in res["runs"].items() for s, v in zip(r["samples"], r["verdicts"])]
            if sdf:
                st.dataframe(sdf, hide_index=True, width="stretch")
                st.caption("Each model is given a first character and writes the rest itself "
                           "(seeded, temperature 1). The right column checks the character "
                           "after `|` against the last opening bracket.")
            runs.export_lm("lab2_brackets", res, params, {
                "accuracy": RECIPE.table(res), "accuracy_by_distance": ddf, "loss": ldf},
                data="brackets", max_distance=params["max_distance"], embed_dim=0,
                seq_len=params["max_distance"], batch_size=64)
        with layout.section("The bracket language"):
            st.markdown(words.bracket_explain(res["max_distance"]))
        layout.cite("Chung, Gulcehre, Cho & Bengio (2014), Empirical evaluation of gated "
                    "recurrent neural networks on sequence modeling, arXiv:1412.3555: both "
                    "gated cells beat the tanh RNN; which gate is better they could not "
                    "conclude.")
    else:
        runs.session_table(KEY, held.run, params, lambda r: r["final_perplexity"],
                           "held-out perplexity")
        with layout.section("Final numbers, the corpus and downloads"):
            rows = [{"cell": cell_name(c), "status": r["status"],
                     "train loss (last 20)": f"{r['final_loss']:.3f}",
                     "held-out loss": f"{r['final_val_loss']:.3f}",
                     "held-out perplexity": f"{r['final_perplexity']:.2f}"}
                    for c, r in res["runs"].items()]
            st.dataframe(rows, hide_index=True, width="stretch")
            st.markdown(words.text_explain(res["n_chars"], params["batch_size"],
                                           params["seq_len"]))
            st.caption(f"{res['vocab_size']} distinct characters, {res['n_train']:,} for "
                       f"training (text fingerprint {res['corpus_digest']}).")
            runs.export_lm("lab2_text", res, params, {"loss": RECIPE.table(res)},
                           embed_dim=params["embed_dim"], seq_len=params["seq_len"],
                           batch_size=params["batch_size"])
        layout.cite("Karpathy (2015), The unreasonable effectiveness of recurrent neural "
                    "networks (char-rnn); Chung et al. (2014), arXiv:1412.3555.")

with layout.section("Why the gated cells pull ahead"):
    st.markdown(words.WHY_GATED)
layout.ending(FILE, RECIPE)
