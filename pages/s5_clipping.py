"""Lesson section 5a: gradient clipping, the cure for exploding gradients."""

import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.experiments import clipping as exp
from core.experiments.exploding import inside_map, near_edge, num
from core.training import estimate_seconds
from ui import charts, charts_cliff, claims, demos, layout, runner, state
from ui.glossary import term

FILE = "s5_clipping.py"
D = exp.compare.defaults
V = exp.vector.defaults
K = exp.cliff_compare.defaults
S = exp.sweep.defaults
CLIPS = {"norm": "Norm clipping (Pascanu Algorithm 1)", "value": "Value clipping (clamp each entry)"}

layout.header(FILE, (
    "Section 2's run came apart because SGD took whatever step the gradient asked for. The "
    f"oldest fix is to cap that step: {term('gradient clipping', 'clip')} the gradient before "
    f"the update, as a whole ({term('norm clipping')}) or entry by entry "
    f"({term('value clipping')}), at a {term('clipping threshold')}; it does nothing for "
    "vanishing gradients."))

# -- 1. the two rules, on one vector ------------------------------------------------------------
st.subheader("Two ways to clip one gradient")
c1, c2, c3 = st.columns([1, 1.5, 1.3], gap="large")
with c1, st.container(border=True):
    st.markdown("**A 2-D gradient and a threshold c**")
    gx = state.slider("component 1", "vx", -5.0, 5.0, V["gx"], step=0.1)
    gy = state.slider("component 2", "vy", -5.0, 5.0, V["gy"], step=0.1)
    vc = state.slider("threshold c", "vc", 0.1, 3.0, V["threshold"], step=0.1)
vparams = {"gx": gx, "gy": gy, "threshold": vc}
vres = demos.run(exp.vector, **vparams)
vdf = charts_cliff.vector_frame(vres)
# science.md's example: a gradient almost along one axis (a pure torch call, instant)
flat = exp.vector(gx=3.0, gy=0.1, threshold=1.0)
with c2:
    layout.show(charts_cliff.vector_plot(vres, height=400), vdf, key="s5_vec",
                name="clipped_vectors", alt_text=(
                    f"Gradient ({gx:g}, {gy:g}) with norm {vres['original']['norm']:.3f}. Norm "
                    f"clipping gives ({vres['norm']['x']:.4f}, {vres['norm']['y']:.4f}), same "
                    f"direction; value clipping gives ({vres['value']['x']:.4f}, "
                    f"{vres['value']['y']:.4f}), turned by {abs(vres['turn_value']):.2f} "
                    "degrees."))
with c3:
    layout.metric_row([
        ("norm clip: turn", f"{abs(vres['turn_norm']):.2f}°", "how far the direction moved"),
        ("value clip: turn", f"{abs(vres['turn_value']):.2f}°", "how far the direction moved"),
    ])
    claims.show(vres, vparams, [exp.value_turns])
    layout.how_to_read(
        "The black arrow is the gradient (the chart zooms in on the threshold, so a long "
        "arrow runs off its edge; the dotted line continues its direction). The dashed "
        "circle holds every vector of length c, the dashed square every vector whose entries "
        "lie in [-c, c]. Both axes use the same scale.\n\n"
        "- **Norm clipping** (blue) shrinks the arrow along its own line until it touches the "
        "circle: same direction, shorter.\n"
        "- **Value clipping** (orange) pushes each coordinate into the square separately: big "
        "entries are cut, small ones kept, so the arrow **turns** towards the diagonal.\n\n"
        f"Here ({gx:g}, {gy:g}) with c = {vc:g}: norm clipping gives "
        f"({vres['norm']['x']:.4f}, {vres['norm']['y']:.4f}), value clipping "
        f"({vres['value']['x']:.4g}, {vres['value']['y']:.4g}), a turn of "
        f"{abs(vres['turn_value']):.1f} degrees. A gradient lying almost along one axis turns "
        f"much less: (3, 0.1) with c = 1 becomes ({flat['value']['x']:g}, "
        f"{flat['value']['y']:g}), a turn of only {abs(flat['turn_value']):.1f} degrees, "
        "because its small entry was already inside the box. Every vector here comes from "
        "torch's own functions.")

st.latex(r"\textbf{Algorithm 1 (Pascanu et al. 2013):}\quad \hat g \leftarrow "
         r"\frac{\partial E}{\partial \theta};\qquad \text{if } \lVert \hat g\rVert \ge c:"
         r"\quad \hat g \leftarrow \frac{c}{\lVert \hat g\rVert}\,\hat g")
