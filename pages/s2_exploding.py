"""Lesson section 2: the exploding gradient problem."""

import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.experiments import exploding as exp
from core.experiments.exploding import num
from core.training import estimate_seconds
from ui import charts, charts_cliff, claims, demos, layout, runner, state
from ui.glossary import term

FILE = "s2_exploding.py"
D = exp.blowup.defaults
C = exp.cliff_path.defaults
J = exp.jacobian_growth.defaults
F32_MAX = float(np.finfo(np.float32).max)
RUNS = ["full run", "W_hh frozen (control)"]
NORMS = ["||gradient||", "||W_hh||", "||readout||"]

layout.header(FILE, (
    "Section 1 showed the error signal fading on its way back through time; when the "
    "recurrent weights stretch it instead, the gradient can **grow** with every step back: an "
    f"{term('exploding gradient')}. Here you cause a blow-up on purpose, take it apart into "
    f"its phases, find the first {term('NaN and inf', '`inf`')}, and see the loss surface's "
    "cliff that throws gradient descent off course."))

JRES = demos.run(exp.jacobian_growth)  # shipped at its defaults: instant

controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up a run that may explode**")
    state.presets({
        "explode": {"label": "Explode: tanh, gain 2, SGD 0.05", "nl": "tanh", "gain": 2.0,
                    "lr": 0.05, "opt": "sgd", "T": 30, "steps": 200},
        "calm": {"label": "Same, gain 1", "nl": "tanh", "gain": 1.0, "lr": 0.05,
                 "opt": "sgd", "T": 30, "steps": 200},
        "lr003": {"label": "Same, learning rate 0.03", "nl": "tanh", "gain": 2.0, "lr": 0.03,
                  "opt": "sgd", "T": 30, "steps": 200},
        "adam": {"label": "Same explosive start, Adam", "nl": "tanh", "gain": 2.0,
                 "lr": 0.05, "opt": "adam", "T": 30, "steps": 200},
        "giant": {"label": "One giant step: gain 4, T = 200", "nl": "tanh", "gain": 4.0,
                  "lr": 0.01, "opt": "sgd", "T": 200, "steps": 100},
    })
    sigma1 = next(c["sigma_max"] for c in JRES["curves"] if c["gain"] == 1.0)
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.5, 4.0, D["gain"], step=0.1,
                        help="Multiplies PyTorch's default recurrent weights, and with them "
                             "their largest singular value sigma_max: at gain 1 (H = "
                             f"{J['hidden_size']}, seed {J['seed']}) it is {sigma1:.2f}, so it "
                             f"passes 1 from a gain of about {1 / sigma1:.2f}.")
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
# the run and its W_hh-frozen control
est = 2 * estimate_seconds("rnn", T, H, steps=steps, batch_size=D["batch_size"])
refusal = runner.over_cap(est, "These settings (the run and its control)",
                          "Fewer steps, a shorter T or a smaller H will run.")


def finite_only(df: pd.DataFrame, col: str) -> pd.DataFrame:
    v = pd.to_numeric(df[col], errors="coerce")
    return df[np.isfinite(v)]


def loss_frame(r: dict) -> pd.DataFrame:
    parts = [pd.DataFrame({"step": r["step"], "loss": r["loss"], "run": RUNS[0]})]
    fr = r.get("frozen")
    if fr and fr["step"]:
        parts.append(pd.DataFrame({"step": fr["step"], "loss": fr["loss"], "run": RUNS[1]}))
    return pd.concat(parts, ignore_index=True)


def growth_frame(r: dict) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"step": r["step"], "value": r[col], "what": name})
                      for col, name in zip(("grad_norm", "w_norm", "readout_norm"), NORMS)],
                     ignore_index=True)


def rules(chart, r: dict, *, phase: bool = True):
    """The chart with the end of W_hh's growth and the first non-finite step marked."""
    layers = [chart]
    end = r["phases"]["growth_end"]
    if phase and end is not None:
        layers.append(charts_cliff.step_rule(end, f"W_hh stops growing: step {end}"))
    ev = r.get("first_nonfinite")
    if ev:
        layers.append(charts_cliff.nan_rule(ev["step"], f"first inf/NaN: step {ev['step']}"))
    return alt.layer(*layers) if len(layers) > 1 else chart


