"""What a session measures reaches the result: render faults, dropped sequences,
the last wait reason, the first-dialog time, DIALOG and KEY progress, and every
strategy's STARTED and FINISHED."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

from workspace_trust import manifest_to_json
from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.diagnostics import DiagnosticsBudget, DiagnosticsManifest, apply_budget, build_strategy_diagnostic
from workspace_trust.domain.codes import Code, Key, Provider, WaitReason, WorkspaceStatus
from workspace_trust.domain.paths import Workspace, build_workspace
from workspace_trust.domain.results import SessionReport, WorkspaceResult
from workspace_trust.engine.dialog import DialogEngine
from workspace_trust.engine.timing import DEFAULT_TIMING, EngineTiming
from workspace_trust.installed_clis import seed_home
from workspace_trust.ports import ExecutionPorts, RenderStats, SpawnSpec
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.registry import default_registry
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.runner import run_session
from workspace_trust.strategy import ExecutionContext, ProgressEvent, ProgressStage
from workspace_trust.testing import (
    FakeBinaryLocator,
    FakeClock,
    FakeHelpReader,
    FakeLocks,
    FakeProviderLockFiles,
    FakePtySession,
    FakePtySpawner,
    FakeScratchSpace,
    FakeScreen,
    FakeTui,
)

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
TIMING = attrs.evolve(DEFAULT_TIMING, total_budget_ms=3000)

TRUST_LINES = (
    " Accessing workspace:",
    "",
    " Quick safety check: Is this a project you created or one you trust?",
    "",
)


def trust_tui(workspace: str, home: str, **kw: Any) -> FakeTui:
    """Claude 2.1.330's layout; Enter on Yes writes trust to HOME/.claude.json."""

    def accept() -> None:
        with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
            json.dump(
                {"hasCompletedOnboarding": True, "projects": {workspace: {"hasTrustDialogAccepted": True}}}, handle
            )

    screens = {
        "trust": FakeScreen(
            lines=TRUST_LINES,
            options=("No, exit", "Yes, I trust this folder"),
            on_enter={0: "exit:1", 1: "main"},
            effects={1: accept},
        ),
        "main": FakeScreen(lines=("> ", "  ? for shortcuts")),
    }
    return FakeTui(screens=screens, current="trust", **kw)


def preflight(
    sandbox: str, tui: Any, timing: EngineTiming = TIMING, *, debug: bool = False, locks: FakeLocks | None = None
) -> tuple[WorkspaceResult, list[ProgressEvent]]:
    home = os.path.join(sandbox, "home")
    workspace = os.path.join(sandbox, "project")
    os.makedirs(home, exist_ok=True)
    os.makedirs(workspace, exist_ok=True)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    clock = FakeClock()
    spawner = FakePtySpawner(lambda spec: tui(workspace, home), clock)
    coordinator = WorkspaceTrustCoordinator(
        spawner=spawner, clock=clock, locks=locks or FakeLocks(), help_reader=FakeHelpReader()
    )
    events: list[ProgressEvent] = []
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(workspace),),
        env={"HOME": home, "PATH": os.environ["PATH"]},
        binaries={Provider.CLAUDE: FAKE},
        timing=timing,
        debug=debug,
    )
    result = coordinator.execute(coordinator.plan_full(request), on_progress=events.append)
    (row,) = result.results
    return row, events


# -- the runner -------------------------------------------------------------------


def test_the_outcome_carries_the_renderers_counts() -> None:
    tui = FakeTui(
        screens={"s": FakeScreen(lines=("Something new",))}, current="s", render_faults=2, dropped_sequences=5
    )
    clock = FakeClock()
    session = FakePtySession(tui, clock, SpawnSpec(argv=("claude",), cwd="/", env={}))
    outcome = run_session(
        session,
        DialogEngine(CLAUDE_RULES, TIMING),
        clock,
        success=lambda: pytest.fail("no success check expected"),
        is_cancelled=lambda: False,
        timing=TIMING,
    )
    assert outcome.render == RenderStats(faults=2, dropped_sequences=5)


# -- the PTY strategy's result ---------------------------------------------------------


