"""Words of section 4 (``pages/s4_effects.py``): what each task is, and how to read an
exploding run as its checked claims judge it (every number from the result). No Streamlit."""

from __future__ import annotations

import math

from core.claims import claims_for
from core.experiments import effects as exp

#: The checked claims of the exploding run, by name.
_CLAIM = {c.name: c for c in claims_for(exp.exploding_run.key)}

TASK_NOTES = {
    "order": "Temporal order: two marked symbols hide among distractors, the first early on; at "
             "the end the network names the pair, in order (4 classes). Guessing: 25% accuracy, "
             "loss ln 4 = 1.386.",
    "adding": "Adding problem: random numbers in [0, 1], two of them marked, one in each half; "
              "at the end the network outputs their sum. Always answering 1: mean squared "
              "error 1/6 = 0.167.",
    "copy": "Copy memory: 10 symbols, T blanks, a go signal; the network replays the 10 "
            "symbols. Guessing: 1/8 accuracy, loss 10 ln 8 / (T + 20) per step (blanks are "
            "easy).",
    "series": "Time series: a noisy series, one value per step drawn from N(0, 1); at the end "
              "the network outputs the value from T steps back, the very first one, like a "
              "forecast echoing a seasonal pattern. Always answering 0: mean squared error 1.",
}


def exploding_story(eres: dict) -> str:
    """How to read this ``effects.exploding_run`` result, phase by phase, as its checked claims
    judge it (two phases, a NaN without W_hh thrown out first, or no NaN at all)."""
    bad, bad_frozen, lr = eres["first_nonfinite_raw"], eres["first_nonfinite_frozen"], eres["lr"]
    if not _CLAIM["raw_two_phases"].holds(eres):
        if bad is not None:
            return ("In this run the loss turned non-finite without W_hh being thrown out "
                    "first: compare the control to see whether the recurrence is needed for it "
                    "at all. ")
        return ("In this run the unclipped loss stays finite: the gradient through the "
                "recurrence did not grow enough to throw the weights out. A larger gain or "
                "learning rate may change that. ")
    limit = exp.readout_limit_before_nan(eres) if bad else math.nan
    story = ("Read the unclipped run in two phases. First the gradient on W_hh, which travels "
             "back through all the time steps, grows large, and plain SGD steps throw W_hh far "
             "out (the W_hh view). ")
    if _CLAIM["readout_takes_over"].holds(eres):
        story += ("The hidden units are pushed to the ends of tanh's range, which lowers the "
                  "learning rate the readout can take (2/λ, from "
                  f"{eres['readout_lr_limit']:.2g} at the start to {limit:.2g}) below this "
                  f"run's {lr:g}. Then the readout overshoots, further every step, until the "
                  "numbers overflow (the loss view). ")
    else:
        story += "Later the loss overflows. "
    if bad_frozen is None:
        story += ("The control shows the first phase is needed: with W_hh frozen, the same "
                  "start, batches and learning rate stay finite. ")
    return story
