"""Lab 1: a simple RNN with gradient clipping. No clipping vs norm vs value, same seed."""

import math

import streamlit as st

from core import cost
from core.claims import claims_for
from core.experiments import lab_clipping as exp
from core.tasks import make_task
from ui import claims, export, labs, layout, notebook, runner, runstore, state
from ui.charts import lines, special

FILE = "lab1_clipping.py"
D = exp.compare.defaults
CLAIM = {c.name: c for c in claims_for(exp.compare.key)}
#: Claims shown under the share-clipped bars; the others go under the loss chart.
SHARE_CLAIMS = ("tame_value_fires_norm_rarely", "long_norm_clips_most_steps")
LR = ["0.001", "0.003", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1.0"]
NTHR = ["0.1", "0.25", "0.5", "1.0", "2.0", "5.0", "10.0"]
VTHR = ["0.01", "0.03", "0.1", "0.3", "1.0", "5.0"]
OPTS = {"sgd": "SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam"}
X_TITLE, Y_TITLE = "training step", "loss, MSE (log scale)"

layout.header(FILE, """
    Train one RNN that is **ready to explode** three times, from the same weights on the same
    batches: with no protection, with **norm clipping** and with **value clipping**. Whatever
    differs between the curves is the clipping's doing.""",
    short="Which runs survive: no clipping, norm clipping, value clipping?")

controls, main = layout.beside()
with controls:
    state.presets({
        "explode": {"label": "Explodes without clipping", "gain": 2.0, "act": "tanh",
                    "lr": "0.05", "T": 20, "opt": "sgd", "init": "orthogonal"},
        "relu": {"label": "ReLU RNN, gain 1.5", "gain": 1.5, "act": "relu", "lr": "0.01",
                 "T": 20, "opt": "sgd", "init": "orthogonal"},
        "calm": {"label": "Tame: gain 0.9", "gain": 0.9, "act": "tanh", "lr": "0.05",
                 "T": 20, "opt": "sgd", "init": "orthogonal"},
        "long": {"label": "Longer sequences, T = 60", "gain": 2.0, "act": "tanh",
                 "lr": "0.05", "T": 60, "opt": "sgd", "init": "orthogonal"},
    }, default="explode")
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.5, 4.0, D["gain"], step=0.1,
                        help="Multiplies the recurrent weights after initialisation. With the "
                             "orthogonal start every singular value of W_hh equals the gain.")
    lr = float(state.select("Learning rate", "lr", {v: v for v in LR}, repr(D["lr"]),
                            help="Large steps turn a big gradient into a big jump."))
    T = state.slider("Sequence length T", "T", 10, 200, D["seq_len"], step=5,
                     help="How many steps the gradient is multiplied through.")
    n_thr = float(state.select("Norm clipping threshold", "nthr", {v: v for v in NTHR},
                               repr(D["norm_threshold"]),
                               help="The longest gradient (all parameters together) allowed; "
                                    "a longer one is rescaled to this length."))
    with layout.more_settings():
        v_thr = float(state.select("Value clipping threshold", "vthr", {v: v for v in VTHR},
                                   repr(D["value_threshold"]), advanced=True,
                                   help="Every single gradient entry is clamped to [-c, c]."))
        act = state.select("Nonlinearity", "act", {"tanh": "tanh", "relu": "ReLU"},
                           D["nonlinearity"], radio=True, advanced=True)
        opt = state.select("Optimiser", "opt", OPTS, D["optimizer"], advanced=True,
                           help="Pascanu et al. studied clipping with plain SGD. Adam rescales "
                                "every step by a running gradient size, which blunts "
                                "explosions.")
        steps = state.slider("Training steps", "steps", 50, 2000, D["steps"], step=50,
                             advanced=True)
        H = state.slider("Hidden size H", "H", 8, 128, D["hidden_size"], step=8, advanced=True)
        init = state.select("Recurrent init", "init",
                            {"orthogonal": "Orthogonal (x gain)",
                             "default": "PyTorch default (x gain)",
                             "xavier": "Xavier (x gain)"}, D["init"], advanced=True)
        seed = state.seed(D["seed"])

