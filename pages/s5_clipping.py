"""Lesson section 5a: gradient clipping, the cure for exploding gradients."""

import pandas as pd
import streamlit as st

from core import cost
from core.experiments import clipping as exp
from core.experiments.exploding import num
from core.labels import CLIP_LABELS
from core.tasks import make_task
from ui import annotations, claims, demos, frames, layout, notebook, palette, runner, state
from ui import words_cliff as words
from ui.charts import lines, special
from ui.glossary import term

FILE = "s5_clipping.py"
D = exp.compare.defaults
V = exp.vector.defaults
K = exp.cliff_compare.defaults
S = exp.sweep.defaults
CLIPS = {k: v for k, v in CLIP_LABELS.items() if k != "none"}
COLORS = [palette.PATH_COLORS["unclipped"], palette.PATH_COLORS["clipped"]]
PICK = "s5_cliff_pick"  # the click selection on the cliff map

layout.header(FILE, f"""
    Section 2's run came apart because SGD took whatever step the gradient asked for.
    {term('gradient clipping', 'Clipping')} caps that step before the update: it rescales the
    whole gradient ({term('norm clipping')}) or clamps each entry ({term('value clipping')})
    at a {term('clipping threshold')}.""",
    short="Cap the step: does clipping save the exploding run?")

controls, main = layout.beside()
with controls:
    PRESETS = {
        "explode_clip": {"label": "Clip the norm at 1", "clip": "norm",
                         "thr": 1.0, "gain": 2.0, "lr": 0.05, "T": 30},
        "value": {"label": "Value clipping at 0.1", "clip": "value", "thr": 0.1,
                  "gain": 2.0, "lr": 0.05, "T": 30},
        "loose": {"label": "Loose: norm at 10", "clip": "norm", "thr": 10.0,
                  "gain": 2.0, "lr": 0.05, "T": 30},
        "gain3": {"label": "Harsher: gain 3, T = 60", "clip": "norm", "thr": 1.0,
                  "gain": 3.0, "lr": 0.05, "T": 60},
    }
    state.presets(PRESETS, defaults={"clip": D["clip"], "thr": D["threshold"], "gain": D["gain"],
                                     "lr": D["lr"], "T": D["seq_len"]})
    clip = state.select("Clipping", "clip", CLIPS, D["clip"])
    thr = state.slider("Threshold c", "thr", 0.05, 20.0, D["threshold"], step=0.05,
                       help="Norm clipping: the largest gradient norm allowed. Value clipping: "
                            "the largest size of any single entry.")
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.5, 4.0, D["gain"], step=0.1)
    T = state.slider("Sequence length T", "T", 10, 150, D["seq_len"], step=10)
    with layout.more_settings():
        lr = state.number("Learning rate (SGD)", "lr", 0.001, 1.0, D["lr"], step=0.005,
                          format="%.3f", advanced=True)
        steps = state.slider("Training steps", "steps", 50, 500, D["steps"], step=50,
                             advanced=True)
        seed = state.seed(D["seed"])

params = dict(clip=clip, threshold=thr, nonlinearity="tanh", gain=gain, seq_len=T,
              hidden_size=D["hidden_size"], optimizer="sgd", lr=lr, steps=steps,
              batch_size=D["batch_size"], seed=seed)
est = cost.estimate("clipping.compare", params)
refusal = runner.over_cap(est, "These two runs", "Fewer steps or a shorter T will run.")
chance = make_task("adding", T).chance
RUNS = ["no clipping", f"{clip} clipping, c = {thr:g}"]
OPTIONS = ["It still blows up, only later", "It blows up sooner: clipping bends the gradient",
           "It survives but stalls near chance", "It survives and learns the task"]
X_TITLE, Y_TITLE = "training step", "loss (log scale)"
RECIPE = notebook.Recipe(exp.compare, params, frames.compare_frame, lines.run_lines, dict(
    x="step", y="loss", series="run", order=RUNS, colors=COLORS, x_title=X_TITLE,
    y_title=Y_TITLE, height=280), frame_args={"names": RUNS}, chart_from=annotations.clipping_rules,
    headline=("none.first_nonfinite", "clipped.final_loss", "clipped.share_clipped"))


