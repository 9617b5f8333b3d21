"""The lesson's summary table and the one-page cheat sheet (Markdown and self-contained HTML).

Pure Python: no Streamlit, no torch. The conclusion page draws ``SUMMARY`` as its table and
offers ``markdown()`` and ``html()`` as downloads. Cited figures carry their source; measured
ones are read from the pages' shipped runs (``ui.quiz.shipped``), never typed in.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass

from .nav import by_file
from .quiz import GATED, figure


@dataclass(frozen=True)
class Row:
    """One line of the summary table. ``pages`` are page files in ``ui.nav.PAGES``."""

    problem: str
    cause: str
    symptom: str
    fix: str
    pages: tuple[str, ...]


SUMMARY: list[Row] = [
    Row("Vanishing gradients",
        "Each step back multiplies the error by a Jacobian diag(σ') W_hh. When these shrink "
        "vectors (certain if γ·σ_max(W_hh) < 1, common even above), the product decays "
        "geometrically.",
        "||dL/dh_t|| falls along a straight line on a log axis; the update to W_hh comes from "
        "the last few steps only.",
        "LSTM or GRU (they help once trained), forget-gate bias 1, orthogonal or identity "
        "start. Clipping does not help.",
        ("s1_vanishing.py", "s3_why.py", "s5_gated.py")),
    Row("Exploding gradients",
        "The Jacobian product grows along some direction. Needs γ·σ_max > 1 (large recurrent "
        "gain, ReLU, big weights), but that alone does not force it.",
        "Gradient norm jumps by orders of magnitude; the loss spikes and oscillates; inf, then "
        "NaN, in the weights.",
        "Norm clipping (threshold ½ to 10x the average gradient norm), a lower learning rate, "
        "a smaller recurrent gain.",
        ("s2_exploding.py", "s5_clipping.py", "lab1_clipping.py")),
    Row("Long-range links not learned",
        "Vanishing: a distant input's share of the weight update is negligible.",
        "Final loss climbs to the chance line as the dependency gets longer (adding problem: "
        "1/6 ≈ 0.167).",
        "Gated cells, a good initialisation; check the loss against the chance line, not "
        "against zero.",
        ("s4_effects.py", "lab2_compare.py")),
    Row("Drifting hidden-state scale",
        "Pre-activations grow, tanh units saturate, their slopes go to 0.",
        "Hidden values pinned near ±1; slow, uneven training.",
        "Layer norm, or recurrent batch norm (per-step statistics, γ starts at 0.1): steadier, "
        "often faster; alone, no long-range memory.",
        ("s6_init_norm.py",)),
    Row("Numbers out of range",
        "float32 holds nothing between 0 and about 1e-45, and nothing above about 3.4e38.",
        "A gradient of exactly 0 at early steps; inf or NaN in the loss or weights.",
        "Measure gradients in float64 or as log-norms; stop at the first non-finite value and "
        "see which tensor it came from.",
        ("s1_vanishing.py", "s2_exploding.py")),
]

EQUATIONS = [
    ("Tanh RNN", "h_t = tanh(W_hh h_{t-1} + W_ih x_t + b)"),
    ("BPTT", "dL/dh_k = Σ_{t ≥ k} dL_t/dh_t · Π_{i=k+1..t} dh_i/dh_{i-1}"),
    ("One step back", "dh_t/dh_{t-1} = diag(1 - h_t²) W_hh"),
    ("Pascanu bound", "||dh_t/dh_k|| ≤ (γ · σ_max(W_hh))^(t-k);  γ = 1 for tanh and ReLU, "
                      "1/4 for sigmoid"),
    ("LSTM cell path", "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t,  so dc_t/dc_{t-1} = diag(f_t) "
                       "along that path"),
]

CHECKLIST = [
    "Log the total gradient norm every step: clip_grad_norm_ returns it, measured before "
    "clipping.",
    "Plot ||dL/dh_t|| against the step on a log axis: a straight downward line is vanishing.",
    "Draw the chance line on every loss curve: adding 1/6 = 0.167; copy memory "
    "10 ln 8 / (T + 20); temporal order ln 4 = 1.386.",
    "Watch for the first non-finite value: which step, and which tensor.",
    "Change one knob at a time, with the same seed.",
]

NUMBERS = [
    "Norm-clipping threshold: ½ to 10x the average gradient norm (Pascanu et al. 2013). "
    "Examples: norm 0.25 (PyTorch word_language_model), value ±5 (Karpathy's min-char-rnn).",
    "Value clipping turns the direction: (3, 0.1) → (1, 0.1); norm clipping to 1 gives "
    "(0.9994, 0.0333).",
    "LSTM forget-gate bias: 1. Recurrent batch norm: γ starts at 0.1, statistics per step.",
    "IRNN: ReLU, W_hh = identity, learning rate about 1e-4 or lower.",
]


def _gates_line() -> str | None:
    """Section 5b's shipped run in one line (one seed: the figures move with the seed)."""
    if not GATED:
        return None
    g, T = GATED, GATED["seq_len"]
    try:
        return (f"Gates help once trained, not at init. ||dL/dh_0|| / ||dL/dh_{T - 1}|| in "
                f"section 5b's run (adding, T = {T}, one seed): at init RNN "
                f"{figure(g['rnn']['ratio_init'])}, LSTM {figure(g['lstm']['ratio_init'])}, "
                f"GRU {figure(g['gru']['ratio_init'])}; after {g['steps']} steps LSTM "
                f"{figure(g['lstm']['ratio_final'])}, GRU {figure(g['gru']['ratio_final'])}.")
    except (KeyError, TypeError):
        return None


