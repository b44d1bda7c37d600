"""Sessions that write one provider state file never lose each other's writes,
the CLI's own lock is respected by the kill, and "accepted" is proven again at
the end of ``execute`` (fake PTY, fake clock, fake provider lock files; the
Claude probe reads a real ``.claude.json`` in a temporary HOME)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from workspace_trust import (
    Code,
    ExecutionResult,
    Key,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
)
from workspace_trust.adapters.provider_locks import LocalProviderLockFiles
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.ports import KillHold, SpawnSpec
from workspace_trust.testing import (
    FakeClock,
    FakeHelpReader,
    FakeLocks,
    FakeProviderLockFiles,
    FakePtySpawner,
    FakeScreen,
    FakeTui,
)

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
STALE_MS = 10_000


class ClaudeHome:
    """A HOME whose ``.claude.json`` the fake TUI writes the way Claude does."""

    def __init__(self, sandbox: str, name: str = "home") -> None:
        self.home = os.path.join(sandbox, name)
        os.makedirs(self.home, exist_ok=True)
        self.path = os.path.join(self.home, ".claude.json")
        self.write({"hasCompletedOnboarding": True, "projects": {"/elsewhere": {"hasTrustDialogAccepted": True}}})

    def read(self) -> dict[str, Any]:
        with open(self.path, encoding="utf-8") as handle:
            doc: dict[str, Any] = json.load(handle)
        return doc

    def write(self, doc: dict[str, Any]) -> None:
        with open(self.path, "w", encoding="utf-8") as handle:
            json.dump(doc, handle)

    def trust(self, folder: str) -> None:
        doc = self.read()
        doc.setdefault("projects", {})[folder] = {"hasTrustDialogAccepted": True}
        self.write(doc)

    def forget(self, folder: str) -> None:
        doc = self.read()
        doc.get("projects", {}).pop(folder, None)
        self.write(doc)

    @property
    def lock(self) -> str:
        return self.path + ".lock"


def claude_tui(home: ClaudeHome, cwd: str, **kw: Any) -> FakeTui:
    """The 2.1.248+ layout: No first and preselected; Yes writes trust for ``cwd``."""
    screens = {
        "trust": FakeScreen(
            lines=(" Accessing workspace:", "", f" {cwd}", "", " Quick safety check: Is this a project you trust?"),
            options=("No, exit", "Yes, I trust this folder"),
            footer=("", " Enter to confirm · Esc to cancel"),
            on_enter={0: "exit:1", 1: "main"},
            effects={1: lambda: home.trust(cwd)},
        ),
        "main": FakeScreen(lines=("> ", "  ? for shortcuts")),
    }
    return FakeTui(screens=screens, current="trust", **kw)


def run(
    sandbox: str,
    tui: Callable[[SpawnSpec], FakeTui],
    dirs: list[str],
    home: ClaudeHome,
    *,
    clock: FakeClock | None = None,
    locks: FakeLocks | None = None,
    lock_files: FakeProviderLockFiles | None = None,
) -> tuple[ExecutionResult, FakePtySpawner, FakeLocks]:
    clock = clock or FakeClock()
    spawner = FakePtySpawner(tui, clock)
    locks = locks or FakeLocks()
    coordinator = WorkspaceTrustCoordinator(
        spawner=spawner,
        clock=clock,
        locks=locks,
        help_reader=FakeHelpReader(),
        provider_locks=lock_files or FakeProviderLockFiles(clock),
    )
    request = WorkspaceTrustRequest(
        workspaces=tuple(WorkspaceSpec(d) for d in dirs),
        env={"HOME": home.home, "PATH": os.environ["PATH"]},
        binaries={Provider.CLAUDE: FAKE},
        # FakeLocks records keys but does not exclude: one worker keeps the
        # fake TUIs from writing one file at once.
        parallelism=1,
    )
    return coordinator.execute(coordinator.plan_full(request)), spawner, locks


def folder(sandbox: str, name: str) -> str:
    path = os.path.join(sandbox, name)
    os.makedirs(path, exist_ok=True)
    return path


def test_one_lock_per_state_file_not_per_folder(sandbox: str) -> None:
    """Two folders of one HOME take the same lock (their CLIs write one file);
    another HOME's folder takes another."""
    one, other = ClaudeHome(sandbox, "one"), ClaudeHome(sandbox, "other")
    a, b = folder(sandbox, "a"), folder(sandbox, "b")
    result, _, locks = run(sandbox, lambda spec: claude_tui(one, spec.cwd), [a, b], one)
    assert [r.status for r in result.results] == [WorkspaceStatus.ACCEPTED] * 2
    assert locks.held == ["state:" + os.path.realpath(one.path)] * 2
    _, _, other_locks = run(sandbox, lambda spec: claude_tui(other, spec.cwd), [folder(sandbox, "c")], other)
    assert other_locks.held == ["state:" + os.path.realpath(other.path)]


