"""Fakes of the ports that touch files: the provider's state file and its own
lock files, the state files themselves, scratch folders, file-system facts,
and the library's locks. All in memory, aged by the fake clock where time matters."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping

from workspace_trust.domain.codes import Code, TrustState
from workspace_trust.domain.errors import StateFileError
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace
from workspace_trust.domain.results import ProbeResult, TrustSource
from workspace_trust.errors import LockTimeoutError
from workspace_trust.ports import (
    LOCK_HELD_BY_ANOTHER_PROCESS,
    FileSystemFacts,
    FolderIdentity,
    IsCancelled,
    LockFileStamp,
    LockHold,
    LockPort,
    LockWait,
    OpenStateFile,
    ProviderLockFiles,
    ScratchSpace,
    StateFileInfo,
    StateFiles,
    StateProbe,
)
from workspace_trust.testing._clock import FakeClock


class FakeStateProbe(StateProbe):
    """A provider state file in memory: a set of trusted keys."""

    def __init__(self, trusted: set[str] | None = None, *, unknown: bool = False) -> None:
        self.trusted: set[str] = set(trusted or ())
        self.unknown = unknown
        self.reads = 0

    def trust(self, key: str) -> None:
        self.trusted.add(key)

    def read_trust(self, workspace: Workspace) -> ProbeResult:
        self.reads += 1
        if self.unknown:
            return ProbeResult(state=TrustState.UNKNOWN)
        for key, source in (
            (workspace.absolute_path, TrustSource.EXACT),
            (workspace.real_path, TrustSource.REAL),
        ):
            if key in self.trusted:
                return ProbeResult(TrustState.TRUSTED, trusted_key=key, source=source)
        return ProbeResult(state=TrustState.UNTRUSTED)


class FakeProviderLockFiles(ProviderLockFiles):
    """A provider's own lock files in memory, aged by a :class:`FakeClock`."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._made: dict[str, tuple[int, int]] = {}
        self._next_inode = 1000
        #: Locks a holder keeps refreshing (their age stays 0).
        self.refreshed: set[str] = set()
        self.removed: list[str] = []

    def make(self, path: str, *, age_ms: int = 0, refreshed: bool = False) -> None:
        self._next_inode += 1
        self._made[path] = (self._next_inode, self._clock.monotonic_ms() - age_ms)
        if refreshed:
            self.refreshed.add(path)

    def release(self, path: str) -> None:
        self._made.pop(path, None)
        self.refreshed.discard(path)

    def inspect(self, path: str) -> LockFileStamp | None:
        made = self._made.get(path)
        if made is None:
            return None
        inode, at = made
        age = 0 if path in self.refreshed else self._clock.monotonic_ms() - at
        return LockFileStamp(path=path, inode=inode, is_dir=True, mtime_ns=at * 1_000_000, age_ms=age)

    def remove_left_behind(self, stamp: LockFileStamp) -> bool:
        now = self.inspect(stamp.path)
        if now is None or now.inode != stamp.inode or stamp.path in self.refreshed:
            return False
        self.release(stamp.path)
        self.removed.append(stamp.path)
        return True


class _FakeOpenStateFile(OpenStateFile):
    def __init__(self, files: FakeStateFiles, path: str, data: bytes, info: StateFileInfo) -> None:
        self._files = files
        self._path = path
        self._data = data
        self._offset = 0
        self.info = info

    def close(self) -> None:
        pass

    def chunks(self, size: int, limit: int) -> Iterator[bytes]:
        while True:
            chunk = self.read_at_most(size)
            if not chunk:
                return
            if self._offset > limit:
                raise StateFileError(f"the state file is over {limit} bytes", code=Code.STATE_FILE_TOO_LARGE)
            yield chunk

    def read_at_most(self, count: int) -> bytes:
        chunk = self._data[self._offset : self._offset + count]
        self._offset += len(chunk)
        return chunk

    def changed(self) -> bool:
        return self._files.stamp_of(self._path) != self.info.stamp


