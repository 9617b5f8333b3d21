"""Lesson section 3: why backpropagation through time makes gradients vanish or explode."""

import math

import pandas as pd
import streamlit as st

from core.claims import claims_for
from core.experiments import why as exp
from core.theory import GAMMA_ALL, REGIME_THRESHOLD, pow10_text, scalar_log_powers
from ui import charts_theory, claims, demos, layout, state

FILE = "s3_why.py"
D = exp.matrix_case.defaults
P = exp.phase_diagram.defaults
ACTS = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "logistic sigmoid", "linear": "linear (none)"}
#: The checked claims this page shows, by name (declared in core.experiments.why).
CLAIM = {c.name: c for fn in (exp.matrix_case, exp.activation_compare, exp.phase_diagram)
         for c in claims_for(fn.key)}

layout.header(FILE, (
    "Backpropagation through time carries the gradient back one step by **multiplying it by a "
    "matrix**, that step's Jacobian, so k steps back it has been multiplied k times. Here you "
    "take that product apart: how far W_hh can stretch a vector, how steep the activation is, "
    "and what that does over many steps."))

# -- 1. the chain ------------------------------------------------------------------------------
st.subheader("The chain rule, written out")
c1, c2 = st.columns([1.25, 1], gap="large")
with c1:
    st.markdown("A plain RNN updates its hidden state with one matrix and one squashing "
                "function σ:")
    st.latex(r"h_t = \sigma(a_t), \qquad a_t = W_{hh}\,h_{t-1} + W_{xh}\,x_t + b")
    st.markdown("The loss L depends on an early state h_k only through every later state, so the "
                "chain rule gives a sum over later steps, each term a **product of Jacobians**:")
    st.latex(r"\frac{\partial L}{\partial h_k} = \sum_{t \ge k} \frac{\partial L_t}{\partial h_t}"
             r"\prod_{i=k+1}^{t} \frac{\partial h_i}{\partial h_{i-1}}, \qquad "
             r"\frac{\partial h_i}{\partial h_{i-1}} = \operatorname{diag}\!\big(\sigma'(a_i)\big)"
             r"\,W_{hh}")
    st.markdown("Each factor is at most as long as its two parts allow: σ' never exceeds a "
                "constant γ, and W_hh stretches no vector by more than its largest singular "
                "value σ_max. So a gap of t - k steps is bounded by a power:")
    st.latex(r"\Big\|\prod_{i=k+1}^{t} \frac{\partial h_i}{\partial h_{i-1}}\Big\| \;\le\; "
             r"\big(\gamma\,\sigma_{\max}(W_{hh})\big)^{\,t-k}")
with c2:
    layout.explain(
        "- **γσ_max < 1** → every factor shrinks the signal by at least that much, so the term "
        "from k steps back is at most (γσ_max)^k: vanishing is **guaranteed** (sufficient "
        "condition).\n"
        "- **γσ_max > 1** → the bound grows, but a bound is only a ceiling. Whether the signal "
        "actually grows depends on the directions it travels in and on how saturated the units "
        "are. Exploding **needs** γσ_max > 1 (necessary), but that does not make it happen.\n"
        "- γ is the steepest slope of σ: "
        + ", ".join(f"{ACTS[a]} {GAMMA_ALL[a]:g}" for a in ("tanh", "relu", "sigmoid"))
        + f". A sigmoid network can only explode if σ_max exceeds 1/γ = "
          f"{1 / GAMMA_ALL['sigmoid']:g}.",
        title="Two conditions, not one")
    layout.cite("Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent "
                "neural networks, arXiv:1211.5063, section 2.1 and the appendix.")

