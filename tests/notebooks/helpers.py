"""Build a page's take-home notebook as the page does, execute it on a Python kernel, and
compare what it prints with the page's own result."""

from __future__ import annotations

import math

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
    nb = nbformat.reads(notebook.to_bytes(notebook.build(**spec)).decode(), as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


def assert_reproduces(nb, result: dict, keys) -> None:
    printed = notebook.headline_values(nb)
    for k in keys:
        got, want = float(printed[k]), float(result[k])
        assert math.isclose(got, want, rel_tol=1e-5), (k, got, want)
    kinds = {o.get("output_type") for c in nb.cells for o in c.get("outputs", [])}
    assert "error" not in kinds
    # the chart cell displays an Altair chart (a Vega-Lite bundle or Altair's HTML embed)
    shown = [o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])
             if o.get("output_type") == "execute_result"]
    assert any(any(k.startswith("application/vnd.vegalite") for k in d)
               or "vegaEmbed" in str(d.get("text/html", "")) for d in shown)
