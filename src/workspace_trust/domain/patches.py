"""Typed launch patches: what a host must add to a launch, and where.

A patch never travels as a bare string list: it says which provider and which
launch surface it targets, in which argument dialect, who owns it, and how to
recognise a duplicate. That is what keeps one CLI's ``-c`` out of another's
argv (where ``-c`` may mean something else entirely).

``ArgDialect`` lives in ``domain.codes`` (its members are defined by the
providers whose patches use them) and is re-exported here.
"""

from __future__ import annotations

import enum

import attrs

from workspace_trust.domain.codes import ArgDialect, Provider

__all__ = ["ArgDialect", "EnvPatch", "LaunchArgPatch", "PatchOwner", "TargetSurface"]


class TargetSurface(enum.Enum):
    #: The lead provider's own CLI arguments.
    PRIMARY_PROVIDER_ARGS = "primary_provider_args"
    #: Arguments a lead runtime passes on for a member of another provider.
    CROSS_PROVIDER_MEMBER_ARGS = "cross_provider_member_args"
    #: A provider-facts validation run of the provider binary.
    PROVIDER_FACTS_PROBE = "provider_facts_probe"
    #: A default-model resolution run, which can call the provider before launch args exist.
    DEFAULT_MODEL_PROBE = "default_model_probe"


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