# -- 2. scalar toy -----------------------------------------------------------------------------
st.subheader("The one-number version: w multiplied by itself")
c1, c2 = st.columns([1, 2.6], gap="large")
with c1, st.container(border=True):
    w = state.slider("Recurrent weight w", "w", 0.5, 1.5, 0.9, step=0.01,
                     help="A one-unit linear RNN h_t = w h_{t-1}: going back k steps multiplies "
                          "the gradient by w^k.")
    K = state.slider("Steps back k", "k", 10, 500, 100, step=10, advanced=True)
    lw = scalar_log_powers(w, K)
    st.metric(f"w^{K}", pow10_text(lw[-1]),
              help="In scientific notation: 2.5e-5 is 0.000025.")
    st.caption(f"Halving time: the signal halves every {math.log(2) / -math.log(w):.1f} steps."
               if w < 1 else (f"Doubling time: it doubles every {math.log(2) / math.log(w):.1f} "
                              "steps." if w > 1 else "w = 1 exactly: the signal is carried "
                                                     "unchanged, the only stable point."))
with c2:
    rows = []
    refs = [(r, f"w = {r:g}") for r in (0.9, 1.0, 1.1) if abs(r - w) > 1e-9]
    for ww, kind in [(w, f"your w = {w:.2f}"), *refs]:
        for k, v in enumerate(scalar_log_powers(ww, K)):
            rows.append((k, v, kind, kind != f"your w = {w:.2f}"))
    sdf = pd.DataFrame(rows, columns=["k", "log10 |w|^k", "curve", "reference"])
    layout.show(charts_theory.log10_lines(
        sdf, "k", "log10 |w|^k", color="curve", dashed="reference", x_title="steps back k",
        y_title="w^k (log scale)", height=280,
        color_domain=[f"your w = {w:.2f}", *(k for _, k in refs)]),
        sdf, key="s3_scalar", name="scalar_powers", alt_text=(
            f"w^k for w = {w:.2f}: after {K} steps the factor is {pow10_text(lw[-1])}. Dashed "
            f"references: 0.9^{K} = {pow10_text(K * math.log10(0.9))}, 1.1^{K} = "
            f"{pow10_text(K * math.log10(1.1))}."))
    layout.how_to_read(
        "The y-axis is logarithmic, labelled in powers of ten, so geometric decay or growth is a "
        "**straight line** whose slope is log10 w. w = 0.9 and w = 1.1 differ by only 20%, yet "
        f"after {K} steps their factors differ by a factor of "
        f"{pow10_text(K * math.log10(1.1 / 0.9))}. Only w = 1 is flat, and nothing holds a "
        "network exactly there. In a real RNN the single number w "
        "becomes the matrix diag(σ') W_hh; the rest of the page is about which single number "
        "plays its role.")

# -- 3. matrix case ----------------------------------------------------------------------------
st.subheader("The matrix version: eigenvalues, singular values and the activation")
controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Build W_hh**")
    state.presets({
        "silent": {"label": "Bound says nothing: tanh, sigma_max 1.5", "which": "sigma",
                   "val": 1.5, "kind": "gaussian", "act": "tanh"},
        "sure": {"label": "Guaranteed vanishing: tanh, sigma_max 0.9", "which": "sigma",
                 "val": 0.9, "kind": "gaussian", "act": "tanh"},
        "sigmoid": {"label": "Sigmoid: sigma_max 3 is still below 1/gamma = 4",
                    "which": "sigma", "val": 3.0, "kind": "gaussian", "act": "sigmoid"},
        "grow": {"label": "Growing: tanh, spectral radius 3", "which": "radius", "val": 3.0,
                 "kind": "gaussian", "act": "tanh"},
        "sat": {"label": "Saturation: tanh, spectral radius 1.5", "which": "radius",
                "val": 1.5, "kind": "gaussian", "act": "tanh"},
        "orth": {"label": "Norm-preserving: linear, orthogonal, radius 1", "which": "radius",
                 "val": 1.0, "kind": "orthogonal", "act": "linear"},
    })
    which = state.select("Set this size of W_hh", "which",
                         {"sigma": "largest singular value sigma_max",
                          "radius": "spectral radius (largest |eigenvalue|)"}, D["which"],
                         help="sigma_max: the most W_hh can stretch any vector. Spectral "
                              "radius: how fast W_hh^k grows in the long run.")
    value = state.slider("... to the value", "val", 0.1, 5.0, D["value"], step=0.05)
    kind = state.select("Matrix", "kind", {"gaussian": "random Gaussian",
                                           "orthogonal": "random orthogonal"}, D["kind"],
                        help="Orthogonal: every singular value equal, so sigma_max = radius. "
                             "Gaussian: sigma_max is well above the radius.")
    act = state.select("Activation sigma", "act", ACTS, D["activation"],
                       help="Sets gamma, the bound on sigma'. tanh and ReLU 1, sigmoid 1/4.")
    T = state.slider("Sequence length T", "T", 20, 500, D["seq_len"], step=10)
    H = state.slider("Hidden size H", "H", 8, 128, D["hidden_size"], step=8, advanced=True)
    seed = state.seed(D["seed"])

