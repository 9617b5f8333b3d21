"""The app's page list: one place for titles, files, URL paths and lesson order.

Imports nothing heavy, so the entrypoint and the home page paint before torch loads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    file: str  # path under pages/
    title: str
    url: str  # URL path, e.g. "vanishing"
    icon: str  # ":material/...:": drawn with Streamlit's bundled font, fetched from nowhere
    # (the favicon is app.py's ICON file: a material favicon would come from a font CDN)
    section: str  # navigation group
    blurb: str  # one line for the lesson map


PAGES: list[PageInfo] = [
    PageInfo("home.py", "Home", "home", ":material/home:", "Start",
             "What the app teaches and how to use it."),
    PageInfo("s1_vanishing.py", "1 · Vanishing gradients", "vanishing",
             ":material/trending_down:", "Lesson",
             "Watch the error signal fade as it travels back through time."),
    PageInfo("s2_exploding.py", "2 · Exploding gradients", "exploding",
             ":material/trending_up:", "Lesson",
             "Watch it grow instead, until the weights turn into NaN."),
    PageInfo("s3_why.py", "3 · Why BPTT does this", "why", ":material/functions:", "Lesson",
             "A product of Jacobians: eigenvalues, singular values and the Pascanu bound."),
    PageInfo("s4_effects.py", "4 · Effects on training", "effects", ":material/show_chart:",
             "Lesson", "Where a vanilla RNN stops learning as dependencies grow longer."),
    PageInfo("s5_clipping.py", "5a · Gradient clipping", "clipping", ":material/content_cut:",
             "Lesson", "Norm and value clipping, the threshold, and the cliff."),
    PageInfo("s5_gated.py", "5b · LSTM and GRU", "gated", ":material/memory:", "Lesson",
             "Gates and the additive cell path: what changes once they are trained."),
    PageInfo("s6_init_norm.py", "6 · Initialisation and normalisation", "init-norm",
             ":material/tune:", "Lesson",
             "Orthogonal, identity and scaled starts; layer and recurrent batch norm."),
    PageInfo("s7_conclusion.py", "7 · Conclusion and quiz", "conclusion", ":material/quiz:",
             "Lesson", "Summary table, a scored quiz and a cheat sheet."),
    PageInfo("lab1_clipping.py", "Lab 1 · RNN with clipping", "lab-clipping",
             ":material/science:", "Labs", "No clipping vs norm vs value, side by side."),
    PageInfo("lab2_compare.py", "Lab 2 · RNN vs LSTM vs GRU", "lab-compare",
             ":material/compare_arrows:", "Labs",
             "Long-dependency tasks and character-level language modelling."),
    PageInfo("lab3_playground.py", "Lab 3 · Technique playground", "lab-playground",
             ":material/toys:", "Labs", "Every knob, runs kept and compared."),
    PageInfo("class_summary.py", "Class summary", "class-summary", ":material/summarize:",
             "Reference", "What the room answered: tallies, CSV, close the room."),
    PageInfo("glossary.py", "Glossary", "glossary", ":material/menu_book:", "Reference",
             "BPTT, Jacobian, spectral radius, gates, clipping threshold, ..."),
]

LESSON = [p for p in PAGES if p.section in ("Lesson", "Labs")]


def by_file(file: str) -> PageInfo:
    for p in PAGES:
        if p.file == file:
            return p
    raise KeyError(file)


def neighbours(file: str) -> tuple[PageInfo | None, PageInfo | None]:
    """Previous and next page in lesson order (None at the ends)."""
    order = [p for p in PAGES if p.section in ("Start", "Lesson", "Labs")]
    files = [p.file for p in order]
    if file not in files:  # reference pages (glossary) sit outside the lesson order
        return None, None
    i = files.index(file)
    return (order[i - 1] if i > 0 else None, order[i + 1] if i + 1 < len(order) else None)


#: Navigation groups, in the order the sidebar shows them.
SECTIONS: tuple[str, ...] = ("Start", "Lesson", "Labs", "Reference")
