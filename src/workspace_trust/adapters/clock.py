"""The real clock."""

from __future__ import annotations

import time

from workspace_trust.ports import Clock


class SystemClock(Clock):
    def monotonic_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000

    def sleep_ms(self, ms: int) -> None:
        if ms > 0:
            time.sleep(ms / 1000)
