"""Sentences the exploding (2) and clipping (5a) pages build from their runs.

Every number here is read from a result (never typed in); pure functions returning markdown,
no Streamlit, so the pages stay short and the tests can call them.
"""

from __future__ import annotations

import math

import numpy as np

from core.claims import finite
from core.experiments import clipping as clip_exp
from core.experiments import exploding as exp
from core.experiments.exploding import inside_map, near_edge, num

F32_MAX = float(np.finfo(np.float32).max)
#: A loss that grows more than this factor over its first value counts as "climbing".
CLIMB = 1e6
#: The last steps averaged into "the final loss" of a run.
TAIL = 20


def finite_values(xs) -> list[float]:
    return [x for x in xs if finite(x)]


def final_loss(losses) -> float:
    """Mean of the last :data:`TAIL` finite losses (NaN when there are none)."""
    f = finite_values(losses)
    return float(np.mean(f[-TAIL:])) if f else math.nan


def climbed(losses) -> bool:
    """Whether a loss curve grew more than :data:`CLIMB`-fold over its first value."""
    f = finite_values(losses)
    return bool(f) and f[0] > 0 and max(f) > CLIMB * f[0]


# -- section 2: the blow-up ---------------------------------------------------------------------
def blowup_answer(r: dict) -> int:
    """The option of page 2's question this run bears out: 0 learns, 1 stays finite without
    learning, 2 climbs to inf/NaN (3 is the misconception "nothing can blow up": never the
    answer, because a finite run that does not learn is option 1)."""
    if r["first_nonfinite"] is not None or climbed(r["loss"]):
        return 2
    return 0 if final_loss(r["loss"]) < 0.5 * r["chance"] else 1


def blowup_observed(r: dict) -> str:
    """What the run did, in its own numbers."""
    ev, f = r["first_nonfinite"], finite_values(r["loss"])
    fr = r.get("frozen")
    if ev:
        text = (f"the loss went from {num(f[0])} to {num(max(f))} and turned non-finite at "
                f"step {ev['step']} (in the {ev['where']})")
    else:
        text = (f"the loss stayed finite for all {len(r['step'])} steps, from {num(f[0])} to "
                f"{num(final_loss(r['loss']))} at the end (chance {r['chance']:.3f})")
    if fr and fr["step"]:
        fev = fr["first_nonfinite"]
        text += ("; the control with W_hh frozen " + (
            f"blew up too, at step {fev['step']}" if fev else "stayed finite"))
    return text + "."


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
    wfin = finite_values(r["w_norm"])
    end = ph["growth_end"]
    if end is None:
        top = max(wfin) if wfin else math.nan
        text = (f"**No growth phase.** ||W_hh|| went from {num(w0)} to at most {num(top)}: it "
                "never grew a hundred-fold. ")
        if ev:
            return text + (f"The run still produced its first `inf`/`NaN` at step {ev['step']}: "
                           "something other than W_hh's growth took it there.")
        return text + f"The run stayed finite for all {len(r['step'])} steps."
    g = r["grad_norm"][:end + 1]
    gi = int(np.nanargmax(np.where(np.isfinite(g), g, -1.0)))
    span = f"step {end}" if end == 0 else f"steps 0 to {end}"
    text = (f"**Phase 1, {span}: W_hh grows** from {num(w0)} to {num(r['w_norm'][end])}, "
            f"×{num(ph['growth'])}; the gradient norm reaches {num(g[gi])} at step {gi}.\n\n")
    a = ph["after"]
    if a is None:
        text += (f"After step {end} fewer than three finite losses are left: there is no second "
                 "phase to measure. ")
    else:
        lc = a["lr_curvature"]
        text += (f"**Phase 2, steps {a['start']} to {a['end']}: the readout swings.** ||W_hh|| "
                 f"no longer moves, yet the loss changes ×{num(a['loss_factor'])} per step: ")
        if a["predicted_factor"] is None:
            text += (f"{r['optimizer'].capitalize()} does not step by lr × gradient alone, so "
                     "plain SGD's rule for the readout's bowl does not apply. ")
        elif lc > 2:
            text += (f"lr × λ = {num(lc)} is above 2, so every SGD step overshoots the bottom of "
                     "the readout's bowl by more than it started from. ")
        else:
            text += f"lr × λ = {num(lc)} is below 2, so SGD's swings on the readout shrink. "
    if ev and ev["where"] == "loss":
        text += (f"At step {ev['step']} the loss passed float32's largest number "
                 f"({F32_MAX:.1e}) and became `inf`.")
    elif ev:
        text += f"At step {ev['step']} the first `inf`/`NaN` appeared, in the {ev['where']}."
    else:
        text += f"The run stayed finite for all {len(r['step'])} steps."
    return text


