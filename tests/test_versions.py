"""Version awareness: every preflight result names the CLI version it ran
against; a newer one than verified runs with ``cli_version_unverified``, an
older one than supported is refused; and the verified versions in the specs
are the ones ``real-clis.txt`` pins and the fixtures were recorded on."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import require_cli
from tests.test_fake_execute import HOME, STATE, claude_dialog, fake_coordinator
from workspace_trust import (
    Code,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustRequest,
    manifest_to_json,
)
from workspace_trust.adapters.cli_facts import BinaryStamp, package_version
from workspace_trust.documents import result_to_json
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers import all_specs, spec_for
from workspace_trust.providers.versions import judge_version, parse_version
from workspace_trust.requests import ExecutionResult
from workspace_trust.testing import (
    FakeClock,
    FakeHelpReader,
    FakePtySpawner,
    FakeStateFiles,
    FakeTui,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pinned() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with open(os.path.join(ROOT, "real-clis.txt"), encoding="utf-8") as handle:
        for line in handle:
            fields = line.split("#", 1)[0].split()
            if fields:
                out.setdefault(fields[0], set()).add(fields[2])
    return out


def recorded() -> dict[str, set[str]]:
    base = os.path.join(ROOT, "fixtures", "snapshots")
    return {
        name: {v for v in os.listdir(os.path.join(base, name)) if os.path.isdir(os.path.join(base, name, v))}
        for name in os.listdir(base)
        if os.path.isdir(os.path.join(base, name))
    }


def test_verified_versions_match_real_clis_txt_and_the_fixtures() -> None:
    pins, fixtures = pinned(), recorded()
    for spec in all_specs():
        name = spec.id.value
        verified = set(spec.verified_versions)
        assert verified == pins.get(name, set()), f"{name}: spec {sorted(verified)} vs real-clis.txt"
        assert verified == fixtures.get(name, set()), f"{name}: spec {sorted(verified)} vs fixtures"
        oldest = parse_version(spec.oldest_supported)
        assert all(parse_version(v) is not None for v in verified), name
        assert oldest is None or all(oldest <= parse_version(v) for v in verified), name  # type: ignore[operator]
    assert set(pins) <= {spec.id.value for spec in all_specs()}


def test_the_readmes_verified_table_names_every_verified_version() -> None:
    """Each CLI's row of README's "What it was verified on" lists every version
    its spec says it was verified on (the versions the fixtures and real-CLI tests cover)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    table = text.split("## What it was verified on", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    missing = {}
    for spec in all_specs():
        row = next((r for r in rows if spec.display_name in r.split("|")[1]), "")
        listed = row.split("|")[2] if row else ""
        absent = [v for v in spec.verified_versions if v not in listed.replace(",", " ").split()]
        if absent:
            missing[spec.display_name] = absent
    assert missing == {}


def test_parse_version() -> None:
    assert parse_version("2.1.330") == (2, 1, 330)
    assert parse_version("1.0.0-beta.3") == (1, 0, 0)
    assert parse_version("2.1") is None
    assert parse_version(None) is None
    assert parse_version("2.1.330; rm -rf /") is None


def test_judge_version() -> None:
    spec = spec_for(Provider.CLAUDE)
    newest = max(spec.verified_versions, key=lambda v: parse_version(v) or (0, 0, 0))
    assert judge_version(spec, newest).diagnostic is None
    assert judge_version(spec, None).diagnostic is None
    assert judge_version(spec, "garbage").diagnostic is None
    newer = judge_version(spec, "9.0.0", "w1")
    assert newer.diagnostic is not None and not newer.refused
    assert newer.diagnostic.code is Code.CLI_VERSION_UNVERIFIED
    assert "9.0.0" in newer.diagnostic.message and newest in newer.diagnostic.message
    older = judge_version(spec, "1.0.9", "w1")
    assert older.refused and older.diagnostic is not None
    assert older.diagnostic.code is Code.CLI_VERSION_UNSUPPORTED
    assert "1.0.9" in older.diagnostic.message and str(spec.oldest_supported) in older.diagnostic.message


def _execute(version: str | None) -> tuple[ExecutionResult, FakePtySpawner]:
    clock = FakeClock()
    files = FakeStateFiles({STATE: json.dumps({"hasCompletedOnboarding": True}).encode()})

    def tui(spec: SpawnSpec) -> FakeTui:
        return claude_dialog(files, spec.cwd)

    spawner = FakePtySpawner(tui, clock)
    coordinator = fake_coordinator(files, spawner, clock, help_reader=FakeHelpReader(version=version))
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(f"{HOME}/project"),),
        providers=(Provider.CLAUDE,),
        env={"HOME": HOME, "PATH": "/usr/bin"},
    )
    with coordinator:
        return coordinator.execute(coordinator.plan_full(request)), spawner


def test_a_verified_version_is_named_in_the_result_the_json_row_and_the_manifest() -> None:
    version = spec_for(Provider.CLAUDE).verified_versions[-1]
    result, _ = _execute(version)
    (row,) = result.results
    assert (row.status, row.cli_version) == (WorkspaceStatus.ACCEPTED, version)
    assert not [d for d in row.diagnostics if d.code in (Code.CLI_VERSION_UNVERIFIED, Code.CLI_VERSION_UNSUPPORTED)]
    assert result_to_json(row, debug=False)["cli_version"] == version
    (entry,) = manifest_to_json(result.diagnostics_manifest())["strategy_results"]
    assert entry["cli_version"] == version


def test_a_newer_version_runs_with_a_diagnostic() -> None:
    result, spawner = _execute("99.0.0")
    (row,) = result.results
    assert (row.status, row.cli_version) == (WorkspaceStatus.ACCEPTED, "99.0.0")
    assert [d.code for d in row.diagnostics if d.code is Code.CLI_VERSION_UNVERIFIED] == [Code.CLI_VERSION_UNVERIFIED]
    assert len(spawner.sessions) == 1


def test_an_older_version_is_refused_naming_it() -> None:
    result, spawner = _execute("1.0.3")
    (row,) = result.results
    assert (row.status, row.code, row.cli_version) == (
        WorkspaceStatus.SOFT_FAILED,
        Code.CLI_VERSION_UNSUPPORTED,
        "1.0.3",
    )
    assert any("1.0.3" in d.message for d in row.diagnostics)
    assert spawner.sessions == []


def test_an_unknown_version_is_no_verdict() -> None:
    result, _ = _execute(None)
    (row,) = result.results
    assert (row.status, row.cli_version) == (WorkspaceStatus.ACCEPTED, None)


@pytest.mark.parametrize(
    ("name", "version"),
    sorted((name, version) for name, versions in pinned().items() for version in versions),
)
def test_the_version_of_each_pinned_cli_is_read_from_its_package(name: str, version: str) -> None:
    binary = require_cli(name, version)
    stamp = BinaryStamp.of(binary)
    assert stamp is not None
    assert package_version(stamp) == version