if _gates_line():
    NUMBERS.append(_gates_line())

CODE = """\
loss.backward()
# rescales all gradients together; returns their norm BEFORE clipping
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
optimizer.step(); optimizer.zero_grad()"""

SOURCES = [
    "Pascanu, Mikolov & Bengio (2013), On the difficulty of training recurrent neural "
    "networks, arXiv:1211.5063",
    "Hochreiter & Schmidhuber (1997), Long short-term memory",
    "Cho et al. (2014), GRU; Chung et al. (2014), arXiv:1412.3555",
    "Le, Jaitly & Hinton (2015), IRNN, arXiv:1504.00941; Saxe et al. (2013), arXiv:1312.6120",
    "Cooijmans et al. (2016), Recurrent batch normalization, arXiv:1603.09025; Ba, Kiros & "
    "Hinton (2016), Layer normalization, arXiv:1607.06450",
]

TITLE = "RNN Gradient Lab · cheat sheet: vanishing and exploding gradients"


def page_titles(row: Row) -> list[str]:
    return [by_file(f).title for f in row.pages]


def short_title(file: str) -> str:
    """``"Section 5a"`` for ``"5a · Gradient clipping"``, ``"Lab 1"`` for a lab."""
    head = by_file(file).title.split(" · ")[0]
    return head if head.startswith("Lab") else f"Section {head}"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _pages(r: Row, links: bool) -> str:
    return ", ".join(f"[{short_title(f)}]({by_file(f).url})" if links else by_file(f).title
                     for f in r.pages)


def summary_cards_markdown(*, links: bool = False) -> str:
    """The summary table one problem at a time (a phone's width has no room for five
    columns): the problem in bold, then its cause, what you see, the fix and where."""
    blocks = []
    for r in SUMMARY:
        blocks.append("\n".join([f"**{r.problem}**", "", f"- *Cause:* {r.cause}",
                                  f"- *What you see:* {r.symptom}", f"- *Fix:* {r.fix}",
                                  f"- *Where in the app:* {_pages(r, links)}"]))
    return "\n\n".join(blocks)


