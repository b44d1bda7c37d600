"""Applying typed launch patches to a host's arguments. Pure: args in, new args out.

Rules:

* Nothing is mutated, and no user-provided argument is removed; a host
  ``-c projects=...`` is replaced only by the merged value that keeps its content.
* Applying the same patches twice gives the same arguments as applying them once.
* A Codex ``-c`` never goes into Claude argv: there ``-c`` means ``--continue``.
* A surface/dialect pair that cannot be shown to reach Codex gives the diagnostic
  ``codex_trust_settings_surface_unknown`` instead of a best-effort append.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import attrs

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.patches import ArgDialect, LaunchArgPatch, TargetSurface
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.codex.overrides import (
    build_trust_override,
    is_projects_override,
    parse_projects_override,
)

#: Default namespace for app-owned settings inside ``--settings`` JSON.
DEFAULT_SETTINGS_NAMESPACE = "workspace_trust"

#: Which dialect may be applied to which argv, per surface and argv owner.
_ALLOWED: frozenset[tuple[TargetSurface, Provider, ArgDialect]] = frozenset(
    {
        (TargetSurface.PRIMARY_PROVIDER_ARGS, Provider.CODEX, ArgDialect.CODEX_DIRECT_CLI_CONFIG),
        (TargetSurface.PROVIDER_FACTS_PROBE, Provider.CODEX, ArgDialect.CODEX_DIRECT_CLI_CONFIG),
        (TargetSurface.DEFAULT_MODEL_PROBE, Provider.CODEX, ArgDialect.CODEX_DIRECT_CLI_CONFIG),
        (TargetSurface.PRIMARY_PROVIDER_ARGS, Provider.CLAUDE, ArgDialect.CLAUDE_CODEX_RUNTIME_SETTINGS),
        (TargetSurface.CROSS_PROVIDER_MEMBER_ARGS, Provider.CLAUDE, ArgDialect.CLAUDE_CODEX_RUNTIME_SETTINGS),
        (TargetSurface.PROVIDER_FACTS_PROBE, Provider.CLAUDE, ArgDialect.CLAUDE_CODEX_RUNTIME_SETTINGS),
        (TargetSurface.DEFAULT_MODEL_PROBE, Provider.CLAUDE, ArgDialect.CLAUDE_CODEX_RUNTIME_SETTINGS),
    }
)


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
    out = list(args)
    applied: list[str] = []
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    for patch in patches:
        if patch.target_surface is not surface or patch.dedupe_key in seen:
            continue
        seen.add(patch.dedupe_key)
        if (surface, argv_provider, patch.dialect) not in _ALLOWED:
            diagnostics.append(_surface_unknown(patch, argv_provider, surface))
            continue
        # Options go before a "--" end-of-options marker; what follows it (a
        # prompt, say) is never read or touched.
        options, rest = _split_at_end_of_options(out, argv_provider)
        if patch.dialect is ArgDialect.CODEX_DIRECT_CLI_CONFIG:
            result = _apply_codex_config(options, patch)
        else:
            result = _apply_runtime_settings(options, patch, settings_namespace)
        if isinstance(result, Diagnostic):
            diagnostics.append(result)
            continue
        out = [*result, *rest]
        applied.append(patch.id)
    return ApplyResult(args=tuple(out), applied=tuple(applied), diagnostics=tuple(diagnostics))


#: Per CLI, the flags whose next argument is their value, so a "--" there is
#: not the end-of-options marker. In Claude, -c is --continue and takes none.
_VALUE_FLAGS: dict[Provider, frozenset[str]] = {
    Provider.CODEX: frozenset({"-c", "--config"}),
    Provider.CLAUDE: frozenset({"--settings"}),
}


def _split_at_end_of_options(args: Sequence[str], provider: Provider) -> tuple[list[str], list[str]]:
    """(the arguments before the first ``--`` marker, the marker and all after it)."""
    value_flags = _VALUE_FLAGS.get(provider, frozenset())
    index = 0
    while index < len(args):
        if args[index] == "--":
            return list(args[:index]), list(args[index:])
        index += 2 if args[index] in value_flags else 1
    return list(args), []


def merge_config_overrides(existing: Sequence[str], patch: LaunchArgPatch) -> tuple[tuple[str, ...], Diagnostic | None]:
    """A runtime's ``configOverrides`` list with the patch merged in (one ``projects=``)."""
    trusted = _trusted_paths(patch)
    build = build_trust_override(trusted, existing)
    if build.value is None:
        return tuple(existing), (build.diagnostics[0] if build.diagnostics else None)
    kept = [v for v in existing if not is_projects_override(v)]
    return (*kept, build.value), None


