"""What one provider folder tells the rest of the package: a :class:`ProviderSpec`.

Theory of operation
-------------------
Every CLI the library knows is one folder under ``providers/`` (or a package
of a third party's, found through the ``workspace_trust.providers`` entry-point
group) that holds one ``SPEC``. Nothing outside ``providers/`` names a CLI:
the registry builds strategies from ``SPEC.modes``, the command line builds its
per-provider options from the specs, the failure classifier walks
``SPEC.failure_patterns``, the feature flags come from ``SPEC.flags``, and the
tests seed a HOME through ``SPEC.seed_test_home``.

A spec is read by every command, ``status`` and ``plan`` included, so a spec
module imports only what those need: the provider's id, codes and constants,
and its state-file probe. Strategies and dialog rules are named by functions
that import them on first use (``StrategyMode.factory``, ``rules=``), so that a
read-only command never loads a PTY stack, a renderer or another CLI's rules
(tests/test_cold_start.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from workspace_trust.domain.codes import ArgDialect, LaunchMode, Provider
from workspace_trust.flags import set_flag_source

if TYPE_CHECKING:
    from workspace_trust.domain.patches import LaunchArgPatch, PatchPlan, TargetSurface
    from workspace_trust.domain.results import Diagnostic
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.failure_patterns import TrustFailurePattern
    from workspace_trust.ports import BinaryLocator, HelpReader, StateFiles, StateProbe
    from workspace_trust.providers.launch_folders import FolderArg
    from workspace_trust.providers.state_probe import StateParser
    from workspace_trust.providers.state_vars import StateVariable
    from workspace_trust.strategy import TrustStrategy


#: (environment, files, CLI version) -> the probe of a CLI's state file.
StateProbeFactory = Callable[["Mapping[str, str]", "StateFiles | None", "str | None"], "StateProbe"]


@attrs.frozen(slots=True)
class FlagSpec:
    """A feature flag a provider adds (``WORKSPACE_TRUST_<NAME>``)."""

    name: str
    default: bool
    help: str
    #: A command-line switch that turns the flag on for one run.
    cli_switch: str | None = None


@attrs.frozen(slots=True)
class StrategyMode:
    """One way of preparing this provider's trust: ``pty``, ``args``, ``env``."""

    name: str
    factory: Callable[[], TrustStrategy]
    #: The feature flag that switches this mode off (one of the spec's flags).
    flag: str
    help: str = ""
    #: The launch modes this strategy can serve. A patch the CLI honours only
    #: headless (Copilot's ``--trust-folder``, refused in a terminal), or a
    #: strategy that only says a headless launch needs nothing, serves
    #: ``prompt`` alone.
    launch_modes: frozenset[LaunchMode] = frozenset(LaunchMode)
    #: Reached only as a launch mode's fallback, never named outright: its
    #: answer holds only where the strategy before it found the installed CLI
    #: too old (Gemini's ``none``: no headless gate before 0.39.1).
    fallback_only: bool = False


@attrs.frozen(slots=True)
class CliOption:
    """A provider's own repeatable command-line option; each value given adds
    ``launch_args`` (the host's launch arguments for this provider) built by
    ``to_launch_args``."""

    flag: str
    metavar: str
    help: str
    to_launch_args: Callable[[str], tuple[str, ...]]


@attrs.frozen(slots=True)
class ArgDialectRule:
    """One launch-patch dialect a provider's patches use: where it may be
    applied, how, and the diagnostic when it may not."""

    dialect: ArgDialect
    #: (surface, the id of the CLI whose argv it is) pairs where the dialect
    #: reaches its CLI. By id (the wire format, never changed once shipped),
    #: so that a provider names another CLI's argv without importing it.
    allowed: frozenset[tuple[TargetSurface, str]]
    #: (host argv before ``--``, the patch, the settings namespace) -> new argv, or why not.
    apply: Callable[[list[str], LaunchArgPatch, str], list[str] | Diagnostic]
    refuse: Callable[[LaunchArgPatch, Provider, TargetSurface], Diagnostic]