def draw_live(r: dict) -> None:
    """Drawn while the run trains: the norms so far."""
    df = finite_only(growth_frame(r), "value")
    if len(df):
        st.caption("Training live: the gradient and weight norms so far (then the control).")
        st.altair_chart(charts.log_lines(df, "step", "value", color="what", height=220,
                                         x_title="training step", y_title="log scale",
                                         color_domain=NORMS), width="stretch")


def _observed() -> str | None:
    demo = demos.shipped(exp.blowup.key)
    if demo is None:
        return None
    r = demo["result"]
    ev = r["first_nonfinite"]
    if not ev:
        return None
    fin = [x for x in r["loss"] if math.isfinite(x)]
    return (f"with those settings (the *Explode* preset, seed {D['seed']}) the loss went from "
            f"{fin[0]:.2g} to {max(fin):.2g} and turned non-finite at step {ev['step']}.")


def control_note(r: dict) -> str:
    """What the W_hh-frozen control says about this run ('' when it stayed finite)."""
    fr = r.get("frozen")
    if not fr or not fr["first_nonfinite"]:
        return ""
    return (f"\n\n**The control blew up too** (first `inf`/`NaN` at step "
            f"{fr['first_nonfinite']['step']}), with W_hh never trained: here the blow-up does "
            "not need W_hh's updates. The layers that still train diverge on their own at "
            "this learning rate.")


def phase_story(r: dict) -> str:
    """What this run did, phase by phase, in numbers taken from the run."""
    return _phases_text(r) + control_note(r)


def _phases_text(r: dict) -> str:
    ph, ev = r["phases"], r["first_nonfinite"]
    w0 = r["w_norm_init"]
    wfin = [v for v in r["w_norm"] if math.isfinite(v)]
    end = ph["growth_end"]
    if end is None:
        top = max(wfin) if wfin else math.nan
        text = (f"**No growth phase.** ||W_hh|| went from {num(w0)} to at most {num(top)}: it "
                "never grew a hundred-fold. ")
        if ev:
            text += (f"The run still produced its first `inf`/`NaN` at step {ev['step']}: "
                     "something other than W_hh's growth took it there. ")
        else:
            text += f"The run stayed finite for all {len(r['step'])} steps. "
        return text
    g = r["grad_norm"][:end + 1]
    gi = int(np.nanargmax(np.where(np.isfinite(g), g, -1.0)))
    span = f"step {end}" if end == 0 else f"steps 0 to {end}"
    text = (f"**Phase 1, {span}: W_hh grows.** The gradient norm reaches "
            f"{num(g[gi])} (step {gi}), and the updates take ||W_hh|| from {num(w0)} to "
            f"{num(r['w_norm'][end])}, {num(ph['growth'])} times its start.\n\n")
    a = ph["after"]
    if a is None:
        return text + (f"After step {end} fewer than three finite losses are left, so there is "
                       "no second phase to measure.")
    lc = a["lr_curvature"]
    text += (f"**Phase 2, steps {a['start']} to {a['end']}: the readout takes over.** "
             f"||W_hh|| no longer moves, yet the loss keeps changing: by ×"
             f"{num(a['loss_factor'])} per step on average. With the hidden states fixed, the "
             "loss is a "
             "quadratic bowl in the readout weights. Its steepness, the curvature λ, is "
             f"{num(lc / r['lr'])} here, so lr × λ = {num(lc)}. ")
    if a["predicted_factor"] is not None:
        text += ("One SGD step on such a bowl multiplies the readout's error by "
                 "(1 − lr × λ), so the loss by (1 − lr × λ)² = "
                 f"{num(a['predicted_factor'])} per step. ")
        text += ("Above 2, each step overshoots the bottom by more than it started from: the "
                 "readout swings from side to side, wider every step. " if lc > 2 else
                 "Below 2 the swings shrink instead of growing. ")
        if not exp.readout_rule.holds(r):
            text += ("Here the measured factor is not close to that (see the check below): "
                     "this run does not follow the simple bowl picture. ")
    else:
        text += (f"{r['optimizer'].capitalize()} does not step by lr × gradient alone, so "
                 "plain SGD's rule for this bowl does not apply as it stands. ")
    if ev and ev["where"] == "loss":
        rn = r["readout_norm"][ev["step"] - 1] if ev["step"] >= 1 else math.nan
        text += (f"At step {ev['step']} the loss passed float32's largest number "
                 f"({F32_MAX:.1e}) and became `inf`. The giant numbers on the loss chart are "
                 f"the **loss**: ||readout|| was {num(rn)} at that moment, and the loss grows "
                 "like its square.")
    elif ev:
        text += f"At step {ev['step']} the first `inf`/`NaN` appeared, in {ev['where']}."
    else:
        text += f"The run stayed finite for all {len(r['step'])} steps."
    return text


