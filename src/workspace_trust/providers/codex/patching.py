"""Codex's launch-patch dialects: ``-c projects={...}`` in Codex's own argv, and
Codex config overrides inside a runtime's ``--settings`` JSON. Pure.

* A host ``-c projects=...`` is replaced only by the merged value that keeps
  its content; nothing else the host passed is removed.
* A Codex ``-c`` never goes into Claude argv: there ``-c`` means ``--continue``.
* A surface/dialect pair that cannot be shown to reach Codex gives
  ``codex_trust_settings_surface_unknown`` instead of a best-effort append.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.patches import LaunchArgPatch, TargetSurface
from workspace_trust.domain.paths import HostOs
from workspace_trust.domain.policy import KeyJudge
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.codex import (
    CODEX,
    DIRECT_CLI_CONFIG,
    NATIVE_CONFIG_OVERRIDE,
    OVERRIDE_INVALID,
    RUNTIME_SETTINGS,
    SURFACE_UNKNOWN,
)
from workspace_trust.providers.codex.overrides import (
    TRUSTED,
    basic_judge,
    build_trust_override,
    is_projects_override,
    parse_projects_override,
)
from workspace_trust.providers.spec import ArgDialectRule

#: The CLI whose argv carries a runtime's ``--settings`` inline JSON (Claude
#: Code's), where ``-c`` means ``--continue``: named by its id, not imported.
SETTINGS_ARGV = "claude"

#: Codex's flags whose next argument is their value.
CODEX_VALUE_FLAGS = frozenset({"-c", "--config"})


def merge_config_overrides(existing: Sequence[str], patch: LaunchArgPatch) -> tuple[tuple[str, ...], Diagnostic | None]:
    """A runtime's ``configOverrides`` list with the patch merged in (one ``projects=``)."""
    trusted = _trusted_paths(patch)
    build = build_trust_override(trusted, existing, judge=_judge(patch))
    if build.value is None:
        return tuple(existing), (build.diagnostics[0] if build.diagnostics else None)
    kept = [v for v in existing if not is_projects_override(v)]
    return (*kept, build.value), None


def _trusted_paths(patch: LaunchArgPatch) -> list[str]:
    """The keys the patch's value trusts (a host entry it kept with another
    trust level stays as the host's arguments give it)."""
    paths: list[str] = []
    for value in patch.values:
        if is_projects_override(value):
            table = parse_projects_override(value)
            paths.extend(k for k, v in table.items() if isinstance(v, dict) and v.get("trust_level") == TRUSTED)
    return paths


def _judge(patch: LaunchArgPatch) -> KeyJudge:
    """At apply time: the host entries the plan refused stay out, and so does
    what can be told without a home or a file (``basic_judge``)."""
    basic = basic_judge(HostOs.this_machine())
    refused = set(patch.refused_keys)

    def judge(key: str) -> Code | None:
        found = basic(key)
        if found is None and key in refused:
            # The plan named its code; the entry is left out again, quietly.
            found = Code.NOT_PERSISTABLE_HOME_ANCESTOR
        return found

    return judge


def surface_unknown(patch: LaunchArgPatch, argv_provider: Provider, surface: TargetSurface) -> Diagnostic:
    if argv_provider.value == SETTINGS_ARGV and patch.dialect is DIRECT_CLI_CONFIG:
        message = "refused to put a Codex -c into Claude arguments (-c is --continue there)"
    else:
        message = (
            f"cannot show that a {patch.dialect.value} patch reaches Codex through "
            f"{argv_provider.value} {surface.value}; not applied"
        )
    return Diagnostic(SURFACE_UNKNOWN, message, CODEX)


def codex_config_values(args: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start index, length, value) of every -c/--config in Codex argv."""
    found = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in CODEX_VALUE_FLAGS and index + 1 < len(args):
            found.append((index, 2, args[index + 1]))
            index += 2
            continue
        if arg.startswith("--config="):
            found.append((index, 1, arg.split("=", 1)[1]))
        elif arg.startswith("-c") and len(arg) > 2:
            found.append((index, 1, arg[2:]))  # the attached short form, -cKEY=VALUE
        index += 1
    return found


def apply_codex_config(args: list[str], patch: LaunchArgPatch, namespace: str) -> list[str] | Diagnostic:
    if args and args[-1] in CODEX_VALUE_FLAGS:
        # Appending would turn our "-c" into the value of the host's dangling flag.
        return Diagnostic(OVERRIDE_INVALID, "the host's Codex arguments end with a -c that has no value", CODEX)
    configs = codex_config_values(args)
    host = [value for _, _, value in configs if is_projects_override(value)]
    build = build_trust_override(_trusted_paths(patch), host, judge=_judge(patch))
    if build.value is None:
        return build.diagnostics[0] if build.diagnostics else surface_unknown(patch, CODEX, patch.target_surface)
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


def apply_runtime_settings(args: list[str], patch: LaunchArgPatch, namespace: str) -> list[str] | Diagnostic:
    if args and args[-1] == "--settings":
        # Appending would make the host's dangling flag take our flag as its value.
        return Diagnostic(SURFACE_UNKNOWN, "the host's arguments end with a --settings that has no value", CODEX)
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
                SURFACE_UNKNOWN,
                "the existing --settings argument is not inline JSON (a file path?); "
                "app-owned Codex trust settings cannot be merged into it",
                CODEX,
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


def _never_in_argv(args: list[str], patch: LaunchArgPatch, namespace: str) -> list[str] | Diagnostic:
    raise AssertionError("a dialect with no allowed place is never applied")


#: Where each dialect may be applied: (surface, the CLI whose argv it is).
DIALECTS = (
    # A runtime's own configOverrides list (it adds -c itself): never argv.
    ArgDialectRule(NATIVE_CONFIG_OVERRIDE, allowed=frozenset(), apply=_never_in_argv, refuse=surface_unknown),
    ArgDialectRule(
        DIRECT_CLI_CONFIG,
        allowed=frozenset(
            {
                (TargetSurface.PRIMARY_PROVIDER_ARGS, CODEX.value),
                (TargetSurface.PROVIDER_FACTS_PROBE, CODEX.value),
                (TargetSurface.DEFAULT_MODEL_PROBE, CODEX.value),
            }
        ),
        apply=apply_codex_config,
        refuse=surface_unknown,
    ),
    ArgDialectRule(
        RUNTIME_SETTINGS,
        allowed=frozenset(
            {
                (TargetSurface.PRIMARY_PROVIDER_ARGS, SETTINGS_ARGV),
                (TargetSurface.CROSS_PROVIDER_MEMBER_ARGS, SETTINGS_ARGV),
                (TargetSurface.PROVIDER_FACTS_PROBE, SETTINGS_ARGV),
                (TargetSurface.DEFAULT_MODEL_PROBE, SETTINGS_ARGV),
            }
        ),
        apply=apply_runtime_settings,
        refuse=surface_unknown,
    ),
)
