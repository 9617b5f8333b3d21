"""Lesson section 5b: LSTM and GRU, and the moment their gates start to matter."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from core.experiments import gated as exp
from ui import charts_gated, layout, runner, state

FILE = "s5_gated.py"
D = exp.compare_cells.defaults

layout.header(FILE, (
    "An LSTM or a GRU replaces the plain RNN's single squashing step with a small circuit of "
    "**gates**: numbers between 0 and 1 that decide, unit by unit and step by step, how much of "
    "the old memory to keep and how much new input to write. The gates open a path along which "
    "the error signal can travel back without being squeezed at every step. The catch this page "
    "measures: that path has to be **learned**. A freshly initialised LSTM loses its gradient "
    "almost as badly as a plain RNN; a trained one does not."))

# -- the equations ------------------------------------------------------------------------------
st.subheader("The two cells in equations")
c1, c2 = st.columns(2, gap="large")
with c1, st.container(border=True):
    st.markdown("**LSTM** (Hochreiter & Schmidhuber 1997; forget gate as used today)")
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
        "f_t alone. If a unit holds f_t near 1, the error passes that step almost untouched.")
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
layout.explain(
    "A plain RNN has only one road from h_{t-1} to h_t: through W_hh and tanh', which shrink "
    "the signal at almost every step (section 3). A gated cell adds a second road that is "
    "just an element-wise product with a gate. Nothing forces that gate to be near 1, though. "
    "At initialisation the gates sit near sigmoid(0) = 0.5, and 0.5 multiplied fifty times is "
    "about 1e-15: the shortcut exists, but it is closed. Training opens it in the units that need "
    "to remember. That is why the charts below show two moments, **before** and **after** "
    "training.", title="The additive path in plain words")

# -- controls -----------------------------------------------------------------------------------
st.subheader("The experiment: four cells, one task, one seed")
controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up the race**")
    state.presets({
        "lesson": {"label": "Lesson default: T = 50", "T": 50, "H": 32, "steps": 500,
                   "lrg": 1e-2, "lrr": 1e-3},
        "short": {"label": "Easier: T = 30", "T": 30, "H": 32, "steps": 300, "lrg": 1e-2,
                  "lrr": 1e-3},
        "long": {"label": "Harder: T = 80, 300 steps", "T": 80, "H": 32, "steps": 300,
                 "lrg": 1e-2, "lrr": 1e-3},
        "fair_lr": {"label": "Same learning rate for all (1e-2)", "T": 50, "H": 32,
                    "steps": 500, "lrg": 1e-2, "lrr": 1e-2},
    })
    T = state.slider("Sequence length T", "T", 20, 100, D["seq_len"], step=10,
                     help="How far apart the two marked numbers can be.")
    steps = state.slider("Training steps", "steps", 100, 1500, D["steps"], step=50,
                         help="Adam updates per cell, batch 64, norm clipping at 1.")
    H = state.slider("Hidden size H", "H", 16, 128, D["hidden_size"], step=16, advanced=True)
    lr_g = state.number("Learning rate, LSTM and GRU", "lrg", 1e-4, 1e-1, D["lr_gated"],
                        step=1e-3, format="%.4f", advanced=True)
    lr_r = state.number("Learning rate, tanh RNN", "lrr", 1e-4, 1e-1, D["lr_rnn"], step=1e-3,
                        format="%.4f", advanced=True,
                        help="1e-3 is the rate that works best for the tanh RNN here; larger "
                             "rates make it unstable rather than better.")
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
    layout.how_to_read(
        "Each bar is log10 of how much of the gradient's size survives the whole trip from "
        f"the last step back to the first ({res['seq_len'] - 1} steps). 0 would mean nothing "
        "is lost; -10 means ten orders of magnitude are lost.\n\n"
        "- **Blue, at initialisation**: every cell loses the signal. The LSTM is no better than "
        "the plain RNN; a forget bias of 1 helps by a few orders of magnitude, no more.\n"
        "- **Orange, after training**: the LSTM and GRU now pass a sizeable share of the "
        "gradient to step 0. The tanh RNN does not.")
layout.metric_row([
    (f"{runs[r]['label']}", f"{runs[r]['ratio_init']:.0e} → {runs[r]['ratio_final']:.0e}",
     "first/last gradient ratio at initialisation → after training")
    for r in done])
layout.cite("Measured by this app (adding problem, Adam, norm clipping at 1, batch 64, one "
            "seed). The gated cells: Hochreiter & Schmidhuber (1997), Long "
            "short-term memory, Neural Computation 9(8); Cho et al. (2014), arXiv:1406.1078.")

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
    "- The first column of every panel is the fresh network. The tanh RNN, LSTM and GRU all "
    "start dark at the top: no cell hears the distant past at initialisation. The forget bias "
    "of 1 starts a few shades brighter, still far from yellow.\n"
    "- Read each panel from left to right: where training opens the gates, the top rows "
    "brighten. Compare with the loss curves in the next chart: a cell's top rows brighten "
    "before or while its loss drops, never after, because the path back to the first marked "
    "number must open before that number can be used. For the tanh RNN neither happens.")

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
    layout.how_to_read(
        "Training loss on the adding problem (mean squared error, log scale, smoothed over "
        "10 steps). The dashed line is chance: always answering 1 scores 1/6.\n\n"
        "The tanh RNN hovers at chance: it never finds the two marked numbers. The gated "
        "cells sit on the same plateau for a while, then drop by orders of magnitude once "
        "their gates learn to hold the first number. Like Chung et al. (2014), we see both "
        "gated cells clearly ahead of the tanh RNN and no clear winner between them; which "
        "one drops first changes with the seed.")
    st.metric("chance MSE", f"{res['chance']:.3f}")
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
            "At initialisation the panel is a flat mid-tone: every gate is close to 0.5, so "
            f"memory halves at every step. After training {n_keep} of {trained_heat.shape[1]} "
            "rows are bright on average (gate above 0.9): those units have learned to keep "
            "what they hold, which is exactly the open additive path the gradient needs.")
        st.metric(f"units with mean {keep} > 0.9", f"{n_keep} of {trained_heat.shape[1]}",
                  help="after training, on this sequence")
        st.metric(f"{keep}^{res['seq_len']} for the most persistent unit",
                  f"{top ** res['seq_len']:.2g}",
                  help=f"vs 0.5^{res['seq_len']} = {0.5 ** res['seq_len']:.1g} at a closed gate")
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
    with c2:
        layout.how_to_read(
            "The same sequence, now as lines: the single most persistent unit, each gate "
            "averaged over all units after training, and the kept gate's average before "
            "training. Dashed red lines mark the "
            "two numbers the network has to add.\n\n"
            + ("Averages hide the story here: most units keep forgetting. It takes only one "
               "or two units with a gate near 1 to carry the first number to the end, and the "
               "error signal back along the same road."
               if n_keep <= 3 else
               "Here most units learned to keep their state, so even the average moved "
               "towards 1.")
            + " Where a line dips at a dashed line, the units briefly let the marked number "
            "in, then close again.")

layout.explain(
    "Gates do not stop gradients from vanishing in a network that has not learned anything "
    "yet: with every gate near 0.5, an LSTM's gradient fades about as fast as a tanh RNN's. "
    "What gates add is a road that training **can** open: once the loss depends on a distant "
    "input, gradient descent pushes a unit's forget (or update) gate towards 1, the product of "
    "gates along the path stays near 1, and the error reaches the distant input. The tanh RNN "
    "has no such road: its only path runs through W_hh and tanh' at every step. Setting the "
    "LSTM's forget-gate bias to 1 starts the gate at sigmoid(1) = 0.73 instead of 0.5, which "
    "makes the start less hopeless (compare the blue bars) but is a head start, not a cure.",
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
