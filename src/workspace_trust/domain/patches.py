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
from collections.abc import Mapping

import attrs

from workspace_trust.domain.codes import ArgDialect, Provider
from workspace_trust.domain.results import Diagnostic

__all__ = ["ArgDialect", "EnvPatch", "LaunchArgPatch", "PatchFile", "PatchOwner", "TargetSurface"]


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
    #: Entries of the host's own value that the plan refused (they trust a
    #: folder no CLI may be left trusting): applying the patch to the host's
    #: arguments never merges them back in.
    refused_keys: tuple[str, ...] = ()


def _file_name(instance: PatchFile, _attribute: object, value: str) -> None:
    if not value or value in (".", "..") or "/" in value or "\\" in value or "\x00" in value:
        raise ValueError(f"a patch file's name must be a plain file name, not {value!r}")


@attrs.frozen(slots=True)
class PatchFile:
    """A file one launch needs, named by an environment variable of its patch.

    Planning never creates it (the plan stages write nothing). The host makes it
    right before the launch, in a new folder only its own user can enter, sets
    ``variable`` to its path, and removes it once the launched CLI has exited:
    ``workspace_trust.launch_files.launch_env`` does all of that."""

    #: The environment variable whose value is the file's path.
    variable: str
    #: The file's name inside its private folder.
    name: str = attrs.field(validator=_file_name)
    #: The file's exact contents (UTF-8).
    content: str


@attrs.frozen(slots=True)
class EnvPatch:
    """Environment variables for one launch of a provider (never persisted).

    ``files``: variables whose value is the path of a file the host creates
    for the launch (see :class:`PatchFile`); they are not in ``values``."""

    id: str
    target_provider: Provider
    values: tuple[tuple[str, str], ...]
    dedupe_key: str
    source_workspace_ids: tuple[str, ...]
    reason: str
    session_only: bool = True
    owner: PatchOwner = PatchOwner.WORKSPACE_TRUST
    files: tuple[PatchFile, ...] = ()


@attrs.frozen(slots=True)
class PatchPlan:
    """Launch patches a strategy returns instead of (or before) touching state."""

    arg_patches: tuple[LaunchArgPatch, ...] = ()
    env_patches: tuple[EnvPatch, ...] = ()
    #: Per provider, the exact values its own per-launch config option takes
    #: (the host's values merged in); see each provider's ``plan_fields``.
    launch_values: Mapping[Provider, tuple[str, ...]] = attrs.field(factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()

    def carries(self, provider: Provider, workspace_id: str) -> bool:
        """Whether a patch of ``provider`` is made for the folder."""
        patches: tuple[LaunchArgPatch | EnvPatch, ...] = (*self.arg_patches, *self.env_patches)
        return any(p.target_provider == provider and workspace_id in p.source_workspace_ids for p in patches)

    def trouble(self, provider: Provider, workspace_id: str | None = None) -> Diagnostic | None:
        """The reason the plan gives for ``provider`` and the folder: the
        folder's own (it was left out), else one that names no folder (a patch
        that could not be built); never another folder's."""
        mine = [d for d in self.diagnostics if d.provider == provider]
        own = next((d for d in mine if d.workspace_id is not None and d.workspace_id == workspace_id), None)
        return own or next((d for d in mine if d.workspace_id is None), None)