def test_the_lock_key_is_the_state_files_real_path(sandbox: str) -> None:
    """CLAUDE_CONFIG_DIR through a symlink and HOME name one file: one key."""
    home = ClaudeHome(sandbox)
    link = os.path.join(sandbox, "config-link")
    os.symlink(home.home, link)
    ws = folder(sandbox, "p")
    clock = FakeClock()
    locks = FakeLocks()
    coordinator = WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(lambda spec: claude_tui(home, spec.cwd), clock),
        clock=clock,
        locks=locks,
        help_reader=FakeHelpReader(),
        provider_locks=FakeProviderLockFiles(clock),
    )
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(ws),),
        env={"HOME": folder(sandbox, "unused"), "CLAUDE_CONFIG_DIR": link, "PATH": os.environ["PATH"]},
        binaries={Provider.CLAUDE: FAKE},
    )
    coordinator.execute(coordinator.plan_full(request))
    assert locks.held == ["state:" + os.path.realpath(home.path)]


def test_kill_waits_for_the_cli_to_release_its_lock(sandbox: str) -> None:
    """Claude saves on its way out, under its lock: SIGKILL waits for that."""
    home = ClaudeHome(sandbox)
    clock = FakeClock()
    files = FakeProviderLockFiles(clock)
    ws = folder(sandbox, "p")
    tui = claude_tui(home, ws, exit_save_ms=700, exit_lock=home.lock, lock_files=files)
    result, spawner, _ = run(sandbox, lambda spec: tui, [ws], home, clock=clock, lock_files=files)
    (r,) = result.results
    assert r.status is WorkspaceStatus.ACCEPTED and r.keys == (Key.DOWN, Key.ENTER)
    (session,) = spawner.sessions
    report = session.kill()
    assert not report.escalated and report.held_ms >= 700
    assert files.inspect(home.lock) is None and files.removed == []
    assert not [d for d in r.diagnostics if d.code.value.startswith("provider_lock")]


def test_a_lock_left_by_our_killed_cli_is_removed_and_reported(sandbox: str) -> None:
    """A CLI that hangs holding its lock is killed once the bounded wait runs
    out; the lock it can never release is removed, and only that one."""
    home = ClaudeHome(sandbox)
    clock = FakeClock()
    files = FakeProviderLockFiles(clock)
    ws = folder(sandbox, "p")
    tui = claude_tui(home, ws, exit_save_ms=10**9, exit_lock=home.lock, lock_files=files)
    result, spawner, _ = run(sandbox, lambda spec: tui, [ws], home, clock=clock, lock_files=files)
    (r,) = result.results
    report = spawner.sessions[0].kill()
    assert report.escalated and report.killed_holding
    assert report.held_ms >= DEFAULT_TIMING.provider_lock_release_ms
    assert files.removed == [home.lock] and files.inspect(home.lock) is None
    assert r.status is WorkspaceStatus.ACCEPTED
    assert [d.code for d in r.diagnostics] == [Code.PROVIDER_LOCK_REMOVED]
    assert home.read()["projects"]["/elsewhere"] == {"hasTrustDialogAccepted": True}


