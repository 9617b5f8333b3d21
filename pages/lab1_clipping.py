"""Lab 1: a simple RNN with gradient clipping. No clipping vs norm vs value, same seed."""

import math

import numpy as np
import pandas as pd
import streamlit as st

from core import cost
from core.claims import claims_for
from core.experiments import lab_clipping as exp
from ui import charts_labs, export, layout, runner, state
from ui import claims as ui_claims

FILE = "lab1_clipping.py"
D = exp.compare.defaults
CAP_SECONDS = runner.CAP_ESTIMATE
LABELS = [exp.LABELS[m] for m in exp.MODES]
CLAIMS = claims_for(exp.compare.key)
#: Claims shown under the share-clipped bars; the others go under the loss chart.
SHARE_CLAIMS = ("tame_value_fires_norm_rarely", "long_norm_clips_most_steps")

layout.header(FILE, (
    "Train one RNN that is **ready to explode** three times, from the same starting weights "
    "on the same batches: with no protection, with **norm clipping** and with **value "
    "clipping**. Whatever differs between the curves is the clipping's doing (the task is the "
    "adding problem: output the sum of two marked numbers)."))

LR = ["0.001", "0.003", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1.0"]
NTHR = ["0.1", "0.25", "0.5", "1.0", "2.0", "5.0", "10.0"]
VTHR = ["0.01", "0.03", "0.1", "0.3", "1.0", "5.0"]


def _opt(v: float) -> str:
    return repr(float(v))


controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Set up the RNN**")
    state.presets({
        "explode": {"label": "Explodes without clipping (default)", "gain": 2.0, "act": "tanh",
                    "lr": "0.05", "T": 20, "opt": "sgd", "init": "orthogonal"},
        "relu": {"label": "ReLU RNN, gain 1.5", "gain": 1.5, "act": "relu", "lr": "0.01",
                 "T": 20, "opt": "sgd", "init": "orthogonal"},
        "calm": {"label": "Tame: gain 0.9, no blow-up", "gain": 0.9, "act": "tanh",
                 "lr": "0.05", "T": 20, "opt": "sgd", "init": "orthogonal"},
        "long": {"label": "Longer sequences, T = 60", "gain": 2.0, "act": "tanh",
                 "lr": "0.05", "T": 60, "opt": "sgd", "init": "orthogonal"},
    }, default="explode")
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.5, 4.0, D["gain"], step=0.1,
                        help="Multiplies the recurrent weights after initialisation. With the "
                             "orthogonal start every singular value of W_hh equals the gain.")
    act = state.select("Nonlinearity", "act", {"tanh": "tanh", "relu": "ReLU"},
                       D["nonlinearity"], radio=True)
    lr = float(state.select("Learning rate", "lr", {v: v for v in LR}, _opt(D["lr"]),
                            help="Step size of the optimiser. Large steps turn a big gradient "
                                 "into a big jump."))
    T = state.slider("Sequence length T", "T", 10, 200, D["seq_len"], step=5,
                     help="How many steps the gradient is multiplied through.")
    n_thr = float(state.select("Norm clipping threshold", "nthr", {v: v for v in NTHR},
                               _opt(D["norm_threshold"]),
                               help="The longest gradient (all parameters together) allowed; "
                                    "a longer one is rescaled to this length."))
    v_thr = float(state.select("Value clipping threshold", "vthr", {v: v for v in VTHR},
                               _opt(D["value_threshold"]),
                               help="Every single gradient entry is clamped to [-c, c]."))
    steps = state.slider("Training steps", "steps", 50, 2000, D["steps"], step=50,
                         advanced=True)
    H = state.slider("Hidden size H", "H", 8, 128, D["hidden_size"], step=8, advanced=True)
    init = state.select("Recurrent init", "init",
                        {"orthogonal": "Orthogonal (x gain)", "default": "PyTorch default "
                         "(x gain)", "xavier": "Xavier (x gain)"}, D["init"], advanced=True)
    opt = state.select("Optimiser", "opt", {"sgd": "SGD", "momentum": "SGD + momentum 0.9",
                                            "adam": "Adam"}, D["optimizer"], advanced=True,
                       help="Pascanu et al. studied clipping with plain SGD. Adam rescales "
                            "every step by a running gradient size, which blunts explosions.")
    seed = state.seed(D["seed"])

