"""Lesson section 5b: LSTM and GRU, and the moment their gates start to matter."""

import pandas as pd
import streamlit as st

from core import cost
from core.claims import claims_for, finite
from core.experiments import gated as exp
from ui import claims, demos, layout, notebook, palette, runner, state
from ui.charts import heatmaps, lines, special

FILE = "s5_gated.py"
D = exp.compare_cells.defaults
ORDER = [label for *_, label in exp.RUNS]
COLOURS = [palette.RUN_COLORS[rid] for rid, *_ in exp.RUNS]
CLAIM = {c.name: c for fn in (exp.fresh_cells, exp.compare_cells) for c in claims_for(fn.key)}
FRESH_CLAIMS = [CLAIM[n] for n in ("fresh_cells_lose_it", "forget_bias_head_start",
                                   "forget_gate_closes_path")]
Y_TITLE = "first/last gradient ratio (log; 1 = nothing lost)"

layout.header(FILE, """
    An LSTM or a GRU adds **gates**, numbers between 0 and 1 that can give the error a road
    back through time without a weight matrix squeezing it at every step. Measure when that
    road is open: in a fresh network, or only once it has been trained?""",
    short="Do gates carry the gradient back before training, or only after?")

controls, main = layout.beside()
with controls:
    PRESETS = {
        "lesson": {"label": f"Lesson default: T = {D['seq_len']}", "T": D["seq_len"],
                   "H": D["hidden_size"], "steps": D["steps"], "lrg": D["lr_gated"],
                   "lrr": D["lr_rnn"]},
        "short": {"label": "Shorter: T = 30, 300 steps", "T": 30, "H": 32, "steps": 300,
                  "lrg": D["lr_gated"], "lrr": D["lr_rnn"]},
        "long": {"label": "Longer: T = 80, 300 steps", "T": 80, "H": 32, "steps": 300,
                 "lrg": D["lr_gated"], "lrr": D["lr_rnn"]},
        "fair_lr": {"label": f"Same learning rate for all ({D['lr_gated']:g})",
                    "T": D["seq_len"], "H": 32, "steps": D["steps"], "lrg": D["lr_gated"],
                    "lrr": D["lr_gated"]},
    }
    state.presets(PRESETS, defaults={"T": D["seq_len"], "H": D["hidden_size"],
                                     "steps": D["steps"], "lrg": D["lr_gated"],
                                     "lrr": D["lr_rnn"]})
    T = state.slider("Sequence length T", "T", 20, 100, D["seq_len"], step=10,
                     help="How far apart the two marked numbers can be.")
    steps = state.slider("Training steps", "steps", 100, 1500, D["steps"], step=50,
                         help="Adam updates per cell, batch 64, norm clipping at 1.")
    # every setting in here is advanced: nothing to show on a projector
    with layout.more_settings():
        H = state.slider("Hidden size H", "H", 16, 128, D["hidden_size"], step=16,
                         advanced=True)
        lr_g = state.number("Learning rate, LSTM and GRU", "lrg", 1e-4, 1e-1, D["lr_gated"],
                            step=1e-3, format="%.4f", advanced=True)
        lr_r = state.number("Learning rate, tanh RNN", "lrr", 1e-4, 1e-1, D["lr_rnn"],
                            step=1e-3, format="%.4f", advanced=True,
                            help="The tanh RNN has its own rate. The preset 'Same learning "
                                 "rate for all' gives it the gated cells' rate.")
        seed = state.seed(D["seed"])
    est = cost.estimate("gated.compare_cells", dict(seq_len=T, hidden_size=H, steps=steps))
    st.caption(f"Training all four cells takes about {est:.0f} s on one CPU thread (more "
               "when the server is busy).")

