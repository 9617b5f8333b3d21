"""Process-wide settings, made once: a modest number of torch CPU threads so sessions share the
cores, and glibc's allocator thresholds fixed (fewer page faults in long training steps)."""

from __future__ import annotations

import logging
import os
import threading

import torch

log = logging.getLogger(__name__)
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
            if not _done:
                fix_malloc()
            _done = True
    return torch.get_num_threads()


#: glibc's mmap and trim thresholds in MB, fixed once per process by :func:`configure`
#: (``RNNLAB_MALLOC_MB="64,128"``; ``"0"`` keeps glibc's own, adaptive ones).
MALLOC_MB = (64, 128)


def fix_malloc(mmap_mb: int | None = None, trim_mb: int | None = None) -> bool:
    """Fix glibc's mmap and trim thresholds (``mallopt``); True if both were set.

    By default glibc maps every block above an adaptive threshold (at most 32 MB) straight
    from the kernel, and hands the top of the heap back once 2x that is free: a long training
    step allocates and frees such blocks at every time step, and each one comes back as fresh
    pages to fault in. Measured with one thread (``bench.calibrate``), a layer-normalised GRU
    at T = 300 spent about a quarter of its CPU time in page faults, and a run's speed
    depended on what the process had run before. Fixed thresholds keep those blocks in the
    heap; :func:`release_memory` still returns the pages after every run.

    Older glibc (before 2.35 or so, e.g. Debian 11's 2.31) refuses an mmap threshold above
    32 MB; the threshold then falls back to 32 MB. A malformed ``RNNLAB_MALLOC_MB`` keeps
    glibc's own settings. What was set is logged once.
    """
    env = os.environ.get("RNNLAB_MALLOC_MB", "").strip()
    if env == "0":
        return False
    try:
        import ctypes

        if mmap_mb is None:
            mmap_mb, trim_mb = (tuple(int(x) for x in env.split(",")) if env else MALLOC_MB)
        libc = ctypes.CDLL("libc.so.6")
        # M_MMAP_THRESHOLD = -3, M_TRIM_THRESHOLD = -1 (malloc.h); each set on its own
        mmap_ok = bool(libc.mallopt(-3, int(mmap_mb) << 20))
        if not mmap_ok and int(mmap_mb) > 32:
            mmap_mb = 32
            mmap_ok = bool(libc.mallopt(-3, 32 << 20))
        trim_ok = bool(libc.mallopt(-1, int(trim_mb) << 20))
    except (OSError, AttributeError, ValueError, TypeError) as e:  # not glibc, or a bad value
        log.info("allocator thresholds left to the C library (%s)", e)
        return False
    log.info("glibc thresholds: mmap %s MB (%s), trim %s MB (%s)", mmap_mb,
             "set" if mmap_ok else "refused", trim_mb, "set" if trim_ok else "refused")
    return mmap_ok and trim_ok


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