params = dict(seq_len=T, hidden_size=H, nonlinearity=act, init=init, gain=gain,
              optimizer=opt, lr=lr, norm_threshold=n_thr, value_threshold=v_thr,
              steps=steps, seed=seed)
est = cost.estimate("lab_clipping.compare", params)
refusal = runner.over_cap(est, f"These settings (three runs of {steps} steps at T = {T}, "
                          f"H = {H})", "Lower the steps, T or H.")


def summary_row(r: dict) -> dict:
    """One line of the summary table, in words where a number does not apply."""
    fn = r["first_nonfinite"]
    return {
        "run": r["label"],
        "threshold": "none" if r["threshold"] is None else f"{r['threshold']:g}",
        "steps trained": r["steps_done"],
        "first NaN/inf": "never" if fn is None else f"step {fn['step']}",
        "final loss": f"{r['final_loss']:.3g}",  # text: 0.169 and 1.41e+35 both read well
        "share clipped (%)": 100.0 * r["share_clipped"],
        "median grad norm": r["median_grad_norm"],
        "max grad norm": f"{r['max_grad_norm']:.3g}",
    }


def frames(res: dict) -> dict[str, pd.DataFrame]:
    """Tidy tables behind the charts: loss, grad_norm, events, summary (with the control)."""
    loss, gnorm, events, summary = [], [], [], []
    for r in res["runs"]:
        for s, lv, gv, c, nf in zip(r["step"], r["loss"], r["grad_norm"], r["clipped"],
                                    r["nonfinite"]):
            loss.append({"step": s, "loss": lv, "run": r["label"], "nonfinite": nf})
            gnorm.append({"step": s, "grad_norm": gv, "run": r["label"], "clipped": c})
        fn = r["first_nonfinite"]
        if fn is not None:
            events.append({"run": r["label"], "x": fn["step"],
                           "label": f"{r['label']}: NaN/inf at step {fn['step']}"})
        summary.append(summary_row(r))
    if res.get("control") is not None:
        summary.append(summary_row(res["control"]))
    cols_e = ["run", "x", "label"]
    return {"loss": pd.DataFrame(loss), "grad_norm": pd.DataFrame(gnorm),
            "events": pd.DataFrame(events, columns=cols_e), "summary": pd.DataFrame(summary)}


def _survivors(df: pd.DataFrame, col: str, events: pd.DataFrame) -> np.ndarray:
    """Finite values of ``col`` from runs that never blew up (all runs if none survived)."""
    keep = df[~df["run"].isin(set(events["run"]))] if len(events) else df
    if keep.empty:
        keep = df
    v = pd.to_numeric(keep[col], errors="coerce").to_numpy(dtype=float)
    return v[np.isfinite(v) & (v > 0)]


def zoom_domain(df: pd.DataFrame, col: str, events: pd.DataFrame, *, log: bool,
                floor: float = 0.0) -> tuple[float, float] | None:
    """A y range that shows the runs that did not blow up (ignores the exploding one)."""
    v = _survivors(df, col, events)
    if v.size == 0:
        return None
    if log:
        return (float(np.percentile(v, 1)) / 2, float(np.percentile(v, 99)) * 2)
    return (floor, max(float(np.percentile(v, 98)) * 1.15, 2 * floor, 0.3))


def loss_chart(f: dict[str, pd.DataFrame], chance: float, height: int = 320,
               zoom: bool = False):
    dom = zoom_domain(f["loss"], "loss", f["events"], log=False) if zoom else None
    return charts_labs.run_lines(
        f["loss"], "step", "loss", "run", log_y=dom is None, color_domain=LABELS,
        x_title="training step",
        y_title="loss, MSE" + (" (zoomed)" if dom else " (log)"),
        rules={"chance (always answer 1): 1/6": chance}, events=f["events"], height=height,
        y_domain=dom)


def draw_partial(partial: dict) -> None:
    f = frames(partial)
    if len(f["loss"]):
        st.altair_chart(loss_chart(f, partial["chance"], height=260), width="stretch")


