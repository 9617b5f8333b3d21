"""Lesson section 6: initialisation and normalisation."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from core.claims import claims_for
from core.experiments import init_norm as exp
from ui import charts_gated, claims, layout, runner, state

FILE = "s6_init_norm.py"
DI = exp.init_schemes.defaults
DN = exp.norm_compare.defaults
INIT_ORDER = [s[5] for s in exp.SCHEMES]
NORM_ORDER = [label for _, label in exp.NORMS]
INIT_CLAIMS = {c.name: c for c in claims_for(exp.init_schemes.key)}
NORM_CLAIMS = {c.name: c for c in claims_for(exp.norm_compare.key)}


def show_claims(run: dict, params: dict, table: dict, *names: str) -> None:
    """The verdicts of some claims on a complete run (a stopped run is not judged)."""
    if run["status"] in ("shipped", "done"):
        claims.show(run["result"], params, [table[n] for n in names])
    else:
        st.caption("This run was stopped before the end: the checked statements appear once "
                   "every model has trained.")


def log10_or_nan(v):
    if v is None:
        return math.nan
    return math.log10(v) if v > 0 and math.isfinite(v) else (-300.0 if v == 0 else math.nan)


def fmt(v) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.1g}"


def loss_frame(res: dict, key: str, smooth: int = 10) -> pd.DataFrame:
    parts = []
    for rid in res["order"]:
        r = res["runs"][rid]
        if not r["step"]:
            continue
        loss = pd.Series(r["loss"], dtype=float)
        parts.append(pd.DataFrame({"step": r["step"], "loss": loss, key: r["label"],
                                   "smoothed loss": loss.rolling(smooth, min_periods=1).mean()}))
    return pd.concat(parts) if parts else pd.DataFrame(
        columns=["step", "loss", key, "smoothed loss"])


def loss_chart(df: pd.DataFrame, key: str, order: list[str], chance: float, height=360):
    return charts_gated.loss_lines(df, "step", "smoothed loss", key, color_order=order,
                                   chance=chance, x_title="training step",
                                   y_title="MSE (log, 10-step mean)", height=height)


layout.header(FILE, (
    "Two cheap levers set how a recurrent network **starts**: the numbers its weights are "
    "drawn from, and whether the signal inside each step is re-scaled to a standard size. "
    "This page measures how far back the first gradients reach with each, and what that buys "
    "in training."))

with st.sidebar:
    st.caption("On this page: initialisation, then normalisation. Each has its own Run "
               "button.")

# =============================================================================================
st.header("Initialisation: where the weights start")
layout.explain(
    "Section 3 showed that the gradient is multiplied, step after step, by a Jacobian built "
    "from W_hh. So the **singular values** of W_hh at the start, how much it stretches or "
    "shrinks each direction, shape those products. The run below trains six starts side by "
    "side: four for a plain RNN and two for an LSTM.\n\n"
    "- **PyTorch default**: every weight uniform in ±1/sqrt(H). A random matrix of that scale "
    "has singular values from near 0 to just above 1, so most directions shrink.\n"
    "- **Xavier (Glorot)**: uniform in ±sqrt(6 / (fan-in + fan-out)), which for a square "
    "W_hh is sqrt(3) times wider than the default. Its largest singular values reach about "
    "2: more directions stretch, though most still shrink.\n"
    "- **Orthogonal** (Saxe et al. 2013): every singular value exactly 1, so W_hh alone "
    "preserves lengths and only tanh' shrinks the signal.\n"
    "- **Identity with ReLU** (IRNN, Le, Jaitly & Hinton 2015): W_hh = I, so at the start each "
    "step copies the state forward, and a unit whose ReLU is active passes its gradient "
    "unchanged.\n"
    "- **LSTM**, default and with the **forget-gate bias set to 1**: the LSTM's usual trick "
    "(section 5b), which starts the forget gates at sigmoid(1) = 0.73 instead of 0.5.\n\n"
    "A **gain** multiplies W_hh after any of these: below 1 every start shrinks more, above "
    "1 every start stretches more.", title="Six starts, one dial")

controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up the starts**")
    state.presets({
        "lesson": {"label": "Lesson default", "iT": DI["seq_len"], "gain": DI["gain"],
                   "isteps": DI["steps"], "ncell": DN["cell"], "nT": DN["seq_len"],
                   "nsteps": DN["steps"], "nlr": DN["lr"]},
        "shrink": {"label": "Gain 0.8: every start scaled down", "iT": 50, "gain": 0.8,
                   "isteps": 150},
        "stretch": {"label": "Gain 1.3: every start scaled up", "iT": 50, "gain": 1.3,
                    "isteps": 150},
        "lstm_norm": {"label": (f"Normalised LSTMs (T = {exp.LSTM_PRESET['seq_len']}, "
                                f"lr {exp.LSTM_PRESET['lr']:g})"),
                      "ncell": exp.LSTM_PRESET["cell"], "nT": exp.LSTM_PRESET["seq_len"],
                      "nsteps": exp.LSTM_PRESET["steps"], "nlr": exp.LSTM_PRESET["lr"]},
    })
    iT = state.slider("Sequence length T", "iT", 20, 100, DI["seq_len"], step=10)
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.5, 1.5, DI["gain"], step=0.05,
                        help="Multiplies W_hh after initialisation, for every start.")
    isteps = state.slider("Training steps", "isteps", 50, 600, DI["steps"], step=50,
                          help="The 'after training' moment: Adam, batch 64, norm clip 1.")
    iH = state.slider("Hidden size H", "iH", 16, 128, DI["hidden_size"], step=16,
                      advanced=True)
    ilr = state.number("Learning rate", "ilr", 1e-5, 1e-1, DI["lr"], step=1e-4,
                       format="%.5f", advanced=True,
                       help="Le et al. found the IRNN needs small rates (1e-4 or less).")
    seed = state.seed(DI["seed"])
    iest = exp.estimate_init(iT, iH, isteps)
    st.caption(f"Estimated: about {iest:.0f} s on one CPU thread for all six starts (more "
               "when the server is busy).")

iparams = dict(seq_len=iT, hidden_size=iH, gain=gain, steps=isteps, lr=ilr, seed=seed)
irefusal = runner.over_cap(iest, "These settings", "Lower T, H or the steps.")


def draw_init_partial(res: dict) -> None:
    df = loss_frame(res, "start")
    if len(df):
        st.altair_chart(loss_chart(df, "start", INIT_ORDER, res["chance"], 300),
                        width="stretch")


with main:
    rnn_ids = [s[0] for s in exp.SCHEMES if s[1] == "rnn"]
    qslot = st.container()  # the prediction sits above the Run button, filled once known
    pre = runner.live("s6_init", exp.init_schemes, iparams, draw=draw_init_partial,
                      refusal=irefusal, run_label="Train all six")
    if pre is not None:
        ratios = [pre["result"]["runs"][s]["ratio_init"] for s in rnn_ids]
        finite = [(r if r is not None and math.isfinite(r) else -1.0) for r in ratios]
        best = int(np.argmax(finite))
        with qslot:
            layout.predict(
              "s6_init", f"A tanh or ReLU RNN reads {iT} steps, gain {gain:g}, untrained. Which "
              "start lets the **largest** share of the gradient reach step 0?",
              [exp.SCHEME_LABELS[s] for s in rnn_ids], correct=best,
              why="At initialisation only W_hh and the activation's slope act on the "
                  "gradient. Identity with ReLU copies it unchanged wherever a unit is active. "
                  "Orthogonal W_hh keeps lengths, so only tanh' shrinks it; Xavier's wider draw "
                  "stretches some directions above 1, which can offset tanh' about as well, "
                  "and which of the two keeps more changes with the seed. The PyTorch default "
                  "shrinks almost every direction. A gain far from 1 can reorder them.",
              observed="first/last ratio at initialisation: " + ", ".join(
                  f"{exp.SCHEME_LABELS[s]} {fmt(r)}" for s, r in zip(rnn_ids, ratios)) + ".")

if pre is not None:
    res = pre["result"]
    runs = res["runs"]
    have = [s for s in res["order"] if runs[s]["sv_init"] is not None]

    st.subheader("Singular values of W_hh, before and after training")
    srows = []
    for s in have:
        r = runs[s]
        for moment, key in (("at initialisation", "sv_init"), ("after training", "sv_trained")):
            if r[key] is None:
                continue
            srows += [(r["label"], moment, i + 1, v) for i, v in enumerate(r[key])]
    sdf = pd.DataFrame(srows, columns=["start", "moment", "rank", "singular value"])
    c1, c2 = st.columns([2.6, 1], gap="large")
    with c1:
        layout.show(charts_gated.facet_lines(
            sdf, "rank", "singular value", "start", "moment",
            facet_order=["at initialisation", "after training"], color_order=INIT_ORDER,
            x_title="rank (largest first)", y_title="singular value", width=270, height=250,
            rule=1.0, rule_label="1: length kept"),
            sdf, key="s6_sv", name="recurrent_singular_values", alt_text=(
                "Singular values of W_hh per start. " + " ".join(
                    f"{runs[s]['label']}: largest {runs[s]['sv_init'][0]:.2f}, smallest "
                    f"{runs[s]['sv_init'][-1]:.2f} at initialisation." for s in have)))
    moved = {s: float(np.max(np.abs(np.subtract(runs[s]["sv_trained"], runs[s]["sv_init"]))))
             for s in have if runs[s]["sv_trained"] is not None}
    most = max(moved, key=moved.get) if moved else None
    with c2:
        layout.how_to_read(
            "Each line lists the singular values of one start's recurrent matrix, largest on "
            "the left. A value is how much W_hh stretches (above 1) or shrinks (below 1) one "
            "direction of the hidden state. For the LSTMs the line is the candidate block "
            "W_hg, the one that plays W_hh's role; the two LSTMs share it, because a forget "
            "bias changes no weight.\n\n"
            "Orthogonal and identity are flat: W_hh treats every direction alike. Default and "
            "Xavier slope down: some directions stretch, more of them shrink."
            + (f" The right panel is after the short training run: in this run the largest "
               f"move of a singular value (k-th largest before against k-th largest after) is "
               f"{moved[most]:.2f}, for {runs[most]['label']}." if most else ""))
    show_claims(pre, iparams, INIT_CLAIMS, "orthogonal_flat", "random_starts_mostly_shrink")
    layout.cite("Saxe, McClelland & Ganguli (2013), Exact solutions to the nonlinear dynamics "
                "of learning in deep linear neural networks, arXiv:1312.6120; Le, Jaitly & "
                "Hinton (2015), A simple way to initialize recurrent networks of rectified "
                "linear units, arXiv:1504.00941.")

    st.subheader("Gradient by lag, before and after training")
    grows = []
    for s in have:
        r = runs[s]
        for moment, key in (("at initialisation", "grad_init"),
                            ("after training", "grad_trained")):
            if r[key] is None:
                continue
            grows += [(r["label"], moment, k, v) for k, v in enumerate(r[key])]
    gdf = pd.DataFrame(grows, columns=["start", "moment", "lag", "log10 grad"])
    c1, c2 = st.columns([2.6, 1], gap="large")
    with c1:
        if len(gdf):
            layout.show(charts_gated.facet_lines(
                gdf, "lag", "log10 grad", "start", "moment",
                facet_order=["at initialisation", "after training"], color_order=INIT_ORDER,
                x_title="lag (steps back from the loss)", y_title="log10 ||dL/dh||",
                width=270, height=250, zero_floor=-20.0),
                gdf, key="s6_lag", name="gradient_by_lag_per_start", alt_text=(
                    "log10 of the gradient norm against lag for every start. First/last "
                    "ratio at initialisation and after training: " + "; ".join(
                        f"{runs[s]['label']} {fmt(runs[s]['ratio_init'])} then "
                        f"{fmt(runs[s]['ratio_trained'])}" for s in have) + "."))
    with c2:
        layout.how_to_read(
            "How big dL/dh is k steps before the loss, on a log10 scale (-10 means ten "
            "orders of magnitude smaller than 1). A line that stays flat keeps the signal; "
            "a line that falls steeply loses it.\n\n"
            "Left: the untrained networks. Right: the same networks after the short training "
            "run. Red triangles would mark gradients that became NaN or exactly zero.")
    show_claims(pre, iparams, INIT_CLAIMS, "irnn_keeps_most", "default_loses_most",
                "forget_bias_start", "training_closes_tanh_paths")

    st.subheader("What the start bought: loss and numbers")
    ldf = loss_frame(res, "start")
    table = pd.DataFrame([{
        "start": runs[s]["label"],
        "sigma_max at init": runs[s]["sv_init"][0],
        "first/last at init": runs[s]["ratio_init"],
        "first/last trained": runs[s]["ratio_trained"],
        "final loss": runs[s]["final_loss"],
        "non-finite": (f"step {runs[s]['first_nonfinite']['step']}"
                       if runs[s]["first_nonfinite"] else "none"),
    } for s in have])
    c1, c2 = st.columns([2.6, 1], gap="large")
    with c1:
        if len(ldf):
            layout.show(loss_chart(ldf, "start", INIT_ORDER, res["chance"]), ldf,
                        key="s6_init_loss", name="loss_per_start", alt_text=(
                            "Training loss per start; final losses: " + ", ".join(
                                f"{runs[s]['label']} {runs[s]['final_loss']:.3g}" for s in have
                                if runs[s]["final_loss"] is not None) + "."))
        st.dataframe(table, hide_index=True, column_config={
            c: st.column_config.NumberColumn(format="%.2e") for c in table.columns
            if c.startswith("first/")})
    with c2:
        layout.how_to_read(
            "The loss of each start during the short run (log scale, smoothed), against "
            "chance (1/6). The table lines up the numbers.\n\n"
            "A start that lets more gradient reach the early steps gives the network a "
            "**chance** to learn from them. It does not make it learn: compare the lag chart's "
            "left panel with these curves. Raise the training steps to see whether a start "
            "that keeps the gradient also gets off the plateau sooner.")
    show_claims(pre, iparams, INIT_CLAIMS, "short_run_stalls")

layout.code(f"""
import torch
from core.models import build_model
from core.probes import hidden_state_gradients, gradient_norms_by_step, spectrum
from core.tasks import make_task

