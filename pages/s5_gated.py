"""Lesson section 5b: LSTM and GRU, and the moment their gates start to matter."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from core.claims import claims_for
from core.experiments import gated as exp
from ui import charts_gated, claims, layout, runner, state

FILE = "s5_gated.py"
D = exp.compare_cells.defaults

layout.header(FILE, (
    "An LSTM or a GRU adds **gates**, numbers between 0 and 1 that decide unit by unit how much "
    "old memory to keep, and with them a path along which the error can travel back without "
    "being squeezed at every step. This page measures the catch: the path has to be "
    "**learned**, so a fresh gated cell loses its gradient like a plain RNN and a trained one "
    "does not."))

# -- the equations ------------------------------------------------------------------------------
st.subheader("The two cells in equations")
c1, c2 = st.columns(2, gap="large")
with c1, st.container(border=True):
    st.markdown("**LSTM** as used today (Hochreiter & Schmidhuber 1997, with the forget gate "
                "of Gers, Schmidhuber & Cummins 2000)")
    st.latex(r"""
\begin{aligned}
i_t &= \sigma(W_{i} x_t + U_{i} h_{t-1} + b_i) &&\text{input gate}\\
f_t &= \sigma(W_{f} x_t + U_{f} h_{t-1} + b_f) &&\text{forget gate}\\
o_t &= \sigma(W_{o} x_t + U_{o} h_{t-1} + b_o) &&\text{output gate}\\
g_t &= \tanh(W_{g} x_t + U_{g} h_{t-1} + b_g) &&\text{candidate}\\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t &&\text{cell state}\\
h_t &= o_t \odot \tanh(c_t)
\end{aligned}""")
    st.markdown(
        "The line to stare at is the cell state: the old memory c_{t-1} is **multiplied by "
        "the forget gate and then added to**, not pushed through a weight matrix and a tanh. "
        "Going backwards, the direct route from c_t to c_{t-1} therefore scales the error by "
        "f_t alone. If a unit holds f_t near 1, the error passes that step almost untouched.\n\n"
        "The 1997 LSTM had **no forget gate**: its cell kept c_{t-1} with a fixed weight of 1, "
        "the *constant error carousel*, so the error crossed each step unchanged. The forget "
        "gate came in 2000, to let a cell clear its memory. It made that weight learnable, and "
        "a learnable weight starts wherever the initialisation puts it.")
with c2, st.container(border=True):
    st.markdown("**GRU** (Cho et al. 2014)")
    st.latex(r"""