with main:
    st.header("Three runs, one seed")
    live = runner.live("lab1", exp.compare, params, draw=draw_partial, refusal=refusal,
                       run_label="Run all three")
    st.caption(f"Estimated training time for these settings: about {est:.1f} s on one CPU "
               f"thread (cap {CAP_SECONDS:.0f} s). Same settings and seed give the same curves.")

res = live["result"] if live else None
with main:
    if res is not None:
        f = frames(res)
        by = {r["mode"]: r for r in res["runs"]}
        survived = [r["label"] for r in res["runs"] if r["first_nonfinite"] is None
                    and r["done"]]
        blown = [r for r in res["runs"] if r["first_nonfinite"] is not None]
        observed = ("every run finished without NaN/inf" if not blown else
                    "; ".join(f"{r['label']} hit NaN/inf at step {r['first_nonfinite']['step']}"
                              for r in blown) +
                    (f"; finished cleanly: {', '.join(survived)}" if survived else ""))
        layout.predict(
            "lab1", "Which runs will still be training at the last step, with finite "
            "weights? (Answer for the default settings.)",
            ["All three", "Only the two clipped runs", "Only norm clipping",
             "None of them: clipping cannot stop an explosion"],
            correct=1,
            why="Without clipping, a large gradient times the learning rate makes a large jump. "
                "The jumps enlarge W_hh, the next gradient through it is larger still, and the "
                "growth feeds itself until the loss overflows. Both clipping rules put a "
                "ceiling on the size of every update, so neither run can take such a jump. "
                "Clipping does not make the task easier to learn, though: it only stops the "
                "blow-up.",
            observed=observed + ".")

        st.markdown("### Training loss")
        zoom = state.select(
            "Vertical axis", "view", {"full": "Whole range (log scale)",
                                      "zoom": "Zoom on the runs that did not blow up"},
            "full", radio=True,
            help="The exploding run spans dozens of orders of magnitude and squashes the "
                 "others flat; the zoom shows the clipped runs' own ups and downs.") == "zoom"
        n_bad = sum(1 for r in res["runs"] for v in r["nonfinite"] if v)
        layout.show(loss_chart(f, res["chance"], zoom=zoom), f["loss"], key="lab1_loss",
                    name="lab1_loss_curves", alt_text=(
                        f"Training loss ({'zoomed, linear' if zoom else 'log scale'}) of "
                        f"{len(res['runs'])} runs from the same seed. "
                        + "; ".join(f"{r['label']}: {r['steps_done']} steps, final loss "
                                    f"{r['final_loss']:.3g}" for r in res["runs"])
                        + f". {n_bad} non-finite loss or gradient values are marked."))
        layout.how_to_read(
            "- One line per run; all three share the starting weights and every batch, so they "
            "start at the same point.\n"
            "- The y-axis is logarithmic because an exploding run's loss climbs by dozens of "
            "orders of magnitude before it overflows. The zoom switches to a linear axis "
            "around the runs that stayed finite.\n"
            "- A **dashed vertical line** marks the step where a run first produced NaN or inf "
            "(in the loss, a gradient or the weights); **red crosses** along the top are steps "
            "whose loss was NaN/inf. A run stops once its weights are no longer finite numbers, "
            "so its line ends there.\n"
            "- The grey dashed line is chance: always answering 1 gives MSE 1/6. Staying near it "
            "means nothing was learned; clipping alone does not fix that (see the note below).")
        complete = (len(res["runs"]) == len(exp.MODES) and all(r["done"] for r in res["runs"])
                    and res.get("control") is not None and res["control"]["done"])
        if complete:
            ui_claims.show(res, params, [c for c in CLAIMS if c.name not in SHARE_CLAIMS])

        st.markdown("### Gradient norm before clipping")
        thr_rules = {}
        if "norm" in by:
            thr_rules[f"norm threshold {by['norm']['threshold']:g}"] = by["norm"]["threshold"]
        gdom = zoom_domain(f["grad_norm"], "grad_norm", f["events"], log=True) if zoom else None
        layout.show(charts_labs.run_lines(
            f["grad_norm"], "step", "grad_norm", "run", log_y=True, color_domain=LABELS,
            x_title="training step", y_title="gradient norm, pre-clip (log)",
            rules=thr_rules, events=f["events"], height=300, y_domain=gdom),
            f["grad_norm"], key="lab1_gnorm", name="lab1_gradient_norms", alt_text=(
                "Pre-clip gradient norm per step on a log scale. "
                + "; ".join(f"{r['label']}: median {r['median_grad_norm']:.3g}, max "
                            f"{r['max_grad_norm']:.3g}" for r in res["runs"]) + "."))
        layout.how_to_read(
            "- This is the length of the whole gradient (all weights together) **as computed**, "
            "before any clipping touched it: clipping changes the update, not this number.\n"
            "- Points above the dashed threshold line are the steps where norm clipping "
            "rescaled the gradient down to the threshold.\n"
            "- The value threshold is not drawn: it limits each single entry, not the length, so "
            "it cannot be compared with this axis. A gradient of length 20 spread evenly over "
            "1,000 entries has entries of about 0.63: a value threshold of 1 leaves it "
            "untouched.\n"
            "- Spikes of several orders of magnitude in one step are the exploding gradient. "
            "Without clipping, a spike times the learning rate is the size of the jump the "
            "weights take.")
        layout.cite("Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent "
                    "neural networks, arXiv:1211.5063, Algorithm 1 (norm clipping).")

        st.markdown("### How often did each rule step in?")
        share = f["summary"][f["summary"]["run"].isin(LABELS)][["run", "share clipped (%)"]]
        layout.show(charts_labs.clip_share_bars(share, color_domain=LABELS, height=160), share,
                    key="lab1_share", name="lab1_share_clipped", alt_text=(
                        "Share of steps clipped: " + ", ".join(
                            f"{r['label']} {100 * r['share_clipped']:.0f}%"
                            for r in res["runs"]) + "."))
        layout.how_to_read(
            "A step counts as clipped when the rule changed the gradient: norm clipping when "
            "the total length was above its threshold; value clipping when at least one entry "
            "was outside [-c, c]. The unclipped run is 0% by definition. A rule that fires at "
            "almost every step acts like a smaller, fixed learning rate; one that never fires "
            "does nothing. Pascanu et al. suggest a threshold between half and ten times the "
            "typical gradient norm (the median in the summary below).")
        if complete:
            ui_claims.show(res, params, [c for c in CLAIMS if c.name in SHARE_CLAIMS])
        st.markdown("### Summary")
        short = {"threshold": "thr.", "steps trained": "steps", "first NaN/inf": "NaN/inf",
                 "final loss": "loss", "max grad norm": "max ‖g‖"}
        st.dataframe(f["summary"], hide_index=True, width="stretch", column_config={
            **{c: st.column_config.Column(label, width="small") for c, label in short.items()},
            "share clipped (%)": st.column_config.NumberColumn("clipped %", format="%.0f",
                                                               width="small"),
            "median grad norm": st.column_config.NumberColumn("median ‖g‖", format="%.3g",
                                                              width="small"),
        })
        st.caption("‖g‖ is the gradient norm before clipping; loss is the mean of the last 20 "
                   "finite losses of a run (for a run that blew up, the mean just before the "
                   "blow-up). The last row is the "
                   "control: no clipping, with W_hh frozen at its start (same weights, same "
                   "batches), to show whether the blow-up runs through the recurrent weights. "
                   "It is not drawn on the charts.")
        if "norm" in by and math.isfinite(by["norm"]["median_grad_norm"]):
            med = by["norm"]["median_grad_norm"]
            thr_now = by["norm"]["threshold"]
            inside = 0.5 * med <= thr_now <= 10 * med
            st.markdown(
                f":material/tune: **Choosing the threshold.** The typical (median) gradient "
                f"norm of the norm-clipped run was **{med:.3g}**. Pascanu et al.'s rule of thumb "
                f"puts a good norm threshold between half and ten times the typical norm: "
                f"**{0.5 * med:.2g} to {10 * med:.2g}** here. Your threshold {thr_now:g} is "
                + ("inside that range." if inside else
                   "outside it: try a value inside and compare."))
        layout.metric_row([
            (f"{r['label']}: NaN/inf at step", str(r["first_nonfinite"]["step"]),
             f"{r['steps_done']} of {r['config']['steps']} steps trained before the weights "
             "stopped being finite numbers")
            if r["first_nonfinite"] else
            (f"{r['label']}: final loss",
             f"{r['final_loss']:.3f}" if math.isfinite(r["final_loss"]) else "none",
             f"{r['steps_done']} of {r['config']['steps']} steps, "
             f"{100 * r['share_clipped']:.0f}% of them clipped")
            for r in res["runs"]])

        present = [r["label"] for r in res["runs"]]  # a stopped run may have fewer
        if st.session_state.get("lab1_script_run") not in present:
            st.session_state["lab1_script_run"] = (exp.LABELS["norm"] if exp.LABELS["norm"]
                                                   in present else present[0])
        which = st.radio("The script reproduces", present, horizontal=True,
                         key="lab1_script_run")
        run_cfg = next(r for r in res["runs"] if r["label"] == which)["config"]
        export.downloads(
            "lab1", {k: v for k, v in f.items() if k != "events"},
            script=export.script_text(run_cfg, title=f"Lab 1, {which}"),
            stem="lab1_clipping", script_name=f"lab1_{which.replace(' ', '_')}", meta=params)

