"""Lab 2's words: task descriptions, the predictions and their answers (computed from the run),
and the longer explanations, kept out of the page script. No Streamlit here.

Every number in these sentences is read from the run's result or is exact (a chance level).
"""

from __future__ import annotations

import math

from core.claims import finite
from core.labels import cell_name

CELLS = ("rnn", "lstm", "gru")
PARTS = {"tasks": "Synthetic tasks", "brackets": "Bracket language",
         "text": "English text"}
TASKS = {"adding": "Adding problem", "copy": "Copy memory", "order": "Temporal order",
         "series": "Time series: the value T steps back"}
TASK_HELP = {
    "adding": "T numbers, two of them marked: at the end, answer the sum of the marked two.",
    "copy": "Ten symbols, a delay of T steps, then a signal: write the ten symbols back.",
    "order": "Two symbols (X or Y) hidden among T distractors: answer which came, in order.",
    "series": "A noisy series: at the end, answer its value T steps back. Nothing in between "
              "helps.",
}
BRACKET_HELP = ("Filler letters, one opening bracket `( [ { <`, a marker `|`, then the "
                "matching closing bracket, up to k steps after its opener.")
TEXT_HELP = "Python's own help pages: predict every next character."
CHANCE = {"adding": "an MSE of 1/6 (always answering 1)",
          "copy": "the loss of guessing the 10 symbols (10 ln 8 / (T + 20) per step)",
          "order": "ln 4 = 1.386 nats (guessing one of four classes)",
          "series": "an MSE of 1 (always answering 0, the series' mean)"}
LR = {"0.001": "0.001", "0.003": "0.003", "0.01": "0.01", "0.03": "0.03"}


def _eval(res: dict, cell: str) -> float:
    r = res["runs"].get(cell) or {}
    v = r.get("eval_loss")
    return math.nan if v is None else v


# -- synthetic tasks --------------------------------------------------------------------------
TASK_OPTIONS = ["Far below chance, like the gated cells",
                "Near chance; a gated cell drops far below",
                "It blows up to NaN",
                "Near chance, as do both gated cells"]
TASK_WHY = (
    "The tanh RNN's error signal shrinks by a roughly constant factor at every step back, so "
    "almost nothing reaches inputs dozens of steps away: it settles on the chance answer. A "
    "gated cell can learn to open a path on which each step scales the signal by a gate value "
    "near 1 (the heatmaps below show it opening).")


def task_question(task: str, T: int, steps: int) -> str:
    return (f"Same batches for all three: where does the **tanh RNN**'s loss end on the "
            f"**{TASKS[task].lower()}**, T = {T}, after {steps} steps?")


def task_answer(res: dict) -> int:
    """The option this run shows (half of chance is the line between learned and not)."""
    half = 0.5 * res["chance"]
    if not finite(_eval(res, "rnn")):
        return 2
    if _eval(res, "rnn") < half:
        return 0
    gated = any(finite(_eval(res, c)) and _eval(res, c) < half for c in ("lstm", "gru"))
    return 1 if gated else 3


def task_observed(res: dict) -> str:
    return ("loss on fresh sequences: " + ", ".join(
        f"{cell_name(c)} {_eval(res, c):.3g}" for c in res["runs"]
        if res["runs"][c].get("eval_loss") is not None) + f" (chance {res['chance']:.3g}).")


def lstm_note(res: dict, at_defaults: bool) -> str | None:
    """What the LSTM did on the adding problem, whose outcome depends on the seed at the
    defaults (tests/claims/test_lab2_compare.py checks that it does)."""
    e = _eval(res, "lstm")
    if res["task"] != "adding" or not finite(e):
        return None
    if e < 0.5 * res["chance"]:
        return (f"The LSTM found it too in this run: {e:.2g} on fresh sequences, below half "
                "of chance.")
    return (f"The LSTM has not found it in this run: {e:.3g} on fresh sequences, above half "
            "of chance." + (" At these settings whether it gets there within the step budget "
                            "depends on the seed: try another seed, or more steps, and compare."
                            if at_defaults else ""))


