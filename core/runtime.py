"""Process-wide torch settings: a modest number of CPU threads so sessions share the cores."""

from __future__ import annotations

import os
import threading

import torch

_done = False
_lock = threading.Lock()


def configure(threads: int | None = None) -> int:
    """Set torch's intra-op threads once per process (``RNNLAB_THREADS``, default 1). Returns
    the count.

    One thread per request is the fair choice on a 2-core server with several learners; at the
    app's sizes (H <= 256) a second thread buys little. Sessions call this before a live run;
    only the first call sets anything (under a lock, so two sessions starting together do not
    both set it), and an explicit ``threads`` (tools, benchmarks) sets it again.
    """
    global _done
    n = threads or int(os.environ.get("RNNLAB_THREADS", "1") or 1)
    n = max(1, min(n, os.cpu_count() or 1))
    with _lock:
        if not _done or threads:
            torch.set_num_threads(n)
            _done = True
    return torch.get_num_threads()


def release_memory() -> None:
    """Hand freed heap pages back to the OS after a big run (glibc ``malloc_trim``).

    Torch's CPU allocator frees into glibc's arenas, which keep the pages; on a small shared
    server that reads as a session holding hundreds of MB it no longer uses.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        pass
