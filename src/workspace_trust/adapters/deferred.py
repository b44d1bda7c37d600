"""The default adapters a coordinator makes for itself, each imported on first use.

``status``, ``plan`` and a host that only plans never start a process or take
a lock, so they never load ptyprocess, pyte, filelock or the help reader's
subprocess machinery (nor need the PTY modules Windows lacks:
tests/test_cold_start.py). One mechanism does it for every port:
:class:`OnFirstUse` makes the real adapter once, under a lock, the first time
a call needs it; each port below is a thin face that forwards to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Generic, TypeVar

from workspace_trust.ports import (
    Clock,
    HelpFailure,
    HelpReader,
    IsCancelled,
    LockPort,
    LockWait,
    PtySession,
    PtySpawner,
    ScratchSpace,
    SpawnSpec,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from workspace_trust.ports import LockHold

__all__ = ["DeferredHelpReader", "DeferredLocks", "DeferredScratch", "DeferredSpawner", "OnFirstUse"]

T = TypeVar("T")


class OnFirstUse(Generic[T]):
    """``make()``, called once, on the first :meth:`get` (thread-safe)."""

    __slots__ = ("_lock", "_made", "_make")

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: T | None = None

    def get(self) -> T:
        with self._lock:
            if self._made is None:
                self._made = self._make()
            return self._made

    @property
    def made(self) -> bool:
        """Whether ``make()`` has run."""
        with self._lock:
            return self._made is not None


def _pty_spawner(clock: Clock) -> PtySpawner:
    from workspace_trust.adapters.pty_process import PtyProcessSpawner

    return PtyProcessSpawner(clock)


def _locks(clock: Clock, use_files: bool) -> LockPort:
    from workspace_trust.adapters.locks import WorkspaceLocks

    return WorkspaceLocks(clock, use_files=use_files)


def _scratch(temp_dir: str | None) -> ScratchSpace:
    from workspace_trust.adapters.scratch import LocalScratchSpace

    return LocalScratchSpace(temp_dir)


def _help_reader() -> HelpReader:
    from workspace_trust.adapters.help import SubprocessHelpReader

    return SubprocessHelpReader()


class DeferredSpawner(PtySpawner):
    """The ptyprocess spawner, made on the first spawn."""

    def __init__(self, clock: Clock) -> None:
        self._inner = OnFirstUse(lambda: _pty_spawner(clock))

    def spawn(self, spec: SpawnSpec) -> PtySession:
        return self._inner.get().spawn(spec)


class DeferredLocks(LockPort):
    """``WorkspaceLocks`` (lock files, unless ``use_files`` is off), made on the first ``hold``."""

    def __init__(self, clock: Clock, *, use_files: bool) -> None:
        self._inner = OnFirstUse(lambda: _locks(clock, use_files))

    def hold(
        self,
        key: str,
        *,
        timeout_ms: int,
        is_cancelled: IsCancelled,
        on_wait: Callable[[LockWait], None] | None = None,
        owner: str = "",
    ) -> AbstractContextManager[LockHold]:
        return self._inner.get().hold(
            key, timeout_ms=timeout_ms, is_cancelled=is_cancelled, on_wait=on_wait, owner=owner
        )


class DeferredScratch(ScratchSpace):
    """``LocalScratchSpace`` (private folders under ``temp_dir``; None: the
    system temp folder), made when the first folder is."""

    def __init__(self, temp_dir: str | None = None) -> None:
        self._inner = OnFirstUse(lambda: _scratch(temp_dir))

    def make(self) -> str:
        return self._inner.get().make()

    def write(self, folder: str, name: str, data: bytes) -> str:
        return self._inner.get().write(folder, name, data)

    def remove(self, folder: str) -> None:
        self._inner.get().remove(folder)


class DeferredHelpReader(HelpReader):
    """``SubprocessHelpReader``, made on the first read."""

    def __init__(self) -> None:
        self._inner = OnFirstUse(_help_reader)

    def read_help(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        return self._inner.get().read_help(binary, env, timeout_ms, is_cancelled=is_cancelled)

    def read_version(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        return self._inner.get().read_version(binary, env, timeout_ms, is_cancelled=is_cancelled)

    def known_version(self, binary: str) -> str | None:
        # Nothing is started for this, so the reader (and its subprocess and
        # process-table machinery) is not made for it: ``status`` and
        # ``plan`` stay light with a CLI installed (tests/test_cold_start.py).
        if not self._inner.made:
            from workspace_trust.adapters.cli_facts import BinaryStamp, CliFactsCache, known_version

            key = BinaryStamp.of(binary)
            return None if key is None else known_version(key, CliFactsCache())
        return self._inner.get().known_version(binary)

    def help_failure(self, binary: str) -> HelpFailure | None:
        return self._inner.get().help_failure(binary)