def test_the_kill_is_given_a_hold_only_for_locks_made_during_the_session(sandbox: str) -> None:
    """A foreign lock that was already stale before the spawn never holds the
    kill back, and is never removed: it is not ours."""
    home = ClaudeHome(sandbox)
    clock = FakeClock()
    files = FakeProviderLockFiles(clock)
    files.make(home.lock, age_ms=60_000)
    ws = folder(sandbox, "p")
    result, spawner, _ = run(
        sandbox, lambda spec: claude_tui(home, spec.cwd), [ws], home, clock=clock, lock_files=files
    )
    (r,) = result.results
    assert r.status is WorkspaceStatus.ACCEPTED
    (hold,) = spawner.sessions[0].holds
    assert isinstance(hold, KillHold) and hold.holding() is False
    assert files.inspect(home.lock) is not None and files.removed == []
    assert r.diagnostics == ()


def test_a_fresh_foreign_lock_is_waited_for_until_it_goes_stale(sandbox: str) -> None:
    """A lock left by someone else's killed CLI: nothing starts until the CLI
    would take it over itself (its stale time); then the run goes on, and says
    it waited. The lock is never removed by us."""
    home = ClaudeHome(sandbox)
    clock = FakeClock()
    files = FakeProviderLockFiles(clock)
    files.make(home.lock, age_ms=0)
    ws = folder(sandbox, "p")
    spawned_at: list[int] = []

    def tui(spec: SpawnSpec) -> FakeTui:
        spawned_at.append(clock.monotonic_ms())
        return claude_tui(home, spec.cwd)

    result, _, _ = run(sandbox, tui, [ws], home, clock=clock, lock_files=files)
    (r,) = result.results
    assert r.status is WorkspaceStatus.ACCEPTED
    assert spawned_at and spawned_at[0] >= STALE_MS
    assert [d.code for d in r.diagnostics] == [Code.PROVIDER_LOCK_WAITED]
    assert files.removed == []


def test_a_lock_a_live_holder_keeps_fresh_means_nothing_starts(sandbox: str) -> None:
    home = ClaudeHome(sandbox)
    clock = FakeClock()
    files = FakeProviderLockFiles(clock)
    files.make(home.lock, refreshed=True)
    ws = folder(sandbox, "p")
    result, spawner, _ = run(
        sandbox, lambda spec: claude_tui(home, spec.cwd), [ws], home, clock=clock, lock_files=files
    )
    (r,) = result.results
    assert (r.status, r.code, r.pty_spawned) == (WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_LOCK_BUSY, False)
    assert spawner.sessions == []
    assert files.removed == [] and files.inspect(home.lock) is not None
    assert ws not in home.read()["projects"]


def test_a_lock_made_during_the_session_by_someone_else_is_left_and_reported(sandbox: str) -> None:
    """Our CLI exited on SIGTERM without holding anything; a lock that is there
    afterwards is not provably ours, so it stays."""
    home = ClaudeHome(sandbox)
    clock = FakeClock()
    files = FakeProviderLockFiles(clock)
    ws = folder(sandbox, "p")

    def foreign_lock_after_enter() -> None:
        home.trust(ws)
        files.make(home.lock, refreshed=True)

    def tui(spec: SpawnSpec) -> FakeTui:
        made = claude_tui(home, spec.cwd)
        trust = made.screens["trust"]
        made.screens["trust"] = FakeScreen(
            lines=trust.lines,
            options=trust.options,
            footer=trust.footer,
            on_enter=trust.on_enter,
            effects={1: foreign_lock_after_enter},
        )
        return made

    result, _, _ = run(sandbox, tui, [ws], home, clock=clock, lock_files=files)
    (r,) = result.results
    assert r.status is WorkspaceStatus.ACCEPTED
    assert [d.code for d in r.diagnostics] == [Code.PROVIDER_LOCK_LEFT]
    assert files.removed == []


def test_trust_clobbered_on_the_way_out_is_retried_once(sandbox: str) -> None:
    """The CLI's last write drops the entry it had just persisted (what a stale
    writer does): the run is retried, and the retry's trust is proven."""
    home = ClaudeHome(sandbox)
    ws = folder(sandbox, "p")
    spawns: list[int] = []

    def tui(spec: SpawnSpec) -> FakeTui:
        spawns.append(1)
        clobber = (lambda: home.forget(ws)) if len(spawns) == 1 else None
        return claude_tui(home, spec.cwd, on_term=clobber)

    result, spawner, _ = run(sandbox, tui, [ws], home)
    (r,) = result.results
    assert len(spawner.sessions) == 2
    assert r.status is WorkspaceStatus.ACCEPTED and r.code is None
    assert Code.TRUST_LOST in [d.code for d in r.diagnostics]
    assert home.read()["projects"][ws] == {"hasTrustDialogAccepted": True}
    # The row reports both runs: each CLI's keys, in order, and both dialogs.
    first, second = (session.tui.keys for session in spawner.sessions)
    assert first and second and list(r.keys) == [*first, *second]
    assert r.pty_spawned and len(r.dialogs) == 2


