"""The fake clock every other fake runs on: time moves only when something
sleeps or a test advances it."""

from __future__ import annotations

from workspace_trust.ports import Clock


class FakeClock(Clock):
    def __init__(self, start_ms: int = 0) -> None:
        self.now_ms = start_ms
        self.sleeps: list[int] = []

    def monotonic_ms(self) -> int:
        return self.now_ms

    def sleep_ms(self, ms: int) -> None:
        self.sleeps.append(ms)
        self.now_ms += max(0, ms)

    def advance(self, ms: int) -> None:
        self.now_ms += ms
