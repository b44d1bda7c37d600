"""Reading a CLI's ``--help``: bounded by the workspace's budget, stopped by
cancellation, and cut at the byte cap without reading the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import attrs
import pytest
from ptyprocess import PtyProcess

from workspace_trust import ExitCode
from workspace_trust.adapters.help import MAX_HELP_BYTES, SubprocessHelpReader
from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.domain.codes import Code, ExecutionStatus, Provider, WorkspaceStatus
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.errors import PreflightCancelled
from workspace_trust.installed_clis import seed_home
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeScreen, FakeTui

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
#: How long any one wait in these tests may take before it counts as a hang.
#: Only a guard: nothing here asserts how long anything took.
HANG_GUARD_S = 60


def _never() -> bool:
    return False


def fake_cli(sandbox: str, help_body: str, name: str = "claude") -> tuple[str, str]:
    """A CLI whose ``--help`` runs ``help_body`` (sh) after writing its pid to a
    file; anything else runs the fake TUI. The pid file's path is written into
    the script, because a preflight passes the child only an allowlisted
    environment."""
    pidfile = os.path.join(sandbox, f"{name}.help-pid")
    path = os.path.join(sandbox, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            "#!/bin/sh\n"
            'if [ "$1" = "--help" ]; then\n'
            f"  echo $$ > {pidfile}\n"
            f"  {help_body}\n"
            "  exit 0\n"
            "fi\n"
            f'exec {sys.executable} {FAKE} "$@"\n'
        )
    os.chmod(path, 0o755)
    return path, pidfile


HANGS = "trap '' TERM HUP INT; while :; do sleep 1; done"
ENDLESS = f"trap '' TERM; exec {sys.executable} -c \"import sys\nwhile True: sys.stdout.write('x' * 65536)\""


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def read_pid(pidfile: str) -> int:
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        try:
            with open(pidfile, encoding="utf-8") as handle:
                text = handle.read().strip()
            if text:
                return int(text)
        except OSError:
            pass
        time.sleep(0.01)
    raise AssertionError(f"{pidfile} never written")


def test_help_that_prints_endlessly_is_cut_at_the_cap_and_killed(sandbox: str) -> None:
    binary, pidfile = fake_cli(sandbox, ENDLESS)
    text = SubprocessHelpReader().read_help(binary, {"PATH": os.environ["PATH"]}, 30_000, is_cancelled=_never)
    # What was read up to the cap is kept; the rest was never read.
    assert text == "x" * MAX_HELP_BYTES
    assert gone(read_pid(pidfile))


def test_help_that_hangs_times_out_and_is_killed_though_it_ignores_sigterm(sandbox: str) -> None:
    binary, pidfile = fake_cli(sandbox, HANGS)
    reader = SubprocessHelpReader()
    assert reader.read_help(binary, {"PATH": os.environ["PATH"]}, 300, is_cancelled=_never) is None
    assert gone(read_pid(pidfile))


def test_cancellation_stops_a_hanging_help_and_is_not_cached(sandbox: str) -> None:
    binary, pidfile = fake_cli(sandbox, HANGS)
    reader = SubprocessHelpReader()
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    try:
        with pytest.raises(PreflightCancelled):
            reader.read_help(binary, {"PATH": os.environ["PATH"]}, HANG_GUARD_S * 1000, is_cancelled=cancel.is_set)
    finally:
        timer.cancel()
    first = read_pid(pidfile)
    assert gone(first)
    os.unlink(pidfile)
    # Neither a cancelled nor a timed-out read is an answer: the next one runs again.
    assert reader.read_help(binary, {"PATH": os.environ["PATH"]}, 200, is_cancelled=_never) is None
    assert read_pid(pidfile) != first


def test_a_finished_help_is_read_whole_and_cached(sandbox: str) -> None:
    binary, pidfile = fake_cli(sandbox, "echo '--bare --tools'")
    reader = SubprocessHelpReader()
    env = {"PATH": os.environ["PATH"]}
    assert reader.read_help(binary, env, 30_000, is_cancelled=_never) == "--bare --tools\n"
    os.unlink(pidfile)
    assert reader.read_help(binary, env, 30_000, is_cancelled=_never) == "--bare --tools\n"
    assert not os.path.exists(pidfile)  # cached: not run again


def test_a_failing_help_is_none(sandbox: str) -> None:
    binary, _ = fake_cli(sandbox, "echo '--bare'; exit 3")
    assert SubprocessHelpReader().read_help(binary, {"PATH": os.environ["PATH"]}, 30_000, is_cancelled=_never) is None


def _seeded(sandbox: str) -> tuple[str, str]:
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    return home, ws


def test_the_workspace_budget_covers_a_hanging_help(sandbox: str) -> None:
    home, ws = _seeded(sandbox)
    binary, pidfile = fake_cli(sandbox, HANGS)
    coordinator = WorkspaceTrustCoordinator(use_file_locks=False)
    req = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(ws),),
        env={"HOME": home, "PATH": os.environ["PATH"]},
        binaries={Provider.CLAUDE: binary},
        timing=attrs.evolve(DEFAULT_TIMING, total_budget_ms=500),
    )
    (r,) = coordinator.execute(coordinator.plan_full(req)).results
    # The budget ran out while reading --help: a timeout, not "no protected flags".
    assert (r.status, r.code, r.pty_spawned) == (WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT, False)
    assert gone(read_pid(pidfile))


def test_cancellation_during_help_gives_a_cancelled_result(sandbox: str) -> None:
    home, ws = _seeded(sandbox)
    binary, pidfile = fake_cli(sandbox, HANGS)
    coordinator = WorkspaceTrustCoordinator(use_file_locks=False)
    req = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(ws),),
        env={"HOME": home, "PATH": os.environ["PATH"]},
        binaries={Provider.CLAUDE: binary},
    )
    cancel = threading.Event()

    def cancel_once_help_runs() -> None:
        read_pid(pidfile)
        cancel.set()

    watcher = threading.Thread(target=cancel_once_help_runs)
    watcher.start()
    result = coordinator.execute(coordinator.plan_full(req), is_cancelled=cancel.is_set)
    watcher.join(HANG_GUARD_S)
    assert result.status is ExecutionStatus.CANCELLED
    assert (result.results[0].status, result.results[0].code) == (WorkspaceStatus.CANCELLED, Code.CANCELLED)
    assert gone(read_pid(pidfile))


def test_the_help_reader_gets_only_what_is_left_of_the_budget(sandbox: str) -> None:
    """With fakes: discovery that takes longer than the budget ends the workspace
    as a timeout, with no spawn; a slow but finished one leaves the session the rest."""
    project = os.path.join(sandbox, "project")
    os.makedirs(project)
    clock = FakeClock()
    budgets: list[int] = []

    def tui(spec: object) -> FakeTui:
        return FakeTui(screens={"s": FakeScreen(lines=("Something else",))}, current="s")

    seeded_home = os.path.join(sandbox, "home")
    seed_home("claude", seeded_home)
    for takes_ms, code, spawned in ((30_000, Code.TIMEOUT, False), (4_000, Code.UNKNOWN_SCREEN, True)):
        spawner = FakePtySpawner(tui, clock)
        reader = FakeHelpReader(clock=clock, takes_ms=takes_ms)
        coordinator = WorkspaceTrustCoordinator(spawner=spawner, clock=clock, locks=FakeLocks(), help_reader=reader)
        req = WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(project),),
            env={"HOME": seeded_home, "PATH": os.environ["PATH"]},
            binaries={Provider.CLAUDE: FAKE},
            timing=attrs.evolve(DEFAULT_TIMING, total_budget_ms=10_000),
        )
        started = clock.monotonic_ms()
        (r,) = coordinator.execute(coordinator.plan_full(req)).results
        assert (r.code, r.pty_spawned) == (code, spawned)
        assert reader.timeouts == [10_000]
        budgets.append(clock.monotonic_ms() - started)
    # Discovery and the session share one budget (a frame may overrun it by a read).
    assert all(b <= 10_000 + 100 for b in budgets), budgets


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_while_help_hangs_ends_promptly_with_130_and_one_document(sandbox: str, sig: int) -> None:
    home, ws = _seeded(sandbox)
    binary, pidfile = fake_cli(sandbox, HANGS)
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", binary],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        help_pid = read_pid(pidfile)
        proc.send_signal(sig)
        # --help is read for up to 20 s: ending within the guard's share of
        # that shows the signal was acted on, not waited out.
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == ExitCode.CANCELLED, err[-2000:]
    assert out.count("\n") == 1
    doc = json.loads(out)
    assert doc["status"] == "cancelled" and doc["results"][0]["code"] == "cancelled"
    assert gone(help_pid)


def test_a_terminal_hangup_while_help_hangs_ends_with_130_and_kills_the_help(sandbox: str) -> None:
    """The real hang-up: the terminal the command runs in goes away. Its
    output cannot be written any more; the exit code still says cancelled."""
    home, ws = _seeded(sandbox)
    binary, pidfile = fake_cli(sandbox, HANGS)
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    proc = PtyProcess.spawn(
        [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", binary], env=env
    )
    try:
        help_pid = read_pid(pidfile)
        proc.fileobj.close()  # the terminal hangs up
        proc.closed = True
        deadline = time.monotonic() + HANG_GUARD_S
        while proc.isalive() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        if proc.isalive():
            proc.kill(signal.SIGKILL)
            proc.wait()
    assert (proc.exitstatus, proc.signalstatus) == (ExitCode.CANCELLED, None)
    assert gone(help_pid)
