"""ui.perf: no full garbage collection after every script run, frozen imports, timing lines."""

import gc
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ui import perf

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_does_not_collect_garbage_after_every_run():
    code = ("from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(config.get_option('runner.postScriptGC'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == "False"


def test_freeze_only_when_modules_were_imported(monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    perf._modules_seen[0] = 0
    assert perf.freeze_new_modules() is True and frozen == [1]
    assert perf.freeze_new_modules() is False and frozen == [1]  # nothing new: no freeze
    monkeypatch.setitem(sys.modules, "rnnlab_fake_module", object())
    assert perf.freeze_new_modules() is True and frozen == [1, 1]


def test_timed_logs_only_when_asked(monkeypatch, capsys):
    monkeypatch.delenv("RNNLAB_TIMING", raising=False)
    with perf.timed("vanishing"):
        pass
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("RNNLAB_TIMING", "1")
    with perf.timed("vanishing"):
        sum(range(1000))
    line = capsys.readouterr().err.strip()
    assert re.fullmatch(r"RNNLAB_TIMING page=vanishing wall=[\d.]+ cpu=[\d.]+ end=done", line)
    with pytest.raises(KeyError), perf.timed(""):
        raise KeyError("x")
    assert capsys.readouterr().err.strip().endswith("end=stopped")
    from bench.visit import _TIMING

    assert _TIMING.search(line)
