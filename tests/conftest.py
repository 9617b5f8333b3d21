"""Shared test helpers: open a page through the real entrypoint, read its charts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

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


def vega_specs(at: AppTest) -> list[dict]:
    """The Vega-Lite specs of every Altair chart on the page, parsed, with the chart's data rows
    (sent separately as Arrow) put back under ``spec["datasets"][name]``."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    out = []
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        datasets = dict(spec.get("datasets", {}))
        for ds in el.proto.datasets:
            df = convert_arrow_bytes_to_pandas_df(ds.data.data)
            datasets[ds.name] = df.to_dict("records")
        if el.proto.data.data:
            datasets["_main"] = convert_arrow_bytes_to_pandas_df(el.proto.data.data).to_dict(
                "records")
        spec["datasets"] = datasets
        out.append(spec)
    return out


def spec_fields(spec: dict) -> set[str]:
    """Every field name a chart encodes, through its layers."""
    out: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if "field" in node and isinstance(node["field"], str):
                out.add(node["field"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return out


def spec_rows(spec: dict) -> list[dict]:
    """All inline data rows of a chart (Altair puts them in top-level ``datasets``)."""
    rows: list[dict] = []
    for values in spec.get("datasets", {}).values():
        rows.extend(values)
    return rows


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
