"""The glossary as data, and ``term()`` for linking a word on any page to its entry.

Pure Python (no Streamlit, no torch), so the home page and tests can use it freely.

Usage on a page::

    from ui.glossary import term
    st.markdown(f"The error travels back by {term('BPTT')} through a product of "
                f"{term('Jacobian', 'Jacobians')}.")

``term`` returns a Markdown link to the entry's anchor on the glossary page
(``glossary#bptt``). Streamlit opens such a link in a new browser tab and scrolls to the
heading whose anchor matches, so the learner keeps the page they were reading. The link is
relative, so it also works when the app is served under a base path (Community Cloud).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GLOSSARY_URL = "glossary"  # the glossary page's url_path in ui/nav.py


@dataclass(frozen=True)
class Term:
    """One glossary entry.

    name: the heading people read. anchor: the URL fragment (``glossary#<anchor>``).
    group: the topic it is listed under. definition: Markdown, plain words first.
    pages: the page files (``ui.nav.PAGES``) where the idea shows up in the app.
    aliases: other spellings ``term()`` accepts. related: anchors of related entries.
    """

    name: str
    anchor: str
    group: str
    definition: str
    pages: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


GROUPS = (
    "How the gradient travels",
    "Exploding gradients and clipping",
    "Gated cells",
    "Initialisation and normalisation",
    "Tasks and measuring learning",
    "Numbers on a computer",
)

_G1, _G2, _G3, _G4, _G5, _G6 = GROUPS

TERMS: list[Term] = [
    # -- how the gradient travels --------------------------------------------------------------
    Term("Hidden state", "hidden-state", _G1,
         "The vector h_t (H numbers) that a recurrent network carries from one step to the "
         "next. It is the network's only memory: whatever the model knows about earlier inputs "
         "has to be stored in it. Each step computes the new state from the old one and the "
         "current input, for a plain RNN h_t = tanh(W_hh h_{t-1} + W_ih x_t + b).",
         ("s1_vanishing.py", "s3_why.py"), ("h_t", "hidden states"),
         ("recurrent-weight-matrix", "bptt")),
    Term("Recurrent weight matrix (W_hh)", "recurrent-weight-matrix", _G1,
         "The H x H matrix that maps the previous hidden state into the next step's "
         "pre-activation. The **same** matrix is used at every step, so going back k steps "
         "multiplies by it (and by the activation's slope) k times. That repetition is why its "
         "singular values and eigenvalues decide whether gradients fade or blow up.",
         ("s3_why.py", "s6_init_norm.py"), ("W_hh", "recurrent weights", "recurrent matrix"),
         ("singular-value", "spectral-radius")),
    Term("Backpropagation through time (BPTT)", "bptt", _G1,
         "How a recurrent network is trained: unroll it over the T steps of a sequence into one "
         "deep network whose layers all share the same weights, then run ordinary "
         "backpropagation from the loss back to step 0. The error that reaches step k is a sum "
         "of paths, and each path multiplies one Jacobian per step it crosses. A weight's "
         "gradient adds up one term per step.",
         ("s1_vanishing.py", "s3_why.py"),
         ("backpropagation through time", "backprop through time"),
         ("jacobian", "vanishing-gradient", "exploding-gradient")),
    Term("Jacobian", "jacobian", _G1,
         "The matrix of all partial derivatives of one vector with respect to another. Here it "
         "is dh_t/dh_{t-1}: how a small nudge to the previous hidden state moves the next one. "
         "For a tanh RNN it equals diag(1 - h_t^2) W_hh, the slope of tanh at each unit times "
         "the recurrent matrix. BPTT multiplies the error by one of these per step, so their "
         "size decides the fate of the gradient.",
         ("s3_why.py",), ("Jacobians", "Jacobian matrix"), ("bptt", "pascanu-bound")),
    Term("Eigenvalue", "eigenvalue", _G1,
         "A number lambda such that W v = lambda v for some non-zero vector v: along that "
         "direction the matrix only rescales, by lambda (which can be complex). Applying W k "
         "times rescales that direction by lambda^k, so eigenvalues describe what **powers** of "
         "a matrix do in the long run.",
         ("s3_why.py",), ("eigenvalues",), ("spectral-radius", "singular-value")),
    Term("Spectral radius", "spectral-radius", _G1,
         "The largest absolute value among a matrix's eigenvalues. It sets the long-run growth "
         "rate of W^k: roughly rho^k. For a **linear** RNN, rho < 1 guarantees that gradients "
         "vanish, and rho > 1 is needed (but not enough) for them to explode. It is never larger "
         "than the largest singular value.",
         ("s1_vanishing.py", "s3_why.py"), ("rho",), ("eigenvalue", "singular-value")),
    Term("Singular value", "singular-value", _G1,
         "How much a matrix stretches vectors. The largest singular value sigma_max is the most "
         "any unit-length vector can be stretched in **one** application (the matrix's spectral "
         "norm); the smallest is the least. Unlike eigenvalues they bound every single step, "
         "which is why the Pascanu bound uses sigma_max. An orthogonal matrix has all singular "
         "values equal to 1.",
         ("s3_why.py", "s6_init_norm.py"), ("singular values", "sigma_max", "spectral norm"),
         ("pascanu-bound", "orthogonal-init")),
    Term("Activation slope bound (gamma)", "gamma", _G1,
         "The largest slope the activation function can have: gamma = 1 for tanh and ReLU, 1/4 "
         "for the logistic sigmoid. The diag(sigma') part of each Jacobian can stretch a vector "
         "by at most gamma, and usually by much less, because saturated units have slopes near 0.",
         ("s3_why.py",), ("γ", "derivative bound"), ("pascanu-bound", "saturation")),
    Term("Pascanu bound", "pascanu-bound", _G1,
         "From Pascanu, Mikolov & Bengio (2013). Every Jacobian has norm at most "
         "gamma x sigma_max(W_hh), so an error travelling k steps back is at most that number to "
         "the power k times what it started as. If gamma x sigma_max < 1, vanishing is "
         "**guaranteed** (a sufficient condition). The reverse is not true: sigma_max > 1/gamma "
         "is only **necessary** for exploding. PyTorch's default tanh RNN has sigma_max a little "
         "above 1 (random-matrix theory puts it near 2/sqrt(3), about 1.15, for large H), so "
         "the bound promises nothing, yet its gradient still fades by many orders of magnitude "
         "over 100 steps: section 1 measures how many.",
         ("s1_vanishing.py", "s3_why.py"), ("Pascanu et al. bound",),
         ("gamma", "singular-value")),
    Term("Saturation", "saturation", _G1,
         "A tanh or sigmoid unit whose input is large in size sits on a flat part of its curve: "
         "its output barely changes and its slope is close to 0 (for tanh the slope is "
         "1 - h^2). A saturated unit passes almost no gradient backwards.",
         ("s3_why.py", "s6_init_norm.py"), ("saturated", "saturate"), ("gamma", "jacobian")),
    Term("Vanishing gradient", "vanishing-gradient", _G1,
         "The error signal shrinks roughly geometrically as BPTT carries it back, so steps far "
         "from the loss receive almost nothing. The weights still change, but only in ways that "
         "help with recent inputs, so the network cannot learn that something long ago "
         "mattered. Seen as a straight downward slope on a log-scale chart of ||dL/dh_t||.",
         ("s1_vanishing.py", "s3_why.py", "s4_effects.py"),
         ("vanishing gradients", "vanishing", "vanishing gradient problem"),
         ("exploding-gradient", "bptt", "long-term-dependency")),
    Term("Exploding gradient", "exploding-gradient", _G1,
         "The opposite failure: the error signal grows as it travels back, so the gradient norm "
         "jumps by orders of magnitude and updates grow with it. A run can come apart in one "
         "giant step or over many growing ones; if nothing stops it, numbers overflow to inf "
         "and then NaN. Not every divergence is one: a learning rate too large for any layer "
         "diverges too, which is why section 2 runs the control with W_hh frozen.",
         ("s2_exploding.py", "s4_effects.py", "lab1_clipping.py"),
         ("exploding gradients", "exploding", "exploding gradient problem"),
         ("gradient-clipping", "nan-inf")),
    Term("Long-term dependency", "long-term-dependency", _G1,
         "When the right output at one step depends on an input many steps earlier (a name at "
         "the start of a paragraph and the pronoun at its end). Learning it needs gradient to "
         "reach back that far: exactly what vanishing gradients prevent.",
         ("s4_effects.py", "lab2_compare.py"), ("long-term dependencies", "long-range dependency"),
         ("adding-problem", "vanishing-gradient")),
    Term("Lag", "lag", _G1,
         "How many steps separate the place where the loss is measured from the step the "
         "gradient arrives at. Charts in the app often plot gradient size against lag: lag 0 is "
         "the last step, large lags are the distant past.",
         ("s1_vanishing.py", "s5_gated.py"), ("lags",), ("vanishing-gradient",)),
    Term("Gradient norm", "gradient-norm", _G1,
         "The length (Euclidean norm) of a gradient vector: one number that says how big an "
         "update is about to be. The app tracks ||dL/dh_t|| per step to see vanishing, and the "
         "norm over all weight gradients per training step (before clipping) to see exploding.",
         ("s1_vanishing.py", "s2_exploding.py", "s5_clipping.py"), ("grad norm",),
         ("gradient-clipping",)),
    # -- exploding gradients and clipping ------------------------------------------------------
    Term("Gradient clipping", "gradient-clipping", _G2,
         "Shrinking a gradient that is too large before the optimiser uses it. It treats the "
         "**symptom** of exploding gradients (steps far larger than the surface allows) and "
         "does nothing for vanishing "
         "gradients: a tiny gradient is already below any threshold. Two kinds: norm clipping "
         "and value clipping.",
         ("s5_clipping.py", "lab1_clipping.py"), ("clipping", "clip"),
         ("norm-clipping", "value-clipping", "clipping-threshold")),
    Term("Norm clipping", "norm-clipping", _G2,
         "If the gradient's norm is above the threshold, scale the whole gradient down so its "
         "norm equals the threshold (Pascanu et al.'s Algorithm 1). The direction is kept; only "
         "the step length changes. PyTorch's clip_grad_norm_ takes **one** norm over all "
         "parameters together and returns the norm measured **before** clipping.",
         ("s5_clipping.py", "lab1_clipping.py"), ("clip by norm", "clip_grad_norm_"),
         ("value-clipping", "clipping-threshold")),
    Term("Value clipping", "value-clipping", _G2,
         "Clamp every gradient element into [-c, c] separately. Cheap, but it changes the "
         "direction: clipping (3, 0.1) at 1 gives (1, 0.1), while norm clipping to 1 gives "
         "about (0.9994, 0.0333). Karpathy's min-char-rnn clips values at 5. PyTorch's "
         "clip_grad_value_ returns nothing.",
         ("s5_clipping.py", "lab1_clipping.py"), ("clip by value", "clip_grad_value_"),
         ("norm-clipping",)),
    Term("Clipping threshold", "clipping-threshold", _G2,
         "The largest gradient norm (or element size, for value clipping) allowed through "
         "unchanged. Pascanu et al. suggest watching the average gradient norm over many updates "
         "and found that anything from about half to ten times that average still trains well. "
         "Below the typical gradient norm, every step is clipped: each update then has a fixed "
         "length, and the learning rate times the threshold sets how far the weights can move.",
         ("s5_clipping.py", "lab1_clipping.py"), ("threshold", "max_norm"),
         ("norm-clipping",)),
    Term("Cliff (loss surface)", "cliff", _G2,
         "Pascanu et al.'s picture of exploding gradients: a one-unit RNN whose loss surface has "
         "a nearly vertical wall. A plain gradient step that lands on the wall gets a huge "
         "gradient and is thrown far away; a clipped step only moves a short distance.",
         ("s2_exploding.py", "s5_clipping.py"), ("cliff", "loss cliff"),
         ("gradient-clipping",)),
    Term("Learning rate", "learning-rate", _G2,
         "The step size the optimiser multiplies the gradient by. Large gradients and a large "
         "learning rate together make the wildest jumps; some fixes (IRNN, for instance) only "
         "work with a small one.",
         ("s2_exploding.py", "lab3_playground.py"), ("lr", "step size"), ("irnn",)),
    # -- gated cells ---------------------------------------------------------------------------
    Term("Gate", "gate", _G3,
         "A vector of numbers between 0 and 1 (a sigmoid of the input and previous state) that "
         "multiplies another vector element by element: a soft, learned switch per unit. "
         "The LSTM has an **input** gate (how much new content to write), a **forget** gate "
         "(how much of the old cell state to keep) and an **output** gate (how much of the cell "
         "to show as h_t). The GRU has a **reset** gate (how much of the old state to use when "
         "proposing a new one) and an **update** gate (how much to move from the old state to "
         "the proposal).",
         ("s5_gated.py", "lab2_compare.py"),
         ("gates", "input gate", "output gate", "reset gate", "update gate"),
         ("forget-gate", "lstm", "gru")),
    Term("Forget gate", "forget-gate", _G3,
         "The LSTM gate f_t that decides how much of the previous cell state survives. Along "
         "the cell path the Jacobian is just diag(f_t), so a forget gate near 1 lets the error "
         "pass back almost undiminished, and one near 0 cuts it.",
         ("s5_gated.py",), ("forget gates",), ("cell-state", "forget-gate-bias")),
    Term("Forget-gate bias", "forget-gate-bias", _G3,
         "Starting the forget gate's bias at 1 (instead of 0) makes the gate open, about 0.73, "
         "from the first step, so the cell state keeps more of its past before anything is "
         "learned. A common, documented help for LSTMs (recommended by Jozefowicz, Zaremba & "
         "Sutskever, 2015).",
         ("s5_gated.py", "s6_init_norm.py"), ("forget bias", "forget gate bias"),
         ("forget-gate",)),
    Term("Cell state", "cell-state", _G3,
         "The LSTM's second memory vector c_t, updated by **adding**: c_t = f * c_{t-1} + i * g. "
         "Because the old state is multiplied only by the gate (no weight matrix, no squashing), "
         "it is a path along which gradient can travel far once the network learns to keep "
         "the forget gate open.",
         ("s5_gated.py",), ("c_t", "cell", "memory cell"), ("forget-gate", "lstm")),
    Term("LSTM", "lstm", _G3,
         "Long Short-Term Memory (Hochreiter & Schmidhuber, 1997): a recurrent cell with a cell "
         "state and input and output gates; the forget gate, now standard, was added by Gers, "
         "Schmidhuber & Cummins (2000). At initialisation its gradient fades about "
         "as fast as a plain RNN's; once trained, the gates keep a path open and gradient "
         "reaches far back.",
         ("s5_gated.py", "lab2_compare.py"), ("long short-term memory", "LSTMs"),
         ("cell-state", "gate", "gru")),
    Term("GRU", "gru", _G3,
         "Gated Recurrent Unit (Cho et al., 2014): a lighter gated cell with reset and update "
         "gates and no separate cell state; the update gate blends old state and proposal, "
         "which also gives an additive path. In comparisons (Chung et al., 2014) LSTM and GRU "
         "both beat tanh RNNs clearly, with no consistent winner between them.",
         ("s5_gated.py", "lab2_compare.py"), ("gated recurrent unit", "GRUs"),
         ("gate", "lstm")),
    # -- initialisation and normalisation ------------------------------------------------------
    Term("Default initialisation (PyTorch)", "default-init", _G4,
         "PyTorch starts every weight of its RNN, LSTM and GRU layers uniformly in "
         "[-1/sqrt(H), 1/sqrt(H)]. For large H random-matrix theory puts that W_hh's largest "
         "singular value near 2/sqrt(3) (about 1.15) but its spectral radius only near "
         "1/sqrt(3) (about 0.58): repeated products shrink, and the gradient of a tanh RNN "
         "vanishes.",
         ("s1_vanishing.py", "s6_init_norm.py"), ("default init", "PyTorch default"),
         ("xavier-init", "orthogonal-init")),
    Term("Xavier (Glorot) initialisation", "xavier-init", _G4,
         "Draw weights with a variance chosen from the layer's fan-in and fan-out (2 / (in + "
         "out)) so signals keep roughly the same spread in a feed-forward layer. It controls the "
         "average stretch, not every direction, so a recurrent matrix can still shrink or grow "
         "some directions over many steps.",
         ("s6_init_norm.py",), ("xavier", "glorot", "xavier init"), ("orthogonal-init",)),
    Term("Orthogonal initialisation", "orthogonal-init", _G4,
         "Start W_hh as an orthogonal matrix (its columns perpendicular and of length 1). All "
         "its singular values are 1, so on its own it neither shrinks nor stretches any "
         "direction (Saxe et al., 2013). It is only a starting point: the activation's slope "
         "still shrinks the signal, and training moves W_hh away from orthogonal.",
         ("s1_vanishing.py", "s6_init_norm.py"), ("orthogonal", "orthogonal init"),
         ("singular-value", "irnn")),
    Term("Gain", "gain", _G4,
         "In this app, a number that multiplies W_hh after it is initialised. It scales every "
         "singular value and every eigenvalue by the same factor, so it is the simplest knob "
         "between vanishing (small gain) and exploding (large gain).",
         ("s1_vanishing.py", "s2_exploding.py", "s6_init_norm.py"), ("recurrent gain",),
         ("spectral-radius",)),
    Term("IRNN", "irnn", _G4,
         "A plain RNN with ReLU units whose W_hh starts as the identity matrix and biases at 0 "
         "(Le, Jaitly & Hinton, 2015). At the start it simply copies its state forward. On "
         "pixel-by-pixel MNIST they report 97.0% accuracy against 35.0% for a tanh RNN, but it "
         "is very sensitive to the learning rate (about 1e-4 and below).",
         ("s6_init_norm.py", "lab3_playground.py"), ("identity init", "identity RNN"),
         ("orthogonal-init", "learning-rate")),
    Term("Batch normalisation", "batch-norm", _G4,
         "Standardise each unit's pre-activation with the mean and spread measured over the "
         "current minibatch, then apply a learned scale (gamma) and shift (beta). Applied "
         "naively to the hidden-to-hidden path of an RNN it did not help (Laurent et al., "
         "2016); the recurrent version below is what works.",
         ("s6_init_norm.py",), ("batch norm", "batchnorm", "BN", "batch normalization"),
         ("recurrent-batch-norm", "layer-norm")),
    Term("Recurrent batch normalisation", "recurrent-batch-norm", _G4,
         "Cooijmans et al. (2016): normalise W_hh h_{t-1} and W_ih x_t **separately**, with "
         "statistics kept **per time step**, and start the scale gamma at 0.1 (at 1 the tanh "
         "units saturate and gradients vanish). On pixel MNIST it matched the LSTM (99.0% vs "
         "98.9%) and did clearly better on the permuted version (95.4% vs 90.2%).",
         ("s6_init_norm.py",), ("recurrent batch norm", "BN-LSTM"),
         ("batch-norm", "layer-norm")),
    Term("Layer normalisation", "layer-norm", _G4,
         "Standardise across the units of **one example** at each step (Ba, Kiros & Hinton, "
         "2016), so it needs no minibatch statistics and behaves the same in training and "
         "testing: the usual choice for RNNs. Like batch norm it steadies the hidden-state "
         "scale and speeds training; it does not by itself cure vanishing gradients.",
         ("s6_init_norm.py", "lab3_playground.py"), ("layer norm", "layernorm", "LN"),
         ("batch-norm", "recurrent-batch-norm")),
    # -- tasks and measuring learning ----------------------------------------------------------
    Term("Adding problem", "adding-problem", _G5,
         "A test of long memory: each step shows a random number in [0, 1] and a marker; "
         "exactly two numbers are marked, one in each half, and the target at the end is their "
         "sum. Guessing 1 every time already gives a mean squared error of 1/6 = 0.167.",
         ("s1_vanishing.py", "s4_effects.py", "s5_gated.py", "lab2_compare.py"),
         ("adding task", "adding"), ("chance-baseline",)),
    Term("Copy memory task", "copy-memory", _G5,
         "Show 10 symbols, wait through a long stretch of blanks, then ask for the 10 symbols "
         "back (Arjovsky et al., 2016). A model that remembers nothing can still learn when to "
         "output blanks, which gives a baseline cross-entropy of 10 ln 8 / (T + 20): 0.173 at "
         "T = 100.",
         ("s4_effects.py", "lab2_compare.py"), ("copy task", "copy memory"),
         ("chance-baseline",)),
    Term("Temporal order task", "temporal-order", _G5,
         "Two special symbols (each A or B) appear at random places in a long noisy sequence; "
         "the model must say which of the 4 orders it saw. Guessing gives a loss of ln 4 = 1.386 "
         "and 75% errors.",
         ("s4_effects.py", "lab2_compare.py"), ("temporal order",), ("chance-baseline",)),
    Term("Chance baseline", "chance-baseline", _G5,
         "The loss a model gets without using the information that matters, for example by "
         "always predicting the average. A training curve that settles **on** this line has "
         "learned nothing useful, however smooth it looks.",
         ("s1_vanishing.py", "s4_effects.py", "lab2_compare.py"), ("chance line", "chance level",
                                                                  "chance"),
         ("adding-problem",)),
    Term("Perplexity", "perplexity", _G5,
         "A language model's cross-entropy (in nats per character) turned back into a count: "
         "exp(loss). It reads as \"how many characters the model is effectively choosing "
         "between\" at each step. Guessing uniformly among V characters gives perplexity V; "
         "lower is better.",
         ("lab2_compare.py",), ("ppl",), ("cross-entropy",)),
    Term("Cross-entropy", "cross-entropy", _G5,
         "The usual loss for predicting a class or the next character: minus the log of the "
         "probability the model gave to the right answer, averaged. Measured in nats when the "
         "natural log is used.",
         ("s4_effects.py", "lab2_compare.py"), ("cross entropy", "log loss"), ("perplexity",)),
    # -- numbers on a computer -----------------------------------------------------------------
    Term("NaN and inf", "nan-inf", _G6,
         "Floating-point markers for results that are not ordinary numbers: inf when a value "
         "grows past the largest representable one (about 3.4e38 in float32), NaN (\"not a "
         "number\") for things like inf - inf or 0 x inf. Once a NaN enters the weights, every "
         "later output and gradient is NaN too: the run is dead. The app marks them on charts "
         "and reports the first step and tensor where one appeared.",
         ("s2_exploding.py", "s4_effects.py", "lab1_clipping.py"), ("NaN", "inf", "non-finite"),
         ("exploding-gradient", "float32-underflow")),
    Term("Float32 underflow", "float32-underflow", _G6,
         "float32 cannot store positive numbers below about 1.4e-45: anything smaller becomes "
         "exactly 0. A vanishing gradient in a default tanh RNN gets there somewhere past 100 to "
         "200 steps, and a log-scale chart cannot draw a 0. The app's probes compute in float64 "
         "(down to about 5e-324) or work with logarithms of norms instead.",
         ("s1_vanishing.py", "s3_why.py"), ("underflow", "float32"), ("nan-inf", "log-scale")),
    Term("Log scale", "log-scale", _G6,
         "An axis on which equal distances mean equal **factors** (1, 10, 100, ...) rather than "
         "equal differences. Something that shrinks by the same factor every step, like a "
         "vanishing gradient, draws as a straight line on it.",
         ("s1_vanishing.py", "s3_why.py"), ("log axis", "logarithmic scale"),
         ("vanishing-gradient",)),
]

_ANCHOR_OK = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9γ]+", " ", text.lower()).strip()


def _index() -> dict[str, Term]:
    out: dict[str, Term] = {}
    for t in TERMS:
        names = [t.anchor, t.name, *t.aliases]
        short = re.sub(r"\s*\(.*\)\s*$", "", t.name)  # "Gain" from "Gain (x W_hh)"
        inner = re.findall(r"\(([^)]*)\)", t.name)  # "BPTT" from "... (BPTT)"
        for n in [*names, short, *inner]:
            out.setdefault(_key(n), t)
    return out


_BY_KEY = _index()
BY_ANCHOR: dict[str, Term] = {t.anchor: t for t in TERMS}


def find(name: str) -> Term:
    """The entry for ``name``: its anchor, heading, an alias or the abbreviation in brackets,
    case and punctuation ignored. Raises KeyError naming close matches for an unknown term."""
    k = _key(name)
    if k in _BY_KEY:
        return _BY_KEY[k]
    close = sorted(n for n in _BY_KEY if k and (k in n or n in k))[:5]
    hint = f"; did you mean {close}?" if close else ""
    raise KeyError(f"no glossary entry for {name!r}{hint}")


def url(name: str) -> str:
    """The link to a term's entry, relative to the app: ``glossary#<anchor>``."""
    return f"{GLOSSARY_URL}#{find(name).anchor}"


def term(name: str, label: str | None = None) -> str:
    """A Markdown link to the glossary entry for ``name``, showing ``label`` (default ``name``).

    Example: ``term("BPTT")`` -> ``"[BPTT](glossary#bptt)"``.
    """
    text = (label if label is not None else name).replace("[", "(").replace("]", ")")
    return f"[{text}]({url(name)})"


def slug(text: str) -> str:
    """A URL-safe anchor for a heading: ``"Gated cells"`` -> ``"gated-cells"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def grouped() -> list[tuple[str, list[Term]]]:
    """Terms by topic, in ``GROUPS`` order; inside a topic in teaching order (as in ``TERMS``)."""
    return [(g, [t for t in TERMS if t.group == g]) for g in GROUPS]


def check() -> list[str]:
    """Problems with the data (empty when fine): bad or duplicate anchors, unknown related
    entries, unknown page files, aliases that point at two entries."""
    from .nav import PAGES  # torch-free

    files = {p.file for p in PAGES}
    problems: list[str] = []
    seen: set[str] = set()
    for t in TERMS:
        if not _ANCHOR_OK.match(t.anchor):
            problems.append(f"bad anchor {t.anchor!r}")
        if t.anchor in seen:
            problems.append(f"duplicate anchor {t.anchor!r}")
        seen.add(t.anchor)
        if t.group not in GROUPS:
            problems.append(f"{t.anchor}: unknown group {t.group!r}")
        problems += [f"{t.anchor}: unknown page {f!r}" for f in t.pages if f not in files]
        if not t.pages:
            problems.append(f"{t.anchor}: no page")
    owner: dict[str, str] = {}
    for t in TERMS:
        problems += [f"{t.anchor}: unknown related {r!r}" for r in t.related if r not in seen]
        for n in (t.anchor, t.name, *t.aliases):
            k = _key(n)
            if owner.setdefault(k, t.anchor) != t.anchor:
                problems.append(f"{n!r} names both {owner[k]!r} and {t.anchor!r}")
    return problems