def test_an_accepted_result_reports_the_session(sandbox: str) -> None:
    row, _ = preflight(sandbox, lambda ws, home: trust_tui(ws, home, first_paint_ms=300, dropped_sequences=3))
    assert row.status is WorkspaceStatus.ACCEPTED
    session = row.session
    assert session is not None
    # The first read that shows the dialog comes 300 ms after the spawn (10 ms reads).
    assert session.first_dialog_ms == 300
    assert session.frames > 0 and session.last_rule_id in ("claude.workspace_trust", "claude.ready")
    assert (session.render_faults, session.dropped_sequences) == (0, 3)
    assert Code.RENDER_FAULT not in {d.code for d in row.diagnostics}


def test_a_timeout_says_what_it_was_waiting_for(sandbox: str) -> None:
    # The cursor is on no option row: the engine waits for it until the budget ends.
    def no_cursor(ws: str, home: str) -> FakeTui:
        tui = trust_tui(ws, home)
        tui.cursor = 5
        return tui

    row, _ = preflight(sandbox, no_cursor)
    assert (row.status, row.code) == (WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT)
    assert row.session is not None and row.session.wait_reason is WaitReason.CURSOR_NOT_FOUND
    assert row.session.last_rule_id == "claude.workspace_trust"
    (timeout,) = [d for d in row.diagnostics if d.code is Code.TIMEOUT]
    assert "cursor_not_found" in timeout.message and "claude.workspace_trust" in timeout.message


def test_a_timeout_on_a_blank_screen_says_so(sandbox: str) -> None:
    row, _ = preflight(sandbox, lambda ws, home: trust_tui(ws, home, first_paint_ms=10**6))
    assert (row.status, row.code) == (WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT)
    assert row.session is not None and row.session.wait_reason is WaitReason.UNRECOGNISED
    assert row.session.first_dialog_ms is None
    (timeout,) = [d for d in row.diagnostics if d.code is Code.TIMEOUT]
    assert "unrecognised_screen" in timeout.message and "blank" in timeout.message


def test_render_faults_become_a_diagnostic(sandbox: str) -> None:
    row, _ = preflight(sandbox, lambda ws, home: trust_tui(ws, home, render_faults=2))
    assert row.status is WorkspaceStatus.ACCEPTED
    (fault,) = [d for d in row.diagnostics if d.code is Code.RENDER_FAULT]
    assert "2" in fault.message and fault.workspace_id == row.workspace_id
    assert row.session is not None and row.session.render_faults == 2


def test_the_pty_path_reports_dialogs_and_keys_as_progress(sandbox: str) -> None:
    row, events = preflight(sandbox, trust_tui)
    assert row.status is WorkspaceStatus.ACCEPTED
    stages = [(e.stage, e.detail) for e in events]
    # The lock was free: no waiting_for_lock.
    assert stages == [
        (ProgressStage.STARTED, ""),
        (ProgressStage.SPAWNED, ""),
        (ProgressStage.DIALOG, "claude.workspace_trust"),
        (ProgressStage.KEY, "down"),
        (ProgressStage.KEY, "enter"),
        (ProgressStage.CLOSING, ""),
        (ProgressStage.FINISHED, ""),
    ], stages
    assert events[-1].status is WorkspaceStatus.ACCEPTED


def test_waiting_for_lock_only_when_the_lock_is_held_elsewhere(sandbox: str) -> None:
    row, events = preflight(sandbox, trust_tui, locks=FakeLocks(contended={"*"}))
    assert row.status is WorkspaceStatus.ACCEPTED
    stages = [e.stage for e in events]
    assert stages[:3] == [ProgressStage.STARTED, ProgressStage.WAITING_FOR_LOCK, ProgressStage.SPAWNED]
    assert stages.count(ProgressStage.WAITING_FOR_LOCK) == 1


def test_a_waiting_session_beats_about_every_two_seconds(sandbox: str) -> None:
    # A screen that never paints: the session waits out its whole budget (8 s
    # on the fake clock) and says what it waits for as it goes.
    timing = attrs.evolve(TIMING, total_budget_ms=8000)
    row, events = preflight(sandbox, lambda ws, home: trust_tui(ws, home, first_paint_ms=10**6), timing)
    assert (row.status, row.code) == (WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT)
    beats = [e for e in events if e.stage is ProgressStage.WAITING]
    assert [e.detail for e in beats] == ["the_dialog"] * len(beats)
    assert 3 <= len(beats) <= 4, [e.elapsed_ms for e in beats]
    elapsed = [e.elapsed_ms or 0 for e in beats]
    assert all(2000 <= b - a < 2100 for a, b in zip([0, *elapsed], elapsed, strict=False))


