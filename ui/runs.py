"""Lab 2's run store and exports: every live run a learner made in this session as one table,
the note on a stopped run, and the export buttons (tables, standalone scripts) per experiment.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import lm as core_lm
from core.labels import cell_name

from . import export, frames, runner, state
from .words_compare import CELLS, LR, TASKS, final_rows


def _fmt(v) -> str:
    return "—" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v)


def session_table(key: str, out: dict | None, params: dict,
                  metric: Callable[[dict], float | None], metric_name: str) -> None:
    """A table of every live run made under ``key`` in this session (one row per run: each
    cell's ``metric``, then the settings), so seeds and settings can be compared."""
    if out is not None and out["status"] in ("done", "stopped"):
        out.setdefault("params", dict(params))  # the runner's entry remembers its settings
    runs = [r for r in runner.runs_for(key) if "params" in r]
    if not runs:
        return
    rows = []
    for i, r in enumerate(runs, 1):
        row = {"run": i, "status": r["status"]}
        for c in CELLS:
            cell_run = r["result"]["runs"].get(c)
            row[f"{cell_name(c)}: {metric_name}"] = _fmt(None if cell_run is None
                                                         else metric(cell_run))
        rows.append({**row, **r["params"]})
    st.header("Your runs this session")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Every live run you made here, newest last. Change only the **seed** and run "
               "again to see how much of a gap between the cells is luck: Chung et al. (2014) "
               "needed many runs and still could not name a better gated cell.")


def run_note(out: dict | None) -> None:
    if out is not None and out["status"] == "stopped":
        st.caption("Stopped early: cells that had not started are missing, and the one "
                   "training when you pressed Stop shows its curve so far.")


def export_tasks(res: dict, params: dict) -> None:
    """CSV/JSON of the task run's tables and one standalone script per cell."""
    tables = {"loss": frames.compare_task_loss(res),
              "gradients": frames.compare_gradient_map(res),
              "final": pd.DataFrame(final_rows(res))}
    export.downloads("lab2_tasks", tables, stem="lab2_tasks", meta=params,
                     script_note="One standalone script per cell is below.")
    cols = st.columns(3)
    for col, c in zip(cols, CELLS):
        text = export.script_text(
            dict(task=res["task"], seq_len=res["seq_len"], cell=c,
                 hidden_size=params["hidden_size"], optimizer="adam", lr=params["lr"],
                 clip="norm", clip_threshold=1.0, steps=params["steps"], batch_size=64,
                 seed=params["seed"]),
            title=f"Lab 2, {cell_name(c)} on the {TASKS[res['task']].lower()}")
        if text is not None:
            col.download_button(f"Script: {cell_name(c)}", text, f"lab2_{res['task']}_{c}.py",
                                "text/x-python", key=f"lab2_py_{c}", icon=":material/code:",
                                width="stretch", on_click="ignore",
                                help="Plain PyTorch: retrains this cell from the same seed and "
                                     "prints its final loss.")


def export_lm(key: str, res: dict, params: dict, tables: dict, **script) -> None:
    """CSV/JSON of a language-model run's tables and its standalone script (``core.lm``)."""
    fl = {c: r["final_loss"] for c, r in res["runs"].items() if r["status"] == "done"}
    text = core_lm.lm_script(cells=list(CELLS), hidden_size=params["hidden_size"],
                             steps=params["steps"], lr=params["lr"], clip=1.0,
                             seed=params["seed"], expected=fl, filename=f"{key}.py", **script)
    export.downloads(key, {**tables, "gradients": frames.compare_gradient_map(res)},
                     script=text, stem=key, meta=params)


def size_and_rate(prefix: str, defaults: dict, *, h_min: int = 8, h_max: int = 128,
                  h_step: int = 8) -> tuple[int, float]:
    """Lab 2's advanced model settings for one part (URL keys ``<prefix>H``, ``<prefix>lr``):
    the hidden size and the learning rate, shared by all three cells."""
    H = state.slider("Hidden size H", f"{prefix}H", h_min, h_max, defaults["hidden_size"],
                     step=h_step, advanced=True)
    lr = float(state.select("Learning rate", f"{prefix}lr", LR, str(defaults["lr"]),
                            help="Adam, the same for all three cells, so the comparison is "
                                 "fair.", advanced=True))
    return H, lr
