"""One folder per provider CLI, each holding one :class:`ProviderSpec` (``SPEC``).

Adding a CLI is a new folder and one line in :data:`BUILTIN`. A host adds its
own CLI from another installed package through the ``workspace_trust.providers``
entry-point group: each entry point names a :class:`ProviderSpec` (or a callable
that returns one). Specs load on first use, built-ins first, in order.
"""

from __future__ import annotations

import importlib
import logging
import threading

from workspace_trust.domain.codes import Provider, set_member_loader
from workspace_trust.providers.spec import CliOption, FlagSpec, ProviderSpec, StrategyMode

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "CliOption",
    "FlagSpec",
    "ProviderSpec",
    "StrategyMode",
    "all_specs",
    "default_providers",
    "register_spec",
    "spec_for",
]

log = logging.getLogger(__name__)

#: The provider folders shipped with the package, in the order they are listed.
BUILTIN: tuple[str, ...] = (
    "workspace_trust.providers.claude.spec",
    "workspace_trust.providers.codex.spec",
    "workspace_trust.providers.gemini.spec",
    "workspace_trust.providers.qwen.spec",
)

ENTRY_POINT_GROUP = "workspace_trust.providers"

_lock = threading.RLock()
_specs: dict[Provider, ProviderSpec] = {}
_loaded: list[bool] = []


def register_spec(spec: ProviderSpec) -> ProviderSpec:
    """Add a provider (a built-in folder, an entry point, or a host's own spec).
    Registering the same id twice keeps the first."""
    with _lock:
        if not isinstance(spec, ProviderSpec):
            raise TypeError(f"not a ProviderSpec: {spec!r}")
        _specs.setdefault(spec.id, spec)
        return _specs[spec.id]


def _load() -> None:
    with _lock:
        if _loaded:
            return
        _loaded.append(True)
        for module in BUILTIN:
            register_spec(importlib.import_module(module).SPEC)
        from importlib import metadata

        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                found = entry.load()
                register_spec(found() if callable(found) and not isinstance(found, ProviderSpec) else found)
            except Exception as exc:  # a broken plug-in must not break the built-ins
                log.warning("provider plug-in %s could not be loaded: %s", entry.name, type(exc).__name__)
        # ``for provider in Provider`` lists them in this order too.
        Provider.put_first(list(_specs))


def all_specs() -> tuple[ProviderSpec, ...]:
    """Every registered provider, built-ins first."""
    _load()
    with _lock:
        return tuple(_specs.values())


def default_providers() -> tuple[Provider, ...]:
    """The providers a request prepares when it names none: the first listed."""
    return (all_specs()[0].id,)


def spec_for(provider: Provider) -> ProviderSpec:
    """The spec of ``provider``. Raises ValueError for an unknown one."""
    _load()
    with _lock:
        found = _specs.get(provider)
    if found is None:
        raise ValueError(f"no provider {provider.value!r} is registered")
    return found


set_member_loader(_load)
