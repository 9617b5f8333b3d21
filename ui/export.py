"""Export a lab run: every chart's data as CSV or JSON, and "download as script".

``layout.show`` already puts a CSV / JSON button under each chart. This module adds the
one-stop export a lab shows after a run: all of the run's tables at once, plus a standalone
PyTorch script (``core.script``) that retrains the run and prints the same final loss.

Usage on a page::

    from ui import export
    export.downloads("lab1", {"loss": loss_df, "grad_norm": gnorm_df},
                     script=export.script_text(config, title="Lab 1, norm clipping"),
                     stem="lab1_clipping")

``downloads`` draws three buttons (keys ``exp_csv_<key>``, ``exp_json_<key>``,
``exp_py_<key>``): CSV (a single ``.csv`` for one table, a ``.zip`` of one CSV per table for
several), JSON (one file ``{table name: [row, ...]}``; NaN and inf become null, as JSON has no
such numbers; the CSV writes NaN as an empty cell and inf as ``inf``), and the script when
``script`` is given.
The pure helpers ``csv_payload``, ``json_payload`` and ``script_text`` build the bytes without
Streamlit, for tests.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pandas as pd
import streamlit as st

from core import script as core_script
from core.claims import json_ready

__all__ = ["downloads", "csv_payload", "json_payload", "script_text", "safe_name"]


def safe_name(name: str) -> str:
    """A file-name-safe stem: letters, digits, ``_`` and ``-`` only."""
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", str(name)).strip("_")
    return s or "data"


def csv_payload(data: dict[str, pd.DataFrame], stem: str) -> tuple[bytes, str, str]:
    """``(bytes, file name, mime)``: one CSV for one table, else a zip of one CSV per table."""
    stem = safe_name(stem)
    if len(data) == 1:
        (df,) = data.values()
        return df.to_csv(index=False).encode(), f"{stem}.csv", "text/csv"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, df in data.items():
            z.writestr(f"{stem}_{safe_name(name)}.csv", df.to_csv(index=False))
    return buf.getvalue(), f"{stem}_csv.zip", "application/zip"


def json_payload(data: dict[str, pd.DataFrame], meta: dict[str, Any] | None = None) -> str:
    """One JSON object ``{"settings": meta, "<table>": [rows...]}`` (NaN / inf -> null)."""
    out: dict[str, Any] = {}
    if meta:
        out["settings"] = json_ready(meta)
    for name, df in data.items():
        rows = df.astype(object).where(pd.notna(df), None).to_dict("records")
        out[name] = json_ready(rows)
    return json.dumps(out, indent=1, allow_nan=False, default=str)


def script_text(config: dict[str, Any], *, title: str | None = None) -> str | None:
    """The standalone script for ``config`` (see ``core.script``), or None if unsupported."""
    if core_script.unsupported(config) is not None:
        return None
    return core_script.training_script(config, title=title)


def downloads(key: str, data: dict[str, pd.DataFrame], script: str | None = None, *,
              stem: str = "rnn_lab_run", meta: dict[str, Any] | None = None,
              script_note: str | None = None, script_name: str | None = None,
              where: Any = None) -> None:
    """Export buttons for one run: all tables as CSV and JSON, and the script when given.

    key: unique on the page (button keys derive from it). data: table name -> DataFrame, e.g.
    one per chart. script: the text of a ``.py`` file (``script_text(config)``), or None to
    leave the button out. meta: settings written at the top of the JSON. script_note: shown
    under the buttons when there is no script, to say why. script_name: the script's file stem
    (default ``stem``), e.g. named after the one run it reproduces.
    """
    target = where or st
    with target.container(border=True):
        st.markdown(":material/ios_share: **Export this run**")
        cols = st.columns(3 if script is not None else 2)
        # the files are built only when clicked (deferred), not on every rerun of the page
        zipped = len(data) != 1
        fname = f"{safe_name(stem)}_csv.zip" if zipped else f"{safe_name(stem)}.csv"
        mime = "application/zip" if zipped else "text/csv"
        cols[0].download_button(
            "Data as CSV" + (" (zip)" if zipped else ""),
            lambda: csv_payload(data, stem)[0], fname, mime,
            key=f"exp_csv_{key}", icon=":material/download:", width="stretch", on_click="ignore",
            help="Every chart's numbers: " + ", ".join(data) + ".")
        cols[1].download_button(
            "Data as JSON", lambda: json_payload(data, meta), f"{safe_name(stem)}.json",
            "application/json", key=f"exp_json_{key}", icon=":material/download:",
            on_click="ignore", width="stretch",
            help="The same tables in one JSON file, with the settings.")
        if script is not None:
            py = f"{safe_name(script_name or stem)}.py"
            cols[2].download_button(
                "Download as script", script, py, "text/x-python",
                key=f"exp_py_{key}", icon=":material/code:", width="stretch", on_click="ignore",
                help="A standalone Python file (needs only torch) that retrains this run "
                     "and prints the same final loss.")
            st.caption("The script uses plain PyTorch, no code from this app: "
                       f"`python {py}` retrains the run from the same seed and prints its "
                       "final loss; `--steps 50` for a quick look.")
        elif script_note:
            st.caption(script_note)
