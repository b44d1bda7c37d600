"""The coordinator contract: plan stages run nothing, policies, dispose and the asyncio face."""

from __future__ import annotations

import asyncio
import builtins
import json
import os
import subprocess
import tempfile
import tomllib
from typing import Any

import attrs
import pytest
from ptyprocess import PtyProcess

from workspace_trust import (
    Code,
    ExecutionResult,
    ExecutionStatus,
    FailureAction,
    FeatureFlags,
    PathPolicy,
    ProgressEvent,
    ProgressStage,
    Provider,
    RequestMode,
    TrustPolicy,
    WorkspaceResult,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
    manifest_to_json,
)
from workspace_trust.adapters.locks import WorkspaceLocks
from workspace_trust.coordinator import _carried
from workspace_trust.domain.patches import LaunchArgPatch, PatchPlan, TargetSurface
from workspace_trust.domain.results import Diagnostic
from workspace_trust.installed_clis import seed_home
from workspace_trust.providers.codex import DIRECT_CLI_CONFIG
from workspace_trust.providers.codex.overrides import build_trust_override
from workspace_trust.requests import overall_status
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeScreen, FakeTui

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")


class NoRun:
    """Makes every way of starting a process or writing a file fail the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        real_open = builtins.open

        def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if any(flag in mode for flag in "wax+"):
                self.calls.append(f"open({file!r}, {mode!r})")
                raise AssertionError("a plan stage wrote a file")
            return real_open(file, mode, *args, **kwargs)

        def forbid(name: str) -> Any:
            def fail(*args: Any, **kwargs: Any) -> Any:
                self.calls.append(name)
                raise AssertionError(f"a plan stage called {name}")

            return fail

        monkeypatch.setattr(builtins, "open", guarded_open)
        for module, name in (
            (os, "fork"),
            (os, "mkdir"),
            (os, "makedirs"),
            (os, "replace"),
            (os, "rename"),
            (os, "remove"),
            (os, "unlink"),
            (subprocess, "Popen"),
            (tempfile, "mkdtemp"),
            (tempfile, "mkstemp"),
        ):
            monkeypatch.setattr(module, name, forbid(f"{module.__name__}.{name}"))
        monkeypatch.setattr(PtyProcess, "spawn", forbid("PtyProcess.spawn"))


def request(dirs: list[str], **kw: Any) -> WorkspaceTrustRequest:
    return WorkspaceTrustRequest(
        workspaces=tuple(WorkspaceSpec(d) for d in dirs),
        providers=(Provider.CLAUDE, Provider.CODEX, Provider.GEMINI),
        env={"HOME": "/nonexistent-home", "PATH": os.environ["PATH"]},
        **kw,
    )


def test_plan_stages_start_nothing_write_nothing_lock_nothing(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    project = os.path.join(sandbox, "project")
    os.makedirs(project)
    locks = FakeLocks()
    coordinator = WorkspaceTrustCoordinator(locks=locks)
    guard = NoRun(monkeypatch)
    args_only = coordinator.plan_args_only(request([project, "/"]))
    full = coordinator.plan_full(request([project, "/", os.path.join(sandbox, "missing")]))
    assert guard.calls == []
    assert locks.held == []
    assert args_only.patches.launch_values.get(Provider.CODEX, ()) and full.patches.env_patches
    # Only the project gets tasks; the root and the missing folder are settled
    # as blocked for each of the three providers.
    assert {t.workspace.absolute_path for t in full.tasks} == {project} and len(full.tasks) == 3
    assert sorted(r.code.value for r in full.settled if r.code) == sorted(
        ["workspace_trust_not_persistable_root"] * 3 + ["workspace_missing"] * 3
    )


def test_the_guard_itself_catches_a_write(monkeypatch: pytest.MonkeyPatch, sandbox: str) -> None:
    guard = NoRun(monkeypatch)
    with pytest.raises(AssertionError):
        open(os.path.join(sandbox, "x"), "w")  # noqa: SIM115
    assert guard.calls


def test_args_only_plan_uses_the_request_alone() -> None:
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks())
    plan = coordinator.plan_args_only(
        WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec("/does/not/exist", real_path="/real/does/not/exist"),),
            providers=(Provider.CODEX,),
            env={},
        )
    )
    (value,) = plan.patches.launch_values.get(Provider.CODEX, ())
    assert "/does/not/exist" in value and "/real/does/not/exist" in value


def test_args_only_plan_leaves_out_the_callers_home_and_roots_with_diagnostics() -> None:
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks())
    plan = coordinator.plan_args_only(
        WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec("/home/ana"), WorkspaceSpec("/"), WorkspaceSpec("/home/ana/shop")),
            providers=(Provider.CODEX, Provider.GEMINI),
            env={"HOME": "/home/ana"},
        )
    )
    (value,) = plan.patches.launch_values.get(Provider.CODEX, ())
    assert tomllib.loads(f"v = {value.partition('=')[2]}")["v"] == {"/home/ana/shop": {"trust_level": "trusted"}}
    assert {d.code for d in plan.diagnostics} == {Code.NOT_PERSISTABLE_HOME, Code.NOT_PERSISTABLE_ROOT}


def test_full_plan_blocks_home_and_roots_before_anything_runs(sandbox: str) -> None:
    home = os.path.join(sandbox, "home")
    os.makedirs(home)

    def never(spec: object) -> FakeTui:
        raise AssertionError(f"spawned {spec}")

    clock = FakeClock()
    spawner = FakePtySpawner(never, clock)
    coordinator = WorkspaceTrustCoordinator(
        spawner=spawner, clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader()
    )
    req = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(home), WorkspaceSpec("/")),
        providers=(Provider.CLAUDE, Provider.CODEX),
        env={"HOME": home, "PATH": os.environ["PATH"]},
    )
    plan = coordinator.plan_full(req)
    assert plan.tasks == () and plan.patches.launch_values.get(Provider.CODEX, ()) == ()
    assert {(r.provider, r.workspace, r.code) for r in plan.settled} == {
        (p, w, c)
        for p in (Provider.CLAUDE, Provider.CODEX)
        for w, c in ((home, Code.NOT_PERSISTABLE_HOME), ("/", Code.NOT_PERSISTABLE_ROOT))
    }
    result = coordinator.execute(plan)
    assert result.status is ExecutionStatus.BLOCKED and not result.proceed
    assert len(result.results) == 4 and spawner.sessions == []


@pytest.mark.parametrize("path", ["", "relative/x", ".", "~nobody-here/x"])
def test_full_plan_never_resolves_a_path_against_the_current_folder(path: str) -> None:
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks())
    plan = coordinator.plan_full(
        WorkspaceTrustRequest(workspaces=(WorkspaceSpec(path),), providers=(Provider.CODEX,), env={"HOME": "/h"})
    )
    assert plan.tasks == () and plan.patches.launch_values.get(Provider.CODEX, ()) == ()
    assert [r.code for r in plan.settled] == [Code.WORKSPACE_PATH_INVALID]


def test_tilde_is_the_requests_home_not_this_processes(sandbox: str) -> None:
    home = os.path.join(sandbox, "home")
    os.makedirs(os.path.join(home, "proj"))
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks())
    req = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec("~"), WorkspaceSpec("~/proj")), providers=(Provider.CODEX,), env={"HOME": home}
    )
    plan = coordinator.plan_full(req)
    assert [(r.workspace, r.code) for r in plan.settled] == [(home, Code.NOT_PERSISTABLE_HOME)]
    assert [t.workspace.absolute_path for t in plan.tasks] == [os.path.join(home, "proj")]
    (value,) = plan.patches.launch_values.get(Provider.CODEX, ())
    assert tomllib.loads(f"v = {value.partition('=')[2]}")["v"] == {
        os.path.join(home, "proj"): {"trust_level": "trusted"}
    }


def test_anthropic_only_teams_get_no_codex_patches() -> None:
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks())
    plan = coordinator.plan_args_only(WorkspaceTrustRequest(workspaces=(WorkspaceSpec("/w"),), env={}))
    assert plan.patches.arg_patches == () and plan.patches.launch_values.get(Provider.CODEX, ()) == ()


def test_plan_stages_never_raise_for_bad_paths() -> None:
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks())
    bad = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec("relative/x"), WorkspaceSpec("/a\x00b")), providers=(Provider.CODEX,), env={}
    )
    assert coordinator.plan_args_only(bad).diagnostics
    assert coordinator.plan_full(bad).settled


@pytest.mark.parametrize(
    ("status", "policy", "proceed"),
    [
        (ExecutionStatus.OK, TrustPolicy(), True),
        (ExecutionStatus.SOFT_FAILED, TrustPolicy(), True),
        (ExecutionStatus.SOFT_FAILED, TrustPolicy(on_soft_failure=FailureAction.STOP_LAUNCH), False),
        (ExecutionStatus.BLOCKED, TrustPolicy(), False),
        (ExecutionStatus.CANCELLED, TrustPolicy(on_blocked=FailureAction.CONTINUE_LAUNCH), False),
    ],
)
def test_policy_decides_whether_to_launch(status: ExecutionStatus, policy: TrustPolicy, proceed: bool) -> None:
    assert ExecutionResult(status, (), policy=policy).proceed is proceed


def test_both_modes_default_to_continue_on_soft_failure_and_stop_when_blocked() -> None:
    for mode in RequestMode:
        policy = WorkspaceTrustRequest(workspaces=(), mode=mode).effective_policy
        assert policy.on_soft_failure is FailureAction.CONTINUE_LAUNCH
        assert policy.on_blocked is FailureAction.STOP_LAUNCH


def _silent_request(sandbox: str) -> WorkspaceTrustRequest:
    home = os.path.join(sandbox, "home")
    project = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(project)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write("FAKE_MODE=silent\n")
    return WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(project),),
        binaries={Provider.CLAUDE: FAKE},
        env={"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"},
    )


@pytest.mark.parametrize("cancels", [1, 2], ids=["cancelled", "cancelled-twice"])
def test_asyncio_cancellation_kills_the_session_then_propagates(sandbox: str, cancels: int) -> None:
    """A second cancellation, arriving while the task waits for the worker, must
    not cut that wait short."""
    coordinator = WorkspaceTrustCoordinator(use_file_locks=False)
    req = _silent_request(sandbox)
    events: list[ProgressEvent] = []
    seen_on_propagation: list[list[ProgressEvent]] = []

    async def main() -> None:
        plan = await coordinator.aplan_full(req)
        task = asyncio.create_task(coordinator.aexecute(plan, on_progress=events.append))
        while not any(e.stage is ProgressStage.SPAWNED for e in events):
            await asyncio.sleep(0.02)
        for _ in range(cancels):
            task.cancel()
            await asyncio.sleep(0)  # the task is now waiting for the worker
        with pytest.raises(asyncio.CancelledError):
            await task
        seen_on_propagation.append(list(events))

    asyncio.run(main())
    # The worker ended because of the cancellation (a silent screen would
    # otherwise end in a timeout), and it ended before CancelledError reached us.
    (seen,) = seen_on_propagation
    assert [e.status for e in seen if e.stage is ProgressStage.FINISHED] == [WorkspaceStatus.CANCELLED]
    # The autouse leak check fails the test if the fake TUI is still running.


def test_asyncio_host_flag_gives_a_cancelled_result(sandbox: str) -> None:
    coordinator = WorkspaceTrustCoordinator(use_file_locks=False)
    req = _silent_request(sandbox)
    flag = {"stop": False}

    async def main() -> ExecutionResult:
        plan = await coordinator.aplan_full(req)
        task = asyncio.create_task(coordinator.aexecute(plan, is_cancelled=lambda: flag["stop"]))
        await asyncio.sleep(1.0)
        flag["stop"] = True
        return await task

    result = asyncio.run(main())
    assert result.status is ExecutionStatus.CANCELLED and not result.proceed


FLAG_CASES = [
    ("enabled", {Provider.CLAUDE, Provider.CODEX, Provider.GEMINI}),
    ("claude_pty", {Provider.CLAUDE}),
    ("codex_args", {Provider.CODEX}),
    ("gemini", {Provider.GEMINI}),
]


def _flag_run(
    sandbox: str,
    flags: FeatureFlags,
    modes: dict[Provider, str] | None = None,
    *,
    coordinator_options: dict[str, Any] | None = None,
    request_options: dict[str, Any] | None = None,
) -> tuple[ExecutionResult, FakePtySpawner]:
    project = os.path.join(sandbox, "project")
    os.makedirs(project, exist_ok=True)
    clock = FakeClock()
    state = TrustFileForFlags()
    spawner = FakePtySpawner(lambda spec: state.tui(), clock)
    options: dict[str, Any] = {"locks": FakeLocks(), "help_reader": FakeHelpReader(), **(coordinator_options or {})}
    coordinator = WorkspaceTrustCoordinator(spawner=spawner, clock=clock, **options)
    req = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(project),),
        providers=(Provider.CLAUDE, Provider.CODEX, Provider.GEMINI),
        strategy_modes=modes or {},
        binaries={Provider.CLAUDE: FAKE, Provider.CODEX: FAKE},
        env={"HOME": _set_up_home(sandbox), "PATH": os.environ["PATH"]},
        flags=flags,
        **(request_options or {}),
    )
    return coordinator.execute(coordinator.plan_full(req)), spawner


def _set_up_home(sandbox: str) -> str:
    """A HOME where Claude and Codex were set up (else a preflight starts nothing)."""
    home = os.path.join(sandbox, "home")
    seed_home("claude", home)
    seed_home("codex", home)
    return home


class TrustFileForFlags:
    def tui(self) -> FakeTui:
        return FakeTui(screens={"s": FakeScreen(lines=("Something else",))}, current="s")


@pytest.mark.parametrize(("flag", "switched_off"), FLAG_CASES)
def test_each_flag_switches_its_strategy_off(sandbox: str, flag: str, switched_off: set[Provider]) -> None:
    result, spawner = _flag_run(sandbox, FeatureFlags().replace(**{flag: False}))
    skipped = {r.provider for r in result.results if r.status is WorkspaceStatus.SKIPPED}
    assert skipped == switched_off
    assert all(r.code is Code.FEATURE_DISABLED for r in result.results if r.provider in switched_off)
    assert (len(spawner.sessions) == 0) == (Provider.CLAUDE in switched_off)
    has_codex_patch = bool(result.patches.launch_values.get(Provider.CODEX, ()))
    assert has_codex_patch == (Provider.CODEX not in switched_off)
    assert bool(result.patches.env_patches) == (Provider.GEMINI not in switched_off)
    assert result.diagnostics_manifest().feature_flags[flag] is False


def test_codex_pty_flag_gates_the_pty_strategy(sandbox: str) -> None:
    off, spawner = _flag_run(sandbox, FeatureFlags(claude_pty=False), {Provider.CODEX: "pty"})
    assert [r.status for r in off.for_provider(Provider.CODEX)] == [WorkspaceStatus.SKIPPED]
    assert spawner.sessions == []
    on, spawner_on = _flag_run(sandbox, FeatureFlags(claude_pty=False, codex_pty=True), {Provider.CODEX: "pty"})
    assert [r.status for r in on.for_provider(Provider.CODEX)] != [WorkspaceStatus.SKIPPED]
    assert len(spawner_on.sessions) == 1


@pytest.mark.parametrize("file_lock", [True, False])
def test_file_lock_flag_chooses_file_or_in_process_locks(
    sandbox: str, monkeypatch: pytest.MonkeyPatch, file_lock: bool
) -> None:
    used: list[bool] = []
    real_hold = WorkspaceLocks.hold

    def spy(self: WorkspaceLocks, key: str, **kwargs: Any) -> Any:
        used.append(self._use_files)
        return real_hold(self, key, **kwargs)

    monkeypatch.setattr(WorkspaceLocks, "hold", spy)
    lock_dir = os.path.join(sandbox, "locks")
    monkeypatch.setenv("XDG_RUNTIME_DIR", lock_dir)
    _flag_run(
        sandbox,
        FeatureFlags(file_lock=file_lock, codex_args=False, gemini=False),
        coordinator_options={"locks": None},
    )
    assert used == [file_lock]


def test_debug_flag_reaches_the_strategies(sandbox: str) -> None:
    result, _ = _flag_run(sandbox, FeatureFlags(debug=True, codex_args=False, gemini=False))
    (claude,) = result.for_provider(Provider.CLAUDE)
    # The fake screen is unrecognised: debug keeps a redacted tail on the failure.
    assert claude.code is Code.UNKNOWN_SCREEN and claude.raw_tail is not None
    assert result.diagnostics_manifest().strategy_results[0].raw_tail is not None


def test_a_request_switch_is_recorded_as_the_effective_flag(sandbox: str) -> None:
    """The CLI's --debug sets the request, not the environment: the manifest's
    flags must still say what was in force."""
    result, _ = _flag_run(sandbox, FeatureFlags(codex_args=False, gemini=False), request_options={"debug": True})
    flags = result.diagnostics_manifest().feature_flags
    assert flags["debug"] is True
    assert flags["allow_unprotected_claude"] is False


@pytest.mark.parametrize("allowed", [True, False])
def test_allow_unprotected_flag_reaches_the_claude_strategy(sandbox: str, allowed: bool) -> None:
    # A Claude whose --help lacks the protected flags.
    result, spawner = _flag_run(
        sandbox,
        FeatureFlags(allow_unprotected_claude=allowed, codex_args=False, gemini=False),
        coordinator_options={"help_reader": FakeHelpReader("Usage: claude [options]")},
    )
    (claude,) = result.for_provider(Provider.CLAUDE)
    assert len(spawner.sessions) == (1 if allowed else 0)
    if not allowed:
        assert (claude.status, claude.code) == (WorkspaceStatus.SOFT_FAILED, Code.PREFLIGHT_UNPROTECTED)


@pytest.mark.parametrize("policy", [PathPolicy.HIDDEN, PathPolicy.BASENAME])
def test_manifest_shows_no_full_path_under_a_restricting_policy(sandbox: str, policy: PathPolicy) -> None:
    home = os.path.join(sandbox, "home")
    os.makedirs(home)
    missing = os.path.join(sandbox, "gone-project")
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks())
    req = WorkspaceTrustRequest(
        workspaces=(
            WorkspaceSpec(home),
            WorkspaceSpec(missing),
            WorkspaceSpec("Client-Acme"),
            WorkspaceSpec(os.path.join(sandbox, "x"), id="host id/with slash"),
        ),
        providers=(Provider.CODEX,),
        env={"HOME": home, "PATH": os.environ["PATH"]},
    )
    result = coordinator.execute(coordinator.plan_full(req))
    text = json.dumps(manifest_to_json(result.diagnostics_manifest(path_policy=policy)))
    assert sandbox not in text
    # A relative name is its own base name; hidden, it is gone.
    assert ("Client-Acme" in text) is (policy is PathPolicy.BASENAME)
    # An id the host chose is the host's own, whatever it looks like.
    assert "host id/with slash" in text
    assert ("gone-project" in text) is (policy is PathPolicy.BASENAME)
    full = json.dumps(manifest_to_json(result.diagnostics_manifest()))
    assert missing in full


def test_processes_the_kill_reports_become_process_left_running_diagnostics(sandbox: str) -> None:
    """Survivors of SIGKILL and daemons found only by the session marker each
    give one diagnostic with their count; a clean kill gives none."""
    from workspace_trust.ports import KillHold, KillReport, PtySession, SpawnSpec

    class Reporting(FakePtySpawner):
        survivors: tuple[int, ...] = ()
        strays: tuple[int, ...] = ()

        def spawn(self, spec: SpawnSpec) -> PtySession:
            session = super().spawn(spec)
            plain_kill = session.kill

            def kill(*, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
                return attrs.evolve(
                    plain_kill(hold=hold, term_grace_ms=term_grace_ms), survivors=self.survivors, strays=self.strays
                )

            session.kill = kill  # type: ignore[method-assign]
            return session

    def run(survivors: tuple[int, ...] = (), strays: tuple[int, ...] = ()) -> list[str]:
        clock = FakeClock()
        spawner = Reporting(lambda spec: TrustFileForFlags().tui(), clock)
        spawner.survivors, spawner.strays = survivors, strays
        coordinator = WorkspaceTrustCoordinator(
            spawner=spawner, clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader()
        )
        project = os.path.join(sandbox, "project")
        os.makedirs(project, exist_ok=True)
        req = WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(project),),
            providers=(Provider.CLAUDE,),
            binaries={Provider.CLAUDE: FAKE},
            env={"HOME": _set_up_home(sandbox), "PATH": os.environ["PATH"]},
        )
        (result,) = coordinator.execute(coordinator.plan_full(req)).results
        return [d.message for d in result.diagnostics if d.code is Code.PROCESS_LEFT_RUNNING]

    assert run() == []
    assert run(survivors=(11, 12), strays=(13,)) == [
        "2 process(es) survived SIGKILL",
        "killed 1 process(es) the session had started outside its process group",
    ]


def test_the_coordinator_is_a_context_manager_that_disposes(sandbox: str) -> None:
    killed: list[int] = []

    def dispose() -> int:
        killed.append(1)
        return 0

    with WorkspaceTrustCoordinator(locks=FakeLocks()) as coordinator:
        coordinator.dispose = dispose  # type: ignore[method-assign]
    assert killed == [1]


def test_a_library_error_from_a_strategy_becomes_a_result_with_its_code(sandbox: str) -> None:
    """The one handler at the strategy edge: any WorkspaceTrustError is a result
    carrying that error's code (cancellation a cancelled one), never a raise."""
    from workspace_trust.errors import BinaryMissingError, PreflightCancelled, WorkspaceTrustError
    from workspace_trust.registry import StrategyRegistry

    assert not issubclass(PreflightCancelled, asyncio.CancelledError)
    raised: list[WorkspaceTrustError] = [BinaryMissingError("gone"), PreflightCancelled("stop")]

    class Raising:
        provider = Provider.CLAUDE
        mode = "pty"
        flag = "claude_pty"

        def execute_workspace(self, workspace: Any, ctx: Any) -> Any:
            raise raised.pop(0)

        def probe(self, workspace: Any, env: Any) -> Any:
            raise AssertionError("not probed")

        def ignores_persisted_trust(self, env: Any, launch_args: Any) -> None:
            return None

        def plan_patches(self, workspaces: Any, launch_args: Any) -> Any:
            from workspace_trust.domain.patches import PatchPlan

            return PatchPlan()

    registry = StrategyRegistry()
    registry.register(Provider.CLAUDE, "pty", Raising)  # type: ignore[arg-type]
    project = os.path.join(sandbox, "p")
    os.makedirs(project)
    with WorkspaceTrustCoordinator(locks=FakeLocks(), registry=registry) as coordinator:
        req = WorkspaceTrustRequest(workspaces=(WorkspaceSpec(project),), env={"HOME": "/nonexistent-home"})
        first = coordinator.execute(coordinator.plan_full(req))
        second = coordinator.execute(coordinator.plan_full(req))
    assert [(r.status, r.code) for r in first.results] == [(WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_BINARY_MISSING)]
    assert [(r.status, r.code) for r in second.results] == [(WorkspaceStatus.CANCELLED, Code.CANCELLED)]


