"""The ptyprocess adapter: one contract shared with the fake, and its patches."""

from __future__ import annotations

import os
import stat
import sys
import threading
import time
import warnings
from typing import Any

import pytest
from ptyprocess import PtyProcess

from workspace_trust.adapters.processes import alive, list_processes
from workspace_trust.adapters.pty_process import PtyProcessSession, PtyProcessSpawner, resolve_binary
from workspace_trust.domain.codes import Key
from workspace_trust.errors import BinaryMissingError, PtyUnavailableError
from workspace_trust.ports import SpawnSpec
from workspace_trust.testing import (
    FakeClock,
    FakePtySession,
    FakeScreen,
    FakeTui,
    check_pty_port,
)

FAKE_TUI = os.path.join(os.path.dirname(__file__), "fake_tui.py")


def env(**extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "TERM": "xterm-256color",
        "HOME": os.environ.get("HOME", "/"),
        **extra,
    }


def test_conformance_real_adapter(sandbox: str) -> None:
    spawner = PtyProcessSpawner()
    check_pty_port(
        lambda: spawner.spawn(SpawnSpec(argv=(FAKE_TUI,), cwd=sandbox, env=env(HOME=sandbox))),
        expect_text="Yes, I trust this folder",
    )


def test_conformance_fake() -> None:
    tui = FakeTui(screens={"s": FakeScreen(lines=("Yes, I trust this folder",), options=("a", "b"))}, current="s")
    check_pty_port(
        lambda: FakePtySession(tui, FakeClock(), SpawnSpec(argv=("x",), cwd="/", env={})),
        expect_text="Yes, I trust this folder",
    )


def _script(folder: str, name: str, body: str) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def test_ptyprocess_resolves_with_parent_path(sandbox: str) -> None:
    """The bug: PtyProcess.spawn looks argv[0] up on *our* PATH, not env['PATH']."""
    bindir = os.path.join(sandbox, "bin")
    os.mkdir(bindir)
    _script(bindir, "only-on-child-path", "echo found")
    with pytest.raises(FileNotFoundError):
        PtyProcess.spawn(["only-on-child-path"], env={"PATH": bindir})


def test_adapter_resolves_against_child_path(sandbox: str) -> None:
    bindir = os.path.join(sandbox, "bin")
    os.mkdir(bindir)
    _script(bindir, "only-on-child-path", "echo found-it; sleep 30")
    assert resolve_binary("only-on-child-path", {"PATH": bindir}) == os.path.join(bindir, "only-on-child-path")
    session = PtyProcessSpawner().spawn(
        SpawnSpec(argv=("only-on-child-path",), cwd=sandbox, env={"PATH": bindir + ":/bin:/usr/bin"})
    )
    try:
        text = ""
        for _ in range(100):
            text = "\n".join(session.read_snapshot(20).lines)
            if "found-it" in text:
                break
        assert "found-it" in text
    finally:
        session.kill()


def test_missing_binary_is_a_typed_error(sandbox: str) -> None:
    with pytest.raises(BinaryMissingError):
        PtyProcessSpawner().spawn(SpawnSpec(argv=("no-such-binary-xyz",), cwd=sandbox, env={"PATH": sandbox}))


def test_missing_cwd_is_a_typed_error(sandbox: str) -> None:
    with pytest.raises(PtyUnavailableError):
        PtyProcessSpawner().spawn(SpawnSpec(argv=("/bin/sh",), cwd=os.path.join(sandbox, "gone"), env=env()))


def test_kill_reaches_the_whole_group_and_session(sandbox: str) -> None:
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=(FAKE_TUI,), cwd=sandbox, env=env(HOME=sandbox, FAKE_CHILD="1")))
    for _ in range(200):
        if any("trust" in line for line in session.read_snapshot(20).lines):
            break
    members = [p.pid for p in list_processes() if p.sid == session.pid and p.pid != session.pid]
    assert members, "the fake TUI should have started a child"
    report = session.kill()
    assert report.survivors == ()
    assert not any(alive(pid) for pid in members)
    assert session.exit_status() is not None


