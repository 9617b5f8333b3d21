"""Lesson section 3: why backpropagation through time makes gradients vanish or explode."""

import math

import streamlit as st

from core.claims import claims_for
from core.experiments import why as exp
from core.theory import GAMMA_ALL, REGIME_THRESHOLD, pow10_text
from ui import claims, demos, frames, layout, notebook, palette, state
from ui.charts import heatmaps, lines, special

FILE = "s3_why.py"
D = exp.matrix_case.defaults
P = exp.phase_diagram.defaults
ACTS = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "logistic sigmoid", "linear": "linear (none)"}
#: The checked claims this page shows, by name (declared in core.experiments.why).
CLAIM = {c.name: c for fn in (exp.matrix_case, exp.activation_compare, exp.phase_diagram)
         for c in claims_for(fn.key)}

layout.header(FILE, """
    Going back one step, backpropagation through time multiplies the gradient by that step's
    Jacobian diag(σ′) W_hh, so k steps back it has been multiplied k times. Theory caps that
    product (Pascanu et al. 2013): build a W_hh and see when the cap tells you what happens.""",
    short="k steps back, k Jacobians multiplied: does the bound decide what happens?")

controls, main = layout.beside()
with controls:
    PRESETS = {
        "silent": {"label": "Bound silent: σ_max 1.5", "which": "sigma",
                   "val": 1.5, "kind": "gaussian", "act": "tanh"},
        "sure": {"label": "Sure to vanish: σ_max 0.9", "which": "sigma",
                 "val": 0.9, "kind": "gaussian", "act": "tanh"},
        "sigmoid": {"label": "Sigmoid: σ_max 3 < 1/γ", "which": "sigma",
                    "val": 3.0, "kind": "gaussian", "act": "sigmoid"},
        "grow": {"label": "Growing: radius 3", "which": "radius", "val": 3.0,
                 "kind": "gaussian", "act": "tanh"},
        "sat": {"label": "Saturating: radius 1.5", "which": "radius",
                "val": 1.5, "kind": "gaussian", "act": "tanh"},
        "orth": {"label": "Norm-preserving: orthogonal", "which": "radius",
                 "val": 1.0, "kind": "orthogonal", "act": "linear"},
    }
    state.presets(PRESETS, defaults={"which": D["which"], "val": D["value"], "kind": D["kind"],
                                     "act": D["activation"]})
    which = state.select("Size of W_hh to set", "which",
                         {"sigma": "σ_max (largest stretch)",
                          "radius": "spectral radius (largest |eigenvalue|)"}, D["which"],
                         help="σ_max: the most W_hh can stretch any vector. Spectral radius: "
                              "how fast W_hh^k grows in the long run.")
    value = state.slider("σ_max of W_hh" if which == "sigma" else "Spectral radius of W_hh",
                         "val", 0.1, 5.0, D["value"], step=0.05)
    act = state.select("Activation σ", "act", ACTS, D["activation"],
                       help="Sets γ, the bound on σ′: tanh and ReLU 1, sigmoid 1/4.")
    with layout.more_settings():
        # Not advanced: the norm-preserving preset sets it, also on the projector.
        kind = state.select("Matrix", "kind", {"gaussian": "random Gaussian",
                                               "orthogonal": "random orthogonal"}, D["kind"],
                            help="Orthogonal: every singular value equal, so σ_max = radius. "
                                 "Gaussian: σ_max is well above the radius.")
        T = state.slider("Sequence length T", "T", 20, 500, D["seq_len"], step=10,
                         advanced=True)
        H = state.slider("Hidden size H", "H", 8, 128, D["hidden_size"], step=8,
                         advanced=True)
        seed = state.seed(D["seed"])

mparams = dict(value=value, which=which, kind=kind, activation=act, hidden_size=H, seq_len=T,
               seed=seed)
