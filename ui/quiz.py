"""The end-of-lesson quiz as data, and its scoring. Pure Python: no Streamlit, no torch.

An answer sheet is a mapping ``{question key: chosen option index or None}``. ``score`` grades
it; anything that is not a valid option index counts as unanswered (and so not correct).
Every figure quoted in a question or explanation is in ``../shared/science.md`` or is measured
by a page of this app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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


QUESTIONS: list[Question] = [
    Question(
        "vanish_size", "s1_vanishing.py", "Vanishing gradients",
        "A freshly initialised tanh RNN (PyTorch defaults, H = 32) reads 50 steps, and the loss "
        "sits on the last one. Compared with the gradient ||dL/dh_t|| at the last step, how big "
        "is it at the middle step, t = 25?",
        ("About the same",
         "About ten times smaller",
         "About a hundred thousand times smaller",
         "Larger: it grows on the way back"),
        2,
        "Measured with this app's probe (seed 0): the middle step receives about 1e-5 of the "
        "last step's gradient, and step 0 about 1e-10. Every step back multiplies the error by a "
        "Jacobian that shrinks most directions, so the size falls by a roughly constant factor "
        "per step, and 25 such factors add up to orders of magnitude.",
        terms=("vanishing gradient", "log scale")),
    Question(
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
        "that step. When the early contributions are a billionth of the late ones, the update is "
        "built almost entirely from the last few steps: the link to the distant input is never "
        "learned.",
        terms=("BPTT", "long-term dependency")),
    Question(
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
        "line points to vanishing instead.",
        terms=("exploding gradient", "NaN and inf")),
    Question(
        "jacobian", "s3_why.py", "BPTT and Jacobians",
        "For a tanh RNN, h_t = tanh(W_hh h_{t-1} + W_ih x_t + b), what is the Jacobian "
        "dh_t / dh_{t-1}?",
        ("W_hh", "diag(1 - h_t^2) W_hh", "W_hh^T diag(h_t)", "The identity matrix"),
        1,
        "By the chain rule: the slope of tanh at each unit (1 - tanh^2 = 1 - h_t^2) times the "
        "matrix that fed the previous state in. Backpropagation through time multiplies the error "
        "by one of these per step, so gradients k steps back involve a product of k of them.",
        terms=("Jacobian", "BPTT")),
    Question(
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
        "al., 2013). Above 1 is only necessary for exploding: PyTorch's default tanh RNN has "
        "sigma_max about 1.14 and its gradient still vanishes (section 1).",
        terms=("Pascanu bound", "singular value", "gamma")),
    Question(
        "chance", "s4_effects.py", "Effects on training",
        "A tanh RNN trained on the adding problem with T = 100 ends with a mean squared error "
        "of about 0.167. What has it learned?",
        ("The task, almost perfectly",
         "About half of the task",
         "Essentially nothing: always answering 1 already scores 1/6 = 0.167",
         "It has memorised (overfitted) its training batches"),
        2,
        "The target is the sum of two uniform numbers, whose variance is 1/6. Answering their "
        "average, 1, every time gives exactly that error: the chance line. Measured: at T = 100 "
        "neither a tanh RNN, an LSTM nor an IRNN beat 0.167 within 1500 steps, while at T = 50 "
        "an LSTM reaches 0.003 in 500 steps.",
        terms=("chance baseline", "adding problem")),
    Question(
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
        terms=("norm clipping", "value clipping")),
    Question(
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
        terms=("gradient clipping", "clipping threshold")),
    Question(
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
        terms=("cell state", "forget gate")),
    Question(
        "gates_init", "s5_gated.py", "LSTM and GRU",
        "Adding problem, T = 50, freshly initialised networks (H = 64). The ratio "
        "||dL/dh_0|| / ||dL/dh_49|| is about 2e-12 for a tanh RNN. What is it for a fresh LSTM "
        "with default initialisation?",
        ("Around 1: the gates keep the path open from the start",
         "About 2e-11: just as tiny. The gates help only once trained",
         "About 1e5: a fresh LSTM explodes",
         "Exactly 0"),
        1,
        "At initialisation the forget gates sit near 0.5, so the cell path also shrinks fast. "
        "The difference appears with training (measured, one seed): after 600 Adam steps the "
        "LSTM's ratio is 0.09 (loss 0.002) while the RNN's is 2e-10 (loss 0.19, not learned). "
        "A forget-gate bias of 1 gives a better start (3e-5), but it is training that opens "
        "the path.",
        terms=("gate", "forget-gate bias")),
    Question(
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
        terms=("orthogonal initialisation", "IRNN")),
    Question(
        "norm_verdict", "s6_init_norm.py", "Normalisation",
        "What is the honest verdict on normalisation (layer norm, recurrent batch norm) in RNNs?",
        ("It cures vanishing gradients on its own",
         "It steadies the scale of the hidden state and speeds up training, but does not by "
         "itself cure vanishing gradients",
         "It only matters at test time",
         "It only works with its scale gamma started at 1"),
        1,
        "Normalising keeps pre-activations in a sensible range, which steadies and speeds "
        "training. It does not remove the repeated multiplication that makes gradients fade. "
        "Recurrent batch norm starts gamma at 0.1, because gamma = 1 saturates tanh and makes "
        "gradients vanish (Cooijmans et al., 2016).",
        terms=("layer normalisation", "recurrent batch normalisation")),
]

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
