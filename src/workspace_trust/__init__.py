"""workspace-trust: prepare exactly the selected folders for headless AI coding CLIs.

The public surface is what this module exports (``__all__``); everything else is
internal and may change. ``workspace_trust.testing`` is public too: fakes for
every port, for hosts testing their own integration; and so is
``workspace_trust.plugin``: what a third party's provider plug-in is written
against.
"""

from __future__ import annotations

import logging as _logging
from typing import TYPE_CHECKING

# The provider registry (not the providers themselves, which load on first
# use): it lets ``Code(...)`` and ``Provider(...)`` find a provider's own
# members, however the caller reached them.
import workspace_trust.providers  # noqa: F401
from workspace_trust._lazy import lazy_exports
from workspace_trust._version import __version__ as __version__

# A library configures no logging: hosts (and the command line) add handlers.
_logging.getLogger("workspace_trust").addHandler(_logging.NullHandler())

if TYPE_CHECKING:
    from workspace_trust.classifier import FailureClassification as FailureClassification
    from workspace_trust.classifier import RetryDecision as RetryDecision
    from workspace_trust.classifier import RetryRule as RetryRule
    from workspace_trust.classifier import classify_failure as classify_failure
    from workspace_trust.classifier import retry_allowed as retry_allowed
    from workspace_trust.coordinator import WorkspaceTrustCoordinator as WorkspaceTrustCoordinator
    from workspace_trust.diagnostics import DiagnosticsBudget as DiagnosticsBudget
    from workspace_trust.diagnostics import DiagnosticsManifest as DiagnosticsManifest
    from workspace_trust.diagnostics import PathPolicy as PathPolicy
    from workspace_trust.documents import manifest_to_json as manifest_to_json
    from workspace_trust.domain.codes import Code as Code
    from workspace_trust.domain.codes import ExecutionStatus as ExecutionStatus
    from workspace_trust.domain.codes import Key as Key
    from workspace_trust.domain.codes import LaunchMode as LaunchMode
    from workspace_trust.domain.codes import Provider as Provider
    from workspace_trust.domain.codes import TrustState as TrustState
    from workspace_trust.domain.codes import WorkspaceStatus as WorkspaceStatus
    from workspace_trust.domain.patches import ArgDialect as ArgDialect
    from workspace_trust.domain.patches import EnvPatch as EnvPatch
    from workspace_trust.domain.patches import LaunchArgPatch as LaunchArgPatch
    from workspace_trust.domain.patches import PatchFile as PatchFile
    from workspace_trust.domain.patches import PatchOwner as PatchOwner
    from workspace_trust.domain.patches import PatchPlan as PatchPlan
    from workspace_trust.domain.patches import TargetSurface as TargetSurface
    from workspace_trust.domain.paths import HostOs as HostOs
    from workspace_trust.domain.paths import Workspace as Workspace
    from workspace_trust.domain.paths import WorkspaceSource as WorkspaceSource
    from workspace_trust.domain.results import Diagnostic as Diagnostic
    from workspace_trust.domain.results import ProbeResult as ProbeResult
    from workspace_trust.domain.results import WorkspaceResult as WorkspaceResult
    from workspace_trust.domain.text import Redacted as Redacted
    from workspace_trust.engine.timing import EngineTiming as EngineTiming
    from workspace_trust.errors import WorkspaceTrustError as WorkspaceTrustError
    from workspace_trust.exitcodes import ExitCode as ExitCode
    from workspace_trust.fixtures import Fixture as Fixture
    from workspace_trust.fixtures import ReplayFrame as ReplayFrame
    from workspace_trust.fixtures import load_fixture as load_fixture
    from workspace_trust.fixtures import replay_engine as replay_engine
    from workspace_trust.flags import FeatureFlags as FeatureFlags
    from workspace_trust.flags import parse_flags as parse_flags
    from workspace_trust.launch_files import launch_env as launch_env
    from workspace_trust.patching import ApplyResult as ApplyResult
    from workspace_trust.patching import apply_env_patches as apply_env_patches
    from workspace_trust.patching import apply_patches as apply_patches
    from workspace_trust.ports import ExecutionPorts as ExecutionPorts
    from workspace_trust.providers import PluginFailure as PluginFailure
    from workspace_trust.providers import plugin_failures as plugin_failures
    from workspace_trust.providers.codex.overrides import build_trust_override as build_trust_override
    from workspace_trust.providers.codex.patching import merge_config_overrides as merge_config_overrides
    from workspace_trust.providers.codex.probe import CodexConfigSentinel as CodexConfigSentinel
    from workspace_trust.redaction import redact as redact
    from workspace_trust.redaction import redact_tail as redact_tail
    from workspace_trust.registry import StrategyRegistry as StrategyRegistry
    from workspace_trust.registry import default_registry as default_registry
    from workspace_trust.requests import ArgsOnlyPlan as ArgsOnlyPlan
    from workspace_trust.requests import ExecutionResult as ExecutionResult
    from workspace_trust.requests import FailureAction as FailureAction
    from workspace_trust.requests import FullPlan as FullPlan
    from workspace_trust.requests import PlannedTask as PlannedTask
    from workspace_trust.requests import RequestMode as RequestMode
    from workspace_trust.requests import TrustPolicy as TrustPolicy
    from workspace_trust.requests import WorkspaceSpec as WorkspaceSpec
    from workspace_trust.requests import WorkspaceTrustRequest as WorkspaceTrustRequest
    from workspace_trust.strategy import ExecutionContext as ExecutionContext
    from workspace_trust.strategy import ProgressEvent as ProgressEvent
    from workspace_trust.strategy import ProgressStage as ProgressStage
    from workspace_trust.strategy import TrustStrategy as TrustStrategy

