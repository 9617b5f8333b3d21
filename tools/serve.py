"""Start ``streamlit run app.py`` on a free local port and wait until it answers.

Used by the browser tests, the screenshot tool and the load script.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ui.layout import PAGE_END_ID

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def wait_ready(page, timeout_ms: int = 90_000, settle_ms: int = 800) -> None:
    """Wait (Playwright, sync) until Streamlit has finished running the page's script: every
    page ends with the element ``ui.layout.footer`` draws, and the status widget is gone."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]') && "
        f"document.getElementById('{PAGE_END_ID}') !== null", timeout=timeout_ms)
    page.wait_for_timeout(settle_ms)
    # Charts paint after the script ends: wait until no element is stale or still loading.
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"]') && "
        "!document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout_ms)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(port: int | None = None, env: dict[str, str] | None = None, timeout: float = 60):
    """Run the app; yields its base URL (``http://127.0.0.1:PORT``) and the process, and stops
    it afterwards. The server's log (stderr) goes to a temporary file, ``proc.log_path``: a pipe
    nobody reads would fill up and stall the server under load."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    log = tempfile.NamedTemporaryFile("w+b", prefix="rnnlab_server_", suffix=".log",
                                      delete=False)
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=log)
    proc.log_path = log.name  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {read_log(proc)[-2000:]}")
            if time.time() > deadline:
                raise TimeoutError("streamlit did not start")
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


def read_log(proc) -> str:
    """What the server started by :func:`server` has written to its log so far."""
    try:
        with open(proc.log_path, "rb") as f:
            return f.read().decode(errors="replace")
    except (AttributeError, OSError):
        return ""