layout.explain(
    "- `torch.nn.utils.clip_grad_norm_(params, max_norm)` takes **one** norm over all the "
    "gradients together (as if they were one long vector), scales every gradient in place by "
    "min(max_norm / (total + 1e-6), 1), and **returns the total norm before clipping**: log "
    "that number, it is your best view of how explosive training is. "
    f"Here it returned {vres['returned_by_clip_grad_norm']:.4f} for the vector above.\n"
    "- `torch.nn.utils.clip_grad_value_(params, clip_value)` clamps every entry to "
    "[-clip_value, clip_value] and returns None. It is cheaper and bounds each weight's "
    "change, but the update no longer points where the gradient pointed.\n"
    "- In practice both are used: Karpathy's min-char-rnn clamps values at +-5, PyTorch's "
    "word-language-model example clips the norm at 0.25. Norm clipping is the one with a "
    "theory behind it: it keeps the descent direction and only limits the step.",
    title="What torch does")

# -- 2. the same exploding run, with and without clipping --------------------------------------
st.subheader("The exploding run from section 2, clipped")
controls, main = st.columns([1, 2.6], gap="large")
with controls, st.container(border=True):
    st.markdown("**Clipping and the exploding setup**")
    state.presets({
        "explode_clip": {"label": "Explode, then clip the norm at 1", "clip": "norm",
                         "thr": 1.0, "gain": 2.0, "lr": 0.05, "T": 30},
        "value": {"label": "Same, value clipping at 0.1", "clip": "value", "thr": 0.1,
                  "gain": 2.0, "lr": 0.05, "T": 30},
        "loose": {"label": "Loose threshold: norm 10", "clip": "norm", "thr": 10.0,
                  "gain": 2.0, "lr": 0.05, "T": 30},
        "gain3": {"label": "Harsher: gain 3, T = 60", "clip": "norm", "thr": 1.0,
                  "gain": 3.0, "lr": 0.05, "T": 60},
    })
    clip = state.select("Clipping", "clip", CLIPS, D["clip"])
    thr = state.slider("Threshold c", "thr", 0.05, 20.0, D["threshold"], step=0.05,
                       help="Norm clipping: the largest gradient norm allowed. Value clipping: "
                            "the largest size of any single entry.")
    gain = state.slider("Recurrent gain (x W_hh)", "gain", 0.5, 4.0, D["gain"], step=0.1)
    lr = state.number("Learning rate (SGD)", "lr", 0.001, 1.0, D["lr"], step=0.005,
                      format="%.3f")
    T = state.slider("Sequence length T", "T", 10, 150, D["seq_len"], step=10)
    steps = state.slider("Training steps", "steps", 50, 500, D["steps"], step=50,
                         advanced=True)
    seed = state.seed(D["seed"])

params = dict(clip=clip, threshold=thr, nonlinearity="tanh", gain=gain, seq_len=T,
              hidden_size=D["hidden_size"], optimizer="sgd", lr=lr, steps=steps,
              batch_size=D["batch_size"], seed=seed)
est = 2 * estimate_seconds("rnn", T, D["hidden_size"], steps=steps, batch_size=D["batch_size"])
refusal = runner.over_cap(est, "These two runs", "Fewer steps or a shorter T will run.")