res = None  # the trained run, once the prediction is committed
params = dict(seq_len=T, hidden_size=H, steps=steps, lr_rnn=lr_r, lr_gated=lr_g, seed=seed)
fparams = dict(seq_len=T, hidden_size=H, seed=seed)
RECIPE = notebook.Recipe(exp.compare_cells, params, exp.moment_table, special.before_after, dict(
    order=ORDER, colours=COLOURS, y_title=Y_TITLE, height=280), before=(notebook.Run(
        "fresh", exp.fresh_cells, fparams, ("runs.lstm.ratio_init",)),), inputs=("fresh", "res"),
    dataframe=True, headline=tuple(f"runs.{k}.ratio_final" for k in ("rnn", "lstm", "gru")))
fresh = RECIPE.run_before(demos.run)["fresh"]  # the untrained cells: milliseconds, every rerun
lstm0 = fresh["runs"]["lstm"]["ratio_init"]
OPTIONS = ["Nearly all of it: the cell state is a highway",
           "Some: between a millionth and a tenth",
           "Almost nothing, as in a tanh RNN: under a millionth"]
answer = 0 if finite(lstm0) and lstm0 >= 0.1 else 1 if finite(lstm0) and lstm0 >= 1e-6 else 2


def main_chart(trained: dict | None, *, cached: bool = True):
    df = RECIPE.table(trained, fresh=fresh)
    build = special.before_after if cached else special.before_after.uncached
    return build(df, **RECIPE.chart_args), df


def draw_partial(partial: dict) -> None:
    with chart_slot.container():
        layout.draw_chart(main_chart(partial, cached=False)[0], "Training in progress.")


with main:
    shown = layout.prediction(
        FILE, "s5b", f"""
            A freshly initialised **LSTM** reads {T} steps and the loss sits on the last one.
            How much of the gradient's size reaches the **first** step?""",
        OPTIONS, correct=answer,
        why="""
            Going back one step along the cell state multiplies the error by that step's
            forget gate, and a fresh forget gate sits near sigmoid(0) = 0.5: over many steps
            those halves compound. Only training can push some forget gates towards 1.""",
        observed="first/last at initialisation: " + ", ".join(
            f"{fresh['runs'][k]['label']} {fresh['runs'][k]['ratio_init']:.0e}"
            for k in ("lstm", "rnn", "gru")) + ".")
    if not shown:
        layout.held_back("cell", Y_TITLE, height=280)
    else:
        chart_slot = st.empty()
        layout.verdict("s5b")
        run = runner.live("s5b", exp.compare_cells, params, draw=draw_partial,
                          refusal=runner.over_cap(est, "These settings",
                                                  "Lower T, H or the steps."),
                          run_label="Train all four")
        res = run["result"] if run else None
        # A stopped or capped run is partial: its numbers are drawn, its claims not judged.
        complete = runner.complete(run)
        chart, mdf = main_chart(res)
        with chart_slot.container():
            layout.show(chart, mdf, key="s5b_moments", name="gradient_ratio_init_vs_trained",
                        alt_text="First/last gradient ratio per cell: " + "; ".join(
                            f"{lab} " + ", ".join(f"{v:.0e} {m}" for m, v in
                                                  zip(g["moment"], g["ratio"]))
                            for lab, g in mdf.groupby("label", sort=False)) + ".")
        if complete:
            layout.metric_row([(f"{res['runs'][k]['label']}, trained",
                                f"{res['runs'][k]['ratio_final']:.0e}",
                                f"first/last gradient ratio after training (at "
                                f"initialisation: {res['runs'][k]['ratio_init']:.0e})")
                               for k in ("rnn", "lstm", "gru")])
            claims.show(res, params, FRESH_CLAIMS + [CLAIM["trained_gates_open"],
                                                     CLAIM["rnn_stays_closed"]])
        else:
            claims.show(fresh, fparams, FRESH_CLAIMS)
            st.caption("The checks on the trained cells appear once all four have trained.")

