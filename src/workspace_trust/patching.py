"""Applying typed launch patches to a host's arguments. Pure: args in, new args out.

Rules:

* Nothing is mutated, and no user-provided argument is removed.
* Applying the same patches twice gives the same arguments as applying them once.
* Each dialect says where it may be applied (a surface and the CLI whose argv
  it is); a patch anywhere else gets the dialect's refusal diagnostic instead
  of a best-effort append. The dialects come from the provider specs
  (``ProviderSpec.arg_dialects``); nothing here names a CLI.
* Options go before a ``--`` end-of-options marker; what follows it (a prompt,
  say) is never read or touched.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.patches import LaunchArgPatch, TargetSurface
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers import all_specs, spec_for

#: Default namespace for app-owned settings inside ``--settings`` JSON.
DEFAULT_SETTINGS_NAMESPACE = "workspace_trust"


@attrs.frozen(slots=True)
class ApplyResult:
    args: tuple[str, ...]
    applied: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


def apply_patches(
    args: Sequence[str],
    patches: Sequence[LaunchArgPatch],
    *,
    argv_provider: Provider,
    surface: TargetSurface,
    settings_namespace: str = DEFAULT_SETTINGS_NAMESPACE,
) -> ApplyResult:
    """Apply the patches meant for ``surface`` to the argv of ``argv_provider``."""
    rules = {rule.dialect: rule for spec in all_specs() for rule in spec.arg_dialects}
    value_flags = spec_for(argv_provider).value_flags
    out = list(args)
    applied: list[str] = []
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    for patch in patches:
        if patch.target_surface is not surface or patch.dedupe_key in seen:
            continue
        seen.add(patch.dedupe_key)
        rule = rules.get(patch.dialect)
        if rule is None:
            diagnostics.append(
                Diagnostic(
                    Code.PATCH_DIALECT_UNKNOWN,
                    f"no registered provider knows the {patch.dialect.value} dialect; not applied",
                    patch.target_provider,
                )
            )
            continue
        if (surface, argv_provider) not in rule.allowed:
            diagnostics.append(rule.refuse(patch, argv_provider, surface))
            continue
        options, rest = _split_at_end_of_options(out, value_flags)
        result = rule.apply(options, patch, settings_namespace)
        if isinstance(result, Diagnostic):
            diagnostics.append(result)
            continue
        out = [*result, *rest]
        applied.append(patch.id)
    return ApplyResult(args=tuple(out), applied=tuple(applied), diagnostics=tuple(diagnostics))


def _split_at_end_of_options(args: Sequence[str], value_flags: frozenset[str]) -> tuple[list[str], list[str]]:
    """(the arguments before the first ``--`` marker, the marker and all after it).
    A ``--`` right after a flag that takes a value is that flag's value."""
    index = 0
    while index < len(args):
        if args[index] == "--":
            return list(args[:index]), list(args[index:])
        index += 2 if args[index] in value_flags else 1
    return list(args), []
