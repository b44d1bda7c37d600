"""The lock port's adapter: ``on_wait`` only when someone else holds the lock,
lock files made private, a shared temp folder's owner checked, and our own
stale lock files swept."""

from __future__ import annotations

import threading
from pathlib import Path

from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.locks import WorkspaceLocks


def _never() -> bool:
    return False


def test_on_wait_only_when_contended(tmp_path: Path) -> None:
    locks = WorkspaceLocks(SystemClock(), str(tmp_path / "locks"))
    waits: list[str] = []
    with locks.hold("k", timeout_ms=5000, is_cancelled=_never, on_wait=lambda: waits.append("free")):
        pass
    assert waits == []

    # Held by another process's lock (a second WorkspaceLocks has its own
    # in-process locks, so only the file lock is shared).
    other = WorkspaceLocks(SystemClock(), str(tmp_path / "locks"))
    entered, release = threading.Event(), threading.Event()

    def holder() -> None:
        with other.hold("k", timeout_ms=5000, is_cancelled=_never):
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert entered.wait(10)

    def on_wait() -> None:
        waits.append("busy")
        release.set()

    with locks.hold("k", timeout_ms=10_000, is_cancelled=_never, on_wait=on_wait) as held:
        assert held.key == "k"
    thread.join(10)
    assert waits == ["busy"]
