"""The public surface is exactly what was meant."""

from __future__ import annotations

import workspace_trust

EXPECTED = {
    "FailureClassification",
    "RetryDecision",
    "RetryRule",
    "classify_failure",
    "retry_allowed",
    "DiagnosticsBudget",
    "DiagnosticsManifest",
    "PathPolicy",
    "manifest_to_json",
    "ApplyResult",
    "ArgDialect",
    "ArgsOnlyPlan",
    "Code",
    "CodexConfigSentinel",
    "Diagnostic",
    "EngineTiming",
    "EnvPatch",
    "PatchFile",
    "launch_env",
    "ExecutionContext",
    "ExecutionPorts",
    "ExecutionResult",
    "ExecutionStatus",
    "FailureAction",
    "FeatureFlags",
    "FullPlan",
    "HostOs",
    "Key",
    "LaunchArgPatch",
    "PatchOwner",
    "PatchPlan",
    "PlannedTask",
    "ProbeResult",
    "ProgressEvent",
    "ProgressStage",
    "Provider",
    "RequestMode",
    "StrategyRegistry",
    "TargetSurface",
    "TrustPolicy",
    "TrustState",
    "TrustStrategy",
    "Workspace",
    "WorkspaceResult",
    "WorkspaceSource",
    "WorkspaceSpec",
    "WorkspaceStatus",
    "WorkspaceTrustCoordinator",
    "WorkspaceTrustError",
    "WorkspaceTrustRequest",
    "__version__",
    "apply_patches",
    "build_trust_override",
    "default_registry",
    "merge_config_overrides",
    "parse_flags",
    "redact",
    "redact_tail",
    "Redacted",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(workspace_trust.__all__) == EXPECTED
    assert len(workspace_trust.__all__) == len(EXPECTED)


def test_every_public_name_resolves() -> None:
    for name in workspace_trust.__all__:
        assert getattr(workspace_trust, name) is not None


def test_testing_module_exports_the_fakes() -> None:
    from workspace_trust import testing

    assert {
        "FakeClock",
        "FakeLocks",
        "FakePtySession",
        "FakePtySpawner",
        "FakeScreen",
        "FakeStateProbe",
        "FakeTui",
    } <= set(testing.__all__)
    assert callable(testing.check_pty_port)


def test_keys_are_only_the_allowlisted_ones() -> None:
    assert {k.value for k in workspace_trust.Key} == {"up", "down", "enter", "escape"}
