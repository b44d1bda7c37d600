"""The Claude strategy end to end through the coordinator, in a real PTY,
against the fake TUI program posing as ``claude``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from typing import Any

import attrs
import pytest

from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.domain.codes import Code, ExecutionStatus, Key, Provider, WorkspaceStatus
from workspace_trust.domain.results import ProbeResult
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.flags import FeatureFlags
from workspace_trust.ports import KillHold, KillReport, PtySession, PtySpawner, SpawnSpec
from workspace_trust.providers.claude.strategy import build_protected_command, preflight_env
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.strategy import ProgressEvent, ProgressStage
from workspace_trust.testing import FakeHelpReader, FakeLocks

#: The repository root (this file is tests/providers/claude/...).
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FAKE = os.path.join(ROOT, "tests", "fake_tui.py")


def seeded_home(sandbox: str) -> str:
    home = os.path.join(sandbox, "home")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    return home


def project(sandbox: str, name: str = "project") -> str:
    path = os.path.join(sandbox, name)
    os.makedirs(path, exist_ok=True)
    return path


def request(home: str, dirs: list[str], budget_ms: int = 15000, **env: str) -> WorkspaceTrustRequest:
    """FAKE_* settings go to $HOME/fake_tui.env: the preflight strips unknown variables."""
    fake = {k: v for k, v in env.items() if k.startswith("FAKE_")}
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.writelines(f"{k}={v}\n" for k, v in fake.items())
    rest = {k: v for k, v in env.items() if k not in fake}
    return WorkspaceTrustRequest(
        workspaces=tuple(WorkspaceSpec(d) for d in dirs),
        env={"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", **rest},
        binaries={Provider.CLAUDE: FAKE},
        timing=attrs.evolve(DEFAULT_TIMING, total_budget_ms=budget_ms),
    )


def run(req: WorkspaceTrustRequest, coordinator: WorkspaceTrustCoordinator | None = None, **kw):  # type: ignore[no-untyped-def]
    coordinator = coordinator or WorkspaceTrustCoordinator(use_file_locks=False)
    return coordinator.execute(coordinator.plan_full(req), **kw)


def trusted_keys(home: str) -> dict[str, bool]:
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        return {k: v.get("hasTrustDialogAccepted") for k, v in json.load(handle).get("projects", {}).items()}


def test_fresh_folder_accepted_then_second_run_starts_nothing(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    first = run(request(home, [ws]))
    (r,) = first.results
    assert first.status is ExecutionStatus.OK
    assert r.status is WorkspaceStatus.ACCEPTED and r.pty_spawned
    assert r.keys == (Key.DOWN, Key.ENTER)
    assert r.dialogs[0] == "claude.workspace_trust"
    assert r.trusted_key == ws
    assert trusted_keys(home) == {ws: True}
    second = run(request(home, [ws]))
    (r2,) = second.results
    assert r2.status is WorkspaceStatus.ALREADY_TRUSTED
    assert not r2.pty_spawned and r2.keys == ()


def test_yes_first_layout_needs_only_enter(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    (r,) = run(request(home, [ws], FAKE_LAYOUT="yes-first")).results
    assert r.status is WorkspaceStatus.ACCEPTED and r.keys == (Key.ENTER,)


def test_snap_back_dropped_keys_and_late_dialog(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    (r,) = run(request(home, [ws], FAKE_SNAP_BACK="1", FAKE_DROP="0", FAKE_DELAY_MS="700")).results
    assert r.status is WorkspaceStatus.ACCEPTED
    assert r.keys[-1] is Key.ENTER and r.keys.count(Key.ENTER) == 1
    # The dropped Down is sent again, and the move the snap-back undid is made again.
    assert r.keys.count(Key.DOWN) >= 3, r.keys
    assert trusted_keys(home) == {ws: True}


def test_slow_persistence_is_waited_for(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    (r,) = run(request(home, [ws], FAKE_PERSIST_MS="1500")).results
    assert r.status is WorkspaceStatus.ACCEPTED


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("theme", WorkspaceStatus.BLOCKED, Code.PROVIDER_SETUP_REQUIRED),
        ("unknown", WorkspaceStatus.SOFT_FAILED, Code.UNKNOWN_SCREEN),
        ("exit", WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_EXITED),
        ("silent", WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT),
    ],
)
def test_failure_outcomes_send_no_key(sandbox: str, mode: str, status: WorkspaceStatus, code: Code) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    log = os.path.join(sandbox, "keys.log")
    (r,) = run(request(home, [ws], budget_ms=2500, FAKE_MODE=mode, FAKE_KEYLOG=log)).results
    assert (r.status, r.code) == (status, code)
    assert r.keys == ()
    assert not os.path.exists(log)


def test_home_and_root_are_blocked_without_a_process(sandbox: str) -> None:
    home = seeded_home(sandbox)
    result = run(request(home, [home, "/"]))
    codes = {r.workspace: (r.status, r.code, r.pty_spawned) for r in result.results}
    assert codes[home] == (WorkspaceStatus.BLOCKED, Code.NOT_PERSISTABLE_HOME, False)
    assert codes["/"] == (WorkspaceStatus.BLOCKED, Code.NOT_PERSISTABLE_ROOT, False)
    assert result.status is ExecutionStatus.BLOCKED


def test_missing_workspace_and_missing_binary(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    (missing,) = run(request(home, [os.path.join(sandbox, "nope")])).results
    assert missing.code is Code.WORKSPACE_MISSING and not missing.pty_spawned
    req = attrs.evolve(request(home, [ws]), binaries={Provider.CLAUDE: os.path.join(sandbox, "no-claude")})
    (nobin,) = run(req).results
    assert (nobin.status, nobin.code) == (WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_BINARY_MISSING)


def test_binary_found_on_child_path_and_env_variable(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    bindir = os.path.join(sandbox, "bin")
    os.makedirs(bindir)
    os.symlink(FAKE, os.path.join(bindir, "claude"))
    req = attrs.evolve(request(home, [ws]), binaries={})
    req = attrs.evolve(req, env={**req.env, "PATH": bindir + os.pathsep + os.environ["PATH"]})
    (r,) = run(req).results
    assert r.status is WorkspaceStatus.ACCEPTED
    ws2 = project(sandbox, "second")
    req2 = attrs.evolve(
        req,
        workspaces=(WorkspaceSpec(ws2),),
        env={**req.env, "PATH": "/usr/bin:/bin", "WORKSPACE_TRUST_CLAUDE_BIN": FAKE},
    )
    (r2,) = run(req2).results
    assert r2.status is WorkspaceStatus.ACCEPTED


def test_unprotected_claude_soft_fails_unless_allowed(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    (r,) = run(request(home, [ws], FAKE_HELP="old")).results
    assert (r.status, r.code, r.pty_spawned) == (
        WorkspaceStatus.SOFT_FAILED,
        Code.PREFLIGHT_UNPROTECTED,
        False,
    )
    allowed = attrs.evolve(request(home, [ws], FAKE_HELP="old"), flags=FeatureFlags(allow_unprotected_claude=True))
    (r2,) = run(allowed).results
    assert r2.status is WorkspaceStatus.ACCEPTED
    assert Code.PREFLIGHT_UNPROTECTED in {d.code for d in r2.diagnostics}


def test_protected_command_shape() -> None:
    help_text = "--bare --mcp-config --strict-mcp-config --setting-sources --settings --tools"
    cmd = build_protected_command("/bin/claude", help_text, "/tmp/m.json", allow_unprotected=False)
    assert cmd is not None and cmd.protected
    assert cmd.argv == (
        "/bin/claude",
        "--bare",
        "--strict-mcp-config",
        "--mcp-config",
        "/tmp/m.json",
        "--setting-sources",
        "user",
        "--settings",
        '{"disableAllHooks":true}',
        "--tools",
        "",
    )
    for forbidden in ("-p", "--print", "doctor", "--dangerously-skip-permissions", "-c"):
        assert forbidden not in cmd.argv
    no_bare = build_protected_command("/bin/claude", help_text.replace("--bare ", ""), "/m", allow_unprotected=False)
    assert no_bare is not None and "--bare" not in no_bare.argv
    assert build_protected_command("/bin/claude", "--bare", "/m", allow_unprotected=False) is None


def test_preflight_env_keeps_essentials_and_strips_runtime() -> None:
    host = {
        "HOME": "/h",
        "PATH": "/p",
        "CLAUDE_CONFIG_DIR": "/c",
        "CLAUDECODE": "1",
        "SECRET_TOKEN": "x",
        "CLAUDE_TEAM_CONTROL_URL": "http://x",
        "MY_RUNTIME": "1",
        "TERM": "dumb",
    }
    env = preflight_env(host, ("MY_RUNTIME",))
    assert env["HOME"] == "/h" and env["PATH"] == "/p" and env["CLAUDE_CONFIG_DIR"] == "/c"
    for gone in ("CLAUDECODE", "SECRET_TOKEN", "CLAUDE_TEAM_CONTROL_URL", "MY_RUNTIME"):
        assert gone not in env
    assert env["TERM"] == "xterm-256color"
    assert "CLAUDE_CONFIG_DIR" not in preflight_env({"HOME": "/h"})


def test_custom_config_dir_is_where_trust_is_read(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    config = os.path.join(sandbox, "cfg")
    os.makedirs(config)
    with open(os.path.join(config, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    (r,) = run(request(home, [ws], CLAUDE_CONFIG_DIR=config)).results
    assert r.status is WorkspaceStatus.ACCEPTED
    assert trusted_keys(config) == {ws: True}
    assert trusted_keys(home) == {}


def test_corrupt_state_file_soft_fails_without_a_process(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        handle.write("{not json")
    (r,) = run(request(home, [ws])).results
    assert (r.status, r.code, r.pty_spawned) == (WorkspaceStatus.SOFT_FAILED, Code.STATE_FILE_CORRUPT, False)
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert handle.read() == "{not json"  # never touched


def test_lock_timeout_is_a_soft_failure(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks(always_timeout=True))
    (r,) = run(request(home, [ws]), coordinator).results
    assert (r.status, r.code, r.pty_spawned) == (WorkspaceStatus.SOFT_FAILED, Code.LOCK_TIMEOUT, False)


def test_cancellation_kills_and_reports_cancelled(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    flag = threading.Event()
    timer = threading.Timer(0.5, flag.set)
    timer.start()
    result = run(request(home, [ws], FAKE_MODE="silent"), is_cancelled=flag.is_set)
    timer.cancel()
    (r,) = result.results
    assert result.status is ExecutionStatus.CANCELLED
    assert (r.status, r.code) == (WorkspaceStatus.CANCELLED, Code.CANCELLED)


def test_dispose_kills_running_sessions(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    coordinator = WorkspaceTrustCoordinator(use_file_locks=False)
    plan = coordinator.plan_full(request(home, [ws], FAKE_MODE="silent"))
    out: list[object] = []
    spawned = threading.Event()

    def on_progress(event: ProgressEvent) -> None:
        if event.stage is ProgressStage.SPAWNED:
            spawned.set()

    worker = threading.Thread(target=lambda: out.append(coordinator.execute(plan, on_progress=on_progress)))
    worker.start()
    # A bound on the wait for the spawn, not a timing assertion.
    assert spawned.wait(60)
    killed = coordinator.dispose()
    worker.join(10)
    assert not worker.is_alive()
    assert killed == 1
    assert out and out[0].status is ExecutionStatus.CANCELLED  # type: ignore[attr-defined]


def test_no_temp_files_left(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    tmp = os.path.join(sandbox, "tmp")
    os.makedirs(tmp)
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def spy(*args: Any, **kwargs: Any) -> str:
        path = str(real_mkdtemp(*args, **kwargs))
        if os.path.basename(path).startswith("workspace-trust-scratch-"):
            made.append(path)
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    run(attrs.evolve(request(home, [ws]), temp_dir=tmp))
    run(attrs.evolve(request(home, [project(sandbox, "b")], FAKE_MODE="unknown"), temp_dir=tmp))
    # One scratch folder per session, in the request's temp folder, each removed.
    assert len(made) == 2 and all(os.path.dirname(path) == tmp for path in made)
    assert os.listdir(tmp) == []


def test_parallel_workspaces_and_dedupe(sandbox: str) -> None:
    home = seeded_home(sandbox)
    dirs = [project(sandbox, f"p{i}") for i in range(3)]
    result = run(request(home, [*dirs, dirs[0] + "/", dirs[1]]))
    assert len(result.results) == 3
    assert {r.status for r in result.results} == {WorkspaceStatus.ACCEPTED}
    assert trusted_keys(home) == dict.fromkeys(dirs, True)


def test_two_processes_on_one_folder_spawn_one_pty(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    request(home, [ws], FAKE_PERSIST_MS="800")
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    cmd = [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", FAKE]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    docs = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    statuses = sorted(d["results"][0]["status"] for d in docs)
    assert statuses == ["accepted", "already_trusted_after_wait"]
    assert sum(d["results"][0]["pty_spawned"] for d in docs) == 1


def test_plan_full_starts_nothing_and_writes_nothing(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    before = sorted(os.listdir(sandbox)), os.stat(os.path.join(home, ".claude.json")).st_mtime_ns
    locks = FakeLocks()
    coordinator = WorkspaceTrustCoordinator(locks=locks)
    plan = coordinator.plan_full(request(home, [ws, home]))
    # The project is a task; the home folder is already decided, blocked.
    assert [t.workspace.absolute_path for t in plan.tasks] == [ws]
    assert [(r.workspace, r.code) for r in plan.settled] == [(home, Code.NOT_PERSISTABLE_HOME)]
    assert (sorted(os.listdir(sandbox)), os.stat(os.path.join(home, ".claude.json")).st_mtime_ns) == before
    assert locks.held == []


def test_a_folder_in_a_home_that_is_a_git_repository_is_blocked_before_any_process(sandbox: str) -> None:
    """Claude trusts a git subfolder through the repository root. With the home
    folder as that root (a dotfiles repository), accepting would trust home."""
    home = seeded_home(sandbox)
    subprocess.run(["git", "init", "-q", home], check=True)
    ws = os.path.join(home, "src", "proj")
    os.makedirs(ws)
    log = os.path.join(sandbox, "keys.log")
    result = run(request(home, [ws], FAKE_KEYLOG=log))
    (r,) = result.results
    assert (r.status, r.code, r.pty_spawned) == (WorkspaceStatus.BLOCKED, Code.NOT_PERSISTABLE_HOME, False)
    assert "repository" in " ".join(d.message for d in r.diagnostics)
    assert not os.path.exists(log)
    assert trusted_keys(home) == {}


def test_a_repository_root_already_trusted_still_counts(sandbox: str) -> None:
    home = seeded_home(sandbox)
    subprocess.run(["git", "init", "-q", home], check=True)
    ws = os.path.join(home, "proj")
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True, "projects": {home: {"hasTrustDialogAccepted": True}}}, handle)
    (r,) = run(request(home, [ws])).results
    assert (r.status, r.trusted_key) == (WorkspaceStatus.ALREADY_TRUSTED, home)


def test_kill_waits_while_the_cli_saves_under_its_lock(sandbox: str) -> None:
    """SIGTERM makes the fake save on its way out under .claude.json.lock for
    800 ms, longer than the TERM grace: SIGKILL waits for the lock to go, so
    the lock is not left behind and the CLI exits on its own."""
    home, ws = seeded_home(sandbox), project(sandbox)
    spawner = PtyProcessSpawner()
    reports: list[KillReport] = []

    class Recording(PtySpawner):
        def spawn(self, spec: SpawnSpec) -> PtySession:
            session = spawner.spawn(spec)
            plain = session.kill

            def kill(*, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
                reports.append(plain(hold=hold, term_grace_ms=term_grace_ms))
                return reports[-1]

            session.kill = kill  # type: ignore[method-assign]
            return session

    coordinator = WorkspaceTrustCoordinator(spawner=Recording(), use_file_locks=False)
    (r,) = run(request(home, [ws], FAKE_EXIT_SAVE_MS="800"), coordinator).results
    assert r.status is WorkspaceStatus.ACCEPTED
    (report,) = reports[:1]
    assert not os.path.exists(os.path.join(home, ".claude.json.lock")), (report, r.diagnostics)
    assert not report.escalated and report.held_ms > 0 and not report.killed_holding
    assert r.diagnostics == ()


def test_a_cli_stuck_holding_its_lock_is_killed_and_its_lock_removed(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    req = attrs.evolve(
        request(home, [ws], FAKE_EXIT_SAVE_MS="600000"),
        timing=attrs.evolve(DEFAULT_TIMING, total_budget_ms=15000, provider_lock_release_ms=400),
    )
    (r,) = run(req).results
    assert r.status is WorkspaceStatus.ACCEPTED
    assert [d.code for d in r.diagnostics] == [Code.PROVIDER_LOCK_REMOVED]
    assert not os.path.exists(os.path.join(home, ".claude.json.lock"))


def test_many_processes_on_one_home_lose_nothing(sandbox: str) -> None:
    """Four preflight processes, two folders each, one HOME: every folder is
    trusted in the end, every other key kept, no lock left. The fake saves by
    read-modify-write without any lock of its own (like Claude 2.1.197, which
    rewrote what it had read at start), so only our state-file lock keeps
    the writes from clobbering each other."""
    home = seeded_home(sandbox)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True, "keep": {"me": [1, 2]}, "projects": {"/other": {"x": 1}}}, handle)
    request(home, [], FAKE_PERSIST_MS="150", FAKE_UNLOCKED_SAVE="1")
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    groups = [[project(sandbox, f"p{i}-{j}") for j in range(2)] for i in range(4)]
    cmds = [
        [sys.executable, "-m", "workspace_trust", "preflight", *dirs, "--json", "--claude-bin", FAKE] for dirs in groups
    ]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for cmd in cmds]
    docs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert [r["status"] for d in docs for r in d["results"]] == ["accepted"] * 8
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        final = json.load(handle)
    assert final["keep"] == {"me": [1, 2]} and final["projects"]["/other"] == {"x": 1}
    assert all(final["projects"][d] == {"hasTrustDialogAccepted": True} for dirs in groups for d in dirs)
    assert not os.path.exists(os.path.join(home, ".claude.json.lock"))


def test_trust_written_into_a_state_file_that_grows_past_64_mib_is_seen(sandbox: str) -> None:
    """.claude.json files of 60 MB are seen in use. Here the file is just under
    64 MiB (the former limit) until the CLI writes trust into it: the result must
    follow what was written, not the file's size."""
    home, ws = seeded_home(sandbox), project(sandbox)
    state = os.path.join(home, ".claude.json")
    seed = {"hasCompletedOnboarding": True, "cachedChangelog": ""}
    base = len(json.dumps(seed))
    seed["cachedChangelog"] = "x" * (64 * 1024 * 1024 - 16 - base)
    with open(state, "w", encoding="utf-8") as handle:
        json.dump(seed, handle)
    assert os.path.getsize(state) < 64 * 1024 * 1024
    (r,) = run(request(home, [ws])).results
    assert os.path.getsize(state) > 64 * 1024 * 1024
    assert (r.status, r.code, r.trusted_key) == (WorkspaceStatus.ACCEPTED, None, ws)