task = make_task("adding", {iT})
x, y = task.sample(32, torch.Generator().manual_seed(1))
for init, act in [("default", "tanh"), ("xavier", "tanh"), ("orthogonal", "tanh"),
                  ("identity", "relu")]:
    model = build_model("rnn", 2, {iH}, 1, init=init, nonlinearity=act, gain={gain}, seed={seed})
    sv = spectrum(model.cell.weight_hh)["singular"]
    g = gradient_norms_by_step(hidden_state_gradients(
        model, x, lambda o: task.loss(o, y.double()), dtype=torch.float64))   # (T,)
    print(init, "sigma_max", float(sv[0]), "first/last", float(g[0] / g[-1]))
lstm = build_model("lstm", 2, {iH}, 1, forget_bias=1.0, seed={seed})      # the LSTM trick
""", title="The code behind these charts")

# =============================================================================================
st.header("Normalisation: re-scaling inside the recurrence")
layout.explain(
    "The lesson mentions **batch normalisation**. It is worth being precise, kindly: plain "
    "batch norm was built for feed-forward layers, and it does not carry over to recurrent "
    "networks as it stands. Laurent et al. (2016) found that normalising the hidden-to-hidden "
    "path with ordinary batch statistics did not help; normalising only the input path sped "
    "training up, without better generalisation. Two variants made it work, and they are what people mean today:\n\n"
    "- **Recurrent batch normalisation** (Cooijmans et al. 2016): normalise W_h h_{t-1} and "
    "W_x x_t separately, with statistics kept **per time step**, and start the scale gamma at "
    "0.1, because gamma = 1 pushes tanh into saturation and the gradient vanishes.\n"
    "- **Layer normalisation** (Ba, Kiros & Hinton 2016): normalise over the units of **one "
    "example** at each step, so it needs no batch statistics and behaves the same in "
    "training and at test time. It is the usual choice for RNNs.\n\n"
    "In an LSTM, recurrent batch norm also normalises the cell state before its tanh, with a "
    "learned scale and shift. Both run inside the step, so the models below use the explicit "
    "step loop, which is slower than the fused kernel. Every model's readout starts at the "
    "target's mean, 1, so each begins at the chance line and a short run judges the "
    "recurrence rather than the readout.", title="What \"batch normalisation\" means for an RNN")

c_ctrl, c_main = st.columns([1, 2.6], gap="large")
with c_ctrl, st.container(border=True):
    st.markdown("**Set up the comparison**")
    ncell = state.select("Cell", "ncell", {"rnn": "tanh RNN", "lstm": "LSTM"}, DN["cell"])
    nT = state.slider("Sequence length T", "nT", 20, 100, DN["seq_len"], step=10)
    nsteps = state.slider("Training steps", "nsteps", 50, 600, DN["steps"], step=50)
    nH = state.slider("Hidden size H", "nH", 16, 128, DN["hidden_size"], step=16,
                      advanced=True)
    nlr = state.number("Learning rate", "nlr", 1e-5, 1e-1, DN["lr"], step=1e-4,
                       format="%.5f", help="Adam's learning rate for all three models.")
    nest = exp.estimate_norm(ncell, nT, nH, nsteps)
    st.caption(f"Estimated: about {nest:.0f} s on one CPU thread (two of the three models "
               "run the slower step loop; more when the server is busy).")

nparams = dict(cell=ncell, seq_len=nT, hidden_size=nH, steps=nsteps, lr=nlr, seed=seed)
nrefusal = runner.over_cap(nest, "These settings", "Normalised models run a slower step "
                           "loop: lower T, H or the steps.")


def res_order(run: dict) -> list[str]:
    return [n for n in run["result"]["order"] if run["result"]["runs"][n]["final_loss"]
            is not None]


def draw_norm_partial(res: dict) -> None:
    df = loss_frame(res, "normalisation")
    if len(df):
        st.altair_chart(loss_chart(df, "normalisation", NORM_ORDER, res["chance"], 300),
                        width="stretch")


SOLVED = 0.05  # MSE below which we call the adding problem solved (chance is 1/6)
with c_main:
    nslot = st.container()  # the prediction sits above the Run button, filled once known
    npre = runner.live("s6_norm", exp.norm_compare, nparams, draw=draw_norm_partial,
                       refusal=nrefusal, run_label="Train all three")
    if npre is not None and all(npre["result"]["runs"][n]["final_loss"] is not None
                                for n in ("layer", "batch")):
        nr = npre["result"]["runs"]
        ok = {n: nr[n]["final_loss"] < SOLVED for n in ("layer", "batch")}
        answer = 0 if all(ok.values()) else 1 if ok["layer"] else 2 if ok["batch"] else 3
        cell_name = "tanh RNN" if ncell == "rnn" else "LSTM"
        with nslot:
            layout.predict(
                "s6_norm", f"Normalisation re-scales the signal inside every step. Will it let a "
                f"**{cell_name}** solve the adding problem (MSE below {SOLVED}) at T = {nT} "
                f"within {nsteps} training steps?",
                ["Yes, with either normalisation", "Only with layer norm",
                 "Only with recurrent batch norm", "No, neither gets there"],
                correct=answer,
                why="Normalisation re-scales every step, so it changes both the size of the "
                    "hidden state and each step's Jacobian. That can speed training a lot, but "
                    "whether a short run solves the task depends on the cell as well: compare "
                    "the tanh RNN (the default) with the Normalised LSTMs preset.",
                observed="final loss: " + ", ".join(
                    f"{nr[n]['label']} {nr[n]['final_loss']:.3g}" for n in res_order(npre))
                + f" (chance {npre['result']['chance']:.3f}).")

if npre is not None:
    res = npre["result"]
    runs = res["runs"]
    have = [n for n in res["order"] if runs[n]["ratio_init"] is not None]
    ldf = loss_frame(res, "normalisation")
    st.subheader("Convergence")
    c1, c2 = st.columns([2.6, 1], gap="large")
    with c1:
        if len(ldf):
            layout.show(loss_chart(ldf, "normalisation", NORM_ORDER, res["chance"]), ldf,
                        key="s6_norm_loss", name="loss_per_normalisation", alt_text=(
                            "Training loss with no normalisation, layer norm and recurrent "
                            "batch norm; final losses: " + ", ".join(
                                f"{runs[n]['label']} {runs[n]['final_loss']:.3g}"
                                for n in have if runs[n]["final_loss"] is not None) + "."))
    with c2:
        layout.how_to_read(
            "Training loss (log scale, smoothed over 10 steps) of the same cell with each "
            "normalisation, same data and seed; the dashed line is chance (1/6). Lower and "
            "earlier is faster training.")
    show_claims(npre, nparams, NORM_CLAIMS, "batch_norm_lowest", "plain_stalls",
                "layer_norm_stalls", "lstm_norm_learns")

    st.subheader("Gradient flow while training")
    hrows = []
    for n in have:
        r = runs[n]
        for s, row in zip(r["probe_steps"], r["log_grad"]):
            hrows += [(r["label"], int(s), k, v) for k, v in enumerate(row)]
    hdf = pd.DataFrame(hrows, columns=["normalisation", "training step", "lag", "log10 grad"])
    if len(hdf):
        layout.show(charts_gated.facet_heatmap(
            hdf, "training step", "lag", "log10 grad", "normalisation",
            facet_order=NORM_ORDER, y_title="lag (steps back from the loss)",
            value_title="log10 ||dL/dh||", domain=(-16.0, 1.0), width=230, height=240,
            columns=3),
            hdf, key="s6_norm_heat", name="lag_by_training_step_per_normalisation",
            alt_text="Lag against training step, one panel per normalisation. First/last "
                     "gradient ratio before and after training: " + "; ".join(
                         f"{runs[n]['label']} {fmt(runs[n]['ratio_init'])} then "
                         f"{fmt(runs[n]['ratio_final'])}" for n in have) + ".")
    layout.how_to_read(
        "Same layout as on the LSTM page: columns are moments in training, rows are lags "
        "(0 at the bottom), colour is log10 of the gradient's size on one shared scale. A "
        "panel whose top rows stay dark has a vanishing gradient at that moment; a panel "
        "brighter at the top than at the bottom sends more gradient to the first step than to "
        "the last.")
    show_claims(npre, nparams, NORM_CLAIMS, "batch_norm_grows_gradient",
                "lstm_norm_gradient_at_init")

    st.subheader("The scale of the hidden state")
    qrows = []
    for n in have:
        r = runs[n]
        for moment, key in (("at initialisation", "scale_init"),
                            ("after training", "scale_trained")):
            if r[key] is not None:
                qrows += [(r["label"], moment, t, v) for t, v in enumerate(r[key])]
    qdf = pd.DataFrame(qrows, columns=["normalisation", "moment", "t", "RMS of h_t"])
    c1, c2 = st.columns([2.6, 1], gap="large")
    with c1:
        if len(qdf):
            layout.show(charts_gated.facet_lines(
                qdf, "t", "RMS of h_t", "normalisation", "moment",
                facet_order=["at initialisation", "after training"], color_order=NORM_ORDER,
                x_title="time step t", y_title="RMS of h_t", width=270, height=230),
                qdf, key="s6_scale", name="hidden_state_scale", alt_text=(
                    "Root-mean-square of the hidden state over time. " + " ".join(
                        f"{runs[n]['label']}: {np.mean(runs[n]['scale_init']):.2f} at "
                        f"initialisation, {np.mean(runs[n]['scale_trained']):.2f} after "
                        "training." for n in have if runs[n]["scale_trained"] is not None)))
    with c2:
        layout.how_to_read(
            "How large the hidden state is at each step (root-mean-square over the batch and "
            "units), before and after training. Normalisation sets this size by construction: "
            "layer norm gives each step's input to tanh a standard spread, whatever W_hh "
            "does, and recurrent batch norm gives each normalised term the spread of its "
            "learned scale gamma (0.1 at the start). Compare how far apart the lines sit and "
            "how much each moves between the two panels.")
    show_claims(npre, nparams, NORM_CLAIMS, "layer_norm_sets_scale")

    done = [n for n in have if runs[n]["ratio_final"] is not None and runs[n]["final_loss"]]
    if len(done) == len(res["order"]):
        base = runs["none"]
        lines = []
        for n in ("layer", "batch"):
            r = runs[n]
            faster = r["final_loss"] < base["final_loss"]
            lines.append(
                f"- **{r['label']}**: final loss {r['final_loss']:.3g} vs "
                f"{base['final_loss']:.3g} without ({'lower' if faster else 'not lower'}); "
                f"gradient reaching step 0 went from {fmt(r['ratio_init'])} to "
                f"{fmt(r['ratio_final'])} of the last step's.")
        solved = [runs[n]["label"] for n in res["order"] if runs[n]["final_loss"] < SOLVED]
        verdict = (f"{' and '.join(solved)} got below {SOLVED} MSE."
                   if solved else f"None of the three solved the task (MSE below {SOLVED}) in "
                                  f"{nsteps} steps.")
        if ncell == "rnn":
            arrived = NORM_CLAIMS["arrives_but_not_learned"]
            lesson = (
                "Normalisation does not remove the product of Jacobians: it changes every "
                "factor, by dividing by the spread of the pre-activations and multiplying by a "
                "learned scale. Whether the product then shrinks, holds or grows depends on the "
                "run: read the heatmap's top rows. A gradient that reaches step 0 gives the "
                "network a chance to learn from it; it does not make it learn."
                + (f" This run shows it: with layer norm, {fmt(runs['layer']['ratio_init'])} "
                   "of the last step's gradient reached step 0 before training, and the loss "
                   f"still ended at {runs['layer']['final_loss']:.3f}."
                   if arrived.holds(res) else "")
                + " Cooijmans et al. designed recurrent batch norm **for LSTMs**, whose gates "
                "provide the long road: try the *Normalised LSTMs* preset.")
        else:
            lesson = (
                "With an LSTM the gates provide the long road, and normalisation changes how "
                f"fast training finds it: compare the three loss curves over {nsteps} steps. "
                "Cooijmans et al. report the same kind of speed-up: their batch-normalised "
                "LSTM converged faster than the plain one and reached 99.0% against 98.9% on "
                "pixel-by-pixel MNIST, and 95.4% against 90.2% on its permuted version.")
        layout.explain("\n".join(lines) + f"\n\nIn this run: {verdict}\n\n{lesson}",
                       title="The honest verdict")
        if ncell == "rnn" and arrived.holds(res):
            claims.show(res, nparams, [arrived])
    layout.cite("Cooijmans, Ballas, Laurent, Gülçehre & Courville (2016), Recurrent batch "
                "normalization, arXiv:1603.09025; Ba, Kiros & Hinton (2016), Layer "
                "normalization, arXiv:1607.06450; Laurent, Pereyra, Brakel, Zhang & Bengio "
                "(2016), Batch normalized recurrent neural networks, arXiv:1510.01378.")

layout.code(f"""
from core.models import build_model
from core.tasks import make_task
from core.training import train

task = make_task("adding", {nT})
for norm in ["none", "layer", "batch"]:          # batch: per-step statistics, gamma0 = 0.1
    model = build_model("{ncell}", 2, {nH}, 1, norm=norm, seed={seed})
    model.readout.bias.data.fill_(1.0)               # start at the target mean (chance line)
    hist = train(model, task, lr={nlr}, clip="norm", clip_threshold=1.0, steps={nsteps},
                 seed={seed}, probe_every={max(1, nsteps // 10)})
    g0, g1 = hist.probes[0]["grad_norm_by_t"], hist.probes[-1]["grad_norm_by_t"]
    print(norm, hist.final_loss(), g0[0] / g0[-1], g1[0] / g1[-1])
""", title="The code behind the normalisation charts")
layout.footer(FILE)