def draw_live(r: dict) -> None:
    """Drawn while the runs train: the loss of each so far."""
    st.caption("Training live: the loss of each run so far.")
    layout.draw_chart(lines.run_lines.uncached(frames.compare_frame(r, RUNS), "step", "loss", "run",
                                            order=RUNS, colors=COLORS, x_title=X_TITLE,
                                            y_title=Y_TITLE, height=200))


with main:
    held = runner.after_prediction("s5", "s5", exp.compare, params, draw=draw_live,
                                   run_label="Train both", refusal=refusal)
    res = held.result
    both = res is not None and bool(res.get("none")) and bool(res.get("clipped"))
    complete = both and held.complete
    with held.ask:
        shown = layout.prediction(
            FILE, "s5", f"Take the run of section 2 (tanh RNN, gain {gain:g}, SGD at lr "
            f"{lr:g}, T = {T}) and add **{clip} clipping at c = {thr:g}**: same start, same "
            f"batches. What happens in {steps} steps (chance loss {chance:.3f})?", OPTIONS,
            correct=words.compare_answer(res) if complete else 2,
            why="Clipping caps each step at learning rate × c, so W_hh cannot be inflated by "
                "orders of magnitude and the readout never reaches its overshooting phase. It "
                "gives a plain RNN no memory of the marked numbers, though: that is the "
                "vanishing-gradient problem, which clipping cannot touch (section 5b).",
            observed=words.compare_observed(res) if complete else None)
    with held.top:
        if not shown or not both:
            held.held_back(shown, X_TITLE, Y_TITLE)
        else:
            cdf = RECIPE.table(res)
            layout.show(RECIPE.chart(cdf, res), cdf, key="s5_loss",
                        name="loss_with_without_clipping",
                        alt_text="Loss with and without clipping: " + words.compare_observed(res))
            if complete:
                layout.verdict("s5")
if shown and both:
    none, clp = res["none"], res["clipped"]
    ev = none["first_nonfinite"]
    with main:
        layout.metric_row([
            ("unclipped: first inf/NaN", f"step {ev['step']}" if ev else "never", None),
            ("clipped: final loss", f"{clp['final_loss']:.3g}",
             f"mean finite loss over the last 20 steps; chance is {res['chance']:.3f}"),
            ("steps clipped", f"{100 * clp['share_clipped']:.0f}%",
             "share of steps where the clipper changed the gradient"),
        ])
        if complete:
            claims.show(res, params, [exp.clipped_stays_finite, exp.w_hh_held,
                                      exp.survives_not_learns])
        layout.how_to_read(
            "Both runs start from the same weights and see the same batches; only the clipping "
            "differs. The y-axis is logarithmic. The dashed line marks where the unclipped run "
            "produced its first `inf`/`NaN` (crosses on the top edge: losses no longer finite); "
            "the dotted line is the chance loss (always answer 1). A clipped curve that hovers "
            "near chance has **survived** but not **learned**: clipping limits the size of a "
            "step, it gives the network no memory of the marked numbers.")

# -- go deeper ----------------------------------------------------------------------------------
st.header("Two ways to clip one gradient")


