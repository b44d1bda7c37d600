"""Process discovery, and the Codex clean-up that must kill a left-behind daemon and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from workspace_trust.adapters.processes import alive, list_processes, pids_with_path_prefix, under
from workspace_trust.domain.paths import HostOs, PathFacts, build_workspace
from workspace_trust.providers.codex.strategy import CodexPty


@pytest.mark.parametrize(
    ("path", "prefix", "expected"),
    [
        ("/a/code", "/a/code", True),
        ("/a/code/x", "/a/code", True),
        ("/a/code/x", "/a/code/", True),
        ("/a/codex", "/a/code", False),
        ("/a/code-other/x", "/a/code", False),
        ("/a", "/a/code", False),
        ("/anything", "/", True),
    ],
)
def test_under_compares_whole_components(path: str, prefix: str, expected: bool) -> None:
    assert under(path, prefix) is expected


def test_process_table_knows_sessions_and_terminals() -> None:
    me = os.getpid()
    (mine,) = [p for p in list_processes() if p.pid == me]
    assert (mine.sid, mine.pgid) == (os.getsid(0), os.getpgid(0))
    child = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        (info,) = [p for p in list_processes() if p.pid == child.pid]
        assert info.sid == child.pid and info.tty_nr == 0
    finally:
        child.kill()
        child.wait()


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _sleep(started: list[subprocess.Popen[bytes]], arg: str, *, daemon: bool) -> subprocess.Popen[bytes]:
    # ARG only has to stand in the process's argv.
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", arg], start_new_session=daemon)
    started.append(proc)
    return proc


def _wait_listed(pid: int, prefix: str) -> None:
    deadline = time.monotonic() + 10
    while pid not in pids_with_path_prefix(prefix):
        assert time.monotonic() < deadline, "process never showed up"
        time.sleep(0.01)


def test_codex_clean_up_kills_a_left_behind_daemon_and_nothing_else(
    sandbox: str, started: list[subprocess.Popen[bytes]]
) -> None:
    home = os.path.join(sandbox, "codexhome")
    os.makedirs(home)
    env = {"CODEX_HOME": home}
    spec = CodexPty()
    older_daemon = _sleep(started, os.path.join(home, "old.sock"), daemon=True)
    _wait_listed(older_daemon.pid, home)
    before = spec.before_spawn(env)
    daemon = _sleep(started, os.path.join(home, "app-server.sock"), daemon=True)
    plain = _sleep(started, os.path.join(home, "notes.txt"), daemon=False)
    sibling = _sleep(started, os.path.join(sandbox, "codexhome-other", "x"), daemon=True)
    _wait_listed(daemon.pid, home)
    _wait_listed(plain.pid, home)
    facts = PathFacts(absolute=sandbox, real=sandbox, home=None, exists=True, is_dir=True)
    (diagnostic,) = spec.after_kill(env, build_workspace(sandbox, facts, HostOs.LINUX), before)
    assert daemon.wait(timeout=10) == -9
    assert "1 process" in diagnostic.message
    # Started before the session, not a session leader, or outside CODEX_HOME:
    # none of them is the session's to kill (each is still running half a second on).
    for survivor in (older_daemon, plain, sibling):
        with pytest.raises(subprocess.TimeoutExpired):
            survivor.wait(timeout=0.5)


_DOUBLE_FORK = """
import os, sys, time
os.setsid()
if os.fork():
    os._exit(0)
print(os.getpid(), flush=True)
time.sleep(30)
"""


def test_codex_clean_up_finds_a_double_forked_daemon_and_a_symlinked_home(sandbox: str) -> None:
    real_home = os.path.join(sandbox, "real-codexhome")
    os.makedirs(real_home)
    link = os.path.join(sandbox, "codexhome")
    os.symlink(real_home, link)
    env = {"CODEX_HOME": link}
    spec = CodexPty()
    before = spec.before_spawn(env)
    # Named by the symlink in its argv; its session leader exits at once.
    starter = subprocess.Popen(
        [sys.executable, "-c", _DOUBLE_FORK, os.path.join(link, "app-server.sock")], stdout=subprocess.PIPE, text=True
    )
    assert starter.stdout is not None
    daemon = int(starter.stdout.readline())
    starter.wait(timeout=10)
    try:
        _wait_listed(daemon, link)
        facts = PathFacts(absolute=sandbox, real=sandbox, home=None, exists=True, is_dir=True)
        (diagnostic,) = spec.after_kill(env, build_workspace(sandbox, facts, HostOs.LINUX), before)
        deadline = time.monotonic() + 10
        while alive(daemon):
            assert time.monotonic() < deadline, "the daemon survived"
            time.sleep(0.01)
        assert "process" in diagnostic.message
    finally:
        if alive(daemon):
            os.kill(daemon, 9)


@pytest.mark.parametrize("codex_home", ["/", "relative/codex"])
def test_codex_clean_up_refuses_a_codex_home_too_broad_to_tell_a_daemon_by(codex_home: str) -> None:
    assert CodexPty().before_spawn({"CODEX_HOME": codex_home}) is None


def test_codex_clean_up_refuses_the_home_folder_itself(sandbox: str) -> None:
    assert CodexPty().before_spawn({"CODEX_HOME": sandbox, "HOME": sandbox}) is None