SERIES_NOTE = (
    "On this task the ranking is not the adding problem's. In the app's tests at the preset's "
    "settings (lag 20, H = 32, 500 steps, learning rate 0.01, seeds 0 to 4) the LSTM never "
    "left the chance line, while the tanh RNN got below half of it in most seeds. Gates make "
    "long memories possible; they do not make every task easier.")


def task_how_to_read(task: str) -> str:
    return ("- x is the training step, y the loss on each step's batch (log scale, averaged "
            "over a short window). All three cells saw exactly the same batches.\n"
            f"- The dotted line is chance: {CHANCE[task]}. A curve on it has learned nothing "
            "about the far-back inputs; a curve far below it has.\n"
            "- A red cross at the bottom would mark a step whose loss was NaN or infinite.")


def final_rows(res: dict) -> list[dict]:
    """The tasks' final numbers, one row per cell, as text (no empty cells)."""
    rows = []
    for c, r in res["runs"].items():
        ev = r.get("eval_loss")
        row = {"cell": cell_name(c), "status": r["status"],
               "train loss (last 20)": f"{r['final_loss']:.3g}",
               "fresh-sequence loss": "—" if ev is None else f"{ev:.3g}",
               "below half of chance": "—" if ev is None else
               ("yes" if finite(ev) and ev < 0.5 * res["chance"] else "no")}
        if res["chance_accuracy"] is not None:
            acc = r.get("eval_accuracy")
            row["fresh accuracy"] = "—" if acc is None else f"{acc:.0%}"
        row["first NaN/inf"] = ("never" if r["first_nonfinite"] is None
                                else f"step {r['first_nonfinite']}")
        rows.append(row)
    return rows


# -- the bracket language ---------------------------------------------------------------------
BRACKET_QUESTION = ("Before a model has learned to remember the opening bracket, how often "
                    "will it still predict the closing bracket right?")
BRACKET_OPTIONS = ["Never (0 %)", "About a quarter of the time", "About half of the time",
                   "Always: the marker gives it away"]
BRACKET_WHY = (
    "After the marker the next character is surely a closing bracket, but which of the four "
    "depends on the opening bracket alone. Without memory the best a model can do is pick one "
    "of four: 25 %, the dotted line. (At the very first check an untrained model can be far "
    "below it: it has not yet learned that a closing bracket follows the marker at all.)")


def bracket_explain(K: int) -> str:
    return (f"Every sequence is {K + 1} characters: random filler letters (a to h), one "
            "opening bracket of four kinds `( [ { <`, a marker `|`, then the closing bracket "
            "that must match the opening one. In `f c ( h a b | )` the `(` sits 5 steps before "
            f"its `)`. The distance is drawn from 2 to {K} for every sequence, so one trained "
            "model can be tested at every distance. The models read one character at a time "
            "and predict the next; only the closing bracket needs a memory.")


def bracket_observed(res: dict) -> str:
    return ("accuracy at the second check: " + ", ".join(
        f"{cell_name(c)} {r['eval_accuracy'][1]:.0%}" for c, r in res["runs"].items()
        if len(r["eval_accuracy"]) > 1) + "; chance is 25 %.")


BRACKET_HOW_TO_READ = (
    "Accuracy on a fixed set of test sequences (64 at every distance), measured every few "
    "steps. Look for the moment a curve leaves the 25 % line: before it, the cell has no way "
    "yet to hold the opening bracket; after it, it climbs. Learning a long dependency looks "
    "like a search, then a climb, not one smooth slope.")
DISTANCE_HOW_TO_READ = (
    "Each point is the share of 64 test sequences, all with that distance, whose closing "
    "bracket the trained model predicted right. A line that stays high to the right edge means "
    "the cell bridges the longest gap you asked for; a line that falls to 25 % shows where its "
    "memory runs out. A longer k also makes the closing bracket a smaller share of the loss (1 "
    "of k predictions), so the signal to learn from is weaker as well as farther away. Which "
    "cells get there within the step budget changes from seed to seed: try a few seeds, and "
    "the presets with twice the steps or with k = 40.")