@st.fragment
def vector_demo() -> None:
    """The 2-D picture: a pure torch call per slider move, redrawn at once (only this part
    of the page reruns)."""
    c1, c2, c3 = st.columns([1, 1.5, 1.2], gap="medium")
    with c1, st.container(border=True):
        gx = state.slider("gradient, component 1", "vx", -5.0, 5.0, V["gx"], step=0.1)
        gy = state.slider("gradient, component 2", "vy", -5.0, 5.0, V["gy"], step=0.1)
        vc = state.slider("threshold c", "vc", 0.1, 3.0, V["threshold"], step=0.1)
    vparams = {"gx": gx, "gy": gy, "threshold": vc}
    vres = exp.vector(**vparams)  # torch's own clipping on one vector: microseconds
    with c2:
        layout.draw_chart(special.vector_plot(vres, height=220, width=round(  # square on a projector too
            220 * layout.PROJECTOR_HEIGHT) if state.instructor() else 220), (
            f"Gradient ({gx:g}, {gy:g}) with norm {vres['original']['norm']:.3f}. Norm clipping "
            f"gives ({vres['norm']['x']:.4f}, {vres['norm']['y']:.4f}), same direction; value "
            f"clipping gives ({vres['value']['x']:.4f}, {vres['value']['y']:.4f}), turned by "
            f"{abs(vres['turn_value']):.2f} degrees."))
    with c3:
        layout.metric_row([("norm clip: turn", f"{abs(vres['turn_norm']):.2f}°", None),
                           ("value clip: turn", f"{abs(vres['turn_value']):.2f}°", None)])
        claims.show(vres, vparams, [exp.value_turns])
        flat = exp.vector(gx=3.0, gy=0.1, threshold=1.0)
        layout.how_to_read(
            "The black arrow is the gradient (a long one runs off the chart; the dotted line "
            "continues its direction). The dashed circle holds every vector of length c, the "
            "dotted square every vector whose entries lie in [-c, c].\n\n"
            "- **Norm clipping** (blue) shrinks the arrow along its own line until it touches "
            "the circle: same direction, shorter.\n"
            "- **Value clipping** (orange) pushes each coordinate into the square separately: "
            "big entries are cut, small ones kept, so the arrow **turns** (the arc).\n\n"
            f"A gradient almost along one axis turns much less: (3, 0.1) with c = 1 becomes "
            f"({flat['value']['x']:g}, {flat['value']['y']:g}), a turn of only "
            f"{abs(flat['turn_value']):.1f} degrees. Every vector here comes from torch's own "
            "functions.")


vector_demo()
with layout.section("What torch does: clip_grad_norm_ and clip_grad_value_"):
    st.latex(r"\textbf{Algorithm 1 (Pascanu et al. 2013):}\quad \hat g \leftarrow "
             r"\frac{\partial E}{\partial \theta};\qquad \text{if } \lVert \hat g\rVert \ge c:"
             r"\quad \hat g \leftarrow \frac{c}{\lVert \hat g\rVert}\,\hat g")
    st.markdown(
        "- `torch.nn.utils.clip_grad_norm_(params, max_norm)` takes **one** norm over all the "
        "gradients together (as if they were one long vector), scales every gradient in place "
        "by min(max_norm / (total + 1e-6), 1), and **returns the total norm before clipping**: "
        "log that number, it is your best view of how explosive training is.\n"
        "- `torch.nn.utils.clip_grad_value_(params, clip_value)` clamps every entry to "
        "[-clip_value, clip_value] and returns None. It bounds each weight's change, but the "
        "update no longer points where the gradient pointed.\n"
        "- Both are used: Karpathy's min-char-rnn clamps values at ±5, PyTorch's "
        "word-language-model example clips the norm at 0.25. Norm clipping is the one with a "
        "theory behind it: it keeps the descent direction and only limits the step.")

st.header("Which threshold?")
if not (shown and both):
    st.caption("The clipped run's gradient norms and the threshold sweep appear here once you "
               "commit above.")
else:
    ref = clp["mean_norm"]
    sparams = dict(thresholds=S["thresholds"], nonlinearity="tanh", gain=gain, seq_len=T,
                   hidden_size=S["hidden_size"], optimizer="sgd", lr=lr, steps=S["steps"],
                   batch_size=S["batch_size"], seed=seed)
    sest = cost.estimate("clipping.sweep", sparams)
    h1, h2 = st.columns(2, gap="medium")
    with h1:
        st.markdown(f"**The clipped run's gradient norms** (average {num(ref)})")
        layout.draw_chart(special.norm_histogram(frames.norm_bins(clp["grad_norm"]),
                                            thr if clip == "norm" else None, reference=ref,
                                            height=190), (
            f"Pre-clip gradient norms of the clipped run: average {ref:.3g}, median "
            f"{clp['median_norm']:.3g}; {100 * clp['share_clipped']:.0f}% of steps clipped."))
        layout.how_to_read(words.histogram_note(clip, thr, ref, none["mean_norm"]))
        layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063, section 3.2 and "
                    "Algorithm 1.")
    with h2:
        st.markdown(f"**Does the rule of thumb hold?** {len(S['thresholds'])} runs, "
                    f"{S['steps']} SGD steps each, the settings above.")
        sweep_slot = st.container()
    srun = runner.live("s5sweep", exp.sweep, sparams, run_label="Run the sweep",
                       refusal=runner.over_cap(sest, f"{len(S['thresholds'])} runs",
                                               "A shorter T will run."))
    sres = srun["result"] if srun is not None else None
    if sres is not None and sres["rows"]:
        with sweep_slot:
            layout.draw_chart(
                special.sweep_chart(pd.DataFrame(sres["rows"]), reference=sres["reference"],
                               chance=sres["chance"], height=190),
                "; ".join(f"c = {r['threshold']:g}: " + (
                    "blew up" if r["blew_up"] else f"final loss {r['final_loss']:.3g}")
                    for r in sres["rows"]))
            if runner.complete(srun):
                claims.show(sres, sparams, [exp.smallest_clips_all, exp.tight_survive,
                                            exp.loosest_fails])
            layout.how_to_read(words.sweep_note(sres))

