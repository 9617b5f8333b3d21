"""What a page visit costs the server, kept low, and measured when asked.

Garbage collection was most of a warm visit's server CPU. Streamlit runs a full collection
after every script run (``runner.postScriptGC``, off in ``.streamlit/config.toml``); with
torch, pandas and Altair loaded the heap holds about 270 000 objects, so each full pass took
0.08-0.15 CPU-seconds, more than the scripts of most pages. :func:`freeze_new_modules` moves
the objects alive after a run that imported new modules (module globals, classes, caches)
into the collector's permanent generation, so Python's own, automatic full collections stop
walking them too. Garbage cycles made by the pages are still collected automatically.

:func:`timed` logs each script run's wall time and the script thread's CPU time when the
server runs with ``RNNLAB_TIMING=1`` (``bench.visit`` reads these lines from the server log):

    RNNLAB_TIMING page=vanishing wall=0.2141 cpu=0.1873 end=done
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
from collections.abc import Iterator

_lock = threading.Lock()
_modules_seen = [0]


def freeze_new_modules() -> bool:
    """After a script run: when modules were imported since the last freeze, move everything
    alive now into the permanent generation (``gc.freeze``). Returns whether it froze.

    Only a handful of runs per server process import modules (the first visit of each page),
    so little else is frozen with them; objects frozen stay alive for the process's life."""
    n = len(sys.modules)
    with _lock:
        if n == _modules_seen[0]:
            return False
        _modules_seen[0] = n
    gc.freeze()
    return True


def timing_enabled() -> bool:
    return os.environ.get("RNNLAB_TIMING", "") not in ("", "0")


@contextlib.contextmanager
def timed(page: str) -> Iterator[None]:
    """Log the run's wall and thread-CPU seconds (only with ``RNNLAB_TIMING=1``)."""
    if not timing_enabled():
        yield
        return
    w0, c0 = time.perf_counter(), time.thread_time()
    end = "done"
    try:
        yield
    except BaseException:  # Streamlit's Stop/Rerun (a superseded run) or an error
        end = "stopped"
        raise
    finally:
        print(f"RNNLAB_TIMING page={page or 'home'} wall={time.perf_counter() - w0:.4f} "
              f"cpu={time.thread_time() - c0:.4f} end={end}", file=sys.stderr, flush=True)