\begin{aligned}
r_t &= \sigma(W_{r} x_t + U_{r} h_{t-1} + b_r)\\
z_t &= \sigma(W_{z} x_t + U_{z} h_{t-1} + b_z)\\
n_t &= \tanh(W_{n} x_t + r_t \odot (U_{n} h_{t-1}) + b_n)\\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}""")
    st.markdown(
        "r is the reset gate, z the update gate, n the candidate. "
        "The GRU has no separate cell state. Its update gate z_t blends the old state with a "
        "new candidate (written as in PyTorch, where z_t near 1 means *keep the old h*). The "
        "term z_t h_{t-1} is the same kind of additive shortcut: a unit that keeps z_t near 1 "
        "copies its value forward, and copies the error backwards.")
_LAGS = D["seq_len"] - 1
layout.explain(
    "A plain RNN has only one road from h_{t-1} to h_t: through W_hh and tanh', which shrink "
    "the signal at almost every step (section 3). A gated cell adds a second road that is "
    "just an element-wise product with a gate. Nothing forces that gate to be near 1, though. "
    "With small random weights every gate starts near sigmoid(0) = 0.5, and 0.5 multiplied "
    f"{_LAGS} times (a sequence of {D['seq_len']} steps) is {0.5 ** _LAGS:.0e}: the shortcut "
    "exists, but the forget gate (the update gate in a GRU) keeps it closed. Training opens it in the units that need to "
    "remember. That is why the charts below show two moments, **before** and **after** "
    "training, and a fourth cell: an LSTM whose forget gate starts at sigmoid(1) = 0.73, the "
    "control that shows what the gate's starting value costs.",
    title="The additive path in plain words")

# -- controls -----------------------------------------------------------------------------------
st.subheader("The experiment: four cells, one task, one seed")
controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up the race**")
    state.presets({
        "lesson": {"label": f"Lesson default: T = {D['seq_len']}", "T": D["seq_len"],
                   "H": D["hidden_size"], "steps": D["steps"], "lrg": D["lr_gated"],
                   "lrr": D["lr_rnn"]},
        "short": {"label": "Shorter: T = 30, 300 steps", "T": 30, "H": 32, "steps": 300,
                  "lrg": D["lr_gated"], "lrr": D["lr_rnn"]},
        "long": {"label": "Longer: T = 80, 300 steps", "T": 80, "H": 32, "steps": 300,
                 "lrg": D["lr_gated"], "lrr": D["lr_rnn"]},
        "fair_lr": {"label": f"Same learning rate for all ({D['lr_gated']:g})",
                    "T": D["seq_len"], "H": 32, "steps": D["steps"], "lrg": D["lr_gated"],
                    "lrr": D["lr_gated"]},
    })
    T = state.slider("Sequence length T", "T", 20, 100, D["seq_len"], step=10,
                     help="How far apart the two marked numbers can be.")
    steps = state.slider("Training steps", "steps", 100, 1500, D["steps"], step=50,
                         help="Adam updates per cell, batch 64, norm clipping at 1.")
    H = state.slider("Hidden size H", "H", 16, 128, D["hidden_size"], step=16, advanced=True)
    lr_g = state.number("Learning rate, LSTM and GRU", "lrg", 1e-4, 1e-1, D["lr_gated"],
                        step=1e-3, format="%.4f")
    lr_r = state.number("Learning rate, tanh RNN", "lrr", 1e-4, 1e-1, D["lr_rnn"], step=1e-3,
                        format="%.4f",
                        help="The tanh RNN has its own rate. The preset 'Same learning rate "
                             "for all' gives it the gated cells' rate.")
    seed = state.seed(D["seed"])
    est = exp.estimate_compare(T, H, steps)
    st.caption(f"Estimated training time: about {est:.0f} s on one CPU thread for all four "
               "cells (more when the server is busy).")

params = dict(seq_len=T, hidden_size=H, steps=steps, lr_rnn=lr_r, lr_gated=lr_g, seed=seed)
refusal = runner.over_cap(est, "These settings", "Lower T, H or the steps.")

ORDER = [exp.LABELS[r] for r, *_ in exp.RUNS]


def loss_frame(res: dict, smooth: int = 10) -> pd.DataFrame:
    parts = []
    for rid in res["order"]:
        r = res["runs"][rid]
        if not r["step"]:
            continue
        loss = pd.Series(r["loss"], dtype=float)
        parts.append(pd.DataFrame({"step": r["step"], "loss": loss,
                                   "smoothed loss": loss.rolling(smooth, min_periods=1).mean(),
                                   "cell": r["label"]}))
    return pd.concat(parts) if parts else pd.DataFrame(
        columns=["step", "loss", "smoothed loss", "cell"])


def loss_chart(df: pd.DataFrame, chance: float):
    return charts_gated.loss_lines(df, "step", "smoothed loss", "cell", color_order=ORDER,
                                   chance=chance, x_title="training step",
                                   y_title="MSE (log, 10-step mean)", height=380)


def draw_partial(res: dict) -> None:
    df = loss_frame(res)
    if len(df):
        st.altair_chart(loss_chart(df, res["chance"]), width="stretch")


with main:
    layout.predict(
        "s5b", f"Before any training, how much of the gradient's size reaches the first of "
        f"{T} steps in a freshly initialised **LSTM**, compared with a plain tanh RNN?",
        ["Far more: the forget gate already protects it",
         "About as little: both lose many orders of magnitude",
         "None at all: the LSTM's gradient is exactly zero"],
        correct=1,
        why="At initialisation the gates sit near 0.5, so the additive path multiplies the "
            "error by about 0.5 per step. The path only opens once training pushes some forget "
            "gates towards 1. Gates help the trained network, not the fresh one.")
    run = runner.live("s5b", exp.compare_cells, params, draw=draw_partial, refusal=refusal,
                      run_label="Train all four")

if run is None:
    st.info("Press **Train all four** above to train with these settings. The defaults (or the "
            "Lesson preset) open with a precomputed run.", icon=":material/play_circle:")
    layout.code(f"""
