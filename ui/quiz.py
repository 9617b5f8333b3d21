"""The end-of-lesson quiz as data, and its scoring. Pure Python: no Streamlit, no torch.

An answer sheet is a mapping ``{question key: chosen option index or None}``. ``score`` grades
it; anything that is not a valid option index counts as unanswered (and so not correct).

Figures quoted in the questions are either cited (``../shared/science.md``) or read from the
shipped runs of the app's pages (``data/demos/<experiment>.json``, see :func:`shipped`): a
measured number is never typed in, so it cannot go stale. What the keyed answers rely on is
checked: by claims declared beside the experiments (``core.experiments.compare`` and
``lab_clipping``) and by :data:`CHECKS` below, run by ``tests/claims/test_s7_conclusion.py``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.claims import Claim, finite

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demos"


@functools.cache
def shipped(key: str) -> dict | None:
    """``{"params", "result"}`` of experiment ``key``'s shipped run, or None if missing."""
    try:
        return json.loads((DEMO_DIR / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None


def figure(x: Any) -> str:
    """A measured number, rounded for prose: ``3e-12``, ``0.08``, ``0.17``, ``4e+05``."""
    if not finite(x):
        return "not a number"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e3:
        return f"{x:.2g}"
    return f"{x:.0e}".replace("e-0", "e-").replace("e+0", "e+")


def _read(key: str, pick: Callable[[dict, dict], Any]) -> Any:
    """``pick(params, result)`` of a shipped run; None when the run is missing or unreadable
    (the question then leaves that sentence out rather than show a wrong number)."""
    demo = shipped(key)
    if demo is None:
        return None
    try:
        return pick(demo["params"], demo["result"])
    except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):
        return None


@dataclass(frozen=True)
class Question:
    """One multiple-choice question.

    key: stable id (widget key suffix). page: the page file that teaches it (``ui.nav``).
    topic: short label. options: the choices shown. correct: index of the right option.
    why: the explanation shown after grading, in plain words. terms: glossary entries.
    """

    key: str
    page: str
    topic: str
    prompt: str
    options: tuple[str, ...]
    correct: int
    why: str
    terms: tuple[str, ...] = ()  # glossary entries to read next (names ``ui.glossary.find`` knows)


# -- figures from the shipped runs ---------------------------------------------------------------
def _profile(p: dict, r: dict) -> dict:
    n = r["grad_norm"]
    T = len(n)
    return {"T": T, "H": p["hidden_size"], "seed": p["seed"], "mid": n[T // 2] / n[-1],
            "first": r["ratio"], "sigma": r["sigma_max"]}


S1 = _read("vanishing.gradient_profile", _profile)
SHARES = _read("vanishing.weight_update_shares",
               lambda p, r: {"T": p["seq_len"], "seed": p["seed"],
                             "last10": sum(r["share"][-10:])})
GATED = _read("gated.compare_cells", lambda p, r: {**p, "chance": r["chance"], **r["runs"]})
NORM = _read("init_norm.norm_compare", lambda p, r: {**p, "chance": r["chance"], **r["runs"]})
LAB1 = _read("lab_clipping.compare",
             lambda p, r: {**p, **{run["mode"]: run for run in r["runs"]}})
LAB2 = _read("compare.tasks", lambda p, r: {**p, "chance": r["chance"], **r["runs"]})


def _q1() -> Question:
    T, H = (S1["T"], S1["H"]) if S1 else (100, 64)
    seen = (f" Section 1's run (seed {S1['seed']}) measured {figure(S1['mid'])} of the last "
            f"step's gradient at t = {T // 2} and {figure(S1['first'])} at step 0. The exact "
            "figures swing by orders of magnitude from seed to seed; the app's tests check "
            "that the middle step gets less than a millionth for seeds 0 to 4." if S1 else "")
    return Question(
        "vanish_size", "s1_vanishing.py", "Vanishing gradients",
        f"A freshly initialised tanh RNN (PyTorch defaults, H = {H}) reads {T} steps, and the "
        "loss sits on the last one. Compared with the gradient ||dL/dh_t|| at the last step, "
        f"how big is it at the middle step, t = {T // 2}?",
        ("About the same",
         "About half as big",
         "Smaller by many orders of magnitude",
         "Larger: it grows on the way back"),
        2,
        "Every step back multiplies the error by a Jacobian that shrinks most directions, so the "
        f"size falls by a roughly constant factor per step, and {T // 2} such factors compound."
        + seen,
        terms=("vanishing gradient", "log scale"))


def _q2() -> Question:
    seen = (f" In section 1's run (T = {SHARES['T']}, seed {SHARES['seed']}) the last ten "
            f"steps' terms make up {SHARES['last10']:.1%} of the update's total size."
            if SHARES else "")
    return Question(
        "vanish_update", "s1_vanishing.py", "Vanishing gradients",
        "The weights of a plain RNN do get updated while it trains. So why can a vanishing "
        "gradient still stop it from learning that an early input mattered?",
        ("The optimiser skips updates whose gradient is small",
         "The update to W_hh is a sum of one term per step, and the terms from distant steps "
         "are negligible, so the weights only change to fit recent inputs",
         "The hidden state is reset to zero every few steps",
         "Small gradients are turned into NaN by the optimiser"),
        1,
        "dL/dW_hh adds up a contribution from every step, each scaled by how much error reached "
        "that step. When the early contributions are many orders of magnitude smaller than the "
        "late ones, the update is built almost entirely from the last few steps: the link to "
        "the distant input is never learned." + seen,
        terms=("BPTT", "long-term dependency"))


def _q3() -> Question:
    seen = ""
    if LAB1 and LAB1["none"]["first_nonfinite"] is not None:
        seen = (f" Lab 1's shipped run shows it: without clipping, the loss first became "
                f"NaN or inf at step {LAB1['none']['first_nonfinite']['step']}, while the two "
                "clipped runs from the same start finished cleanly (checked for seeds 0 to 4).")
    return Question(
        "explode_sign", "s2_exploding.py", "Exploding gradients",
        "Which of these is the typical sign of exploding gradients in a training log?",
        ("The loss falls smoothly but very slowly",
         "The loss sits exactly on the chance line from the first step on",
         "The gradient norm jumps by orders of magnitude, the loss spikes, and eventually the "
         "loss or the weights become NaN",
         "The hidden state becomes exactly zero"),
        2,
        "One huge gradient makes one huge update, which throws the weights far away: the loss "
        "spikes. Values can then overflow to inf, and inf - inf or 0 x inf gives NaN, after "
        "which every number in the run is NaN. A slow, smooth curve or a plateau on the chance "
        "line points to vanishing instead." + seen,
        terms=("exploding gradient", "NaN and inf"))


def _q5() -> Question:
    seen = (f" PyTorch's default tanh RNN in section 1 (H = {S1['H']}, seed {S1['seed']}) has "
            f"sigma_max = {S1['sigma']:.2f}, above 1, and its gradient still falls to "
            f"{figure(S1['first'])} of its size over {S1['T']} steps." if S1 else "")
    return Question(
        "bound", "s3_why.py", "The Pascanu bound",
        "In a tanh RNN (activation slope at most gamma = 1), what does the largest singular "
        "value sigma_max of W_hh tell you?",
        ("sigma_max < 1 guarantees vanishing gradients, but sigma_max > 1 does not guarantee "
         "exploding ones",
         "sigma_max > 1 guarantees exploding gradients",
         "sigma_max < 1 guarantees exploding gradients",
         "Nothing: only the sequence length matters"),
        0,
        "Each Jacobian can stretch a vector by at most gamma x sigma_max, so below 1 the product "
        "must shrink at least geometrically: a sufficient condition for vanishing (Pascanu et "
        "al., 2013). Above 1 is only necessary for exploding." + seen,
        terms=("Pascanu bound", "singular value", "gamma"))


def _q6() -> Question:
    seen = ""
    if LAB2:
        seen = (f" Lab 2's shipped run (T = {LAB2['seq_len']}, {LAB2['steps']} steps, seed "
                f"{LAB2['seed']}) shows both sides: the tanh RNN ended at "
                f"{LAB2['rnn']['eval_loss']:.3f} on fresh sequences, on the line, while the GRU "
                f"reached {figure(LAB2['gru']['eval_loss'])}. The app's tests check both for "
                "seeds 0 to 4.")
    return Question(
        "chance", "s4_effects.py", "Effects on training",
        "A tanh RNN trained on the adding problem with T = 100 ends with a mean squared error "
        "of about 0.167. What has it learned?",
        ("The task, almost perfectly",
         "About half of the task",
         "Essentially nothing: always answering 1 already scores 1/6 = 0.167",
         "It has memorised (overfitted) its training batches"),
        2,
        "The target is the sum of two uniform numbers, whose variance is 1/6. Answering their "
        "average, 1, every time gives exactly that error: the chance line." + seen,
        terms=("chance baseline", "adding problem"))


def _q10() -> Question:
    T, H = (GATED["seq_len"], GATED["hidden_size"]) if GATED else (50, 32)
    rnn = f" is {figure(GATED['rnn']['ratio_init'])} for a tanh RNN" if GATED else " is tiny " \
        "for a tanh RNN"
    seen = ""
    if GATED:
        g = GATED
        seen = (f" Section 5b's run measured {figure(g['lstm']['ratio_init'])} for the fresh "
                f"LSTM. Training changes that (same run, one seed): after {g['steps']} Adam "
                f"steps the LSTM's ratio is {figure(g['lstm']['ratio_final'])} (loss "
                f"{figure(g['lstm']['final_loss'])}) and the GRU's "
                f"{figure(g['gru']['ratio_final'])} (loss {figure(g['gru']['final_loss'])}), "
                f"while the tanh RNN, trained at its own learning rate, ended at loss "
                f"{g['rnn']['final_loss']:.3f}, next to the chance line "
                f"({g['chance']:.3f}). A forget-gate bias of 1 gives a better start "
                f"({figure(g['lstm_fb1']['ratio_init'])}), but it is training that opens the "
                "path.")
    return Question(
        "gates_init", "s5_gated.py", "LSTM and GRU",
        f"Adding problem, T = {T}, freshly initialised networks (H = {H}). The ratio "
        f"||dL/dh_0|| / ||dL/dh_{T - 1}||{rnn}. What is it for a fresh LSTM with default "
        "initialisation?",
        ("Around 1: the gates keep the path open from the start",
         "Also far below a millionth, like the RNN's: the gates help only once trained",
         "About 1e5: a fresh LSTM explodes",
         "Exactly 0"),
        1,
        "At initialisation the forget gates sit near sigmoid(0) = 0.5, so the cell path shrinks "
        "by about half at every step. Lab 2 checks it for seeds 0 to 4: at T = 50 all three "
        "fresh cells pass back less than a millionth." + seen,
        terms=("gate", "forget-gate bias"))


def _q12() -> Question:
    seen = ""
    if NORM:
        n = NORM
        losses = ", ".join(f"{n[k]['final_loss']:.3f}" for k in ("none", "layer", "batch"))
        seen = (f" Section 6's run shows the difference (tanh RNN, T = {n['seq_len']}, seed "
                f"{n['seed']}): at the start, layer norm let {figure(n['layer']['ratio_init'])} "
                "of the last step's gradient reach step 0, against "
                f"{figure(n['none']['ratio_init'])} without it. Yet after {n['steps']} steps the "
                f"runs without, with layer and with batch norm ended at {losses}, all near "
                f"the chance line ({n['chance']:.3f}). A gradient that reaches the past is not "
                "yet a learned memory.")
    return Question(
        "norm_verdict", "s6_init_norm.py", "Normalisation",
        "What is the honest verdict on normalisation (layer norm, recurrent batch norm) in RNNs?",
        ("It cures vanishing gradients on its own",
         "It steadies the scale of the hidden state and can speed up training, but on its own "
         "it does not make a network learn long-range links",
         "It only matters at test time",
         "It only works with its scale gamma started at 1"),
        1,
        "Normalising keeps pre-activations in a sensible range, which steadies training and, "
        "in published runs, speeds it up (Laurent et al., 2016; Cooijmans et al., 2016)."
        + seen + " Recurrent batch norm starts gamma at 0.1, because gamma = 1 saturates tanh "
        "and makes gradients vanish (Cooijmans et al., 2016).",
        terms=("layer normalisation", "recurrent batch normalisation"))

_JACOBIAN = Question(
    "jacobian", "s3_why.py", "BPTT and Jacobians",
    "For a tanh RNN, h_t = tanh(W_hh h_{t-1} + W_ih x_t + b), what is the Jacobian "
    "dh_t / dh_{t-1}?",
    ("W_hh", "diag(1 - h_t^2) W_hh", "W_hh^T diag(h_t)", "The identity matrix"),
    1,
    "By the chain rule: the slope of tanh at each unit (1 - tanh^2 = 1 - h_t^2) times the "
    "matrix that fed the previous state in. Backpropagation through time multiplies the error "
    "by one of these per step, so gradients k steps back involve a product of k of them.",
    terms=("Jacobian", "BPTT"))

_CLIP_DIRECTION = Question(
    "clip_direction", "s5_clipping.py", "Gradient clipping",
    "A gradient g = (3, 0.1) is clipped with threshold 1. What do value clipping and norm "
    "clipping give?",
    ("Both give (1, 0.1)",
     "Value: (1, 0.1), direction changed. Norm: about (0.9994, 0.0333), direction kept",
     "Value: about (0.9994, 0.0333). Norm: (1, 0.1)",
     "Both give about (0.9994, 0.0333)"),
    1,
    "Value clipping clamps each element into [-1, 1] on its own, so the big component is cut "
    "and the small one is not: the vector turns. Norm clipping divides the whole vector by "
    "its norm (about 3.0017), keeping the direction and setting the length to 1.",
    terms=("norm clipping", "value clipping"))

_CLIP_VANISH = Question(
    "clip_vanish", "s5_clipping.py", "Gradient clipping",
    "Does gradient clipping help against vanishing gradients?",
    ("Yes: it scales small gradients up to the threshold",
     "No: it only shrinks gradients that are above the threshold; a tiny gradient passes "
     "through unchanged",
     "Yes, but only value clipping",
     "Yes, if the threshold is below 0.001"),
    1,
    "Clipping is a cap, not an amplifier. It stops one huge step from wrecking the weights "
    "(exploding gradients) and does nothing for a signal that has already faded. Pascanu et "
    "al. suggest a norm threshold between half and ten times the average gradient norm.",
    terms=("gradient clipping", "clipping threshold"))

_LSTM_PATH = Question(
    "lstm_path", "s5_gated.py", "LSTM and GRU",
    "What lets a trained LSTM carry gradient across many steps?",
    ("Its activations are ReLUs with slope 1",
     "Its cell state is updated by addition, c_t = f * c_{t-1} + i * g, so along that path "
     "each step multiplies the error only by the forget gate, which can stay close to 1",
     "It clips its own gradients inside the cell",
     "It simply has more parameters than a plain RNN of the same size"),
    1,
    "Along the cell path the step-to-step Jacobian is diag(f_t): no weight matrix and no "
    "squashing slope. When the network learns to keep f_t near 1 for the units that hold a "
    "memory, the error passes back almost undiminished.",
    terms=("cell state", "forget gate"))

_ORTHOGONAL = Question(
    "orthogonal", "s6_init_norm.py", "Initialisation",
    "Why start W_hh as an orthogonal matrix (or as the identity, in an IRNN)?",
    ("All its singular values are 1, so at the start the recurrent matrix neither shrinks "
     "nor stretches any direction",
     "It guarantees that gradients never vanish, for the whole of training",
     "It makes the matrix sparse, so training is faster",
     "It sets the spectral radius to 0"),
    0,
    "An orthogonal matrix preserves lengths (Saxe et al., 2013). It is a good start, not a "
    "guarantee: the activation's slope still shrinks the signal and training moves W_hh. "
    "The IRNN (identity start, ReLU) reached 97.0% on pixel MNIST against 35.0% for a tanh "
    "RNN (Le et al., 2015), but needs a small learning rate.",
    terms=("orthogonal initialisation", "IRNN"))


QUESTIONS: list[Question] = [_q1(), _q2(), _q3(), _JACOBIAN, _q5(), _q6(), _CLIP_DIRECTION,
                             _CLIP_VANISH, _LSTM_PATH, _q10(), _ORTHOGONAL, _q12()]


# -- what the keyed answers rely on, checked by tests/claims/test_s7_conclusion.py ----------------
def _below(r: dict, ids: tuple[str, ...], key: str, limit: float) -> bool:
    return all(finite(r["runs"][i][key]) and r["runs"][i][key] < limit for i in ids)


def _profile_ratio(r: dict, t: int | None) -> float:
    n = r["grad_norm"]
    return n[len(n) // 2 if t is None else t] / n[-1]


def _runs_with(r: dict, rid: str, **changes: Any) -> dict:
    return {**r, "runs": {**r["runs"], rid: {**r["runs"][rid], **changes}}}


#: Claims behind the keyed answers that describe other pages' runs. They are not registered
#: in ``core.claims.CLAIMS`` (those pages declare their own); the conclusion page's claim test
#: runs each over its seeds (live) or, with ``seeds=None``, on the shipped run it quotes.
CHECKS: list[Claim] = [
    Claim("vanishing.gradient_profile", "quiz_middle_fades",
          "In a fresh tanh RNN the middle step receives less than a millionth of the last "
          "step's gradient",
          check=lambda r: finite(_profile_ratio(r, None)) and _profile_ratio(r, None) < 1e-6,
          perturb=lambda r: {**r, "grad_norm": [1.0] * len(r["grad_norm"])},
          observed=lambda r: f"middle/last = {_profile_ratio(r, None):.1e}"),
    Claim("vanishing.gradient_profile", "quiz_sigma_above_one_still_vanishes",
          "PyTorch's default W_hh has its largest singular value above 1, and the gradient at "
          "step 0 is still below a millionth of the last step's",
          check=lambda r: r["sigma_max"] > 1 and finite(r["ratio"]) and r["ratio"] < 1e-6,
          perturb=lambda r: {**r, "sigma_max": 0.9},
          observed=lambda r: f"sigma_max = {r['sigma_max']:.3f}, first/last = {r['ratio']:.1e}"),
    Claim("vanishing.weight_update_shares", "quiz_recent_steps_build_update",
          "The last ten steps' terms make up more than 90% of the update to W_hh",
          check=lambda r: sum(r["share"][-10:]) > 0.9,
          perturb=lambda r: {**r, "share": [1 / len(r["share"])] * len(r["share"])},
          observed=lambda r: f"last ten steps: {sum(r['share'][-10:]):.1%}"),
    Claim("gated.compare_cells", "quiz_closed_at_init",
          "Before training, the tanh RNN, the LSTM and the GRU all pass less than a millionth "
          "of the last step's gradient back to step 0",
          check=lambda r: _below(r, ("rnn", "lstm", "gru"), "ratio_init", 1e-6),
          perturb=lambda r: _runs_with(r, "lstm", ratio_init=0.5),
          seeds=None),
    Claim("gated.compare_cells", "quiz_training_opens_gates",
          "After training, the LSTM's and GRU's first/last ratio is above a thousandth and at "
          "least a million times its value at initialisation, and the tanh RNN's loss is above "
          "half of chance",
          check=lambda r: all(
              finite(r["runs"][i]["ratio_final"]) and r["runs"][i]["ratio_final"] > 1e-3
              and r["runs"][i]["ratio_final"] > 1e6 * r["runs"][i]["ratio_init"]
              for i in ("lstm", "gru")) and r["runs"]["rnn"]["final_loss"] > 0.5 * r["chance"],
          perturb=lambda r: _runs_with(r, "gru", ratio_final=r["runs"]["gru"]["ratio_init"]),
          seeds=None),
    Claim("init_norm.norm_compare", "quiz_norm_reaches_back_but_does_not_learn",
          "Layer norm passes more than a thousandth of the last step's gradient to step 0 at "
          "initialisation, yet every run (none, layer, batch norm) ends above half of chance",
          check=lambda r: (finite(r["runs"]["layer"]["ratio_init"])
                           and r["runs"]["layer"]["ratio_init"] > 1e-3
                           and all(r["runs"][k]["final_loss"] > 0.5 * r["chance"]
                                   for k in ("none", "layer", "batch"))),
          perturb=lambda r: _runs_with(r, "layer", final_loss=0.01),
          seeds=None),
]

#: Claims declared beside this app's own experiments that the keyed answers rely on
#: (``"<experiment>.<name>"``, in ``core.claims.CLAIMS`` once the module is imported).
DECLARED = (
    "compare.tasks.rnn_stays_at_chance",
    "compare.tasks.gru_learns",
    "compare.tasks.closed_at_init",
    "lab_clipping.compare.unclipped_blows_up",
    "lab_clipping.compare.clipped_runs_finish",
)


BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}


def choice_index(q: Question, choice: Any) -> int | None:
    """``choice`` as a valid option index of ``q``, or None (unanswered or invalid)."""
    if isinstance(choice, bool) or not isinstance(choice, int):
        return None
    return choice if 0 <= choice < len(q.options) else None


def is_correct(q: Question, choice: Any) -> bool:
    return choice_index(q, choice) == q.correct


@dataclass(frozen=True)
class Score:
    """A graded answer sheet. ``results`` maps each question key to True / False / None
    (None: not answered)."""

    correct: int
    answered: int
    total: int
    results: dict[str, bool | None] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0

    def missed_pages(self) -> list[str]:
        """Page files to revisit (wrong or unanswered questions), in lesson order, no repeats."""
        out: list[str] = []
        for q in QUESTIONS:
            if q.key in self.results and self.results[q.key] is not True and q.page not in out:
                out.append(q.page)
        return out


def score(answers: Mapping[str, Any], questions: list[Question] | None = None) -> Score:
    """Grade ``answers`` (question key -> option index or None) against ``questions``."""
    qs = QUESTIONS if questions is None else questions
    results: dict[str, bool | None] = {}
    for q in qs:
        idx = choice_index(q, answers.get(q.key))
        results[q.key] = None if idx is None else idx == q.correct
    return Score(correct=sum(v is True for v in results.values()),
                 answered=sum(v is not None for v in results.values()),
                 total=len(qs), results=results)


def verdict(s: Score) -> str:
    """One encouraging sentence for a score."""
    if s.total and s.correct == s.total:
        return "Full marks: you can explain both failures and pick the right fix."
    if s.percent >= 75:
        return "Solid. Revisit the pages below for the ones you missed."
    if s.percent >= 40:
        return "A good start. The pages below show each idea with a live model; try them again."
    return ("Worth another pass through the lesson: each page below lets you see the idea "
            "happen, then come back and retake the quiz.")