class FakeStateFiles(StateFiles):
    """Provider state files in memory: ``files[path] = bytes``. Writing a path
    again (``put``) changes its stamp, as a rewrite does. Paths given in
    ``unreadable`` fail the way a FIFO or a folder does."""

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        self.files: dict[str, bytes] = dict(files or {})
        self.unreadable: set[str] = set()
        self.links: dict[str, str] = {}
        self.reads: list[str] = []
        self._versions: dict[str, int] = {}

    def put(self, path: str, data: bytes) -> None:
        self.files[path] = data
        self._versions[path] = self._versions.get(path, 0) + 1

    def stamp_of(self, path: str) -> tuple[int, int, int, int]:
        return (hash(path) & 0xFFFF, len(self.files.get(path, b"")), self._versions.get(path, 0), 0)

    def stat(self, path: str, what: str) -> StateFileInfo | None:
        path = self.links.get(path, path)
        if path in self.unreadable:
            raise StateFileError(f"{what} is not a regular file", code=Code.STATE_FILE_UNREADABLE)
        if path not in self.files:
            return None
        return StateFileInfo(self.stamp_of(path), len(self.files[path]))

    def open(self, path: str, what: str) -> OpenStateFile | None:
        info = self.stat(path, what)
        if info is None:
            return None
        real = self.links.get(path, path)
        self.reads.append(real)
        return _FakeOpenStateFile(self, real, self.files[real], info)

    def real_path(self, path: str) -> str:
        return self.links.get(path, path)


class FakeScratchSpace(ScratchSpace):
    """Scratch folders in memory: ``folders[path][name] = bytes``; ``removed``
    lists the folders removed, so a test can check every one was."""

    def __init__(self) -> None:
        self.folders: dict[str, dict[str, bytes]] = {}
        self.removed: list[str] = []

    def make(self) -> str:
        path = f"/fake/scratch/{len(self.folders) + len(self.removed)}"
        self.folders[path] = {}
        return path

    def write(self, folder: str, name: str, data: bytes) -> str:
        self.folders[folder][name] = data
        return f"{folder}/{name}"

    def remove(self, folder: str) -> None:
        self.folders.pop(folder, None)
        self.removed.append(folder)


class FakeFileSystemFacts(FileSystemFacts):
    """File-system facts from a table, for planning without a file system: every
    absolute path is an existing folder that is its own real path, unless
    ``facts`` says otherwise; the home is the environment's ``HOME``, and the
    account's own (the password database's) is ``account_homes``, if any."""

    def __init__(
        self,
        facts: Mapping[str, PathFacts] | None = None,
        host: HostOs = HostOs.LINUX,
        account_homes: tuple[str, ...] = (),
        identities: Mapping[str, FolderIdentity] | None = None,
        working: Mapping[int, FolderIdentity] | None = None,
    ) -> None:
        self.facts = dict(facts or {})
        self._host = host
        self._account_homes = account_homes
        #: Which folder each path names (device, inode); a path not here: unknown.
        self.identities = dict(identities or {})
        #: The working folder of each process id; a pid not here: unknown.
        self.working = dict(working or {})

    def folder_identity(self, path: str) -> FolderIdentity | None:
        return self.identities.get(path)

    def working_folder(self, pid: int) -> FolderIdentity | None:
        return self.working.get(pid)

    @property
    def host(self) -> HostOs:
        return self._host

    def account_homes(self) -> tuple[str, ...]:
        return self._account_homes

    def gather(self, path: str, *, env: Mapping[str, str] | None = None) -> PathFacts:
        if path in self.facts:
            return self.facts[path]
        if not path.startswith("/"):
            raise ValueError("workspace path must be absolute")
        home = (env or {}).get("HOME")
        return PathFacts(absolute=path, real=path, home=home, real_home=home, exists=True, is_dir=True)


class FakeLocks(LockPort):
    """``contended``: keys another holder has, so ``on_wait`` is called (the
    lock is then taken after no wait, or times out with ``always_timeout``)."""

    def __init__(self, *, always_timeout: bool = False, contended: Iterable[str] = ()) -> None:
        self.held: list[str] = []
        self.always_timeout = always_timeout
        self.contended = set(contended)

    @contextlib.contextmanager
    def hold(
        self,
        key: str,
        *,
        timeout_ms: int,
        is_cancelled: IsCancelled,
        on_wait: Callable[[LockWait], None] | None = None,
        owner: str = "",
    ) -> Iterator[LockHold]:
        if on_wait is not None and (key in self.contended or "*" in self.contended):
            on_wait(LockWait(LOCK_HELD_BY_ANOTHER_PROCESS, None, 0))
        if self.always_timeout:
            raise LockTimeoutError(f"lock {key} not acquired within {timeout_ms} ms")
        self.held.append(key)
        yield LockHold(key=key, waited_ms=0)
