"""Lesson section 2: the exploding gradient problem."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from core.experiments import exploding as exp
from core.training import estimate_seconds
from ui import charts, charts_cliff, demos, layout, runner, state
from ui.glossary import term

FILE = "s2_exploding.py"
D = exp.blowup.defaults
C = exp.cliff_path.defaults

layout.header(FILE, (
    "Section 1 showed the error signal fading on its way back through time. The same "
    "multiplication can go the other way: when the recurrent weights stretch the signal at "
    f"every step, the gradient **grows** geometrically with distance: an "
    f"{term('exploding gradient')}. One oversized gradient "
    "makes one oversized update, the loss jumps instead of falling, and a few steps later the "
    f"numbers no longer fit in a float: the weights become {term('NaN and inf', '`inf` and `NaN`')}. Here you can "
    "cause that on purpose, find the exact step and tensor where it happened, and see the "
    "shape of the loss surface that throws gradient descent off course."))

controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up a run that may explode**")
    state.presets({
        "explode": {"label": "Explode: tanh, gain 2, SGD 0.05", "nl": "tanh", "gain": 2.0,
                    "lr": 0.05, "opt": "sgd", "T": 30, "steps": 200},
        "calm": {"label": "Same, gain 1 (no blow-up)", "nl": "tanh", "gain": 1.0, "lr": 0.05,
                 "opt": "sgd", "T": 30, "steps": 200},
        "lr003": {"label": "Same, learning rate 0.03", "nl": "tanh", "gain": 2.0, "lr": 0.03,
                  "opt": "sgd", "T": 30, "steps": 200},
        "adam": {"label": "Same explosive start, Adam", "nl": "tanh", "gain": 2.0,
                 "lr": 0.05, "opt": "adam", "T": 30, "steps": 200},
        "giant": {"label": "One giant step: gain 4, T = 200", "nl": "tanh", "gain": 4.0,
                  "lr": 0.01, "opt": "sgd", "T": 200, "steps": 100},
    })
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.5, 4.0, D["gain"], step=0.1,
                        help="Multiplies PyTorch's default recurrent weights. Above about 1 "
                             "the largest singular value of W_hh passes 1.")
    lr = state.number("Learning rate", "lr", 0.0001, 1.0, D["lr"], step=0.005, format="%.4f",
                      help="SGD multiplies the gradient by this: a huge gradient makes a huge "
                           "step.")
    opt = state.select("Optimiser", "opt", {"sgd": "SGD", "momentum": "SGD + momentum 0.9",
                                            "adam": "Adam"}, D["optimizer"])
    T = state.slider("Sequence length T", "T", 10, 200, D["seq_len"], step=10)
    steps = state.slider("Training steps", "steps", 20, 600, D["steps"], step=20)
    act = state.select("Nonlinearity", "nl", {"tanh": "tanh", "relu": "ReLU"},
                       D["nonlinearity"], advanced=True)
    H = state.slider("Hidden size H", "H", 8, 128, D["hidden_size"], step=8, advanced=True)
    seed = state.seed(D["seed"])

params = dict(nonlinearity=act, gain=gain, seq_len=T, hidden_size=H, optimizer=opt, lr=lr,
              steps=steps, batch_size=D["batch_size"], seed=seed)
est = estimate_seconds("rnn", T, H, steps=steps, batch_size=D["batch_size"])
refusal = runner.over_cap(est, "These settings",
                          "Fewer steps, a shorter T or a smaller H will run.")


def loss_frame(r: dict) -> pd.DataFrame:
    return pd.DataFrame({"step": r["step"], "loss": r["loss"]})


def growth_frame(r: dict) -> pd.DataFrame:
    n = len(r["step"])
    return pd.concat([
        pd.DataFrame({"step": r["step"], "value": r["grad_norm"], "what": "||gradient||"}),
        pd.DataFrame({"step": r["step"][:n], "value": r["w_max"][:n], "what": "max |W_hh|"}),
    ], ignore_index=True)


def finite_only(df: pd.DataFrame, col: str) -> pd.DataFrame:
    v = pd.to_numeric(df[col], errors="coerce")
    return df[np.isfinite(v)]


def with_nan_rule(chart, r: dict):
    ev = r.get("first_nonfinite")
    if not ev:
        return chart
    return alt_layer(chart, charts_cliff.nan_rule(ev["step"], f"first non-finite: step {ev['step']}"))


def alt_layer(*layers):
    import altair as alt

    return alt.layer(*layers)


def draw_live(r: dict) -> None:
    """Drawn while the run trains: the gradient norm so far."""
    df = finite_only(growth_frame(r), "value")
    if len(df):
        st.caption("Training live: the gradient norm and the largest weight so far.")
        st.altair_chart(charts.log_lines(df, "step", "value", color="what", height=220,
                                         x_title="training step", y_title="log scale",
                                         color_domain=["||gradient||", "max |W_hh|"]),
                        width="stretch")


def _observed() -> str | None:
    demo = demos.shipped(exp.blowup.key)
    if demo is None:
        return None
    r = demo["result"]
    ev = r["first_nonfinite"]
    if not ev:
        return None
    fin = [x for x in r["loss"] if math.isfinite(x)]
    return (f"with those settings (the *Explode* preset) the loss went from {fin[0]:.2g} to "
            f"{max(fin):.2g} and turned non-finite at step {ev['step']}.")


with main:
    layout.predict(
        "s2", "A tanh RNN whose recurrent weights start at **twice** PyTorch's default scale "
        "is trained with plain SGD at learning rate 0.05 on the adding problem (T = 30). What "
        "happens within 200 steps?",
        ["The loss falls slowly, as usual", "The loss stalls at the chance level (0.167)",
         "The loss climbs by dozens of orders of magnitude and the run ends in NaN",
         "Nothing can go wrong: tanh keeps every hidden state between -1 and 1"],
        correct=2,
        why="tanh bounds the hidden states, not the gradients. Backpropagation multiplies by "
            "W_hh at every step back, and with gain 2 those products grow. SGD turns a huge "
            "gradient into a huge step; the readout weights shoot up, the loss follows, and "
            "soon a number overflows float32 (about 3.4e38) and becomes inf, then NaN.",
        observed=_observed())
    st.subheader("Train it and watch")
    run = runner.live("s2", exp.blowup, params, draw=draw_live, run_label="Train",
                      refusal=refusal)

    res = run["result"] if run is not None else None

if res is not None:
    ev = res["first_nonfinite"]
    n = len(res["step"])
    with main:
        ldf = loss_frame(res)
        fin = finite_only(ldf, "loss")
        c1, c2 = st.columns(2, gap="medium")
        with c1:
            st.markdown("**Loss per step**")
            if len(fin):
                chart = charts.log_lines(fin, "step", "loss", x_title="training step",
                                         y_title="loss (log scale)", height=260,
                                         floor=1e-12)
                layout.show(with_nan_rule(chart, res), ldf, key="s2_loss", name="loss",
                            alt_text=(f"Loss over {n} steps; "
                                      + (f"it turns non-finite at step {ev['step']}."
                                         if ev else "it stays finite.")))
        with c2:
            st.markdown("**Gradient norm and largest weight**")
            gdf = growth_frame(res)
            gfin = finite_only(gdf, "value")
            if len(gfin):
                chart = charts.log_lines(gfin, "step", "value", color="what",
                                         x_title="training step", y_title="log scale",
                                         height=260, floor=1e-12,
                                         color_domain=["||gradient||", "max |W_hh|"])
                big = float(gfin[gfin["what"] == "||gradient||"]["value"].max())
                layout.show(with_nan_rule(chart, res), gdf, key="s2_growth", name="growth",
                            alt_text=(f"The gradient norm reaches {big:.2g} at most before "
                                      "the run stops." if ev else
                                      f"The gradient norm peaks at {big:.2g}."))
        layout.how_to_read(
            "- Both charts share the x-axis (training step) and use a **log** y-axis: each "
            "grid line up is ten times more. A straight rising line is exponential growth.\n"
            "- The dashed orange line marks the first step where any number became `inf` or "
            "`NaN`. The loss curve stops there. The gradient's entries can stay finite a "
            "few steps longer (when a squared error overflows, its gradient 2 (output - "
            "target) does not), though their joint norm may already overflow, so the blue "
            "line can stop too. Soon an update makes the weights non-finite and the run "
            "stops: after that every output is NaN.\n"
            "- Left: a healthy run falls towards or below the chance loss of 0.167 (always "
            "guess 1). An exploding one **jumps up** instead, often in bursts.\n"
            "- Right: the blue line is the size of the whole gradient before the update, the "
            "orange one the largest recurrent weight after it. Watch the gradient grow first "
            "and the weights follow.")

        st.subheader("NaN forensics: where did it break?")
        if ev:
            where = {"loss": "the loss (the forward pass overflowed)",
                     "gradient": "a gradient (the backward pass overflowed)",
                     "weights": "the weights (the update itself overflowed)"}[ev["where"]]
            prev = [x for x in res["loss"][:ev["step"]] if math.isfinite(x)]
            gprev = [x for x in res["grad_norm"][:ev["step"]] if math.isfinite(x)]
            layout.metric_row([
                ("first non-finite step", f"{ev['step']}", "0-based training step"),
                ("found first in", ev["where"], "checked in this order: loss, gradients, "
                 "weights after the update"),
                ("tensor", ev["tensor"], "the parameter (or the loss) holding it"),
                ("last finite loss", f"{prev[-1]:.3g}" if prev else "none",
                 "the loss one step earlier"),
            ])
            st.markdown(
                f"At step **{ev['step']}** the first non-finite number appeared in **{where}**"
                f" (`{ev['tensor']}`). "
                + (f"The largest finite gradient norm before it was **{max(gprev):.3g}**, "
                   f"and SGD-style optimisers step by learning rate ({lr:g}) x gradient. "
                   if gprev else "")
                + f"The run was stopped after step {n - 1}, when the weights themselves stopped "
                "being finite: from there every parameter the NaN touches in the next backward "
                "pass turns NaN too, and nothing can be learned any more.")
            counts = pd.DataFrame([{"parameter": k, "non-finite entries": v[0], "of": v[1]}
                                   for k, v in res["nonfinite_counts"].items()])
            st.dataframe(counts, hide_index=True)
        else:
            st.success(f"No NaN or inf in {n} steps: this run stayed finite. Its largest "
                       f"gradient norm was {max(res['grad_norm']):.3g}. Try the *Explode* "
                       "preset, or raise the gain or the learning rate.",
                       icon=":material/check_circle:")

        st.markdown("**The recurrent weight matrix: at the start, just before, and after**")
        k = len(res["w_init"])
        lf = res["w_last_finite_step"]
        snaps = [("at initialisation", res["w_init"], "s2_w0"),
                 (f"after step {lf}, the last finite one" if lf >= 0 else
                  "at initialisation (no update kept it finite)",
                  res["w_last_finite"], "s2_w1"),
                 ("when the run ended", res["w_end"], "s2_w2")]
        cols = st.columns(3, gap="small")
        for col, (label, mat, key) in zip(cols, snaps):
            a = np.asarray(mat, dtype=float)
            df = pd.DataFrame([(i, j, a[i, j]) for i in range(k) for j in range(k)],
                              columns=["row", "col", "weight"])
            bad = int((~np.isfinite(df["weight"])).sum())
            with col:
                st.caption(f"W_hh {label}")
                big = float(np.nanmax(np.abs(a))) if np.isfinite(a).any() else math.nan
                layout.show(charts.heatmap(df, "col", "row", "weight", value_title="log10 |w|",
                                           height=230),
                            df, key=key, name=f"w_hh_{key[-1]}", alt_text=(
                                f"{bad} of {k * k} cells are non-finite (drawn as crosses)."
                                if bad else f"All {k * k} cells finite; the largest |w| is "
                                f"{big:.3g}."))
        layout.how_to_read(
            f"Each square is one recurrent weight W_hh[row, col] (the top-left {k} x {k} "
            "block); colour is log10 of its size, yellow big and purple small. **Each map has "
            "its own colour scale: read the legend numbers.** Compare the middle map's legend "
            "with the left one to see how many orders of magnitude the weights grew. Orange "
            "crosses are `NaN` or `inf` cells. A blown-up run usually ends with the **whole** "
            "matrix crossed out: one bad number in the loss reaches every weight through the "
            "next backward pass.")

layout.explain(
    f"{term('BPTT', 'Backpropagation through time')} multiplies the error by the step "
    f"{term('Jacobian')} diag(tanh') W_hh once per step it travels back. If W_hh stretches "
    f"some direction by more than 1 (its largest {term('singular value')} sigma_max above 1, "
    "because tanh' is at most 1), the "
    "product **can** grow exponentially with the distance. The total gradient is a sum over "
    "all those distances, so the longest ones dominate. An optimiser like SGD then takes a "
    "step proportional to it: one freak gradient can undo everything learned. Adam divides by "
    "a running gradient size and so takes bounded steps, which is why it often survives the "
    "same start (try the preset). A giant step need not end in NaN to do harm: with gain 4 "
    "and T = 200 (preset *One giant step*, seed 0) the very first gradient norm is about "
    "2e16. The update it causes throws the recurrent weights to about 1e13, every tanh unit "
    "saturates, no gradient reaches W_hh any more, and max |W_hh| stays flat for the rest of "
    "the run: only the readout still learns. The standard cure for SGD-style training is to cap "
    "the step: gradient clipping.", title="Why the gradient explodes")

st.subheader("Is sigma_max > 1 enough to explode?")
jres = demos.run(exp.jacobian_growth)
jrows = []
for cv in jres["curves"]:
    lab = f"gain {cv['gain']:g} (sigma_max {cv['sigma_max']:.2f})"
    jrows += [{"lag": k, "norm": 10.0 ** v if math.isfinite(v) else (0.0 if v < 0 else v),
               "network": lab} for k, v in zip(jres["lag"], cv["log_norm"])]
jdf = pd.DataFrame(jrows)
c1, c2 = st.columns([2.6, 1], gap="large")
with c1:
    layout.show(charts.log_lines(jdf, "lag", "norm", color="network",
                                 x_title="steps back (lag k)",
                                 y_title="||dh_T / dh_(T-k)|| (log)", height=300),
                jdf, key="s2_jac", name="jacobian_growth", alt_text=(
                    "Three fresh tanh RNNs. " + "; ".join(
                        f"gain {cv['gain']:g}: sigma_max {cv['sigma_max']:.2f}, after "
                        f"{jres['lag'][-1]} steps 10^{cv['log_norm'][-1]:.1f}"
                        for cv in jres["curves"])))
with c2:
    g1 = jres["curves"][0]
    layout.how_to_read(
        "Each line is the size (largest singular value) of the product of step Jacobians "
        "from step T back to step T-k, for one sequence through a fresh tanh RNN, H = 64. "
        "Above 1 it amplifies, below 1 it shrinks.\n\n"
        f"Even the default network has sigma_max = {g1['sigma_max']:.2f} > 1, yet its "
        "product **vanishes**: tanh' is below 1 wherever units are not exactly at 0, and "
        "the stretched direction is rarely the one the signal travels in. sigma_max > 1 is "
        "**necessary** for explosion, not **sufficient**. Only at larger gains does the "
        "product grow.")
layout.cite("Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent neural "
            "networks, arXiv:1211.5063, section 2.1 (necessary vs sufficient conditions).")

st.subheader("Pascanu's cliff: why one step can throw you far away")
st.markdown(f"A loss surface with a {term('cliff', 'cliff')}: flat-ish ground, then a wall "
            "where the loss changes abruptly. Exploding gradients live on such walls.")
cc, cm = st.columns([1, 2.6], gap="large")
with cc, st.container(border=True):
    st.markdown("**Gradient descent on a one-unit RNN**")
    w0 = state.slider("Start: weight w", "cw", 2.5, 11.5, C["w0"], step=0.25)
    b0 = state.slider("Start: bias b", "cb", -6.5, 1.5, C["b0"], step=0.05)
    clr = state.slider("Learning rate", "clr", 0.005, 0.2, C["lr"], step=0.005,
                       format="%.3f")
    cst = state.slider("Steps", "cst", 10, 300, C["steps"], step=10)
cres = demos.run(exp.cliff_path, w0=w0, b0=b0, lr=clr, steps=cst)
path = cres["path"]
gn = path["grad_norm"]
big_i = int(np.nanargmax(gn)) if gn else 0
jumps = [math.hypot(path["w"][i + 1] - path["w"][i], path["b"][i + 1] - path["b"][i])
         for i in range(len(gn))]
with cm:
    chart = charts_cliff.cliff_map(cres["surface"], {"unclipped": path}, cres["wall"],
                                   height=400)
    ptab = charts_cliff.path_table({"unclipped": path})
    layout.show(chart, ptab, key="s2_cliff", name="cliff_path", alt_text=(
        f"Loss surface of x_t = w sigmoid(x_(t-1)) + b over {cres['spec']['T']} steps. The "
        f"unclipped path meets a gradient of norm {gn[big_i]:.3g} at step {big_i} and jumps "
        f"{jumps[big_i]:.3g} units in one step, to w = {path['w'][big_i + 1]:.3g}, "
        f"b = {path['b'][big_i + 1]:.3g}.") if gn else "No steps taken.")
    if gn:
        after = path["loss"][big_i + 1] if big_i + 1 < len(path["loss"]) else math.nan
        layout.metric_row([
            ("largest gradient", f"{gn[big_i]:.3g}", f"its norm, at step {big_i}"),
            ("that step's length", f"{jumps[big_i]:.3g}",
             "distance moved in (w, b) by that one update"),
            ("loss before it", f"{path['loss'][big_i]:.3g}", "where that step started"),
            ("loss after it", f"{after:.3g}", "where that step landed"),
        ])
    layout.how_to_read(
        "- Grey shade is the loss of a one-unit RNN, x_t = w sigmoid(x_(t-1)) + b, started at "
        "x_0 = 0.5 and asked to end at x_50 = 0.7 (darker = higher, log scale).\n"
        "- The pink dashed line is the **cliff**: where x_0 sits exactly on the map's "
        "unstable fixed point. Just above it the unit settles high, just below it settles "
        "low, so the loss changes abruptly and its gradient there is enormous.\n"
        "- The orange path is plain gradient descent from the black square. Downhill leads "
        "it **towards** the cliff (the best loss on the upper side lies along the edge). "
        "When a step lands near the edge, the gradient is huge and the next step flings the "
        "point away. A hollow diamond on the border marks where it left the map (hover it for "
        "where the step really landed).\n"
        "- With the default start, the thrown point later rolls into a different valley far "
        "outside the map: everything it had learned near the start is gone. In a network "
        "with thousands of weights there is no such luck.")
    layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063, Figure 6 (the error "
                "surface of a single-hidden-unit RNN and its high-curvature wall); the "
                "one-unit model from Doya (1993). Start, target and learning rate here are "
                "ours.")
    st.page_link("pages/s5_clipping.py", label="See the same cliff with a clipped path: "
                 "5a · Gradient clipping", icon=":material/content_cut:",
                 query_params={"preset": "explode_clip"})

layout.code(f"""
import torch
from core.models import build_model
from core.tasks import make_task
from core.training import train

task = make_task("adding", {T})
model = build_model("rnn", 2, {H}, 1, nonlinearity="{act}", gain={gain}, seed={seed})
hist = train(model, task, optimizer="{opt}", lr={lr}, steps={steps}, seed={seed})
print(hist.first_nonfinite)          # e.g. {{'step': 40, 'where': 'loss', 'tensor': 'loss'}}
print([r["grad_norm"] for r in hist.records][-5:])   # the growth just before it
print(torch.isfinite(model.cell.weight_hh).float().mean())  # share of finite weights left
""")
layout.footer(FILE)