def test_both_plan_stages_name_the_spec_of_an_unusable_path() -> None:
    coordinator = WorkspaceTrustCoordinator(locks=FakeLocks())
    req = WorkspaceTrustRequest(workspaces=(WorkspaceSpec("relative/path"),), env={"HOME": "/nonexistent-home"})
    for plan in (coordinator.plan_args_only(req), coordinator.plan_full(req)):
        invalid = [d for d in plan.diagnostics if d.code is Code.WORKSPACE_PATH_INVALID]
        assert [d.workspace_id for d in invalid] == ["relative/path"]


def test_not_required_counts_as_ok_and_never_hides_a_failure() -> None:
    def row(status: WorkspaceStatus) -> WorkspaceResult:
        return WorkspaceResult(Provider.CLAUDE, "w", "/w", "/w", status)

    ok = overall_status([row(WorkspaceStatus.NOT_REQUIRED), row(WorkspaceStatus.ALREADY_TRUSTED)])
    assert ok is ExecutionStatus.OK
    assert ExecutionResult(ok, ()).proceed
    for worse in (WorkspaceStatus.SOFT_FAILED, WorkspaceStatus.BLOCKED, WorkspaceStatus.CANCELLED):
        assert overall_status([row(WorkspaceStatus.NOT_REQUIRED), row(worse)]) is not ExecutionStatus.OK