params = dict(seq_len=T, hidden_size=H, nonlinearity=act, init=init, gain=gain,
              optimizer=opt, lr=lr, norm_threshold=n_thr, value_threshold=v_thr,
              steps=steps, seed=seed)
est = cost.estimate("lab_clipping.compare", params)
refusal = runner.over_cap(est, f"These settings (four runs of {steps} steps at T = {T}, "
                          f"H = {H})", "Lower the steps, T or H.")
chance = make_task("adding", T).chance
RECIPE = notebook.Recipe(
    exp.compare, params, labs.clipping_loss, lines.lab_lines,
    dict(x="step", y="loss", run="run", x_title=X_TITLE, y_title=Y_TITLE, height=280,
         hrules=[{"y": chance, "label": f"chance (always answer 1): {chance:.3f}",
                  "kind": "ref"}]),
    headline=("unclipped_steps", "norm_final_loss", "value_final_loss"))


def draw_partial(partial: dict) -> None:
    """Drawn while the runs train: the loss of each so far."""
    st.caption("Training live: the loss of each run so far (then the control).")
    layout.draw_chart(lines.lab_lines.uncached(RECIPE.table(partial),
                                                     **{**RECIPE.chart_args, "height": 200}))


with main:
    held = runner.after_prediction("lab1", "lab1", exp.compare, params, draw=draw_partial,
                                   refusal=refusal, run_label="Run all three")
    res = held.result
    complete = (res is not None and held.complete
                and len(res["runs"]) == len(exp.MODES) and res["control"] is not None
                and res["control"]["done"])
    with held.ask:
        shown = layout.prediction(
            FILE, "lab1", f"One {act} RNN (W_hh × **{gain:g}**, {OPTS[opt]} lr {lr:g}, "
            f"T = {T}) trains {steps} steps three ways: no clipping, norm clipping at {n_thr:g}, "
            f"value clipping at {v_thr:g}. Which end with finite weights?", labs.CLIP_OPTIONS,
            correct=labs.clipping_answer(res) if complete else 1,
            why="Without clipping, a large gradient times the learning rate is a large jump. "
                "The jumps enlarge W_hh, the next gradient through it is larger still, and the "
                "growth feeds itself until the loss overflows. Both clipping rules cap the size "
                "of every update, so neither run can take such a jump. The value rule bends "
                "the gradient's direction, but its step is bounded all the same.",
            observed=labs.clipping_observed(res) if complete else None)
    zoom = bool(shown and res and res["runs"]) and state.select(
        "Vertical axis", "view", {"full": "Whole range (log)",
                                  "zoom": "Zoom on the runs that stayed finite"}, "full",
        radio=True, help="The exploding run spans dozens of orders of magnitude and squashes "
                         "the others flat; the zoom shows the finite runs on a linear axis."
    ) == "zoom"
    with held.top:
        if not shown or not res or not res["runs"]:
            held.held_back(shown, X_TITLE, Y_TITLE)
            runstore.unshipped_note("lab1", exp.compare, params)
        else:
            df = RECIPE.table(res)
            dom = labs.zoom_domain(df, "loss", log=False) if zoom else None
            chart = (lines.lab_lines(df, **{**RECIPE.chart_args, "log": False,
                                                  "y_domain": dom,
                                                  "y_title": "loss, MSE (zoomed)"})
                     if dom else RECIPE.chart(df))
            layout.show(chart, df, key="lab1_loss", name="lab1_loss_curves", alt_text=(
                f"Training loss ({'zoomed, linear' if dom else 'log scale'}) of "
                f"{len(res['runs'])} runs from the same seed: "
                + labs.clipping_observed(res)))
            if complete:
                layout.verdict("lab1")