HELP_2_0_50 = """  --tools <tools...>          Specify the list of available tools from the built-in set. Use "" to disable all tools, "default" to use all tools, or specify tool names (e.g. "Bash,Edit,Read"). Only works with --print mode.
  --mcp-config <configs...>   Load MCP servers from JSON files or strings (space-separated)
  --settings <file-or-json>   Path to a settings JSON file or a JSON string to load additional settings from
  --strict-mcp-config         Only use MCP servers from --mcp-config, ignoring all other MCP configurations
  --setting-sources <sources> Comma-separated list of setting sources to load (user, project, local).
"""


def test_a_print_only_tools_flag_counts_as_missing_and_the_refusal_names_it() -> None:
    """Claude Code 2.0.31-2.0.76 list --tools, but only for --print: 2.0.50
    exits at once with "--tools can only be used with --print mode"."""
    from workspace_trust.providers.claude.strategy import missing_protection_flags, refusal_message

    assert missing_protection_flags(HELP_2_0_50) == ("--tools",)
    assert build_protected_command("/bin/claude", HELP_2_0_50, "/tmp/m.json", allow_unprotected=False) is None
    assert missing_protection_flags(HELP_2_0_50.replace(" Only works with --print mode.", "")) == ()
    message = refusal_message(("--tools",))
    assert "--tools" in message and "2.0.77" in message


