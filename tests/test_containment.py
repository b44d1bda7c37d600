"""A session's processes are held beyond its process group (its own cgroup,
where one can be made) and beyond this process's life (the watchdog kills the
session if the process that started it is SIGKILLed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from workspace_trust.adapters import containment, watchdog
from workspace_trust.adapters.containment import SESSION_ENV, Containment, Watchdog, cgroup_parent
from workspace_trust.adapters.processes import list_processes, start_time
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.ports import PtySession, SpawnSpec

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
#: Only a guard against a hang: nothing here asserts how long anything took.
HANG_GUARD_S = 60


def gone(pid: int, within_s: float = HANG_GUARD_S) -> bool:
    """``pid`` has ended (gone, or a zombie), waiting up to the guard."""
    deadline = time.monotonic() + within_s
    while True:
        if start_time(pid) is None:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def read_pid(path: str) -> int:
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read().split()
            if text:
                return int(text[0])
        except OSError:
            pass
        time.sleep(0.01)
    raise AssertionError(f"{path} never written")


def expected_cgroup_parent() -> str | None:
    """Worked out apart from the library: this process's cgroup v2 folder, when
    this user may write there (root, or a delegated subtree)."""
    with open("/proc/self/cgroup", encoding="utf-8") as handle:
        own = [line[3:].strip() for line in handle if line.startswith("0::")]
    with open("/proc/mounts", encoding="utf-8") as handle:
        mounts = [line.split()[1] for line in handle if line.split()[2] == "cgroup2"]
    for mount in mounts:
        folder = os.path.normpath(mount + own[0]) if own else None
        if folder and os.access(folder, os.W_OK) and os.access(os.path.join(folder, "cgroup.procs"), os.W_OK):
            return folder
    return None


def cgroup_of(pid: int) -> str | None:
    """The folder of ``pid``'s own session cgroup (``workspace-trust-<owner>-<marker>``),
    or None when it is in none."""
    parent = cgroup_parent()
    with open(f"/proc/{pid}/cgroup", encoding="utf-8") as handle:
        own = next((line[3:].strip() for line in handle if line.startswith("0::")), "")
    name = os.path.basename(own)
    if parent is None or not name.startswith("workspace-trust-"):
        return None
    return os.path.join(parent, name)


def removed(folder: str | None) -> bool:
    """The cgroup folder is gone, waiting up to the guard (a watchdog removes it
    once its processes are gone)."""
    deadline = time.monotonic() + HANG_GUARD_S
    while folder is not None and os.path.exists(folder):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


# -- finding the cgroup --------------------------------------------------------


def _fake_cgroup(folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cgroup.procs"), "w", encoding="ascii"):
        pass
    return folder


def test_the_cgroup_folder_is_found_from_mountinfo(sandbox: str) -> None:
    unified = _fake_cgroup(os.path.join(sandbox, "unified"))
    scope = _fake_cgroup(os.path.join(sandbox, "v2", "user.slice", "app.scope"))
    spaced = _fake_cgroup(os.path.join(sandbox, "my cg", "a"))
    hybrid = f"41 31 0:38 / {unified} rw,relatime - cgroup2 cgroup2 rw\n30 1 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
    v2 = f"29 1 0:26 / {sandbox}/v2 rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
    # Inside a cgroup namespace, or a mount of a subtree: the mount shows its root.
    subtree = f"29 1 0:26 /user.slice {sandbox}/v2/user.slice rw - cgroup2 cgroup2 rw\n"
    escaped = "29 1 0:26 / " + sandbox + "/my\\040cg rw - cgroup2 cgroup2 rw\n"
    assert cgroup_parent("0::/\n", hybrid) == unified
    assert cgroup_parent("12:pids:/x\n0::/user.slice/app.scope\n", v2) == scope
    assert cgroup_parent("0::/user.slice/app.scope\n", subtree) == scope
    assert cgroup_parent("0::/a\n", escaped) == spaced
    # Our cgroup lies outside what the mount shows; cgroup v1 only; not a cgroup.
    assert cgroup_parent("0::/system.slice/x\n", subtree) is None
    assert cgroup_parent("4:memory:/x\n", v2) is None
    assert cgroup_parent("0::/user.slice\n", v2) is None  # no cgroup.procs there


def test_this_machine_offers_a_cgroup_exactly_when_it_should() -> None:
    expected = expected_cgroup_parent()
    assert cgroup_parent() == expected


# -- escaped daemons -------------------------------------------------------------


def _escaping_cli(sandbox: str) -> tuple[str, str]:
    """A CLI that double-forks a daemon that drops the session marker and leaves
    the session, writes the daemon's pid to a file, and stays."""
    pidfile = os.path.join(sandbox, "daemon.pid")
    path = os.path.join(sandbox, "escaping-cli")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            "#!/bin/sh\n"
            f"( env -u {SESSION_ENV} setsid sh -c 'echo $$ > {pidfile}; exec sleep 300' "
            "</dev/null >/dev/null 2>&1 & )\n"
            "echo started\n"
            "exec sleep 300\n"
        )
    os.chmod(path, 0o755)
    return path, pidfile


