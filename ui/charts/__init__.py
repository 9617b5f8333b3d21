"""Pure Altair chart builders, grouped by kind (no Streamlit here):

- ``ui.charts.lines``: curves against a step, lag, length or rank;
- ``ui.charts.heatmaps``: grids and matrices, each with a colour ``scheme``;
- ``ui.charts.special``: bars, histograms, dot plots, the cliff surface, vectors, planes;
- ``ui.charts.axes``: what they share (safe log, value statuses, log ticks, reference-line
  styles, the categorical colour).

The tidy tables they draw come from ``ui.frames``; colours from ``ui.palette``.
"""
