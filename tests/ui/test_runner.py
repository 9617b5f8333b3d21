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