def _trusted_paths(patch: LaunchArgPatch) -> list[str]:
    paths: list[str] = []
    for value in patch.values:
        if is_projects_override(value):
            paths.extend(parse_projects_override(value))
    return paths


def _surface_unknown(patch: LaunchArgPatch, argv_provider: Provider, surface: TargetSurface) -> Diagnostic:
    if argv_provider is Provider.CLAUDE and patch.dialect is ArgDialect.CODEX_DIRECT_CLI_CONFIG:
        message = "refused to put a Codex -c into Claude arguments (-c is --continue there)"
    else:
        message = (
            f"cannot show that a {patch.dialect.value} patch reaches Codex through "
            f"{argv_provider.value} {surface.value}; not applied"
        )
    return Diagnostic(Code.CODEX_SURFACE_UNKNOWN, message, Provider.CODEX)


def _codex_config_values(args: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start index, length, value) of every -c/--config in Codex argv."""
    found = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-c", "--config") and index + 1 < len(args):
            found.append((index, 2, args[index + 1]))
            index += 2
            continue
        if arg.startswith("--config="):
            found.append((index, 1, arg.split("=", 1)[1]))
        elif arg.startswith("-c") and len(arg) > 2:
            found.append((index, 1, arg[2:]))  # the attached short form, -cKEY=VALUE
        index += 1
    return found


def _apply_codex_config(args: list[str], patch: LaunchArgPatch) -> list[str] | Diagnostic:
    if args and args[-1] in ("-c", "--config"):
        # Appending would turn our "-c" into the value of the host's dangling flag.
        return Diagnostic(
            Code.CODEX_OVERRIDE_INVALID, "the host's Codex arguments end with a -c that has no value", Provider.CODEX
        )
    configs = _codex_config_values(args)
    host = [value for _, _, value in configs if is_projects_override(value)]
    build = build_trust_override(_trusted_paths(patch), host)
    if build.value is None:
        return (
            build.diagnostics[0] if build.diagnostics else _surface_unknown(patch, Provider.CODEX, patch.target_surface)
        )
    drop: set[int] = set()
    for start, length, value in configs:
        if is_projects_override(value):
            drop.update(range(start, start + length))
    kept = [arg for i, arg in enumerate(args) if i not in drop]
    return [*kept, "-c", build.value]


def _settings_position(args: Sequence[str]) -> tuple[int, bool] | None:
    """Index of the last --settings value and whether it is the ``--settings=`` form."""
    position = None
    for index, arg in enumerate(args):
        if arg == "--settings" and index + 1 < len(args):
            position = (index + 1, False)
        elif arg.startswith("--settings="):
            position = (index, True)
    return position


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        current = out.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            out[key] = _deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            out[key] = current + [v for v in value if v not in current]
        else:
            out[key] = value
    return out


def _apply_runtime_settings(args: list[str], patch: LaunchArgPatch, namespace: str) -> list[str] | Diagnostic:
    if args and args[-1] == "--settings":
        # Appending would make the host's dangling flag take our flag as its value.
        return Diagnostic(
            Code.CODEX_SURFACE_UNKNOWN, "the host's arguments end with a --settings that has no value", Provider.CODEX
        )
    position = _settings_position(args)
    existing: dict[str, Any] = {}
    if position is not None:
        index, inline_form = position
        raw = args[index].split("=", 1)[1] if inline_form else args[index]
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            parsed = None
        if not isinstance(parsed, dict):
            return Diagnostic(
                Code.CODEX_SURFACE_UNKNOWN,
                "the existing --settings argument is not inline JSON (a file path?); "
                "app-owned Codex trust settings cannot be merged into it",
                Provider.CODEX,
            )
        existing = parsed
    current = existing.get("codex", {}).get(namespace, {}).get("configOverrides", [])
    merged_overrides, problem = merge_config_overrides(list(current) if isinstance(current, list) else [], patch)
    if problem is not None:
        return problem
    merged = _deep_merge(existing, {"codex": {namespace: {}}})
    merged["codex"][namespace]["configOverrides"] = list(merged_overrides)
    text = json.dumps(merged, separators=(",", ":"), ensure_ascii=False)
    out = list(args)
    if position is None:
        return [*out, "--settings", text]
    index, inline_form = position
    out[index] = f"--settings={text}" if inline_form else text
    return out
