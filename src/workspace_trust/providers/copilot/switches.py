"""GitHub Copilot CLI's launch switches as typed patches: the dialect, where
it goes, and how it is added to a host's arguments (pure; the spec reads it)."""

from __future__ import annotations

from workspace_trust.domain.codes import ArgDialect, Code, Provider
from workspace_trust.domain.patches import LaunchArgPatch, TargetSurface
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.copilot import COPILOT

TRUST_FOLDER = "--trust-folder"

#: A switch of Copilot's own argv that takes no value.
COPILOT_SWITCH = ArgDialect.define("copilot_switch", "COPILOT_SWITCH")
#: A Copilot switch patch that could not go where it was applied.
SWITCH_NOT_APPLIED = Code.define("copilot_switch_not_applied", "COPILOT_SWITCH_NOT_APPLIED")

#: Copilot's flags whose next argument is their value (1.0.102 ``--help``):
#: a switch appended after one of them would be its value.
VALUE_FLAGS = frozenset(
    {"-p", "--prompt", "-i", "--interactive", "-C", "--add-dir", "--model", "--resume", "--log-dir", "--log-level"}
)


#: Arguments that make the session work in a folder of its own choosing (a
#: resumed session's, a worktree's): 1.0.102's ``--help`` names "the
#: --resume/--worktree/-C directory" as the session working directory.
WORKING_FOLDER_ELSEWHERE = frozenset({"-r", "--resume", "--continue", "--worktree"})


def apply_switch(args: list[str], patch: LaunchArgPatch, namespace: str) -> list[str] | Diagnostic:
    """The host's Copilot options with the patch's switches added once."""
    if args and args[-1] in VALUE_FLAGS:
        return Diagnostic(
            SWITCH_NOT_APPLIED,
            f"the host's Copilot arguments end with {args[-1]}, which takes a value; {patch.values[0]} not added",
            COPILOT,
        )
    return [*args, *(value for value in patch.values if value not in args)]


def refuse(patch: LaunchArgPatch, argv_provider: Provider, surface: TargetSurface) -> Diagnostic:
    return Diagnostic(
        SWITCH_NOT_APPLIED,
        f"a Copilot {patch.values[0]} goes into Copilot's own launch arguments only, "
        f"not {argv_provider.value} {surface.value}; not applied",
        COPILOT,
    )