def _spawn(argv: tuple[str, ...], cwd: str) -> PtySession:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color"}
    return PtyProcessSpawner().spawn(SpawnSpec(argv=argv, cwd=cwd, env=env))


def test_an_escaped_daemon_is_killed_and_reported_where_the_session_has_a_cgroup(sandbox: str) -> None:
    parent = cgroup_parent()
    cli, pidfile = _escaping_cli(sandbox)
    session = _spawn((cli,), sandbox)
    try:
        daemon = read_pid(pidfile)
        with open(f"/proc/{daemon}/environ", "rb") as handle:
            assert not any(e.startswith(SESSION_ENV.encode()) for e in handle.read().split(b"\x00"))
        held = cgroup_of(session.pid)
        assert (held is not None) is (parent is not None)
        assert cgroup_of(daemon) == held
        report = session.kill()
        assert removed(held)
        if parent is not None:
            assert gone(daemon)
            assert report.strays == (daemon,) and report.survivors == ()
        else:
            # The documented limit without a cgroup: out of reach, unreported.
            assert not gone(daemon, within_s=0.5)
            assert report.strays == ()
    finally:
        session.kill()
        try:
            os.kill(read_pid(pidfile), signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_without_a_cgroup_the_session_runs_as_before(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containment, "cgroup_parent", lambda *args: None)
    with open("/proc/self/cgroup", encoding="utf-8") as handle:
        ours = handle.read()
    cli, pidfile = _escaping_cli(sandbox)
    session = _spawn((cli,), sandbox)
    try:
        daemon = read_pid(pidfile)
        with open(f"/proc/{session.pid}/cgroup", encoding="utf-8") as handle:
            assert handle.read() == ours
        report = session.kill()
        assert report.strays == () and not gone(daemon, within_s=0.5)
    finally:
        session.kill()
        os.kill(read_pid(pidfile), signal.SIGKILL)
        assert gone(read_pid(pidfile))


def test_nothing_but_the_session_is_moved_or_killed(sandbox: str) -> None:
    parent = cgroup_parent()
    with open("/proc/self/cgroup", encoding="utf-8") as handle:
        ours = handle.read()
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        session = _spawn((sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"), sandbox)
        try:
            deadline = time.monotonic() + HANG_GUARD_S
            while not any("up" in line for line in session.read_snapshot(50).lines):
                assert time.monotonic() < deadline
            held = cgroup_of(session.pid)
            assert (held is not None) is (parent is not None)  # the session has its own
        finally:
            session.kill()
        assert removed(held)
        with open("/proc/self/cgroup", encoding="utf-8") as handle:
            assert handle.read() == ours
        with open(f"/proc/{bystander.pid}/cgroup", encoding="utf-8") as handle:
            assert handle.read() == ours
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


# -- the watchdog ----------------------------------------------------------------

_HOST = r"""
import os, sys, time
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.ports import SpawnSpec
cli = sys.argv[1]
env = {"PATH": os.environ["PATH"], "TERM": "xterm-256color"}
session = PtyProcessSpawner().spawn(SpawnSpec(argv=(cli,), cwd=os.path.dirname(cli), env=env))
while not any("ready" in line for line in session.read_snapshot(50).lines):
    pass
print(session.pid, flush=True)
time.sleep(300)
"""


def test_a_sigkilled_owner_leaves_nothing_of_its_session(sandbox: str) -> None:
    """The owner is SIGKILLed mid-session; the session's first process and its
    child ignore the terminal's hang-up, a daemon keeps the marker, another
    drops it (reached only through the cgroup, where there is one)."""
    parent = cgroup_parent()
    files = {name: os.path.join(sandbox, f"{name}.pid") for name in ("child", "marked", "escaped")}
    cli = os.path.join(sandbox, "cli")
    with open(cli, "w", encoding="utf-8") as handle:
        handle.write(
            "#!/bin/sh\n"
            "trap '' HUP\n"
            f"sh -c 'echo $$ > {files['child']}; exec sleep 300' &\n"
            f"( setsid sh -c 'echo $$ > {files['marked']}; exec sleep 300' </dev/null >/dev/null 2>&1 & )\n"
            f"( env -u {SESSION_ENV} setsid sh -c 'echo $$ > {files['escaped']}; exec sleep 300' "
            "</dev/null >/dev/null 2>&1 & )\n"
            "echo ready\n"
            "while :; do sleep 1; done\n"
        )
    os.chmod(cli, 0o755)
    host = subprocess.Popen([sys.executable, "-c", _HOST, cli], stdout=subprocess.PIPE, text=True)
    pids: dict[str, int] = {}
    try:
        assert host.stdout is not None
        pids["leader"] = int(host.stdout.readline())
        pids.update({name: read_pid(path) for name, path in files.items()})
        held = cgroup_of(pids["leader"])
        host.kill()
        host.wait(HANG_GUARD_S)
        expected_gone = {name for name in pids if name != "escaped" or parent is not None}
        assert {name for name in expected_gone if gone(pids[name])} == expected_gone
        assert removed(held)
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()
        for pid in pids.values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _seeded(sandbox: str, fake_settings: str) -> tuple[str, str]:
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(fake_settings)
    return home, ws


def _members(leader: int) -> set[int]:
    return {p.pid for p in list_processes() if leader in (p.sid, p.pgid) and p.state != "Z"}


def test_sigkill_of_the_cli_mid_dialog_leaves_nothing_of_the_session(sandbox: str) -> None:
    startlog = os.path.join(sandbox, "started.log")
    home, ws = _seeded(sandbox, f"FAKE_MODE=silent\nFAKE_IGNORE_HUP=1\nFAKE_CHILD=1\nFAKE_STARTLOG={startlog}\n")
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    cli = subprocess.Popen(
        [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", FAKE],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    members: set[int] = set()
    try:
        fake = read_pid(startlog)
        deadline = time.monotonic() + HANG_GUARD_S
        while len(members) < 2 and time.monotonic() < deadline:  # the fake and its child
            members = _members(fake)
            time.sleep(0.01)
        assert len(members) == 2, members
        held = cgroup_of(fake)
        assert (held is not None) is (cgroup_parent() is not None)
        cli.kill()
        cli.wait(HANG_GUARD_S)
        assert [pid for pid in members if not gone(pid)] == []
        assert _members(fake) == set()
        assert removed(held)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_sigkill_of_the_cli_while_help_hangs_leaves_no_help_running(sandbox: str) -> None:
    home, ws = _seeded(sandbox, "")
    pidfile = os.path.join(sandbox, "help.pid")
    binary = os.path.join(sandbox, "claude")
    with open(binary, "w", encoding="utf-8") as handle:
        handle.write(f"#!/bin/sh\necho $$ > {pidfile}\ntrap '' TERM HUP INT\nwhile :; do sleep 1; done\n")
    os.chmod(binary, 0o755)
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    cli = subprocess.Popen(
        [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", binary],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        helper = read_pid(pidfile)
        cli.kill()
        cli.wait(HANG_GUARD_S)
        assert gone(helper)
        assert _members(helper) == set()
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        try:
            os.killpg(read_pid(pidfile), signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_the_watchdog_signals_a_number_only_while_it_is_the_sessions() -> None:
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        started = start_time(stranger.pid)
        assert started is not None
        orders = watchdog.Orders()
        for line in (
            b"marker WORKSPACE_TRUST_SESSION=not-the-strangers",
            f"leader {stranger.pid} {started + 1}".encode(),
        ):
            orders.take(line)
        # Its number, another start time: the number was handed out again.
        assert stranger.pid not in watchdog.targets(orders)
        orders.take(f"leader {stranger.pid} {started}".encode())
        assert stranger.pid in watchdog.targets(orders)  # the same process: the session's
        assert os.getpid() not in watchdog.targets(orders)
    finally:
        stranger.kill()
        stranger.wait()


def test_no_watchdog_where_the_interpreter_is_not_a_python(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An embedding host's sys.executable is its own program: never run with the
    watchdog's arguments. The session still runs and is killed as before."""
    monkeypatch.setattr(sys, "executable", "/usr/bin/some-host")
    assert Watchdog.start() is None
    held = Containment.start("0" * 32, sys.argv[0])
    held.release()
    session = _spawn(("sleep", "60"), sandbox)
    pid = session.pid
    report = session.kill()
    assert report.survivors == () and gone(pid)


def test_without_a_process_table_the_watchdog_kills_a_group_only_while_it_leads_its_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """macOS has no /proc: the watchdog signals the first process's group by
    number, and only while that number leads its own session, as the session's
    first process does (a PTY child is a session leader)."""
    monkeypatch.setattr(watchdog, "_has_proc", lambda: False)
    session = subprocess.Popen(["sh", "-c", "sleep 60 & echo $!; wait"], stdout=subprocess.PIPE, start_new_session=True)
    # Leads a group of that number, but not a session: not a PTY child's.
    stranger = subprocess.Popen(["sleep", "60"], process_group=0)
    try:
        assert session.stdout is not None
        child = int(session.stdout.readline())
        for pid in (stranger.pid, session.pid):
            orders = watchdog.Orders()
            orders.take(f"leader {pid} 0".encode())
            watchdog.kill_session(orders)
        assert stranger.poll() is None
        assert session.wait(HANG_GUARD_S) is not None and gone(child)
    finally:
        for proc in (session, stranger):
            proc.kill()
            proc.wait()


def test_a_later_run_kills_and_removes_what_a_gone_run_left_in_its_cgroup(sandbox: str) -> None:
    """Both the run and its watchdog were killed: its session's cgroup, with a
    process in it, is left. The next session's start kills that process and
    removes the cgroup, and leaves a live run's cgroup alone."""
    parent = cgroup_parent()
    if parent is None:
        # No cgroup can be made here: there is nothing to leave behind.
        assert Containment.start("1" * 32, FAKE).cgroup is None
        return
    ns = os.stat("/proc/self/ns/pid").st_ino
    ended = subprocess.Popen(["sleep", "60"])
    dead, dead_start = ended.pid, start_time(ended.pid)
    ended.kill()
    ended.wait()
    stale = os.path.join(parent, f"workspace-trust-{dead}-{dead_start}-{ns}-{'a' * 32}")
    live = os.path.join(parent, f"workspace-trust-{os.getpid()}-{start_time(os.getpid())}-{ns}-{'b' * 32}")
    os.mkdir(stale)
    os.mkdir(live)
    left = subprocess.Popen(["sh", "-c", f"echo $$ > {stale}/cgroup.procs; exec sleep 60"])
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while cgroup_of(left.pid) != stale and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cgroup_of(left.pid) == stale
        held = Containment.start("c" * 32, FAKE)
        try:
            assert held.cgroup is not None
            assert os.path.basename(held.cgroup.path).startswith(f"workspace-trust-{os.getpid()}-")
        finally:
            held.release()
        assert left.wait(HANG_GUARD_S) == -signal.SIGKILL
        assert not os.path.exists(stale) and os.path.isdir(live)
    finally:
        left.kill()
        left.wait()
        for path in (stale, live):
            if os.path.isdir(path):
                os.rmdir(path)
