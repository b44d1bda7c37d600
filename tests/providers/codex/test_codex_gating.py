"""Which folders Codex gates, per version (providers/codex/gating.py), and how
preflight and status answer for a folder the installed Codex does not gate:
``not_required`` with ``folder_not_gated_by_cli``, nothing started."""

from __future__ import annotations

import os

import pytest

from workspace_trust import (
    Code,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
)
from workspace_trust.domain.codes import TrustState
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace, build_workspace
from workspace_trust.domain.results import Diagnostic, ProbeResult, TrustSource
from workspace_trust.flags import FeatureFlags
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.codex import OVERRIDE_EMBEDDED_MODE
from workspace_trust.providers.codex.gating import embedded_mode, gates_folder, not_gated
from workspace_trust.testing import (
    FakeBinaryLocator,
    FakeClock,
    FakeHelpReader,
    FakeLocks,
    FakePtySpawner,
    FakeTui,
)

NO_ENTRY = ProbeResult(TrustState.UNTRUSTED)


def workspace(path: str = "/w/p", *, git_root: str | None = None) -> Workspace:
    facts = PathFacts(absolute=path, real=path, home="/home/u", exists=True, is_dir=True, git_root=git_root)
    return build_workspace(path, facts, HostOs.LINUX)


@pytest.mark.parametrize(
    ("version", "gated"),
    [
        ("0.125.0", True),
        ("0.150.0", True),
        ("0.158.0", True),
        ("0.161.9", True),  # between the last that asks and the first that does not: not run, strictest
        ("0.162.0", False),
        ("0.166.0", False),
        ("0.169.0", False),
        ("0.171.0", False),
        ("0.172.0", True),  # newer than seen: strictest
        (None, True),
        ("not-a-version", True),
    ],
)
def test_a_plain_folder_with_no_entry_is_gated_per_version(version: str | None, gated: bool) -> None:
    assert gates_folder(version, workspace(), has_project_config=False, probe=NO_ENTRY) is gated


@pytest.mark.parametrize("version", ["0.162.0", "0.169.0", "0.171.0"])
def test_git_project_config_or_any_decision_gates_on_every_version(version: str) -> None:
    plain = workspace()
    assert gates_folder(version, workspace(git_root="/w/p"), has_project_config=False, probe=NO_ENTRY)
    assert gates_folder(version, workspace("/w/p/sub", git_root="/w"), has_project_config=False, probe=NO_ENTRY)
    assert gates_folder(version, plain, has_project_config=True, probe=NO_ENTRY)
    untrusted = ProbeResult(TrustState.UNTRUSTED, source=TrustSource.EXACT)
    assert gates_folder(version, plain, has_project_config=False, probe=untrusted)  # "Open restricted"
    corrupt = ProbeResult(TrustState.UNKNOWN, diagnostics=(Diagnostic(Code.STATE_FILE_CORRUPT, "x"),))
    assert gates_folder(version, plain, has_project_config=False, probe=corrupt)


def test_the_not_gated_diagnostic_names_the_version_and_the_folder() -> None:
    found = not_gated("0.171.0", workspace(), has_project_config=False, probe=NO_ENTRY)
    assert found is not None
    assert (found.code, found.provider, found.workspace_id) == (Code.FOLDER_NOT_GATED, Provider.CODEX, "/w/p")
    assert "0.171.0" in found.message and "AGENTS.md" in found.message
    assert not_gated("0.125.0", workspace(), has_project_config=False, probe=NO_ENTRY) is None


def test_embedded_mode_is_said_for_the_versions_that_leave_the_shared_server() -> None:
    assert embedded_mode(None) is None
    assert embedded_mode("0.150.0") is None
    for version in ("0.158.0", "0.169.0", "0.171.0", "0.200.0"):
        found = embedded_mode(version)
        assert found is not None and found.code is OVERRIDE_EMBEDDED_MODE and version in found.message


def _coordinator(version: str | None) -> tuple[WorkspaceTrustCoordinator, list[SpawnSpec]]:
    spawned: list[SpawnSpec] = []

    def tui(spec: SpawnSpec) -> FakeTui:
        spawned.append(spec)
        raise AssertionError(f"spawned {spec.argv}")

    clock = FakeClock()
    return (
        WorkspaceTrustCoordinator(
            spawner=FakePtySpawner(tui, clock),
            clock=clock,
            locks=FakeLocks(),
            help_reader=FakeHelpReader(version=version),
            binary_locator=FakeBinaryLocator({"codex"}),
        ),
        spawned,
    )


