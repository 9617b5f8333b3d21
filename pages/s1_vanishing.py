"""Lesson section 1: the vanishing gradient problem."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from core.claims import claims_for, finite
from core.experiments import vanishing as exp
from core.theory import pow10_text
from ui import claims, demos, frames, layout, notebook, state
from ui.charts import axes, heatmaps, lines, special

FILE = "s1_vanishing.py"
D = exp.gradient_profile.defaults
CELL_NAMES = {"rnn": "plain RNN", "lstm": "LSTM", "gru": "GRU"}
#: The checked claims this page shows, by name (declared in core.experiments.vanishing).
CLAIM = {c.name: c for fn in (exp.gradient_profile, exp.weight_update_shares,
                              exp.training_heatmap) for c in claims_for(fn.key)}
#: The training run follows the learner's T up to its shipped length (longer runs take too
#: long to train live on a shared server).
TRAIN_MAX_T = exp.training_heatmap.defaults["seq_len"]

layout.header(FILE, """
    To learn from a sequence, a recurrent network sends the error at the **end** back to every
    earlier step. Measure how much of that signal arrives, step by step.""",
    short="How much of the error signal reaches the early steps?")

# -- the question ------------------------------------------------------------------------------
OPTIONS = ["About the same (within 10x)", "10 to a billion times less",
           "Less than a billionth", "Over 10 times more"]

controls, main = layout.beside()
with controls:
    PRESETS = {
        "vanish100": {"label": "Classic: tanh RNN, T = 100", "cell": "rnn", "T": 100,
                      "gain": 1.0, "init": "default", "act": "tanh"},
        "long300": {"label": "Longer: T = 300", "cell": "rnn", "T": 300, "gain": 1.0,
                    "init": "default", "act": "tanh"},
        "bites": {"label": "Bound bites: gain 0.8", "cell": "rnn", "T": 100, "gain": 0.8,
                  "init": "default", "act": "tanh"},
        "orth": {"label": "Orthogonal start", "cell": "rnn", "T": 100, "init": "orthogonal",
                 "gain": 1.0, "act": "tanh"},
        "lstm": {"label": "Same test, LSTM", "cell": "lstm", "T": 100, "gain": 1.0,
                 "init": "default"},
    }
    state.presets(PRESETS, defaults={"cell": D["cell"], "T": D["seq_len"], "gain": D["gain"],
                                     "init": D["init"], "act": D["nonlinearity"]})
    cell = state.select("Cell", "cell", {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"},
                        D["cell"])
    T = state.slider("Sequence length T", "T", 10, 500, D["seq_len"], step=10,
                     help="How many steps the error has to travel back.")
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.1, 3.0, D["gain"], step=0.05,
                        help="Multiplies the recurrent weight matrix after initialisation.")
    with layout.more_settings():
        act = state.select("Nonlinearity (RNN)", "act", {"tanh": "tanh", "relu": "ReLU"},
                           D["nonlinearity"], advanced=True)
        init = state.select("Recurrent init", "init",
                            {"default": "PyTorch default", "xavier": "Xavier",
                             "orthogonal": "Orthogonal", "identity": "Identity (IRNN)"},
                            D["init"], advanced=True)
        H = state.slider("Hidden size H", "H", 8, 256, D["hidden_size"], step=8,
                         advanced=True)
        seed = state.seed(D["seed"])

params = dict(cell=cell, seq_len=T, hidden_size=H, init=init, gain=gain,
              nonlinearity=act if cell == "rnn" else "tanh", seed=seed, batch_size=32)
X_TITLE, Y_TITLE = "time step t (loss at the last step)", "||dL/dh_t|| (log scale)"
RECIPE = notebook.Recipe(exp.gradient_profile, params, frames.gradient_profile, lines.log_lines,
                         dict(x="t", y="norm", color="kind", dashed="bound", x_title=X_TITLE,
                              y_title=Y_TITLE, height=280,
                              color_domain=["measured ||dL/dh_t||",
                                            "Pascanu bound (σ_max·γ)^lag"]),
                         headline=("ratio", "sigma_max"))
res = RECIPE.run(demos.run)
name = f"{params['nonlinearity']} RNN" if cell == "rnn" else CELL_NAMES[cell]
ratio = res["ratio"]
answer = (3 if finite(ratio) and ratio > 10 else 0 if finite(ratio) and ratio >= 0.1 else
          1 if finite(ratio) and ratio >= 1e-9 else 2)

with main:
    shown = layout.prediction(
        FILE, "s1", f"""
            A fresh {name} reads {T} steps and the loss sits on the last one. How much of the
            gradient's size reaches the **first** step, compared with the last?""",
        OPTIONS, correct=answer,
        why="""
            Each step back multiplies the signal by that step's Jacobian. When its typical
            stretch is below 1, the factors compound: a few dozen steps lose many orders of
            magnitude.""",
        observed=f"first/last = {pow10_text(math.log10(ratio)) if finite(ratio) and ratio > 0 else ratio}.")

    if layout.reveal_chart(shown, "s1", RECIPE, res, key="s1_profile", name="vanishing_profile",
                           axes=(X_TITLE, Y_TITLE), alt=lambda _: (
                               f"Gradient norm falls from {res['grad_norm'][-1]:.2g} at the "
                               f"last step to {res['grad_norm'][0]:.2g} at step 0: a ratio of "
                               f"{ratio:.2g}.")) is not None:
        if res["batch_size"] < params["batch_size"]:
            st.caption(f":material/memory: Averaged over {res['batch_size']} sequences instead "
                       f"of {params['batch_size']} to keep this long, wide probe within the "
                       "server's memory budget.")
        layout.metric_row([
            ("first / last", f"{ratio:.1e}", "||dL/dh_0|| divided by ||dL/dh_{T-1}||"),
            ("σ_max(W_hh)", f"{res['sigma_max']:.3f}", "largest singular value"),
            ("spectral radius", f"{res['spectral_radius']:.3f}", "largest |eigenvalue|"),
        ])
        claims.show(res, params, [CLAIM[n] for n in ("vanishes", "geometric", "under_bound",
                                                     "bound_silent", "bound_bites")])