if shown:
    fb = fresh["runs"]["lstm_fb1"]["ratio_init"]
    layout.how_to_read(
        "Each column is one cell. The hollow circle is how much of the gradient's size "
        f"survives the trip from the last step back to the first ({T - 1} steps) in the fresh "
        "network, the filled circle the same after training; the line joins them. The axis is "
        "logarithmic: 1e-6 means a millionth of the gradient arrives.\n\n"
        f"- The light-blue LSTM starts its forget gates at sigmoid(1) = 0.73 instead of 0.5 "
        f"(forget-gate bias 1): {fb:.0e} instead of {lstm0:.0e} at initialisation. Started "
        f"near 1 instead (bias {fresh['carousel']['forget_bias']:g}, close to the 1997 cell's "
        f"fixed weight of 1), an untrained LSTM passes {fresh['carousel']['ratio_init']:.2g} "
        "(not drawn): the forget gate is what closes the fresh LSTM's path.")
    layout.cite("Measured by this app (adding problem, Adam, norm clipping at 1, batch 64); the "
                "checked statements hold for seeds 0-4 at the defaults. Hochreiter & "
                "Schmidhuber (1997), Neural Computation 9(8); Gers, Schmidhuber & Cummins "
                "(2000), Neural Computation 12(10); Cho et al. (2014), arXiv:1406.1078.")

