"""Where an MFA service reads the time: the wall clock in service, a hand-set one in the suites.

Lockouts last minutes and TOTP steps half a minute; a suite that slept through them would take
hours, and one that relied on the real clock would pass or fail by when it ran. The service asks
its `clock` (a callable giving Unix seconds) whenever a call is not told the time, so a suite
hands it a ManualClock, sets it to the instant it means and moves it on by exactly what it tests.
"""
from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
wall_clock: Clock = time.time


class ManualClock:
    """A clock that stands still until told to move."""

    def __init__(self, now: float) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def set(self, now: float) -> float:
        self.now = float(now)
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now

    def __repr__(self) -> str:
        return f"ManualClock({self.now})"
