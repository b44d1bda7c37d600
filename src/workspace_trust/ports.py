"""Ports: the small abstract interfaces through which time, files, processes and
locks reach the core. Adapters implement them; ``workspace_trust.testing`` ships
fakes for every one of them."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager

import attrs

from workspace_trust.domain.codes import Code, Key
from workspace_trust.domain.errors import StateFileError
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


@attrs.frozen(slots=True)
class RenderStats:
    """Counts from a session's terminal renderer since the spawn."""

    #: Output the renderer failed on and skipped (the screen may miss a part).
    faults: int = 0
    #: Escape sequences it ignored on purpose (key protocols, titles) or dropped as too long.
    dropped_sequences: int = 0


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

    def render_stats(self) -> RenderStats:
        """What the renderer could not draw so far. A session without a
        renderer of its own reports none."""
        return RenderStats()

    @abc.abstractmethod
    def kill(self, *, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
        """Kill the whole process group (TERM, then KILL) and reap. Idempotent.

        With ``hold`` (a CLI that keeps a lock on its state file), SIGKILL
        waits after the SIGTERM grace until the CLI has exited, at most
        ``hold.max_ms``: a CLI killed while it holds its state file's lock
        leaves that lock behind, and the next start cannot save.
        ``hold.holding()`` says whether the lock is held when the wait runs out.

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


@attrs.frozen(slots=True)
class LockWait:
    """A report that ``hold`` is waiting for a lock someone else holds."""

    #: ``this_run``: another session of this process holds it; ``another_process``.
    holder: str
    #: The ``owner`` this run's holder gave ``hold`` (None for another process).
    holder_owner: str | None
    #: Milliseconds waited so far.
    waited_ms: int


LOCK_HELD_BY_THIS_RUN = "this_run"
LOCK_HELD_BY_ANOTHER_PROCESS = "another_process"


class LockPort(abc.ABC):
    @abc.abstractmethod
    def hold(
        self,
        key: str,
        *,
        timeout_ms: int,
        is_cancelled: IsCancelled,
        on_wait: Callable[[LockWait], None] | None = None,
        owner: str = "",
    ) -> AbstractContextManager[LockHold]:
        """Hold the lock for ``key``. Raises ``LockTimeoutError`` or ``PreflightCancelled``.
        ``on_wait`` is called if the lock is not free at once (someone else
        holds it), before the wait, and then about every second while the wait
        lasts (a heartbeat, saying who holds it); never when it is taken
        straight away. ``owner`` names this holder to this run's other waiters."""


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


@attrs.frozen(slots=True)
class StateFileInfo:
    """What ``stat`` says about a regular state file; ``stamp`` changes with any rewrite."""

    stamp: tuple[int, int, int, int]
    size: int


class OpenStateFile(abc.ABC):
    """An open, regular provider state file. Use as a context manager."""

    info: StateFileInfo

    def __enter__(self) -> OpenStateFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def chunks(self, size: int, limit: int) -> Iterator[bytes]:
        """The contents, ``size`` bytes at a time; ``state_file_too_large`` past ``limit``."""

    @abc.abstractmethod
    def read_at_most(self, count: int) -> bytes:
        """The contents up to ``count`` bytes."""

    def read(self, limit: int) -> bytes:
        """All the contents; ``state_file_too_large`` over ``limit`` bytes."""
        data = self.read_at_most(limit + 1)
        if len(data) > limit:
            raise StateFileError(f"the state file is over {limit} bytes", code=Code.STATE_FILE_TOO_LARGE)
        return data

    @abc.abstractmethod
    def changed(self) -> bool:
        """Whether the open file was rewritten since it was opened."""


class StateFiles(abc.ABC):
    """Reads, never writes, a provider's own state files. Raises
    :class:`StateFileError` (with its code) for anything but a regular file,
    never blocks, and never reads past the caller's limit."""

    @abc.abstractmethod
    def stat(self, path: str, what: str) -> StateFileInfo | None:
        """The file's stamp and size; None when it does not exist."""

    @abc.abstractmethod
    def open(self, path: str, what: str) -> OpenStateFile | None:
        """The open file; None when it does not exist."""

    @abc.abstractmethod
    def real_path(self, path: str) -> str:
        """The path with every link resolved (it need not exist)."""

    def read(self, path: str, what: str, limit: int) -> bytes | None:
        """The whole file, or None when it does not exist."""
        handle = self.open(path, what)
        if handle is None:
            return None
        with handle:
            return handle.read(limit)


class BinaryLocator(abc.ABC):
    """Finds executables: an explicit path, or a name on a search path."""

    @abc.abstractmethod
    def is_executable(self, path: str) -> bool: ...

    @abc.abstractmethod
    def which(self, name: str, search_path: str) -> str | None:
        """The absolute path of ``name`` on ``search_path`` (PATH syntax), or None."""


class ScratchSpace(abc.ABC):
    """Private folders for one session's own files (an empty MCP config), each
    removed when the session ends, on every path."""

    @abc.abstractmethod
    def make(self) -> str:
        """A fresh folder only this user can read."""

    @abc.abstractmethod
    def write(self, folder: str, name: str, data: bytes) -> str:
        """Write one file into a folder from ``make``; returns its path."""

    @abc.abstractmethod
    def remove(self, folder: str) -> None:
        """Remove a folder from ``make`` and all it holds. Never raises."""


@attrs.frozen(slots=True)
class FolderIdentity:
    """Which folder a path or a process's working folder is, to the system:
    the same device and inode are the same folder, whatever its path is now."""

    device: int
    inode: int


class FileSystemFacts(abc.ABC):
    @property
    @abc.abstractmethod
    def host(self) -> HostOs: ...

    def folder_identity(self, path: str) -> FolderIdentity | None:
        """The folder ``path`` names now (links followed); None when there is
        none, or when this port cannot tell."""
        return None

    def working_folder(self, pid: int) -> FolderIdentity | None:
        """The working folder of process ``pid`` now; None where the system
        does not say (or the process is gone)."""
        return None

    @abc.abstractmethod
    def gather(self, path: str, *, env: Mapping[str, str] | None = None) -> PathFacts:
        """Facts about ``path``. Never raises for a missing or odd path."""

    def owned_by_this_account(self, path: str) -> bool | None:
        """Whether this account owns the folder ``path``; None where that cannot
        be told (no such notion, or the folder cannot be looked at)."""
        return None

    def account_homes(self) -> tuple[str, ...]:
        """The account's own home folder, as the system names it and resolved,
        known without reading anything now (the pure plan stage guards it too);
        () where unknown."""
        return ()


__all__ = [
    "BinaryLocator",
    "Clock",
    "FileSystemFacts",
    "FolderIdentity",
    "HelpReader",
    "IsCancelled",
    "KillHold",
    "KillReport",
    "LockFileStamp",
    "LockHold",
    "LockPort",
    "LockWait",
    "OpenStateFile",
    "ProviderLockFiles",
    "PtySession",
    "PtySpawner",
    "RenderStats",
    "ScratchSpace",
    "SpawnSpec",
    "StateFileInfo",
    "StateFiles",
    "StateProbe",
]


@attrs.frozen(slots=True)
class HelpFailure:
    """How a CLI's ``--help`` failed: ``how`` ("it ended with exit status 3")
    and what it printed (bounded by the reader, unredacted: whoever shows it
    redacts all of it first, and only then keeps its end)."""

    how: str
    output: str = ""


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

    def read_version(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        """The CLI's version (``X.Y.Z``), or None when it cannot be told cheaply
        and safely. The same rules as ``read_help``; a reader that does not
        know versions returns None (the default)."""
        return None

    def known_version(self, binary: str) -> str | None:
        """The CLI's version where it can be told without starting anything
        (its npm package, or a ``--version`` answer kept from an earlier
        run); None otherwise. For the read-only stages (``status``, ``plan``)."""
        return None

    def help_failure(self, binary: str) -> HelpFailure | None:
        """Why this reader's last ``--help`` of ``binary`` gave no text, where
        the command could not start or ended in failure. None when it
        answered, was cut short by its deadline, or was never read (the
        default, for a reader that does not keep it)."""
        return None


@attrs.frozen(slots=True)
class ExecutionPorts:
    """Every port a strategy may use while it executes, as one value: the
    coordinator holds one, and ``workspace_trust.testing`` can fake each."""

    spawner: PtySpawner
    clock: Clock
    locks: LockPort
    help_reader: HelpReader
    provider_locks: ProviderLockFiles
    #: Provider state files, read-only.
    state_files: StateFiles
    binary_locator: BinaryLocator
    #: Private folders for a session's own files.
    scratch: ScratchSpace
    #: Path facts, read again right before Enter: the folder must still be the
    #: one that was guarded (``workspace_trust.folder_check``). None only for
    #: ports put together by hand; the coordinator always passes its own.
    filesystem: FileSystemFacts | None = None