def test_term_ignoring_process_is_killed(sandbox: str) -> None:
    script = _script(sandbox, "stubborn", "trap '' TERM; echo ready; while true; do sleep 1; done")
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=(script,), cwd=sandbox, env=env()))
    for _ in range(100):
        if any("ready" in line for line in session.read_snapshot(20).lines):
            break
    report = session.kill()
    assert report.escalated
    assert report.survivors == ()


def test_a_kill_without_term_grace_gives_a_slow_shutdown_no_time(sandbox: str) -> None:
    """A CLI that goes on starting things after SIGTERM (Copilot CLI 1.0.102
    starts a folder's MCP servers while it takes ~2 s to exit): with a grace
    of 0, SIGKILL follows SIGTERM at once, and what its TERM handler would
    start a moment later never starts. With the usual grace it does."""
    started = os.path.join(sandbox, "started-after-term")
    body = f"trap 'sleep 0.1; touch \"{started}\"; exit 0' TERM; echo ready; while true; do sleep 0.01; done"
    script = _script(sandbox, "slow-exit", body)
    for grace, expected in ((0, False), (None, True)):
        session = PtyProcessSpawner().spawn(SpawnSpec(argv=(script,), cwd=sandbox, env=env()))
        for _ in range(100):
            if any("ready" in line for line in session.read_snapshot(20).lines):
                break
        report = session.kill(term_grace_ms=grace)
        assert report.survivors == ()
        assert os.path.exists(started) is expected, grace
        assert report.escalated is not expected


def test_cursor_position_query_is_answered(sandbox: str) -> None:
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=(FAKE_TUI,), cwd=sandbox, env=env(HOME=sandbox, FAKE_QUERY="1")))
    try:
        seen = ""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "Yes, I trust" not in seen:
            seen = "\n".join(session.read_snapshot(20).lines)
        assert "Yes, I trust this folder" in seen
    finally:
        session.kill()


def test_keys_are_the_allowlisted_bytes(sandbox: str) -> None:
    log = os.path.join(sandbox, "keys.log")
    session = PtyProcessSpawner().spawn(
        SpawnSpec(argv=(FAKE_TUI,), cwd=sandbox, env=env(HOME=sandbox, FAKE_KEYLOG=log, FAKE_DROP="0,1,2,3"))
    )
    try:
        for _ in range(200):
            if any("trust" in line for line in session.read_snapshot(20).lines):
                break
        for key in (Key.DOWN, Key.UP, Key.ESCAPE, Key.ENTER):
            session.send_key(key)
            time.sleep(0.05)
        for _ in range(50):
            if os.path.exists(log) and len(open(log).read().split()) >= 4:  # noqa: SIM115
                break
            time.sleep(0.02)
        with open(log, encoding="utf-8") as handle:
            assert handle.read().split() == ["1b5b42", "1b5b41", "1b", "0d"]
    finally:
        session.kill()