with main:
    layout.predict(
        "s2", "A tanh RNN whose recurrent weights start at **twice** PyTorch's default scale "
        "is trained with plain SGD at learning rate 0.05 on the adding problem (T = 30). What "
        "happens within 200 steps?",
        ["The loss falls slowly, as usual", "The loss stalls at the chance level (0.167)",
         "The loss climbs by dozens of orders of magnitude and the run ends in NaN",
         "Nothing can go wrong: tanh keeps every hidden state between -1 and 1"],
        correct=2,
        why="tanh bounds the hidden states, not the gradients. Large gradients reach W_hh, and "
            "SGD's updates inflate it until the tanh units saturate. Then the readout, now "
            "fed a hidden state of +-1s, sits on so steep a slope that every SGD step "
            "overshoots further than the last, and the loss soon passes float32's largest "
            f"number (about {F32_MAX:.1e}). The charts below take the run apart into these "
            "two phases.",
        observed=_observed())
    st.subheader("Train it and watch")
    run = runner.live("s2", exp.blowup, params, draw=draw_live, run_label="Train",
                      refusal=refusal)

    res = run["result"] if run is not None else None
    complete = run is not None and run["status"] in ("shipped", "done")

if res is not None:
    ev = res["first_nonfinite"]
    n = len(res["step"])
    ph = res["phases"]
    with main:
        with st.container():
            st.markdown("**Loss per step, and the control with W_hh frozen**")
            ldf = loss_frame(res)
            fin = finite_only(ldf, "loss")
            if len(fin):
                chart = charts.log_lines(fin, "step", "loss", color="run", x_title="training step",
                                         y_title="loss (log scale)", height=230, floor=1e-12,
                                         color_domain=RUNS)
                fr = res.get("frozen")
                layout.show(rules(chart, res, phase=False), ldf, key="s2_loss", name="loss",
                            alt_text=(
                                f"Loss of the full run at steps 0 to {n - 1}; "
                                + (f"it turns non-finite at step {ev['step']}. " if ev else
                                   "it stays finite. ")
                                + (f"The control with W_hh frozen ran {len(fr['step'])} steps "
                                   f"and peaked at {max(fr['loss']):.3g}." if fr and fr["step"]
                                   else "")))
        with st.container():
            st.markdown("**Gradient, W_hh and readout norms**")
            gdf = growth_frame(res)
            gfin = finite_only(gdf, "value")
            if len(gfin):
                chart = charts.log_lines(gfin, "step", "value", color="what",
                                         x_title="training step", y_title="log scale",
                                         height=230, floor=1e-12, color_domain=NORMS)
                wmax = float(gfin[gfin["what"] == NORMS[1]]["value"].max())
                layout.show(rules(chart, res), gdf, key="s2_growth", name="growth",
                            alt_text=(f"||W_hh|| goes from {res['w_norm_init']:.3g} to at most "
                                      f"{wmax:.3g}"
                                      + (f" and stops growing after step {ph['growth_end']}."
                                         if ph["growth_end"] is not None else ".")))
        layout.how_to_read(
            "- Both charts count training steps along x and use a **log** y-axis: each "
            "grid line up is ten times more. A straight rising line is exponential growth.\n"
            "- Top: the blue line is the run, the orange one the **control**: the same start "
            "and the same batches, with W_hh left untrained. A healthy run falls towards or "
            f"below the chance loss of {res['chance']:.3f} (always guess 1).\n"
            "- Bottom: the size of the whole gradient before each update, and the size "
            "(Frobenius norm) of W_hh and of the readout weights after it.\n"
            "- The pink dotted line marks where W_hh stopped growing; the dashed red-orange one "
            "the first step where any number became `inf` or `NaN`. Curves stop where their "
            "values stop being finite.")
        st.markdown("**What happened, phase by phase**")
        st.markdown(phase_story(res))
        if complete:
            shown = []
            if ph["growth_end"] is not None:
                shown += [exp.w_grows_then_stops, exp.readout_rule, exp.overflow_iff_unstable]
            if ph["growth_end"] is not None or ev:
                shown.append(exp.frozen_control)
            shown += [exp.calm_at_gain_1, exp.adam_survives]
            claims.show(res, params, shown)
        if ph["after"] is not None:
            k1, k2 = st.columns([1.6, 1], gap="medium")
            kdf = pd.DataFrame({"step": res["step"],
                                "lr × λ": [res["lr"] * c for c in res["curvature"]]})
            with k1:
                kchart = charts.lines(kdf, "step", "lr × λ", x_title="training step",
                                      y_title="lr × λ (readout)", height=200,
                                      rules={"2: SGD's limit": 2.0})
                layout.show(rules(kchart, res), kdf, key="s2_curv", name="readout_curvature",
                            alt_text=(f"lr × λ starts at "
                                      f"{res['lr'] * res['curvature_init']:.3g} and is "
                                      f"{ph['after']['lr_curvature']:.3g} in the second "
                                      "phase; SGD on the readout is stable below 2."))
            with k2:
                layout.how_to_read(
                    "λ is the curvature of the loss along the readout weights, with the "
                    f"hidden state held fixed (measured on {exp.PROBE_BATCH} fixed sequences "
                    "after every step). Plain SGD on a bowl of curvature λ converges only "
                    "while lr × λ stays below 2 (the dashed line). λ grows with the "
                    f"size of the hidden state; its ceiling, 2 x (H + 1) = {2 * (H + 1)} here, "
                    "is reached when every unit sits at +-1 in every sequence.")

        st.subheader("NaN forensics: where did it break?")
        if ev:
            where = {"loss": "the loss (the forward pass overflowed)",
                     "gradient": "a gradient (the backward pass overflowed)",
                     "weights": "the weights (the update itself overflowed)"}[ev["where"]]
            prev = [x for x in res["loss"][:ev["step"]] if math.isfinite(x)]
            lf = res["w_last_finite_step"]
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
                + (f"Training went on until the update of step {n - 1}, the first to leave "
                   "a weight non-finite (the table lists which); "
                   + (f"W_hh was last finite after step {lf}. " if lf >= 0 else
                      "W_hh was never finite after an update. "))
                + "From there every parameter the NaN touches in the next backward pass turns "
                "NaN too, and nothing can be learned any more.")
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
                 (f"after step {n - 1}, when the run ended", res["w_end"], "s2_w2")]
        cols = st.columns(3, gap="small")
        bad_end = 0
        for col, (label, mat, key) in zip(cols, snaps):
            a = np.asarray(mat, dtype=float)
            df = pd.DataFrame([(i, j, a[i, j]) for i in range(k) for j in range(k)],
                              columns=["row", "col", "weight"])
            bad = int((~np.isfinite(df["weight"])).sum())
            bad_end = bad
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
            f"crosses are `NaN` or `inf` cells: {bad_end} of {k * k} in the last map of this "
            "run. One bad number in the loss can reach every weight through the next "
            "backward pass.")