mparams = dict(value=value, which=which, kind=kind, activation=act, hidden_size=H, seq_len=T,
               seed=seed)
res = demos.run(exp.matrix_case, **mparams)
last = res["log_norm"][-1]
bound_last = res["log_bound"][-1]
outcome = (2 if math.isfinite(last) and last < -2 or last == -math.inf else
           0 if math.isfinite(last) and last > 2 else 1)

with main:
    layout.predict(
        "s3", f"W_hh has sigma_max = {res['sigma_max']:.2f} and the activation is "
        f"{ACTS[act]} (gamma = {res['gamma']:g}), so the bound allows each step to multiply "
        f"the gradient by up to {res['eta']:.2f}. What does the **measured** ||dh_T/dh_t|| do "
        f"over {T} steps?",
        ["It grows by orders of magnitude", "It stays within a factor of 100",
         "It shrinks by orders of magnitude"],
        correct=outcome,
        why=("When gamma x sigma_max is below 1, the bound itself forces the decay. When it is "
             "above 1, only the measurement can tell: the largest stretch of W_hh rarely lines up "
             "step after step, the spectral radius (the long-run growth rate) is smaller than "
             "sigma_max, and saturated units shrink sigma'. Growth needs all of that to "
             "cooperate."),
        observed=(f"after {T} steps the product is {pow10_text(last)}, the bound "
                  f"{pow10_text(bound_last)}."
                  if math.isfinite(last) else "the product became exactly zero (all units off)."))

    ec, lc = st.columns([1, 1.6], gap="medium")
    with ec:
        edf = pd.DataFrame({"real": res["eig_real"], "imag": res["eig_imag"]})
        edf["modulus"] = (edf["real"] ** 2 + edf["imag"] ** 2) ** 0.5
        layout.show(charts_theory.eigen_plane(edf, res["spectral_radius"], height=300), edf,
                    key="s3_eig", name="eigenvalues", alt_text=(
                        f"{len(edf)} eigenvalues of W_hh; the largest modulus is "
                        f"{res['spectral_radius']:.3f}, "
                        f"{'inside' if res['spectral_radius'] < 1 else 'outside'} the unit "
                        "circle."))
        layout.how_to_read(
            "Each dot is an eigenvalue of W_hh in the complex plane. The grey dashed circle has "
            "radius 1; the orange dotted one passes through the farthest eigenvalue (the "
            "spectral radius). For a **linear** RNN, eigenvalues inside the unit circle mean "
            "W_hh^k → 0 (vanishing), outside means some direction grows. For a random Gaussian "
            "W_hh the spectral radius sits well below sigma_max, so a sigma_max above 1 can "
            "leave every eigenvalue inside the circle.")
        claims.show(res, mparams, [CLAIM["radius_below_sigma"], CLAIM["eigs_inside"]])
    with lc:
        ldf = pd.concat([
            pd.DataFrame({"lag": res["lag"], "log10 norm": res["log_norm"],
                          "curve": "measured ||dh_T/dh_(T-lag)||", "bound": False}),
            pd.DataFrame({"lag": res["lag"], "log10 norm": res["log_bound"],
                          "curve": "Pascanu bound (gamma * sigma_max)^lag", "bound": True})])
        layout.show(charts_theory.log10_lines(
            ldf, "lag", "log10 norm", color="curve", dashed="bound",
            x_title="lag: steps back from the last state", y_title="norm (log scale)",
            height=300, color_domain=["measured ||dh_T/dh_(T-lag)||",
                                      "Pascanu bound (gamma * sigma_max)^lag"]), ldf, key="s3_lag", name="jacobian_by_lag", alt_text=(
                f"Measured Jacobian product after {T} steps: {pow10_text(last)}; the Pascanu "
                f"bound: {pow10_text(bound_last)}."))
        layout.how_to_read(
            "Both lines start at 1 (lag 0, nothing multiplied yet). The solid line is the exact "
            "spectral norm of diag(σ'(a_T)) W_hh ⋯ diag(σ'(a_{T-lag+1})) W_hh along one "
            "adding-problem sequence, kept as a logarithm so it never under- or overflows. The "
            "dashed line is the worst case γσ_max per step. The solid line can never rise above "
            "the dashed one. When the dashed line **falls**, vanishing is certain; when it "
            "**rises**, only the solid line tells what happens.")
        claims.show(res, mparams, [CLAIM[n] for n in ("bound_silent", "under_falling_bound",
                                                      "grows", "norm_preserving")])
        layout.cite("Bound: Pascanu et al. (2013), arXiv:1211.5063, section 2.1; eigenvalues and "
                    "norm preservation: Arjovsky, Shah & Bengio (2016), arXiv:1511.06464.")

    verdict = ("guaranteed to vanish: gamma x sigma_max < 1" if res["eta"] < 1 else
               "the bound allows growth; the measurement decides")
    layout.metric_row([
        ("spectral radius", f"{res['spectral_radius']:.3f}", "largest |eigenvalue| of W_hh"),
        ("sigma_max", f"{res['sigma_max']:.3f}", "largest singular value of W_hh"),
        ("γ·sigma_max", f"{res['eta']:.3f}", "gamma x sigma_max: the bound's factor per step"),
        ("per-step factor", f"x{10 ** res['rate']:.3f}" if math.isfinite(res["rate"])
         else "0", "geometric mean factor per step over the whole sequence"),
        ("mean sigma'", f"{res['mean_deriv']:.3f}", "average slope of the activation along "
                                                    "the sequence (at most gamma)"),
    ])
    (st.success if res["eta"] < 1 else st.info)(
        f"**Verdict:** {verdict}. Measured after {T} steps: {pow10_text(last)}"
        if math.isfinite(last) else f"**Verdict:** {verdict}. The product hit exactly zero.",
        icon=":material/rule:")

    st.markdown("**Same W_hh, four activations**")
    aparams = {k: v for k, v in mparams.items() if k != "activation"}
    ares = demos.run(exp.activation_compare, **aparams)
    names = {a: f"{ACTS[a]} (gamma {ares['gamma'][a]:g}, mean slope "
                f"{ares['mean_deriv'][a]:.2f})" for a in ares["activations"]}
    adf = pd.concat([pd.DataFrame({"lag": ares["lag"], "log10 norm": ares["log_norm"][a],
                                   "activation": names[a]}) for a in ares["activations"]])
    ends = {a: ares["log_norm"][a][-1] for a in ares["activations"]}
    layout.show(charts_theory.log10_lines(
        adf, "lag", "log10 norm", color="activation", x_title="lag: steps back",
        y_title="product norm (log scale)", height=400,
        color_domain=[names[a] for a in ares["activations"]]), adf, key="s3_acts",
        name="jacobian_by_activation", alt_text="After " + str(T) + " steps: " + "; ".join(
            f"{ACTS[a]} {pow10_text(v)}" if math.isfinite(v) else f"{ACTS[a]} exactly 0"
            for a, v in ends.items()) + ".")
    layout.how_to_read(
        "One W_hh (the one built on the left), one input sequence, four choices of σ. The "
        "linear line shows what W_hh alone does. A nonlinearity multiplies every unit by its "
        "slope σ' ≤ γ ≤ 1 at every step, which lowers each factor's ceiling; it usually pulls "
        "the whole product **down**, though that is not a strict rule (switching units off can "
        "steer the signal into a direction W_hh stretches more). The sigmoid's slope is at most "
        "1/4; ReLU's is 0 for the units that are off; tanh's falls where units saturate. The "
        "legend gives each one's mean slope along this sequence.")
    claims.show(ares, aparams, [CLAIM[n] for n in ("nonlinearity_pulls_down", "sigmoid_fastest",
                                                   "saturation_holds_back")])

