"""One folder per provider CLI, each holding one :class:`ProviderSpec` (``SPEC``).

Adding a CLI is a new folder and one line in :data:`BUILTIN`. A host adds its
own CLI from another installed package through the ``workspace_trust.providers``
entry-point group: each entry point names a :class:`ProviderSpec` (or a callable
that returns one). Specs load on first use, built-ins first, in order.

A plug-in that cannot be loaded (its module fails to import, it names no
spec, its id is taken) never stops the others: it is kept in
:func:`plugin_failures`, which the command line reports on stderr and as a
``provider_plugin_failed`` diagnostic, since a CLI that silently vanished
would otherwise only show up as "unknown provider".
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, Provider, set_member_loader
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.spec import CliOption, FlagSpec, ProviderSpec, StrategyMode

if TYPE_CHECKING:
    from importlib import metadata

    from workspace_trust.engine.rules import RuleTable

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "CliOption",
    "FlagSpec",
    "PluginFailure",
    "ProviderSpec",
    "StrategyMode",
    "all_specs",
    "default_providers",
    "plugin_distribution",
    "plugin_failures",
    "register_spec",
    "rule_table",
    "rule_tables",
    "spec_for",
]

log = logging.getLogger(__name__)

#: The provider folders shipped with the package, in the order they are listed.
BUILTIN: tuple[str, ...] = (
    "workspace_trust.providers.claude.spec",
    "workspace_trust.providers.codex.spec",
    "workspace_trust.providers.gemini.spec",
    "workspace_trust.providers.qwen.spec",
    "workspace_trust.providers.copilot.spec",
)

ENTRY_POINT_GROUP = "workspace_trust.providers"

#: The longest error text a failure keeps (an exception's message can quote
#: a whole file or a command line).
ERROR_LIMIT = 300

_lock = threading.RLock()
_specs: dict[Provider, ProviderSpec] = {}
_loaded: list[bool] = []
_failures: list[PluginFailure] = []
#: The distribution each plug-in's provider came from, by provider.
_distributions: dict[Provider, str] = {}


@attrs.frozen(slots=True)
class PluginFailure:
    """One ``workspace_trust.providers`` entry point that could not be loaded."""

    #: The entry point's name (``toy`` in ``toy = "toytrust.spec:SPEC"``).
    name: str
    #: What it names (``toytrust.spec:SPEC``).
    target: str
    #: The installed distribution that declares it, when it can be told.
    distribution: str | None
    #: Why: the exception's type and message, redacted and at most
    #: :data:`ERROR_LIMIT` characters.
    error: str

    @property
    def message(self) -> str:
        origin = f" of {self.distribution}" if self.distribution else ""
        return (
            f"provider plug-in {self.name!r}{origin} ({self.target}) could not be loaded: {self.error}; "
            "its CLI is unknown to this run"
        )

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(Code.PROVIDER_PLUGIN_FAILED, self.message)


def register_spec(spec: ProviderSpec) -> ProviderSpec:
    """Add a provider (a built-in folder, an entry point, or a host's own spec).
    Registering the same id twice keeps the first. A spec whose feature flags
    or command-line switches another provider already has is refused
    (ValueError): last-registered-wins would let one provider change
    another's safety switches (``allow_unprotected_...``) or options."""
    with _lock:
        if not isinstance(spec, ProviderSpec):
            raise TypeError(f"not a ProviderSpec: {spec!r}")
        if spec.id not in _specs:
            _refuse_clashes(spec)
        _specs.setdefault(spec.id, spec)
        return _specs[spec.id]


def _refuse_clashes(spec: ProviderSpec) -> None:
    from workspace_trust.flags import GENERIC_FLAG_NAMES

    flags = {*GENERIC_FLAG_NAMES, *(flag.name for other in _specs.values() for flag in other.flags)}
    switches = {
        switch
        for other in _specs.values()
        for switch in (
            *(option.flag for option in other.cli_options),
            *(flag.cli_switch for flag in other.flags if flag.cli_switch),
        )
    }
    taken = sorted({flag.name for flag in spec.flags} & flags)
    if taken:
        raise ValueError(f"{spec.id.value}: feature flag(s) {', '.join(taken)} are another provider's")
    own = {*(option.flag for option in spec.cli_options), *(flag.cli_switch for flag in spec.flags if flag.cli_switch)}
    clashing = sorted(own & switches)
    if clashing:
        raise ValueError(f"{spec.id.value}: option(s) {', '.join(clashing)} are another provider's")


def _load() -> None:
    with _lock:
        if _loaded:
            return
        _loaded.append(True)
        for module in BUILTIN:
            register_spec(importlib.import_module(module).SPEC)
        for entry in _entry_points():
            _load_entry(entry)
        # ``for provider in Provider`` lists them in this order too.
        Provider.put_first(list(_specs))


def _load_entry(entry: metadata.EntryPoint) -> None:
    distribution: str | None = None
    try:
        distribution = entry.dist.name if entry.dist is not None else None
        found = entry.load()
        spec = found() if callable(found) and not isinstance(found, ProviderSpec) else found
        kept = register_spec(spec)
        if kept is not spec:
            owner = _distributions.get(kept.id, "a built-in provider")
            raise ValueError(f"the provider id {spec.id.value!r} is taken by {owner}")
    except Exception as exc:  # a broken plug-in must not break the built-ins
        from workspace_trust.redaction import environment_secrets, redact

        # One line. Only the message is redacted (by the shapes of keys, the
        # values of this environment's secret-looking variables, and HOME):
        # it may quote a key or a whole file, while the type's name is an
        # identifier that the redaction, when long, would take for a token.
        said = " ".join(str(exc).split())
        error = f"{type(exc).__name__}: " + redact(
            said, home=os.environ.get("HOME"), secrets=environment_secrets(os.environ)
        )
        if len(error) > ERROR_LIMIT:
            error = error[: ERROR_LIMIT - 3] + "..."
        failure = PluginFailure(entry.name, entry.value, distribution, error)
        _failures.append(failure)
        # Often before any handler is set up: the command line reports
        # plugin_failures() itself once its own output is ready.
        log.warning("%s", failure.message)
        log.debug("provider plug-in %s", entry.name, exc_info=True)
        return
    if distribution is not None:
        _distributions[kept.id] = distribution


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


def plugin_failures() -> tuple[PluginFailure, ...]:
    """The entry points of the ``workspace_trust.providers`` group that could
    not be loaded, in the order they were tried (loading them first)."""
    _load()
    with _lock:
        return tuple(_failures)


def plugin_distribution(provider: Provider) -> str | None:
    """The installed distribution whose entry point added ``provider``; None
    for a built-in or a spec registered by hand."""
    _load()
    with _lock:
        return _distributions.get(provider)


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


def rule_table(provider: Provider) -> RuleTable:
    """The dialog rule table of ``provider``. Raises ValueError for an
    unknown provider or one with no dialog rules."""
    return spec_for(provider).dialog_rules()


def rule_tables() -> dict[Provider, RuleTable]:
    """Every registered provider's dialog rule table, for those that have one."""
    return {spec.id: table for spec in all_specs() if (table := spec.rules) is not None}
