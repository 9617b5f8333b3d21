"""Take-home notebooks: a page's experiment, chart and questions as a runnable ``.ipynb``.

A page describes its main chart once, as a :class:`Recipe`: the experiment and its settings,
the function that turns the result into a tidy table, and the chart builder with its options.
The page draws its chart from the recipe (``recipe.table(res)``, ``recipe.chart(df)``), and
``build`` writes the same calls into a notebook (nbformat v4), so the notebook cannot drift from
the page: the code is generated, not typed. Streamlit-free.

The notebook runs from the repository root (where ``app.py`` is), or anywhere after
``pip install .`` in it; its first cell says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from core.snippet import experiment_call

SETUP = (
    "**Setup.** Run this notebook from the RNN Gradient Lab repository root (the folder with "
    "`app.py`), or anywhere after installing the project there with "
    "`pip install --extra-index-url https://download.pytorch.org/whl/cpu .` "
    "(the extra index gives the CPU build of PyTorch). Every cell is plain Python; the charts "
    "are Altair and show in Jupyter, VS Code and Colab.")


def _ref(fn: Callable) -> tuple[str, str]:
    """(module, name) to import ``fn`` by."""
    return fn.__module__, fn.__name__


@dataclass(frozen=True)
class Recipe:
    """How a page's main chart is made from its experiment (see the module docstring)."""

    fn: Callable[..., dict]  #: the experiment (``core.experiments.<module>.<name>``)
    params: dict[str, Any]  #: its settings on the page (missing ones take the defaults)
    frame: Callable[[dict], Any]  #: result -> tidy DataFrame (an importable function)
    builder: Callable[..., Any]  #: tidy DataFrame -> Altair chart (``ui.charts*``)
    chart_args: dict[str, Any] = field(default_factory=dict)
    headline: tuple[str, ...] = ()  #: result keys the notebook prints (the page's numbers)

    def run(self, runner: Callable[..., dict] | None = None) -> dict:
        """The experiment's result (through ``runner(fn, **params)`` when given, e.g.
        ``ui.demos.run`` for shipped results and the admission queue)."""
        return (runner or (lambda f, **p: f(**p)))(self.fn, **self.params)

    def table(self, result: dict) -> Any:
        return self.frame(result)

    def chart(self, table: Any) -> Any:
        return self.builder(table, **self.chart_args)

    def code(self) -> str:
        """Python that reproduces the page's result and chart."""
        fmod, fname = _ref(self.frame)
        bmod, bname = _ref(self.builder)
        args = "".join(f",\n    {k}={v!r}" for k, v in self.chart_args.items())
        imports = sorted({f"from {fmod} import {fname}", f"from {bmod} import {bname}"})
        return "\n".join([*imports, "", f"table = {fname}(res)",
                          f"chart = {bname}(\n    table{args},\n)", "chart"]) + "\n"


def build(title: str, idea: str, recipe: Recipe, *, how_to_read: str = "",
          tries: Sequence[str] = (), page_url: str | None = None) -> nbformat.NotebookNode:
    """The notebook: title and setup, the idea, the experiment call, the chart, how to read
    it, and "try this" prompts each followed by an empty code cell."""
    head = f"# {title}\n\n{SETUP}"
    if page_url:
        head += f"\n\nThe same experiment on the app's page: `{page_url}`."
    cells = [new_markdown_cell(head), new_markdown_cell(idea),
             new_code_cell(experiment_call(recipe.fn, recipe.params, show=recipe.headline)),
             new_code_cell(recipe.code())]
    if how_to_read:
        cells.append(new_markdown_cell("**How to read the chart**\n\n" + how_to_read))
    for i, t in enumerate(tries, 1):
        cells.append(new_markdown_cell(f"**Try this ({i}).** {t}"))
        cells.append(new_code_cell("# your code here\n"))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def to_bytes(nb: nbformat.NotebookNode) -> bytes:
    """The notebook as ``.ipynb`` bytes (validated against the nbformat schema)."""
    nbformat.validate(nb)
    return nbformat.writes(nb).encode()


def headline_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """After execution: the ``key: value`` lines the experiment cell printed."""
    out: dict[str, str] = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                for line in o.get("text", "").splitlines():
                    k, sep, v = line.partition(": ")
                    if sep:
                        out[k] = v
    return out
