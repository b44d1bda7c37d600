"""Process discovery, and the Codex clean-up that must kill a left-behind daemon and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import not_run
from tests.leaks import TableSnapshot, daemon_sessions_since
from workspace_trust.adapters.processes import (
    ProcessInfo,
    alive,
    lineage,
    list_processes,
    under,
)
from workspace_trust.adapters.pty_process import SESSION_ENV, PtyProcessSpawner
from workspace_trust.ports import PtySession, SpawnSpec


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


def test_a_reaped_leaders_number_is_followed_only_while_its_session_holds_it() -> None:
    from workspace_trust.adapters.processes import reaped_leader_members

    # Leader 100 is reaped; its session still has members, so the number is held.
    ours = (_proc(1, 0, 1), _proc(101, 1, 100), ProcessInfo(pid=102, ppid=101, pgid=100, sid=100, state="S"))
    assert reaped_leader_members(100, ours) == (101, 102)
    # The number was handed out again: the new owner, a group leader with a
    # child, is a stranger, and nothing of ours can be left.
    stranger = (_proc(1, 0, 1), _proc(100, 1, 100), _proc(103, 100, 100))
    assert reaped_leader_members(100, stranger) == ()


def test_the_suites_leak_check_sees_a_double_forked_daemon_in_a_sandbox(sandbox: str) -> None:
    """The check every test gets (conftest) finds a daemon the descendant walk
    cannot: re-parented to init, in a session of its own."""
    from tests.conftest import daemons_left
    from tests.leaks import take_snapshot

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


_IN_A_NEW_PID_NAMESPACE = """
import json, os
from workspace_trust.adapters.processes import list_processes, pids_with_path_prefix
print(json.dumps({"pid": os.getpid(), "proc_self": os.readlink("/proc/self"),
                  "table": len(list_processes()), "by_path": len(pids_with_path_prefix("/"))}))
