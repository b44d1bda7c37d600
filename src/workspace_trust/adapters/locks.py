"""Per-workspace locks: in-process per key, and across processes with lock files.

A waiter polls in short slices so cancellation is noticed, and gives up with
``LockTimeoutError`` at its timeout. File locks are advisory ``flock`` locks
that the kernel drops when the holder dies, so a crashed run cannot leave a
held lock behind.

The lock files are kept tidy and private:

* **Private.** The folder is made 0700 and must be a real folder (not a
  symlink) owned by this account; in a shared temp folder someone else may have
  made it first, and then a private folder under ``~/.cache`` is used instead.
  Lock files are created 0600 with ``O_NOFOLLOW``.
* **Removed when done.** A holder unlinks its lock file before releasing it,
  and the first lock taken in a process sweeps the folder's lock files that
  nobody holds (left by a run that was killed). A live lock is never touched: a
  file is only unlinked by someone holding its ``flock``.
* **Safe to remove.** Because files are unlinked, every acquirer checks after
  its ``flock`` that the name still points at the file it locked, and starts
  over if not (a waiter may have opened the file just before it was removed).

Where ``fcntl`` does not exist (Windows) ``filelock`` does the locking, and its
files are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from workspace_trust.errors import LockTimeoutError, PreflightCancelled
from workspace_trust.ports import (
    LOCK_HELD_BY_ANOTHER_PROCESS,
    LOCK_HELD_BY_THIS_RUN,
    Clock,
    IsCancelled,
    LockHold,
    LockPort,
    LockWait,
)

log = logging.getLogger(__name__)

#: Waiting slices: how often cancellation is checked while a lock is busy.
LOCK_POLL_MS = 25
#: How often a waiter says it is still waiting, and for whom (``on_wait``).
LOCK_HEARTBEAT_MS = 1000


def default_lock_dir() -> str:
    """The lock folder of this account: the same for every process of it,
    whatever that process's environment says. ``XDG_RUNTIME_DIR`` and ``TMPDIR``
    are not read: two preflights started with different ones (a host may set
    them per launch) would lock in two folders and not exclude each other. On
    POSIX: the account's runtime folder ``/run/user/<uid>`` where it exists and
    is the account's own, else ``/tmp``; elsewhere the system temp folder."""
    if not hasattr(os, "getuid"):
        return os.path.join(tempfile.gettempdir(), "workspace-trust-locks-0")
    uid = os.getuid()
    runtime = f"/run/user/{uid}"
    try:
        info = os.lstat(runtime)
        base = runtime if stat.S_ISDIR(info.st_mode) and info.st_uid == uid else "/tmp"
    except OSError:
        base = "/tmp"
    return os.path.join(base, f"workspace-trust-locks-{uid}")


def fallback_lock_dir() -> str:
    """Where the lock files go when ``default_lock_dir`` is not ours."""
    return os.path.join(os.path.expanduser("~"), ".cache", "workspace-trust", "locks")