if shown:
    eta = res["eta"]
    if eta is None:
        bound_md = ("- No dashed line for a gated cell: its step Jacobian depends on the gates, "
                    "so there is no simple bound of this kind.\n")
    else:
        crit = gain / eta  # sigma_max grows in proportion to the gain
        bound_md = (
            "- The dashed line is the worst case theory allows (Pascanu et al. 2013): the "
            "measured line can never rise above it. Going back one step, it is multiplied by "
            f"σ_max·γ, here {eta:.2f}. "
            + ("That is above 1, so the bound **grows** going back and says nothing about this "
               "run: a ceiling does not stop the gradient from vanishing. "
               if eta > 1 else
               "That is below 1, so the bound itself **falls** going back: vanishing is "
               "guaranteed. ")
            + f"With this W_hh the bound falls once the gain is below {crit:.2f}, where "
              "σ_max·γ = 1 (the preset *Bound bites* uses 0.8).\n")
    floor = axes.FLOOR
    n_flag = sum(1 for v in res["grad_norm"] + (res["bound"] or [])
                 if not (finite(v) and v >= floor))
    flag_md = (f"- Red triangles mark {n_flag} values below {floor:.0e} (the chart's floor) or "
               "not finite: drawn, not dropped." if n_flag else
               f"- Red triangles would mark values below {floor:.0e} or not finite; this run "
               "has none (the probe computes in float64).")
    layout.how_to_read(
        "- The x-axis is the step the gradient arrives at; the loss is computed at the right "
        "edge, so the signal travels **right to left**.\n"
        "- The y-axis is logarithmic: a straight downward slope means the signal is divided "
        "by the same factor at every step (exponential decay).\n" + bound_md + flag_md)
    layout.cite("Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent "
                "neural networks, arXiv:1211.5063, section 2.")