def test_default_parallelism_follows_the_cores_within_bounds() -> None:
    from workspace_trust.requests import MAX_PARALLELISM, MIN_PARALLELISM, default_parallelism

    assert [default_parallelism(n) for n in (1, 2, 3, 6, 64)] == [
        MIN_PARALLELISM,
        2,
        3,
        6,
        MAX_PARALLELISM,
    ]
    assert MIN_PARALLELISM <= default_parallelism() <= MAX_PARALLELISM


def test_a_row_is_patched_only_when_the_document_carries_its_patch() -> None:
    """The coordinator's last word on ``patched``: a folder the plan's patches
    do not carry is soft_failed with the plan's reason for that provider (the
    folder's own first), or internal_error when the plan gives none."""

    def row(workspace_id: str) -> WorkspaceResult:
        return WorkspaceResult(Provider.CODEX, workspace_id, workspace_id, workspace_id, WorkspaceStatus.PATCHED)

    value = build_trust_override(["/a"]).value
    assert value is not None
    patch = LaunchArgPatch(
        id="codex.trust.primary_provider_args",
        target_provider=Provider.CODEX,
        target_surface=TargetSurface.PRIMARY_PROVIDER_ARGS,
        dialect=DIRECT_CLI_CONFIG,
        values=(value,),
        dedupe_key="codex:projects-trust:primary_provider_args",
        source_workspace_ids=("/a",),
        reason="test",
    )
    carried = PatchPlan(arg_patches=(patch,))
    assert _carried(row("/a"), carried) == row("/a")
    other = Diagnostic(Code.CODEX_PATH_UNREPRESENTABLE, "gemini's", Provider.GEMINI)
    mine = Diagnostic(Code.CODEX_OVERRIDE_INVALID, "the host's override", Provider.CODEX, "/b")
    general = Diagnostic(Code.CODEX_OVERRIDE_TOO_LONG, "too long", Provider.CODEX)
    plan = attrs.evolve(carried, diagnostics=(other, general, mine))
    left = _carried(row("/b"), plan)
    assert (left.status, left.code, left.diagnostics[-1].workspace_id) == (
        WorkspaceStatus.SOFT_FAILED,
        Code.CODEX_OVERRIDE_INVALID,
        "/b",
    )
    assert _carried(row("/c"), plan).code is Code.CODEX_OVERRIDE_TOO_LONG
    unexplained = _carried(row("/c"), carried)
    assert (unexplained.status, unexplained.code) == (WorkspaceStatus.SOFT_FAILED, Code.INTERNAL_ERROR)
    # Any other status is left as it is.
    accepted = attrs.evolve(row("/c"), status=WorkspaceStatus.ACCEPTED)
    assert _carried(accepted, PatchPlan()) is accepted