if not shown:  # whether the clipped path survives answers the question: after the commit
    layout.locked("section 2's cliff "
                  "again, with a clipped path beside the unclipped one.")
else:
    st.header("Back to the cliff: click where descent starts")
    picked = words.pick_start(st.session_state.get(PICK, {}).get("selection", {}).get(
        special.START_PICK))
    if picked is not None and picked != st.session_state.get("_s5_picked"):
        st.session_state["_s5_picked"] = picked  # a new click: it moves the start sliders
        st.session_state["kw"], st.session_state["kb"] = picked
    k1, k2 = layout.beside(box=False, key="cliff")
    with k1:
        with st.container(border=True):
            kc = state.slider("Clipping threshold", "kc", 0.5, 50.0, K["threshold"], step=0.5)
            kk = state.select("Clipping kind", "kk", {"norm": "norm", "value": "value"}, K["clip"])
            klr = state.slider("Learning rate", "klr", 0.005, 0.2, K["lr"], step=0.005,
                               format="%.3f")
            with st.expander("Start and steps"):
                kw = state.slider("Start: weight w", "kw", 2.0, 12.0, K["w0"], step=0.05)
                kb = state.slider("Start: bias b", "kb", -7.0, 2.0, K["b0"], step=0.05)
                kst = state.slider("Steps", "kst", 10, 300, K["steps"], step=10)
        kparams = {**K, "w0": kw, "b0": kb, "threshold": kc, "clip": kk, "lr": klr, "steps": kst}
        kres = demos.run(exp.cliff_compare, **kparams)  # ~10 ms; cached per start for everyone
        paths = {"unclipped": kres["unclipped"], "clipped": kres["clipped"]}
        for name, p in paths.items():
            st.metric(f"{name}: longest step", num(max(p["step_size"], default=0.0)),
                      help=f"distance in (w, b); largest gradient met: "
                           f"{num(max(words.finite_values(p['grad_norm']), default=0.0))}")
        layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063, Figure 6: the dashed "
                    "arrows there are the clipped steps. One-unit model after Doya (1993); start "
                    "and learning rate ours.")
    with k2:
        layout.draw_chart(special.cliff_map(kres["surface"], paths, kres["wall"], height=270, select=True),
                          f"Loss surface of a one-unit RNN with two descent paths from w = {kw:g}, "
                          f"b = {kb:g}: the unclipped path's longest step is "
                          f"{num(max(paths['unclipped']['step_size'], default=0.0))}, the clipped "
                          f"path's {num(max(paths['clipped']['step_size'], default=0.0))}.",
                          select_key=PICK)
        st.caption(":material/ads_click: Click the surface to start both paths there.")
        claims.show(kres, kparams, [exp.clipped_meets_less, exp.steps_capped,
                                    exp.only_unclipped_lost])
        r1, r2 = st.columns(2, gap="small")
        with r1:
            layout.how_to_read(words.cliff_story(kres))
        with r2, layout.section("Loss along both paths"):
            ldf = frames.path_table(paths)
            layout.show(lines.run_lines(ldf, "step", "loss", "path", order=list(paths), colors=COLORS,
                                     x_title="descent step", y_title="loss (log)", height=180),
                        ldf, key="s5_cliff_loss", name="cliff_paths", alt_text=(
                            f"Loss along both paths: the unclipped one peaks at "
                            f"{num(max(words.finite_values(paths['unclipped']['loss'])))}, the "
                            f"clipped one at {num(max(words.finite_values(paths['clipped']['loss'])))}."))

layout.ending(FILE, RECIPE, show=["clip", "threshold"])
