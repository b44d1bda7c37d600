"""The ``workspace-trust`` command line.

With ``--json`` stdout carries exactly one JSON object (see ``docs/cli.md``);
progress and logs go to stderr. Exit codes are :class:`ExitCode` and are the
same with or without ``--json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import attrs

from workspace_trust import __version__, wire
from workspace_trust.cli_output import PROGRESS_MODES, ProgressPrinter, configure_logging, help_epilog
from workspace_trust.diagnostics import diagnostic_to_json, manifest_to_json
from workspace_trust.domain.codes import Code, ExecutionStatus, Provider, WorkspaceStatus
from workspace_trust.domain.results import Diagnostic
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.exitcodes import ExitCode as ExitCode  # noqa: PLC0414 - re-exported: hosts import it from here too
from workspace_trust.flags import FeatureFlags, flag_variable, parse_flags
from workspace_trust.providers import CliOption, ProviderSpec, all_specs, default_providers
from workspace_trust.requests import DEFAULT_PARALLELISM, WorkspaceSpec, WorkspaceTrustRequest, overall_status

if TYPE_CHECKING:
    from workspace_trust.domain.patches import EnvPatch, LaunchArgPatch
    from workspace_trust.domain.results import WorkspaceResult
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.requests import ExecutionResult, FullPlan
    from workspace_trust.status_report import StatusRow
    from workspace_trust.strategy import PatchPlan

# Commands import what they use when they run: ``--version``, ``status`` and
# ``plan`` never load the PTY, the screen renderer, asyncio or the failure
# classifier (tests/test_cold_start.py).

JSON_VERSION = "1"
#: The document kinds ``--json`` prints, each with a JSON Schema shipped as
#: package data (``workspace_trust/schemas/<kind>.schema.json``).
SCHEMA_KINDS = ("preflight", "status", "plan", "replay", "error")
#: ``error.code`` of an error document: a bad command line (exit 2), or a
#: failure of the command itself that is not any workspace's (exit 1).
ERROR_USAGE = "usage"
ERROR_INTERNAL = "internal_error"
log = logging.getLogger("workspace_trust")


_STATUS_EXIT = {status: ExitCode.for_status(status) for status in ExecutionStatus}


class _UsageError(Exception):
    def __init__(self, message: str, parser: argparse.ArgumentParser | None = None) -> None:
        super().__init__(message)
        #: The (sub)command whose usage line goes with the message.
        self.parser = parser


class _OutputFailed(Exception):
    """Standard output could not be written (a full disk, an I/O error): the
    command's document or text did not reach its reader. Not an ``OSError``, so
    that no handler meant for the command's own work takes it for one."""


def _document_head() -> dict[str, str]:
    """The fields every JSON document starts with: the format's version, and
    the version of the package that wrote it."""
    return {"version": JSON_VERSION, "workspace_trust_version": __version__}


def _write(stream: TextIO, text: str) -> None:
    """``text`` to ``stream`` as UTF-8, whatever the stream's own encoding and
    error handler (a ``surrogateescape`` stream would pass invalid bytes on, a
    strict one would raise). Callers pass text without lone surrogates
    (``wire.dumps``, ``wire.display``); ``backslashreplace`` is the safety net.

    A failed write to standard output raises :class:`_OutputFailed`, except
    ``BrokenPipeError``: a reader that went away (``| head -1``) asked for no
    more."""
    data = text.encode("utf-8", "backslashreplace")
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            stream.write(data.decode("utf-8"))
            stream.flush()
            return
        stream.flush()
        buffer.write(data)
        buffer.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        if stream is not sys.stdout:
            raise
        raise _OutputFailed(exc.strerror or type(exc).__name__) from None


def _emit_json(doc: dict[str, Any]) -> None:
    """The one JSON document of a command, on one line (docs/cli.md, "Paths that are not UTF-8")."""
    _write(sys.stdout, wire.dumps(doc) + "\n")


def _say(line: str) -> None:
    """A line of text output; a byte that is not UTF-8 shows as ``\\xNN``."""
    _write(sys.stdout, wire.display(line) + "\n")


def _warn(line: str, end: str = "\n") -> None:
    _write(sys.stderr, wire.display(line) + end)


