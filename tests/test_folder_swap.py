"""A folder that changes while its session runs gets no Enter.

The guards ran on the folder as the plan found it. Right before Enter the
strategy checks, through the file-system port, that the folder's path and git
repository root still resolve as guarded, that the folder is the one found
when the CLI was started, and that the CLI works in it. Here the fakes change
the folder between the spawn and the dialog (the CLI starting), and before the
spawn (the plan and the execute apart).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from tests.test_fake_execute import HOME, STATE, claude_dialog, fake_coordinator
from workspace_trust import ExecutionResult, Provider, WorkspaceSpec, WorkspaceStatus, WorkspaceTrustRequest
from workspace_trust.domain.codes import Code, Key
from workspace_trust.domain.paths import PathFacts
from workspace_trust.ports import FolderIdentity, SpawnSpec
from workspace_trust.testing import FakeClock, FakeFileSystemFacts, FakePtySpawner, FakeStateFiles, FakeTui

PROJECT = f"{HOME}/project"
#: What the project folder is, and another folder.
FOLDER = FolderIdentity(device=64, inode=1001)
OTHER = FolderIdentity(device=64, inode=2002)
PID = 4242  # the fake session's


def project(**changes: object) -> PathFacts:
    fields: dict[str, object] = {
        "absolute": PROJECT,
        "real": PROJECT,
        "home": HOME,
        "real_home": HOME,
        "exists": True,
        "is_dir": True,
    }
    fields.update(changes)
    return PathFacts(**fields)  # type: ignore[arg-type]


Change = Callable[[FakeFileSystemFacts], None]


def run(
    on_spawn: Change | None = None, before_execute: Change | None = None
) -> tuple[FakeStateFiles, FakePtySpawner, ExecutionResult]:
    """Preflight PROJECT with Claude's dialog; ``on_spawn`` changes the
    folder as the CLI starts, ``before_execute`` between plan and execute."""
    clock = FakeClock()
    files = FakeStateFiles({STATE: json.dumps({"hasCompletedOnboarding": True}).encode()})
    filesystem = FakeFileSystemFacts({PROJECT: project()}, identities={PROJECT: FOLDER}, working={PID: FOLDER})

    def tui(spec: SpawnSpec) -> FakeTui:
        if on_spawn is not None:
            on_spawn(filesystem)
        return claude_dialog(files, spec.cwd)

    spawner = FakePtySpawner(tui, clock)
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(PROJECT),),
        providers=(Provider.CLAUDE,),
        env={"HOME": HOME, "PATH": "/usr/bin"},
        parallelism=1,
    )
    with fake_coordinator(files, spawner, clock, filesystem=filesystem) as coordinator:
        plan = coordinator.plan_full(request)
        if before_execute is not None:
            before_execute(filesystem)
        return files, spawner, coordinator.execute(plan)


def swapped_for_a_link_above_home(fs: FakeFileSystemFacts) -> None:
    """PROJECT is now a link to /home (which holds HOME); the CLI still works in the old folder."""
    fs.facts[PROJECT] = project(real="/home")
    fs.identities["/home"] = OTHER


def git_init_home(fs: FakeFileSystemFacts) -> None:
    fs.facts[PROJECT] = project(git_root=HOME)


def replaced_by_another_folder(fs: FakeFileSystemFacts) -> None:
    """Same path, another folder (moved away, a new one made in its place)."""
    fs.identities[PROJECT] = OTHER


def cli_moved_elsewhere(fs: FakeFileSystemFacts) -> None:
    fs.working[PID] = OTHER


def worktree_moved(fs: FakeFileSystemFacts) -> None:
    fs.facts[PROJECT] = project(git_root=PROJECT, worktree_main_root=HOME)


def no_longer_a_folder(fs: FakeFileSystemFacts) -> None:
    fs.facts[PROJECT] = project(is_dir=False, exists=False)


CHANGES = [swapped_for_a_link_above_home, git_init_home, replaced_by_another_folder, cli_moved_elsewhere]
CHANGES += [worktree_moved, no_longer_a_folder]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
def test_a_folder_that_changed_while_the_cli_started_gets_no_enter(change: Change) -> None:
    files, spawner, result = run(on_spawn=change)
    (session,) = spawner.sessions
    # The dialog was answered up to Enter: the cursor was brought onto the
    # trust option, and then Enter was not sent.
    assert Key.DOWN in session.tui.keys
    assert Key.ENTER not in session.tui.keys
    assert session.killed
    assert "projects" not in json.loads(files.files[STATE])
    (row,) = result.results
    assert (row.status, row.code) == (WorkspaceStatus.BLOCKED, Code.WORKSPACE_CHANGED)
    assert row.keys == (Key.DOWN,)
    (message,) = [d.message for d in row.diagnostics if d.code is Code.WORKSPACE_CHANGED]
    assert "Enter was not pressed" in message


def test_the_message_says_what_changed() -> None:
    _, _, result = run(on_spawn=swapped_for_a_link_above_home)
    (message,) = [d.message for d in result.results[0].diagnostics if d.code is Code.WORKSPACE_CHANGED]
    assert f"{PROJECT} now resolves to /home" in message
    _, _, result = run(on_spawn=git_init_home)
    (message,) = [d.message for d in result.results[0].diagnostics if d.code is Code.WORKSPACE_CHANGED]
    assert f"git repository root is now {HOME}" in message


@pytest.mark.parametrize("change", [swapped_for_a_link_above_home, git_init_home, no_longer_a_folder])
def test_a_folder_that_changed_before_the_spawn_starts_nothing(change: Change) -> None:
    files, spawner, result = run(before_execute=change)
    assert spawner.sessions == []
    (row,) = result.results
    assert (row.status, row.code) == (WorkspaceStatus.BLOCKED, Code.WORKSPACE_CHANGED)
    assert "projects" not in json.loads(files.files[STATE])


def test_an_unchanged_folder_is_trusted() -> None:
    """The check passes when nothing changed (and the CLI works in the folder)."""
    files, spawner, result = run()
    (row,) = result.results
    assert (row.status, row.code) == (WorkspaceStatus.ACCEPTED, None)
    assert spawner.sessions[0].tui.keys[-1] is Key.ENTER
    assert set(json.loads(files.files[STATE])["projects"]) == {PROJECT}


def test_a_working_folder_the_system_does_not_report_is_not_held_against_the_folder() -> None:
    """Where the port cannot tell a process's working folder (None), the path,
    identity and repository checks still run, and an unchanged folder passes."""

    def unknown(fs: FakeFileSystemFacts) -> None:
        fs.working.clear()

    _, _, result = run(on_spawn=unknown)
    assert result.results[0].status is WorkspaceStatus.ACCEPTED


@pytest.mark.parametrize("allowed", [False, True])
def test_the_runner_asks_its_hook_right_before_enter(allowed: bool) -> None:
    """The runner's one hook: asked before Enter (and only then); a no ends
    the run with no Enter sent."""
    from workspace_trust.domain.codes import TrustState
    from workspace_trust.domain.results import ProbeResult
    from workspace_trust.engine.dialog import DialogEngine
    from workspace_trust.providers import spec_for
    from workspace_trust.runner import run_session
    from workspace_trust.session import SessionEnd

    clock = FakeClock()
    files = FakeStateFiles({STATE: json.dumps({"hasCompletedOnboarding": True}).encode()})
    spawner = FakePtySpawner(lambda spec: claude_dialog(files, spec.cwd), clock)
    session = spawner.spawn(SpawnSpec(argv=("claude",), cwd=PROJECT, env={}))
    asked: list[tuple[Key, ...]] = []

    def before_enter() -> bool:
        asked.append(tuple(spawner.sessions[0].tui.keys))
        return allowed

    def success() -> ProbeResult:
        trusted = PROJECT in json.loads(files.files[STATE]).get("projects", {})
        return ProbeResult(TrustState.TRUSTED if trusted else TrustState.UNTRUSTED)

    rules = spec_for(Provider.CLAUDE).rules
    assert rules is not None
    outcome = run_session(
        session, DialogEngine(rules), clock, success=success, is_cancelled=lambda: False, before_enter=before_enter
    )
    # Asked once, with the cursor already moved onto the trust option.
    assert asked == [(Key.DOWN,)]
    if allowed:
        assert outcome.end is SessionEnd.TRUST_PERSISTED and outcome.keys == (Key.DOWN, Key.ENTER)
    else:
        assert outcome.end is SessionEnd.ENTER_REFUSED and outcome.keys == (Key.DOWN,)
        assert spawner.sessions[0].tui.keys == [Key.DOWN]


# --- the real PTY, the real file system -------------------------------------------

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")


def test_the_local_port_reads_a_process_working_folder(sandbox: str) -> None:
    from workspace_trust.adapters.filesystem import LocalFileSystemFacts

    fs = LocalFileSystemFacts()
    here = fs.folder_identity(sandbox)
    assert here is not None
    child = subprocess.Popen(["sleep", "30"], cwd=sandbox)
    try:
        assert fs.working_folder(child.pid) == here
        assert fs.working_folder(os.getpid()) == fs.folder_identity(os.getcwd())
        assert fs.working_folder(os.getpid()) != here
    finally:
        child.kill()
        child.wait()
    assert fs.folder_identity(os.path.join(sandbox, "missing")) is None


def _swap_for_a_link_above_home(home: str, ws: str) -> None:
    """The project folder becomes a link to the folder that holds HOME."""
    os.rename(ws, ws + ".old")
    os.symlink(os.path.dirname(home), ws)


def _git_init_home(home: str, ws: str) -> None:
    git = shutil.which("git")
    assert git is not None, "this test runs `git init` on HOME: git must be installed"
    subprocess.run([git, "init", "-q", home], check=True, env={**os.environ, "HOME": home})


@pytest.mark.parametrize(
    "swap", [_swap_for_a_link_above_home, _git_init_home], ids=["link-above-home", "git-init-home"]
)
def test_a_folder_swapped_while_the_cli_runs_gets_no_enter_and_no_trust(
    sandbox: str, swap: Callable[[str, str], None]
) -> None:
    """The issue's two swaps, through `preflight`: the fake CLI (which, like
    Claude Code, trusts the git root above its folder) starts, and draws its
    trust dialog only once the test has changed the folder."""
    home = os.path.join(sandbox, "home")
    ws = os.path.join(home, "proj")
    os.makedirs(ws)
    state = os.path.join(home, ".claude.json")
    with open(state, "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    started, go, keylog = (os.path.join(sandbox, name) for name in ("started", "go", "keys"))
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(f"FAKE_STARTLOG={started}\nFAKE_WAIT_FILE={go}\nFAKE_KEYLOG={keylog}\nFAKE_TRUST_GIT_ROOT=1\n")
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    args = ["preflight", ws, "--json", "--timeout", "30", "--provider", "claude", "--claude-bin", FAKE]
    proc = subprocess.Popen(
        [sys.executable, "-m", "workspace_trust", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(3000):
            if os.path.exists(started) or proc.poll() is not None:
                break
            time.sleep(0.01)
        assert os.path.exists(started), "the fake CLI never started"
        swap(home, ws)
        open(go, "w").close()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    (row,) = json.loads(out)["results"]
    assert row["code"] == Code.WORKSPACE_CHANGED.value, (row, err[-2000:])
    assert row["status"] == "blocked"
    # The trust option was selected, and Enter never reached the CLI.
    with open(keylog, encoding="utf-8") as handle:
        keys = handle.read().split()
    assert keys and "0d" not in keys
    with open(state, encoding="utf-8") as handle:
        assert "projects" not in json.load(handle)