X_TITLE, Y_TITLE = "lag: steps back from the last state", "||dh_T/dh_(T-lag)|| (log scale)"
RECIPE = notebook.Recipe(exp.matrix_case, mparams, frames.lag_frame, lines.log10_lines, dict(
    x="lag", y="log10 norm", color="curve", dashed="bound", x_title=X_TITLE, y_title=Y_TITLE,
    height=280, color_domain=[frames.MEASURED_CURVE, frames.BOUND_CURVE],
    color_range=[palette.MEASURED, palette.THEORY]), headline=("sigma_max", "eta", "rate"))
res = RECIPE.run(demos.run)
last, bound_last, eta = res["log_norm"][-1], res["log_bound"][-1], res["eta"]
OPTIONS = ["It grows by orders of magnitude", "It stays within a factor of 100",
           "It shrinks by orders of magnitude"]
answer = 0 if last > 2 else 2 if last < -2 else 1

with main:
    shown = layout.prediction(
        FILE, "s3", f"The bound lets each step multiply the gradient by up to γσ_max = {eta:.2f}. "
        f"What does the **measured** product of {T} Jacobians, ||dh_T/dh_0||, do?",
        OPTIONS, correct=answer,
        why="γσ_max caps every factor, so (γσ_max)^k caps the product: below 1 the cap itself "
            "forces the decay. Above 1 it says nothing: W_hh's largest stretch does not line up "
            "step after step (the long-run rate is the spectral radius, smaller for a random "
            "matrix), and saturated units shrink σ′. Only the measurement tells.",
        observed=(f"after {T} steps the product is {pow10_text(last)}, the bound "
                  f"{pow10_text(bound_last)}." if math.isfinite(last) else
                  "the product became exactly zero (every unit switched off)."))

    if layout.reveal_chart(shown, "s3", RECIPE, res, key="s3_lag", name="jacobian_by_lag",
                           axes=(X_TITLE, Y_TITLE), alt=lambda _: (
                               f"Measured Jacobian product after {T} steps: {pow10_text(last)}; "
                               f"the Pascanu bound: {pow10_text(bound_last)}.")) is not None:
        layout.metric_row([
            ("γ·σ_max", f"{eta:.3f}", "the bound's factor per step"),
            ("measured per step", f"×{10 ** res['rate']:.3f}"
             if math.isfinite(res["rate"]) else "0",
             "geometric mean factor per step over the whole sequence"),
            ("σ_max", f"{res['sigma_max']:.3f}", "largest singular value of W_hh"),
            ("spectral radius", f"{res['spectral_radius']:.3f}", "largest |eigenvalue| of W_hh"),
        ])
        claims.show(res, mparams, [CLAIM[n] for n in ("bound_silent", "under_falling_bound",
                                                      "grows", "norm_preserving")])

if shown:
    gamma = res["gamma"]
    bound_md = (
        f"- The dashed grey line is the worst case, γσ_max = {eta:.2f} per step. "
        + ("That is above 1, so the bound **grows** going back and says nothing about this "
           "run: only the measured line tells what happens. "
           if eta > 1 else "That is below 1, so the bound itself **falls**: vanishing is "
                           "guaranteed, whatever the inputs. ")
        + f"With {ACTS[act]} (γ = {gamma:g}) the bound falls once σ_max is below "
          f"1/γ = {1 / gamma:g}.\n")
    layout.how_to_read(
        "- Both lines start at 1 (lag 0: nothing multiplied yet); going right, one more step's "
        "Jacobian is multiplied in. The y-axis is logarithmic, so a constant factor per step is "
        "a straight line.\n"
        "- The solid blue line is the exact spectral norm of the product along one "
        "adding-problem sequence, kept as a logarithm so it never under- or overflows. It can "
        "never rise above the dashed line.\n" + bound_md)
    layout.cite("Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent "
                "neural networks, arXiv:1211.5063, section 2.1 and the appendix.")
layout.code_for(exp.matrix_case, mparams, show=RECIPE.headline,
                title="The code behind the main chart")