layout.explain(
    "Why can sigma_max be above 1 and the gradient still vanish? sigma_max is the stretch of "
    "W_hh in its single most favourable direction. After one step the gradient points somewhere "
    "else, and the next factor has its own favourite direction; over many steps what counts is "
    "the long-run growth rate, which for a fixed matrix is the spectral radius, and it is "
    "smaller. On top of that each factor includes diag(σ'), and units that saturate (tanh near "
    "±1, sigmoid near 0 or 1) have slopes near 0. Try the sigmoid preset: with gamma = 1/4 "
    "W_hh would need sigma_max above 4 just to make growth possible, so a sigmoid recurrence "
    "is a poor carrier of long-range gradients. Identity-initialised ReLU networks "
    "(Le et al. 2015) and orthogonal or unitary W_hh (Arjovsky et al. 2016) aim instead for "
    "factors of exactly 1.", title="Sufficient is not the same as necessary")

# -- 4. phase diagram --------------------------------------------------------------------------
st.subheader("Phase diagram: recurrent gain x sequence length")
pc, pm = st.columns([1, 2.6], gap="large")
with pc, st.container(border=True):
    pact = state.select("Activation", "pact", {"tanh": "tanh", "relu": "ReLU"},
                        P["nonlinearity"])
    st.caption(f"Each cell is a fresh RNN (H = {P['hidden_size']}, PyTorch's default weights) "
               "whose W_hh is "
               "rescaled to the spectral radius on the x-axis, on an adding-problem batch of "
               "length T with the loss at the last step.")
    st.caption(f"**vanishing**: ratio below 1/{REGIME_THRESHOLD:g}; **exploding**: above "
               f"{REGIME_THRESHOLD:g}; **stable** in between.")