def test_the_heartbeat_names_the_wait_once_a_dialog_was_seen(sandbox: str) -> None:
    # The cursor is on no option: the engine waits for it, and the beat says so.
    def no_cursor(ws: str, home: str) -> FakeTui:
        tui = trust_tui(ws, home)
        tui.cursor = 5
        return tui

    row, events = preflight(sandbox, no_cursor, attrs.evolve(TIMING, total_budget_ms=5000))
    assert row.code is Code.TIMEOUT
    beats = [e.detail for e in events if e.stage is ProgressStage.WAITING]
    assert beats and beats[-1] == WaitReason.CURSOR_NOT_FOUND.value


# -- every strategy reports its start and its end ---------------------------------------


def _ctx(events: list[ProgressEvent], env: Mapping[str, str]) -> ExecutionContext:
    clock = FakeClock()
    ports = ExecutionPorts(
        spawner=FakePtySpawner(lambda spec: pytest.fail("nothing may start"), clock),
        clock=clock,
        locks=FakeLocks(),
        help_reader=FakeHelpReader(),
        provider_locks=FakeProviderLockFiles(clock),
        # The probes read the state files this test seeds in its sandbox.
        state_files=LocalStateFiles(),
        binary_locator=FakeBinaryLocator(),
        scratch=FakeScratchSpace(),
    )
    return ExecutionContext(ports=ports, env=env, on_progress=events.append)


def _strategies() -> list[tuple[Provider, str]]:
    registry = default_registry()
    return [(provider, mode) for provider in Provider for mode in registry.modes(provider)]


def _workspace(path: str, home: str) -> Workspace:
    facts = LocalFileSystemFacts()
    return build_workspace(path, facts.gather(path, env={"HOME": home}), facts.host)


@pytest.mark.parametrize(("provider", "mode"), _strategies(), ids=lambda v: v.value if isinstance(v, Provider) else v)
@pytest.mark.parametrize("where", ["project", "home", "missing"])
def test_every_strategy_reports_started_and_finished(sandbox: str, provider: Provider, mode: str, where: str) -> None:
    strategy = default_registry().create(provider, mode)
    home = os.path.join(sandbox, "home")
    project = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(project)
    if mode == "pty" and where == "project":
        # Already trusted, so the PTY strategies end without starting anything.
        _trust_in_state_file(provider, project, home)
    path = {"project": project, "home": home, "missing": os.path.join(sandbox, "missing")}[where]
    events: list[ProgressEvent] = []
    result = strategy.execute_workspace(_workspace(path, home), _ctx(events, {"HOME": home}))
    assert [e.stage for e in events] == [ProgressStage.STARTED, ProgressStage.FINISHED]
    finished = events[-1]
    assert finished.status is result.status
    assert finished.detail == (result.code.value if result.code else "")
    if where != "project":
        assert result.status is WorkspaceStatus.BLOCKED
    elif not strategy.trust_required({"HOME": home}) or not strategy.gates:
        # A provider that gates no folder in this HOME (its trust setting
        # off), or in the launch mode the strategy serves.
        assert result.status is WorkspaceStatus.NOT_REQUIRED
    else:
        assert result.status is (WorkspaceStatus.ALREADY_TRUSTED if mode == "pty" else WorkspaceStatus.PATCHED)


