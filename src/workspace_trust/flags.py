"""Feature flags: independent switches, so one bad provider path can be turned
off without reverting the whole feature.

Each flag is read from ``<prefix><FLAG NAME IN UPPER CASE>``, for instance
``WORKSPACE_TRUST_DEBUG``. Parsing is deliberately narrow (design plan,
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

import threading
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import attrs

from workspace_trust.domain.codes import Code
from workspace_trust.domain.results import Diagnostic

__all__ = [
    "DEFAULT_PREFIX",
    "FeatureFlags",
    "ParsedFlags",
    "flag_variable",
    "parse_flags",
    "set_flag_source",
]

DEFAULT_PREFIX = "WORKSPACE_TRUST_"

_TRUE = frozenset({"1", "true", "on"})
_FALSE = frozenset({"0", "false", "off"})


#: The generic switches and their defaults (v1 rollout defaults). Each
#: provider adds its own in its spec (``ProviderSpec.flags``).
_GENERIC: dict[str, bool] = {"enabled": True, "retry": False, "file_lock": True, "debug": False}
#: The switches that are no provider's: a provider may not name a flag so.
GENERIC_FLAG_NAMES: frozenset[str] = frozenset(_GENERIC)


#: What names each provider's own flags and their defaults (set by
#: ``workspace_trust.providers.spec``, which every import of the package
#: loads): the flags know no provider themselves, so that the providers,
#: which read the flags, sit above them.
_sources: list[Callable[[], Iterable[tuple[str, bool]]]] = []
_sources_lock = threading.Lock()


def set_flag_source(source: Callable[[], Iterable[tuple[str, bool]]]) -> None:
    """Register what lists the providers' flags as (name, default) pairs."""
    with _sources_lock:
        if source not in _sources:
            _sources.append(source)


def _provider_defaults() -> dict[str, bool]:
    return {name: default for source in list(_sources) for name, default in source()}


@attrs.frozen(slots=True, init=False)
class FeatureFlags:
    """The effective switches: the generic ones as fields, each provider's own
    (``ProviderSpec.flags``) by name, as attributes too.

    ``FeatureFlags(NAME=True)``, ``flags.replace(NAME=True)`` and
    ``attrs.evolve(flags, retry=True)`` work for both kinds; an unknown name is
    a ``TypeError``."""

    #: Master switch for the whole preflight.
    enabled: bool
    #: Relaunch once after a workspace-trust failure (off until smoke-tested).
    retry: bool
    #: Cross-process file locks per provider state file.
    file_lock: bool
    #: Keep redacted raw terminal tails for failed results.
    debug: bool
    #: Every provider flag by name (defaults filled in).
    provider_flags: Mapping[str, bool]

    def __init__(
        self,
        *,
        enabled: bool = True,
        retry: bool = False,
        file_lock: bool = True,
        debug: bool = False,
        provider_flags: Mapping[str, bool] | None = None,
        **named: bool,
    ) -> None:
        values = _provider_defaults()
        for name, value in {**(provider_flags or {}), **named}.items():
            if name not in values:
                raise TypeError(f"unknown feature flag {name!r}")
            values[name] = bool(value)
        self.__attrs_init__(bool(enabled), bool(retry), bool(file_lock), bool(debug), MappingProxyType(values))

    def __getattr__(self, name: str) -> bool:
        if name != "provider_flags" and not name.startswith("_"):
            try:
                return self.provider_flags[name]
            except KeyError:
                pass
        raise AttributeError(name)

    def effective(self) -> dict[str, bool]:
        """Every flag's effective value, by name (the manifest's ``feature_flags``)."""
        return {name: self.value(name) for name in self.names()}

    @staticmethod
    def names() -> tuple[str, ...]:
        """Every flag's name: the generic ones, then each provider's."""
        return (*_GENERIC, *_provider_defaults())

    def replace(self, **values: bool) -> FeatureFlags:
        """A copy with some flags (generic or a provider's) set."""
        generic = {name: values.pop(name) for name in list(values) if name in _GENERIC}
        current = {name: bool(getattr(self, name)) for name in _GENERIC}
        return FeatureFlags(**{**current, **generic}, provider_flags={**self.provider_flags, **values})

    def value(self, name: str) -> bool:
        """Any flag by name, generic or a provider's."""
        if name in _GENERIC:
            return bool(getattr(self, name))
        try:
            return self.provider_flags[name]
        except KeyError:
            raise KeyError(f"unknown feature flag {name!r}") from None


@attrs.frozen(slots=True)
class ParsedFlags:
    flags: FeatureFlags
    diagnostics: tuple[Diagnostic, ...] = ()


def _field_names() -> tuple[str, ...]:
    return FeatureFlags.names()


def flag_variable(name: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The environment variable that sets flag ``name`` (``file_lock`` -> ``WORKSPACE_TRUST_FILE_LOCK``)."""
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
            default = defaults.value(name)
            diagnostics.append(
                Diagnostic(
                    Code.FEATURE_FLAG_INVALID,
                    f"{variable} is not one of 1/true/on or 0/false/off; "
                    f"keeping the default ({'on' if default else 'off'})",
                )
            )
    return ParsedFlags(defaults.replace(**values), tuple(diagnostics))