def _request(path: str, home: str, mode: str) -> WorkspaceTrustRequest:
    return WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(path),),
        providers=(Provider.CODEX,),
        strategy_modes={Provider.CODEX: mode},
        env={"HOME": home, "PATH": "/usr/bin"},
        flags=FeatureFlags(codex_pty=True),
    )


def _folders(sandbox: str) -> tuple[str, str]:
    home = os.path.join(sandbox, "home")
    plain = os.path.join(sandbox, "plain")
    os.makedirs(os.path.join(home, ".codex"))
    # Set up once, as a preflight needs (no auth.json: provider_auth_required).
    with open(os.path.join(home, ".codex", "auth.json"), "w", encoding="utf-8") as handle:
        handle.write('{"OPENAI_API_KEY": "sk-test", "auth_mode": "apikey"}')
    os.makedirs(plain)
    return home, plain


def test_a_pty_preflight_of_an_ungated_folder_is_not_required_and_starts_nothing(sandbox: str) -> None:
    home, plain = _folders(sandbox)
    coordinator, spawned = _coordinator("0.169.0")
    with coordinator:
        result = coordinator.execute(coordinator.plan_full(_request(plain, home, "pty")))
    (row,) = result.results
    assert (row.status, row.code, row.cli_version) == (WorkspaceStatus.NOT_REQUIRED, Code.FOLDER_NOT_GATED, "0.169.0")
    assert [d.code for d in row.diagnostics] == [Code.FOLDER_NOT_GATED]
    assert spawned == []


def test_a_folder_holding_a_codex_folder_is_still_prepared(sandbox: str) -> None:
    """The same folder with a .codex folder in it: Codex asks, so the session is started."""
    home, plain = _folders(sandbox)
    os.makedirs(os.path.join(plain, ".codex"))
    coordinator, spawned = _coordinator("0.169.0")
    with coordinator:
        result = coordinator.execute(coordinator.plan_full(_request(plain, home, "pty")))
    assert result.results[0].status is not WorkspaceStatus.NOT_REQUIRED
    assert len(spawned) == 1


@pytest.mark.parametrize("mode", ["pty", "args"])
@pytest.mark.parametrize(("version", "expected"), [("0.171.0", "not_required"), ("0.125.0", "untrusted")])
def test_status_says_not_required_only_where_the_installed_version_does_not_gate(
    sandbox: str, mode: str, version: str, expected: str
) -> None:
    home, plain = _folders(sandbox)
    coordinator, spawned = _coordinator(version)
    with coordinator:
        rows = coordinator.status(coordinator.plan_full(_request(plain, home, mode)))
    ((_, answer),) = rows
    if expected == "not_required":
        assert isinstance(answer, Diagnostic) and answer.code is Code.FOLDER_NOT_GATED
    else:
        assert isinstance(answer, ProbeResult) and answer.state is TrustState.UNTRUSTED
    assert spawned == []


@pytest.mark.parametrize(("version", "trusted"), [("0.171.0", True), ("0.125.0", False)])
def test_the_status_report_renders_a_folder_not_gated_as_not_required_with_why(
    sandbox: str, version: str, trusted: bool
) -> None:
    """``status_report``: the typed rows the command line prints. A folder the
    installed CLI does not gate is ``not_required`` with the code saying why,
    and counts as trusted; an untrusted one keeps the run from being trusted."""
    from workspace_trust.status_report import StatusRow

    home, plain = _folders(sandbox)
    coordinator, spawned = _coordinator(version)
    with coordinator:
        plan = coordinator.plan_full(_request(plain, home, "args"))
        report = coordinator.status_report(plan)
    (row,) = report.rows
    assert isinstance(row, StatusRow) and row.provider is Provider.CODEX
    if trusted:
        assert (row.status, row.code) == (WorkspaceStatus.NOT_REQUIRED, Code.FOLDER_NOT_GATED)
        # The plan's own notes first, then what the probe found.
        assert report.diagnostics[: len(plan.diagnostics)] == plan.diagnostics
        assert [d.code for d in report.diagnostics[len(plan.diagnostics) :]] == [Code.FOLDER_NOT_GATED]
    else:
        assert (row.status, row.trusted_key) == (TrustState.UNTRUSTED, None)
    assert report.all_trusted is trusted
    assert spawned == []
