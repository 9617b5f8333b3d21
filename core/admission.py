"""One process-wide queue for heavy work, so a class sharing a small server takes turns.

Every Streamlit session runs its script in a thread of ONE Python process. Without a limit,
three learners who each start a big run split two CPU cores three ways and all of them hit the
time cap. :class:`Admission` lets at most ``slots`` jobs run at once (the server's cores, or
``RNNLAB_MAX_JOBS``) and queues the rest first come, first served:

    with ADMISSION.slot("lab1", poll=check, on_wait=show_place) as ticket:
        result = experiment(..., report=lambda f, part: ticket.check())

* ``on_wait(place, running, slots)`` is called while the job waits (``place`` = 1 means next),
  whenever its place changes and about every ``refresh`` seconds.
* ``poll()`` is called while waiting and on every :meth:`Ticket.check`: it may raise to abandon
  the job (the Streamlit side raises when the page run that asked for it is gone).
* :meth:`Ticket.cancel` (from any thread) makes a waiting job leave the queue and a running
  job's next :meth:`Ticket.check` raise :class:`Cancelled`.

The slot is released however the block ends (result, exception, cancellation), and nothing
here knows about torch or Streamlit.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["Admission", "Cancelled", "Ticket", "ADMISSION", "max_jobs"]

#: Environment variable that overrides the number of heavy jobs allowed at once.
ENV = "RNNLAB_MAX_JOBS"


class Cancelled(Exception):
    """The job was cancelled while it waited or ran; its partial work must not be kept."""


def max_jobs() -> int:
    """How many heavy jobs may run at once: ``RNNLAB_MAX_JOBS`` if it is a positive integer,
    else the number of CPU cores (at least 1)."""
    raw = os.environ.get(ENV, "").strip()
    try:
        n = int(raw) if raw else 0
    except ValueError:
        n = 0
    return max(1, n if n > 0 else (os.cpu_count() or 1))


_ids = itertools.count(1)


@dataclass(eq=False)
class Ticket:
    """One job's place: ``state`` is "waiting", "running", "done" or "cancelled"."""

    label: str
    poll: Callable[[], None] | None = None
    id: int = field(default_factory=lambda: next(_ids))
    state: str = "waiting"
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    _owner: Admission | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop: a waiting job leaves the queue, a running one stops at its
        next :meth:`check`. Safe from any thread; does nothing once the job has ended."""
        self._cancel.set()
        if self._owner is not None:
            self._owner._wake()

    def check(self) -> None:
        """Raise if the job should end now: whatever ``poll`` raises, else :class:`Cancelled`
        when it was cancelled. Call it often from inside the work (e.g. a ``report``)."""
        if self.poll is not None:
            self.poll()
        if self._cancel.is_set():
            raise Cancelled(self.label)

    def should_stop(self) -> bool:
        """:meth:`check` in the shape of ``core.training.train(should_stop=...)``: it raises
        instead of returning True, so a cancelled run never ends as a short "result"."""
        self.check()
        return False


@dataclass(frozen=True)
class Event:
    """One line of the admission log (for tests and the server log)."""

    ticket: int
    label: str
    what: str  # "queued", "started", "done", "failed", "cancelled", "abandoned"
    place: int
    at: float


class Admission:
    """At most ``slots`` jobs at once, first come first served (see the module docstring)."""

    def __init__(self, slots: int | None = None, *, log_size: int = 200):
        self.slots = max(1, int(slots if slots is not None else max_jobs()))
        self._cond = threading.Condition()
        self._waiting: collections.deque[Ticket] = collections.deque()
        self._running: list[Ticket] = []
        self.log: collections.deque[Event] = collections.deque(maxlen=log_size)

    # -- observation -------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """``{"slots", "running", "waiting"}``: the counts right now."""
        with self._cond:
            return {"slots": self.slots, "running": len(self._running),
                    "waiting": len(self._waiting)}

    def waiting(self) -> list[Ticket]:
        """The waiting tickets, next to start first."""
        with self._cond:
            return list(self._waiting)

    def place(self, ticket: Ticket) -> int:
        """1 for the next job to start, 2 behind it, ...; 0 when running or gone."""
        with self._cond:
            return self._place(ticket)

    def _place(self, ticket: Ticket) -> int:
        try:
            return self._waiting.index(ticket) + 1
        except ValueError:
            return 0

    def _note(self, t: Ticket, what: str, place: int = 0) -> None:
        self.log.append(Event(t.id, t.label, what, place, time.monotonic()))

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- the queue ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def slot(self, label: str = "", *, poll: Callable[[], None] | None = None,
             on_wait: Callable[[int, int, int], None] | None = None,
             refresh: float = 1.0, tick: float = 0.1) -> Iterator[Ticket]:
        """Wait for a free slot (FIFO), run the block holding it, release it however the block
        ends. Raises :class:`Cancelled` (or whatever ``poll`` raises) while waiting."""
        ticket = Ticket(label, poll, _owner=self)
        with self._cond:
            self._waiting.append(ticket)
            self._note(ticket, "queued", len(self._waiting))
        outcome = "failed"
        try:
            self._wait(ticket, on_wait, refresh, tick)
            yield ticket
            outcome = "done"
        except Cancelled:
            outcome = "cancelled"
            raise
        except Exception:
            outcome = "cancelled" if ticket.cancelled else "failed"
            raise
        except BaseException:  # e.g. Streamlit's StopException: the page run is gone
            outcome = "abandoned"
            raise
        finally:
            with self._cond:
                if ticket in self._running:
                    self._running.remove(ticket)
                with contextlib.suppress(ValueError):
                    self._waiting.remove(ticket)
                ticket.state = "done" if outcome == "done" else "cancelled"
                self._note(ticket, outcome)
                self._cond.notify_all()

    def _wait(self, ticket: Ticket, on_wait, refresh: float, tick: float) -> None:
        shown, shown_at = None, 0.0
        while True:
            with self._cond:
                if ticket.cancelled:
                    raise Cancelled(ticket.label)
                if self._waiting and self._waiting[0] is ticket and \
                        len(self._running) < self.slots:
                    self._waiting.popleft()
                    self._running.append(ticket)
                    ticket.state, ticket.started_at = "running", time.monotonic()
                    self._note(ticket, "started")
                    self._cond.notify_all()  # the next in line may fit too
                    return
                place, running = self._place(ticket), len(self._running)
            # outside the lock: these may be slow, or raise to abandon the wait
            if ticket.poll is not None:
                ticket.poll()
            now = time.monotonic()
            if on_wait is not None and (place != shown or now - shown_at >= refresh):
                on_wait(place, running, self.slots)
                shown, shown_at = place, now
            with self._cond:
                if not ticket.cancelled and not (self._waiting and self._waiting[0] is ticket
                                                 and len(self._running) < self.slots):
                    self._cond.wait(timeout=tick)


#: The process-wide queue every page shares.
ADMISSION = Admission()