with st.expander("Things to try (each changes one knob from the defaults)", expanded=True,
                 icon=":material/lightbulb:"):
    st.markdown(
        "After each change, read the checked lines under the charts: they say what this run "
        "shows.\n\n"
        "1. **Learning rate 0.01** instead of 0.05: does the unclipped run still blow up? "
        "An explosion needs a big gradient *and* a step size that turns it into a big jump.\n"
        "2. **Optimiser Adam** (advanced, learning rate 0.01): Adam divides each step by a "
        "running average of the gradient's size, so one huge gradient no longer means one huge "
        "step. What happens to the unclipped run?\n"
        "3. **T = 60** (preset *Longer sequences*): when does the unclipped run blow up now, "
        "and does the control with W_hh frozen survive this time? How often does norm "
        "clipping step in, and where does its run end compared with the chance line? Then "
        "set the norm threshold to **10** and compare with the threshold advice under the "
        "summary.\n"
        "4. **Gain 0.9** (preset *Tame*): does anything explode? How often does each rule "
        "fire, and how far apart do the three runs end?\n"
        "5. **Another seed**: the blow-up step moves. The checks under the charts are tested "
        "for seeds 0 to 4.")

layout.explain(
    "An RNN applies the same recurrent weights at every step, so the backward pass multiplies "
    "the error signal by nearly the same matrix again and again. When that matrix stretches "
    "vectors (here: a gain above 1) the product can grow geometrically with the sequence "
    "length. A gradient step moves the weights by the learning rate times the gradient; when "
    "a step enlarges W_hh, the next gradient through it is larger still, so the growth feeds "
    "itself until the numbers overflow to inf and then NaN. The control run tells whether the "
    "recurrent weights carry it: at the default length the same run with W_hh frozen stays "
    "finite (at T = 60 it does not: sixty steps of the fixed recurrence are already enough).\n\n"
    "**Norm clipping** (Pascanu et al. 2013) measures the length of the whole gradient and, "
    "if it exceeds the threshold, shrinks it to the threshold: same direction, bounded step. "
    "**Value clipping** clamps every entry separately to [-c, c]: also bounded, but entries "
    "that were large get cut while small ones keep their size, so the direction changes. "
    "Both stop the blow-up. Neither makes the network learn the task: here the clipped runs "
    "still end near the chance line. Clipping only caps a step; it cannot enlarge a signal "
    "that has faded (*vanishing* gradients). Gated cells (Lab 2) and better starts "
    "(section 6) address that.", title="Why the unclipped run blows up, and what each rule does")

layout.code(f"""
from core.models import build_model
from core.tasks import make_task
from core.training import train

task = make_task("adding", {T})
for clip, thr in [("none", 1.0), ("norm", {n_thr}), ("value", {v_thr})]:
    model = build_model("rnn", 2, {H}, 1, nonlinearity="{act}", init="{init}",
                        gain={gain}, seed={seed})          # the same weights every time
    hist = train(model, task, optimizer="{opt}", lr={lr}, clip=clip, clip_threshold=thr,
                 steps={steps}, seed={seed})                 # the same batches every time
    print(clip, len(hist.records), hist.first_nonfinite, hist.final_loss())
""")
layout.footer(FILE)
