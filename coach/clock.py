"""Time for sessions: a clock to read (real or fake) and a timer that only runs while you work.

Session time is the time elapsed on the clock while the session is open; a session that is
closed and resumed later starts again from the seconds it had used, so time away never counts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """A monotonic clock, and a way to wait on it inside an event loop."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock for tests: time moves only when told to, never by waiting on real time.

    `advance(s)` moves it by hand. `sleep(s)` (what the REPL's ticker awaits) moves it by `s`
    at once and yields to the event loop, so a whole session plays out in milliseconds.
    `at(t, fn)` runs `fn` once when the clock first reaches `t` seconds: a scripted user.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self._due: list[tuple[float, Callable[[], None]]] = []

    def monotonic(self) -> float:
        return self.now

    @property
    def elapsed(self) -> float:
        """Seconds since this clock was made."""
        return self.now - self.start

    def at(self, seconds: float, action: Callable[[], None]) -> None:
        """Run `action` when `elapsed` first reaches `seconds`."""
        self._due.append((seconds, action))
        self._due.sort(key=lambda item: item[0])

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while self._due and self._due[0][0] <= self.elapsed:
            _, action = self._due.pop(0)
            action()

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


class SessionTimer:
    """Seconds worked on a session: those used before (`elapsed_s`) plus the clock since start."""

    def __init__(self, clock: Clock, elapsed_s: float = 0.0, running: bool = True) -> None:
        self.clock = clock
        self._banked = elapsed_s
        self._since: float | None = clock.monotonic() if running else None

    @property
    def running(self) -> bool:
        return self._since is not None

    def elapsed(self) -> float:
        if self._since is None:
            return self._banked
        return self._banked + max(0.0, self.clock.monotonic() - self._since)

    def pause(self) -> float:
        """Stop counting (the candidate is away); returns the seconds used so far."""
        self._banked = self.elapsed()
        self._since = None
        return self._banked

    def resume(self) -> None:
        if self._since is None:
            self._since = self.clock.monotonic()
