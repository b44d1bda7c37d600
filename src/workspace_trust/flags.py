"""Feature flags: independent switches, so one bad provider path can be turned
off without reverting the whole feature.

Each flag is read from ``<prefix><FLAG NAME IN UPPER CASE>``, for instance
``WORKSPACE_TRUST_CODEX_PTY``. Parsing is deliberately narrow (design plan,
"Feature Flag Semantics"):

* only ``0``/``false``/``off`` disable and only ``1``/``true``/``on`` enable,
  case-insensitive, surrounding whitespace ignored;
* anything else, the empty string included, keeps the default and yields
  exactly one :data:`Code.FEATURE_FLAG_INVALID` diagnostic naming the
  variable. The value itself is never repeated: people paste secrets into the
  wrong variable.

The flags are reported as they were parsed. ``enabled`` is the master switch;
deciding what it implies for the others is the caller's business.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from workspace_trust.domain.codes import Code
from workspace_trust.domain.results import Diagnostic

__all__ = [
    "DEFAULT_PREFIX",
    "FeatureFlags",
    "ParsedFlags",
    "flag_variable",
    "flags_to_json",
    "parse_flags",
]

DEFAULT_PREFIX = "WORKSPACE_TRUST_"

_TRUE = frozenset({"1", "true", "on"})
_FALSE = frozenset({"0", "false", "off"})


@attrs.frozen(slots=True)
class FeatureFlags:
    """The effective switches. Defaults are the v1 rollout defaults."""

    #: Master switch for the whole preflight.
    enabled: bool = True
    #: Accept Claude Code's trust dialog in a pseudo-terminal.
    claude_pty: bool = True
    #: Return Codex per-launch trust overrides (``-c projects={...}``).
    codex_args: bool = True
    #: Drive Codex's own trust dialog in a pseudo-terminal (fallback, off in v1).
    codex_pty: bool = False
    #: Prepare Gemini CLI workspaces.
    gemini: bool = True
    #: Relaunch once after a workspace-trust failure (off until smoke-tested).
    retry: bool = False
    #: Cross-process file locks per provider and real path.
    file_lock: bool = True
    #: Keep redacted raw terminal tails for failed results.
    debug: bool = False
    #: Run Claude without the protected flags when it lacks them.
    allow_unprotected_claude: bool = False


@attrs.frozen(slots=True)
class ParsedFlags:
    flags: FeatureFlags
    diagnostics: tuple[Diagnostic, ...] = ()


def _field_names() -> tuple[str, ...]:
    return tuple(field.name for field in attrs.fields(FeatureFlags))


def flag_variable(name: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The environment variable that sets flag ``name`` (``codex_pty`` -> ``WORKSPACE_TRUST_CODEX_PTY``)."""
    return prefix + name.upper()


def parse_flags(env: Mapping[str, str], prefix: str = DEFAULT_PREFIX) -> ParsedFlags:
    """Read every flag from ``env``; unset variables keep their defaults."""
    defaults = FeatureFlags()
    values: dict[str, bool] = {}
    diagnostics: list[Diagnostic] = []
    for name in _field_names():
        variable = flag_variable(name, prefix)
        raw = env.get(variable)
        if raw is None:
            continue
        spelling = raw.strip().casefold()
        if spelling in _TRUE:
            values[name] = True
        elif spelling in _FALSE:
            values[name] = False
        else:
            default = getattr(defaults, name)
            diagnostics.append(
                Diagnostic(
                    Code.FEATURE_FLAG_INVALID,
                    f"{variable} is not one of 1/true/on or 0/false/off; "
                    f"keeping the default ({'on' if default else 'off'})",
                )
            )
    return ParsedFlags(attrs.evolve(defaults, **values), tuple(diagnostics))


def flags_to_json(flags: FeatureFlags) -> dict[str, bool]:
    """The effective flags by name, for ``feature_flags`` in the diagnostics manifest."""
    return {name: bool(getattr(flags, name)) for name in _field_names()}