def test_the_refusal_names_every_missing_flag_and_its_first_version(sandbox: str) -> None:
    from workspace_trust.providers.claude import REQUIRED_FLAGS
    from workspace_trust.providers.claude.strategy import FIRST_VERSION_WITH

    home, ws = seeded_home(sandbox), project(sandbox)
    (r,) = run(request(home, [ws], FAKE_HELP="old")).results
    assert (r.status, r.code, r.pty_spawned) == (WorkspaceStatus.SOFT_FAILED, Code.PREFLIGHT_UNPROTECTED, False)
    (message,) = [d.message for d in r.diagnostics if d.code is Code.PREFLIGHT_UNPROTECTED]
    for flag in REQUIRED_FLAGS:
        assert f"{flag} (first offered to interactive sessions in {FIRST_VERSION_WITH[flag]})" in message


def test_the_docs_table_of_first_versions_is_the_one_the_refusal_quotes() -> None:
    import re

    from workspace_trust.providers.claude.strategy import FIRST_VERSION_WITH

    docs = os.path.join(ROOT, "docs", "providers.md")
    with open(docs, encoding="utf-8") as handle:
        rows = dict(re.findall(r"^\| `(--[a-z-]+)` \| (\d+\.\d+\.\d+)", handle.read(), re.MULTILINE))
    assert rows == FIRST_VERSION_WITH


