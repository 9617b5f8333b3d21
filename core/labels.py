"""Names learners read for the app's choices: one place for cell, start and norm labels.

Torch-free, so pages, charts and notebooks can all import it. Colours live in ``ui.palette``.
"""

from __future__ import annotations

#: Cell type -> the label a control shows.
CELL_LABELS: dict[str, str] = {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
#: Recurrent initialisation -> label.
INIT_LABELS: dict[str, str] = {"default": "PyTorch default", "xavier": "Xavier",
                               "orthogonal": "Orthogonal", "identity": "Identity (IRNN)"}
#: Normalisation inside the recurrent step -> label.
NORM_LABELS: dict[str, str] = {"none": "No normalisation", "layer": "Layer norm",
                               "batch": "Recurrent batch norm"}
#: Gradient clipping -> label.
CLIP_LABELS: dict[str, str] = {"none": "No clipping", "norm": "Norm clipping",
                               "value": "Value clipping"}


def cell_name(cell: str, nonlinearity: str = "tanh") -> str:
    """The name of a cell in sentences and legends: "tanh RNN", "ReLU RNN", "LSTM", "GRU"."""
    if cell == "rnn":
        return f"{'ReLU' if nonlinearity == 'relu' else 'tanh'} RNN"
    return CELL_LABELS.get(cell, cell)
