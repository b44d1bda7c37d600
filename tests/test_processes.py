"""Process discovery, and the Codex clean-up that must kill a left-behind daemon and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from workspace_trust.adapters.processes import (
    ProcessInfo,
    TableSnapshot,
    alive,
    daemon_sessions_since,
    lineage,
    list_processes,
    pids_with_path_prefix,
    under,
)
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


def _proc(pid: int, ppid: int, sid: int, tty: int = 0, state: str = "S") -> ProcessInfo:
    return ProcessInfo(pid=pid, ppid=ppid, pgid=pid, sid=sid, state=state, tty_nr=tty)


# A host with no terminal whose session leader (10) is gone, as under a CI
# runner or a service manager: host 20, its test runner 30.
_HOST = (_proc(1, 0, 1), _proc(20, 1, 10), _proc(30, 20, 10))
_BEFORE = TableSnapshot(pids=frozenset(), sessions=frozenset({1, 10}))


def test_a_new_child_in_the_hosts_own_leaderless_session_is_never_a_daemon() -> None:
    # The bug that killed a CI run: the host's plain child named CODEX_HOME in
    # its argv, had no terminal and a session leader that was gone, so it was
    # taken for a double-forked daemon and its session (the host's) was killed.
    table = (*_HOST, _proc(40, 30, 10))
    assert daemon_sessions_since(_BEFORE, {40}, table, lineage(30, table)) == ()


def test_a_daemon_in_a_session_made_since_the_spawn_goes_with_its_session() -> None:
    leader = _proc(50, 1, 50)
    member = _proc(51, 50, 50)
    double_forked = _proc(61, 1, 60)  # leader 60 exited after setsid + fork
    table = (*_HOST, leader, member, double_forked, _proc(70, 30, 70, tty=34816))
    protected = lineage(30, table)
    assert daemon_sessions_since(_BEFORE, {50, 61, 70}, table, protected) == (50, 51, 61)
    # Known before the spawn, or holding a terminal: not the session's daemon.
    known = TableSnapshot(pids=frozenset({50}), sessions=_BEFORE.sessions)
    assert daemon_sessions_since(known, {50, 70}, table, protected) == ()


def test_the_caller_and_its_ancestors_are_never_killed() -> None:
    # Even in a session made since the snapshot (the host called setsid itself).
    table = (_proc(1, 0, 1), _proc(20, 1, 20), _proc(30, 20, 20))
    assert daemon_sessions_since(TableSnapshot(frozenset(), frozenset({1})), {20, 30}, table, lineage(30, table)) == ()


_LEADERLESS_HOST = """
import json, os, subprocess, sys, time
os.setsid()
if os.fork():
    os._exit(0)
# The host: no terminal, its session leader gone.
from workspace_trust.domain.paths import HostOs, PathFacts, build_workspace
from workspace_trust.providers.codex.strategy import CodexPty
sandbox, out = sys.argv[1], sys.argv[2]
home = os.path.join(sandbox, "codexhome")
env = {"CODEX_HOME": home}
spec = CodexPty()
before = spec.before_spawn(env)
sleep = [sys.executable, "-c", "import time; time.sleep(30)"]
plain = subprocess.Popen([*sleep, os.path.join(home, "notes.txt")])
daemon = subprocess.Popen([*sleep, os.path.join(home, "app-server.sock")], start_new_session=True)
time.sleep(0.5)
facts = PathFacts(absolute=sandbox, real=sandbox, home=None, exists=True, is_dir=True)
diagnostics = spec.after_kill(env, build_workspace(sandbox, facts, HostOs.LINUX), before)
time.sleep(0.2)
result = {"plain": plain.poll(), "daemon": daemon.poll(), "diagnostics": len(diagnostics), "host": os.getpid()}
plain.kill()
plain.wait()
with open(out + ".tmp", "w") as handle:
    json.dump(result, handle)