def test_a_full_plan_names_each_folder_its_patches_cannot_carry(sandbox: str) -> None:
    """For library hosts as for ``plan --json``: the Codex row of a folder the
    plan could not patch (the host's own projects= value does not parse) is a
    soft failure with that reason; the providers that patch or run a session
    get no such row."""
    project = os.path.join(sandbox, "project")
    os.makedirs(project)
    plan = WorkspaceTrustCoordinator().plan_full(request([project], launch_args={Provider.CODEX: ("-c", "projects={")}))
    (row,) = plan.uncarried()
    assert (row.provider, row.workspace_id, row.status, row.code) == (
        Provider.CODEX,
        project,
        WorkspaceStatus.SOFT_FAILED,
        Code.CODEX_OVERRIDE_INVALID,
    )
    assert WorkspaceTrustCoordinator().plan_full(request([project])).uncarried() == ()


def test_results_come_back_in_request_order(sandbox: str) -> None:
    """One row per workspace and provider, in the order the request gives them:
    rows settled while planning (a missing folder, the home folder) are not
    moved ahead of the rows that ran."""
    home = os.path.join(sandbox, "home")
    first, last = os.path.join(sandbox, "p1"), os.path.join(sandbox, "p2")
    for folder in (home, first, last):
        os.makedirs(folder)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump(
            {"projects": {first: {"hasTrustDialogAccepted": True}, last: {"hasTrustDialogAccepted": True}}}, handle
        )

    def never(spec: object) -> FakeTui:
        raise AssertionError(f"spawned {spec}")

    clock = FakeClock()
    coordinator = WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(never, clock), clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader()
    )
    missing = os.path.join(sandbox, "nope")
    req = WorkspaceTrustRequest(
        workspaces=tuple(WorkspaceSpec(p) for p in (first, missing, home, last)),
        providers=(Provider.CODEX, Provider.CLAUDE),
        env={"HOME": home, "PATH": os.environ["PATH"]},
    )
    plan = coordinator.plan_full(req)
    result = coordinator.execute(plan)
    assert [(r.workspace, r.provider) for r in result.results] == [
        (folder, provider) for folder in (first, missing, home, last) for provider in (Provider.CODEX, Provider.CLAUDE)
    ]
    manifest = result.diagnostics_manifest()
    assert [item.workspace_paths for item in manifest.strategy_results] == [(r.workspace,) for r in result.results]