layout.explain(
    f"{term('BPTT', 'Backpropagation through time')} multiplies the error by the step "
    f"{term('Jacobian')} diag(tanh') W_hh once per step it travels back. If W_hh stretches "
    f"some direction by more than 1 (its largest {term('singular value')} sigma_max above 1, "
    "because tanh' is at most 1), the product **can** grow exponentially with the distance. "
    "SGD then takes a step proportional to the gradient, so a huge gradient makes a huge "
    "update.\n\n"
    "A blow-up is not always a recurrent story, though. Plain SGD on **any** layer diverges "
    "once the learning rate passes 2 / λ, where λ is how sharply the loss curves "
    "along that layer's weights. That is why the run above has a control with W_hh frozen: "
    "if the control blows up too, the recurrent weights are not the culprit. Adam divides "
    "each step by a running gradient size and so takes bounded steps (try its preset: a "
    "checked claim says what it does). The preset *One giant step* (gain 4, T = 200) is worth "
    "a run: the phase read-out says what its first updates did. The standard cure for "
    "SGD-style training is to cap the step: gradient clipping.",
    title="Why the gradient explodes, and when it is not the gradient")

st.subheader("Is sigma_max > 1 enough to explode?")
jres = JRES
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
    claims.show(jres, J, [exp.necessary_not_sufficient])
