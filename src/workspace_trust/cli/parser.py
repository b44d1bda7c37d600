"""The command line's grammar: the argparse tree (generated from the provider
specs, so a new provider's options appear without editing it), usage errors,
the help epilog, and "did you mean" for a misspelt provider.

The epilog (exit codes, environment variables, lock files) is generated from
:class:`ExitCode`, the provider specs and the feature flags, and written only
when help is shown.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterable, Sequence
from typing import Any

from workspace_trust import __version__
from workspace_trust.documents import COMMANDS, SCHEMA_KINDS
from workspace_trust.domain.codes import Provider
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.exitcodes import ExitCode
from workspace_trust.flags import FeatureFlags, flag_variable
from workspace_trust.providers import CliOption, ProviderSpec, all_specs, default_providers
from workspace_trust.requests import DEFAULT_PARALLELISM

#: ``--progress``: text lines, JSON lines, or none.
PROGRESS_MODES = ("text", "json", "none")


class UsageError(Exception):
    """A bad command line: two lines on stderr, exit 2, nothing done (with
    ``--json``, an error document)."""

    def __init__(self, message: str, parser: argparse.ArgumentParser | None = None) -> None:
        super().__init__(message)
        #: The (sub)command whose usage line goes with the message.
        self.parser = parser


class Parser(argparse.ArgumentParser):
    """Usage errors raise :class:`UsageError`; the epilog (every provider's
    variables, the lock folder) is written when help is shown, not on every run."""

    def __init__(self, *args: Any, epilog_on_help: bool = False, full_epilog: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._epilog_on_help = epilog_on_help
        self._full_epilog = full_epilog

    def error(self, message: str) -> Any:  # argparse would exit with 2 itself
        raise UsageError(message, self)

    def format_help(self) -> str:
        if self._epilog_on_help and self.epilog is None:
            self.epilog = _epilog(full=self._full_epilog)
        return super().format_help()


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout and shows each option's default where it has
    one worth showing (not None, False or an empty list)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and default not in (None, False, [], argparse.SUPPRESS)
            and "default" not in text
            and action.nargs != 0
        ):
            text += " (default: %(default)s)"
        return text


def _epilog(*, full: bool = True) -> str:
    generic = {
        "enabled": "master switch; off skips every strategy, never the home/root guard",
        "retry": "allow the one retry after a launch's trust failure",
        "file_lock": "cross-process lock files",
        "debug": "debug diagnostics",
    }
    provider_help = {flag.name: flag.help for spec in all_specs() for flag in spec.flags}
    defaults = FeatureFlags()
    return help_epilog(
        binary_variables=[(spec.id.value, spec.binary_env) for spec in all_specs()],
        flag_variables=[
            (flag_variable(name), bool(defaults.value(name)), provider_help.get(name) or generic.get(name, name))
            for name in FeatureFlags.names()
        ],
        lock_dir=_lock_dir(),
        full=full,
    )


def _lock_dir() -> str:
    from workspace_trust.adapters.locks import default_lock_dir

    return default_lock_dir()


#: Where the command's documentation lives (the wheel does not ship docs/).
DOCS_URL = "https://github.com/workspace-trust/workspace-trust/blob/main/docs/cli.md"


def help_epilog(
    *,
    binary_variables: Iterable[tuple[str, str]],
    flag_variables: Iterable[tuple[str, bool, str]],
    lock_dir: str,
    full: bool = True,
) -> str:
    """The text after a command's options: exit codes, then (``full``) the
    environment variables (from the provider specs and the feature flags) and
    lock files, or (not ``full``) where to find them."""
    lines = ["exit codes:"]
    meaning = {
        ExitCode.OK: "every folder trusted, patched, or not required",
        ExitCode.SOFT_FAILED: "trust not prepared (the launch may still work), a strategy switched off, "
        "or output not written",
        ExitCode.USAGE: "usage error; nothing was done",
        ExitCode.BLOCKED: "a problem a retry cannot fix (home or root folder, login, setup)",
        ExitCode.CANCELLED: "cancelled by a signal; everything started was stopped",
    }
    lines += [f"  {int(code):<4} {code.name.lower():<12} {meaning[code]}" for code in ExitCode]
    if not full:
        lines += ["", "environment variables and lock files: workspace-trust --help", f"docs: {DOCS_URL}"]
        return "\n".join(lines)
    lines += ["", "environment:"]
    lines += [f"  {variable:<42} {name} binary (as --{name}-bin)" for name, variable in binary_variables]
    for variable, default, text in flag_variables:
        lines.append(f"  {variable:<42} {text.rstrip('.')} (default {'on' if default else 'off'})")
    lines += [
        "  feature flags take 1/true/on or 0/false/off",
        "",
        f"lock files: {lock_dir}",
        "  (one per provider state file, removed when done; /run/user/<uid>, else /tmp (never from the environment),",
        "  else ~/.cache/workspace-trust/locks when that folder is not this account's own)",
        "",
        f"docs: {DOCS_URL} (the JSON contract, every code)",
    ]
    return "\n".join(lines)


def providers_named(values: Sequence[str] | None) -> tuple[Provider, ...]:
    if values is None:
        return default_providers()
    out: list[Provider] = []
    for value in values:
        for raw in value.split(","):
            name = raw.strip().lower()
            if not name:
                continue
            try:
                provider = Provider(name)
            except ValueError:
                raise UsageError(_unknown_provider(name)) from None
            if provider not in out:
                out.append(provider)
    if not out:
        # ``--provider ''`` (or only commas) names none: never read as the default.
        raise UsageError(f"--provider names no provider ({provider_list()})")
    return tuple(out)


def _unknown_provider(name: str) -> str:
    """The usage error for a provider name no spec has, with the nearest
    registered name when one is close (a misspelt name gets "did you mean ...?")."""
    import difflib

    known = [spec.id.value for spec in all_specs()]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown provider {name!r} ({', '.join(known)}){hint}"


#: Provider options the parser left out because another option has the name
#: (a plug-in's clashing with the command's or another provider's): said once
#: on stderr by the command (``cli.app``), never a crash.
OPTION_CLASHES: list[str] = []


def _add_provider_option(p: argparse.ArgumentParser, spec: ProviderSpec, *names: str, **kwargs: Any) -> None:
    try:
        p.add_argument(*names, **kwargs)
    except argparse.ArgumentError as exc:
        said = f"{spec.id.value}: option {'/'.join(names)} left out of {p.prog.split()[-1]}: {exc.message}"
        if said not in OPTION_CLASHES:
            OPTION_CLASHES.append(said)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="workspace-trust",
        description="Prepare exactly the selected folders for headless AI coding CLIs.",
        epilog_on_help=True,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"workspace-trust {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    _add_parser = sub.add_parser

    def add_parser(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        # The environment list is long: the top-level help and preflight's
        # (the command it governs) carry it, the others point there.
        p = _add_parser(
            name, epilog_on_help=True, full_epilog=name == "preflight", formatter_class=HelpFormatter, **kwargs
        )
        manners(p, runs_sessions=name == "preflight")
        return p

    def manners(p: argparse.ArgumentParser, *, runs_sessions: bool) -> None:
        # Each command's help says only what the option does there: status
        # and plan start nothing, so they have no progress lines and no
        # sessions whose decisions or screens could be shown.
        p.add_argument("-v", "--verbose", action="count", default=0, help="more logs: -v info, -vv everything")
        quiet = "no progress lines; logs only at ERROR" if runs_sessions else "logs only at ERROR"
        p.add_argument("-q", "--quiet", action="store_true", help=quiet)

    def common(p: argparse.ArgumentParser, *, runs_sessions: bool = False) -> None:
        p.add_argument("dirs", nargs="+", metavar="DIR", help="workspace folders")
        p.add_argument(
            "--provider",
            action="append",
            metavar="NAME",
            help=f"{provider_list()}; repeatable or comma-separated",
        )
        p.add_argument("--json", action="store_true", help="one JSON object on stdout")
        debug = "debug logs, the engine's decisions; redacted screen tail on failure" if runs_sessions else "debug logs"
        p.add_argument("--debug", action="store_true", help=debug)

    def provider_options(p: argparse.ArgumentParser) -> None:
        # Generated from the provider specs: --NAME-bin for each, --NAME-mode
        # where there is a choice, and each provider's own options. Added
        # after the command's own options, each on its own: one that clashes
        # with an option already there (a plug-in's) is left out and said,
        # never a crash of the whole command.
        for spec in all_specs():
            name = spec.id.value
            add = functools.partial(_add_provider_option, p, spec)
            add(f"--{name}-bin", dest=bin_dest(spec), metavar="PATH", help=f"{spec.display_name} binary")
            if len(spec.modes) > 1:
                add(
                    f"--{name}-mode",
                    dest=mode_dest(spec),
                    choices=list(spec.mode_names),
                    default=None,
                    help=f"{spec.display_name} strategy (default {spec.default_mode})",
                )
            for option in spec.cli_options:
                add(
                    option.flag,
                    dest=option_dest(option),
                    action="append",
                    default=[],
                    metavar=option.metavar,
                    help=option.help,
                )

    def launch_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--launch-arg",
            action="append",
            default=[],
            metavar="PROVIDER=ARG",
            help="an argument the host will launch PROVIDER with (repeatable), e.g. --launch-arg=NAME=--some-flag",
        )

    def launch_mode(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--launch-mode",
            action="append",
            default=[],
            metavar="[PROVIDER=]MODE",
            help="how the host will launch the CLIs: interactive (in a terminal, the default) or prompt "
            "(headless, with a prompt and no one to answer); PROVIDER=MODE for one provider (repeatable)",
        )

    pre = add_parser("preflight", help="accept workspace trust where needed")
    common(pre, runs_sessions=True)
    launch_arg(pre)
    launch_mode(pre)
    pre.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMING.total_budget_ms / 1000,
        metavar="SECONDS",
        help="time budget per workspace: reading --help and the session",
    )
    pre.add_argument("--parallel", type=int, default=DEFAULT_PARALLELISM, metavar="N", help="workspaces at once")
    pre.add_argument(
        "--deadline",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time for the whole run: when it passes, the running sessions are stopped and killed, and every "
        "workspace not done is soft_failed with deadline_exceeded",
    )
    pre.add_argument(
        "--progress",
        choices=PROGRESS_MODES,
        default="text",
        help="progress on stderr: text lines, JSON lines, or none",
    )
    pre.add_argument(
        "--attempt",
        type=int,
        default=1,
        metavar="N",
        help="2 when this preflight is a launch's one retry (recorded in the manifest)",
    )
    pre.add_argument(
        "--strip-env",
        action="append",
        default=[],
        metavar="NAME",
        help="host runtime variable to keep out of the preflight (repeatable)",
    )
    provider_options(pre)
    for spec in all_specs():
        for flag in spec.flags:
            if flag.cli_switch:
                _add_provider_option(
                    pre, spec, flag.cli_switch, dest=flag_dest(flag.name), action="store_true", help=flag.help
                )

    st = add_parser("status", help="read trust state only; never starts a process")
    common(st)
    launch_arg(st)
    provider_options(st)

    pl = add_parser("plan", help="print the per-launch patches (arguments, environment)")
    common(pl)
    launch_arg(pl)
    launch_mode(pl)
    provider_options(pl)

    rep = add_parser("replay", help="replay a recorded fixture through the dialog engine")
    rep.add_argument("fixture", metavar="FIXTURE", help="the fixture's .json file (its .input beside it)")
    rep.add_argument("--json", action="store_true", help="one JSON object on stdout: the fixture and every frame")

    sch = add_parser("schema", help="print the JSON Schema (2020-12) of a --json document kind")
    sch.add_argument(
        "kind",
        nargs="?",
        choices=SCHEMA_KINDS,
        metavar="KIND",
        help=f"{', '.join(SCHEMA_KINDS)}; without it, every schema in one object keyed by kind",
    )
    sch.add_argument("--json", action="store_true", help="on one line (the schema is the one document)")

    rec = add_parser("record", help="record a CLI's startup screens into a fixture")
    rec.add_argument("--provider", choices=[p.value for p in Provider], help="default: from the command's name or path")
    rec.add_argument("--cli-version", help="default: what COMMAND --version prints")
    rec.add_argument("--scenario", default="startup", help="fixture name (default: startup)")
    rec.add_argument("--out", metavar="FILE", help="fixture path (default: fixtures/snapshots/...)")
    rec.add_argument("--cwd", default=".", help="folder to start the command in")
    rec.add_argument("--observe", action="store_true", help="watch only; never send a key")
    rec.add_argument(
        "--duration", type=float, default=20.0, metavar="SECONDS", help="stop recording after this long at most"
    )
    rec.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    return parser


def json_requested(tokens: Sequence[str]) -> bool:
    """Whether the command line asks for ``--json`` anywhere before a ``--``,
    as argparse would read it (a unique prefix such as ``--js`` too), so that
    a command line argparse rejects still gets its one JSON document."""
    for token in tokens:
        if token == "--":
            return False
        name = token.split("=", 1)[0]
        if len(name) >= 3 and "--json".startswith(name):
            return True
    return False


def json_after_command(tokens: list[str]) -> list[str]:
    """``--json`` may come before the subcommand too (``workspace-trust --json
    status DIR``): it is moved behind the subcommand, where argparse knows it."""
    command = command_of(tokens)
    if command is None:
        return tokens
    at = tokens.index(command)
    before = [t for t in tokens[:at] if not json_requested([t])]
    if len(before) == at:
        return tokens
    return [*before, command, "--json", *tokens[at + 1 :]]


def command_of(tokens: Sequence[str]) -> str | None:
    """The subcommand a command line names, if any (for an error document)."""
    return next((token for token in tokens if token in COMMANDS), None)


def subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(name)
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None


def provider_list() -> str:
    ids = [spec.id.value for spec in all_specs()]
    return ", ".join([f"{ids[0]} (default)", *ids[1:]]) if ids else ""


def bin_dest(spec: ProviderSpec) -> str:
    return f"bin__{spec.id.value}"


def mode_dest(spec: ProviderSpec) -> str:
    return f"mode__{spec.id.value}"


def option_dest(option: CliOption) -> str:
    return "option__" + option.flag.lstrip("-").replace("-", "_")


def flag_dest(name: str) -> str:
    return f"flag__{name}"