# -- warm-up: one number multiplied T times ----------------------------------------------------
st.header("Warm-up: one number, multiplied T times")
c1, c2 = st.columns([1, 1.6], gap="large")
with c1:
    w = st.slider("w, the factor per step", 0.5, 1.5, 0.9, 0.01, key="w",
                  help="A one-unit linear RNN multiplies its gradient by w at every step.")
    wk = w ** T
    st.metric(f"w^T after T = {T} steps", pow10_text(math.log10(wk)) if wk > 0 else "0",
              help="The factor a one-unit linear RNN applies to the gradient over the whole "
                   "sequence.")
    st.caption("Drag w: below 1 the product collapses, above 1 it explodes, and only w = 1 "
               "keeps it. A real RNN multiplies matrices instead of numbers (section 3).")
with c2:
    ks = np.arange(T + 1)
    wdf = pd.DataFrame({"k": ks, "w^k": w ** ks.astype(float)})
    chart = lines.log_lines(wdf, "k", "w^k", x_title="steps back k",
                             y_title="w^k (log scale)", height=130)
    layout.draw_chart(chart, f"w^k for w = {w:.2f}, from 1 at k = 0 to {wk:.2g} at k = {T}.")

# -- go deeper: which units, whose updates, and does training fix it ---------------------------
# Held back until the learner commits: every chart below shows the fade.
if not shown:
    st.header("Go deeper")
    layout.locked("which hidden units still hear "
                  "the loss, which steps pay into the weight update, and whether training fixes it.")
