"""Client timeouts: the ``ClientTimeout`` value and the timers that enforce it.

- :class:`TimerContext` is a *synchronous* context manager that remembers the tasks
  running inside it; when its deadline fires it cancels them, and the cancellation comes
  out of the ``with`` block as ``asyncio.TimeoutError``. ``StreamReader`` wraps its waits
  in one so the ``total`` timeout also covers reading a body after ``request()`` returned.
- :class:`TimeoutHandle` owns the deadline (``loop.call_at``) and hands out the timer.
- :func:`ceil_timeout` is the ``async with`` form for one block of code, with an
  optional exception factory (e.g. :class:`ConnectionTimeoutError`).
- :class:`ReadTimer` is a reusable, resettable timer for ``sock_read``: the protocol
  resets it on every chunk of data and it fires a callback when the peer is silent.
- :class:`DeadlineClock` keeps one loop timer for many deadlines: a session's
  :class:`RequestTimer` (the ``total`` timeout) and its connector's idle cleanup.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from toolkit._checks import check_number
from toolkit.helpers import TimerContext, TimerNoop

__all__ = (
    "ClientTimeout",
    "DEFAULT_TIMEOUT",
    "Cancellable",
    "ClockHandle",
    "DeadlineClock",
    "ReadTimer",
    "RequestTimer",
    "TimerContext",
    "TimerNoop",
    "TimeoutHandle",
    "ceil_timeout",
    "calculate_deadline",
)


@dataclass(frozen=True)
class ClientTimeout:
    """Timeouts of a request, in seconds; ``None`` (or 0) disables one.

    - ``total``: the whole operation, connection included, body reading included.
    - ``connect``: getting a connection: waiting for a free pool slot plus connecting.
    - ``sock_connect``: one connection attempt to one peer address.
    - ``sock_read``: the longest silence between two chunks read from the peer.
    - ``ceil_threshold``: timeouts longer than this are rounded up to a whole second of
      the loop's clock so that many timers can share one wake-up.

    A value that is not a number (or None), a NaN or an infinity raises ``TypeError`` or
    ``ValueError`` here. A negative timeout disables the check, as 0 does (aiohttp's
    behaviour).
    """

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5

    def __post_init__(self) -> None:
        for name in ("total", "connect", "sock_read", "sock_connect"):
            check_number("ClientTimeout", name, getattr(self, name), none=True, lowest="any")
        check_number("ClientTimeout", "ceil_threshold", self.ceil_threshold, lowest="any")


#: Five minutes for everything and 30 seconds for each connection attempt.
DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, sock_connect=30)


def calculate_deadline(
    loop: asyncio.AbstractEventLoop, delay: float | None, ceil_threshold: float = 5
) -> float | None:
    """The loop time at which ``delay`` expires, rounded up when it is long; None if off."""
    if delay is None or delay <= 0:
        return None
    when = loop.time() + delay
    if delay > ceil_threshold:
        when = math.ceil(when)
    return when


class Cancellable(Protocol):
    """What :meth:`TimeoutHandle.start` returns: something that can be cancelled."""

    def cancel(self) -> None:
        """Stop the deadline from firing."""


class TimeoutHandle:
    """A deadline ``timeout`` seconds from :meth:`start` that runs registered callbacks.

    With ``clock`` (a :class:`DeadlineClock` owned by the caller), deadlines rounded up
    to a whole second wait on the clock's one loop timer instead of a timer each.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        timeout: float | None,
        ceil_threshold: float = 5,
        clock: DeadlineClock | None = None,
    ) -> None:
        self._loop = loop
        self._timeout = timeout
        self._ceil_threshold = ceil_threshold
        self._clock = clock
        self._callbacks: list[Callable[[], None]] = []

    def register(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the deadline fires."""
        self._callbacks.append(callback)

    def close(self) -> None:
        """Forget the callbacks (the deadline, if scheduled, then does nothing)."""
        self._callbacks.clear()

    def start(self) -> Cancellable | None:
        """Schedule the deadline; None when the timeout is disabled."""
        timeout = self._timeout
        if timeout is None or timeout <= 0:
            return None
        loop = self._loop
        when = loop.time() + timeout
        if timeout <= self._ceil_threshold:
            return loop.call_at(when, self._fire)
        when = math.ceil(when)
        if self._clock is None:
            return loop.call_at(when, self._fire)
        return ClockHandle(self._clock, when, self._fire)

    def timer(self) -> TimerContext | TimerNoop:
        """A timer that expires with this handle (a no-op one when disabled)."""
        if self._timeout is None or self._timeout <= 0:
            return TimerNoop()
        timer = TimerContext(self._loop)
        self.register(timer.timeout)
        return timer

    def _fire(self) -> None:
        for callback in self._callbacks:
            try:
                callback()
            except Exception as exc:  # a broken callback must not stop the others
                self._loop.call_exception_handler(
                    {"message": "error in a timeout callback", "exception": exc}
                )
        self._callbacks.clear()


class DeadlineClock:
    """One loop timer for many deadlines: the ``total`` timeouts of a session's
    requests and the idle-connection cleanup of their connector.

    Deadlines at the same loop time (rounded up to a whole second when long) form one
    group. The clock keeps a single ``loop.call_at`` for the earliest group, but never
    further ahead than ``horizon`` seconds (rounded the same way): a deadline that comes
    due within the horizon once it is added later (a connection that goes back to a pool
    with ``keepalive_timeout=horizon`` after a request started) then finds the timer
    early enough and does not move it. Waking early only re-arms the timer. With no
    deadline left the timer is cancelled, so an idle clock costs the loop nothing.

    Members are callables; :meth:`add` returns the group that :meth:`discard` takes.
    """

    __slots__ = (
        "_armed_at",
        "_ceil_threshold",
        "_groups",
        "_handle",
        "_horizon",
        "_live",
        "_loop",
        "_whens",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        horizon: float | None = None,
        ceil_threshold: float = 5,
    ) -> None:
        self._loop = loop
        self._horizon = horizon or None
        self._ceil_threshold = ceil_threshold
        self._groups: dict[float, set[Callable[[], None]]] = {}
        self._whens: list[float] = []  # a heap of the groups' times
        self._live = 0  # members waiting, in all groups
        self._handle: asyncio.TimerHandle | None = None
        self._armed_at = 0.0

    @property
    def armed(self) -> bool:
        """True while a loop timer is scheduled (some deadline is waiting)."""
        return self._handle is not None

    def deadline(self, delay: float) -> float:
        """The loop time ``delay`` seconds from now, rounded up when it is long."""
        when = self._loop.time() + delay
        return math.ceil(when) if delay > self._ceil_threshold else when

    def add(self, when: float, member: Callable[[], None]) -> set[Callable[[], None]]:
        """Call ``member()`` at loop time ``when`` unless it is discarded; its group."""
        groups = self._groups
        group = groups.get(when)
        if group is None:
            group = groups[when] = {member}
            heapq.heappush(self._whens, when)
        else:
            group.add(member)
        self._live += 1
        handle = self._handle
        if handle is None or when < self._armed_at:  # (then no deadline is earlier)
            if handle is not None:
                handle.cancel()
            self._schedule(when)
        return group

    def discard(self, group: set[Callable[[], None]], member: Callable[[], None]) -> None:
        """Forget ``member`` (added with the result ``group``); nothing if it is gone."""
        if member in group:
            group.remove(member)
            self._live -= 1
            if not self._live:
                self._stop()

    def _stop(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()  # (a cancelled handle lets go of the clock)
        self._groups.clear()
        self._whens.clear()

    def _schedule(self, when: float) -> None:
        """Set the loop timer for the earliest deadline ``when`` (or the horizon)."""
        if self._horizon is not None:
            when = min(when, self.deadline(self._horizon))
        self._armed_at = when
        self._handle = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._handle = None
        whens = self._whens
        groups = self._groups
        armed_at = self._armed_at  # (the loop runs a timer a clock resolution early)
        while whens and whens[0] <= armed_at:
            members = groups.pop(heapq.heappop(whens))
            self._live -= len(members)
            due = list(members)
            members.clear()  # (a late discard() finds nothing)
            for member in due:
                try:
                    member()
                except Exception as exc:  # a broken callback must not stop the others
                    self._loop.call_exception_handler(
                        {"message": "error in a deadline callback", "exception": exc}
                    )
        if not self._live:
            self._stop()
        elif self._handle is None:  # (unless a callback added a deadline and armed it)
            while not groups[whens[0]]:  # (groups whose members all left)
                del groups[heapq.heappop(whens)]
            self._schedule(whens[0])


class ClockHandle:
    """``callback(*args)`` at a loop time on a :class:`DeadlineClock`, until cancelled."""

    __slots__ = ("_args", "_callback", "_clock", "_group")

    def __init__(
        self, clock: DeadlineClock, when: float, callback: Callable[..., None], *args: Any
    ) -> None:
        self._clock = clock
        self._callback = callback
        self._args = args
        self._group = clock.add(when, self)

    def __call__(self) -> None:
        self._callback(*self._args)

    def cancel(self) -> None:
        """Stop the callback from running (nothing if it ran)."""
        self._clock.discard(self._group, self)


class RequestTimer(TimerContext):
    """The ``total`` timeout of one request: the timer the request's waits run inside,
    and its own deadline on the session's :class:`DeadlineClock` (one object per
    request instead of a handle and a timer).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        timeout: float,
        ceil_threshold: float,
        clock: DeadlineClock,
    ) -> None:
        # (TimerContext.__init__ inline)
        self._loop = loop
        self._tasks = []
        self._expired = False
        when = loop.time() + timeout
        if timeout > ceil_threshold:
            when = math.ceil(when)
        self._clock = clock
        self._group = clock.add(when, self)

    def __call__(self) -> None:
        """The deadline: expire (see :meth:`TimerContext.timeout`)."""
        self.timeout()

    def cancel(self) -> None:
        """Stop the deadline from firing."""
        self._clock.discard(self._group, self)


