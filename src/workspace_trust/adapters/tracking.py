"""A spawner that remembers what it started, so that a coordinator's
``dispose`` kills exactly its own sessions and nothing else."""

from __future__ import annotations

import threading

from workspace_trust.domain.codes import Key
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.ports import KillHold, KillReport, PtySession, PtySpawner, RenderStats, SpawnSpec

__all__ = ["TrackingSpawner"]


class TrackingSpawner(PtySpawner):
    """Remembers the sessions it started so ``dispose`` can kill exactly those."""

    def __init__(self, inner: PtySpawner) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._live: list[PtySession] = []

    def spawn(self, spec: SpawnSpec) -> PtySession:
        session = self._inner.spawn(spec)
        tracked = TrackedSession(session, self)
        with self._lock:
            self._live.append(tracked)
        return tracked

    def forget(self, session: PtySession) -> None:
        with self._lock:
            if session in self._live:
                self._live.remove(session)

    def kill_all(self) -> int:
        with self._lock:
            live = list(self._live)
        for session in live:
            session.kill()
        return len(live)


class TrackedSession(PtySession):
    def __init__(self, inner: PtySession, owner: TrackingSpawner) -> None:
        self._inner = inner
        self._owner = owner

    @property
    def pid(self) -> int:
        return self._inner.pid

    def read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
        return self._inner.read_snapshot(timeout_ms)

    def send_key(self, key: Key) -> None:
        self._inner.send_key(key)

    def exit_status(self) -> int | None:
        return self._inner.exit_status()

    def render_stats(self) -> RenderStats:
        return self._inner.render_stats()

    def kill(self, *, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
        report = self._inner.kill(hold=hold, term_grace_ms=term_grace_ms)
        self._owner.forget(self)
        return report
