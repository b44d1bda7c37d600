"""One folder per provider CLI, each holding one :class:`ProviderSpec` (``SPEC``).

Adding a CLI is a new folder and one line in :data:`BUILTIN`. A host adds its
own CLI from another installed package through the ``workspace_trust.providers``
entry-point group: each entry point names a :class:`ProviderSpec` (or a callable
that returns one). Specs load on first use, built-ins first, in order.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

from workspace_trust.domain.codes import Provider, set_member_loader
from workspace_trust.providers.spec import CliOption, FlagSpec, ProviderSpec, StrategyMode

if TYPE_CHECKING:
    from importlib import metadata

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
        for entry in _entry_points():
            try:
                found = entry.load()
                register_spec(found() if callable(found) and not isinstance(found, ProviderSpec) else found)
            except Exception as exc:  # a broken plug-in must not break the built-ins
                log.warning("provider plug-in %s could not be loaded: %s", entry.name, type(exc).__name__)
        # ``for provider in Provider`` lists them in this order too.
        Provider.put_first(list(_specs))


def _entry_points() -> list[metadata.EntryPoint]:
    """This group's entry points. ``importlib.metadata`` costs more to import
    than everything ``status`` does (it pulls in the email package), so it is
    loaded only when some installed distribution may declare the group."""
    if not _may_declare_plugins():
        return []
    from importlib import metadata

    return list(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _may_declare_plugins() -> bool:
    """False only when every ``sys.path`` entry is a plain folder and none of
    the distributions there lists this group in its ``entry_points.txt``;
    anything else (a zip, an unreadable folder, another finder) says True, and
    ``importlib.metadata`` decides."""
    marker = f"[{ENTRY_POINT_GROUP}]"
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            continue
        except OSError:
            return True
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8") as handle:
                        if marker in handle.read():
                            return True
                except FileNotFoundError:
                    continue
                except (OSError, ValueError):
                    return True
            elif name.endswith((".egg", ".zip", ".whl")):
                return True
    return False


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
