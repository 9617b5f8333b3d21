import math

import pytest

from ui.state import parse_number


@pytest.mark.parametrize("raw,lo,hi,integer,want", [
    ("5", 0, 10, True, 5), ("5.0", 0, 10, True, 5), ("5.5", 0, 10, True, None),
    ("-1", 0, 10, True, None), ("11", 0, 10, True, None), ("nan", 0, 10, False, None),
    ("inf", 0, 10, False, None), ("1e308", 0, 10, False, None), ("abc", 0, 10, False, None),
    ("", 0, 10, False, None), (" 2.5 ", 0, 10, False, 2.5), ("<script>", 0, 10, False, None),
    ("0x10", 0, 100, True, None), ("1_0", 0, 100, True, 10),
])
def test_parse_number(raw, lo, hi, integer, want):
    got = parse_number(raw, lo, hi, integer=integer)
    if want is None:
        assert got is None
    else:
        assert got == want and isinstance(got, int) is integer and math.isfinite(got)


def test_matching_preset_compares_numbers_by_value():
    from ui.state import matching_preset

    opts = {"a": {"label": "A", "T": 50, "lr": "0.01"}, "b": {"label": "B", "T": 100}}
    assert matching_preset(opts, {"T": 50.0, "lr": "0.01"}) == "a"
    assert matching_preset(opts, {"T": 100, "lr": "0.02"}) == "b"
    assert matching_preset(opts, {"T": 70, "lr": "0.01"}) == "custom"
    assert matching_preset(opts, {"lr": "0.01"}) == "custom"  # a missing control never matches


def _shared_key_script():
    import streamlit as st

    from ui import state

    # What another page left in this session under the same keys: Lab 1's "lr" is a choice
    # ("0.05"), a preset wrote a string, a toggle's key holds a number.
    if st.session_state.get("_visit", 0) == 0:
        st.session_state.update(lr="0.05", T=2.5, act="sigmoid", allcol=3, thr=99.0)
    st.session_state["_visit"] = st.session_state.get("_visit", 0) + 1
    lr = state.number("Learning rate", "lr", 0.0001, 1.0, 0.05, step=0.005)
    T = state.slider("T", "T", 10, 200, 30, step=10)
    thr = state.slider("Threshold", "thr", 0.05, 20.0, 1.0, step=0.05)
    act = state.select("Nonlinearity", "act", {"tanh": "tanh", "relu": "ReLU"}, "tanh")
    on = state.toggle("All colours", "allcol", False)
    st.write(f"{lr!r} {T!r} {thr!r} {act!r} {on!r}")


def test_a_value_another_page_left_under_the_same_key_gives_the_default_not_a_crash():
    """Session state outlives a page and pages share URL keys with other meanings: visiting
    section 2 after Lab 1 crashed on Lab 1's "lr" = "0.05" (a string in a number box)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_shared_key_script, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    assert at.markdown[-1].value == "0.05 30 1.0 'tanh' False"
    at.run()  # and the controls keep working afterwards
    assert not at.exception
    assert at.markdown[-1].value == "0.05 30 1.0 'tanh' False"


def _two_pages_script():
    import streamlit as st

    from ui import state

    page = st.session_state.get("_which", "lab1")
    state.enter_page(page)
    if page == "lab1":
        state.presets({"calm": {"label": "Tame", "gain": 0.9}})
        st.session_state["revealed_lab1"] = True
    g = state.slider("Recurrent gain", "gain", 0.5, 4.0, 2.0 if page == "s2" else 1.0)
    st.write(f"{page} gain {g}")


def test_arriving_from_another_page_starts_the_controls_afresh():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_two_pages_script, default_timeout=30)
    at.run()
    at.slider[0].set_value(0.9).run()
    assert at.markdown[-1].value == "lab1 gain 0.9"
    at.run()  # a rerun of the same page keeps its settings
    assert at.markdown[-1].value == "lab1 gain 0.9"
    at.session_state["_which"] = "s2"
    at.run()  # another page: its own default, not Lab 1's value
    assert at.markdown[-1].value == "s2 gain 2.0"
    assert at.session_state["revealed_lab1"]  # a committed prediction is not a control
    assert "preset" not in at.session_state


def _hidden_seed_script():
    import streamlit as st

    from ui import state

    if "seed" not in st.session_state:
        st.session_state["seed"] = 3.0  # what a number box keeps for a whole number
    s = state.seed(0)  # advanced: hidden on a projector
    st.write(f"{s!r}")


def test_a_hidden_whole_number_control_gives_an_int():
    """On a projector the seed box is hidden and its value comes from the session state, where
    the box keeps a float; the page's snippet showed ``seed=3.0``, which torch refuses."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_hidden_seed_script, default_timeout=30)
    at.query_params["instructor"] = "true"
    at.run()
    assert not at.exception
    assert at.markdown[-1].value == "3"