#: Where each export lives. Nothing is imported until it is first used, so
#: ``import workspace_trust`` stays cheap and works where the PTY modules
#: (``fcntl``, ``termios``, ``pty``) cannot load: the pure functions
#: (``plan_args_only``, ``classify_failure``, ``apply_patches``) never need them.
_EXPORTS: dict[str, str] = {
    "FailureClassification": "workspace_trust.classifier",
    "RetryDecision": "workspace_trust.classifier",
    "RetryRule": "workspace_trust.classifier",
    "classify_failure": "workspace_trust.classifier",
    "retry_allowed": "workspace_trust.classifier",
    "ArgsOnlyPlan": "workspace_trust.requests",
    "ExecutionResult": "workspace_trust.requests",
    "FailureAction": "workspace_trust.requests",
    "FullPlan": "workspace_trust.requests",
    "PlannedTask": "workspace_trust.requests",
    "RequestMode": "workspace_trust.requests",
    "TrustPolicy": "workspace_trust.requests",
    "WorkspaceSpec": "workspace_trust.requests",
    "WorkspaceTrustCoordinator": "workspace_trust.coordinator",
    "WorkspaceTrustRequest": "workspace_trust.requests",
    "DiagnosticsBudget": "workspace_trust.diagnostics",
    "DiagnosticsManifest": "workspace_trust.diagnostics",
    "PathPolicy": "workspace_trust.diagnostics",
    "manifest_to_json": "workspace_trust.documents",
    "Code": "workspace_trust.domain.codes",
    "ExecutionStatus": "workspace_trust.domain.codes",
    "Key": "workspace_trust.domain.codes",
    "LaunchMode": "workspace_trust.domain.codes",
    "Provider": "workspace_trust.domain.codes",
    "TrustState": "workspace_trust.domain.codes",
    "WorkspaceStatus": "workspace_trust.domain.codes",
    "ArgDialect": "workspace_trust.domain.patches",
    "EnvPatch": "workspace_trust.domain.patches",
    "LaunchArgPatch": "workspace_trust.domain.patches",
    "PatchFile": "workspace_trust.domain.patches",
    "PatchOwner": "workspace_trust.domain.patches",
    "TargetSurface": "workspace_trust.domain.patches",
    "HostOs": "workspace_trust.domain.paths",
    "Workspace": "workspace_trust.domain.paths",
    "WorkspaceSource": "workspace_trust.domain.paths",
    "Diagnostic": "workspace_trust.domain.results",
    "ProbeResult": "workspace_trust.domain.results",
    "WorkspaceResult": "workspace_trust.domain.results",
    "Redacted": "workspace_trust.domain.text",
    "EngineTiming": "workspace_trust.engine.timing",
    "WorkspaceTrustError": "workspace_trust.errors",
    "ExitCode": "workspace_trust.exitcodes",
    "Fixture": "workspace_trust.fixtures",
    "ReplayFrame": "workspace_trust.fixtures",
    "load_fixture": "workspace_trust.fixtures",
    "replay_engine": "workspace_trust.fixtures",
    "FeatureFlags": "workspace_trust.flags",
    "parse_flags": "workspace_trust.flags",
    "launch_env": "workspace_trust.launch_files",
    "ApplyResult": "workspace_trust.patching",
    "apply_env_patches": "workspace_trust.patching",
    "apply_patches": "workspace_trust.patching",
    "ExecutionPorts": "workspace_trust.ports",
    "PluginFailure": "workspace_trust.providers",
    "plugin_failures": "workspace_trust.providers",
    "build_trust_override": "workspace_trust.providers.codex.overrides",
    "merge_config_overrides": "workspace_trust.providers.codex.patching",
    "CodexConfigSentinel": "workspace_trust.providers.codex.probe",
    "redact": "workspace_trust.redaction",
    "redact_tail": "workspace_trust.redaction",
    "StrategyRegistry": "workspace_trust.registry",
    "default_registry": "workspace_trust.registry",
    "ExecutionContext": "workspace_trust.strategy",
    "PatchPlan": "workspace_trust.domain.patches",
    "ProgressEvent": "workspace_trust.strategy",
    "ProgressStage": "workspace_trust.strategy",
    "TrustStrategy": "workspace_trust.strategy",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


__all__ = [
    "ApplyResult",
    "ArgDialect",
    "ArgsOnlyPlan",
    "Code",
    "CodexConfigSentinel",
    "Diagnostic",
    "DiagnosticsBudget",
    "DiagnosticsManifest",
    "EngineTiming",
    "EnvPatch",
    "ExecutionContext",
    "ExecutionPorts",
    "ExecutionResult",
    "ExecutionStatus",
    "ExitCode",
    "FailureAction",
    "FailureClassification",
    "FeatureFlags",
    "Fixture",
    "FullPlan",
    "HostOs",
    "Key",
    "LaunchArgPatch",
    "LaunchMode",
    "PatchFile",
    "PatchOwner",
    "PatchPlan",
    "PathPolicy",
    "PlannedTask",
    "PluginFailure",
    "ProbeResult",
    "ProgressEvent",
    "ProgressStage",
    "Provider",
    "Redacted",
    "ReplayFrame",
    "RequestMode",
    "RetryDecision",
    "RetryRule",
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
    "apply_env_patches",
    "apply_patches",
    "build_trust_override",
    "classify_failure",
    "default_registry",
    "launch_env",
    "load_fixture",
    "manifest_to_json",
    "merge_config_overrides",
    "parse_flags",
    "plugin_failures",
    "redact",
    "redact_tail",
    "replay_engine",
    "retry_allowed",
]