if shown and res and res["runs"]:
    by = {r["mode"]: r for r in res["runs"]}
    with main:
        layout.metric_row([
            (f"{r['label']}: NaN/inf at", f"step {r['first_nonfinite']['step']}",
             f"{r['steps_done']} of {r['config']['steps']} steps trained before the weights "
             "stopped being finite numbers") if r["first_nonfinite"] else
            (f"{r['label']}: final loss", f"{r['final_loss']:.3f}",
             f"mean of the last 20 losses; {100 * r['share_clipped']:.0f}% of steps clipped")
            for r in res["runs"]])
        if complete:
            claims.show(res, params, [c for n, c in CLAIM.items() if n not in SHARE_CLAIMS])
        layout.how_to_read(
            "- One line per run; all three share the starting weights and every batch, so they "
            "start at the same point.\n"
            "- The y-axis is logarithmic because an exploding run's loss climbs by dozens of "
            "orders of magnitude before it overflows; the zoom switches to a linear axis around "
            "the runs that stayed finite.\n"
            "- A **dashed line** marks the step where a run first produced NaN or inf (in the "
            "loss, a gradient or the weights); **crosses** on the top edge are steps whose loss "
            "was NaN/inf. A run stops once its weights are no longer finite, so its line ends.\n"
            "- The dotted line is chance: always answering 1. Staying near it means nothing was "
            "learned; clipping alone does not fix that.")
        layout.cite("Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent "
                    "neural networks, arXiv:1211.5063, Algorithm 1 (norm clipping).")

st.header("Gradient norm before clipping, and how often each rule stepped in")
if not (shown and res and res["runs"]):
    st.caption("The gradient norms, the clipping shares and the summary appear here once you "
               "commit above and the runs have trained.")
else:
    gdf = labs.clipping_grad(res)
    thr = [{"y": by["norm"]["threshold"], "label": f"norm threshold {by['norm']['threshold']:g}",
            "kind": "thr"}] if "norm" in by else []
    c1, c2 = st.columns([1.7, 1], gap="medium")
    with c1:
        layout.show(lines.lab_lines(gdf, "step", "grad_norm", "run", hrules=thr,
                                          x_title=X_TITLE, y_title="gradient norm, pre-clip "
                                          "(log)", height=200, mark_first_bad=False),
                    gdf, key="lab1_gnorm", name="lab1_gradient_norms", alt_text=(
                        "Pre-clip gradient norm per step on a log scale. " + "; ".join(
                            f"{r['label']}: median {r['median_grad_norm']:.3g}, max "
                            f"{r['max_grad_norm']:.3g}" for r in res["runs"]) + "."))
    with c2:
        sdf = labs.clipping_shares(res)
        layout.show(special.clip_share_bars(sdf, height=110), sdf, key="lab1_share",
                    name="lab1_share_clipped", alt_text="Share of steps clipped: " + ", ".join(
                        f"{r['label']} {100 * r['share_clipped']:.0f}%" for r in res["runs"])
                    + ".")
    if complete:
        claims.show(res, params, [CLAIM[n] for n in SHARE_CLAIMS])
    layout.how_to_read(
        "- Left: the length of the whole gradient (all weights together) **as computed**, "
        "before any clipping touched it: clipping changes the update, not this number. Points "
        "above the dotted threshold line are steps where norm clipping rescaled the gradient.\n"
        "- The value threshold is not drawn: it limits each single entry, not the length. A "
        "gradient of length 20 spread evenly over 1,000 entries has entries of about 0.63, so "
        "a value threshold of 1 leaves it untouched.\n"
        "- Right: a step counts as clipped when the rule changed the gradient. A rule that "
        "fires at almost every step acts like a smaller, fixed learning rate; one that never "
        "fires does nothing.")
    with layout.section("Summary table and choosing the threshold"):
        st.dataframe(labs.clipping_summary(res), hide_index=True, width="stretch")
        st.caption("‖g‖ is the gradient norm before clipping; loss is the mean of the last 20 "
                   "finite losses (for a run that blew up, just before the blow-up). The last "
                   "row is the control: no clipping, W_hh frozen at its start (same weights, "
                   "same batches), to show whether the blow-up runs through the recurrent "
                   "weights. It is not drawn on the charts.")
        if "norm" in by and math.isfinite(by["norm"]["median_grad_norm"]):
            med, thr_now = by["norm"]["median_grad_norm"], by["norm"]["threshold"]
            st.markdown(
                f":material/tune: **Choosing the threshold.** The typical (median) gradient "
                f"norm of the norm-clipped run was **{med:.3g}**. Pascanu et al.'s rule of thumb "
                f"puts a good threshold between half and ten times the typical norm: "
                f"**{0.5 * med:.2g} to {10 * med:.2g}** here. Your threshold {thr_now:g} is "
                + ("inside that range." if 0.5 * med <= thr_now <= 10 * med else
                   "outside it: try a value inside and compare."))
    with layout.section("Download the runs (CSV, JSON, a standalone script)"):
        present = [r["label"] for r in res["runs"]]  # a stopped run may have fewer
        if st.session_state.get("lab1_script_run") not in present:
            st.session_state["lab1_script_run"] = (exp.LABELS["norm"] if exp.LABELS["norm"]
                                                   in present else present[0])
        which = st.radio("The script reproduces", present, horizontal=True,
                         key="lab1_script_run")
        run_cfg = next(r for r in res["runs"] if r["label"] == which)["config"]
        export.downloads(
            "lab1", {"loss": labs.clipping_loss(res), "grad_norm": gdf,
                     "summary": labs.clipping_summary(res)},
            script=export.script_text(run_cfg, title=f"Lab 1, {which}"),
            stem="lab1_clipping", script_name=f"lab1_{which.replace(' ', '_')}", meta=params)

