"""Lesson section 1: the vanishing gradient problem."""

import numpy as np
import pandas as pd
import streamlit as st

from core.experiments import vanishing as exp
from ui import charts, demos, layout, state

FILE = "s1_vanishing.py"
D = exp.gradient_profile.defaults

layout.header(FILE, (
    "Train a recurrent network and the loss at the **end** of a sequence has to send an error "
    "signal **back** to every earlier step. Here you can watch how much of that signal arrives. "
    "In a plain RNN it usually shrinks by a roughly constant factor per step, so after a few "
    "dozen steps almost nothing is left: the early inputs cannot be learned from."))

controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up the network**")
    state.presets({
        "vanish100": {"label": "Classic: tanh RNN, T = 100", "cell": "rnn", "T": 100,
                      "gain": 1.0, "init": "default", "act": "tanh"},
        "long300": {"label": "Longer: T = 300", "cell": "rnn", "T": 300, "gain": 1.0,
                    "init": "default", "act": "tanh"},
        "orth": {"label": "Orthogonal start", "cell": "rnn", "T": 100, "init": "orthogonal",
                 "gain": 1.0, "act": "tanh"},
        "lstm": {"label": "Same test, LSTM", "cell": "lstm", "T": 100, "gain": 1.0,
                 "init": "default"},
    })
    cell = state.select("Cell", "cell", {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"},
                        D["cell"])
    T = state.slider("Sequence length T", "T", 10, 500, D["seq_len"], step=10,
                     help="How many steps the error has to travel back.")
    act = state.select("Nonlinearity (RNN)", "act", {"tanh": "tanh", "relu": "ReLU"},
                       D["nonlinearity"], advanced=True)
    init = state.select("Recurrent init", "init",
                        {"default": "PyTorch default", "xavier": "Xavier",
                         "orthogonal": "Orthogonal", "identity": "Identity (IRNN)"},
                        D["init"], advanced=True)
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.1, 3.0, D["gain"], step=0.05,
                        help="Multiplies the recurrent weight matrix after initialisation.")
    H = state.slider("Hidden size H", "H", 8, 256, D["hidden_size"], step=8, advanced=True)
    seed = state.seed(D["seed"])

params = dict(cell=cell, seq_len=T, hidden_size=H, init=init, gain=gain,
              nonlinearity=act if cell == "rnn" else "tanh", seed=seed, batch_size=32)
res = demos.run(exp.gradient_profile, **params)

with main:
    ratio = res["ratio"]
    layout.predict(
        "s1", f"A fresh tanh RNN reads {T} steps. The loss sits on the last step. How much of "
        "the gradient's size reaches the **first** step, compared with the last?",
        ["About the same (within 10x)", "About a thousand times less",
         "Less than a billionth", "Much more (it grows)"],
        correct=2,
        why="Each step multiplies the signal by a Jacobian whose typical stretch is below 1; "
            "over dozens of steps those factors compound geometrically.",
        observed=f"first/last = {ratio:.2g} for the settings on the left.")

    df = pd.DataFrame({"t": res["t"], "norm": res["grad_norm"], "kind": "measured ||dL/dh_t||",
                       "bound": False})
    if res["bound"] is not None:
        df = pd.concat([df, pd.DataFrame({
            "t": res["t"], "norm": res["bound"], "kind": "Pascanu bound (sigma_max * gamma)^lag",
            "bound": True})])
    st.subheader("How big is the gradient at each step?")
    chart = charts.log_lines(df, "t", "norm", color="kind", dashed="bound",
                             x_title="time step t (loss at the last step)",
                             y_title="||dL/dh_t|| (log scale)", height=330)
    layout.show(chart, df, key="s1_profile", name="vanishing_profile", alt_text=(
        f"Gradient norm falls from {res['grad_norm'][-1]:.2g} at the last step to "
        f"{res['grad_norm'][0]:.2g} at step 0: a ratio of {ratio:.2g}."))
    if res["batch_size"] < 32:
        st.caption(f":material/memory: Averaged over {res['batch_size']} sequences instead of 32 "
                   "to keep this long, wide probe within the server's memory budget.")
    layout.metric_row([
        ("first / last", f"{ratio:.1e}", "||dL/dh_0|| divided by ||dL/dh_{T-1}||"),
        ("sigma_max(W_hh)", f"{res['sigma_max']:.3f}", "largest singular value"),
        ("spectral radius", f"{res['spectral_radius']:.3f}", "largest |eigenvalue|"),
    ])
    layout.how_to_read(
        "- The x-axis is the step the gradient arrives at; the loss is computed at the right "
        "edge, so the signal travels **right to left**.\n"
        "- The y-axis is logarithmic: a straight downward slope means the signal is divided "
        "by the same factor at every step (exponential decay).\n"
        "- The dashed line is the worst case allowed by theory (Pascanu et al. 2013): the "
        "measured line can never rise above it. When sigma_max x gamma is above 1 the bound "
        "grows backwards and says nothing: vanishing still happens, because the bound is only "
        "a ceiling. Drop the gain below about 0.9 to see it bite.\n"
        "- Red triangles would mark values that underflowed or turned NaN (none should appear: "
        "this probe computes in float64).")
    layout.cite("Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent "
                "neural networks, arXiv:1211.5063, section 2.")

    st.subheader("Which hidden units still hear the loss?")
    heat = np.asarray(res["heat"])
    hdf = pd.DataFrame([(int(t), int(u), float(heat[i, j]))
                        for i, t in enumerate(res["heat_t"])
                        for j, u in enumerate(res["heat_units"])],
                       columns=["t", "unit", "grad"])
    layout.show(charts.heatmap(hdf, "t", "unit", "grad", x_title="time step t",
                               y_title="hidden unit", value_title="log10 |dL/dh_t|",
                               height=300),
                hdf, key="s1_heat", name="vanishing_heatmap", alt_text=(
                    "Heatmap of |dL/dh_t| per hidden unit: bright near the last step, fading "
                    "to dark towards step 0 for every unit."))
    layout.how_to_read(
        "Each row is one hidden unit, each column a time step (averaged over the batch and, "
        "for long sequences, over a few neighbouring steps). Colour is log10 of the gradient's "
        "size: yellow is large, dark purple tiny. A vanishing gradient shows as a bright band "
        "on the right that darkens towards the left **for every unit at once**: no unit keeps "
        "a private channel to the past.")