# Held back until the learner commits: the eigenvalues, the activations and the phase
# diagram each answer the question.
if not shown:
    st.header("Eigenvalues, activations and the phase diagram")
    layout.locked("why the product does "
                  "what it does: W_hh's eigenvalues, four activations and a map of gain × "
                  "length.")
else:
    # -- why sigma_max above 1 is not enough --
    st.header("Why σ_max above 1 is not enough: the eigenvalues")
    c1, c2 = st.columns([1, 1.4], gap="large")
    with c1:
        edf = frames.eigen_frame(res)
        side = 240
        layout.draw_chart(special.eigen_plane(
            edf, res["spectral_radius"], height=side,
            width=round(side * layout.PROJECTOR_HEIGHT) if state.instructor() else side), (
            f"{len(edf)} eigenvalues of W_hh; the largest modulus is "
            f"{res['spectral_radius']:.3f}, "
            f"{'inside' if res['spectral_radius'] < 1 else 'outside'} the unit circle."))
    with c2:
        st.markdown(
            "σ_max is W_hh's stretch in its single most favourable direction. After one step the "
            "gradient points somewhere else, and the next factor has its own favourite direction: "
            "over many steps what counts is the long-run growth rate, which for a fixed matrix is "
            "the **spectral radius** (the farthest eigenvalue from 0). On top of that, every factor "
            "includes diag(σ′), and saturated units have slopes near 0.")
        claims.show(res, mparams, [CLAIM["radius_below_sigma"], CLAIM["eigs_inside"]])
        layout.how_to_read(
            "Each dot is an eigenvalue of W_hh in the complex plane; it moves as you change the "
            "controls above. The grey dotted circle has radius 1; the orange dashed one passes "
            "through the farthest eigenvalue. For a **linear** RNN, eigenvalues inside the unit "
            "circle mean W_hh^k → 0 (vanishing), outside means some direction grows. A random "
            "Gaussian W_hh is far from symmetric, so its spectral radius sits well below σ_max.")
        layout.cite("Eigenvalues and norm preservation: Arjovsky, Shah & Bengio (2016), "
                    "arXiv:1511.06464.")

    # -- the activation --
    st.header("Same W_hh, four activations")
    aparams = {k: v for k, v in mparams.items() if k != "activation"}
    ares = demos.run(exp.activation_compare, **aparams)
    names = {a: f"{'ReLU' if a == 'relu' else a}: mean σ′ {ares['mean_deriv'][a]:.2f}"
             for a in ares["activations"]}
    adf = frames.activation_frame(ares, names)
    ends = {a: ares["log_norm"][a][-1] for a in ares["activations"]}
    layout.show(lines.log10_lines(
        adf, "lag", "log10 norm", color="activation", x_title="lag: steps back",
        y_title="product norm (log scale)", height=170,
        color_domain=[names[a] for a in ares["activations"]]), adf, key="s3_acts",
        name="jacobian_by_activation", alt_text=f"After {T} steps: " + "; ".join(
            f"{ACTS[a]} {pow10_text(v)}" if math.isfinite(v) else f"{ACTS[a]} exactly 0"
            for a, v in ends.items()) + ".")
    claims.show(ares, aparams, [CLAIM[n] for n in ("nonlinearity_pulls_down", "sigmoid_fastest",
                                                   "saturation_holds_back")])
    layout.how_to_read(
        "One W_hh (the one you built above), one input sequence, four choices of σ. The linear "
        "line shows what W_hh alone does. A nonlinearity multiplies every unit by its slope "
        "σ′ ≤ γ ≤ 1 at every step, which lowers each factor's ceiling; it usually pulls the "
        "product **down**, though that is not a strict rule (switching units off can steer the "
        "signal into a direction W_hh stretches more). The sigmoid's slope is at most 1/4, so "
        "W_hh would need σ_max above 4 just to make growth possible; ReLU's is 0 for the units "
        "that are off; tanh's falls where units saturate. The legend gives each one's mean "
        "slope σ′ along this sequence.")

    # -- phase diagram --
    st.header("Phase diagram: recurrent gain × sequence length")
    pc, pm = layout.beside(box=False, key="phase")
    with pc:
        pact = state.select("Activation", "pact", {"tanh": "tanh", "relu": "ReLU"},
                            P["nonlinearity"])
        st.caption(f"Each cell is a fresh RNN (H = {P['hidden_size']}, PyTorch's default weights) "
                   "whose W_hh is rescaled to the spectral radius on the x-axis, on an "
                   "adding-problem batch of length T with the loss at the last step. "
                   f"**Vanishing**: ratio below 1/{REGIME_THRESHOLD:g}; **exploding**: above "
                   f"{REGIME_THRESHOLD:g}; **stable** (outlined) in between.")
    pparams = {**P, "nonlinearity": pact}
    pres = demos.run(exp.phase_diagram, **pparams)
    pdf = frames.phase_frame(pres)
    bands = exp.stable_gains(pres)
    band_md = "; ".join(f"T = {T}: {exp.band_text(g, pres['radii'])}" for T, g in bands.items())
    first_boom = min(((g, T) for g, T, reg in zip(pres["radius"], pres["seq_len"], pres["regime"])
                      if reg == "exploding"), default=None)
    tmax = max(pres["lengths"])
    with pm:
        counts = pdf["regime"].value_counts().to_dict()
        layout.show(heatmaps.phase_map(
            pdf, x="gain", y="T", x_title="recurrent gain = spectral radius of W_hh",
            y_title="sequence length T", height=260), pdf, key="s3_phase", name="phase_diagram",
            alt_text=(f"{counts.get('vanishing', 0)} of {len(pdf)} cells vanish, "
                      f"{counts.get('stable', 0)} are stable and {counts.get('exploding', 0)} "
                      f"explode ({ACTS[pact]}). Stable gains by length: {band_md}."))
    st.markdown(
        f"**What this grid shows ({ACTS[pact]}).** The stable gains at each length: {band_md}. "
        + (f"The smallest gain that explodes is {first_boom[0]:g} (at T = {first_boom[1]}). "
           if first_boom else "No cell explodes. ")
        + "Short sequences forgive a wide range of gains, because only a few factors are "
          "multiplied. Long ones do not: to stay within a factor of "
          f"{REGIME_THRESHOLD:g} over T = {tmax} steps, the average factor per step must lie "
          f"within {100 * (REGIME_THRESHOLD ** (1 / tmax) - 1):.1f}% of 1.")
    claims.show(pres, pparams, [CLAIM[n] for n in (
        "widest_at_shortest", "exponent_grows_with_T", "below_one_vanishes",
        "one_is_not_enough", "long_band_narrow", "relu_needs_more")])
    layout.how_to_read(
        "Colour and number are log10 of ||dL/dh_0|| / ||dL/dh_{T-1}||: **-14** means the first "
        "step receives 10^-14 of the gradient the last step gets. Blue is vanishing, orange "
        "exploding, white about balanced (colours saturate at ±30). Grey and black cells are "
        "ratios that left float64: **<-300** underflowed to 0, **inf** overflowed. Read a column "
        "upwards: for a fixed gain the exponent grows with T, because the ratio is a product of T "
        "factors.")
    layout.code_for(exp.phase_diagram, pparams, show=["regime"])

