"""Tidy tables for charts: reshaping an experiment's result into the long format Altair wants.

Pages call these instead of reshaping by hand. Append-only while several people edit pages:
add a function per reshaping, with its input keys and output columns in the docstring.
The one safe-log rule is ``core.claims.safe_log10`` (NaN for anything without a logarithm).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def matrix_long(values: Sequence[Sequence[float]], rows: Sequence, cols: Sequence, *,
                row: str, col: str, value: str) -> pd.DataFrame:
    """A (R, C) matrix as a long table with columns ``row``, ``col``, ``value`` (R*C rows)."""
    a = np.asarray(values, dtype=float)
    r, c = np.meshgrid(np.asarray(rows), np.asarray(cols), indexing="ij")
    return pd.DataFrame({row: r.ravel(), col: c.ravel(), value: a.ravel()})


def series_long(x: Sequence, series: dict[str, Sequence[float]], *, x_name: str,
                y_name: str, kind: str = "kind") -> pd.DataFrame:
    """Several series over the same ``x`` as one long table: columns ``x_name``, ``kind``,
    ``y_name``, one block of rows per series in the given order."""
    return pd.concat([pd.DataFrame({x_name: list(x), kind: name, y_name: list(ys)})
                      for name, ys in series.items()], ignore_index=True)


def gradient_profile(res: dict) -> pd.DataFrame:
    """``vanishing.gradient_profile`` -> columns t, norm, kind, bound: the measured
    ||dL/dh_t|| per step and, for a plain RNN, the Pascanu bound (``bound`` True)."""
    df = pd.DataFrame({"t": res["t"], "norm": res["grad_norm"],
                       "kind": "measured ||dL/dh_t||", "bound": False})
    if res.get("bound") is None:
        return df
    return pd.concat([df, pd.DataFrame({"t": res["t"], "norm": res["bound"],
                                        "kind": "Pascanu bound (σ_max·γ)^lag",
                                        "bound": True})], ignore_index=True)