def curves(r: dict) -> pd.DataFrame:
    parts = []
    for key, label in (("none", "no clipping"), ("clipped", f"{r['clip']} clipping, "
                                                            f"c = {r['threshold']:g}")):
        h = r.get(key)
        if h:
            parts.append(pd.DataFrame({"step": h["step"], "loss": h["loss"],
                                       "grad_norm": h["grad_norm"], "run": label}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["step", "loss", "grad_norm", "run"])


def finite(df: pd.DataFrame, col: str) -> pd.DataFrame:
    return df[np.isfinite(pd.to_numeric(df[col], errors="coerce"))]


def draw_live(r: dict) -> None:
    df = finite(curves(r), "loss")
    if len(df):
        st.caption("Training live: the loss of each run so far.")
        st.altair_chart(charts.log_lines(df, "step", "loss", color="run", height=220,
                                         x_title="training step", y_title="loss (log scale)"),
                        width="stretch")


def _observed() -> str | None:
    demo = demos.shipped(exp.compare.key)
    if demo is None:
        return None
    r = demo["result"]
    ev = r["none"]["first_nonfinite"]
    return (f"at seed {D['seed']}, without clipping the loss became non-finite at step "
            f"{ev['step']}" if ev else f"at seed {D['seed']}, without clipping it stayed "
            "finite") + (
        f"; norm-clipped at 1 it trained all {len(r['clipped']['step'])} steps, final loss "
        f"{r['clipped']['final_loss']:.3f} (chance {r['chance']:.3f}), with "
        f"{100 * r['clipped']['share_clipped']:.0f}% of steps clipped.")


with main:
    layout.predict(
        "s5", "Same network, seed and batches as the run that blew up on page 2 (tanh, gain 2, "
        "SGD at 0.05). We add norm clipping at c = 1 and change nothing else. What happens?",
        ["It still ends in NaN, only later", "It trains without blowing up, but the loss "
         "stays near chance (0.167)", "It solves the adding problem",
         "It cannot learn at all: every step is clipped to nothing"],
        correct=1,
        why="Clipping caps each step at learning rate × c, so W_hh can no longer grow by "
            "orders of magnitude (the first phase of section 2's blow-up), and the readout "
            "never reaches the steep, unstable second phase. It does not make a vanilla RNN "
            "remember the marked numbers: that is the vanishing-gradient problem, which "
            "clipping cannot touch (section 5b).",
        observed=_observed())
    run = runner.live("s5", exp.compare, params, draw=draw_live, run_label="Train both",
                      refusal=refusal)
    res = run["result"] if run is not None else None

if res is not None and not (res.get("none") and res.get("clipped")):
    with main:
        st.info("This run was stopped before both trainings finished; press **Train both** "
                "again to see the comparison.", icon=":material/pause_circle:")
elif res is not None:
    none, clp = res["none"], res["clipped"]
    ev = none["first_nonfinite"]
    cdf = curves(res)
    with main:
        st.markdown("**Loss with and without clipping (same start, same batches)**")
        fin = finite(cdf, "loss")
        chart = charts.log_lines(fin, "step", "loss", color="run", x_title="training step",
                                 y_title="loss (log scale)", height=300, floor=1e-12)
        rule_df = pd.DataFrame({"y": [res["chance"]], "label": [f"chance {res['chance']:.3f}"]})
        layers = [chart, alt.Chart(rule_df).mark_rule(strokeDash=[2, 2], color="#555").encode(
            y="y:Q", tooltip=["label:N"])]
        if ev:
            layers.append(charts_cliff.nan_rule(
                ev["step"], f"unclipped run: inf/NaN at step {ev['step']}",
                left=ev["step"] > 0.6 * max(1, len(clp["step"]))))
        layout.show(alt.layer(*layers), cdf, key="s5_loss", name="loss_with_without_clipping",
                    alt_text=(
                        ("Without clipping the loss climbs and turns non-finite at step "
                         f"{ev['step']}. " if ev else "Without clipping the run stays finite. ")
                        + f"With {res['clip']} clipping at {res['threshold']:g} the final loss "
                        f"is {clp['final_loss']:.3g}" + (" and it never blows up." if not
                                                         clp["first_nonfinite"] else
                                                         ", but it still blew up.")))
        layout.metric_row([
            ("unclipped: first non-finite", f"step {ev['step']}" if ev else "never", None),
            ("clipped: final loss", f"{clp['final_loss']:.3g}",
             "mean of the last 20 finite losses"),
            ("steps clipped", f"{100 * clp['share_clipped']:.0f}%",
             "share of steps where the clipper changed the gradient"),
        ])
        if run["status"] in ("shipped", "done"):
            claims.show(res, params, [exp.clipped_stays_finite, exp.w_hh_held,
                                      exp.survives_not_learns])
        layout.how_to_read(
            "Both runs start from the same weights and see the same batches; the only "
            "difference is the clipping. The y-axis is logarithmic. The orange dashed line "
            "marks where the unclipped run produced its first `inf`/`NaN` (its curve stops "
            "there); the grey dotted line is the chance loss (always answer 1). A clipped "
            "curve that hovers near chance has **survived** but not **learned**: clipping "
            "limits the size of a step, it gives the network no memory of the marked numbers "
            "(why a plain RNN struggles with that is sections 1 and 5b).")

        st.markdown("**How big were the gradients the clipper saw?**")
        ref = clp["mean_norm"]
        hchart, hdf = charts_cliff.norm_histogram(
            clp["grad_norm"], thr if clip == "norm" else None, reference=ref)
        layout.show(hchart, hdf, key="s5_hist", name="preclip_norms", alt_text=(
            f"Pre-clip gradient norms of the clipped run: average {ref:.3g}, median "
            f"{clp['median_norm']:.3g}; {100 * clp['share_clipped']:.0f}% of steps clipped."))
        layout.metric_row([
            ("average pre-clip norm", f"{ref:.3g}", "mean over the clipped run's steps"),
            ("Pascanu's range", f"{0.5 * ref:.2g} to {10 * ref:.2g}",
             "half to ten times the average norm"),
            ("your threshold", f"{thr:g}" + ("" if clip == "norm" else " (per entry)"),
             None),
        ])
        inside = 0.5 * ref <= thr <= 10 * ref if math.isfinite(ref) else False
        layout.how_to_read(
            "Bars count training steps by their gradient norm **before** clipping (what "
            "`clip_grad_norm_` returns), on log-spaced bins. The dashed orange line is your "
            "threshold: every step to its right was scaled down. The green band is the rule "
            "of thumb from Pascanu et al.: look at the average norm over many updates (green "
            "dotted line) and pick a threshold between half and ten times it. "
            + (f"Your threshold is **{'inside' if inside else 'outside'}** that band. "
               if clip == "norm" else
               "With value clipping the threshold limits single entries, not the norm, so it "
               "is not drawn on this axis. ")
            + f"The average depends on the run: here the clipped run's was {num(ref)}, while "
            f"the unclipped twin's finite norms averaged {num(none['mean_norm'])}. Measure it "
            "on the run you will actually train, as here.")
        layout.cite("Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent "
                    "neural networks, arXiv:1211.5063, section 3.2 and Algorithm 1.")

# -- 3. does the rule of thumb hold here? ------------------------------------------------------
st.subheader("Does the rule of thumb hold? Final loss against the threshold")
sparams = dict(thresholds=S["thresholds"], nonlinearity="tanh", gain=gain, seq_len=T,
               hidden_size=S["hidden_size"], optimizer="sgd", lr=lr, steps=S["steps"],
               batch_size=S["batch_size"], seed=seed)
sest = len(S["thresholds"]) * estimate_seconds("rnn", T, S["hidden_size"], steps=S["steps"],
                                               batch_size=S["batch_size"])
srefuse = runner.over_cap(sest, f"{len(S['thresholds'])} runs", "A shorter T will run.")
s1, s2 = st.columns([2.6, 1], gap="large")
with s1:
    st.caption(f"Norm clipping at {', '.join(f'{t:g}' for t in S['thresholds'])}, "
               f"{S['steps']} SGD steps each, using the gain, learning rate, T and seed above.")
    srun = runner.live("s5sweep", exp.sweep, sparams, run_label="Run the sweep",
                       refusal=srefuse)
    sres = srun["result"] if srun is not None else None
    if sres is not None and sres["rows"]:
        sdf = pd.DataFrame(sres["rows"])
        sdf["final loss"] = sdf["final_loss"]
        sdf["outcome"] = np.where(sdf["blew_up"], "blew up (NaN)", "finite")
        ref = sres["reference"]
        plot = sdf.copy()
        plot["shown"] = np.where(np.isfinite(plot["final loss"]), plot["final loss"],
                                 np.nan)
        xs = alt.Scale(type="log")
        ys = alt.Scale(type="log")
        layers = []
        if math.isfinite(ref):
            band = pd.DataFrame({"from": [0.5 * ref], "to": [10 * ref],
                                 "label": ["0.5x to 10x the average norm"]})
            layers.append(alt.Chart(band).mark_rect(color="#009E73", opacity=0.15).encode(
                x=alt.X("from:Q", scale=xs), x2="to:Q", tooltip=["label:N"]))
        layers.append(alt.Chart(plot).mark_line(point=alt.OverlayMarkDef(size=80),
                                                color="#0072B2").encode(
            x=alt.X("threshold:Q", scale=xs, title="norm-clipping threshold c (log)"),
            y=alt.Y("shown:Q", scale=ys, title="final loss (log)"),
            tooltip=[alt.Tooltip("threshold:Q"), alt.Tooltip("final loss:Q", format=".3g"),
                     alt.Tooltip("share_clipped:Q", title="share of steps clipped",
                                 format=".0%"), "outcome:N"]))
        blew = plot[plot["blew_up"]]
        if len(blew):
            layers.append(alt.Chart(blew.assign(y=float(np.nanmax(plot["shown"])
                                                        if plot["shown"].notna().any()
                                                        else 1.0))).mark_point(
                shape="cross", size=200, color="#D55E00", strokeWidth=3).encode(
                x=alt.X("threshold:Q", scale=xs), y=alt.Y("y:Q", scale=ys),
                tooltip=["threshold:Q", "outcome:N"]))
        chance = pd.DataFrame({"y": [sres["chance"]],
                               "label": [f"chance {sres['chance']:.3f}"]})
        layers.append(alt.Chart(chance).mark_rule(strokeDash=[2, 2], color="#555").encode(
            y=alt.Y("y:Q", scale=ys), tooltip=["label:N"]))
        layout.show(alt.layer(*layers).properties(height=280), sdf.drop(columns=["final_loss"]),
                    key="s5_sweep", name="threshold_sweep", alt_text="; ".join(
                        f"c = {r['threshold']:g}: "
                        + ("blew up" if r["blew_up"] else f"final loss {r['final_loss']:.3g}")
                        for r in sres["rows"]))
with s2:
    if sres is not None and sres["rows"]:
        ref = sres["reference"]
        band_bad = [r for r in sres["rows"] if math.isfinite(ref)
                    and 0.5 * ref <= r["threshold"] <= 10 * ref
                    and (r["blew_up"] or r["final_loss"] > 2 * sres["chance"])]
        layout.how_to_read(
            "Each point is one full training run with norm clipping at threshold c (log "
            "x-axis); height is its final loss (log). The green band is Pascanu's range, "
            f"computed from the average pre-clip norm of the run closest to c = 1 "
            f"({num(ref)}). The dotted line is chance. Red crosses would mark runs that still "
            "blew up.\n\n"
            + ("Here every threshold inside the band ended within twice the chance loss. "
               if not band_bad else
               "Here threshold" + ("s " if len(band_bad) > 1 else " ")
               + ", ".join(f"{r['threshold']:g}" for r in band_bad)
               + (" lie" if len(band_bad) > 1 else " lies")
               + " inside the band, yet ended above twice the chance loss"
               + (" or blew up" if any(r["blew_up"] for r in band_bad) else "")
               + ": the band's upper end can already be too loose. ")
            + "Treat the range as a place to start, then look at your own curve.")
        if srun["status"] in ("shipped", "done"):
            claims.show(sres, sparams, [exp.smallest_clips_all, exp.tight_survive,
                                        exp.loosest_fails])

# -- 4. the cliff, clipped ---------------------------------------------------------------------
st.subheader("Back to the cliff: the same start, with and without clipping")
k1, k2 = st.columns([1, 2.6], gap="large")
with k1, st.container(border=True):
    st.markdown("**The one-unit RNN of section 2**")
    kc = state.slider("Clipping threshold", "kc", 0.5, 50.0, K["threshold"], step=0.5)
    kk = state.select("Clipping kind", "kk", {"norm": "norm", "value": "value"}, K["clip"])
    klr = state.slider("Learning rate", "klr", 0.005, 0.2, K["lr"], step=0.005, format="%.3f")
    kst = state.slider("Steps", "kst", 10, 300, K["steps"], step=10)
kparams = {**K, "threshold": kc, "clip": kk, "lr": klr, "steps": kst}
kres = demos.run(exp.cliff_compare, **kparams)
with k2:
    paths = {"unclipped": kres["unclipped"], "clipped": kres["clipped"]}
    m1, m2 = st.columns(2, gap="medium")
    for col, name in ((m1, "unclipped"), (m2, "clipped")):
        p = paths[name]
        longest = max(p["step_size"]) if p["step_size"] else 0.0
        worst = max((x for x in p["loss"] if math.isfinite(x)), default=math.nan)
        with col:
            st.markdown(f"**{name.capitalize()}**" + ("" if name == "unclipped" else
                                                      f" ({kk}, c = {kc:g})"))
            layout.show(charts_cliff.cliff_map(kres["surface"], {name: p}, kres["wall"],
                                               height=380, compact=True),
                        charts_cliff.path_table({name: p}), key=f"s5_cliff_{name[0]}",
                        name=f"cliff_{name}", alt_text=(
                            f"{name.capitalize()} path: longest single step {longest:.3g}, "
                            f"largest gradient {max(p['grad_norm'] or [0]):.3g}, worst loss "
                            f"on the way {worst:.3g}, ends at w = {p['w'][-1]:.3g}, "
                            f"b = {p['b'][-1]:.3g}."))
            layout.metric_row([("longest step", f"{longest:.3g}", "distance in (w, b)"),
                               ("largest gradient", f"{max(p['grad_norm'] or [0]):.3g}",
                                "its norm, before any clipping")])
    ldf = charts_cliff.path_table(paths)
    lfin = ldf[np.isfinite(ldf["loss"])]
    un = kres["unclipped"]
    ug = [g if math.isfinite(g) else -1.0 for g in un["grad_norm"]]
    ui_ = max(range(len(ug)), key=ug.__getitem__) if ug else 0
    spike = max((x for x in un["loss"][ui_ + 1:] if math.isfinite(x)), default=math.nan)
    layout.show(charts.log_lines(lfin, "step", "loss", color="path", x_title="descent step",
                                 y_title="loss (log)", height=220,
                                 color_domain=["clipped", "unclipped"]),
                ldf, key="s5_cliff_loss", name="cliff_loss", alt_text=(
                    "Loss along both paths: the unclipped one spikes to "
                    f"{max(lfin[lfin['path'] == 'unclipped']['loss'], default=math.nan):.3g} "
                    "when it is thrown; the clipped one peaks at "
                    f"{max(lfin[lfin['path'] == 'clipped']['loss'], default=math.nan):.3g}."))
    claims.show(kres, kparams, [exp.clipped_meets_less, exp.steps_capped,
                                exp.only_unclipped_lost])
    cg = max(kres["clipped"]["grad_norm"] or [0.0])
    _cap = klr * kc * (math.sqrt(2.0) if kk == "value" else 1.0)
    end_u, end_c = un["loss"][-1], kres["clipped"]["loss"][-1]
    thrown = ui_ + 1 < len(un["w"]) and not inside_map(kres, un["w"][ui_ + 1],
                                                           un["b"][ui_ + 1])
    layout.how_to_read(
        "Same surface, same start (black square), same learning rate; only the clipping "
        "differs. Hover any point for its loss and gradient norm.\n\n"
        "- The orange, unclipped path meets its largest gradient, "
        f"{num(un['grad_norm'][ui_])}, at step {ui_}"
        + (", right at the cliff edge (pink dashes)" if near_edge(kres, un["w"][ui_],
                                                                     un["b"][ui_]) else "")
        + (", and that one update throws it off the map (diamond).\n" if thrown else
           "; that update keeps it on the map.\n")
        + "- The blue, clipped path takes capped steps (at most learning rate × c = "
        f"{num(_cap)}" + (", times √2 for value clipping in 2-D" if kk == "value" else "")
        + "). "
        + (f"On this start it never lands as close to the wall: the largest gradient it meets "
           f"is {num(cg)}. Had it met a bigger one, its step would still have been capped "
           "(raise c to 50 and compare the largest gradients). "
           if exp.clipped_meets_less.holds(kres) else
           f"Here it meets a gradient of {num(cg)} too, but its step stays capped. ")
        + "\n- The small chart below them is the loss along each path (log scale). "
        + (f"The thrown path's loss jumps from {num(un['loss'][ui_])} to as much as "
           f"{num(spike)}"
           + (", then it rolls into another valley off the map (w < 0)" if un["w"][-1] < 0
              else "")
           + f" and ends at a loss of {num(end_u)}, "
           + ("lower than" if end_u < end_c else "no lower than")
           + f" the clipped path's {num(end_c)}. Where it ends depends on where the throw "
           "happened to land, not on what it had learned before it." if thrown else
           f"The unclipped path ends at a loss of {num(end_u)}, the clipped one at "
           f"{num(end_c)}."))
    layout.cite("Pascanu, Mikolov & Bengio (2013), arXiv:1211.5063, Figure 6: the dashed "
                "arrows there are the clipped steps. One-unit model after Doya (1993); start "
                "and learning rate ours.")

layout.code(f"""
import torch
from core.models import build_model
from core.tasks import make_task
from core.training import train

task = make_task("adding", {T})
for clip in ("none", "{clip}"):
    model = build_model("rnn", 2, 64, 1, gain={gain}, seed={seed})   # identical start
    hist = train(model, task, optimizer="sgd", lr={lr}, steps={steps}, seed={seed},
                 clip=clip, clip_threshold={thr})
    print(clip, hist.first_nonfinite, hist.final_loss())

# inside train(), norm clipping is torch's own call, which returns the PRE-clip norm:
#   total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm={thr})
""")
layout.footer(FILE)