pparams = {**P, "nonlinearity": pact}
pres = demos.run(exp.phase_diagram, **pparams)
pdf = pd.DataFrame({"gain": pres["radius"], "T": pres["seq_len"], "ratio": pres["ratio"],
                    "regime": pres["regime"]})
pdf["log10_ratio"] = [math.log10(r) if r > 0 and math.isfinite(r) else
                      (math.inf if r == math.inf else (-math.inf if r == 0 else math.nan))
                      for r in pdf["ratio"]]
pdf["label"] = [("inf" if v == math.inf else "<-300" if v == -math.inf else "NaN")
                if not math.isfinite(v) else ("0" if round(v) == 0 else f"{v:+.0f}")
                for v in pdf["log10_ratio"]]
pdf["log10_ratio"] = pdf["log10_ratio"].clip(-400, 400)


def band_text(gains: list[float], radii: list[float]) -> str:
    """The stable gains of one row, as a reader says them: "0.75 to 3", "only 1.25", "none"."""
    if not gains:
        return "none"
    if len(gains) == 1:
        return f"only {gains[0]:g}"
    idx = [radii.index(g) for g in gains]
    if idx == list(range(idx[0], idx[-1] + 1)):
        return f"{gains[0]:g} to {gains[-1]:g}"
    return ", ".join(f"{g:g}" for g in gains)


bands = exp.stable_gains(pres)
exploding = [(g, T) for g, T, reg in zip(pres["radius"], pres["seq_len"], pres["regime"])
             if reg == "exploding"]