if shown and res is not None:
    runs = res["runs"]
    done = [k for k in res["order"] if runs[k]["final_loss"] is not None]

    def show_claims(*names: str) -> None:
        if complete:
            claims.show(res, params, [CLAIM[n] for n in names])

    # -- while they learn ------------------------------------------------------------------------
    st.header("While they learn: the path opens as the loss falls")
    hdf = pd.DataFrame(exp.lag_table(res))
    if len(hdf):
        layout.show(heatmaps.facet_heatmap(
            hdf, "training step", "lag", "log10 grad", "cell", facet_order=ORDER,
            y_title="lag (steps back)", value_title="log10 ||dL/dh||", domain=(-16.0, 1.0),
            width=175, height=150, columns=4),
            hdf, key="s5b_heat", name="lag_by_training_step_per_cell", alt_text=(
                "Four heatmaps, lag against training step, lag 0 at the bottom. First/last "
                "ratio at the first and the last probe: " + "; ".join(
                    f"{runs[k]['label']} {runs[k]['ratio_init']:.0e} then "
                    f"{runs[k]['ratio_final']:.0e}" for k in done) + "."))
    ldf = pd.DataFrame(exp.loss_table(res))
    if len(ldf):
        layout.show(lines.loss_lines(
            ldf, "step", "smoothed loss", "cell", order=ORDER, colours=COLOURS,
            chance=res["chance"], x_title="training step",
            y_title=f"MSE (log, {exp.WINDOW}-step mean)", height=150),
            ldf, key="s5b_loss", name="adding_problem_loss", alt_text=(
                f"Training loss per cell; chance is {res['chance']:.3f}. Mean of the last 20 "
                "steps: " + ", ".join(f"{runs[k]['label']} {runs[k]['final_loss']:.3g}"
                                      for k in done) + "."))
    show_claims("path_opens_with_learning", "gru_first")
    solved = ", ".join(f"{runs[k]['label']} at step {runs[k]['solved_step']}" for k in done
                       if runs[k]["solved_step"] is not None) or "none of the cells"
    layout.how_to_read(
        "Top: one heatmap per cell. Columns are moments during training (left: before the "
        "first update), rows are lags, lag 0 (the last step) at the bottom; colour is log10 "
        "of the gradient's size on one shared scale, yellow large, dark purple 1e-16 or less. "
        "Where training opens the gates, the upper rows brighten from left to right.\n\n"
        "Bottom: the same runs' loss on the adding problem (log scale), over the dotted "
        "chance line. A cell that has not found the two marked numbers hovers at chance; one "
        "that finds them drops by orders of magnitude, at the same time as its heatmap "
        f"brightens. Below {exp.SOLVED} (10-step mean) in this run: {solved}.\n\n"
        "One task and one setting do not rank the two gated cells in general: Chung et al. "
        "(2014) found both clearly better than tanh RNNs and could not say which of the two "
        "was better (arXiv:1412.3555). Adding problem as in Le, Jaitly & Hinton (2015).")

    # -- inside the gates ------------------------------------------------------------------------
    st.header("Inside the gates: what training changed")
    available = [c for c in ("lstm", "gru") if "trained" in res.get("gates", {}).get(c, {})]
    if not available:
        st.info("The gates are traced once the LSTM has finished training.")
    else:
        view = state.select("Cell to look inside", "gview",
                            {"lstm": "LSTM: forget gate f", "gru": "GRU: update gate z"},
                            "lstm", radio=True)
        view = view if view in available else available[0]
        k = exp.keep_stats(res, view)
        keep, n_keep, units = k["keep"], k["n_keep"], k["units"]
        markers = res["example"]["markers"]
        gdf = pd.DataFrame(exp.gate_heat_table(res, view))
        gl = pd.DataFrame(exp.gate_line_table(res, view))
        c1, c2 = st.columns([1, 1.15], gap="medium")
        with c1:
            layout.show(heatmaps.facet_heatmap(
                gdf, "t", "unit (sorted)", "gate", "moment",
                facet_order=["at initialisation", "after training"], x_title="time step t",
                y_title="unit (sorted)", value_title=f"gate {keep}", domain=(0.0, 1.0),
                width=150, height=190, columns=2, scheme="cividis", legend_orient="bottom"),
                gdf, key="s5b_gates", name=f"{view}_{keep}_gate_per_unit", alt_text=(
                    f"Per-unit {keep} gate on one adding-problem sequence: between "
                    f"{k['init_min']:.2f} and {k['init_max']:.2f} at initialisation; after "
                    f"training {n_keep} of {units} units hold it above 0.9 on average "
                    f"(highest {k['top']:.2f})."))
        with c2:
            layout.show(lines.gate_lines(
                gl, "t", "gate value", "series", markers=markers,
                order=list(dict.fromkeys(gl["series"])), x_title="time step t",
                y_title="gate activation", height=190),
                gl, key="s5b_gate_lines", name=f"{view}_gates_over_time", alt_text=(
                    f"Gate activations over time: the most persistent unit's {keep} gate "
                    f"averages {k['top']:.2f} after training; over all units the {keep} gate "
                    f"averages {k['mean_after']:.2f}, against {k['mean_before']:.2f} before."))
        layout.metric_row([
            (f"units with mean {keep} > 0.9", f"{n_keep} of {units}",
             "after training, on this sequence"),
            (f"{keep}^{T} for the most persistent unit", f"{k['top'] ** T:.2g}",
             f"vs 0.5^{T} = {0.5 ** T:.1g} at a half-open gate"),
        ])
        show_claims("gates_start_half_open", "few_units_keep")
        kept = (f"After training {n_keep} of {units} rows {'is' if n_keep == 1 else 'are'} "
                "bright on average (gate above 0.9): those units learned to keep what they "
                "hold, which is the open path the gradient needs." if n_keep else
                "After training no row is bright on average: in this run no unit learned to "
                "hold its memory.")
        trend = ("fell" if k["mean_after"] < k["mean_before"] else "rose")
        layout.how_to_read(
            f"One adding-problem sequence, its marked numbers at t = "
            f"{', '.join(map(str, markers))}. Left: each row is a hidden unit (the first "
            f"{units}, the most persistent at the top), colour the "
            + ("forget gate f, the share of the old cell state kept at each step"
               if view == "lstm" else
               "update gate z, the share of the old hidden state copied forward")
            + f", from 0 (dark) to 1 (yellow). At initialisation every gate is between "
            f"{k['init_min']:.2f} and {k['init_max']:.2f}: memory roughly halves at every "
            f"step. {kept}\n\nRight: the same sequence as lines, after training (and the mean "
            f"{keep} gate before training, for comparison). Averaged over units the "
            f"{keep} gate {trend} from {k['mean_before']:.2f} to {k['mean_after']:.2f}: "
            "averages hide the few units that carry the first number to the end, and the "
            "error back along the same road.")