def bracket_lm_how_to_read(K: int) -> str:
    return ("The loss is averaged over every character a model predicts, so most of it is the "
            "filler letters, which are random and can never be predicted: even a perfect model "
            "stays well above zero. Both dotted lines are exact. **Best possible** is the "
            "entropy of the language per character. **Grammar, no memory** adds the cost of "
            f"guessing the closing bracket (ln 4 nats, spread over the {K} predictions). "
            "Perplexity is e to the loss.")


# -- text ---------------------------------------------------------------------------------------
def text_options(unigram_ppl: float) -> list[str]:
    return ["Over 50: it still guesses among most characters",
            f"Between 12 and 50, near {unigram_ppl:.0f}: it knows how common each letter is, "
            "nothing more",
            "Between 3 and 12: it has picked up which letters tend to follow which",
            "Below 3: it predicts almost every character"]


def text_answer(best_ppl: float) -> int:
    return (0 if not finite(best_ppl) or best_ppl >= 50 else 1 if best_ppl >= 12
            else 2 if best_ppl >= 3 else 3)


TEXT_WHY = ("In a few hundred steps a small model learns which letters tend to follow which, "
            "and some short common words; that cuts the choice to a handful of characters. "
            "Letter frequencies alone leave several times more.")


def text_explain(n_chars: int, B: int, T: int) -> str:
    return ("The text is the help pages that ship inside Python itself (`pydoc_data.topics`, "
            f"what `help('if')` prints): {n_chars:,} characters of English mixed with code, "
            "nothing downloaded. The first 90 % is for training, the last 10 % is held out. "
            f"Each training step shows a model {B} windows of {T} characters; it predicts every "
            "next character, and its error is sent back through all of them.")


TEXT_HOW_TO_READ = (
    "Solid lines: the loss on each step's training windows (averaged over a few steps). Dashed "
    "lines in the same colour: the loss on 64 fixed windows of held-out text, which the model "
    "never trains on. When the dashed line follows the solid one the model is learning the "
    "language, not memorising. The dotted line is an exact baseline: predict every character "
    "by its frequency in the training text. Perplexity is e to the loss: 'choosing among about "
    "this many characters'.")

SAMPLES_NOTE = (
    "Each model continues the prompt one character at a time, drawing each character from its "
    "probabilities after dividing its scores (logits) by the temperature. The draws use one "
    "seeded generator, so a run always writes the same text, and the three cells share the "
    "same random numbers: where they agree on the likely characters, their texts start alike.")


def gradient_how_to_read(what: str, reads: int) -> str:
    return (f"One panel per cell. Each column is a moment during training, each row how many "
            f"steps back from {what} the error signal has travelled (lag 0 at the bottom, lag "
            f"{reads - 1} at the top). Colour is log10 of the gradient's size on one shared "
            "scale: yellow is strong, dark purple means the signal has all but vanished. Read "
            "each panel **upwards** to see the vanishing, and **left to right** to see whether "
            "training opened a path to the past. A marked cell is a gradient that was exactly "
            "zero (below float resolution) or not finite.")


WHY_GATED = (
    "A tanh RNN overwrites its whole state at every step through the same matrix, so the error "
    "signal coming back from a far-away answer is multiplied again and again by factors that "
    "are usually below one. The LSTM (Hochreiter & Schmidhuber 1997) adds a cell state that is "
    "updated by **addition**, with a forget gate deciding how much to keep; when that gate "
    "stays near one, the signal passes back almost unchanged. The GRU (Cho et al. 2014) gets "
    "the same effect with fewer parts: an update gate mixes the old state and a new candidate. "
    "Neither gate helps at the very start of training; what matters is that training can learn "
    "to open a path to the past, which the heatmaps show. Which gated cell is better depends "
    "on the task and the seed: Chung et al. (2014) compared them carefully and found no clear "
    "winner. Try another seed before concluding anything from one run.")