first_boom = min(exploding, default=None)
tmax = max(pres["lengths"])
with pm:
    counts = pdf["regime"].value_counts().to_dict()
    layout.show(charts_theory.phase_map(
        pdf, x="gain", y="T", x_title="recurrent gain = spectral radius of W_hh",
        y_title="sequence length T", height=300), pdf, key="s3_phase", name="phase_diagram",
        alt_text=(f"{counts.get('vanishing', 0)} of {len(pdf)} cells vanish, "
                  f"{counts.get('stable', 0)} are stable and {counts.get('exploding', 0)} "
                  f"explode ({ACTS[pact]}). Stable gains by length: "
                  + "; ".join(f"T = {T}: {band_text(g, pres['radii'])}"
                              for T, g in bands.items()) + "."))
    layout.how_to_read(
        "Colour and number are log10 of ||dL/dh_0|| / ||dL/dh_{T-1}||: **-14** means the first "
        "step receives 10^-14 of the gradient the last step gets. Blue is vanishing, orange "
        "exploding, white about balanced (colours saturate at ±30; **<-300** means the first "
        "step's gradient underflowed even float64, **inf** that it overflowed). Cells outlined "
        f"in black are **stable**: within a factor of {REGIME_THRESHOLD:g} either way. Read a "
        "column upwards: for a fixed gain the exponent grows with T, because the ratio is a "
        "product of T factors.")
    st.markdown(
        f"**What this grid shows ({ACTS[pact]}).** The stable gains at each length: "
        + "; ".join(f"T = {T}: {band_text(g, pres['radii'])}" for T, g in bands.items())
        + ". "
        + (f"The smallest gain that explodes is {first_boom[0]:g} (at T = {first_boom[1]}). "
           if first_boom else "No cell explodes. ")
        + "Short sequences forgive a wide range of gains, because only a few factors are "
          "multiplied. Long ones do not: to stay within a factor of "
          f"{REGIME_THRESHOLD:g} over T = {tmax} steps, the average factor per step must lie "
          f"within {100 * (REGIME_THRESHOLD ** (1 / tmax) - 1):.1f}% of 1.")
    claims.show(pres, pparams, [CLAIM[n] for n in (
        "widest_at_shortest", "exponent_grows_with_T", "below_one_vanishes",
        "one_is_not_enough", "long_band_narrow", "relu_needs_more")])

if act in ("tanh", "relu"):
    probe_lines = f"""model = build_model("rnn", 2, {H}, 1, nonlinearity="{act}", seed={seed})
model.cell.weight_hh.data.copy_(w.float())
log_norm = jacobian_log_norms(model, x)          # (T+1,) log10 ||dh_T/dh_(T-lag)||"""
else:
    probe_lines = f"""model = build_model("rnn", 2, {H}, 1, seed={seed})  # for W_ih and the biases
c = model.cell
log_norm = torch.tensor(rnn_jacobian_log_norms(  # {act} units are not in core.models
    w, c.weight_ih.detach(), (c.bias_ih.double() + c.bias_hh.double()).detach(), x[0], "{act}"))"""
layout.code(f"""
import torch
from core.models import build_model
from core.probes import jacobian_log_norms, pascanu_log_bound, spectrum
from core.tasks import make_task
from core.theory import GAMMA_ALL, gradient_ratio, matrix_with_norm, rnn_jacobian_log_norms

task = make_task("adding", {T})
x, _ = task.sample(1, torch.Generator().manual_seed({seed} + 1))   # (1, T, 2)
w = matrix_with_norm({H}, {value}, which="{which}", kind="{kind}", seed={seed})  # (H, H)
{probe_lines}
sigma = float(spectrum(w)["singular"][0])
bound = pascanu_log_bound(sigma, GAMMA_ALL["{act}"], {T})  # (T+1,) log10 (gamma sigma_max)^lag
print(log_norm[-1].item(), bound[-1].item())
print(gradient_ratio(1.0, 100, nonlinearity="{pact}"))  # one cell of the phase diagram
""")
layout.cite("The decaying error flow was first analysed by Hochreiter (1991), Untersuchungen zu "
            "dynamischen neuronalen Netzen, diploma thesis, TU München, and by Bengio, Simard & "
            "Frasconi (1994), Learning long-term dependencies with gradient descent is "
            "difficult, IEEE Transactions on Neural Networks 5(2), 157-166; Hochreiter & "
            "Schmidhuber (1997), Long short-term memory, Neural Computation 9(8), built the LSTM "
            "on it. Identity-initialised ReLU RNNs: Le, Jaitly & Hinton (2015), "
            "arXiv:1504.00941.")
layout.footer(FILE)
