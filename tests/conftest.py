"""Shared test helpers: open a page through the real entrypoint, answer its prediction, run
its generated snippets, fake a stopped run (the charts are read by tests/pages/charts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.pages.charts import spec_fields, spec_rows, vega_specs  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")

torch.set_num_threads(1)


def open_page(file: str, query: dict[str, str] | None = None, timeout: float = 120) -> AppTest:
    """Run ``app.py`` and switch to ``pages/<file>``, with optional URL query parameters."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    if query:
        at.query_params.update(query)
    at.switch_page(f"pages/{file}")
    at.run()
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


@pytest.fixture
def page():
    return open_page


def commit(at: AppTest, key: str, option: str | None = None) -> AppTest:
    """Answer the page's prediction ``key`` (``layout.prediction``) and press Commit (or, in
    instructor mode, Reveal): the page then shows its main result."""
    if option is not None:
        at.radio(key=f"predict_{key}").set_value(option).run()
    at.button(key=f"commit_{key}").click().run()
    return at


def code_blocks(at: AppTest) -> list[str]:
    """The source of every ``st.code`` block on the page (the generated snippets)."""
    return [c.value for c in at.code]


def open_as_instructor(file: str, timeout: float = 60) -> AppTest:
    """Open ``pages/<file>`` with ``?instructor=true`` in the URL from the first run on."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params["instructor"] = "true"
    at.run()
    at.switch_page(f"pages/{file}")
    at.run()
    return at


def snippet_source(at: AppTest, marker: str) -> str:
    """The one generated snippet on the page that contains ``marker``."""
    (src,) = [c for c in code_blocks(at) if marker in c]
    return src


def run_snippet(src: str, quiet: bool = True) -> dict:
    """Execute a generated snippet (its ``print`` calls silenced when ``quiet``) and return its
    namespace (``ns["res"]`` is the experiment's result)."""
    if quiet:
        src = src.replace("print(", "(lambda *a: None)(")
    ns: dict = {}
    exec(compile(src, "<snippet>", "exec"), ns)
    return ns


def partials(experiment, params: dict) -> list[tuple[float, dict]]:
    """Every ``(fraction done, partial result)`` that ``experiment(**params)`` reports."""
    out: list[tuple[float, dict]] = []
    experiment(**params, report=lambda f, p: out.append((f, p)))
    return out


def store_run(at: AppTest, prefix: str, params: dict, result: dict, status: str = "running",
              seconds: float = 1.5) -> None:
    """Put ``result`` in the runner's store as the run of ``params`` on the page whose runs are
    keyed ``prefix``: a Stop interrupts the script and leaves the entry as it was ("running",
    the runner then marks it stopped) with the partial result handed to ``report``."""
    from ui import demos, runner

    key = f"{prefix}:{demos.canonical(params)}"
    at.session_state[runner._STORE] = {key: {"status": status, "result": result,
                                             "seconds": seconds}}