# -- go deeper -------------------------------------------------------------------------------
with layout.section("The two cells in equations"):
    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.markdown("**LSTM** as used today (Hochreiter & Schmidhuber 1997, with the forget "
                    "gate of Gers, Schmidhuber & Cummins 2000)")
        st.latex(r"""\begin{aligned}
i_t &= \sigma(W_{i} x_t + U_{i} h_{t-1} + b_i) &&\text{input gate}\\
f_t &= \sigma(W_{f} x_t + U_{f} h_{t-1} + b_f) &&\text{forget gate}\\
o_t &= \sigma(W_{o} x_t + U_{o} h_{t-1} + b_o) &&\text{output gate}\\
g_t &= \tanh(W_{g} x_t + U_{g} h_{t-1} + b_g) &&\text{candidate}\\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t &&\text{cell state}\\
h_t &= o_t \odot \tanh(c_t)
\end{aligned}""")
        st.markdown(
            "The old memory c_{t-1} is **multiplied by the forget gate and then added to**, "
            "not pushed through a weight matrix and a tanh. Going backwards, the direct route "
            "from c_t to c_{t-1} scales the error by f_t alone: a unit that holds f_t near 1 "
            "passes it almost untouched.\n\nThe 1997 LSTM had **no forget gate**: its cell "
            "kept c_{t-1} with a fixed weight of 1, the *constant error carousel*. The forget "
            "gate (2000) made that weight learnable, and a learnable weight starts wherever "
            "the initialisation puts it.")
    with c2:
        st.markdown("**GRU** (Cho et al. 2014)")
        st.latex(r"""\begin{aligned}
r_t &= \sigma(W_{r} x_t + U_{r} h_{t-1} + b_r)\\
z_t &= \sigma(W_{z} x_t + U_{z} h_{t-1} + b_z)\\
n_t &= \tanh(W_{n} x_t + r_t \odot (U_{n} h_{t-1}) + b_n)\\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}""")
        st.markdown(
            "r is the reset gate, z the update gate, n the candidate. There is no separate "
            "cell state: z_t blends the old state with the candidate (as in PyTorch, z_t near "
            "1 means *keep the old h*). The term z_t h_{t-1} is the same kind of additive "
            "shortcut: a unit that keeps z_t near 1 copies its value forward and the error "
            "backwards.")

if not shown:  # the reason is the answer: held back until the learner commits
    layout.locked("the cells train, "
                  "what changes inside their gates, and why.")
else:
    with layout.section("Why a fresh gate keeps the path closed"):
        st.markdown(
            "A plain RNN has one road from h_{t-1} to h_t: through W_hh and tanh', which shrink "
            "the signal at almost every step (section 3). A gated cell adds a second road that "
            "is only an element-wise product with a gate. Nothing forces that gate to be near 1: "
            "with small random weights every gate starts near sigmoid(0) = 0.5, and 0.5 "
            f"multiplied {T - 1} times is {0.5 ** (T - 1):.0e}. The shortcut exists, but the "
            "forget gate (the update gate in a GRU) keeps it closed.\n\n"
            "Training opens it where it pays: once the loss depends on a distant input, gradient "
            "descent pushes some units' forget gates towards 1, the product of gates along the "
            "path stays near 1, and the error reaches the distant input. The tanh RNN has no such "
            "road. A forget-gate bias of 1 starts the gate at 0.73 instead of 0.5: a head start, "
            "not a cure.")

layout.ending(FILE, RECIPE, show=())