def test_trust_lost_twice_is_a_soft_failure_never_accepted(sandbox: str) -> None:
    home = ClaudeHome(sandbox)
    ws = folder(sandbox, "p")
    result, spawner, _ = run(
        sandbox, lambda spec: claude_tui(home, spec.cwd, on_term=lambda: home.forget(ws)), [ws], home
    )
    (r,) = result.results
    assert len(spawner.sessions) == 2
    assert (r.status, r.code) == (WorkspaceStatus.SOFT_FAILED, Code.TRUST_LOST)
    assert list(r.keys) == [key for session in spawner.sessions for key in session.tui.keys]
    evidence = [d.message for d in r.diagnostics if d.code is Code.TRUST_LOST]
    assert evidence and all(ws in m for m in evidence)
    assert result.status.value == "soft_failed"


def test_trust_lost_after_all_sessions_ended_is_caught_by_the_final_proof(
    sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer drops the entry after our session is gone but before
    ``execute`` returns: the final probe sees it, and the retry restores it."""
    from workspace_trust.providers import pty_strategy

    home = ClaudeHome(sandbox)
    a, b = folder(sandbox, "a"), folder(sandbox, "b")
    real_run = pty_strategy.PtyTrustStrategy._run_pty
    runs: list[str] = []

    def run_then_clobber_a(self: Any, workspace: Any, *args: Any, **kwargs: Any) -> Any:
        result = real_run(self, workspace, *args, **kwargs)
        runs.append(workspace.absolute_path)
        if workspace.absolute_path == b and runs.count(b) == 1:
            home.forget(a)  # a stale writer, after a's session ended
        return result

    monkeypatch.setattr(pty_strategy.PtyTrustStrategy, "_run_pty", run_then_clobber_a)
    result, _, _ = run(sandbox, lambda spec: claude_tui(home, spec.cwd), [a, b], home)
    assert [r.status for r in result.results] == [WorkspaceStatus.ACCEPTED] * 2
    assert runs == [a, b, a]
    first = result.results[0]
    assert [d.code for d in first.diagnostics] == [Code.TRUST_LOST]
    assert home.read()["projects"][a] == {"hasTrustDialogAccepted": True}


def test_local_lock_files_remove_only_the_lock_as_it_was_seen(sandbox: str) -> None:
    files = LocalProviderLockFiles()
    lock = os.path.join(sandbox, ".claude.json.lock")
    assert files.inspect(lock) is None
    os.mkdir(lock)
    seen = files.inspect(lock)
    assert seen is not None and seen.is_dir and seen.age_ms < 60_000
    # Replaced since it was seen (another process took it over): stays.
    os.rmdir(lock)
    os.mkdir(lock)
    os.utime(lock, ns=(seen.mtime_ns + 10**9, seen.mtime_ns + 10**9))
    assert files.remove_left_behind(seen) is False and os.path.isdir(lock)
    # Not empty: not a lock this library understands; stays.
    again = files.inspect(lock)
    assert again is not None
    with open(os.path.join(lock, "owner"), "w", encoding="utf-8") as handle:
        handle.write("x")
    assert files.remove_left_behind(files.inspect(lock) or again) is False and os.path.isdir(lock)
    os.remove(os.path.join(lock, "owner"))
    exact = files.inspect(lock)
    assert exact is not None and files.remove_left_behind(exact) is True
    assert not os.path.exists(lock)
    # A lock file with content is never removed either.
    with open(lock, "w", encoding="utf-8") as handle:
        handle.write("pid 1")
    stamp = files.inspect(lock)
    assert stamp is not None and not stamp.is_dir
    assert files.remove_left_behind(stamp) is False and os.path.exists(lock)