from core.experiments.gated import compare_cells
res = compare_cells(seq_len={T}, hidden_size={H}, steps={steps}, lr_rnn={lr_r},
                    lr_gated={lr_g}, seed={seed})
print({{k: (r["ratio_init"], r["ratio_final"]) for k, r in res["runs"].items()}})
""")
    layout.footer(FILE)
    st.stop()

res = run["result"]
runs = res["runs"]
done = [rid for rid in res["order"] if runs[rid]["ratio_init"] is not None]
# A stopped or capped run is partial: its numbers are shown, its claims are not judged.
complete = run["status"] in ("shipped", "done")
CLAIMS = {c.name: c for c in claims_for(exp.compare_cells.key)}


def show_claims(*names: str) -> None:
    if complete:
        claims.show(res, params, [CLAIMS[n] for n in names])
    else:
        st.caption("This run was stopped before the end: the checked statements appear once "
                   "all four cells have trained.")


def fmt(v: float | None) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.1e}"


def orders(a: float | None, b: float | None) -> str:
    """How many orders of magnitude b is above a, as text."""
    if a is None or b is None or not (a > 0 and b > 0 and math.isfinite(a) and
                                      math.isfinite(b)):
        return "n/a"
    return f"{math.log10(b / a):.1f}"


# -- 1. two moments -----------------------------------------------------------------------------
st.subheader("Two moments: a fresh network and a trained one")
rows = []
for rid in res["order"]:
    r = runs[rid]
    for moment, key in (("at initialisation", "ratio_init"), ("after training", "ratio_final")):
        v = r[key]
        if v is None:
            continue
        lv = math.log10(v) if v > 0 and math.isfinite(v) else (-300.0 if v == 0 else math.nan)
        rows.append({"cell": r["label"], "moment": moment, "ratio": v, "log10 ratio": lv})
rdf = pd.DataFrame(rows, columns=["cell", "moment", "ratio", "log10 ratio"])
c1, c2 = st.columns([2.6, 1], gap="large")
with c1:
    if len(rdf):
        show_df = rdf.copy()
        show_df["log10 ratio"] = show_df["log10 ratio"].clip(lower=-40)
        layout.show(charts_gated.grouped_bars(
            show_df, "cell", "log10 ratio", "moment", x_order=ORDER,
            group_order=["at initialisation", "after training"],
            x_title=None, y_title="log10( ||dL/dh_0|| / ||dL/dh_T-1|| )", height=320),
            rdf, key="s5b_moments", name="gradient_ratio_init_vs_trained", alt_text=(
                "First-step over last-step gradient ratio per cell. " + " ".join(
                    f"{runs[r]['label']}: {runs[r]['ratio_init']:.1g} at initialisation, "
                    f"{runs[r]['ratio_final']:.1g} after training."
                    for r in done)))
with c2:
    lstm_r, fb_r = runs["lstm"], runs["lstm_fb1"]
    layout.how_to_read(
        "Each bar is log10 of how much of the gradient's size survives the whole trip from "
        f"the last step back to the first ({res['seq_len'] - 1} steps). 0 would mean nothing "
        "is lost; -10 means ten orders of magnitude are lost.\n\n"
        "- **Blue, at initialisation**: compare each cell's bar with 0. A forget bias of 1 "
        f"moves the LSTM's bar up by {orders(lstm_r['ratio_init'], fb_r['ratio_init'])} "
        f"orders of magnitude in this run ({fmt(lstm_r['ratio_init'])} to "
        f"{fmt(fb_r['ratio_init'])}). Only the forget gate's starting value changed, from "
        "about 0.5 to 0.73. Started near 1 instead (bias "
        f"{res['carousel']['forget_bias']:g}, close to the 1997 cell's fixed weight of 1), "
        f"an untrained LSTM passes {res['carousel']['ratio_init']:.2g} of the gradient to the "
        "first step (not drawn): the forget gate is what closes the fresh LSTM's path.\n"
        "- **Orange, after training**: compare the gated cells with the tanh RNN.")
show_claims("fresh_cells_lose_it", "forget_bias_head_start", "forget_gate_closes_path",
            "trained_gates_open", "rnn_stays_closed")
layout.metric_row([
    (f"{runs[r]['label']}", f"{runs[r]['ratio_init']:.0e} → {runs[r]['ratio_final']:.0e}",
     "first/last gradient ratio at initialisation → after training")
    for r in done])
layout.cite("Measured by this app (adding problem, Adam, norm clipping at 1, batch 64, one "
            "seed); the checked statements hold for seeds 0-4 at the default settings. The "
            "gated cells: Hochreiter & Schmidhuber (1997), Long short-term memory, Neural "
            "Computation 9(8); Gers, Schmidhuber & Cummins (2000), Learning to forget: "
            "continual prediction with LSTM, Neural Computation 12(10); Cho et al. (2014), "
            "arXiv:1406.1078.")

# -- 2. lag x training step ---------------------------------------------------------------------
st.subheader("Gradient by lag while each cell learns")
hrows = []
for rid in res["order"]:
    r = runs[rid]
    for s, row in zip(r["probe_steps"], r["log_grad"]):
        for lag, v in enumerate(row):
            hrows.append((r["label"], int(s), lag, v))
hdf = pd.DataFrame(hrows, columns=["cell", "training step", "lag", "log10 grad"])
if len(hdf):
    layout.show(charts_gated.facet_heatmap(
        hdf, "training step", "lag", "log10 grad", "cell", facet_order=ORDER,
        y_title="lag (steps back from the loss)", value_title="log10 ||dL/dh||",
        domain=(-16.0, 1.0), width=185, height=250, columns=4),
        hdf, key="s5b_heat", name="lag_by_training_step_per_cell", alt_text=(
            "Four heatmaps, lag against training step. For the tanh RNN the high lags stay dark "
            "throughout; for the LSTM and GRU they brighten during training as the loss falls."))
layout.how_to_read(
    "Each panel is one cell. Columns are moments during training (left: before the first "
    "update); rows are how many steps back from the loss, lag 0 at the bottom. Colour is "
    "log10 of the gradient's size, with one shared scale: yellow is large, dark purple is 1e-16 "
    "or smaller.\n\n"
    "- The first column of every panel is the fresh network: dark at the top means the "
    "distant past hears almost nothing. The forget bias of 1 starts a few shades brighter.\n"
    "- Read each panel from left to right: where training opens the gates, the top rows "
    "brighten. Compare with the loss curves in the next chart: a learning cell needs the "
    "error to reach the first marked number, and the gradient reaches far back only once the "
    "cell has started to hold on to what it reads. The two go together.")
show_claims("path_opens_with_learning")

# -- 3. convergence -----------------------------------------------------------------------------
st.subheader("Who learns the adding problem?")
ldf = loss_frame(res)
c1, c2 = st.columns([2.6, 1], gap="large")
with c1:
    if len(ldf):
        finals = ", ".join(f"{runs[r]['label']} {runs[r]['final_loss']:.3g}" for r in done)
        layout.show(loss_chart(ldf, res["chance"]), ldf, key="s5b_loss",
                    name="adding_problem_loss", alt_text=(
                        f"Training loss (log scale) per cell; chance is {res['chance']:.3f}. "
                        f"Mean of the last 20 steps: {finals}."))
with c2:
    solved = ", ".join(f"{runs[r]['label']} at step {runs[r]['solved_step']}" for r in done
                       if runs[r]["solved_step"] is not None) or "none of the cells"
    layout.how_to_read(
        "Training loss on the adding problem (mean squared error, log scale, smoothed over "
        "10 steps). The dashed line is chance: always answering 1 scores 1/6.\n\n"
        "A cell that has not found the two marked numbers hovers at chance. A cell that finds "
        "them sits on the same plateau for a while, then drops by orders of magnitude once its "
        f"gates learn to hold the first number. Below {exp.SOLVED} (10-step mean) in this run: "
        f"{solved}.")
    st.metric("chance MSE", f"{res['chance']:.3f}")
show_claims("gru_first")
st.markdown(
    "One task and one setting do not rank the two gated cells in general. Chung et al. (2014) "
    "compared them on music and speech modelling: both were clearly better than tanh RNNs, and "
    "they could not say which of the two was better.")
layout.cite("Chung, Gulcehre, Cho & Bengio (2014), Empirical evaluation of gated recurrent "
            "neural networks on sequence modeling, arXiv:1412.3555. Adding problem in the form "
            "of Le, Jaitly & Hinton (2015), arXiv:1504.00941.")

# -- 4. gates -----------------------------------------------------------------------------------
st.subheader("Inside the gates: what training changed")
gates = res.get("gates", {})
available = [c for c in ("lstm", "gru") if "trained" in gates.get(c, {})]
if not available:
    st.info("The gates are traced once the LSTM has finished training.")
else:
    view = state.select("Cell to look inside", "gview",
                        {c: ("LSTM: forget gate f" if c == "lstm" else "GRU: update gate z")
                         for c in ("lstm", "gru")}, "lstm", radio=True)
    if view not in available:
        view = available[0]
    g = gates[view]
    keep = g["trained"]["keep_gate"]
    markers = res["example"]["markers"]
    grows = []
    for moment in ("init", "trained"):
        heat = np.asarray(g[moment]["heat"])
        for t in range(heat.shape[0]):
            for u in range(heat.shape[1]):
                grows.append(("at initialisation" if moment == "init" else "after training",
                              t, u, float(heat[t, u])))
    gdf = pd.DataFrame(grows, columns=["moment", "t", "unit (sorted)", keep])
    trained_heat = np.asarray(g["trained"]["heat"])
    init_heat = np.asarray(g["init"]["heat"])
    n_keep = int((trained_heat.mean(0) > 0.9).sum())
    top = float(trained_heat.mean(0).max())
    c1, c2 = st.columns([2.6, 1], gap="large")
    with c1:
        layout.show(charts_gated.facet_heatmap(
            gdf, "t", "unit (sorted)", keep, "moment",
            facet_order=["at initialisation", "after training"], x_title="time step t",
            y_title="hidden unit (sorted by mean gate)", value_title=f"gate {keep}",
            domain=(0.0, 1.0), width=230, height=260, columns=2, scheme="cividis"),
            gdf, key="s5b_gates", name=f"{view}_{keep}_gate_per_unit", alt_text=(
                f"Per-unit {keep} gate on one adding-problem sequence. At initialisation every "
                f"unit sits near {init_heat.mean():.2f}; after training {n_keep} of "
                f"{trained_heat.shape[1]} units hold it above 0.9 on average (highest "
                f"{top:.2f})."))
    with c2:
        what = ("forget gate f: the share of the old cell state kept at each step"
                if view == "lstm" else
                "update gate z: the share of the old hidden state copied forward")
        layout.how_to_read(
            f"One sequence of the adding problem, its marked numbers at t = "
            f"{', '.join(map(str, markers))}. Each row is a hidden unit (the first "
            f"{trained_heat.shape[1]}, sorted so the most persistent units are at the top); "
            f"colour is the {what}, from 0 (dark) to 1 (yellow).\n\n"
            "At initialisation the panel is a flat mid-tone: every gate is between "
            f"{init_heat.min():.2f} and {init_heat.max():.2f}, so memory roughly halves at "
            "every step. "
            + (f"After training {n_keep} of {trained_heat.shape[1]} rows "
               f"{'is' if n_keep == 1 else 'are'} bright on average (gate above 0.9): "
               f"{'that unit has' if n_keep == 1 else 'those units have'} learned to keep "
               "what it holds, "
               "which is exactly the open additive path the gradient needs."
               if n_keep else
               "After training no row is bright on average (gate above 0.9): in this run no "
               "unit has learned to hold on to its memory."))
        st.metric(f"units with mean {keep} > 0.9", f"{n_keep} of {trained_heat.shape[1]}",
                  help="after training, on this sequence")
        st.metric(f"{keep}^{res['seq_len']} for the most persistent unit",
                  f"{top ** res['seq_len']:.2g}",
                  help=f"vs 0.5^{res['seq_len']} = {0.5 ** res['seq_len']:.1g} at a closed gate")
    show_claims("gates_start_half_open", "few_units_keep")
    lrows = [(f"{keep}, most persistent unit (trained)", t, float(v))
             for t, v in enumerate(trained_heat[:, -1])]
    for gate, vals in g["trained"]["mean"].items():
        lrows += [(f"{gate}, mean over units (trained)", t, v) for t, v in enumerate(vals)]
    lrows += [(f"{keep}, mean over units (at initialisation)", t, v)
              for t, v in enumerate(g["init"]["mean"][keep])]
    ldf2 = pd.DataFrame(lrows, columns=["series", "t", "gate value"])
    order = list(dict.fromkeys(ldf2["series"]))
    c1, c2 = st.columns([2.6, 1], gap="large")
    with c1:
        layout.show(charts_gated.gate_lines(
            ldf2, "t", "gate value", "series", markers=markers, color_order=order,
            x_title="time step t", y_title="gate activation", height=340),
            ldf2, key="s5b_gate_lines", name=f"{view}_gates_over_time", alt_text=(
                f"Gate activations over time. The most persistent unit's {keep} gate stays "
                f"near {top:.2f} after training; averaged over units it is "
                f"{np.mean(g['trained']['mean'][keep]):.2f}, against "
                f"{np.mean(g['init']['mean'][keep]):.2f} before training."))
    mean_before = float(np.mean(g["init"]["mean"][keep]))
    mean_after = float(np.mean(g["trained"]["mean"][keep]))
    if n_keep == 0:
        lines_story = "In this run no unit holds its gate above 0.9 on average."
    elif mean_after < mean_before:
        lines_story = (
            f"Averages hide the story here: averaged over units the gate fell from "
            f"{mean_before:.2f} to {mean_after:.2f}, yet {n_keep} "
            f"{'unit' if n_keep == 1 else 'units'} with a gate near 1 can carry the first "
            "number to the end, and the error signal back along the same road.")
    else:
        lines_story = (
            f"Here {n_keep} of {trained_heat.shape[1]} units learned to keep their state, and "
            f"the average over units rose from {mean_before:.2f} to {mean_after:.2f}.")
    with c2:
        layout.how_to_read(
            "The same sequence, now as lines: the single most persistent unit, each gate "
            "averaged over all units after training, and the kept gate's average before "
            "training. Dashed red lines mark the "
            "two numbers the network has to add.\n\n"
            + lines_story + " Where a line dips at a dashed line, the units briefly let the marked number "
            "in, then close again.")

layout.explain(
    "Gates do not stop gradients from vanishing in a network that has not learned anything "
    "yet: with every gate near 0.5, a fresh LSTM loses many orders of magnitude, like a tanh "
    "RNN. "
    "What gates add is a road that training **can** open: once the loss depends on a distant "
    "input, gradient descent pushes a unit's forget (or update) gate towards 1, the product of "
    "gates along the path stays near 1, and the error reaches the distant input. The tanh RNN "
    "has no such road: its only path runs through W_hh and tanh' at every step. Setting the "
    "LSTM's forget-gate bias to 1 starts the gate at sigmoid(1) = 0.73 instead of 0.5, which "
    "makes the start less hopeless (compare the blue bars) but is a head start, not a cure. "
    "The 1997 LSTM needed no such trick: without a forget gate its cell path had a fixed "
    "weight of 1 from the start.",
    title="What to take away")

layout.code(f"""
import torch
from core.models import build_model
from core.tasks import make_task
from core.training import train

task = make_task("adding", {res['seq_len']})
for cell, lr in [("rnn", {lr_r}), ("lstm", {lr_g}), ("gru", {lr_g})]:
    model = build_model(cell, 2, {H}, 1, seed={seed})          # forget_bias=1.0 for the LSTM variant
    hist = train(model, task, lr=lr, clip="norm", clip_threshold=1.0, steps={steps},
                 batch_size=64, seed={seed}, probe_every={max(1, steps // 15)})
    first, last = hist.probes[0]["grad_norm_by_t"], hist.probes[-1]["grad_norm_by_t"]
    print(cell, "init", first[0] / first[-1], "trained", last[0] / last[-1],
          "loss", hist.final_loss())
x, y = task.sample(1, torch.Generator().manual_seed({exp.EXAMPLE_SEED}))
print(model.trace(x)["z"].shape)                     # (B, T, H) for the last model, the GRU
""")
layout.footer(FILE)
