"""The plug-in's own tests, on ``workspace_trust.testing``'s fakes: no toy
binary, no terminal, no file. Run them where the plug-in is installed
(``pip install -e .``), so that its entry point registers the toy:

    python -m pytest tests
"""

from __future__ import annotations

import json

from toytrust.spec import SPEC, TOY, TOY_STATE_ODD, state_file

from workspace_trust import (
    Code,
    ExecutionStatus,
    Key,
    ProbeResult,
    TrustState,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
)
from workspace_trust.testing import (
    FakeBinaryLocator,
    FakeClock,
    FakeFileSystemFacts,
    FakeHelpReader,
    FakeLocks,
    FakeProviderLockFiles,
    FakePtySpawner,
    FakeScratchSpace,
    FakeScreen,
    FakeStateFiles,
    FakeTui,
)

HOME = "/home/ana"
PROJECT = f"{HOME}/project"
STATE = f"{HOME}/.toy/trusted.json"


def request() -> WorkspaceTrustRequest:
    return WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(PROJECT),), providers=(TOY,), env={"HOME": HOME, "PATH": "/usr/bin"}
    )


def test_status_reads_only_the_toy_s_file() -> None:
    """The probe, through the library: ``status`` starts nothing."""
    clock = FakeClock()
    files = FakeStateFiles()
    spawner = FakePtySpawner(lambda spec: toy_dialog(files, spec.cwd), clock)
    seen = []
    for data in (None, json.dumps({"workspaces": [PROJECT]}).encode(), b"[]"):
        if data is not None:
            files.put(STATE, data)
        with coordinator(files, spawner, clock) as trust:
            ((_, probe),) = trust.status(trust.plan_full(request()))
        assert isinstance(probe, ProbeResult)
        seen.append((probe.state, probe.trusted_key, [d.code for d in probe.diagnostics]))
    assert seen == [
        (TrustState.UNTRUSTED, None, []),
        (TrustState.TRUSTED, PROJECT, []),
        (TrustState.UNKNOWN, None, [TOY_STATE_ODD]),
    ]
    assert spawner.sessions == []
    assert state_file({"HOME": HOME}) == STATE
    assert state_file({"HOME": HOME, "TOY_HOME": "/elsewhere"}) == "/elsewhere/trusted.json"


def toy_dialog(files: FakeStateFiles, cwd: str) -> FakeTui:
    """The toy's dialog: "Always allow" records ``cwd`` in its file."""

    def allow() -> None:
        files.put(STATE, json.dumps({"workspaces": [cwd]}).encode())

    return FakeTui(
        screens={
            "trust": FakeScreen(
                lines=("Allow this workspace?", cwd, ""),
                options=("Allow once", "Always allow this workspace", "Leave"),
                on_enter={0: "ready", 1: "ready", 2: "exit:1"},
                effects={1: allow},
            ),
            "ready": FakeScreen(lines=("toy> ready",)),
        },
        current="trust",
    )


def coordinator(files: FakeStateFiles, spawner: FakePtySpawner, clock: FakeClock) -> WorkspaceTrustCoordinator:
    return WorkspaceTrustCoordinator(
        spawner=spawner,
        clock=clock,
        locks=FakeLocks(),
        filesystem=FakeFileSystemFacts(),
        help_reader=FakeHelpReader(SPEC.protected_help, version="0.3.0"),
        provider_locks=FakeProviderLockFiles(clock),
        state_files=files,
        binary_locator=FakeBinaryLocator({"toy"}),
        scratch=FakeScratchSpace(),
    )


def test_a_preflight_chooses_always_allow_by_its_label() -> None:
    clock = FakeClock()
    files = FakeStateFiles()
    spawner = FakePtySpawner(lambda spec: toy_dialog(files, spec.cwd), clock)
    with coordinator(files, spawner, clock) as trust:
        result = trust.execute(trust.plan_full(request()))
    assert result.status is ExecutionStatus.OK
    (row,) = result.results
    # "Allow once" is preselected and persists nothing: one Down, then Enter.
    assert (row.status, row.keys, row.cli_version) == (WorkspaceStatus.ACCEPTED, (Key.DOWN, Key.ENTER), "0.3.0")
    assert json.loads(files.files[STATE]) == {"workspaces": [PROJECT]}
    (session,) = spawner.sessions
    assert (session.spec.argv, session.spec.cwd) == (("/fake/bin/toy", "--no-plugins"), PROJECT)


def test_without_the_protecting_flag_nothing_starts() -> None:
    clock = FakeClock()
    files = FakeStateFiles()
    spawner = FakePtySpawner(lambda spec: toy_dialog(files, spec.cwd), clock)
    trust = WorkspaceTrustCoordinator(
        spawner=spawner,
        clock=clock,
        locks=FakeLocks(),
        filesystem=FakeFileSystemFacts(),
        help_reader=FakeHelpReader("Usage: toy"),
        provider_locks=FakeProviderLockFiles(clock),
        state_files=files,
        binary_locator=FakeBinaryLocator({"toy"}),
        scratch=FakeScratchSpace(),
    )
    with trust:
        (row,) = trust.execute(trust.plan_full(request())).results
    assert (row.status, row.code) == (WorkspaceStatus.SOFT_FAILED, Code.PREFLIGHT_UNPROTECTED)
    assert spawner.sessions == []