#: Lock files are named ``<digest>.lock``; nothing else in the folder is touched.
LOCK_SUFFIX = ".lock"
_OPEN = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def private_folder(path: str) -> bool:
    """Make ``path`` (0700) if missing; True when it is a real folder owned by
    this account that nobody else can write, made so when it was only too open."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        return False
    if info.st_mode & 0o077:
        try:
            os.chmod(path, 0o700, follow_symlinks=False)
        except (OSError, NotImplementedError):
            return False
    return True


class _FlockFile:
    """One ``flock`` lock file that is unlinked by its holder on release."""

    def __init__(self, path: str, fcntl: Any) -> None:
        self.path = path
        self._fcntl = fcntl
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        while True:
            fd = os.open(self.path, _OPEN, 0o600)
            try:
                self._fcntl.flock(fd, self._fcntl.LOCK_EX | self._fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            if _names(self.path, fd):
                self._fd = fd
                return True
            os.close(fd)  # removed (or replaced) between our open and our lock: again

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if _names(self.path, fd):
                os.unlink(self.path)  # while still holding it: see the module docstring
        except OSError:
            pass
        finally:
            os.close(fd)


def _names(path: str, fd: int) -> bool:
    """Whether ``path`` still names the open file ``fd``."""
    try:
        return os.path.samestat(os.lstat(path), os.fstat(fd))
    except OSError:
        return False


def sweep_lock_files(folder: str, fcntl: Any) -> int:
    """Remove the lock files in ``folder`` that nobody holds; returns how many.
    A file someone holds is left alone (its ``flock`` is refused)."""
    removed = 0
    try:
        names = [n for n in os.listdir(folder) if n.endswith(LOCK_SUFFIX)]
    except OSError:
        return 0
    for name in names:
        lock = _FlockFile(os.path.join(folder, name), fcntl)
        try:
            if not os.path.isfile(lock.path) or os.path.islink(lock.path):
                continue
            fd = os.open(lock.path, (_OPEN & ~os.O_CREAT), 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # held: live
        if _names(lock.path, fd):
            try:
                os.unlink(lock.path)
                removed += 1
            except OSError:
                pass
        os.close(fd)
    return removed


def _fcntl_module() -> Any:
    """``fcntl``, or None where it does not exist; imported on first use so the
    pure API imports everywhere."""
    try:
        return importlib.import_module("fcntl")
    except ImportError:
        return None


class WorkspaceLocks(LockPort):
    def __init__(self, clock: Clock, lock_dir: str | None = None, *, use_files: bool = True) -> None:
        self._clock = clock
        self._dir = lock_dir or default_lock_dir()
        self._use_files = use_files
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        #: Key -> the ``owner`` of this run's session holding it.
        self._owners: dict[str, str] = {}
        #: The folder checked (and swept) once: None until then, "" for none usable.
        self._folder: str | None = None

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
        on_wait: Callable[[LockWait], None] | None = None,
        owner: str = "",
    ) -> Iterator[LockHold]:
        start = self._clock.monotonic_ms()
        deadline = start + timeout_ms
        local = self._thread_lock(key)
        #: When the last report went out (None: none yet).
        reported: list[int | None] = [None]

        def contended(by_this_run: bool) -> None:
            # Said at the first wait, then about every LOCK_HEARTBEAT_MS.
            now = self._clock.monotonic_ms()
            last = reported[0]
            if on_wait is None or (last is not None and now - last < LOCK_HEARTBEAT_MS):
                return
            reported[0] = now
            if by_this_run:
                with self._guard:
                    holder = self._owners.get(key) or None
                on_wait(LockWait(LOCK_HELD_BY_THIS_RUN, holder, now - start))
            else:
                on_wait(LockWait(LOCK_HELD_BY_ANOTHER_PROCESS, None, now - start))

        if not local.acquire(blocking=False):
            contended(True)
            while not local.acquire(timeout=LOCK_POLL_MS / 1000):
                self._check(key, deadline, is_cancelled, timeout_ms)
                contended(True)
        with self._guard:
            self._owners[key] = owner
        try:
            file_lock = self._file_lock(key)
            free = True
            if file_lock is not None:
                try:
                    free = file_lock.try_acquire()
                except OSError as exc:
                    # Degrade to in-process locking, as the design allows.
                    log.warning("cannot use lock file %s: %s", file_lock.path, exc.strerror or exc)
                    file_lock = None
            if file_lock is not None and not free:
                contended(False)
                while not file_lock.try_acquire():
                    self._check(key, deadline, is_cancelled, timeout_ms)
                    # Real time, as the in-process wait above: a fake clock
                    # must not make a waiter give up at once.
                    time.sleep(LOCK_POLL_MS / 1000)
                    contended(False)
            try:
                yield LockHold(key=key, waited_ms=self._clock.monotonic_ms() - start)
            finally:
                if file_lock is not None:
                    file_lock.release()
        finally:
            with self._guard:
                self._owners.pop(key, None)
            local.release()

    def _check(self, key: str, deadline: int, is_cancelled: IsCancelled, timeout_ms: int) -> None:
        if is_cancelled():
            raise PreflightCancelled(f"cancelled while waiting for lock {key}")
        if self._clock.monotonic_ms() >= deadline:
            raise LockTimeoutError(f"lock {key} not acquired within {timeout_ms} ms")

    def _file_lock(self, key: str) -> _FlockFile | _PortableLock | None:
        if not self._use_files:
            return None
        folder = self._lock_folder()
        if not folder:
            return None  # degrade to in-process locking, as the design allows
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        path = os.path.join(folder, f"{digest}{LOCK_SUFFIX}")
        fcntl = _fcntl_module()
        return _FlockFile(path, fcntl) if fcntl is not None else _PortableLock(path)

    def _lock_folder(self) -> str:
        with self._guard:
            if self._folder is None:
                self._folder = ""
                for candidate in (self._dir, fallback_lock_dir()):
                    if private_folder(candidate):
                        self._folder = candidate
                        break
                    log.warning("lock folder %s is not a private folder of this account; not used", candidate)
                fcntl = _fcntl_module()
                if self._folder and fcntl is not None:
                    swept = sweep_lock_files(self._folder, fcntl)
                    if swept:
                        log.debug("removed %d lock files nobody held in %s", swept, self._folder)
            return self._folder


class _PortableLock:
    """``filelock`` where there is no ``fcntl``; its files are kept."""

    def __init__(self, path: str) -> None:
        import filelock  # noqa: PLC0415 - only where fcntl is missing

        self.path = path
        self._lock = filelock.FileLock(path, mode=0o600)

    def try_acquire(self) -> bool:
        import filelock  # noqa: PLC0415

        try:
            self._lock.acquire(blocking=False)
        except filelock.Timeout:
            return False
        return True

    def release(self) -> None:
        self._lock.release()
