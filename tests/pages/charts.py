"""Read a page's Altair charts in an AppTest: their Vega-Lite specs, the fields they encode and
their data rows."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


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


def specs_with(at: AppTest, *fields: str) -> list[dict]:
    """The page's charts that encode every one of ``fields``."""
    return [s for s in vega_specs(at) if set(fields) <= spec_fields(s)]
