"""Per-workspace locks: in-process per key, and across processes with filelock.

A waiter polls in short slices so cancellation is noticed, and gives up with
``LockTimeoutError`` at its timeout. File locks are advisory ``flock`` locks
that the kernel drops when the holder dies, so a crashed run cannot leave a
stale lock behind; the lock files themselves are kept (deleting them would
race with a waiter that already opened one).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator

import filelock

from workspace_trust.errors import LockTimeoutError, PreflightCancelled
from workspace_trust.ports import Clock, IsCancelled, LockHold, LockPort

#: Waiting slices: how often cancellation is checked while a lock is busy.
LOCK_POLL_MS = 25


def default_lock_dir() -> str:
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return os.path.join(base, f"workspace-trust-locks-{os.getuid() if hasattr(os, 'getuid') else 0}")


class WorkspaceLocks(LockPort):
    def __init__(self, clock: Clock, lock_dir: str | None = None, *, use_files: bool = True) -> None:
        self._clock = clock
        self._dir = lock_dir or default_lock_dir()
        self._use_files = use_files
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _thread_lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    @contextlib.contextmanager
    def hold(
        self,
        key: str,
        *,
        timeout_ms: int,
        is_cancelled: IsCancelled,
        on_wait: Callable[[], None] | None = None,
    ) -> Iterator[LockHold]:
        start = self._clock.monotonic_ms()
        deadline = start + timeout_ms
        local = self._thread_lock(key)
        waiting = [False]

        def contended() -> None:
            if not waiting[0]:
                waiting[0] = True
                if on_wait is not None:
                    on_wait()

        if not local.acquire(blocking=False):
            contended()
            while not local.acquire(timeout=LOCK_POLL_MS / 1000):
                self._check(key, deadline, is_cancelled, timeout_ms)
        try:
            file_lock = self._file_lock(key)
            if file_lock is not None:
                try:
                    file_lock.acquire(blocking=False)
                except filelock.Timeout:
                    contended()
                    while True:
                        try:
                            file_lock.acquire(timeout=LOCK_POLL_MS / 1000)
                            break
                        except filelock.Timeout:
                            self._check(key, deadline, is_cancelled, timeout_ms)
            try:
                yield LockHold(key=key, waited_ms=self._clock.monotonic_ms() - start)
            finally:
                if file_lock is not None:
                    file_lock.release()
        finally:
            local.release()

    def _check(self, key: str, deadline: int, is_cancelled: IsCancelled, timeout_ms: int) -> None:
        if is_cancelled():
            raise PreflightCancelled(f"cancelled while waiting for lock {key}")
        if self._clock.monotonic_ms() >= deadline:
            raise LockTimeoutError(f"lock {key} not acquired within {timeout_ms} ms")

    def _file_lock(self, key: str) -> filelock.BaseFileLock | None:
        if not self._use_files:
            return None
        try:
            os.makedirs(self._dir, mode=0o700, exist_ok=True)
        except OSError:
            # Degrade to in-process locking, as the design allows.
            return None
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return filelock.FileLock(os.path.join(self._dir, f"{digest}.lock"))