def readout_story(r: dict) -> str:
    """The second phase in detail: SGD on the readout's quadratic bowl ('' without one)."""
    a, ev = r["phases"]["after"], r["first_nonfinite"]
    if a is None:
        return ""
    lc = a["lr_curvature"]
    text = ("With the hidden states fixed, the loss is a quadratic bowl in the readout weights. "
            f"Its steepness, the curvature λ, is {num(lc / r['lr'])} in the second phase, so "
            f"lr × λ = {num(lc)}. ")
    if a["predicted_factor"] is not None:
        text += ("One SGD step on such a bowl multiplies the readout's error by (1 − lr × λ), "
                 "so the loss by (1 − lr × λ)² = "
                 f"{num(a['predicted_factor'])} per step; the run measured "
                 f"×{num(a['loss_factor'])}. ")
        text += ("Above 2, each step overshoots the bottom by more than it started from: the "
                 "readout swings from side to side, wider every step. " if lc > 2 else
                 "Below 2 the swings shrink instead of growing. ")
        if not exp.readout_rule.holds(r):
            text += ("The measured factor is not close to that: this run does not follow the "
                     "simple bowl picture. ")
    if ev and ev["where"] == "loss" and ev["step"] >= 1:
        text += (f"The giant numbers on the loss chart are the **loss**: ||readout|| was "
                 f"{num(r['readout_norm'][ev['step'] - 1])} just before it overflowed, and the "
                 "loss grows like its square.")
    return text


WHERE = {"loss": "the loss (the forward pass overflowed)",
         "gradient": "a gradient (the backward pass overflowed)",
         "weights": "the weights (the update itself overflowed)"}


def forensics(r: dict) -> str:
    """Where the first non-finite number appeared and how far the damage went."""
    ev, n, lf = r["first_nonfinite"], len(r["step"]), r["w_last_finite_step"]
    prev = finite_values(r["loss"][:ev["step"]])
    text = (f"At step **{ev['step']}** the first non-finite number appeared in "
            f"**{WHERE[ev['where']]}** (`{ev['tensor']}`)"
            + (f"; one step earlier the loss was {num(prev[-1])}. " if prev else ". "))
    if bool(r["w_norm"]) and not finite(r["w_norm"][-1]):
        text += (f"Training went on until the update of step {n - 1}, the first to leave a "
                 "weight non-finite; "
                 + (f"W_hh was last finite after step {lf}. " if lf >= 0 else
                    "W_hh was never finite after an update. "))
    return text + ("From there every parameter the NaN touches in the next backward pass turns "
                   "NaN too, and nothing can be learned any more.")


def weight_snapshots(r: dict) -> list[tuple[str, list]]:
    """The W_hh maps worth showing: (caption, matrix) at the start, after the last update that
    left W_hh finite and, when the run broke it, at the end."""
    n, lf = len(r["step"]), r["w_last_finite_step"]
    snaps = [("at initialisation", r["w_init"])]
    broke = bool(r["w_norm"]) and not finite(r["w_norm"][-1])
    if lf >= 0:
        snaps.append((f"after step {lf}" + (", the last finite one" if broke else
                                            ", the end of the run"), r["w_last_finite"]))
    if broke:
        snaps.append((f"after step {n - 1}, when the run stopped", r["w_end"]))
    return snaps


def weight_alt(mat: list) -> str:
    a = np.asarray(mat, float)
    bad = int((~np.isfinite(a)).sum())
    if bad:
        return f"{bad} of {a.size} entries are non-finite (NaN or inf)."
    return f"All {a.size} entries finite; the largest |w| is {np.max(np.abs(a)):.3g}."


# -- section 5a: clipping -----------------------------------------------------------------------
def compare_answer(r: dict) -> int:
    """The option of page 5a's question this comparison bears out: 0 still blows up later,
    1 blows up sooner, 2 survives without learning, 3 survives and learns."""
    c, n = r["clipped"], r["none"]
    cev, nev = c["first_nonfinite"], n["first_nonfinite"]
    if cev is not None or climbed(c["loss"]):
        step = cev["step"] if cev else len(c["step"])
        return 1 if nev is not None and step < nev["step"] else 0
    return 3 if c["final_loss"] < 0.5 * r["chance"] else 2


def compare_observed(r: dict) -> str:
    n, c = r["none"], r["clipped"]
    ev, cev = n["first_nonfinite"], c["first_nonfinite"]
    text = (f"without clipping the loss turned non-finite at step {ev['step']}" if ev else
            "without clipping the run stayed finite")
    if cev:
        text += f"; with {r['clip']} clipping at c = {r['threshold']:g} it did too, at step " \
                f"{cev['step']}."
    else:
        text += (f"; with {r['clip']} clipping at c = {r['threshold']:g} it trained all "
                 f"{len(c['step'])} steps and ended at a loss of {c['final_loss']:.3f} "
                 f"(chance {r['chance']:.3f}), with {100 * c['share_clipped']:.0f}% of the steps "
                 "clipped.")
    return text