@attrs.frozen(slots=True)
class ProviderSpec:
    """Everything the package may ask about one CLI."""

    id: Provider
    display_name: str
    #: Executable names, tried on the child's PATH.
    binary_names: tuple[str, ...]
    #: The environment variable that names the binary (tried before PATH).
    binary_env: str
    #: The npm package the CLI ships in (the recorder and ``./dev`` install it).
    npm_package: str
    #: Strategies by mode; ``default_mode`` is used when a request names none.
    modes: tuple[StrategyMode, ...]
    default_mode: str
    #: The state file trust is written to, under an environment (None: none named).
    state_file: Callable[[Mapping[str, str]], str | None]
    #: The pure probe: the state file's bytes (None: it does not exist) -> what
    #: they say about a workspace. No I/O; the strategies' probes read the file
    #: through the ``StateFiles`` port and decide with it
    #: (``providers/state_probe.py``).
    parse_state: StateParser
    #: The probe every strategy of this CLI reads its state file with:
    #: (environment, files, CLI version) -> a ``StateProbe`` of the state file
    #: under that environment (files None: this machine's), looking trust up
    #: as that version does (None: not known, the strictest lookup). None for
    #: a provider whose strategies build their own.
    state_probe: StateProbeFactory | None = None
    flags: tuple[FlagSpec, ...] = ()
    #: Install locations tried after PATH, relative to HOME unless absolute
    #: (:meth:`resolve_binary`).
    usual_locations: tuple[str, ...] = ()
    #: The dialog rule table (replay, record), or a function that imports and
    #: returns it on first use; None for a CLI with no dialog. Read it as
    #: :attr:`rules`.
    rule_source: RuleTable | Callable[[], RuleTable] | None = attrs.field(default=None, alias="rules")
    failure_patterns: tuple[TrustFailurePattern, ...] = ()
    #: Seeds a fresh HOME so the CLI goes straight to its trust dialog (tests,
    #: the recorder); returns extra environment variables the CLI needs there.
    seed_test_home: Callable[..., Mapping[str, str]] | None = None
    #: The flag text of ``--help`` a protected command needs (test fakes use it).
    protected_help: str = ""
    #: Variables the preflight sets for this CLI (its own switches that keep it
    #: from updating itself while its process group may be killed at any
    #: moment); the recorder and the real-CLI tests set them too.
    preflight_env: Mapping[str, str] = attrs.field(factory=dict)
    cli_options: tuple[CliOption, ...] = ()
    #: The launch-patch dialects this provider's patches use.
    arg_dialects: tuple[ArgDialectRule, ...] = ()
    #: This CLI's flags whose next argument is their value (so a ``--`` there
    #: is not the end-of-options marker).
    value_flags: frozenset[str] = frozenset()
    #: The CLI versions this package was verified on (real-CLI tests, recorded
    #: fixtures); a newer one gets ``cli_version_unverified`` and still runs.
    verified_versions: tuple[str, ...] = ()
    #: Older than this is refused (``cli_version_unsupported``); None: no floor.
    oldest_supported: str | None = None
    #: The environment variables that move this CLI's home, state file or
    #: trust file, with the first version that reads each (docs/providers.md).
    #: The probe honours each one the CLI's version reads, and a request that
    #: strips one of them from the preflight child is refused.
    state_variables: tuple[StateVariable, ...] = ()
    #: This provider's own per-launch values, from the plan's patches, as
    #: ``{field: JSON value}``: the ``plan`` and ``preflight`` documents print
    #: them under ``provider_fields.<id>`` (and, deprecated, at the top level
    #: as ``<id>_<field>``). Field names carry no provider prefix.
    plan_fields: Callable[[PatchPlan], Mapping[str, Any]] | None = None
    #: The JSON Schema of each ``plan_fields`` field, with a ``description``
    #: (scripts/gen_schemas.py writes them into the shipped schemas; one may
    #: refer to the documents' ``#/$defs/env_file``).
    plan_field_schemas: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, eq=False)
    #: Lines of the ``plan`` text output, from the plan's patches.
    plan_lines: Callable[[PatchPlan], tuple[str, ...]] | None = None
    #: The strategy modes that serve a launch in each launch mode, best first,
    #: when the request names none: a later one serves where an earlier one
    #: cannot (its override older than the installed CLI honours, or missing
    #: from its ``--help``; its feature flag off). A launch mode not named
    #: here is served by ``default_mode`` alone (:meth:`strategies_for`).
    launch_strategies: Mapping[LaunchMode, tuple[str, ...]] = attrs.field(factory=dict)
    #: The launch arguments with which the CLI opens another folder and
    #: decides its trust (``--add-dir``, ``-C``): plan and preflight give each
    #: such folder its own row (``providers/launch_folders.py``).
    folder_args: tuple[FolderArg, ...] = ()

    def __attrs_post_init__(self) -> None:
        names = self.mode_names
        if self.default_mode not in names:
            raise ValueError(f"{self.id.value}: default_mode {self.default_mode!r} is not one of {names}")
        for launch_mode in LaunchMode:
            if (
                launch_mode not in self.launch_strategies
                and launch_mode not in self.mode(self.default_mode).launch_modes
            ):
                raise ValueError(
                    f"{self.id.value}: default_mode {self.default_mode!r} cannot serve {launch_mode.value} launches "
                    "and launch_strategies names none for them"
                )
        for launch_mode, chosen in self.launch_strategies.items():
            if not chosen:
                raise ValueError(f"{self.id.value}: no strategy named for {launch_mode.value} launches")
            for name in chosen:
                if launch_mode not in self.mode(name).launch_modes:
                    raise ValueError(
                        f"{self.id.value}: the {name!r} strategy cannot serve {launch_mode.value} launches"
                    )

    def strategies_for(self, launch_mode: LaunchMode) -> tuple[str, ...]:
        """The strategy modes that serve a ``launch_mode`` launch, best first
        (see :attr:`launch_strategies`)."""
        return tuple(self.launch_strategies.get(launch_mode, (self.default_mode,)))

    @property
    def rules(self) -> RuleTable | None:
        """The dialog rule table; None for a CLI with no dialog."""
        source = self.rule_source
        return source() if callable(source) else source

    def dialog_rules(self) -> RuleTable:
        """The dialog rule table, where one is needed (a session, a replay, a
        recording). Raises ValueError for a CLI with none: the one place that
        says so."""
        table = self.rules
        if table is None:
            raise ValueError(f"{self.id.value} has no dialog rules")
        return table

    def resolve_binary(self, explicit: str | None, env: Mapping[str, str], locator: BinaryLocator | None = None) -> str:
        """The CLI's binary as every strategy finds it: ``explicit``, then
        ``$binary_env``, then ``env``'s PATH, then :attr:`usual_locations`.
        Raises ``BinaryMissingError`` naming what was tried."""
        from workspace_trust.providers.binaries import resolve_cli_binary  # noqa: PLC0415 (status need not load it)

        return resolve_cli_binary(
            self.binary_names[0], explicit, env, self.binary_env, self.usual_locations, locator=locator
        )

    def known_version(
        self,
        explicit: str | None,
        env: Mapping[str, str],
        *,
        locator: BinaryLocator | None,
        help_reader: HelpReader,
    ) -> str | None:
        """The version of the binary :meth:`resolve_binary` finds, where it is
        known without starting anything (``HelpReader.known_version``); None
        when no binary is found or its version is not known."""
        from workspace_trust.errors import BinaryMissingError  # noqa: PLC0415

        try:
            binary = self.resolve_binary(explicit, env, locator)
        except BinaryMissingError:
            return None
        return help_reader.known_version(binary)

    def mode(self, name: str) -> StrategyMode:
        for mode in self.modes:
            if mode.name == name:
                return mode
        raise ValueError(f"no {name!r} strategy for {self.id.value}")

    @property
    def mode_names(self) -> tuple[str, ...]:
        return tuple(mode.name for mode in self.modes)


def _flag_defaults() -> tuple[tuple[str, bool], ...]:
    """Every registered provider's flags (``ProviderSpec.flags``), for
    ``workspace_trust.flags``, which imports no provider."""
    from workspace_trust.providers import all_specs  # noqa: PLC0415 (the package imports this module)

    return tuple((flag.name, flag.default) for spec in all_specs() for flag in spec.flags)


set_flag_source(_flag_defaults)