else:
    st.header("Which hidden units still hear the loss?")
    heat = np.asarray(res["heat"])
    hdf = pd.DataFrame([(int(t), int(u), float(heat[i, j]))
                        for i, t in enumerate(res["heat_t"])
                        for j, u in enumerate(res["heat_units"])],
                       columns=["t", "unit", "grad"])
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_ratio = np.nanmax(heat[0] / heat[-1]) if heat[-1].all() else math.nan
    layout.show(heatmaps.heatmap(hdf, "t", "unit", "grad", x_title="time step t",
                               y_title="hidden unit", value_title="log10 |dL/dh_t|", height=160),
                hdf, key="s1_heat", name="vanishing_heatmap", alt_text=(
                    f"Heatmap of |dL/dh_t| for {heat.shape[1]} hidden units over "
                    f"{heat.shape[0]} time columns at T = {T}. At step 0 the unit that keeps the "
                    f"most has {unit_ratio:.1e} of its gradient at the last step."))
    claims.show(res, params, [CLAIM["every_unit_fades"]])
    layout.how_to_read(
        "Each row is one hidden unit, each column a time step of the run above (averaged over the "
        "batch and, for long sequences, over neighbouring steps). Colour is log10 of the "
        "gradient's size: yellow is large, dark purple tiny. A vanishing gradient shows as a "
        "bright band on the right that darkens towards the left **for every unit at once**: no "
        "unit keeps a private channel to the past.")

    st.header("Weights update slowly: who pays into dL/dW_hh?")
    wparams = {"seq_len": T, "seed": seed}
    wres = demos.run(exp.weight_update_shares, **wparams)
    wT = len(wres["t"])
    sdf = pd.DataFrame({"t": wres["t"], "contribution": wres["contribution"]})
    c1, c2 = st.columns([2.6, 1], gap="large")
    with c1:
        layout.show(special.bars(sdf, "t", "contribution", log_y=True, x_title="time step t",
                                y_title="||step t's term of dL/dW_hh|| (log)", height=160),
                    sdf, key="s1_shares", name="weight_update_shares", alt_text=(
                        f"The last 5 of {wT} steps supply "
                        f"{100 * sum(wres['share'][-5:]):.1f}% of the recurrent weight gradient."))
    with c2:
        st.metric("share from the last 5 steps", f"{100 * sum(wres['share'][-5:]):.1f}%")
        st.metric("share from the first half", f"{100 * sum(wres['share'][:wT // 2]):.1e}%")
    claims.show(wres, {**exp.weight_update_shares.defaults, **wparams},
                [CLAIM["last_steps_dominate"], CLAIM["step0_zero"]])
    layout.how_to_read(
        "dL/dW_hh is a sum of one term per step. Each bar is the size of one term (fresh tanh "
        f"RNN, T = {wT}, log scale). Step 0's term is a product with the state before step 0, "
        "which is all zeros, so its bar sits on the baseline. The update the optimiser applies is "
        "the sum: the right-most bars decide it.")

    st.header("Does training fix it?")
    tparams = {"seq_len": min(T, TRAIN_MAX_T), "seed": seed}
    TP = {**exp.training_heatmap.defaults, **tparams}
    tres = demos.run(exp.training_heatmap, **tparams)
    tT, tS, tshort = tres["seq_len"], tres["steps"], tres["short_len"]
    if T > TRAIN_MAX_T:
        st.caption(f"Training runs at T = {tT}: longer sequences take too long to train live.")
    rows = [(s, lag, v) for s, row in zip(tres["probe_steps"], tres["log_grad"])
            for lag, v in enumerate(row)]
    tdf = pd.DataFrame(rows, columns=["training step", "lag", "log10 grad"])
    tdf["grad"] = 10.0 ** tdf["log10 grad"]
    gap = min(row[0] - row[-1] for row in tres["log_grad"])
    c1, c2 = st.columns([1.6, 1], gap="large")
    with c1:
        layout.show(heatmaps.heatmap(tdf, "training step", "lag", "grad", y_title="lag (steps back)",
                                   value_title="log10 ||dL/dh||", height=170,
                                   y_descending=True),
                    tdf, key="s1_train_heat", name="lag_by_training_step", alt_text=(
                        f"Over {tS} Adam steps at T = {tT}, the gradient reaching lag {tT - 1} "
                        f"is never more than {pow10_text(-gap)} of the gradient at lag 0."))
    with c2:
        window = 20
        ldf = pd.concat([
            pd.DataFrame({"step": tres["step"], "run": f"T = {tT} (the heatmap)",
                          "loss": pd.Series(tres["loss"]).rolling(window, min_periods=1).mean()}),
            pd.DataFrame({"step": tres["short_step"], "run": f"T = {tshort} (control)",
                          "loss": pd.Series(tres["short_loss"]).rolling(window, min_periods=1
                                                                        ).mean()})])
        layout.show(lines.lines(ldf, "step", "loss", color="run", x_title="training step",
                                 y_title=f"loss (mean of {window} steps)", height=150,
                                 rules={f"chance {tres['chance']:.3f}": tres["chance"]}),
                    ldf, key="s1_train_loss", name="training_loss_by_length", alt_text=(
                        f"Loss of the T = {tT} run ends at {tres['final_loss']:.3f}; the same "
                        f"training at T = {tshort} ends at {tres['short_final_loss']:.3f}. "
                        f"Chance is {tres['chance']:.3f}."))
    verdicts = claims.show(tres, TP, [CLAIM[n] for n in ("far_lags_stay_dark",
                                                         "long_stays_at_chance", "short_learns")])
    if all(verdicts):
        st.markdown(
            f"Is the long run stuck because {tS} steps are too few? The control answers that: the "
            f"same network, with the same steps and learning rate, learns when the sequence is "
            f"{tshort} steps long. So in these runs the length, not the step budget, holds the "
            f"T = {tT} network back: the far lags never receive a usable gradient. Section 4 "
            "repeats this over a range of lengths.")
    else:
        st.markdown("These runs do not tell the usual story cleanly: read the checks above and the "
                    "two charts for what happened.")
    layout.how_to_read(
        f"Heatmap columns are moments during one training run (tanh RNN, adding problem, T = {tT}, "
        f"{tS} Adam steps, learning rate {tres['lr']:g}); rows are how many steps back from the "
        "loss (lag 0, the last step, at the bottom). If training opened a path to the past, the "
        "dark upper rows would brighten as you go right. The line chart puts the same run's loss "
        f"beside a control trained on sequences of {tshort} steps.")

    with layout.section("Why it happens, in one paragraph"):
        st.markdown(
            "Backpropagation through time passes the error from step t+1 to step t by multiplying "
            "it with the Jacobian dh_{t+1}/dh_t = diag(tanh') W_hh. Both parts tend to shrink "
            "vectors: tanh' is at most 1 and much smaller when units saturate, and a default-scale "
            "W_hh stretches most directions by less than 1. Multiply a few dozen of them and the "
            "product is astronomically small. The weights still get updated, but almost entirely "
            "from the last few steps, so the network cannot learn that an input far back mattered. "
            "Section 3 takes the product apart; section 5 shows the cures.")
layout.ending(FILE, RECIPE)
