"""RNN Gradient Lab's engine: torch only, no Streamlit. Usable from a notebook.

- ``core.tasks``: adding problem, copy memory, temporal order, with chance baselines.
- ``core.models``: ``build_model`` -> a recurrent net with inspectable steps.
- ``core.probes``: dL/dh_t in one backward pass, per-step dL/dW_hh, Jacobian norms, bounds.
- ``core.training``: one training loop returning a tidy history, NaN-safe.
- ``core.experiments``: the pure functions behind each page's charts.
"""