@pytest.mark.parametrize(("version", "trusted"), [("2.1.197", True), ("2.1.330", False), (None, False)])
def test_trust_from_above_a_repository_counts_only_for_the_versions_that_walk_past_it(
    sandbox: str, version: str | None, trusted: bool
) -> None:
    """P is trusted and P/repo a git repository: Claude Code 2.1.197 does not
    ask in P/repo, 2.1.232 and later stop their walk at the repository root
    and ask. status and preflight follow the version the help reader names
    (None: a version not known, looked up the strictest way)."""
    home = seeded_home(sandbox)
    parent = project(sandbox, "P")
    repo = os.path.join(parent, "repo")
    subprocess.run(["git", "init", "-q", repo], check=True)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True, "projects": {parent: {"hasTrustDialogAccepted": True}}}, handle)
    coordinator = WorkspaceTrustCoordinator(use_file_locks=False, help_reader=FakeHelpReader(version=version))
    req = request(home, [repo])
    ((_, probed),) = coordinator.status(coordinator.plan_full(req))
    assert isinstance(probed, ProbeResult)
    assert (probed.trusted, probed.trusted_key) == ((True, parent) if trusted else (False, None))
    (r,) = run(req, coordinator).results
    if trusted:
        assert (r.status, r.trusted_key, r.pty_spawned, r.cli_version) == (
            WorkspaceStatus.ALREADY_TRUSTED,
            parent,
            False,
            version,
        )
    else:
        assert (r.status, r.pty_spawned) == (WorkspaceStatus.ACCEPTED, True), r
