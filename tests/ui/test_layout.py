"""ui.layout's page-shape pieces in a tiny app: the controls-beside-chart row, the fold for
advanced controls and the lock note, for a learner and on a projector."""

import pytest
from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from ui import layout, state

    controls, main = layout.beside()
    with controls:
        st.slider("T", 1, 10, 5)
        with layout.more_settings():
            state.slider("H", "H", 8, 64, 16, advanced=True)
    with main:
        layout.locked("the run's deeper charts.")


@pytest.mark.parametrize("instructor", [False, True], ids=["learner", "projector"])
def test_shape_pieces(instructor):
    at = AppTest.from_function(_script, default_timeout=30)
    if instructor:
        at.query_params["instructor"] = "true"
    at.run()
    assert not at.exception
    assert len(at.columns) == 2
    caption = " ".join(c.value for c in at.caption)
    if instructor:
        assert "Press Reveal above to show the run's deeper charts." in caption
        assert len(at.expander) == 0  # no empty "More settings" fold on a projector
        assert [s.label for s in at.slider] == ["T"]  # the advanced control is hidden
    else:
        assert "Commit your prediction above to see the run's deeper charts." in caption
        assert [e.label for e in at.expander] == ["More settings"]
        assert [s.label for s in at.slider] == ["T", "H"]
