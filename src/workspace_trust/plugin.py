"""What a provider plug-in is written against: the public API of a third
party's CLI (docs/providers.md, "Writing a provider plug-in").

A plug-in is a package that declares a ``workspace_trust.providers`` entry
point naming a :class:`ProviderSpec`; everything it builds that spec from is
here, and nothing else is promised: the modules these names live in are
internal and may move. ``workspace_trust`` itself holds the names a host
uses too (``Provider``, ``Code``, ``ProbeResult``, ...); they are re-exported
here, the same objects, so that a plug-in can import from one place.
``workspace_trust.testing`` holds the fakes a plug-in's tests drive it with.

Nothing is imported until it is first used, as in ``workspace_trust``: a
plug-in's spec module is loaded by every command, ``status`` included, and
``from workspace_trust.plugin import ProviderSpec`` loads no PTY stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workspace_trust._lazy import lazy_exports

if TYPE_CHECKING:
    from workspace_trust.domain.codes import ArgDialect as ArgDialect
    from workspace_trust.domain.codes import Code as Code
    from workspace_trust.domain.codes import Key as Key
    from workspace_trust.domain.codes import LaunchMode as LaunchMode
    from workspace_trust.domain.codes import Provider as Provider
    from workspace_trust.domain.codes import TrustState as TrustState
    from workspace_trust.domain.codes import WorkspaceStatus as WorkspaceStatus
    from workspace_trust.domain.outcomes import base_result as base_result
    from workspace_trust.domain.patches import EnvPatch as EnvPatch
    from workspace_trust.domain.patches import LaunchArgPatch as LaunchArgPatch
    from workspace_trust.domain.patches import PatchFile as PatchFile
    from workspace_trust.domain.patches import PatchPlan as PatchPlan
    from workspace_trust.domain.patches import TargetSurface as TargetSurface
    from workspace_trust.domain.paths import Workspace as Workspace
    from workspace_trust.domain.paths import env_home as env_home
    from workspace_trust.domain.results import Diagnostic as Diagnostic
    from workspace_trust.domain.results import ProbeResult as ProbeResult
    from workspace_trust.domain.results import TrustSource as TrustSource
    from workspace_trust.domain.results import WorkspaceResult as WorkspaceResult
    from workspace_trust.engine.rules import DialogRule as DialogRule
    from workspace_trust.engine.rules import OptionLabel as OptionLabel
    from workspace_trust.engine.rules import Outcome as Outcome
    from workspace_trust.engine.rules import Phase as Phase
    from workspace_trust.engine.rules import RetryPolicy as RetryPolicy
    from workspace_trust.engine.rules import RuleTable as RuleTable
    from workspace_trust.errors import BinaryMissingError as BinaryMissingError
    from workspace_trust.failure_patterns import TrustFailurePattern as TrustFailurePattern
    from workspace_trust.failure_patterns import words as words
    from workspace_trust.ports import BinaryLocator as BinaryLocator
    from workspace_trust.ports import StateFiles as StateFiles
    from workspace_trust.ports import StateProbe as StateProbe
    from workspace_trust.providers.binaries import COMMON_ENV as COMMON_ENV
    from workspace_trust.providers.binaries import NO_SELF_UPDATE_ENV as NO_SELF_UPDATE_ENV
    from workspace_trust.providers.binaries import keep_env as keep_env
    from workspace_trust.providers.binaries import resolve_cli_binary as resolve_cli_binary
    from workspace_trust.providers.launch_folders import FolderArg as FolderArg
    from workspace_trust.providers.patch_strategy import PatchStrategy as PatchStrategy
    from workspace_trust.providers.plugin_pty import PtyProvider as PtyProvider
    from workspace_trust.providers.prompt_mode import HelpSays as HelpSays
    from workspace_trust.providers.prompt_mode import NotGatedStrategy as NotGatedStrategy
    from workspace_trust.providers.pty_provider import CommandRefused as CommandRefused
    from workspace_trust.providers.pty_provider import PtyCommand as PtyCommand
    from workspace_trust.providers.pty_strategy import PtyTrustStrategy as PtyTrustStrategy
    from workspace_trust.providers.spec import ArgDialectRule as ArgDialectRule
    from workspace_trust.providers.spec import CliOption as CliOption
    from workspace_trust.providers.spec import FlagSpec as FlagSpec
    from workspace_trust.providers.spec import ProviderSpec as ProviderSpec
    from workspace_trust.providers.spec import StrategyMode as StrategyMode
    from workspace_trust.providers.state_probe import FileStateProbe as FileStateProbe
    from workspace_trust.providers.state_vars import StateVariable as StateVariable
    from workspace_trust.session import SessionEnd as SessionEnd
    from workspace_trust.strategy import ExecutionContext as ExecutionContext
    from workspace_trust.strategy import TrustStrategy as TrustStrategy

#: Where each export lives (loaded on first use).
_EXPORTS: dict[str, str] = {
    "ArgDialect": "workspace_trust.domain.codes",
    "Code": "workspace_trust.domain.codes",
    "Key": "workspace_trust.domain.codes",
    "LaunchMode": "workspace_trust.domain.codes",
    "Provider": "workspace_trust.domain.codes",
    "TrustState": "workspace_trust.domain.codes",
    "WorkspaceStatus": "workspace_trust.domain.codes",
    "base_result": "workspace_trust.domain.outcomes",
    "PatchPlan": "workspace_trust.domain.patches",
    "EnvPatch": "workspace_trust.domain.patches",
    "LaunchArgPatch": "workspace_trust.domain.patches",
    "PatchFile": "workspace_trust.domain.patches",
    "TargetSurface": "workspace_trust.domain.patches",
    "Workspace": "workspace_trust.domain.paths",
    "env_home": "workspace_trust.domain.paths",
    "Diagnostic": "workspace_trust.domain.results",
    "ProbeResult": "workspace_trust.domain.results",
    "TrustSource": "workspace_trust.domain.results",
    "WorkspaceResult": "workspace_trust.domain.results",
    "DialogRule": "workspace_trust.engine.rules",
    "OptionLabel": "workspace_trust.engine.rules",
    "Outcome": "workspace_trust.engine.rules",
    "Phase": "workspace_trust.engine.rules",
    "RetryPolicy": "workspace_trust.engine.rules",
    "RuleTable": "workspace_trust.engine.rules",
    "BinaryMissingError": "workspace_trust.errors",
    "TrustFailurePattern": "workspace_trust.failure_patterns",
    "words": "workspace_trust.failure_patterns",
    "BinaryLocator": "workspace_trust.ports",
    "StateFiles": "workspace_trust.ports",
    "StateProbe": "workspace_trust.ports",
    "COMMON_ENV": "workspace_trust.providers.binaries",
    "NO_SELF_UPDATE_ENV": "workspace_trust.providers.binaries",
    "keep_env": "workspace_trust.providers.binaries",
    "resolve_cli_binary": "workspace_trust.providers.binaries",
    "PtyProvider": "workspace_trust.providers.plugin_pty",
    "FolderArg": "workspace_trust.providers.launch_folders",
    "PatchStrategy": "workspace_trust.providers.patch_strategy",
    "CommandRefused": "workspace_trust.providers.pty_provider",
    "PtyCommand": "workspace_trust.providers.pty_provider",
    "PtyTrustStrategy": "workspace_trust.providers.pty_strategy",
    "HelpSays": "workspace_trust.providers.prompt_mode",
    "NotGatedStrategy": "workspace_trust.providers.prompt_mode",
    "ArgDialectRule": "workspace_trust.providers.spec",
    "CliOption": "workspace_trust.providers.spec",
    "FlagSpec": "workspace_trust.providers.spec",
    "ProviderSpec": "workspace_trust.providers.spec",
    "StrategyMode": "workspace_trust.providers.spec",
    "FileStateProbe": "workspace_trust.providers.state_probe",
    "StateVariable": "workspace_trust.providers.state_vars",
    "SessionEnd": "workspace_trust.session",
    "ExecutionContext": "workspace_trust.strategy",
    "TrustStrategy": "workspace_trust.strategy",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


__all__ = [
    "COMMON_ENV",
    "NO_SELF_UPDATE_ENV",
    "ArgDialect",
    "ArgDialectRule",
    "BinaryLocator",
    "BinaryMissingError",
    "CliOption",
    "Code",
    "CommandRefused",
    "Diagnostic",
    "DialogRule",
    "EnvPatch",
    "ExecutionContext",
    "FileStateProbe",
    "FlagSpec",
    "FolderArg",
    "HelpSays",
    "Key",
    "LaunchArgPatch",
    "LaunchMode",
    "NotGatedStrategy",
    "OptionLabel",
    "Outcome",
    "PatchFile",
    "PatchPlan",
    "PatchStrategy",
    "Phase",
    "ProbeResult",
    "Provider",
    "ProviderSpec",
    "PtyCommand",
    "PtyProvider",
    "PtyTrustStrategy",
    "RetryPolicy",
    "RuleTable",
    "SessionEnd",
    "StateFiles",
    "StateProbe",
    "StateVariable",
    "StrategyMode",
    "TargetSurface",
    "TrustFailurePattern",
    "TrustSource",
    "TrustState",
    "TrustStrategy",
    "Workspace",
    "WorkspaceResult",
    "WorkspaceStatus",
    "base_result",
    "env_home",
    "keep_env",
    "resolve_cli_binary",
    "words",
]