def summary_markdown(*, links: bool = False) -> str:
    """The summary table as a Markdown table. ``links=True`` links each page by its URL path
    (relative, so it opens the app's page in a new tab) under a short name ("Section 1")."""
    lines = ["| Problem | Cause | What you see | Fix | Where in the app |",
             "| --- | --- | --- | --- | --- |"]
    for r in SUMMARY:
        pages = _pages(r, links)
        lines.append("| " + " | ".join(_md_cell(c) for c in
                                       (f"**{r.problem}**", r.cause, r.symptom, r.fix))
                     + f" | {_md_cell(pages)} |")
    return "\n".join(lines)


def extras_markdown(level: int = 2) -> str:
    """Everything on the sheet after the summary table, with headings at ``level``."""
    h = "#" * level
    parts = [f"{h} The equations", ""]
    parts += [f"- **{name}:** `{eq}`" for name, eq in EQUATIONS]
    parts += ["", f"{h} Diagnose", ""] + [f"- {c}" for c in CHECKLIST]
    parts += ["", f"{h} Numbers worth remembering", ""] + [f"- {n}" for n in NUMBERS]
    parts += ["", f"{h} Clip in PyTorch", "", "```python", CODE, "```", "", f"{h} Sources", ""]
    parts += [f"- {s}" for s in SOURCES]
    return "\n".join(parts) + "\n"


def markdown() -> str:
    """The cheat sheet as one Markdown document."""
    return "\n".join([f"# {TITLE}", "", "## Problems, causes, fixes", "", summary_markdown(), "",
                      extras_markdown(2)])


_CSS = """
@page { size: A4 landscape; margin: 9mm; }
* { box-sizing: border-box; }
body { font: 8.4pt/1.28 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #1a1a1a; margin: 0 auto; max-width: 1100px; padding: 0; }
@media screen { body { padding: 12px; } }
h1 { font-size: 14pt; margin: 0 0 6px; }
h2 { font-size: 10.5pt; margin: 8px 0 3px; color: #0b4f8a; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #e8f0f8; }
td:first-child { font-weight: 600; white-space: nowrap; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 0 18px; }
ul { margin: 2px 0; padding-left: 16px; }
li { margin: 1px 0; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 7.8pt; }
pre { background: #f4f4f4; padding: 4px 6px; margin: 2px 0; white-space: pre-wrap; }
.src { color: #555; font-size: 8pt; }
"""


def _h(text: str) -> str:
    """Escape for HTML, then turn `code` spans and **bold** into tags."""
    out = _html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)


def html() -> str:
    """The cheat sheet as one self-contained HTML file (inline CSS, no scripts, no external
    resources) laid out to print on one landscape A4 page."""
    rows = "".join(
        "<tr>" + "".join(f"<td>{_h(c)}</td>" for c in
                         (r.problem, r.cause, r.symptom, r.fix, ", ".join(page_titles(r))))
        + "</tr>" for r in SUMMARY)
    eqs = "".join(f"<li><b>{_h(n)}:</b> <code>{_html.escape(e)}</code></li>"
                  for n, e in EQUATIONS)
    lis = lambda items: "".join(f"<li>{_h(i)}</li>" for i in items)  # noqa: E731
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_html.escape(TITLE)}</title><style>{_CSS}</style></head>
<body>
<h1>{_html.escape(TITLE)}</h1>
<table><thead><tr><th>Problem</th><th>Cause</th><th>What you see</th><th>Fix</th>
<th>Where in the app</th></tr></thead><tbody>{rows}</tbody></table>
<div class="cols">
<div><h2>The equations</h2><ul>{eqs}</ul>
<h2>Diagnose</h2><ul>{lis(CHECKLIST)}</ul></div>
<div><h2>Numbers worth remembering</h2><ul>{lis(NUMBERS)}</ul>
<h2>Clip in PyTorch</h2><pre>{_html.escape(CODE)}</pre></div>
</div>
<p class="src">Sources: {_html.escape("; ".join(SOURCES))}.</p>
</body></html>
"""