"""


def test_a_proc_of_another_pid_namespace_is_never_read() -> None:
    """In a pid namespace without its own /proc, /proc's numbers are another
    namespace's: the table is empty rather than a list of strangers to signal."""
    import json
    import shutil

    unshare = shutil.which("unshare")
    if unshare is None:
        not_run("NOT RUN: util-linux `unshare` is not installed")
    proc = subprocess.run(
        [unshare, "--pid", "--fork", sys.executable, "-c", _IN_A_NEW_PID_NAMESPACE],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if proc.returncode != 0 and "Operation not permitted" in proc.stderr:
        not_run(f"NOT RUN: cannot make a pid namespace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["pid"] == 1 and seen["proc_self"] != "1"  # the premise: /proc is the parent's
    assert (seen["table"], seen["by_path"]) == (0, 0)


def test_the_process_table_is_read_when_proc_is_ours() -> None:
    from workspace_trust.adapters.processes import proc_is_ours

    assert proc_is_ours() and any(p.pid == os.getpid() for p in list_processes())


_DOUBLE_FORK = """
import os, sys, time
os.setsid()
if os.fork():
    os._exit(0)
print(os.getpid(), flush=True)
time.sleep(30)
"""

#: A PTY child that starts a daemon (its own session, no terminal, re-parented
#: to init: out of reach of the group kill), says its pid, and stays.
_LEAVES_A_DAEMON = f"""
import subprocess, sys, time
starter = subprocess.Popen([sys.executable, "-c", {_DOUBLE_FORK!r}], stdout=subprocess.PIPE, text=True,
                           stdin=subprocess.DEVNULL)
pid = int(starter.stdout.readline())
starter.wait()
print("daemon", pid, flush=True)
time.sleep(30)
"""


def _spawn_python(code: str, cwd: str) -> PtySession:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color"}
    return PtyProcessSpawner().spawn(SpawnSpec(argv=(sys.executable, "-c", code), cwd=cwd, env=env))


def _said(session: PtySession, word: str) -> int:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for line in session.read_snapshot(50).lines:
            parts = line.split()
            if len(parts) == 2 and parts[0] == word and parts[1].isdigit():
                return int(parts[1])
    raise AssertionError(f"the child never said {word!r}")


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_kill_takes_a_daemon_the_session_started_and_nothing_else(sandbox: str) -> None:
    """The daemon left the process group, the session and the process tree; it
    still carries the session's marker, and that is how the kill finds it. A
    daemon of the caller's own, exactly alike but for the marker, is left alone."""
    theirs = subprocess.Popen([sys.executable, "-c", _DOUBLE_FORK], stdout=subprocess.PIPE, text=True)
    assert theirs.stdout is not None
    not_ours = int(theirs.stdout.readline())
    theirs.wait(timeout=10)
    try:
        session = _spawn_python(_LEAVES_A_DAEMON, sandbox)
        try:
            daemon = _said(session, "daemon")
            with open(f"/proc/{daemon}/environ", "rb") as handle:
                assert any(e.startswith(f"{SESSION_ENV}=".encode()) for e in handle.read().split(b"\x00"))
        finally:
            report = session.kill()
        assert _gone(daemon), "the session's daemon survived the kill"
        assert (report.strays, report.survivors) == ((daemon,), ())
        assert alive(not_ours)
    finally:
        os.kill(not_ours, 9)
        assert _gone(not_ours)


_LEADERLESS_HOST = f"""
import json, os, subprocess, sys, time
os.setsid()
if os.fork():
    os._exit(0)
# The host: no terminal, its session leader gone, as under a CI runner.
from workspace_trust.adapters.processes import alive
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.ports import SpawnSpec
sandbox, out = sys.argv[1], sys.argv[2]
plain = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
env = {{"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color"}}
session = PtyProcessSpawner().spawn(SpawnSpec(argv=(sys.executable, "-c", {_LEAVES_A_DAEMON!r}), cwd=sandbox, env=env))
daemon = None
deadline = time.monotonic() + 15
while daemon is None and time.monotonic() < deadline:
    for line in session.read_snapshot(50).lines:
        if line.startswith("daemon "):
            daemon = int(line.split()[1])
report = session.kill()
time.sleep(0.2)
result = {{"plain": plain.poll(), "daemon_alive": daemon is None or alive(daemon),
          "strays": len(report.strays), "host": os.getpid()}}
plain.kill()
plain.wait()
with open(out + ".tmp", "w") as handle:
    json.dump(result, handle)
os.rename(out + ".tmp", out)
"""


def test_a_host_with_no_terminal_and_no_session_leader_survives_its_own_kill(sandbox: str) -> None:
    """The CI failure, for real: a clean-up that went by "no terminal, leader
    gone" took the CI job's own session for a daemon and killed it. The host
    here lives like that; after the kill it and its plain child are alive and
    only the session's daemon is gone."""
    import json

    out = os.path.join(sandbox, "result.json")
    starter = subprocess.Popen([sys.executable, "-c", _LEADERLESS_HOST, sandbox, out], stdin=subprocess.DEVNULL)
    assert starter.wait(timeout=10) == 0
    deadline = time.monotonic() + 30
    while not os.path.exists(out):
        assert time.monotonic() < deadline, "the host never finished: the kill took its own session"
        time.sleep(0.05)
    with open(out, encoding="utf-8") as handle:
        result = json.load(handle)
    assert _gone(result.pop("host")), "the host did not exit"
    assert result == {"plain": None, "daemon_alive": False, "strays": 1}


_EXITS_LEAVING_A_GRANDCHILD = """
import os, signal, time
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # outlives its session leader
    print("grandchild", os.getpid(), flush=True)
    time.sleep(30)
    os._exit(0)
time.sleep(0.3)
os._exit(3)
"""


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
        stat = handle.read()
    return stat[stat.rfind(")") + 2 :].split()[0]


def _exited_leaving_a_grandchild(sandbox: str, *, wait_for_exit: bool = True) -> tuple[PtySession, int]:
    session = _spawn_python(_EXITS_LEAVING_A_GRANDCHILD, sandbox)
    grandchild = _said(session, "grandchild")
    deadline = time.monotonic() + 10
    while wait_for_exit and session.exit_status() is None:
        assert time.monotonic() < deadline
        session.read_snapshot(20)
    return session, grandchild


def test_an_exited_child_is_not_reaped_before_the_kill(sandbox: str) -> None:
    """Its pid number, and its group's, stay held (a zombie) while the session
    may still signal them; the kill reaps it."""
    session, grandchild = _exited_leaving_a_grandchild(sandbox)
    assert session.exit_status() == 3 and _state(session.pid) == "Z"
    report = session.kill()
    assert _gone(grandchild) and report.survivors == ()
    assert not os.path.exists(f"/proc/{session.pid}") or _state(session.pid) != "Z"


@pytest.mark.parametrize("exit_seen_first", [True, False], ids=["after-the-exit-was-seen", "before"])
def test_a_child_reaped_by_the_host_is_not_signalled_by_number(
    sandbox: str, monkeypatch: pytest.MonkeyPatch, exit_seen_first: bool
) -> None:
    """A host that reaps every child itself (waitpid(-1), or SIGCHLD ignored).
    From the reap on, the pid number is free: the kill must not signal the group
    by that number, and must still find the grandchild by session and marker."""
    killpg_calls: list[int] = []
    real_killpg = os.killpg

    def spy(pgid: int, sig: int) -> None:
        killpg_calls.append(pgid)
        real_killpg(pgid, sig)

    session, grandchild = _exited_leaving_a_grandchild(sandbox, wait_for_exit=exit_seen_first)
    assert os.waitpid(session.pid, 0)[0] == session.pid  # the host's reaper
    monkeypatch.setattr(os, "killpg", spy)
    report = session.kill()
    assert session.pid not in killpg_calls
    assert _gone(grandchild) and report.survivors == ()


def test_the_caller_is_never_signalled_even_if_it_carried_the_marker(
    sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workspace_trust.adapters import pty_process
    from workspace_trust.adapters.processes import pids_with_environ_entry as real_scan
    from workspace_trust.adapters.processes import signal_pids as real_signal

    signalled: set[int] = set()

    def scan(entry: bytes, table: object = None) -> tuple[int, ...]:
        return (*real_scan(entry, table), os.getpid(), os.getppid())  # type: ignore[arg-type]

    def record(pids: object, sig: signal.Signals) -> int:
        chosen = set(pids)  # type: ignore[call-overload]
        signalled.update(chosen)
        return real_signal(chosen - {os.getpid(), os.getppid()}, sig)

    monkeypatch.setattr(pty_process, "pids_with_environ_entry", scan)
    monkeypatch.setattr(pty_process, "signal_pids", record)
    session = _spawn_python("import time; print('child 1', flush=True); time.sleep(30)", sandbox)
    _said(session, "child")
    report = session.kill()
    assert signalled and not signalled & {os.getpid(), os.getppid()}
    assert report.survivors == ()


def test_a_process_that_survives_sigkill_costs_one_pass_not_all(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member the kill cannot signal (another user's, say) survives SIGKILL:
    the kill reports it after one pass instead of waiting for it KILL_PASSES
    times (the fake clock makes the waits instant; the passes are counted)."""
    from workspace_trust.adapters import containment, pty_process
    from workspace_trust.adapters.processes import signal_pids as real_signal
    from workspace_trust.testing import FakeClock

    stuck: list[int] = []
    sigkill_passes = 0

    def refuse_one(pids: object, sig: signal.Signals) -> int:
        nonlocal sigkill_passes
        sigkill_passes += sig is signal.SIGKILL
        return real_signal(set(pids) - set(stuck), sig)  # type: ignore[call-overload]

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    code = (
        "import os, signal, time\n"
        "if os.fork() == 0:\n"
        "    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # outlives its session leader\n"
        "    print('grandchild', os.getpid(), flush=True)\n"
        "time.sleep(30)\n"
    )
    # A cgroup's cgroup.kill would reach it too (the kernel kills whoever is in
    # it): this is the case without one.
    monkeypatch.setattr(containment, "cgroup_parent", lambda *args: None)
    session = PtyProcessSpawner(clock=FakeClock()).spawn(
        SpawnSpec(argv=(sys.executable, "-c", code), cwd=sandbox, env=env)
    )
    grandchild = _said(session, "grandchild")
    stuck.append(grandchild)
    monkeypatch.setattr(pty_process, "signal_pids", refuse_one)

    # The killpg would reach it too: the group is the child's, so refuse that as well.
    monkeypatch.setattr(os, "killpg", lambda pgid, sig: None)
    try:
        report = session.kill()
        assert report.survivors == (grandchild,)
        assert sigkill_passes == 1
    finally:
        os.kill(grandchild, 9)
        assert _gone(grandchild)


def test_without_waitid_or_proc_the_group_is_still_killed(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS before Python 3.13: no waitid, so seeing the exit reaps the child,
    and no /proc to list its group. Signalling the group by number is then the
    only way to reach the grandchild, and the kill must still do it."""
    from workspace_trust.adapters import pty_process

    monkeypatch.setattr(pty_process, "_HAS_WAITID", False)
    monkeypatch.setattr(pty_process, "list_processes", lambda: ())
    session, grandchild = _exited_leaving_a_grandchild(sandbox)
    assert not os.path.exists(f"/proc/{session.pid}") or _state(session.pid) != "Z"  # reaped on sight
    session.kill()
    assert _gone(grandchild)
