"""Build a page's take-home notebook as the page does, execute it on a Python kernel, and
compare what it prints with the page's own result."""

from __future__ import annotations

import ast
import math
import os

import nbformat
from nbclient import NotebookClient

from tests.conftest import ROOT, open_page
from ui import notebook
from ui.nav import by_file


def page_notebook(file: str, query: dict[str, str] | None = None):
    at = open_page(file, query)
    assert not at.exception, [e.value for e in at.exception]
    spec = at.session_state[f"_notebook_{by_file(file).url}"]
    return at, spec


def execute(spec: dict, timeout: int = 600) -> nbformat.NotebookNode:
    """Run the notebook on a fresh Python kernel in the repository root. The kernel computes
    on one thread (as the app does per session), so parallel test workers do not fight over
    the cores."""
    nb = nbformat.reads(notebook.to_bytes(notebook.build(**spec)).decode(), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    client.execute(env=env)  # start_kernel's options: the kernel's environment
    return nb


def close(got, want, rel_tol: float = 1e-5) -> bool:
    """Numbers equal to ``rel_tol`` (shipped results keep 7 significant digits), also inside
    lists and dicts; NaN equals NaN."""
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(
            close(got[k], want[k], rel_tol) for k in want)
    if isinstance(want, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(want) and all(
            close(g, w, rel_tol) for g, w in zip(got, want))
    if isinstance(want, bool) or want is None or isinstance(want, str):
        return got == want
    got, want = float(got), float(want)
    return (math.isnan(got) and math.isnan(want)) or math.isclose(got, want, rel_tol=rel_tol)


def _value(text: str):
    """A printed value back as Python (``nan``/``inf`` included)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return eval(text, {"__builtins__": {}}, {"nan": math.nan, "inf": math.inf})


def assert_reproduces(nb, result: dict, keys, prefix: str = "") -> None:
    """The notebook printed ``result``'s value for every (dotted) key in ``keys``, labelled
    ``prefix + key``, ran without an error and displayed a chart."""
    printed = notebook.headline_values(nb)
    for k in keys:
        got, want = _value(printed[prefix + k]), notebook.lookup(result, k)
        assert close(got, want), (k, got, want)
    kinds = {o.get("output_type") for c in nb.cells for o in c.get("outputs", [])}
    assert "error" not in kinds
    # the chart cell displays an Altair chart (a Vega-Lite bundle or Altair's HTML embed)
    shown = [o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])
             if o.get("output_type") == "execute_result"]
    assert any(any(k.startswith("application/vnd.vegalite") for k in d)
               or "vegaEmbed" in str(d.get("text/html", "")) for d in shown)
