"""Ports: the small abstract interfaces through which time, files, processes and
locks reach the core. Adapters implement them; ``workspace_trust.testing`` ships
fakes for every one of them."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

import attrs

from workspace_trust.domain.codes import Key
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace
from workspace_trust.domain.results import ProbeResult
from workspace_trust.engine.snapshot import TerminalSnapshot

IsCancelled = Callable[[], bool]


def _frozen_env(env: Mapping[str, str]) -> Mapping[str, str]:
    return dict(env)


class Clock(abc.ABC):
    """Monotonic time and sleep, injectable so tests never wait."""

    @abc.abstractmethod
    def monotonic_ms(self) -> int: ...

    @abc.abstractmethod
    def sleep_ms(self, ms: int) -> None: ...


@attrs.frozen(slots=True)
class SpawnSpec:
    argv: tuple[str, ...]
    cwd: str
    env: Mapping[str, str] = attrs.field(converter=_frozen_env)
    rows: int = 50
    columns: int = 160


@attrs.frozen(slots=True)
class KillReport:
    """How a session ended. ``survivors`` are pids still alive after SIGKILL;
    ``strays`` are processes the session started that had left its process
    group, session and process tree (daemons), and were killed with it."""

    exit_status: int | None
    signalled: bool
    escalated: bool
    survivors: tuple[int, ...] = ()
    strays: tuple[int, ...] = ()
    #: How long SIGKILL was held back for a provider lock (see ``KillHold``).
    held_ms: int = 0
    #: SIGKILL was sent while the hold still said a lock was held (its wait ran out).
    killed_holding: bool = False


@attrs.frozen(slots=True)
class KillHold:
    """Delays SIGKILL while the session may hold a provider's lock (see ``PtySession.kill``)."""

    holding: Callable[[], bool]
    max_ms: int


class PtySession(abc.ABC):
    """One provider process in a pseudo-terminal."""

    @property
    @abc.abstractmethod
    def pid(self) -> int: ...

    @abc.abstractmethod
    def read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
        """Wait up to ``timeout_ms`` for output, then return the rendered screen.

        Every call returns a new frame number, whether or not bytes arrived."""

    @abc.abstractmethod
    def send_key(self, key: Key) -> None:
        """Send one allowlisted key. Nothing else can be written."""

    @abc.abstractmethod
    def exit_status(self) -> int | None:
        """The exit status once the process has ended, else None."""

    @abc.abstractmethod
    def kill(self, *, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
        """Kill the whole process group (TERM, then KILL) and reap. Idempotent.

        With ``hold``, SIGKILL waits after the SIGTERM grace for as long as
        ``hold.holding()`` says a provider lock is still held, at most
        ``hold.max_ms``: a CLI killed while it holds its state file's lock
        leaves that lock behind, and the next start cannot save.

        ``term_grace_ms`` replaces the session's SIGTERM grace for this kill
        (0: SIGKILL right after SIGTERM), for a CLI that goes on starting
        things after SIGTERM and has nothing to save."""

    def __enter__(self) -> PtySession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


class PtySpawner(abc.ABC):
    @abc.abstractmethod
    def spawn(self, spec: SpawnSpec) -> PtySession:
        """Start a process. Raises ``BinaryMissingError`` or ``PtyUnavailableError``."""


class StateProbe(abc.ABC):
    """Reads, never writes, a provider's own trust state."""

    @abc.abstractmethod
    def read_trust(self, workspace: Workspace) -> ProbeResult: ...


@attrs.frozen(slots=True)
class LockHold:
    key: str
    waited_ms: int


class LockPort(abc.ABC):
    @abc.abstractmethod
    def hold(self, key: str, *, timeout_ms: int, is_cancelled: IsCancelled) -> AbstractContextManager[LockHold]:
        """Hold the lock for ``key``. Raises ``LockTimeoutError`` or ``PreflightCancelled``."""


@attrs.frozen(slots=True)
class LockFileStamp:
    """One observation of a provider's own lock file (or lock folder)."""

    path: str
    inode: int
    is_dir: bool
    mtime_ns: int
    #: How long ago it was last modified, by the wall clock (a live holder
    #: refreshes it; a provider takes over a lock older than its stale time).
    age_ms: int


class ProviderLockFiles(abc.ABC):
    """Reads, and in one narrow case removes, a provider's own lock files.

    The library never takes or breaks a provider's lock. The one removal is a
    lock that the library's own session created and left behind when it had to
    be killed (see ``remove_left_behind``)."""

    @abc.abstractmethod
    def inspect(self, path: str) -> LockFileStamp | None:
        """The lock as it is now, or None when there is none."""

    @abc.abstractmethod
    def remove_left_behind(self, stamp: LockFileStamp) -> bool:
        """Remove the lock if it is still exactly ``stamp`` (same inode, not
        refreshed since) and holds nothing (an empty folder, or an empty file).
        True when it was removed."""


class FileSystemFacts(abc.ABC):
    @property
    @abc.abstractmethod
    def host(self) -> HostOs: ...

    @abc.abstractmethod
    def gather(self, path: str, *, env: Mapping[str, str] | None = None) -> PathFacts:
        """Facts about ``path``. Never raises for a missing or odd path."""

    def account_homes(self) -> tuple[str, ...]:
        """The account's own home folder, as the system names it and resolved,
        known without reading anything now (the pure plan stage guards it too);
        () where unknown."""
        return ()


__all__ = [
    "Clock",
    "FileSystemFacts",
    "HelpReader",
    "IsCancelled",
    "KillHold",
    "KillReport",
    "LockFileStamp",
    "LockHold",
    "LockPort",
    "ProviderLockFiles",
    "PtySession",
    "PtySpawner",
    "SpawnSpec",
    "StateProbe",
]


class HelpReader(abc.ABC):
    """Reads a CLI's ``--help`` text, to discover which flags it supports."""

    @abc.abstractmethod
    def read_help(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        """The help text (at most a bounded prefix of it), or None when the
        command fails or does not finish within ``timeout_ms``. Raises
        ``PreflightCancelled`` soon after ``is_cancelled()`` becomes true. Nothing
        the command started is left running on any path."""
