"""``python -m tools.pulse``: new prints one JSON line; show prints tallies; close needs the
key. Run as a subprocess against a temporary SQLite file (RNNLAB_PULSE_URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from ui import pulse_store as ps


@pytest.fixture
def env(tmp_path):
    url = f"sqlite:///{tmp_path}/pulse.sqlite"
    return {**os.environ, ps.ENV_URL: url, "HOME": str(tmp_path)}


def cli(env, *args):
    return subprocess.run([sys.executable, "-m", "tools.pulse", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_new_show_close(env):
    out = cli(env, "new")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1
    made = json.loads(lines[0])
    assert set(made) == {"room", "key"}
    code, key = made["room"], made["key"]
    assert ps.format_code(code) == code and len(key) >= 20

    out = cli(env, "show", code)
    assert out.returncode == 0 and json.loads(out.stdout) == {}

    # the app writes to the same database
    engine = ps.make_engine(env[ps.ENV_URL])
    store = ps.store_for(engine)
    opts = ["shrinks", "grows"]
    for answer in ("shrinks", "shrinks", "grows"):
        store.record(code, "s1:depth", ps.new_session_id(), answer, opts, correct=0)
    store.record(code, "quiz:q1", ps.new_session_id(), "grows", opts)
    engine.dispose()

    out = cli(env, "show", code.lower().replace("-", ""))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"s1:depth": {"shrinks": 2, "grows": 1},
                                      "quiz:q1": {"shrinks": 0, "grows": 1}}
    assert cli(env, "show", code, "--key", key).returncode == 0
    assert cli(env, "show", code, "--key", "nope").returncode == 3

    bad = cli(env, "close", code, "--key", "nope")
    assert bad.returncode == 3 and "does not open" in bad.stderr
    assert cli(env, "close", code).returncode == 2  # argparse: --key is required
    done = cli(env, "close", code, "--key", key)
    assert done.returncode == 0 and json.loads(done.stdout) == {"closed": code}
    gone = cli(env, "show", code)
    assert gone.returncode == 2 and "no open class room" in gone.stderr


def test_bad_code_and_unusable_database(env, tmp_path):
    out = cli(env, "show", "not-a-room-code")
    assert out.returncode == 2 and "8 letters" in out.stderr and out.stdout == ""
    (tmp_path / "file").write_text("")
    broken = {**env, ps.ENV_URL: f"sqlite:///{tmp_path}/file/pulse.sqlite"}
    out = cli(broken, "new")
    assert out.returncode == 1 and "unavailable" in out.stderr and "Traceback" not in out.stderr


def test_the_cli_never_imports_streamlit(env):
    code = "import sys, tools.pulse, ui.pulse_store; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_default_database_is_the_apps_and_secrets_are_read_from_the_project(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != ps.ENV_URL}
    env["HOME"] = str(tmp_path)
    code = ("from ui import pulse_store as ps; u, _ = ps.resolve_url(); print(u)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    expected = ps.default_url()
    if (ROOT / ".streamlit" / "secrets.toml").exists():  # a deployment's own settings win
        pytest.skip("this checkout has a secrets.toml")
    assert out.stdout.strip() == expected