def histogram_note(clip: str, thr: float, ref: float, none_mean: float) -> str:
    inside = finite(ref) and 0.5 * ref <= thr <= 10 * ref
    return (
        "Bars count training steps by their gradient norm **before** clipping (what "
        "`clip_grad_norm_` returns), on log-spaced bins. The dashed line is your threshold: "
        "every step to its right was scaled down. The green band is the rule of thumb from "
        "Pascanu et al.: look at the average norm over many updates (the dotted line) and pick "
        "a threshold between half and ten times it. "
        + (f"Your threshold is **{'inside' if inside else 'outside'}** that band. "
           if clip == "norm" else
           "With value clipping the threshold limits single entries, not the norm, so it is "
           "not drawn on this axis. ")
        + f"The average depends on the run: here the clipped run's was {num(ref)}, while the "
        f"unclipped twin's finite norms averaged {num(none_mean)}. Measure it on the run you "
        "will actually train, as here.")


def sweep_note(s: dict) -> str:
    ref = s["reference"]
    bad = [r for r in s["rows"] if finite(ref) and 0.5 * ref <= r["threshold"] <= 10 * ref
           and (r["blew_up"] or r["final_loss"] > 2 * s["chance"])]
    return (
        "Each point is one full training run with norm clipping at threshold c (log x-axis); "
        "height is its final loss (log). The green band is Pascanu's range, computed from the "
        f"average pre-clip norm of the run closest to c = 1 ({num(ref)}). The dotted line is "
        "chance. A cross on the top edge would mark a run that still blew up.\n\n"
        + ("Here every threshold inside the band ended within twice the chance loss. "
           if not bad else
           "Here threshold" + ("s " if len(bad) > 1 else " ")
           + ", ".join(f"{r['threshold']:g}" for r in bad)
           + (" lie" if len(bad) > 1 else " lies")
           + " inside the band, yet ended above twice the chance loss"
           + (" or blew up" if any(r["blew_up"] for r in bad) else "")
           + ": the band's upper end can already be too loose. ")
        + "Treat the range as a place to start, then look at your own curve.")


def throw_step(p: dict) -> int:
    g = [v if finite(v) else -1.0 for v in p["grad_norm"]]
    return max(range(len(g)), key=g.__getitem__) if g else 0


def cliff_story(k: dict) -> str:
    """How to read the clipped cliff: what each path met, from this start."""
    un, cl = k["unclipped"], k["clipped"]
    ui = throw_step(un)
    cap = k["lr"] * k["threshold"] * (math.sqrt(2.0) if k["clip"] == "value" else 1.0)
    cg = max(finite_values(cl["grad_norm"]), default=0.0)
    thrown = (ui + 1 < len(un["w"]) and bool(un["grad_norm"])
              and not inside_map(k, un["w"][ui + 1], un["b"][ui + 1]))
    spike = max(finite_values(un["loss"][ui + 1:]), default=math.nan)
    end_u, end_c = un["loss"][-1], cl["loss"][-1]
    edge = bool(un["grad_norm"]) and near_edge(k, un["w"][ui], un["b"][ui])
    text = ("Both paths start at the black square on the same surface with the same learning "
            "rate; only the clipping differs. Click another cell to start there; hover any "
            "point for its loss and gradient norm.\n\n")
    if un["grad_norm"]:
        text += (f"- The vermillion, unclipped path meets its largest gradient, "
                 f"{num(un['grad_norm'][ui])}, at step {ui}"
                 + (", right at the cliff edge (pink dashes)" if edge else "")
                 + (", and that one update throws it off the map (a hollow diamond marks "
                    "where it left).\n" if thrown else "; that update keeps it on the map.\n"))
    text += (f"- The blue, clipped path takes capped steps (at most learning rate × c = "
             f"{num(cap)}" + (", times √2 for value clipping in 2-D" if k["clip"] == "value"
                              else "") + "). "
             + (f"It never lands as close to the wall: the largest gradient it meets is "
                f"{num(cg)}. Had it met a bigger one, its step would still have been capped. "
                if clip_exp.clipped_meets_less.holds(k) else
                f"Here it meets a gradient of {num(cg)} too, but its step stays capped. "))
    if thrown:
        text += (f"\n- The thrown path's loss jumps from {num(un['loss'][ui])} to as much as "
                 f"{num(spike)}" + (", then it rolls into another valley off the map (w < 0)"
                                    if un["w"][-1] < 0 else "")
                 + f" and ends at a loss of {num(end_u)}, "
                 + ("lower than" if end_u < end_c else "no lower than")
                 + f" the clipped path's {num(end_c)}. Where it ends depends on where the throw "
                 "happened to land, not on what it had learned before it.")
    else:
        text += (f"\n- The unclipped path ends at a loss of {num(end_u)}, the clipped one at "
                 f"{num(end_c)}.")
    return text


def pick_start(selection, step: float = 0.05) -> tuple[float, float] | None:
    """The (w, b) a click on the cliff map selected (rounded to ``step``), or None. Accepts
    Streamlit's selection state for a point selection: a list of {"w", "b"} records (or a
    dict of lists)."""
    if not selection:
        return None
    pt = selection[0] if isinstance(selection, (list, tuple)) else selection
    try:
        w, b = pt["w"], pt["b"]
        w, b = (w[0], b[0]) if isinstance(w, (list, tuple)) else (w, b)
        w, b = float(w), float(b)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not (finite(w) and finite(b)):
        return None
    return (round(round(w / step) * step, 4), round(round(b / step) * step, 4))