st.header("Things to try")
st.markdown(
    "Change one knob from the defaults, predict, run, and read the checked lines under the "
    "chart: they say what this run shows.\n"
    "1. **Learning rate 0.01**: does the unclipped run still blow up? An explosion needs a "
    "big gradient *and* a step size that turns it into a big jump.\n"
    "2. **Optimiser Adam** (More settings, learning rate 0.01): one huge gradient no longer "
    "means one huge step. What happens to the unclipped run?\n"
    "3. **Preset *Longer sequences***: when does the unclipped run blow up now, and does the "
    "control with W_hh frozen survive? Then set the norm threshold to **10** and compare with "
    "the threshold advice under the summary.\n"
    "4. **Preset *Tame***: does anything explode? How often does each rule fire?\n"
    "5. **Another seed** (More settings): the blow-up step moves. The checks under the chart "
    "are tested for seeds 0 to 4.")

with layout.section("Why the unclipped run blows up, and what each rule does"):
    st.markdown(
        "An RNN applies the same recurrent weights at every step, so the backward pass "
        "multiplies the error signal by nearly the same matrix again and again. When that "
        "matrix stretches vectors (here: a gain above 1) the product can grow geometrically with "
        "the sequence length. A gradient step moves the weights by the learning rate times the "
        "gradient; when a step enlarges W_hh, the next gradient through it is larger still, so "
        "the growth feeds itself until the numbers overflow to inf and then NaN. The control "
        "run tells whether the recurrent weights carry it: at the default length the same run "
        "with W_hh frozen stays finite (at T = 60 it does not: sixty steps of the fixed "
        "recurrence are already enough).\n\n"
        "**Norm clipping** (Pascanu et al. 2013) measures the length of the whole gradient "
        "and, if it exceeds the threshold, shrinks it to the threshold: same direction, bounded "
        "step. **Value clipping** clamps every entry separately to [-c, c]: also bounded, but "
        "large entries get cut while small ones keep their size, so the direction changes. "
        "Both stop the blow-up. Neither makes the network learn the task: the clipped runs "
        "still end near the chance line. Clipping only caps a step; it cannot enlarge a signal "
        "that has faded (*vanishing* gradients). Gated cells (Lab 2) and better starts "
        "(section 6) address that.")
layout.ending(FILE, RECIPE)
