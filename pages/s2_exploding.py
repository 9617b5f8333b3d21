"""Lesson section 2: the exploding gradient problem."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import cost
from core.experiments import exploding as exp
from core.experiments.exploding import num
from core.labels import cell_name
from core.tasks import make_task
from ui import annotations, claims, demos, frames, layout, notebook, palette, runner, state
from ui import words_cliff as words
from ui.charts import axes, heatmaps, lines, special
from ui.glossary import term

FILE = "s2_exploding.py"
D = exp.blowup.defaults
C = exp.cliff_path.defaults
J = exp.jacobian_growth.defaults
RUNS = ["full run", "W_hh frozen (control)"]
RUN_COLORS = [palette.PATH_COLORS["unclipped"], palette.PATH_COLORS["clipped"]]
NORMS = ["||gradient||", "||W_hh||", "||readout||"]
NORM_COLORS = [palette.OKABE_ITO[7], palette.OKABE_ITO[3], palette.OKABE_ITO[2]]
OPTS = {"sgd": "plain SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam"}

layout.header(FILE, f"""
    When the recurrent weights stretch the error signal instead of shrinking it, the gradient
    grows with every step back: an {term('exploding gradient')}. Cause a blow-up on purpose,
    then take it apart: its two phases, the first {term('NaN and inf', '`inf`')}, and the
    cliff that throws gradient descent off course.""",
    short="Can training a tanh RNN blow up to inf?")

JRES = demos.run(exp.jacobian_growth)  # shipped at its defaults: instant
sigma1 = next(c["sigma_max"] for c in JRES["curves"] if c["gain"] == 1.0)

controls, main = layout.beside()
with controls:
    PRESETS = {
        "explode": {"label": "Explode: gain 2, SGD 0.05", "nl": "tanh", "gain": 2.0,
                    "lr": 0.05, "opt": "sgd", "T": 30, "steps": 200},
        "calm": {"label": "Same, gain 1", "nl": "tanh", "gain": 1.0, "lr": 0.05,
                 "opt": "sgd", "T": 30, "steps": 200},
        "lr003": {"label": "Same, learning rate 0.03", "nl": "tanh", "gain": 2.0, "lr": 0.03,
                  "opt": "sgd", "T": 30, "steps": 200},
        "adam": {"label": "Same explosive start, Adam", "nl": "tanh", "gain": 2.0,
                 "lr": 0.05, "opt": "adam", "T": 30, "steps": 200},
        "giant": {"label": "One giant step: gain 4, T = 200", "nl": "tanh", "gain": 4.0,
                  "lr": 0.01, "opt": "sgd", "T": 200, "steps": 100},
    }
    state.presets(PRESETS, defaults={"nl": D["nonlinearity"], "gain": D["gain"], "lr": D["lr"],
                                     "opt": D["optimizer"], "T": D["seq_len"],
                                     "steps": D["steps"]})
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.5, 4.0, D["gain"], step=0.1,
                        help="Multiplies PyTorch's default recurrent weights, and with them "
                             "their largest singular value sigma_max: at gain 1 (H = "
                             f"{J['hidden_size']}, seed {J['seed']}) it is {sigma1:.2f}, so it "
                             f"passes 1 from a gain of about {1 / sigma1:.2f}.")
    lr = state.number("Learning rate", "lr", 0.0001, 1.0, D["lr"], step=0.005, format="%.4f",
                      help="SGD multiplies the gradient by this: a huge gradient makes a huge "
                           "step.")
    opt = state.select("Optimiser", "opt", OPTS, D["optimizer"])
    T = state.slider("Sequence length T", "T", 10, 200, D["seq_len"], step=10)
    steps = state.slider("Training steps", "steps", 20, 600, D["steps"], step=20)
    with layout.more_settings():
        act = state.select("Nonlinearity", "nl", {"tanh": "tanh", "relu": "ReLU"},
                           D["nonlinearity"], advanced=True)
        H = state.slider("Hidden size H", "H", 8, 128, D["hidden_size"], step=8,
                         advanced=True)
        seed = state.seed(D["seed"])

params = dict(nonlinearity=act, gain=gain, seq_len=T, hidden_size=H, optimizer=opt, lr=lr,
              steps=steps, batch_size=D["batch_size"], seed=seed)
est = cost.estimate("exploding.blowup", params)
refusal = runner.over_cap(est, "These settings (the run and its control)",
                          "Fewer steps, a shorter T or a smaller H will run.")
chance = make_task("adding", T).chance
OPTIONS = ["The loss falls, as usual", "It stays finite but stalls near chance",
           "It climbs to inf or NaN", "Nothing blows up: " + (
               "tanh keeps values in ±1" if act == "tanh" else "the weights start small")]
X_TITLE, Y_TITLE = "training step", "loss (log scale)"
RECIPE = notebook.Recipe(exp.blowup, params, frames.loss_frame, lines.run_lines, dict(
    x="step", y="loss", series="run", order=RUNS, colors=RUN_COLORS, x_title=X_TITLE,
    y_title=Y_TITLE, height=280), headline=("first_nonfinite",), frame_args={"runs": RUNS},
    chart_from=annotations.blowup_rules)


def draw_live(r: dict) -> None:
    """Drawn while the run trains: the loss so far."""
    df = frames.loss_frame(r, RUNS)
    st.caption("Training live: the loss so far (then the control).")
    layout.draw_chart(lines.run_lines.uncached(df, "step", "loss", "run", order=RUNS,
                                            colors=RUN_COLORS, x_title=X_TITLE,
                                            y_title=Y_TITLE, height=200))


with main:
    held = runner.after_prediction("s2", "s2", exp.blowup, params, draw=draw_live,
                                   run_label="Train", refusal=refusal)
    res, complete = held.result, held.complete
    with held.ask:
        shown = layout.prediction(
            FILE, "s2", f"""
                A {cell_name('rnn', act)} starts with W_hh at **{gain:g}×** PyTorch's default
                scale and trains with {OPTS[opt]} (lr {lr:g}) on the adding problem (T = {T},
                chance loss {chance:.3f}). What does its loss do in {steps} steps?""", OPTIONS,
            correct=words.blowup_answer(res) if complete else 2,
            why="A bounded activation bounds the hidden states, not the gradients. Big gradients "
                "inflate W_hh "
                "until the units saturate; then each SGD step on the readout overshoots further "
                "than the last, until the loss passes float32's largest number "
                f"({words.F32_MAX:.1e}). The presets show gentler starts that stay finite.",
            observed=words.blowup_observed(res) if complete else None)
    with held.top:
        if not shown or res is None:
            held.held_back(shown, X_TITLE, Y_TITLE)
        else:
            ldf = RECIPE.table(res)
            layout.show(RECIPE.chart(ldf, res), ldf, key="s2_loss", name="loss", alt_text=(
                            f"Loss of the full run over steps 0 to {len(res['step']) - 1}: "
                            + words.blowup_observed(res)))
            if complete:
                layout.verdict("s2")
if shown and res is not None:
    ev, f = res["first_nonfinite"], [x for x in res["loss"] if math.isfinite(x)]
    fr = res.get("frozen")
    ph = res["phases"]
    with main:
        layout.metric_row([
            ("first inf/NaN", f"step {ev['step']}" if ev else "never",
             "0-based training step where a number first stopped being finite"),
            ("loss grew", f"×{num(max(f) / f[0])}" if f else "—",
             "largest finite loss over the first one"),
            ("control (W_hh frozen)", "—" if not (fr and fr["step"]) else
             f"inf at {fr['first_nonfinite']['step']}" if fr["first_nonfinite"] else "finite",
             "the same start and batches with W_hh never trained"),
        ])
        if complete:
            claims.show(res, params, ([exp.frozen_control] if ph["growth_end"] is not None
                                      or ev else []) + [exp.calm_at_gain_1, exp.adam_survives])
        layout.how_to_read(
            "- Training steps run along x; the y-axis is **logarithmic**, so a straight rising "
            "line is exponential growth.\n"
            "- The vermillion line is the run, the blue one the **control**: the same start and "
            "the same batches, with W_hh left untrained. The dotted line is the chance loss "
            "(always answer 1).\n"
            "- The dashed line marks the first step where any number became `inf` or `NaN`; "
            "crosses on the top edge are the steps whose loss was no longer finite.")

# -- go deeper: the run's phases, its forensics, the theory and the cliff -----------------------
st.header("Two phases: W_hh grows, then the readout swings")
if not (shown and res is not None):
    st.caption("The run's phases and its NaN forensics appear here once you commit above.")
else:
    vr = [{"x": ph["growth_end"], "label": f"W_hh stops growing: step {ph['growth_end']}",
           "kind": "phase"}] if ph["growth_end"] is not None else []
    vr += [{"x": ev["step"], "label": f"first inf/NaN: step {ev['step']}", "kind": "bad"}] \
        if ev else []
    gdf = frames.growth_frame(res, NORMS)
    g1, g2 = st.columns([1.5, 1], gap="medium")
    with g1:
        layout.draw_chart(lines.run_lines(gdf, "step", "value", "what", order=NORMS,
                                       colors=NORM_COLORS, vrules=vr, x_title=X_TITLE,
                                       y_title="norm (log scale)", height=180),
                          f"||W_hh|| goes from {num(res['w_norm_init'])} to at most "
                          f"{num(max(words.finite_values(res['w_norm']) or [math.nan]))}"
                          + (f" and stops growing after step {ph['growth_end']}."
                             if ph["growth_end"] is not None else "."))
        layout.how_to_read(
            "The size of the whole gradient before each update (black), and the size "
            "(Frobenius norm) of W_hh (pink) and of the readout weights (green) after it, on a "
            "log axis. The dotted line marks where W_hh stopped growing, the dashed one the "
            "first `inf`/`NaN`; crosses on the top edge are values that were no longer finite.")
        if ph["after"] is not None:
            with layout.section("The second phase: SGD on the readout's bowl"):
                kdf = pd.DataFrame({"step": res["step"], "what": "lr × λ (readout)",
                                    "lr × λ": [res["lr"] * c for c in res["curvature"]]})
                layout.show(lines.run_lines(kdf, "step", "lr × λ", "what",
                                         order=["lr × λ (readout)"], colors=[palette.MEASURED],
                                         log=False, vrules=vr, x_title=X_TITLE,
                                         y_title="lr × λ", height=180, hrules=[
                                             {"y": 2.0, "label": "2: SGD's limit",
                                              "kind": "ref"}]),
                            kdf, key="s2_curv", name="readout_curvature", alt_text=(
                                f"lr × λ starts at {res['lr'] * res['curvature_init']:.3g} "
                                f"and is {ph['after']['lr_curvature']:.3g} in the second "
                                "phase; SGD on the readout is stable below 2."))
                st.markdown(
                    words.readout_story(res) + f"\n\nλ is measured on {exp.PROBE_BATCH} fixed "
                    "sequences after every step. It grows with the size of the hidden state; "
                    f"its ceiling, 2 x (H + 1) = {2 * (H + 1)} here, is reached when every "
                    "unit sits at ±1 in every sequence.")
    with g2:
        st.markdown(words.phase_story(res))
        if complete and ph["growth_end"] is not None:
            claims.show(res, params, [exp.w_grows_then_stops, exp.readout_rule,
                                      exp.overflow_iff_unstable])
    st.header("NaN forensics: where did it break?")
    if ev:
        st.markdown(words.forensics(res))
    else:
        st.success(f"No NaN or inf in {len(res['step'])} steps: this run stayed finite. Its "
                   "largest gradient norm was "
                   f"{num(max(words.finite_values(res['grad_norm'])))}. Try the *Explode* "
                   "preset, or raise the gain or the learning rate.",
                   icon=":material/check_circle:")
    snaps = words.weight_snapshots(res)
    dom = axes.log_range(*[m for _, m in snaps])
    k = len(res["w_init"])
    for col, (label, mat) in zip(st.columns(3, gap="small"), snaps):
        with col:
            st.caption(f"W_hh {label}")
            layout.draw_chart(heatmaps.weight_map(mat, domain=dom, cell=6 if state.instructor() else 5),
                              f"W_hh {label}: {words.weight_alt(mat)}")
    h1, h2 = st.columns(2, gap="small")
    with h1:
        layout.how_to_read(
            f"Each square is one recurrent weight W_hh[row, column] (the top-left {k} x {k} "
            "block); colour is log10 of its size on **one scale for all maps**, yellow big and "
            "purple small, so the growth shows as a change of colour. NaN and inf cells have "
            "their own colours and legend entries. One bad number in the loss can reach every "
            "weight through the next backward pass.")
    if ev:
        with h2, layout.section("Non-finite entries, parameter by parameter"):
            st.dataframe(pd.DataFrame([{"parameter": n, "non-finite entries": v[0], "of": v[1]}
                                       for n, v in res["nonfinite_counts"].items()]),
                         hide_index=True)

if not shown:  # the cliff's flung path answers the question: held back until the commit
    layout.locked("Pascanu's cliff: "
                  "gradient descent on a one-unit RNN, where you set the start.")
else:
    st.header("Pascanu's cliff: one step can throw you far away")
    cc_, cm = layout.beside(box=False, key="cliff")
    with cc_:
        with st.container(border=True):
            st.markdown(f"**Gradient descent on a one-unit RNN** with a {term('cliff', 'cliff')}")
            w0 = state.slider("Start: weight w", "cw", 2.5, 11.5, C["w0"], step=0.25)
            b0 = state.slider("Start: bias b", "cb", -6.5, 1.5, C["b0"], step=0.05)
            clr = state.slider("Learning rate", "clr", 0.005, 0.2, C["lr"], step=0.005,
                               format="%.3f")
            cst = state.slider("Steps", "cst", 10, 300, C["steps"], step=10)
        cparams = {**C, "w0": w0, "b0": b0, "lr": clr, "steps": cst}
        cres = demos.run(exp.cliff_path, **cparams)
        path, spec = cres["path"], cres["spec"]
        gn = path["grad_norm"]
        big = words.throw_step(path)
        jump = (math.hypot(path["w"][big + 1] - path["w"][big], path["b"][big + 1] - path["b"][big])
                if gn else math.nan)
        if gn:
            st.metric("largest gradient", num(gn[big]), help=f"its norm, at step {big}")
            st.metric("that step's length", num(jump),
                      help="distance moved in (w, b) by that one update, from a loss of "
                           f"{num(path['loss'][big])} to {num(path['loss'][big + 1])}")
        layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063, Figure 6; the one-unit "
                    "model from Doya (1993). Start, target and learning rate here are ours.")
        st.page_link("pages/s5_clipping.py", label="The same cliff, clipped: 5a",
                     icon=":material/content_cut:")
    with cm:
        layout.show(special.cliff_map(cres["surface"], {"unclipped": path}, cres["wall"], height=250),
                    frames.path_table({"unclipped": path}), key="s2_cliff", name="cliff_path",
                    alt_text=(f"Loss surface of x_t = w sigmoid(x_(t-1)) + b over {spec['T']} "
                              f"steps. The unclipped path meets a gradient of norm {num(gn[big])} "
                              f"at step {big} and jumps {num(jump)} units in one step, to w = "
                              f"{path['w'][big + 1]:.3g}, b = {path['b'][big + 1]:.3g}.")
                    if gn else "No steps taken.")
        if gn:
            claims.show(cres, cparams, [exp.flung, exp.lost])
        layout.how_to_read(
            "- Grey shade is the loss of a one-unit RNN, x_t = w sigmoid(x_(t-1)) + b, started at "
            f"x_0 = {spec['x0']:g} and asked to end at x_{spec['T']} = {spec['target']:g} (darker "
            "= higher, log scale).\n"
            "- The pink dashed line is the **cliff**: where x_0 sits exactly on the map's unstable "
            "fixed point. Just above it the unit settles high, just below it low, so the loss "
            "changes abruptly and its gradient there is enormous.\n"
            "- The vermillion path is plain gradient descent from the black square. Where a step "
            "lands right at the edge, the gradient is huge and the next update flings the point "
            "away; a hollow diamond on the border marks where it left the map (hover it for where "
            "the step really landed).")

with layout.section("Why the gradient explodes, and when it is not the gradient"):
    st.markdown(
        f"{term('BPTT', 'Backpropagation through time')} multiplies the error by the step "
        f"{term('Jacobian')} diag(tanh') W_hh once per step it travels back. If W_hh stretches "
        f"some direction by more than 1 (its largest {term('singular value')} σ_max above 1, "
        "because tanh' is at most 1), the product **can** grow exponentially with the "
        "distance. SGD then takes a step proportional to the gradient, so a huge gradient "
        "makes a huge update.\n\n"
        "A blow-up is not always a recurrent story, though. Plain SGD on **any** layer "
        "diverges once the learning rate passes 2 / λ, where λ is how sharply the loss curves "
        "along that layer's weights. That is why the run above has a control with W_hh frozen: "
        "if the control blows up too, the recurrent weights are not the culprit. Adam divides "
        "each step by a running gradient size and so takes bounded steps (its preset has a "
        "checked claim). The standard cure for SGD-style training is to cap the step: "
        "gradient clipping (section 5a).")
with layout.section("Is σ_max > 1 enough to explode?"):
    jdf = pd.concat([pd.DataFrame({
        "lag": JRES["lag"], "norm": 10.0 ** np.asarray(cv["log_norm"], float),
        "network": f"gain {cv['gain']:g} (σ_max {cv['sigma_max']:.2f})"})
        for cv in JRES["curves"]], ignore_index=True)
    nets = list(dict.fromkeys(jdf["network"]))
    c1, c2 = st.columns([1.7, 1], gap="medium")
    with c1:
        layout.draw_chart(
            lines.run_lines(jdf, "lag", "norm", "network", order=nets,
                         colors=[palette.OKABE_ITO[i] for i in (0, 1, 5)][:len(nets)],
                         hrules=[{"y": 1.0, "label": "1: lengths kept", "kind": "ref"}],
                         x_title="steps back (lag k)", y_title="||dh_T / dh_(T-k)|| (log)",
                         height=180, floor=1e-300),
            "Three fresh tanh RNNs. " + "; ".join(
                f"gain {cv['gain']:g}: sigma_max {cv['sigma_max']:.2f}, after "
                f"{JRES['lag'][-1]} steps 10^{cv['log_norm'][-1]:.1f}" for cv in JRES["curves"]))
    with c2:
        g1 = JRES["curves"][0]
        st.markdown(
            "Each line is the size (largest singular value) of the product of step Jacobians "
            "from step T back to step T-k, for one sequence through a fresh tanh RNN, H = "
            f"{J['hidden_size']}. Even the gain-{g1['gain']:g} network has σ_max = "
            f"{g1['sigma_max']:.2f} > 1, yet its product ends at "
            f"10^{g1['log_norm'][-1]:.1f}: tanh' is below 1 wherever a unit is away from 0, "
            "and that shrinks every step's Jacobian. σ_max > 1 is **necessary** for "
            "explosion, not **sufficient**.")
        claims.show(JRES, J, [exp.necessary_not_sufficient])
        layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063, section 2.1 "
                    "(necessary vs sufficient conditions).")
layout.ending(FILE, RECIPE, show=["first_nonfinite", "phases"])