with c2:
    g1 = jres["curves"][0]
    layout.how_to_read(
        "Each line is the size (largest singular value) of the product of step Jacobians "
        "from step T back to step T-k, for one sequence through a fresh tanh RNN, "
        f"H = {J['hidden_size']}. Above 1 it amplifies, below 1 it shrinks.\n\n"
        f"Even the gain-{g1['gain']:g} network has sigma_max = {g1['sigma_max']:.2f} > 1, "
        f"yet its product ends at 10^{g1['log_norm'][-1]:.1f}: tanh' is below 1 wherever a "
        "unit is away from 0, and that shrinks every step's Jacobian. sigma_max > 1 is "
        "**necessary** for explosion, not **sufficient**.")
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
cparams = {**C, "w0": w0, "b0": b0, "lr": clr, "steps": cst}
cres = demos.run(exp.cliff_path, **cparams)
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
        claims.show(cres, cparams, [exp.flung, exp.lost])
    spec = cres["spec"]
    layout.how_to_read(
        "- Grey shade is the loss of a one-unit RNN, x_t = w sigmoid(x_(t-1)) + b, started at "
        f"x_0 = {spec['x0']:g} and asked to end at x_{spec['T']} = {spec['target']:g} (darker "
        "= higher, log scale).\n"
        "- The pink dashed line is the **cliff**: where x_0 sits exactly on the map's "
        "unstable fixed point. Just above it the unit settles high, just below it settles "
        "low, so the loss changes abruptly and its gradient there is enormous.\n"
        "- The orange path is plain gradient descent from the black square. Where a step "
        "lands right at the edge, the gradient is huge and the next update flings the point "
        "away. A hollow diamond on the border marks where it left the map (hover it for "
        "where the step really landed). Whatever it had learned before the throw no longer "
        "counts: it starts again from wherever it landed.")
    layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063, Figure 6 (the error "
                "surface of a single-hidden-unit RNN and its high-curvature wall); the "
                "one-unit model from Doya (1993). Start, target and learning rate here are "
                "ours.")
    st.page_link("pages/s5_clipping.py", label="See the same cliff with a clipped path: "
                 "5a · Gradient clipping", icon=":material/content_cut:",
                 query_params={"preset": "explode_clip"})

layout.code(f"""
from core.models import build_model
from core.tasks import make_task
from core.training import train

task = make_task("adding", {T})
model = build_model("rnn", 2, {H}, 1, nonlinearity="{act}", gain={gain}, seed={seed})
hist = train(model, task, optimizer="{opt}", lr={lr}, steps={steps}, seed={seed})
print(hist.first_nonfinite)          # None, or the step, where ("loss", ...) and which tensor
print([r["grad_norm"] for r in hist.records][-5:])   # the last gradient norms
print(model.cell.weight_hh.norm(), model.readout.weight.norm())   # where each phase left them

# the control: the same start and batches with W_hh frozen (train() skips what needs no grad)
still = build_model("rnn", 2, {H}, 1, nonlinearity="{act}", gain={gain}, seed={seed})
still.cell.weight_hh.requires_grad_(False)
print(train(still, task, optimizer="{opt}", lr={lr}, steps={steps}, seed={seed}).first_nonfinite)
""")
layout.footer(FILE)
