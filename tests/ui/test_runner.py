from ui import runner


def test_over_cap_refuses_only_above_the_cap_and_says_the_cap_and_why():
    assert runner.over_cap(runner.CAP_ESTIMATE, "These settings", "Lower T.") is None
    msg = runner.over_cap(41.2, "These settings", "Lower T.")
    assert msg.startswith("These settings would take about 41 s")
    assert "30 s cap" in msg and "cap is 30 s" in msg and "CPU" in msg and msg.endswith("Lower T.")
    assert "cap is 10 s" in runner.over_cap(11, "This run", "Fewer steps.", cap=10)


def test_complete_means_shipped_or_trained_to_the_end():
    from ui import runner

    assert runner.complete({"status": "shipped", "result": {}})
    assert runner.complete({"status": "done", "result": {}})
    assert not runner.complete({"status": "stopped", "result": {}})
    assert not runner.complete(None)


def test_held_reads_the_run_it_holds():
    held = runner.Held(None, None, {"status": "stopped", "result": {"loss": [1.0]}}, "Train")
    assert held.result == {"loss": [1.0]} and not held.complete
    none = runner.Held(None, None, None, "Train")
    assert none.result is None and not none.complete


def _after_prediction_script():
    import streamlit as st

    from core.experiments import vanishing
    from ui import runner

    st.button("commit", on_click=lambda: st.session_state.update(revealed_q=True))
    held = runner.after_prediction("k", "q", vanishing.gradient_profile, {},
                                   run_label="Train it")
    st.write(f"status: {None if held.run is None else held.run['status']}; "
             f"complete: {held.complete}")


def test_after_prediction_offers_the_run_only_after_the_commit():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_after_prediction_script, default_timeout=60)
    at.run()
    assert not at.exception
    assert "status: None; complete: False" in [m.value for m in at.markdown]
    assert [b.label for b in at.button] == ["commit"]  # nothing to run before the commit
    at.button[0].click().run()
    assert not at.exception
    assert "status: shipped; complete: True" in [m.value for m in at.markdown]
    assert "Train it" in [b.label for b in at.button]