layout.explain(
    "Backpropagation through time passes the error from step t+1 to step t by multiplying it "
    "with the Jacobian dh_{t+1}/dh_t = diag(tanh') W_hh. Both parts tend to shrink vectors: "
    "tanh' is at most 1 and much smaller when units saturate, and a default-scale W_hh stretches "
    "most directions by less than 1. Multiply a few dozen of them and the product is "
    "astronomically small. The weights still get updated, but almost entirely from the last few "
    "steps, so the network cannot learn that an input far back mattered. Section 3 takes the "
    "product apart; section 5 shows the cures.")

st.subheader("Weights update slowly: who pays into dL/dW_hh?")
wres = demos.run(exp.weight_update_shares)
wdf = pd.DataFrame({"t": wres["t"], "contribution": wres["contribution"]})
c1, c2 = st.columns([2.6, 1], gap="large")
with c1:
    layout.show(charts.bars(wdf, "t", "contribution", log_y=True, x_title="time step t",
                            y_title="||step t's term of dL/dW_hh|| (log)"),
                wdf, key="s1_shares", name="weight_update_shares", alt_text=(
                    f"The last 5 of {len(wres['t'])} steps supply "
                    f"{100 * sum(wres['share'][-5:]):.1f}% of the recurrent weight gradient."))
with c2:
    st.metric("share from the last 5 steps", f"{100 * sum(wres['share'][-5:]):.1f}%")
    st.metric("share from the first half", f"{100 * sum(wres['share'][:len(wres['share']) // 2]):.1e}%")
    layout.how_to_read(
        "dL/dW_hh is a sum of one term per step. Each bar is the size of one term (fresh tanh "
        "RNN, T = 50, log scale). Step 0's term is exactly zero (the state before it is h = 0), "
        "so its bar sits on the baseline. The update the optimiser applies is dominated by the right-"
        "most bars: what happened early in the sequence barely moves the weights.")

st.subheader("Does training fix it? Gradient by lag while the RNN learns")
tres = demos.run(exp.training_heatmap)
rows = [(s, lag, v) for s, row in zip(tres["probe_steps"], tres["log_grad"])
        for lag, v in enumerate(row)]
tdf = pd.DataFrame(rows, columns=["training step", "lag", "log10 grad"])
tdf["grad"] = 10.0 ** tdf["log10 grad"]
c1, c2 = st.columns([2.6, 1], gap="large")
with c1:
    layout.show(charts.heatmap(tdf, "training step", "lag", "grad", y_title="lag (steps back)",
                               value_title="log10 ||dL/dh||", height=300,
                               y_descending=True),
                tdf, key="s1_train_heat", name="lag_by_training_step", alt_text=(
                    "Over 300 Adam steps the gradient reaching lags above 20 stays many orders "
                    "of magnitude below the gradient at lag 0."))
with c2:
    layout.how_to_read(
        "Columns are moments during a short training run (tanh RNN, adding problem, T = 40); "
        "rows are how many steps back from the loss (lag 0, the last step, at the bottom). If "
        "training cured vanishing, the dark upper rows would brighten as you go right. They mostly do not: the loss plateaus near the "
        "chance line of 1/6 because the marked numbers sit too far back.")
    st.metric("final loss (chance 0.167)", f"{np.nanmean(tres['loss'][-20:]):.3f}")

layout.code(f"""
import torch
from core.models import build_model
from core.probes import hidden_state_gradients, gradient_norms_by_step
from core.tasks import make_task

task = make_task("adding", {T})
model = build_model("{cell}", 2, {H}, 1, init="{init}", gain={gain}, seed={seed})
x, y = task.sample(32, torch.Generator().manual_seed({seed} + 1))
g = hidden_state_gradients(model, x, lambda out: task.loss(out, y.double()),
                           dtype=torch.float64)      # (B, T, H), one backward pass
print(gradient_norms_by_step(g))                     # (T,): ||dL/dh_t||
""")
layout.footer(FILE)
