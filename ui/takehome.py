"""What each page's take-home notebook says around its code: the idea, how to read the chart,
and prompts to try, keyed by page file (``layout.notebook_download`` looks them up).

No measured number is typed here: the notebook prints the run's own numbers. Streamlit-free.
"""

from __future__ import annotations

TEXT: dict[str, dict] = {
    "s1_vanishing.py": dict(
        idea="A recurrent network learns from the end of a sequence by sending its error back "
             "through every step. This notebook measures how much of that error reaches each "
             "step of a fresh network, and draws it against the Pascanu bound.",
        how_to_read="The x-axis is the step the gradient arrives at (the loss sits on the last "
                    "step); the y-axis is logarithmic, so a straight downward slope is a "
                    "constant factor per step. The dashed line is the theoretical ceiling for a "
                    "plain RNN.",
        tries=(
            "Change `seq_len` to 300. By how many orders of magnitude does `ratio` fall now?",
            "Set `init='orthogonal'`, then `gain=0.8`. Which one keeps more gradient, and is "
            "the measured line still under the bound?")),
    "lab1_clipping.py": dict(
        idea="One RNN that is ready to explode trains three times from the same weights on the "
             "same batches: with no clipping, with norm clipping and with value clipping. This "
             "notebook runs the three (and a control with W_hh frozen) and draws their losses.",
        how_to_read="One line per run on a log axis. A dashed line marks the step where a run "
                    "first produced NaN or inf; crosses on the top edge are losses that were "
                    "not finite. The dotted line is chance: always answering 1.",
        tries=(
            "Set `lr=0.01`. Does `unclipped_steps` reach `steps` now?",
            "Set `optimizer='adam', lr=0.01`. Which runs stay finite, and how far apart do the "
            "three final losses end?")),
    "lab2_compare.py": dict(
        idea="A tanh RNN, an LSTM and a GRU train on the same task with the same seed and the "
             "same batches. This notebook trains all three and draws their curves, so any gap "
             "between them comes from how each cell carries its memory.",
        how_to_read="One line per cell (tanh RNN vermillion, LSTM blue, GRU green). The dotted "
                    "line is the reference: chance for a task, 25 % for the brackets.",
        tries=(
            "Change `seed` to 1, 2 and 3. Does the same cell come out on top every time?",
            "Double `seq_len` (or `max_distance`). Which cell is the first to fall back to the "
            "reference line?")),
    "lab3_playground.py": dict(
        idea="One recurrent network trains on a task with a long-range dependency, with every "
             "remedy from the lesson as a setting. This notebook trains it and draws its loss "
             "against the task's chance level.",
        how_to_read="The training loss per step on a log axis; the dotted line is the chance "
                    "level, the best loss without any memory. Crosses on the top edge mark "
                    "NaN/inf losses.",
        tries=(
            "Set `cell='rnn'`. Does `final_loss` still end far below `chance`?",
            "Set `cell='rnn', optimizer='sgd', lr=0.1, init='orthogonal', gain=2.0, "
            "clip='none'`, then the same with `clip='norm'`. Which one ends in NaN?")),
    "s2_exploding.py": dict(
        idea="When the recurrent weights stretch the error signal instead of shrinking it, the "
             "gradient can grow with every step back, and plain SGD turns a huge gradient into "
             "a huge step. This notebook trains a tanh RNN whose W_hh starts scaled up, beside "
             "a control with W_hh frozen, and prints the first step where a number stopped "
             "being finite.",
        how_to_read="Training steps run along x; the loss axis is logarithmic, so a straight "
                    "rising line is exponential growth. The control has the same start and "
                    "batches with W_hh never trained: if it blows up too, W_hh is not the "
                    "culprit. The dashed line marks the first inf/NaN, the dotted one the "
                    "chance loss; crosses on the top edge are losses that were not finite.",
        tries=("Set `gain=1.0`. Does the run still reach inf or NaN in the same steps?",
               "Keep `gain=2.0` but set `optimizer='adam'`. Adam divides each step by a "
               "running gradient size: what happens to the loss now?")),
    "s3_why.py": dict(
        idea="Going back one step, backpropagation through time multiplies the gradient by that "
             "step's Jacobian diag(σ′) W_hh. The Pascanu bound caps each factor by γ·σ_max, so "
             "k steps back the product is at most (γ·σ_max)^k. This notebook builds a W_hh of "
             "a chosen size and measures the real product against that cap.",
        how_to_read="Both lines start at 1 at lag 0; going right, one more Jacobian is "
                    "multiplied in. The axis holds log10 of the size, so a constant factor per "
                    "step is a straight line. The measured line can never rise above the dashed "
                    "bound; when the bound's factor is above 1 the bound says nothing about the "
                    "run.",
        tries=("Set `value=0.9`. The bound's factor `eta` is now below 1: what must the "
               "measured line do?",
               "Set `which='radius'` and `value=3.0`. Does the product grow now, and how does "
               "`rate` compare with log10 of the spectral radius?")),
    "s4_effects.py": dict(
        idea="Trained for a fixed number of steps, a plain RNN learns a dependency a few steps "
             "long and stops learning once the input that matters lies further back: its score "
             "settles at the blind guess. This notebook trains a fresh network at each of "
             "several lengths and scores it on new sequences.",
        how_to_read="One point per length T: a fresh network trained at that length, then "
                    "scored. A filled mark is a length it learned (final loss under half the "
                    "blind-guess loss), a hollow one a length it did not. The dotted line is "
                    "the blind guess.",
        tries=("Set `cell='lstm'`. Which lengths does the LSTM learn in the same steps?",
               "Keep the RNN and raise `steps`. Does the longest length learned move, and by "
               "how much?")),
    "s5_clipping.py": dict(
        idea="Gradient clipping caps a step before the update: norm clipping rescales the whole "
             "gradient to at most the threshold, value clipping clamps each entry. This "
             "notebook trains section 2's exploding run twice from the same start and batches, "
             "without clipping and with it.",
        how_to_read="Training steps run along x, the loss on a log axis. The dashed line marks "
                    "the unclipped run's first inf/NaN, the dotted one the chance loss. A "
                    "clipped run that stays finite but sits on the chance line survived without "
                    "learning the task: clipping cures the explosion, not the vanishing.",
        tries=("Set `threshold=10.0`. How often is the clipper still active "
               "(`res['clipped']['share_clipped']`), and does the run stay finite?",
               "Set `clip='value'` and `threshold=0.1`. Value clipping changes the gradient's "
               "direction: does it still keep the run finite?")),
    "s5_gated.py": dict(
        idea="An LSTM or a GRU adds gates that can give the error a road back through time. "
             "This notebook measures how much of the gradient's size reaches the first step in "
             "fresh cells, then trains each cell on the adding problem and measures again.",
        how_to_read="One column per cell. The hollow circle is the first/last gradient ratio "
                    "in the fresh network, the filled circle the same after training; the axis "
                    "is logarithmic, so 1e-6 means a millionth of the gradient arrives.",
        tries=("Set `seq_len=80` in both calls. Do the trained gated cells still open a road "
               "back?",
               "Give the tanh RNN the gated cells' learning rate (set `lr_rnn` to the value of "
               "`lr_gated`). Does its ratio move after training?")),
    "s6_init_norm.py": dict(
        idea="How a recurrent network starts decides how far back its first gradient reaches. "
             "This notebook builds untrained networks from several starts (PyTorch default, "
             "Xavier, orthogonal, identity with ReLU, two LSTMs) and measures the share of the "
             "gradient left at each lag.",
        how_to_read="Each line is one start, untrained. At lag 0 (the last step, where the "
                    "loss is) every line is at 1; further right is further back in time, and "
                    "the height is the share of the gradient's size left there (log scale).",
        tries=("Set `gain=0.8`, then `gain=1.3`. Does the order of the starts change?",
               "Set `seq_len=100`. Which starts still pass more than a millionth to step 0?")),
    "s7_conclusion.py": dict(
        idea="The lesson's thread in one comparison: freshly initialised, a tanh RNN, an LSTM "
             "and a GRU all lose most of the gradient on its way back to the first step; once "
             "trained, the gated cells keep far more of it and the tanh RNN does not. This "
             "notebook reruns section 5b's experiment, the run the cheat sheet quotes.",
        how_to_read="One column per cell: the hollow circle is the first/last gradient ratio "
                    "at initialisation, the filled one after training, on a log axis.",
        tries=("Change `seed`. The exact ratios swing by orders of magnitude from seed to "
               "seed: does the comparison between the cells hold?",
               "Lower `steps` to 200. Have the gated cells opened their road back yet?")),
}