class _Parser(argparse.ArgumentParser):
    """Usage errors raise :class:`_UsageError`; the epilog (every provider's
    variables, the lock folder) is written when help is shown, not on every run."""

    def __init__(self, *args: Any, epilog_on_help: bool = False, full_epilog: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._epilog_on_help = epilog_on_help
        self._full_epilog = full_epilog

    def error(self, message: str) -> Any:  # argparse would exit with 2 itself
        raise _UsageError(message, self)

    def format_help(self) -> str:
        if self._epilog_on_help and self.epilog is None:
            self.epilog = _epilog(full=self._full_epilog)
        return super().format_help()


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
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


def _providers(values: Sequence[str] | None) -> tuple[Provider, ...]:
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
                raise _UsageError(_unknown_provider(name)) from None
            if provider not in out:
                out.append(provider)
    if not out:
        # ``--provider ''`` (or only commas) names none: never read as the default.
        raise _UsageError(f"--provider names no provider ({_provider_list()})")
    return tuple(out)


def _unknown_provider(name: str) -> str:
    """The usage error for a provider name no spec has, with the nearest
    registered name when one is close (a misspelt name gets "did you mean ...?")."""
    import difflib

    known = [spec.id.value for spec in all_specs()]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown provider {name!r} ({', '.join(known)}){hint}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="workspace-trust",
        description="Prepare exactly the selected folders for headless AI coding CLIs.",
        epilog_on_help=True,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"workspace-trust {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_parser = sub.add_parser

    def add_parser(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        # The environment list is long: the top-level help and preflight's
        # (the command it governs) carry it, the others point there.
        p = _add_parser(
            name, epilog_on_help=True, full_epilog=name == "preflight", formatter_class=_HelpFormatter, **kwargs
        )
        manners(p)
        return p

    def manners(p: argparse.ArgumentParser) -> None:
        p.add_argument("-v", "--verbose", action="count", default=0, help="more logs: -v info, -vv everything")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress lines; logs only at ERROR")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("dirs", nargs="+", metavar="DIR", help="workspace folders")
        p.add_argument(
            "--provider",
            action="append",
            metavar="NAME",
            help=f"{_provider_list()}; repeatable or comma-separated",
        )
        p.add_argument("--json", action="store_true", help="one JSON object on stdout")
        p.add_argument(
            "--debug", action="store_true", help="debug logs, the engine's decisions; redacted screen tail on failure"
        )

    def provider_options(p: argparse.ArgumentParser) -> None:
        # Generated from the provider specs: --NAME-bin for each, --NAME-mode
        # where there is a choice, and each provider's own options.
        for spec in all_specs():
            name = spec.id.value
            p.add_argument(f"--{name}-bin", dest=_bin_dest(spec), metavar="PATH", help=f"{spec.display_name} binary")
            if len(spec.modes) > 1:
                p.add_argument(
                    f"--{name}-mode",
                    dest=_mode_dest(spec),
                    choices=list(spec.mode_names),
                    default=None,
                    help=f"{spec.display_name} strategy (default {spec.default_mode})",
                )
            for option in spec.cli_options:
                p.add_argument(
                    option.flag,
                    dest=_option_dest(option),
                    action="append",
                    default=[],
                    metavar=option.metavar,
                    help=option.help,
                )
        p.add_argument(
            "--launch-arg",
            action="append",
            default=[],
            metavar="PROVIDER=ARG",
            help="an argument the host will launch PROVIDER with (repeatable), e.g. --launch-arg=NAME=--some-flag",
        )

    pre = add_parser("preflight", help="accept workspace trust where needed")
    common(pre)
    provider_options(pre)
    pre.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMING.total_budget_ms / 1000,
        metavar="SECONDS",
        help="time budget per workspace: reading --help and the session",
    )
    for spec in all_specs():
        for flag in spec.flags:
            if flag.cli_switch:
                pre.add_argument(flag.cli_switch, dest=_flag_dest(flag.name), action="store_true", help=flag.help)
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

    st = add_parser("status", help="read trust state only; never starts a process")
    common(st)
    provider_options(st)

    pl = add_parser("plan", help="print the per-launch patches (arguments, environment)")
    common(pl)
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


def _json_requested(tokens: Sequence[str]) -> bool:
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


def _json_after_command(tokens: list[str]) -> list[str]:
    """``--json`` may come before the subcommand too (``workspace-trust --json
    status DIR``): it is moved behind the subcommand, where argparse knows it."""
    command = _command_of(tokens)
    if command is None:
        return tokens
    at = tokens.index(command)
    before = [t for t in tokens[:at] if not _json_requested([t])]
    if len(before) == at:
        return tokens
    return [*before, command, "--json", *tokens[at + 1 :]]


def _command_of(tokens: Sequence[str]) -> str | None:
    """The subcommand a command line names, if any (for an error document)."""
    commands = ("preflight", "status", "plan", "replay", "record", "schema")
    return next((token for token in tokens if token in commands), None)


def error_document(code: str, message: str, command: str | None) -> dict[str, Any]:
    """The one document of a ``--json`` run that did not get as far as a result
    (``schemas/error.schema.json``)."""
    return {**_document_head(), "command": command, "error": {"code": code, "message": message}}


def _usage_error(message: str, *, as_json: bool, command: str | None, prog: str | None = None) -> int:
    """Two lines on stderr, the error and where the command's options are
    listed (argparse's whole usage block buried the error), and with
    ``--json`` the error document."""
    from workspace_trust.redaction import redact

    # argparse quotes the value it refused, which may be a key pasted in the
    # wrong place: redacted like any diagnostic.
    message = redact(message)
    _warn(f"workspace-trust: {message}")
    if prog:
        _warn(f"  see: {prog} --help")
    if as_json:
        _emit_json(error_document(ERROR_USAGE, message, command))
    return ExitCode.USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """The command: its exit status (docs/cli.md, "Exit codes")."""
    try:
        return _main(argv)
    except _OutputFailed as exc:
        try:
            _warn(f"workspace-trust: could not write to standard output: {exc}")
        except OSError:
            pass  # stderr failed too: the exit status is all that is left
        _settle_output()
        return ExitCode.SOFT_FAILED


def _main(argv: Sequence[str] | None) -> int:
    if sys.stderr is None:  # started with standard error closed: its lines go nowhere
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (open for the process's life)
    if sys.stdout is None:
        # Started with standard output closed: no result could reach the caller,
        # so nothing is done (a preflight would change what it cannot report).
        _write(sys.stderr, "workspace-trust: standard output is closed; nothing was done\n")
        return ExitCode.USAGE
    tokens = _json_after_command(list(sys.argv[1:] if argv is None else argv))
    as_json = _json_requested(tokens)
    parser = build_parser()
    try:
        args = parser.parse_args(tokens)
    except _UsageError as exc:
        usage_of = exc.parser
        if usage_of is None or usage_of is parser:
            # The top parser reports a subcommand's leftovers ("unrecognized
            # arguments"): that subcommand's usage is the one that helps.
            found = (_subparser(parser, word) for word in tokens)
            usage_of = next((p for p in found if p is not None), parser)
        return _usage_error(str(exc), as_json=as_json, command=_command_of(tokens), prog=usage_of.prog)
    except SystemExit as exc:  # --help / --version
        _settle_output()
        return int(exc.code or 0)
    except BrokenPipeError:  # --help into a closed pipe
        _settle_output()
        return ExitCode.OK
    as_json = bool(getattr(args, "json", False))
    configure_logging(
        getattr(args, "verbose", 0), debug=getattr(args, "debug", False), quiet=getattr(args, "quiet", False)
    )
    try:
        if args.command == "preflight":
            return _preflight(args)
        if args.command == "status":
            return _status(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "record":
            return _record(args)
        if args.command == "schema":
            return _schema(args)
    except _UsageError as exc:
        sub = _subparser(parser, args.command)
        return _usage_error(str(exc), as_json=as_json, command=args.command, prog=sub.prog if sub is not None else None)
    except BrokenPipeError:
        # The reader went away (``| head -1``): nothing more can be said.
        _settle_output()
        return ExitCode.OK
    except _OutputFailed:
        raise  # main says so
    except Exception as exc:  # never a traceback: the error is the document
        log.debug("the command failed", exc_info=True)
        message = f"internal error: {type(exc).__name__}"
        try:
            _warn(f"workspace-trust: {message} (--debug shows where)")
            if as_json:
                _emit_json(error_document(ERROR_INTERNAL, message, args.command))
        except OSError:
            pass  # the output itself is what failed: nothing more can be said
        _settle_output()
        return ExitCode.SOFT_FAILED
    return ExitCode.USAGE  # pragma: no cover - argparse requires a command


def run() -> NoReturn:
    """The ``workspace-trust`` command (and ``python -m workspace_trust``):
    :func:`main`, then an exit that skips the interpreter's teardown.

    Freeing every module and object one by one costs more than a read-only
    command's own work (about 25 ms of ``status``'s 175 ms here, 45 ms of a
    preflight: bench/bench_speed.py), and nothing is left for it to do: every
    session was killed and reaped, every lock released and every scratch
    folder removed before :func:`main` returned, the package registers no exit
    hook, and the output is flushed here. Should any other thread still be
    running, the interpreter's own exit runs instead, and waits for it."""
    code = main()
    _settle_output()
    logging.shutdown()
    if threading.active_count() > 1:
        sys.exit(code)
    os._exit(code)


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(name)
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None


def _absolute(path: str) -> str:
    """A command-line folder, relative to the current folder as a shell user means it.

    A relative path is joined to the current folder and nothing more: no ``..``
    or ``.`` is removed as text. After a symlink, ``..`` is the parent of the
    link's target to the system (``lnk/../b`` is the ``b`` beside the target),
    and only the library, which resolves paths the way the system does
    (``adapters.filesystem``), may decide which folder that is."""
    if not path:
        raise _UsageError("an empty folder argument names no folder")
    if path == "~" or path.startswith("~/") or os.path.isabs(path):
        return path  # the library expands ``~`` with the request's HOME
    try:
        here = os.getcwd()
    except OSError:
        raise _UsageError(f"{path!r} is relative and the current folder is gone; give an absolute path") from None
    return os.path.join(here, path)


def _provider_list() -> str:
    ids = [spec.id.value for spec in all_specs()]
    return ", ".join([f"{ids[0]} (default)", *ids[1:]]) if ids else ""


def _bin_dest(spec: ProviderSpec) -> str:
    return f"bin__{spec.id.value}"


def _mode_dest(spec: ProviderSpec) -> str:
    return f"mode__{spec.id.value}"


def _option_dest(option: CliOption) -> str:
    return "option__" + option.flag.lstrip("-").replace("-", "_")


def _flag_dest(name: str) -> str:
    return f"flag__{name}"


def _request(args: argparse.Namespace) -> tuple[WorkspaceTrustRequest, tuple[Diagnostic, ...]]:
    binaries: dict[Provider, str] = {}
    modes: dict[Provider, str] = {}
    launch_args: dict[Provider, tuple[str, ...]] = {}
    for spec in all_specs():
        explicit = getattr(args, _bin_dest(spec), None)
        if explicit:
            # A path the caller gave on the command line that names no
            # executable is the caller's mistake, whatever would run: a usage
            # error (docs/cli.md, "Exit codes"). One from the environment
            # stays the soft failure provider_binary_missing.
            from workspace_trust.adapters.binaries import LocalBinaryLocator

            if not LocalBinaryLocator().is_executable(explicit):
                raise _UsageError(f"--{spec.id.value}-bin {explicit!r} is not an executable file")
            binaries[spec.id] = explicit
        if getattr(args, _mode_dest(spec), None):
            modes[spec.id] = getattr(args, _mode_dest(spec))
        for option in spec.cli_options:
            for value in getattr(args, _option_dest(option), ()):
                launch_args[spec.id] = (*launch_args.get(spec.id, ()), *option.to_launch_args(value))
    timeout = getattr(args, "timeout", None)
    timing = DEFAULT_TIMING
    if timeout is not None:
        if not math.isfinite(timeout) or not 0 < timeout <= MAX_SECONDS:
            raise _UsageError(f"--timeout must be a positive number of seconds, at most {MAX_SECONDS}")
        timing = attrs.evolve(DEFAULT_TIMING, total_budget_ms=int(timeout * 1000))
    parsed = parse_flags(os.environ)
    flags = parsed.flags
    switched: dict[str, bool] = {}
    for spec in all_specs():
        # An explicit --NAME-mode on the command line is the opt-in to a mode
        # that is off by default, unless the environment switches it off.
        if spec.id in modes:
            mode_flag = spec.mode(modes[spec.id]).flag
            if not flags.value(mode_flag) and flag_variable(mode_flag) not in os.environ:
                switched[mode_flag] = True
        for flag in spec.flags:
            if flag.cli_switch and getattr(args, _flag_dest(flag.name), False):
                switched[flag.name] = True
    if switched:
        flags = flags.replace(**switched)
    parallel = getattr(args, "parallel", DEFAULT_PARALLELISM)
    if parallel < 1:
        raise _UsageError("--parallel must be at least 1")
    attempt = getattr(args, "attempt", 1)
    if attempt < 1:
        raise _UsageError("--attempt counts from 1")
    for item in getattr(args, "launch_arg", ()):
        name, sep, value = item.partition("=")
        if not sep:
            raise _UsageError(f"--launch-arg takes PROVIDER=ARG, not {item!r}")
        if not name.strip() or "," in name:
            raise _UsageError("--launch-arg needs one provider name before '='")
        (provider,) = _providers([name])
        launch_args[provider] = (*launch_args.get(provider, ()), value)
    return WorkspaceTrustRequest(
        workspaces=tuple(WorkspaceSpec(path=_absolute(d)) for d in args.dirs),
        providers=_providers(args.provider),
        env=dict(os.environ),
        binaries=binaries,
        strategy_modes=modes,
        launch_args=launch_args,
        strip_env=tuple(getattr(args, "strip_env", ())),
        timing=timing,
        debug=args.debug,
        parallelism=parallel,
        flags=flags,
        attempt=attempt,
    ), parsed.diagnostics


#: Signals that cancel a preflight: it kills what it started and reports ``cancelled`` (130).
_CANCEL_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _preflight(args: argparse.Namespace) -> int:
    deadline = _Deadline(args.deadline)
    cancel = threading.Event()
    previous = {}

    def on_signal(signum: int, _frame: object) -> None:
        cancel.set()

    # First, so an interrupt from here on still ends in one JSON document. A
    # hang-up (the terminal closed) cancels the same way.
    for sig in _CANCEL_SIGNALS:
        previous[sig] = signal.signal(sig, on_signal)
    from workspace_trust.coordinator import WorkspaceTrustCoordinator

    coordinator = WorkspaceTrustCoordinator()
    try:
        request, flag_diagnostics = _request(args)
        plan = coordinator.plan_full(request)
        progress = ProgressPrinter(
            mode="none" if args.quiet else args.progress,
            folders={(t.provider.value, t.workspace.id): t.workspace.absolute_path for t in plan.tasks},
            write=_write,
            inputs=_inputs(args, plan),
            # In place on a terminal, unless log lines would be mixed in.
            live=_stderr_is_terminal() and not (args.verbose or args.debug),
        )
        deadline.start()
        result = coordinator.execute(
            plan, is_cancelled=lambda: cancel.is_set() or deadline.passed(), on_progress=progress
        )
        inputs = _inputs(args, plan)
        providers = request.providers
    finally:
        deadline.stop()
        coordinator.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if deadline.passed() and not cancel.is_set():
        result = _past_deadline(result, args.deadline)
    if flag_diagnostics:
        result = attrs.evolve(result, diagnostics=(*flag_diagnostics, *result.diagnostics))
    try:
        _emit_execution(args, "preflight", result, inputs, providers)
    except BrokenPipeError:
        pass  # the reader went away; the exit code is the run's own
    except _OutputFailed:
        if result.status is not ExecutionStatus.CANCELLED:
            raise
        # Cancelled (often by the terminal hanging up, which also fails the
        # write): the exit code still says cancelled (docs/cli.md, "Exit codes").
    _settle_output()
    return _STATUS_EXIT[result.status]


#: The longest --timeout or --deadline: a week (a timer cannot take an
#: unbounded one, and no preflight needs more).
MAX_SECONDS = 7 * 24 * 3600


class _Deadline:
    """``--deadline``: a timer over the whole run (None: no deadline)."""

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and not (math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS):
            raise _UsageError(f"--deadline must be a positive number of seconds, at most {MAX_SECONDS}")
        self._seconds = seconds
        self._passed = threading.Event()
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        if self._seconds is not None:
            self._timer = threading.Timer(self._seconds, self._passed.set)
            self._timer.daemon = True
            self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def passed(self) -> bool:
        return self._passed.is_set()


def _past_deadline(result: ExecutionResult, seconds: float) -> ExecutionResult:
    """The deadline cancelled what had not finished: those rows (not started,
    or stopped mid-session and killed) are soft failures with their own code."""
    message = f"the run's --deadline of {seconds:g} s passed before this workspace was done"
    rows = tuple(
        attrs.evolve(
            r,
            status=WorkspaceStatus.SOFT_FAILED,
            code=Code.DEADLINE_EXCEEDED,
            diagnostics=(
                Diagnostic(Code.DEADLINE_EXCEEDED, message, r.provider, r.workspace_id),
                *(d for d in r.diagnostics if d.code is not Code.CANCELLED),
            ),
        )
        if r.status is WorkspaceStatus.CANCELLED
        else r
        for r in result.results
    )
    return attrs.evolve(result, results=rows, status=overall_status(rows))


def _settle_output() -> None:
    """Flush stdout and stderr; one that fails (the terminal hung up: EIO, or
    the reader went away: EPIPE) is pointed at /dev/null. Nothing can be
    reported there any more, and the interpreter's own flush at exit would fail
    again and replace the exit code with 120."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with it closed
            continue
        try:
            stream.flush()
        except OSError:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno())
                os.close(devnull)
            except (OSError, ValueError):
                pass


def result_to_json(result: WorkspaceResult, *, debug: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "provider": result.provider.value,
        "workspace_id": result.workspace_id,
        "workspace": result.workspace,
        "real_path": result.real_path,
        "status": result.status.value,
        "code": result.code.value if result.code else None,
        "trusted_key": result.trusted_key,
        "pty_spawned": result.pty_spawned,
        "dialogs": list(result.dialogs),
        "keys": [k.value for k in result.keys],
        "elapsed_ms": result.elapsed_ms,
        "lock_wait_ms": result.lock_wait_ms,
        "cli_version": result.cli_version,
    }
    if debug and result.raw_tail is not None:
        out["raw_tail"] = result.raw_tail.text
    return out


def _diagnostic_json(diag: Diagnostic) -> dict[str, Any]:
    return diagnostic_to_json(diag, evidence=False)


#: One command-line argument: the DIR as given, and the workspace id its rows carry.
_Input = tuple[str, str]


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty() and os.environ.get("TERM", "") not in ("", "dumb")
    except (AttributeError, ValueError, OSError):
        return False


def _inputs(args: argparse.Namespace, plan: FullPlan) -> list[_Input]:
    """Each DIR as given, in order, with the id of the workspace it became
    (a later spelling of an earlier folder gets the earlier one's id)."""
    return [
        (given, workspace_id if workspace_id is not None else (spec.id or spec.path))
        for given, spec, workspace_id in zip(args.dirs, plan.request.workspaces, plan.spec_workspace_ids, strict=True)
    ]


#: What a duplicate row did itself: nothing (its ``duplicate_of`` row did the work).
_DUPLICATE_RESET: dict[str, Any] = {
    "pty_spawned": False,
    "dialogs": [],
    "keys": [],
    "elapsed_ms": 0,
    "lock_wait_ms": 0,
}


def in_input_order(
    inputs: Sequence[_Input], providers: Sequence[Provider], rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` (one per provider and workspace) as the documents list them:
    for each argument in order, one row per provider in the request's order,
    carrying ``input`` (the argument as given) and ``duplicate_of``. An
    argument naming a folder an earlier one named (``p/``, ``./x/../p``, a
    symlink) gets its own row with the earlier row's outcome, nothing done by
    itself, and ``duplicate_of`` that row's index; otherwise ``duplicate_of``
    is null. A row no argument accounts for (not expected) comes last, with
    ``input`` null."""
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        by_key.setdefault((row["provider"], row["workspace_id"]), row)
    order = list(dict.fromkeys(p.value for p in providers))
    out: list[dict[str, Any]] = []
    first: dict[tuple[str, str], int] = {}
    for given, workspace_id in inputs:
        for provider in order:
            key = (provider, workspace_id)
            found = by_key.get(key)
            if found is None:
                continue
            if key in first:
                reset = {name: value for name, value in _DUPLICATE_RESET.items() if name in found}
                duplicate = {"input": given, **found, **reset, "duplicate_of": first[key]}
                duplicate.pop("raw_tail", None)
                out.append(duplicate)
            else:
                first[key] = len(out)
                out.append({"input": given, **found, "duplicate_of": None})
    out.extend({"input": None, **row, "duplicate_of": None} for key, row in by_key.items() if key not in first)
    return out


def _patch_fields(patches: PatchPlan) -> dict[str, Any]:
    """The per-launch patches, as ``plan`` and ``preflight`` both print them."""
    return {
        "patches": [patch_to_json(p) for p in patches.arg_patches],
        "env_patches": [env_patch_to_json(p) for p in patches.env_patches],
        # Each provider's own fields (its per-launch values), from its spec.
        **{
            name: value for spec in all_specs() if spec.plan_fields for name, value in spec.plan_fields(patches).items()
        },
    }


def execution_document(
    command: str, result: ExecutionResult, inputs: Sequence[_Input], providers: Sequence[Provider], *, debug: bool
) -> dict[str, Any]:
    """The ``preflight --json`` document (``schemas/preflight.schema.json``)."""
    from workspace_trust.classifier import retry_hint

    rows = []
    for r in result.results:
        hint = retry_hint(r.provider, attempt=result.attempt, flags=result.flags, preflight_status=overall_status([r]))
        rows.append({**result_to_json(r, debug=debug), "retry": {"allowed": hint.allowed, "rule": hint.rule.value}})
    return {
        **_document_head(),
        "command": command,
        "status": result.status.value,
        "results": in_input_order(inputs, providers, rows),
        # The same patches ``plan`` gives, for the rows reported ``patched``.
        **_patch_fields(result.patches),
        "diagnostics": [_diagnostic_json(d) for d in result.all_diagnostics],
        "manifest": manifest_to_json(result.diagnostics_manifest()),
    }


def _emit_execution(
    args: argparse.Namespace,
    command: str,
    result: ExecutionResult,
    inputs: Sequence[_Input],
    providers: Sequence[Provider],
) -> None:
    diagnostics = result.all_diagnostics
    if args.json:
        _emit_json(execution_document(command, result, inputs, providers, debug=args.debug))
        return
    for r in result.results:
        code = f" [{r.code.value}]" if r.code else ""
        _say(f"{r.provider.value:7} {r.status.value:27} {r.workspace}{code}")
    folders = {r.workspace_id: r.workspace for r in result.results}
    for d in diagnostics:
        _warn(f"  {_diagnostic_line(d, folders)}")
    if args.debug:
        # The redacted, bounded tail of the last screen of each failed session.
        for r in result.results:
            if r.raw_tail:
                _warn(f"--- {r.provider.value} {r.workspace}: the last screen (redacted) ---")
                for tail_line in r.raw_tail.text.rstrip("\n").split("\n"):
                    _warn(tail_line)
                _warn("---")
    _say(f"overall: {result.status.value}")


def _diagnostic_line(d: Diagnostic, folders: Mapping[str, str]) -> str:
    """``code: [provider] folder: message``, naming what it is about."""
    about = [d.provider.value] if d.provider is not None else []
    if d.workspace_id is not None:
        about.append(folders.get(d.workspace_id, d.workspace_id))
    where = f"{' '.join(about)}: " if about else ""
    return f"{d.code.value}: {where}{d.message}"


def _status_row(row: StatusRow) -> dict[str, Any]:
    """One ``status`` result; every row has these keys (docs/cli.md)."""
    return {
        "provider": row.provider.value,
        "workspace_id": row.workspace_id,
        "workspace": row.workspace,
        "real_path": row.real_path,
        "status": row.status.value,
        "code": None if row.code is None else row.code.value,
        "trusted_key": row.trusted_key,
        "trusted_by": row.trusted_by,
        "pty_spawned": False,
    }


def _status(args: argparse.Namespace) -> int:
    from workspace_trust.coordinator import WorkspaceTrustCoordinator

    request, flag_diagnostics = _request(args)
    coordinator = WorkspaceTrustCoordinator()
    plan = coordinator.plan_full(request)
    report = coordinator.status_report(plan, diagnostics=flag_diagnostics)
    exit_code = ExitCode.OK if report.all_trusted else ExitCode.SOFT_FAILED
    rows = in_input_order(_inputs(args, plan), request.providers, [_status_row(row) for row in report.rows])
    if args.json:
        doc = {
            **_document_head(),
            "command": "status",
            "status": "trusted" if report.all_trusted else "not_trusted",
            "results": rows,
            "diagnostics": [_diagnostic_json(d) for d in report.diagnostics],
        }
        _emit_json(doc)
    else:
        for row in rows:
            by = _trusted_by_text(row.get("trusted_by"), row.get("trusted_key"))
            shown = f" [{row['code']}]" if row.get("code") else ""
            _say(f"{row['provider']:7} {row['status']:12} {row['workspace']}{shown}{by}")
        folders = {row["workspace_id"]: row["workspace"] for row in rows}
        for d in report.diagnostics:
            _warn(f"  {_diagnostic_line(d, folders)}")
    return exit_code


def _trusted_by_text(source: str | None, key: str | None) -> str:
    """`` (by SOURCE key KEY)`` for a status line; a probe that names no source
    (a plug-in's may not) gives `` (key KEY)``, never ``by None``."""
    if not key:
        return ""
    return f" (by {source} key {key})" if source else f" (key {key})"


def patch_to_json(patch: LaunchArgPatch) -> dict[str, Any]:
    return {
        "id": patch.id,
        "owner": patch.owner.value,
        "target_provider": patch.target_provider.value,
        "target_surface": patch.target_surface.value,
        "dialect": patch.dialect.value,
        "values": list(patch.values),
        "dedupe_key": patch.dedupe_key,
        "source_workspace_ids": list(patch.source_workspace_ids),
        "reason": patch.reason,
    }


def env_patch_to_json(patch: EnvPatch) -> dict[str, Any]:
    return {
        "id": patch.id,
        "owner": patch.owner.value,
        "target_provider": patch.target_provider.value,
        "values": dict(patch.values),
        "dedupe_key": patch.dedupe_key,
        "source_workspace_ids": list(patch.source_workspace_ids),
        "session_only": patch.session_only,
        "reason": patch.reason,
        # Variables whose value is a file the host makes for the launch.
        "files": [{"variable": f.variable, "name": f.name, "content": f.content} for f in patch.files],
    }


def _plan(args: argparse.Namespace) -> int:
    from workspace_trust.coordinator import WorkspaceTrustCoordinator

    request, flag_diagnostics = _request(args)
    coordinator = WorkspaceTrustCoordinator()
    plan = coordinator.plan_full(request)
    patches = plan.patches
    # Blocked folders (home, roots, missing) and soft failures known before
    # anything runs (a provider whose launch ignores persisted trust).
    settled = [*plan.settled, *plan.soft_settled, *plan.uncarried()]
    status = overall_status(settled)
    # A provider with no per-launch override gets a row saying what to use
    # instead; planning did not fail for it, so the status leaves it out.
    preflight = plan.needing_preflight()
    inputs = _inputs(args, plan)
    doc = {
        **_document_head(),
        "command": "plan",
        "status": status.value,
        "providers": [p.value for p in request.providers],
        "workspaces": [
            {
                "workspace_id": w.id,
                "workspace": w.absolute_path,
                "real_path": w.real_path,
                "persistable": w.persistable,
                # Every argument that named this folder, as given, in order.
                "inputs": [given for given, workspace_id in inputs if workspace_id == w.id],
            }
            for w in plan.workspaces
        ],
        **_patch_fields(patches),
        "results": in_input_order(
            inputs, request.providers, [result_to_json(r, debug=False) for r in (*settled, *preflight)]
        ),
        "diagnostics": [
            _diagnostic_json(d)
            for d in (*flag_diagnostics, *plan.diagnostics, *(d for r in settled for d in r.diagnostics))
        ],
    }
    if args.json:
        _emit_json(doc)
    else:
        for spec in all_specs():
            for line in spec.plan_lines(patches) if spec.plan_lines else ():
                _say(line)
        # One line per folder and finding: the guard does not depend on the provider.
        for state, workspace, code in dict.fromkeys(
            (r.status.value, r.workspace, r.code.value if r.code else "") for r in settled
        ):
            _say(f"{state} {workspace} [{code}]")
        for row in preflight:
            _say(
                f"{row.provider.value}: no per-launch trust override for {row.workspace};"
                f" prepare it with: workspace-trust preflight {shlex.quote(row.workspace)}"
                f" --provider {row.provider.value}"
            )
    return _STATUS_EXIT[status]


def _provider_of(cmd: Sequence[str], env: dict[str, str]) -> str | None:
    """The provider a command runs, from its name or the script it resolves to
    (an npm ``.bin`` link points into the provider's package)."""
    found = shutil.which(cmd[0], path=env.get("PATH")) or cmd[0]
    names = [os.path.basename(found), os.path.realpath(found)]
    for spec in all_specs():
        if any(binary in name.lower() for binary in spec.binary_names for name in names):
            return spec.id.value
    return None


def _table_for(provider: str) -> RuleTable:
    from workspace_trust.providers.tables import rule_table

    return rule_table(Provider(provider))


def _replay(args: argparse.Namespace) -> int:
    from workspace_trust.fixtures import load_fixture, replay_engine

    try:
        fixture = load_fixture(args.fixture)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    try:
        frames = replay_engine(fixture)
    except ValueError as exc:
        raise _UsageError(f"{args.fixture}: {exc}") from None
    if args.json:
        doc = {
            **_document_head(),
            "command": "replay",
            "fixture": {
                "provider": fixture.provider,
                "cli_version": fixture.cli_version,
                "scenario": fixture.scenario,
            },
            "frames": [
                {
                    "event": f.event,
                    "t": f.t,
                    "rule": f.rule,
                    "phase": f.phase,
                    "decision": f.action,
                    "key": f.key,
                }
                for f in frames
            ],
        }
        _emit_json(doc)
    else:
        _say(f"{fixture.provider} {fixture.cli_version} {fixture.scenario}")
        for f in frames:
            key = f" {f.key}" if f.key else ""
            _say(f"  t={f.t:>6}ms  {f.rule or '-':34} {f.phase or '-':20} {f.action}{key}")
    return ExitCode.OK


def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one document kind, from the package data."""
    from importlib import resources

    text = resources.files("workspace_trust").joinpath("schemas", f"{kind}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _schema(args: argparse.Namespace) -> int:
    doc = load_schema(args.kind) if args.kind else {kind: load_schema(kind) for kind in SCHEMA_KINDS}
    if args.json:
        _emit_json(doc)
    else:
        _write(sys.stdout, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return ExitCode.OK


#: How long ``COMMAND --version`` may take when ``record`` infers the version.
VERSION_TIMEOUT_MS = 15000


def _record(args: argparse.Namespace) -> int:
    from workspace_trust.adapters.filesystem import LocalFileSystemFacts
    from workspace_trust.adapters.help import read_version
    from workspace_trust.domain.paths import build_workspace
    from workspace_trust.fixtures import save_fixture, secret_screens
    from workspace_trust.recorder import record_session
    from workspace_trust.registry import default_registry

    cmd = list(args.cmd)
    if cmd[:1] == ["--"]:
        cmd = cmd[1:]
    if not cmd:
        raise _UsageError("record needs a command after --")
    env = dict(os.environ)
    provider = args.provider or _provider_of(cmd, env)
    if provider is None:
        raise _UsageError("cannot tell the provider from the command; pass --provider")
    version = args.cli_version or read_version(cmd[:1], env, VERSION_TIMEOUT_MS)
    if version is None:
        raise _UsageError(f"{cmd[0]} --version printed no version; pass --cli-version")
    from workspace_trust.domain.paths import expand_home

    try:
        cwd = expand_home(_absolute(args.cwd), env)
    except ValueError as exc:
        raise _UsageError(f"--cwd {args.cwd!r}: {exc}") from None
    out = args.out or os.path.join("fixtures", "snapshots", provider, version, f"{args.scenario}.json")
    # Success is read from the provider's own state file, read-only, exactly as
    # a preflight reads it; the recording stops soon after trust is persisted.
    strategy = default_registry().create(Provider(provider))
    facts = LocalFileSystemFacts()
    workspace = build_workspace(cwd, facts.gather(cwd, env=env), facts.host)
    recording = record_session(
        command=tuple(cmd),
        cwd=cwd,
        env=env,
        table=_table_for(provider),
        provider=provider,
        cli_version=version,
        scenario=args.scenario,
        drive=not args.observe,
        success=lambda: strategy.probe_version(workspace, env, None, version),
        duration_ms=int(args.duration * 1000),
    )
    save_fixture(out, recording.fixture)
    _say(f"recorded {len(recording.fixture.data)} bytes, {len(recording.fixture.events)} events -> {out}")
    secret = secret_screens(recording.fixture)
    if secret:
        # The fixture is the CLI's output as it was, unredacted, by design.
        _warn(
            f"warning: {len(secret)} screen(s) of the recording show text that looks secret (a key, token, "
            f"email or password; first after event {secret[0]}); the fixture keeps the CLI's output exactly: "
            f"review {out} before sharing it"
        )
    for checkpoint in recording.fixture.checkpoints:
        _say(f"  event {checkpoint.event:>4}: {checkpoint.rule or '-':34} want {checkpoint.want}")
    return ExitCode.OK