class _Deadline:
    """``async with ceil_timeout(...)``: see :func:`ceil_timeout`."""

    def __init__(
        self,
        delay: float | None,
        ceil_threshold: float,
        error: Callable[[], BaseException] | None,
    ) -> None:
        self._delay = delay
        self._ceil_threshold = ceil_threshold
        self._error = error
        self._timer: TimerContext | None = None
        self._handle: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> _Deadline:
        loop = asyncio.get_running_loop()
        when = calculate_deadline(loop, self._delay, self._ceil_threshold)
        if when is not None:
            self._timer = TimerContext(loop)
            self._timer.__enter__()
            self._handle = loop.call_at(when, self._timer.timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
        if self._timer is None:
            return None
        try:
            self._timer.__exit__(exc_type, exc_val, exc_tb)
        except asyncio.TimeoutError as exc:
            if self._error is None:
                raise
            raise self._error() from exc.__cause__
        return None


def ceil_timeout(
    delay: float | None,
    ceil_threshold: float = 5,
    *,
    error: Callable[[], BaseException] | None = None,
) -> _Deadline:
    """An async context manager that cancels its block after ``delay`` seconds.

    The cancellation surfaces as ``asyncio.TimeoutError``, or as ``error()`` when a
    factory is given. ``None`` or 0 disables the deadline. A cancellation that did not
    come from the deadline passes through untouched.
    """
    return _Deadline(delay, ceil_threshold, error)


class ReadTimer:
    """A resettable timer for ``sock_read``: ``callback`` runs after ``timeout`` idle seconds."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        timeout: float | None,
        callback: Callable[[], None],
        ceil_threshold: float = 5,
    ) -> None:
        self._loop = loop
        self._timeout = timeout
        self._callback = callback
        self._ceil_threshold = ceil_threshold
        self._handle: asyncio.TimerHandle | None = None

    @property
    def timeout(self) -> float | None:
        """The idle time allowed, in seconds (None: disabled)."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._timeout = value

    @property
    def ceil_threshold(self) -> float:
        """Timeouts longer than this are rounded up to a whole second of the loop clock."""
        return self._ceil_threshold

    @ceil_threshold.setter
    def ceil_threshold(self, value: float) -> None:
        self._ceil_threshold = value

    @property
    def active(self) -> bool:
        """True while the timer is scheduled."""
        return self._handle is not None

    def reset(self) -> None:
        """(Re)start counting from now."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if not self._timeout:  # disabled (the usual case): nothing to schedule
            return
        when = calculate_deadline(self._loop, self._timeout, self._ceil_threshold)
        if when is not None:
            self._handle = self._loop.call_at(when, self._fire)

    def cancel(self) -> None:
        """Stop the timer."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        self._callback()
