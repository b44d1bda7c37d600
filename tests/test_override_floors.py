"""Version floors of the per-launch overrides (providers/override_floors.py and
each provider's ``floors.py``): below the first version that honours an
override the plan offers no patch and each folder's row says why; an unknown
version is no verdict. Plus the Codex plan's embedded-mode note."""

from __future__ import annotations

import os

import pytest

from workspace_trust import Code, Provider, WorkspaceSpec, WorkspaceStatus, WorkspaceTrustCoordinator
from workspace_trust import WorkspaceTrustRequest as Request
from workspace_trust.flags import FeatureFlags
from workspace_trust.providers.codex import OVERRIDE_EMBEDDED_MODE
from workspace_trust.providers.codex.floors import OVERRIDE_FLOOR as CODEX_FLOOR
from workspace_trust.providers.gemini.floors import OVERRIDE_FLOOR as GEMINI_FLOOR
from workspace_trust.providers.override_floors import below_floor
from workspace_trust.providers.qwen.floors import OVERRIDE_FLOOR as QWEN_FLOOR
from workspace_trust.requests import FullPlan
from workspace_trust.testing import FakeBinaryLocator, FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeTui

#: provider, mode, the newest release below the floor, the floor.
CASES = [
    (Provider.QWEN, "env", "0.10.1", QWEN_FLOOR.since),
    (Provider.GEMINI, "env", "0.39.0", GEMINI_FLOOR.since),
    (Provider.CODEX, "args", "0.124.0", CODEX_FLOOR.since),
]


def _plan(sandbox: str, provider: Provider, mode: str, version: str | None, launch: tuple[str, ...] = ()) -> FullPlan:
    def never(spec: object) -> FakeTui:
        raise AssertionError(f"spawned {spec}")

    home = os.path.join(sandbox, "home")
    folders = [os.path.join(sandbox, name) for name in ("one", "two")]
    for folder in (home, *folders):
        os.makedirs(folder, exist_ok=True)
    clock = FakeClock()
    coordinator = WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(never, clock),
        clock=clock,
        locks=FakeLocks(),
        help_reader=FakeHelpReader(version=version),
        binary_locator=FakeBinaryLocator({provider.value}),
    )
    request = Request(
        workspaces=tuple(WorkspaceSpec(f) for f in folders),
        providers=(provider,),
        strategy_modes={provider: mode},
        env={"HOME": home, "PATH": "/usr/bin"},
        flags=FeatureFlags(qwen_env=True),
        launch_args={provider: launch} if launch else {},
    )
    with coordinator:
        return coordinator.plan_full(request)


def _patched(plan: FullPlan, provider: Provider) -> bool:
    patches = plan.patches
    return any(p.target_provider == provider for p in patches.arg_patches) or any(
        p.target_provider == provider for p in patches.env_patches
    )


@pytest.mark.parametrize(("provider", "mode", "below", "floor"), CASES)
def test_below_the_floor_no_patch_is_offered_and_each_row_says_why(
    sandbox: str, provider: Provider, mode: str, below: str, floor: str
) -> None:
    plan = _plan(sandbox, provider, mode, below)
    assert not _patched(plan, provider)
    rows = plan.uncarried()
    assert [(r.status, r.code) for r in rows] == [(WorkspaceStatus.SOFT_FAILED, Code.OVERRIDE_VERSION_UNSUPPORTED)] * 2
    why = [d for d in plan.diagnostics if d.code is Code.OVERRIDE_VERSION_UNSUPPORTED]
    assert len(why) == 2 and all(below in d.message and floor in d.message for d in why)


@pytest.mark.parametrize(
    ("provider", "mode", "version"),
    [(provider, mode, version) for provider, mode, _, floor in CASES for version in (floor, None)],
)
def test_from_the_floor_or_for_an_unknown_version_the_patch_is_offered(
    sandbox: str, provider: Provider, mode: str, version: str | None
) -> None:
    plan = _plan(sandbox, provider, mode, version)
    assert _patched(plan, provider)
    assert plan.uncarried() == ()
    assert not [d for d in plan.diagnostics if d.code is Code.OVERRIDE_VERSION_UNSUPPORTED]


def test_below_the_floor_the_hosts_own_codex_values_are_given_back(sandbox: str) -> None:
    host = ("-c", 'model="o4"', "-c", 'projects={"/x"={trust_level="untrusted"}}')
    plan = _plan(sandbox, Provider.CODEX, "args", "0.124.0", host)
    assert plan.patches.launch_values[Provider.CODEX] == ('model="o4"', 'projects={"/x"={trust_level="untrusted"}}')


@pytest.mark.parametrize(
    ("version", "noted"), [("0.171.0", True), ("0.158.0", True), ("0.150.0", False), (None, False)]
)
def test_the_codex_plan_notes_embedded_mode_for_the_versions_that_leave_the_shared_server(
    sandbox: str, version: str | None, noted: bool
) -> None:
    plan = _plan(sandbox, Provider.CODEX, "args", version)
    assert _patched(plan, Provider.CODEX)
    found = [d for d in plan.diagnostics if d.code is OVERRIDE_EMBEDDED_MODE]
    assert bool(found) is noted
    assert not found or str(version) in found[0].message


def test_below_floor_is_no_verdict_without_a_version() -> None:
    assert below_floor(QWEN_FLOOR, None, Provider.QWEN, "Qwen Code") is None
    assert below_floor(QWEN_FLOOR, "garbage", Provider.QWEN, "Qwen Code") is None
    found = below_floor(QWEN_FLOOR, "0.10.1", Provider.QWEN, "Qwen Code", "w1")
    assert found is not None and (found.code, found.workspace_id) == (Code.OVERRIDE_VERSION_UNSUPPORTED, "w1")
    assert "QWEN_CODE_TRUSTED_FOLDERS_PATH" in found.message