# -- derivations -------------------------------------------------------------------------------
st.header("Go deeper")
with layout.section("The chain rule, written out: where the product and its bound come from"):
    st.latex(r"h_t = \sigma(a_t), \qquad a_t = W_{hh}\,h_{t-1} + W_{xh}\,x_t + b")
    st.markdown("The loss L depends on an early state h_k only through every later state, so "
                "the chain rule gives a sum over later steps, each term a **product of "
                "Jacobians**:")
    st.latex(r"\frac{\partial L}{\partial h_k} = \sum_{t \ge k} \frac{\partial L_t}{\partial h_t}"
             r"\prod_{i=k+1}^{t} \frac{\partial h_i}{\partial h_{i-1}}, \qquad "
             r"\frac{\partial h_i}{\partial h_{i-1}} = \operatorname{diag}\!\big(\sigma'(a_i)\big)"
             r"\,W_{hh}")
    st.markdown("σ′ never exceeds a constant γ, and W_hh stretches no vector by more than σ_max, "
                "so a gap of t - k steps is bounded by a power:")
    st.latex(r"\Big\|\prod_{i=k+1}^{t} \frac{\partial h_i}{\partial h_{i-1}}\Big\| \;\le\; "
             r"\big(\gamma\,\sigma_{\max}(W_{hh})\big)^{\,t-k}")
    st.markdown(
        "- **γσ_max < 1**: every factor shrinks the signal, so vanishing is **guaranteed** "
        "(a sufficient condition).\n"
        "- **γσ_max > 1**: the bound grows, but a bound is only a ceiling. Exploding **needs** "
        "γσ_max > 1 (a necessary condition), but that does not make it happen.\n"
        "- γ is the steepest slope of σ: "
        + ", ".join(f"{ACTS[a]} {GAMMA_ALL[a]:g}" for a in ("tanh", "relu", "sigmoid"))
        + ". Identity-initialised ReLU networks (Le et al. 2015) and orthogonal or unitary "
          "W_hh (Arjovsky et al. 2016) aim instead for factors of exactly 1.")

