"""The public surface is exactly what was meant: ``workspace_trust`` (hosts),
``workspace_trust.plugin`` (provider plug-ins) and ``workspace_trust.testing``
(fakes), and each public name has one home."""

from __future__ import annotations

import importlib
import subprocess
import sys
from types import ModuleType

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
    "LaunchMode",
    "PatchOwner",
    "PatchPlan",
    "PlannedTask",
    "PluginFailure",
    "plugin_failures",
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
    "apply_env_patches",
    "ExitCode",
    "Fixture",
    "ReplayFrame",
    "load_fixture",
    "replay_engine",
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


#: The plug-in API, each name with its home: the public module a reader looks
#: it up in. A name at home in ``workspace_trust`` is re-exported by
#: ``workspace_trust.plugin`` (the same object), so a plug-in imports from one place.
PLUGIN_HOMES = {
    # The spec, and what it is built from.
    "ProviderSpec": "workspace_trust.plugin",
    "StrategyMode": "workspace_trust.plugin",
    "FlagSpec": "workspace_trust.plugin",
    "CliOption": "workspace_trust.plugin",
    "FolderArg": "workspace_trust.plugin",
    "ArgDialectRule": "workspace_trust.plugin",
    "StateVariable": "workspace_trust.plugin",
    "TrustFailurePattern": "workspace_trust.plugin",
    "words": "workspace_trust.plugin",
    # Dialog rules.
    "RuleTable": "workspace_trust.plugin",
    "DialogRule": "workspace_trust.plugin",
    "Phase": "workspace_trust.plugin",
    "Outcome": "workspace_trust.plugin",
    "OptionLabel": "workspace_trust.plugin",
    "RetryPolicy": "workspace_trust.plugin",
    # The PTY strategy and what a provider's hooks take and return.
    "PtyProvider": "workspace_trust.plugin",
    "PtyTrustStrategy": "workspace_trust.plugin",
    "PtyCommand": "workspace_trust.plugin",
    "CommandRefused": "workspace_trust.plugin",
    "SessionEnd": "workspace_trust.plugin",
    "BinaryLocator": "workspace_trust.plugin",
    "BinaryMissingError": "workspace_trust.plugin",
    "resolve_cli_binary": "workspace_trust.plugin",
    "keep_env": "workspace_trust.plugin",
    "COMMON_ENV": "workspace_trust.plugin",
    "NO_SELF_UPDATE_ENV": "workspace_trust.plugin",
    "env_home": "workspace_trust.plugin",
    # The state file.
    "StateFiles": "workspace_trust.plugin",
    "StateProbe": "workspace_trust.plugin",
    "FileStateProbe": "workspace_trust.plugin",
    "TrustSource": "workspace_trust.plugin",
    # Another strategy than the PTY one.
    "base_result": "workspace_trust.plugin",
    "PatchStrategy": "workspace_trust.plugin",
    "NotGatedStrategy": "workspace_trust.plugin",
    "HelpSays": "workspace_trust.plugin",
    # A host's names too.
    "Provider": "workspace_trust",
    "Code": "workspace_trust",
    "Key": "workspace_trust",
    "LaunchMode": "workspace_trust",
    "TrustState": "workspace_trust",
    "WorkspaceStatus": "workspace_trust",
    "ProbeResult": "workspace_trust",
    "Diagnostic": "workspace_trust",
    "Workspace": "workspace_trust",
    "WorkspaceResult": "workspace_trust",
    "TrustStrategy": "workspace_trust",
    "ExecutionContext": "workspace_trust",
    "PatchPlan": "workspace_trust",
    "EnvPatch": "workspace_trust",
    "LaunchArgPatch": "workspace_trust",
    "PatchFile": "workspace_trust",
    "ArgDialect": "workspace_trust",
    "TargetSurface": "workspace_trust",
}

PUBLIC_MODULES = ("workspace_trust", "workspace_trust.plugin", "workspace_trust.testing")


def public(module: ModuleType) -> set[str]:
    return set(getattr(module, "__all__", ()))


def test_the_plugin_module_exports_exactly_the_plugin_api() -> None:
    from workspace_trust import plugin

    assert set(plugin.__all__) == set(PLUGIN_HOMES)
    assert len(plugin.__all__) == len(PLUGIN_HOMES)
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None
    assert not hasattr(plugin, "all_specs")


def test_each_public_name_has_one_home() -> None:
    """A name exported by two public modules is one object, at home in the
    module listed for it; a name at home in a module is exported by it."""
    modules = {name: importlib.import_module(name) for name in PUBLIC_MODULES}
    exporters: dict[str, list[str]] = {}
    for module_name, module in modules.items():
        for name in public(module):
            exporters.setdefault(name, []).append(module_name)
    shared = {name: where for name, where in exporters.items() if len(where) > 1}
    for name, where in shared.items():
        objects = {id(getattr(modules[m], name)) for m in where}
        assert len(objects) == 1, f"{name} is a different object in {where}"
        assert PLUGIN_HOMES.get(name) in where, f"{name} is exported by {where}; which is its home?"
    for name, home in PLUGIN_HOMES.items():
        assert name in public(modules[home]), f"{name}: not exported by its home {home}"
        if home != "workspace_trust.plugin":
            # Re-exported, never redefined.
            assert name in shared


def test_the_plugin_pty_base_is_the_strategy_s_base() -> None:
    """Not a copy: the PTY strategy accepts a plug-in's provider, and a
    plug-in's ``rules`` falls back to its spec like a built-in's."""
    from workspace_trust import plugin
    from workspace_trust.providers import pty_strategy

    assert issubclass(plugin.PtyProvider, pty_strategy.PtyProvider)
    assert plugin.PtyProvider.rules is pty_strategy.PtyProvider.rules


def test_importing_the_plugin_api_for_a_spec_loads_no_strategy() -> None:
    """A plug-in's spec module is loaded by every command: what it imports
    from ``workspace_trust.plugin`` for the spec loads no PTY stack."""
    code = (
        "import sys\n"
        "from workspace_trust.plugin import ProviderSpec, StrategyMode, FlagSpec, ProbeResult, env_home\n"
        "heavy = ('workspace_trust.providers.pty_strategy', 'workspace_trust.strategy', 'workspace_trust.session',"
        " 'workspace_trust.engine.rules', 'ptyprocess', 'pyte')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
