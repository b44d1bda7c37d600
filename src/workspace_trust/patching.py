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

from collections.abc import Iterable, Mapping, Sequence

import attrs

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.patches import EnvPatch, LaunchArgPatch, PatchPlan, TargetSurface
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
    patches: PatchPlan | Sequence[LaunchArgPatch],
    *,
    argv_provider: Provider | None = None,
    surface: TargetSurface = TargetSurface.PRIMARY_PROVIDER_ARGS,
    settings_namespace: str = DEFAULT_SETTINGS_NAMESPACE,
) -> ApplyResult:
    """Apply the patches meant for ``surface`` to the argv of ``argv_provider``.

    ``patches`` is what a plan returns (``plan.patches``, a :class:`PatchPlan`)
    or a sequence of its ``arg_patches``. ``surface`` defaults to the launch
    arguments themselves (``PRIMARY_PROVIDER_ARGS``). Without ``argv_provider``
    the CLI whose argv this is comes from the patches: the one CLI whose argv
    every patch for ``surface`` may go into. When they do not agree (patches for
    two CLIs), pass it: a ``ValueError`` says so rather than guessing."""
    if isinstance(patches, PatchPlan):
        patches = patches.arg_patches
    if argv_provider is None:
        argv_provider = _argv_provider(patches, surface)
        if argv_provider is None:
            return ApplyResult(args=tuple(args), applied=())
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
        if (surface, argv_provider.value) not in rule.allowed:
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


def _argv_provider(patches: Sequence[LaunchArgPatch], surface: TargetSurface) -> Provider | None:
    """The one CLI whose argv may take every patch for ``surface``, or None
    when no patch is for it. Raises ValueError when no single CLI fits."""
    rules = {rule.dialect: rule for spec in all_specs() for rule in spec.arg_dialects}
    mine = [patch for patch in patches if patch.target_surface is surface]
    if not mine:
        return None
    fits: set[Provider] | None = None
    for patch in mine:
        rule = rules.get(patch.dialect)
        allowed = {Provider(value) for where, value in rule.allowed if where is surface} if rule else set()
        if allowed:  # a patch allowed nowhere here gets its refusal diagnostic wherever it is applied
            fits = allowed if fits is None else fits & allowed
    if fits is None:
        return mine[0].target_provider
    if len(fits) != 1:
        targets = sorted({patch.target_provider.value for patch in mine})
        raise ValueError(
            f"cannot tell which CLI's {surface.value} these patches are for (they target {', '.join(targets)}): "
            "pass argv_provider="
        )
    return next(iter(fits))


def apply_env_patches(
    env: Mapping[str, str],
    patches: PatchPlan | Iterable[EnvPatch],
    *,
    provider: Provider | None = None,
) -> dict[str, str]:
    """A copy of ``env`` with the variables of ``patches`` (only ``provider``'s,
    when given) set: the per-launch environment of a CLI whose trust override
    is an environment variable. Pure; ``env`` is not changed.

    A patch that names a file (:attr:`EnvPatch.files`) needs the file to exist
    while the CLI runs: use :func:`workspace_trust.launch_env` for those (it
    takes the same arguments and ``env=``); here they are a ``ValueError``."""
    chosen = [p for p in _env_patches(patches) if provider is None or p.target_provider is provider]
    for patch in chosen:
        if patch.files:
            raise ValueError(f"{patch.id} names a file for the launch: use launch_env(...) instead")
    out = dict(env)
    for patch in chosen:
        out.update(dict(patch.values))
    return out


def _env_patches(patches: PatchPlan | Iterable[EnvPatch]) -> tuple[EnvPatch, ...]:
    return patches.env_patches if isinstance(patches, PatchPlan) else tuple(patches)


def _split_at_end_of_options(args: Sequence[str], value_flags: frozenset[str]) -> tuple[list[str], list[str]]:
    """(the arguments before the first ``--`` marker, the marker and all after it).
    A ``--`` right after a flag that takes a value is that flag's value."""
    index = 0
    while index < len(args):
        if args[index] == "--":
            return list(args[:index]), list(args[index:])
        index += 2 if args[index] in value_flags else 1
    return list(args), []
