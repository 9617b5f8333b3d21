"""Take-home notebooks: a page's experiment, chart and questions as a runnable ``.ipynb``.

A page describes its main chart once, as a :class:`Recipe`: the experiment and its settings,
the function that turns the result into a tidy table, and the chart builder with its options.
The page draws its chart from the recipe (``recipe.table(res)``, ``recipe.chart(df)``), and
``build`` writes the same calls into a notebook (nbformat v4), so the notebook cannot drift from
the page: the code is generated, not typed. Streamlit-free.

A chart that needs more than one result or result-dependent options still fits: ``before``
lists other experiment calls (:class:`Run`) whose results the frame takes too (``inputs``
names them in order), ``frame_args`` are the frame's extra keyword arguments, ``dataframe``
wraps a frame that returns columns as a dict, and ``chart_from`` (an importable function of
the result) adds options such as reference lines named by the run.

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


def _path_expr(var: str, key: str) -> str:
    """``res["runs"]["lstm"]["ratio_final"]`` for ``key`` "runs.lstm.ratio_final"."""
    return var + "".join(f"[{p!r}]" for p in key.split("."))


def lookup(result: dict, key: str) -> Any:
    """``result``'s value at a dotted ``key`` ("runs.lstm.ratio_final")."""
    for part in key.split("."):
        result = result[part]
    return result


def call_code(fn: Callable[..., dict], params: dict[str, Any], headline: Sequence[str] = (),
              var: str = "res") -> str:
    """The experiment call (``core.snippet.experiment_call``) and a ``label: value`` line per
    headline key; dotted keys reach into nested results. Results other than ``res`` label
    their lines ``var.key`` so two runs' numbers never share a label."""
    top = [k for k in headline if "." not in k] if var == "res" else []
    code = experiment_call(fn, params, show=top, var=var)
    for k in headline:
        if k not in top:
            label = k if var == "res" else f"{var}.{k}"
            code += f'print("{label}:", {_path_expr(var, k)})\n'
    return code


@dataclass(frozen=True)
class Run:
    """Another experiment call a recipe's chart needs (e.g. the untrained cells beside the
    trained ones): written into the notebook as ``var = module.fn(...)`` before the main one."""

    var: str
    fn: Callable[..., dict]
    params: dict[str, Any]
    headline: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipe:
    """How a page's main chart is made from its experiment (see the module docstring)."""

    fn: Callable[..., dict]  #: the experiment (``core.experiments.<module>.<name>``)
    params: dict[str, Any]  #: its settings on the page (missing ones take the defaults)
    frame: Callable[[dict], Any]  #: result -> tidy DataFrame (an importable function)
    builder: Callable[..., Any]  #: tidy DataFrame -> Altair chart (``ui.charts*``)
    chart_args: dict[str, Any] = field(default_factory=dict)
    #: result keys the notebook prints (the page's numbers); dotted keys reach into nested
    #: results ("runs.lstm.ratio_final")
    headline: tuple[str, ...] = ()
    before: tuple[Run, ...] = ()  #: other experiment calls the frame takes too
    inputs: tuple[str, ...] = ("res",)  #: the frame's positional arguments, by variable name
    frame_args: dict[str, Any] = field(default_factory=dict)  #: the frame's keyword arguments
    dataframe: bool = False  #: the frame returns ``{column: list}``: wrap it in a DataFrame
    #: result -> extra chart options (e.g. reference lines named by the run); importable
    chart_from: Callable[[dict], dict] | None = None

    def run(self, runner: Callable[..., dict] | None = None) -> dict:
        """The experiment's result (through ``runner(fn, **params)`` when given, e.g.
        ``ui.demos.run`` for shipped results and the admission queue)."""
        return (runner or (lambda f, **p: f(**p)))(self.fn, **self.params)

    def run_before(self, runner: Callable[..., dict] | None = None) -> dict[str, dict]:
        """The ``before`` runs' results by variable name."""
        call = runner or (lambda f, **p: f(**p))
        return {r.var: call(r.fn, **r.params) for r in self.before}

    def table(self, result: dict | None, **others: dict | None) -> Any:
        """The tidy table; ``others`` are the ``before`` results by variable name."""
        got = {**others, "res": result}
        out = self.frame(*(got[v] for v in self.inputs), **self.frame_args)
        if self.dataframe:
            import pandas as pd

            out = pd.DataFrame(out)
        return out

    def chart(self, table: Any, result: dict | None = None) -> Any:
        """The chart; ``result`` feeds ``chart_from`` (needed when it is set)."""
        extra = self.chart_from(result) if self.chart_from is not None else {}
        return self.builder(table, **self.chart_args, **extra)

    def code(self) -> str:
        """Python that reproduces the page's result and chart."""
        fmod, fname = _ref(self.frame)
        bmod, bname = _ref(self.builder)
        imports = {f"from {fmod} import {fname}", f"from {bmod} import {bname}"}
        fargs = ", ".join([*self.inputs, *(f"{k}={v!r}" for k, v in self.frame_args.items())])
        table = f"{fname}({fargs})"
        if self.dataframe:
            imports.add("import pandas as pd")
            table = f"pd.DataFrame({table})"
        args = "".join(f",\n    {k}={v!r}" for k, v in self.chart_args.items())
        if self.chart_from is not None:
            cmod, cname = _ref(self.chart_from)
            imports.add(f"from {cmod} import {cname}")
            args += f",\n    **{cname}(res)"
        imports = sorted(imports, key=lambda line: (line.startswith("from "), line))
        return "\n".join([*imports, "", f"table = {table}",
                          f"chart = {bname}(\n    table{args},\n)", "chart"]) + "\n"


def build(title: str, idea: str, recipe: Recipe, *, how_to_read: str = "",
          tries: Sequence[str] = (), page_url: str | None = None) -> nbformat.NotebookNode:
    """The notebook: title and setup, the idea, the experiment call, the chart, how to read
    it, and "try this" prompts each followed by an empty code cell."""
    head = f"# {title}\n\n{SETUP}"
    if page_url:
        head += f"\n\nThe same experiment on the app's page: `{page_url}`."
    cells = [new_markdown_cell(head), new_markdown_cell(idea)]
    cells += [new_code_cell(call_code(r.fn, r.params, r.headline, var=r.var))
              for r in recipe.before]
    cells += [new_code_cell(call_code(recipe.fn, recipe.params, recipe.headline)),
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
