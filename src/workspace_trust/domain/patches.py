"""Typed launch patches: what a host must add to a launch, and where.

A patch never travels as a bare string list: it says which provider and which
launch surface it targets, in which argument dialect, who owns it, and how to
recognise a duplicate. That is what keeps a Codex ``-c`` out of Claude's argv
(where ``-c`` means ``--continue``).
"""

from __future__ import annotations

import enum

import attrs

from workspace_trust.domain.codes import Provider


class TargetSurface(enum.Enum):
    #: The lead provider's own CLI arguments.
    PRIMARY_PROVIDER_ARGS = "primary_provider_args"
    #: Arguments a lead runtime passes on for a member of another provider.
    CROSS_PROVIDER_MEMBER_ARGS = "cross_provider_member_args"
    #: A provider-facts validation run of the provider binary.
    PROVIDER_FACTS_PROBE = "provider_facts_probe"
    #: A default-model resolution run, which can call the provider before launch args exist.
    DEFAULT_MODEL_PROBE = "default_model_probe"


class ArgDialect(enum.Enum):
    #: Values for a runtime's Codex ``configOverrides`` list; it adds ``-c`` itself.
    CODEX_NATIVE_CONFIG_OVERRIDE = "codex_native_config_override"
    #: App-owned settings JSON merged into a Claude/orchestrator ``--settings`` argument.
    CLAUDE_CODEX_RUNTIME_SETTINGS = "claude_codex_runtime_settings"
    #: ``-c VALUE`` straight into Codex's own argv.
    CODEX_DIRECT_CLI_CONFIG = "codex_direct_cli_config"


class PatchOwner(enum.Enum):
    WORKSPACE_TRUST = "workspace_trust"


@attrs.frozen(slots=True)
class LaunchArgPatch:
    id: str
    target_provider: Provider
    target_surface: TargetSurface
    dialect: ArgDialect
    values: tuple[str, ...]
    dedupe_key: str
    source_workspace_ids: tuple[str, ...]
    reason: str
    owner: PatchOwner = PatchOwner.WORKSPACE_TRUST


@attrs.frozen(slots=True)
class EnvPatch:
    """Environment variables for one launch of a provider (never persisted)."""

    id: str
    target_provider: Provider
    values: tuple[tuple[str, str], ...]
    dedupe_key: str
    source_workspace_ids: tuple[str, ...]
    reason: str
    session_only: bool = True
    owner: PatchOwner = PatchOwner.WORKSPACE_TRUST
