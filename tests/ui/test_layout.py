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


def test_prose_reads_a_triple_quoted_block_as_the_string_it_replaces():
    from ui.layout import prose

    block = """
        A lead written as a block: its lines
        join with single spaces.

        - a list item keeps its line
        - and so does the next
        1. numbered too"""
    assert prose(block) == ("A lead written as a block: its lines join with single spaces.\n\n"
                            "- a list item keeps its line\n- and so does the next\n"
                            "1. numbered too")
    one = "One line, as before: unchanged."
    assert prose(one) == one


def _reveal_script():
    import pandas as pd
    import streamlit as st

    from ui import layout, notebook, runner

    def frame(res):
        return pd.DataFrame({"x": [0, 1], "y": res["y"]})

    recipe = notebook.Recipe(lambda: None, {}, frame, lambda df, **kw: __import__(
        "altair").Chart(df).mark_line().encode(x="x:Q", y="y:Q"))
    shown = layout.revealed("q")
    st.button("commit", on_click=lambda: st.session_state.update(revealed_q=True))
    got = layout.reveal_chart(shown, "q", recipe, {"y": [1.0, 0.5]}, key="k", name="n",
                              alt=lambda t: f"{len(t)} rows", axes=("step", "loss"))
    st.write(f"table: {None if got is None else len(got)}")
    held = runner.Held(st.container(), st.container(), None, "Train both")
    with held.top:
        held.held_back(shown, "step", "loss")


def test_reveal_chart_holds_back_until_the_commit_then_draws_the_recipe():
    at = AppTest.from_function(_reveal_script, default_timeout=30)
    at.run()
    assert not at.exception
    assert "table: None" in [m.value for m in at.markdown]
    assert not any("2 rows" in c.value for c in at.caption)
    at.button[0].click().run()
    assert "table: 2" in [m.value for m in at.markdown]
    assert any("2 rows" in c.value for c in at.caption)  # the chart's text alternative