def test_a_kill_from_another_thread_waits_for_a_read_in_progress(sandbox: str) -> None:
    """dispose() kills from its own thread while a worker reads. The kill must
    wait for the read: closing the fd under it would make the read fail, or read
    a file that reused the fd's number."""
    session = PtyProcessSpawner().spawn(
        SpawnSpec(argv=(FAKE_TUI,), cwd=sandbox, env=env(HOME=sandbox, FAKE_MODE="silent"))
    )
    assert isinstance(session, PtyProcessSession)
    real_select = session._selector.select
    killed = threading.Event()

    def kill() -> None:
        session.kill()
        killed.set()

    killer = threading.Thread(target=kill)

    def select_while_killing(timeout: float | None = None) -> Any:
        if killer.ident is None:
            killer.start()
            # Unguarded, the kill finishes here and closes the selector under us.
            killed.wait(0.5)
        return real_select(timeout)

    session._selector.select = select_while_killing  # type: ignore[method-assign]
    snapshot = session.read_snapshot(10)
    assert snapshot.frame == 1
    killer.join(timeout=10)
    assert killed.is_set() and session.kill().survivors == ()
    assert session.exit_status() is not None


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Python 3.11 does not warn; ./dev compat runs this on 3.13")
def test_spawning_from_a_threaded_process_raises_no_fork_warning(sandbox: str) -> None:
    """Python 3.12+ warns about forkpty in any multi-threaded process, and
    ``execute`` always is one: hosts saw a DeprecationWarning per spawn, and with
    warnings as errors an unraisable-exception report. Shown on plain ptyprocess
    first (3.12+ only: 3.11 does not warn)."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with warnings.catch_warnings(record=True) as plain:
            warnings.simplefilter("always")
            PtyProcess.spawn([sys.executable, "-c", "pass"]).wait()
        assert any("multi-threaded" in str(w.message) for w in plain)
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            session = PtyProcessSpawner().spawn(
                SpawnSpec(argv=(sys.executable, "-c", "import time; time.sleep(30)"), cwd=sandbox, env=env())
            )
            assert session.kill().survivors == ()
        assert [str(w.message) for w in ours] == []
    finally:
        stop.set()
        other.join()


def test_a_kill_on_the_reading_thread_stops_the_read_before_the_closed_fd(sandbox: str) -> None:
    """A signal handler that calls dispose() runs on the reading thread, inside
    the read: after it, the read must not touch the fd, whose number a newly
    opened file may already have."""
    session = PtyProcessSpawner().spawn(
        SpawnSpec(argv=(FAKE_TUI,), cwd=sandbox, env=env(HOME=sandbox, FAKE_MODE="trust"))
    )
    assert isinstance(session, PtyProcessSession)
    real_select = session._selector.select
    reused: list[int] = []

    def select_then_die(timeout: float | None = None) -> Any:
        events = real_select(timeout)
        fd = session._fd
        session.kill()
        # Another file takes the closed fd's number, with text of its own.
        read_end, write_end = os.pipe()
        os.write(write_end, b"SECRET FROM ANOTHER FILE")
        if read_end != fd:
            os.dup2(read_end, fd)
            os.close(read_end)
        reused.extend([fd, write_end])
        return events

    session._selector.select = select_then_die  # type: ignore[method-assign]
    try:
        snapshot = session.read_snapshot(2000)
        assert not any("SECRET" in line for line in snapshot.lines)
    finally:
        for fd in reused:
            os.close(fd)


def test_a_requested_kill_stops_a_read_that_is_coalescing_a_flood(sandbox: str) -> None:
    session = PtyProcessSpawner().spawn(
        SpawnSpec(argv=(FAKE_TUI,), cwd=sandbox, env=env(HOME=sandbox, FAKE_MODE="silent"))
    )
    assert isinstance(session, PtyProcessSession)
    reads: list[int] = []

    def flood() -> bytes:
        reads.append(1)
        if len(reads) == 3:
            session._kill_requested.set()  # what kill() does before it waits for the lock
        return b"x" * 1000

    def always_ready(timeout: float | None = None) -> Any:
        ready: list[object] = [("ready", 1)]
        return ready

    session._selector.select = always_ready  # type: ignore[method-assign]
    session._read_available = flood  # type: ignore[method-assign]
    try:
        session.read_snapshot(10)
        # Without the request it would go on to MAX_READ_PER_FRAME (1 MiB): 1,000+ reads.
        assert len(reads) == 3
    finally:
        assert session.kill().survivors == ()


@pytest.mark.parametrize(
    "head", [b"#!/no/such/interpreter\necho hi\n", b"echo no shebang\n", b"#!\n", b"\x7fELF-not-really"]
)
def test_a_file_the_kernel_cannot_execute_is_a_typed_error(sandbox: str, head: bytes) -> None:
    """Executable by mode, but exec fails (a missing interpreter, no #! line):
    reported as a binary that cannot run, with or without a cgroup, never run
    through a shell instead."""
    path = os.path.join(sandbox, "cli")
    with open(path, "wb") as handle:
        handle.write(head)
    os.chmod(path, 0o755)

    def children() -> set[int]:
        return {p.pid for p in list_processes() if p.ppid == os.getpid() and p.state != "Z"}

    before = children()
    with pytest.raises(BinaryMissingError):
        session = PtyProcessSpawner().spawn(SpawnSpec(argv=(path,), cwd=sandbox, env=env()))
        session.kill()
    # ptyprocess raises as soon as the forked child reports its failed exec,
    # and never reaps it (its pid is not given out): wait for it to have
    # exited, as a host would see it, a zombie.
    deadline = time.monotonic() + 60
    while children() - before and time.monotonic() < deadline:
        time.sleep(0.01)