os.rename(out + ".tmp", out)
"""


def test_clean_up_run_by_a_host_with_no_terminal_and_no_session_leader(sandbox: str) -> None:
    """The CI failure for real: the host survives, its plain child survives, and
    only the daemon is killed."""
    import json

    os.makedirs(os.path.join(sandbox, "codexhome"))
    out = os.path.join(sandbox, "result.json")
    starter = subprocess.Popen([sys.executable, "-c", _LEADERLESS_HOST, sandbox, out], stdin=subprocess.DEVNULL)
    assert starter.wait(timeout=10) == 0
    deadline = time.monotonic() + 20
    while not os.path.exists(out):
        assert time.monotonic() < deadline, "the host never finished: the clean-up killed its own session"
        time.sleep(0.05)
    with open(out, encoding="utf-8") as handle:
        result = json.load(handle)
    host = result.pop("host")
    while alive(host):  # the host is on its way out; the leak check must not see it
        assert time.monotonic() < deadline, "the host did not exit"
        time.sleep(0.01)
    assert result == {"plain": None, "daemon": -9, "diagnostics": 1}


def test_a_reaped_leaders_number_is_followed_only_while_its_session_holds_it() -> None:
    from workspace_trust.adapters.processes import reaped_leader_members

    # Leader 100 is reaped; its session still has members, so the number is held.
    ours = (_proc(1, 0, 1), _proc(101, 1, 100), ProcessInfo(pid=102, ppid=101, pgid=100, sid=100, state="S"))
    assert reaped_leader_members(100, ours) == (101, 102)
    # The number was handed out again: the new owner, a group leader with a
    # child, is a stranger, and nothing of ours can be left.
    stranger = (_proc(1, 0, 1), _proc(100, 1, 100), _proc(103, 100, 100))
    assert reaped_leader_members(100, stranger) == ()


def test_the_daemon_clean_up_runs_when_a_session_ends_in_an_exception(sandbox: str) -> None:
    from collections.abc import Mapping

    from workspace_trust.domain.paths import Workspace
    from workspace_trust.domain.results import Diagnostic
    from workspace_trust.engine.snapshot import TerminalSnapshot
    from workspace_trust.ports import PtySession, PtySpawner, SpawnSpec, StateProbe
    from workspace_trust.providers.pty_strategy import PtyTrustStrategy
    from workspace_trust.strategy import ExecutionContext
    from workspace_trust.testing import (
        FakeClock,
        FakeHelpReader,
        FakeLocks,
        FakePtySession,
        FakeScreen,
        FakeStateProbe,
        FakeTui,
    )

    class Broken(FakePtySession):
        def read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
            raise OSError("the terminal went away")

    class Spawner(PtySpawner):
        def __init__(self) -> None:
            self.sessions: list[Broken] = []

        def spawn(self, spec: SpawnSpec) -> PtySession:
            self.sessions.append(Broken(FakeTui({"blank": FakeScreen(())}, "blank"), clock, spec))
            return self.sessions[-1]

    cleanups: list[object] = []

    class Recording(CodexPty):
        def state_probe(self, env: Mapping[str, str]) -> StateProbe:
            return FakeStateProbe()

        def resolve_binary(self, explicit: str | None, env: Mapping[str, str]) -> str:
            return "codex"

        def before_spawn(self, env: Mapping[str, str]) -> object:
            return "before"

        def after_kill(self, env: Mapping[str, str], workspace: Workspace, before: object) -> tuple[Diagnostic, ...]:
            cleanups.append(before)
            return ()

    clock = FakeClock()
    spawner = Spawner()
    ctx = ExecutionContext(
        spawner=spawner, clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader(None), env={"HOME": "/nowhere"}
    )
    facts = PathFacts(absolute=sandbox, real=sandbox, home=None, exists=True, is_dir=True)
    with pytest.raises(OSError, match="went away"):
        PtyTrustStrategy(Recording()).execute_workspace(build_workspace(sandbox, facts, HostOs.LINUX), ctx)
    (session,) = spawner.sessions
    assert session.killed and cleanups == ["before"]


def test_the_suites_leak_check_sees_a_double_forked_daemon_in_a_sandbox(sandbox: str) -> None:
    """The check every test gets (conftest) finds a daemon the descendant walk
    cannot: re-parented to init, in a session of its own."""
    from tests.conftest import daemons_left
    from workspace_trust.adapters.processes import take_snapshot

    before = take_snapshot(p.pid for p in list_processes())
    starter = subprocess.Popen(
        [sys.executable, "-c", _DOUBLE_FORK, "no-path-argument"], stdout=subprocess.PIPE, text=True, cwd=sandbox
    )
    assert starter.stdout is not None
    daemon = int(starter.stdout.readline())
    starter.wait(timeout=10)
    try:
        assert daemons_left(before) == {daemon}
    finally:
        os.kill(daemon, 9)
    deadline = time.monotonic() + 10
    while alive(daemon):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert daemons_left(before) == set()
