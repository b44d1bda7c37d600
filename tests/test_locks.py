"""The lock port's adapter: ``on_wait`` only when someone else holds the lock,
lock files made private, a shared temp folder's owner checked, and our own
stale lock files swept."""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from pathlib import Path

import pytest

from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.locks import WorkspaceLocks, _FlockFile, fallback_lock_dir
from workspace_trust.ports import LockWait


def _never() -> bool:
    return False


def test_on_wait_only_when_contended(tmp_path: Path) -> None:
    locks = WorkspaceLocks(SystemClock(), str(tmp_path / "locks"))
    waits: list[LockWait] = []
    with locks.hold("k", timeout_ms=5000, is_cancelled=_never, on_wait=waits.append):
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

    def on_wait(wait: LockWait) -> None:
        waits.append(wait)
        release.set()

    with locks.hold("k", timeout_ms=10_000, is_cancelled=_never, on_wait=on_wait) as held:
        assert held.key == "k"
    thread.join(10)
    assert [(w.holder, w.holder_owner) for w in waits] == [("another_process", None)]


def test_a_wait_reports_who_holds_the_lock_and_keeps_reporting(tmp_path: Path) -> None:
    """A waiter hears at once, then about every second, that this run's other
    session holds the lock, and which one (its owner): a heartbeat, not one
    line and then silence."""
    locks = WorkspaceLocks(SystemClock(), str(tmp_path / "locks"))
    entered, release = threading.Event(), threading.Event()

    def holder() -> None:
        with locks.hold("k", timeout_ms=5000, is_cancelled=_never, owner="/ws/a"):
            entered.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    assert entered.wait(10)
    waits: list[LockWait] = []

    def on_wait(wait: LockWait) -> None:
        waits.append(wait)
        if len(waits) == 3:
            release.set()

    with locks.hold("k", timeout_ms=30_000, is_cancelled=_never, on_wait=on_wait, owner="/ws/b"):
        pass
    thread.join(10)
    assert [(w.holder, w.holder_owner) for w in waits] == [("this_run", "/ws/a")] * 3
    assert waits[0].waited_ms < waits[1].waited_ms < waits[2].waited_ms


def test_lock_files_are_private_and_removed_when_released(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    locks = WorkspaceLocks(SystemClock(), str(folder))
    with locks.hold("k", timeout_ms=5000, is_cancelled=_never):
        (name,) = os.listdir(folder)
        info = os.stat(folder / name)
        assert info.st_mode & 0o777 == 0o600
        assert os.stat(folder).st_mode & 0o777 == 0o700
    assert os.listdir(folder) == []


def test_an_open_lock_folder_of_ours_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    folder.mkdir(mode=0o777)
    os.chmod(folder, 0o777)
    with WorkspaceLocks(SystemClock(), str(folder)).hold("k", timeout_ms=5000, is_cancelled=_never):
        assert os.stat(folder).st_mode & 0o777 == 0o700


def test_a_lock_folder_that_is_a_symlink_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Someone else made the shared name first (here: a symlink to their folder).
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    shared = tmp_path / "workspace-trust-locks"
    shared.symlink_to(theirs)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with WorkspaceLocks(SystemClock(), str(shared)).hold("k", timeout_ms=5000, is_cancelled=_never):
        assert os.listdir(theirs) == []
        (used,) = os.listdir(fallback_lock_dir())
        assert used.endswith(".lock")
    assert fallback_lock_dir().startswith(str(tmp_path / "home"))


def test_a_lock_folder_owned_by_another_account_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    real_lstat = os.lstat

    def lstat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        info = real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]
        if os.fspath(path) == str(shared):  # type: ignore[call-overload]
            values = list(info)
            values[4] = os.getuid() + 1  # st_uid
            return os.stat_result(values)
        return info

    monkeypatch.setattr(os, "lstat", lstat)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with WorkspaceLocks(SystemClock(), str(shared)).hold("k", timeout_ms=5000, is_cancelled=_never):
        assert os.listdir(shared) == []
        assert len(os.listdir(fallback_lock_dir())) == 1


def test_stale_lock_files_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    folder.mkdir(mode=0o700)
    stale = folder / ("a" * 32 + ".lock")
    stale.write_text("")
    other = folder / "not-a-lock.txt"
    other.write_text("")
    live = folder / ("b" * 32 + ".lock")
    fd = os.open(live, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process's live lock (an open file description of its own)
    try:
        with WorkspaceLocks(SystemClock(), str(folder)).hold("k", timeout_ms=5000, is_cancelled=_never):
            names = set(os.listdir(folder))
        assert stale.name not in names
        assert {live.name, other.name} <= names
    finally:
        os.close(fd)


def test_a_lock_taken_on_a_removed_file_is_taken_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The race a removing holder opens: a waiter opens the file, the holder
    # removes it and lets go, the waiter's flock then succeeds on a file no
    # longer in the folder (where a third would make a new one and lock it too).
    # The waiter must notice and lock the file that is there.
    path = str(tmp_path / "x.lock")
    holder = _FlockFile(path, fcntl)
    assert holder.try_acquire()
    waiter = _FlockFile(path, fcntl)
    real_open = os.open
    opened: list[int] = []

    def open_then_holder_lets_go(file: str, flags: int, mode: int = 0o777) -> int:
        fd = real_open(file, flags, mode)
        opened.append(fd)
        if len(opened) == 1:
            holder.release()  # removes the file, then unlocks it
        return fd

    monkeypatch.setattr(os, "open", open_then_holder_lets_go)
    assert waiter.try_acquire()
    monkeypatch.setattr(os, "open", real_open)
    assert len(opened) == 2  # it started over once
    third = _FlockFile(path, fcntl)
    assert not third.try_acquire()  # the waiter holds the file in the folder
    waiter.release()
    assert third.try_acquire()
    third.release()
    assert not os.path.exists(path)


def test_the_lock_folder_does_not_follow_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two preflights with different XDG_RUNTIME_DIR or TMPDIR (a host may set
    them per launch) must lock in one folder, or they do not exclude each other."""
    from workspace_trust.adapters.locks import default_lock_dir

    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("TMPDIR", raising=False)
    plain = default_lock_dir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    assert default_lock_dir() == plain
    assert plain.endswith(f"workspace-trust-locks-{os.getuid()}") and not plain.startswith(str(tmp_path))