def _trust_in_state_file(provider: Provider, project: str, home: str) -> None:
    """Seeds the provider's own state file so ``project`` is trusted."""
    if provider is Provider.CLAUDE:
        with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
            json.dump({"projects": {project: {"hasTrustDialogAccepted": True}}}, handle)
    elif provider is Provider.CODEX:
        os.makedirs(os.path.join(home, ".codex"))
        with open(os.path.join(home, ".codex", "config.toml"), "w", encoding="utf-8") as handle:
            handle.write(f'[projects."{project}"]\ntrust_level = "trusted"\n')
    elif provider is Provider.GEMINI:
        os.makedirs(os.path.join(home, ".gemini"))
        with open(os.path.join(home, ".gemini", "trustedFolders.json"), "w", encoding="utf-8") as handle:
            json.dump({project: "TRUST_FOLDER"}, handle)
    elif provider is Provider.QWEN:
        seed_home("qwen", home)  # folder trust on: else there is nothing to prepare
        with open(os.path.join(home, ".qwen", "trustedFolders.json"), "w", encoding="utf-8") as handle:
            json.dump({project: "TRUST_FOLDER"}, handle)
    elif provider is Provider.COPILOT:
        os.makedirs(os.path.join(home, ".copilot"))
        with open(os.path.join(home, ".copilot", "config.json"), "w", encoding="utf-8") as handle:
            handle.write("// managed automatically\n" + json.dumps({"trustedFolders": [project]}))
    else:
        raise AssertionError(f"no state-file seed for {provider.value} in this test")


# -- the manifest --------------------------------------------------------------------


def _result(session: SessionReport | None) -> WorkspaceResult:
    return WorkspaceResult(
        provider=Provider.CLAUDE,
        workspace_id="/w",
        workspace="/w",
        real_path="/w",
        status=WorkspaceStatus.SOFT_FAILED,
        code=Code.TIMEOUT,
        pty_spawned=True,
        keys=(Key.DOWN,),
        session=session,
    )


def test_the_manifest_carries_the_session_facts() -> None:
    report = SessionReport(
        frames=12,
        first_dialog_ms=407,
        last_rule_id="claude.workspace_trust",
        wait_reason=WaitReason.CURSOR_NOT_FOUND,
        render_faults=1,
        dropped_sequences=9,
        exit_status=None,
    )
    item = build_strategy_diagnostic(_result(report), debug=False)
    doc = manifest_to_json(apply_budget(DiagnosticsManifest(attempt=1, strategy_results=(item,))))
    assert doc["strategy_results"][0]["session"] == {
        "frames": 12,
        "first_dialog_ms": 407,
        "last_rule_id": "claude.workspace_trust",
        "wait_reason": "cursor_not_found",
        "render_faults": 1,
        "dropped_sequences": 9,
        "exit_status": None,
    }
    without = build_strategy_diagnostic(_result(None), debug=False)
    assert (
        manifest_to_json(DiagnosticsManifest(attempt=1, strategy_results=(without,)))["strategy_results"][0]["session"]
        is None
    )


def test_the_session_facts_are_bounded_in_the_manifest() -> None:
    report = SessionReport(frames=2**70, last_rule_id="r" * 500, render_faults=-3, exit_status=2**70)
    item = build_strategy_diagnostic(_result(report), debug=False)
    budget = DiagnosticsBudget(max_identifier_chars=16)
    out = apply_budget(DiagnosticsManifest(attempt=1, strategy_results=(item,)), budget)
    session = out.strategy_results[0].session
    assert session is not None
    assert session.frames == 2**53 - 1 and session.render_faults == 0
    assert session.last_rule_id is not None and len(session.last_rule_id) == 16
    assert session.exit_status is not None and abs(session.exit_status) <= 2**53 - 1


# -- end to end, through the real PTY adapter --------------------------------------------


def test_dropped_sequences_reach_the_result_from_a_real_pty(sandbox: str) -> None:
    home = os.path.join(sandbox, "home")
    workspace = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(workspace)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write("FAKE_NOISE=1\n")
    coordinator = WorkspaceTrustCoordinator(use_file_locks=False)
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(workspace),),
        env={"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"},
        binaries={Provider.CLAUDE: FAKE},
        timing=attrs.evolve(DEFAULT_TIMING, total_budget_ms=15000),
    )
    (row,) = coordinator.execute(coordinator.plan_full(request)).results
    assert row.status is WorkspaceStatus.ACCEPTED
    assert row.session is not None
    # FAKE_NOISE writes a modifyOtherKeys request and a window title: both ignored.
    assert row.session.dropped_sequences >= 2 and row.session.render_faults == 0
    assert row.session.first_dialog_ms is not None and row.session.first_dialog_ms > 0