with layout.section("Warm-up: one number, multiplied k times"):
    c1, c2 = st.columns([1, 2.2], gap="large")
    with c1:
        w = state.slider("Recurrent weight w", "w", 0.5, 1.5, 0.9, step=0.01,
                         help="A one-unit linear RNN h_t = w h_{t-1}: going back k steps "
                              "multiplies the gradient by w^k.")
        K = state.slider("Steps back k", "k", 10, 500, 100, step=10, advanced=True)
        sdf = frames.scalar_frame(w, K)
        lw = K * math.log10(w)
        st.metric(f"w^{K}", pow10_text(lw), help="In scientific notation: 2.5e-5 is 0.000025.")
        st.caption(f"The signal halves every {math.log(2) / -math.log(w):.1f} steps." if w < 1
                   else f"It doubles every {math.log(2) / math.log(w):.1f} steps." if w > 1
                   else "w = 1 exactly: the signal is carried unchanged, the only stable point.")
    with c2:
        mine = f"your w = {w:.2f}"
        layout.draw_chart(lines.log10_lines(
            sdf, "k", "log10 |w|^k", color="curve", dashed="reference",
            x_title="steps back k", y_title="w^k (log scale)", height=180,
            color_domain=[mine, *(c for c in sdf["curve"].unique() if c != mine)]),
            f"w^k for w = {w:.2f}: after {K} steps the factor is {pow10_text(lw)}. Dashed "
            f"references: 0.9^{K} = {pow10_text(K * math.log10(0.9))}, 1.1^{K} = "
            f"{pow10_text(K * math.log10(1.1))}.")
    st.markdown(
        f"w = 0.9 and w = 1.1 differ by only 20%, yet after {K} steps their factors differ by "
        f"a factor of {pow10_text(K * math.log10(1.1 / 0.9))}. In a real RNN the number w "
        "becomes the matrix diag(σ′) W_hh: the chart at the top of the page.")

layout.cite("The decaying error flow was first analysed by Hochreiter (1991), Untersuchungen zu "
            "dynamischen neuronalen Netzen, diploma thesis, TU München, and by Bengio, Simard & "
            "Frasconi (1994), Learning long-term dependencies with gradient descent is "
            "difficult, IEEE Transactions on Neural Networks 5(2), 157-166; Hochreiter & "
            "Schmidhuber (1997), Long short-term memory, Neural Computation 9(8), built the LSTM "
            "on it. Identity-initialised ReLU RNNs: Le, Jaitly & Hinton (2015), "
            "arXiv:1504.00941.")
layout.ending(FILE, RECIPE, code=False)
