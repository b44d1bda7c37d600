"""Reading a provider's state file: never blocking, never unbounded.

Every read of a provider's own state file (each provider spec names it)
goes through here. Symlinks are followed (dotfile
managers use them), but only a regular file is ever read: the path is checked
with ``stat`` before it is opened, opened with ``O_NONBLOCK`` (a FIFO swapped in
meanwhile cannot block the open), and checked again with ``fstat`` before a
byte is read. A FIFO, socket, device or folder is refused at once with
``state_file_unreadable``; a file over the caller's limit with
``state_file_too_large``. Contents never appear in a message.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from workspace_trust.domain.codes import Code
from workspace_trust.domain.errors import StateFileError
from workspace_trust.ports import OpenStateFile, StateFileInfo, StateFiles

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def info_of(st: os.stat_result) -> StateFileInfo:
    return StateFileInfo((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns), st.st_size)


def _regular(st: os.stat_result, what: str) -> StateFileInfo:
    if not stat.S_ISREG(st.st_mode):
        raise StateFileError(f"{what} is not a regular file", code=Code.STATE_FILE_UNREADABLE)
    return info_of(st)


def stat_state_file(path: str, what: str) -> StateFileInfo | None:
    """The file's stamp, following symlinks; None when it does not exist.
    Raises :class:`StateFileError` for anything but a regular file."""
    try:
        return _regular(os.stat(path), what)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"cannot stat {what}: {exc.strerror}", code=Code.STATE_FILE_UNREADABLE) from None


class StateFile(OpenStateFile):
    """An open regular state file. Use as a context manager."""

    def __init__(self, fd: int, info: StateFileInfo, what: str) -> None:
        self._fd = fd
        self.info = info
        self.what = what

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def chunks(self, size: int, limit: int) -> Iterator[bytes]:
        """The contents, ``size`` bytes at a time. Raises ``state_file_too_large``
        once more than ``limit`` bytes have been read."""
        total = 0
        while True:
            try:
                chunk = os.read(self._fd, size)
            except OSError as exc:
                raise StateFileError(
                    f"cannot read {self.what}: {exc.strerror}", code=Code.STATE_FILE_UNREADABLE
                ) from None
            if not chunk:
                return
            total += len(chunk)
            if total > limit:
                raise StateFileError(f"{self.what} is over {limit} bytes", code=Code.STATE_FILE_TOO_LARGE)
            yield chunk

    def read_at_most(self, count: int) -> bytes:
        """The contents up to ``count`` bytes (the whole file when it is smaller)."""
        parts: list[bytes] = []
        left = count
        while left > 0:
            try:
                chunk = os.read(self._fd, min(left, max(self.info.size + 1, 4096)))
            except OSError as exc:
                raise StateFileError(
                    f"cannot read {self.what}: {exc.strerror}", code=Code.STATE_FILE_UNREADABLE
                ) from None
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    def changed(self) -> bool:
        """Whether the open file was rewritten since it was opened (its stamp moved)."""
        try:
            return info_of(os.fstat(self._fd)).stamp != self.info.stamp
        except OSError:
            return True


def open_state_file(path: str, what: str) -> StateFile | None:
    """Open a regular state file for reading without ever blocking; None when it
    does not exist. Raises :class:`StateFileError` before reading anything that
    is not a regular file."""
    if stat_state_file(path, what) is None:
        return None
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"cannot open {what}: {exc.strerror}", code=Code.STATE_FILE_UNREADABLE) from None
    try:
        info = _regular(os.fstat(fd), what)
    except OSError as exc:
        os.close(fd)
        raise StateFileError(f"cannot stat {what}: {exc.strerror}", code=Code.STATE_FILE_UNREADABLE) from None
    except BaseException:
        os.close(fd)
        raise
    return StateFile(fd, info, what)


def read_state_file(path: str, what: str, limit: int) -> bytes | None:
    """The whole file, or None when it does not exist. Raises :class:`StateFileError`."""
    handle = open_state_file(path, what)
    if handle is None:
        return None
    with handle:
        return handle.read(limit)


class LocalStateFiles(StateFiles):
    """The :class:`StateFiles` port on this machine's file system."""

    def stat(self, path: str, what: str) -> StateFileInfo | None:
        return stat_state_file(path, what)

    def open(self, path: str, what: str) -> OpenStateFile | None:
        return open_state_file(path, what)

    def real_path(self, path: str) -> str:
        return os.path.realpath(path)


__all__ = [
    "LocalStateFiles",
    "StateFile",
    "StateFileError",
    "info_of",
    "open_state_file",
    "read_state_file",
    "stat_state_file",
]
