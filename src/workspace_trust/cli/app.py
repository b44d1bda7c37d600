"""``main`` and ``run``: the command line parsed, its command dispatched, and
every way it can end turned into an exit code (docs/cli.md, "Exit codes").

A usage error is two lines on stderr (and, with ``--json``, an error
document); any other failure of the command itself is an ``internal_error``
document, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import NoReturn

from workspace_trust.cli.output import OutputFailed, configure_logging, emit_json, settle_output, warn, write
from workspace_trust.cli.parser import (
    UsageError,
    build_parser,
    command_of,
    json_after_command,
    json_requested,
    subparser,
)
from workspace_trust.documents import ERROR_INTERNAL, ERROR_USAGE, error_document
from workspace_trust.exitcodes import ExitCode

log = logging.getLogger("workspace_trust")


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    """The subcommand's ``run`` (``cli/commands/<name>.py``), its module
    imported now: each command loads only what it needs."""
    run: Callable[[argparse.Namespace], int] = importlib.import_module(f"workspace_trust.cli.commands.{name}").run
    return run


def _usage_error(message: str, *, as_json: bool, command: str | None, prog: str | None = None) -> int:
    """Two lines on stderr, the error and where the command's options are
    listed (argparse's whole usage block buried the error), and with
    ``--json`` the error document."""
    from workspace_trust.redaction import redact

    # argparse quotes the value it refused, which may be a key pasted in the
    # wrong place: redacted like any diagnostic.
    message = redact(message)
    warn(f"workspace-trust: {message}")
    if prog:
        warn(f"  see: {prog} --help")
    if as_json:
        emit_json(error_document(ERROR_USAGE, message, command))
    return ExitCode.USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """The command: its exit status (docs/cli.md, "Exit codes")."""
    try:
        return _main(argv)
    except OutputFailed as exc:
        try:
            warn(f"workspace-trust: could not write to standard output: {exc}")
        except OSError:
            pass  # stderr failed too: the exit status is all that is left
        settle_output()
        return ExitCode.SOFT_FAILED


def _main(argv: Sequence[str] | None) -> int:
    if sys.stderr is None:  # started with standard error closed: its lines go nowhere
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (open for the process's life)
    if sys.stdout is None:
        # Started with standard output closed: no result could reach the caller,
        # so nothing is done (a preflight would change what it cannot report).
        write(sys.stderr, "workspace-trust: standard output is closed; nothing was done\n")
        return ExitCode.USAGE
    tokens = json_after_command(list(sys.argv[1:] if argv is None else argv))
    as_json = json_requested(tokens)
    parser = build_parser()
    _report_broken_plugins()
    try:
        args = parser.parse_args(tokens)
    except UsageError as exc:
        usage_of = exc.parser
        if usage_of is None or usage_of is parser:
            # The top parser reports a subcommand's leftovers ("unrecognized
            # arguments"): that subcommand's usage is the one that helps.
            found = (subparser(parser, word) for word in tokens)
            usage_of = next((p for p in found if p is not None), parser)
        return _usage_error(str(exc), as_json=as_json, command=command_of(tokens), prog=usage_of.prog)
    except SystemExit as exc:  # --help / --version
        settle_output()
        return int(exc.code or 0)
    except BrokenPipeError:  # --help into a closed pipe
        settle_output()
        return ExitCode.OK
    as_json = bool(getattr(args, "json", False))
    configure_logging(
        getattr(args, "verbose", 0), debug=getattr(args, "debug", False), quiet=getattr(args, "quiet", False)
    )
    try:
        return _command(args.command)(args)
    except UsageError as exc:
        sub = subparser(parser, args.command)
        return _usage_error(str(exc), as_json=as_json, command=args.command, prog=sub.prog if sub is not None else None)
    except BrokenPipeError:
        # The reader went away (``| head -1``): nothing more can be said.
        settle_output()
        return ExitCode.OK
    except OutputFailed:
        raise  # main says so
    except Exception as exc:  # never a traceback: the error is the document
        log.debug("the command failed", exc_info=True)
        message = f"internal error: {type(exc).__name__}"
        try:
            warn(f"workspace-trust: {message} (--debug shows where)")
            if as_json:
                emit_json(error_document(ERROR_INTERNAL, message, args.command))
        except OSError:
            pass  # the output itself is what failed: nothing more can be said
        settle_output()
        return ExitCode.SOFT_FAILED


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
    settle_output()
    logging.shutdown()
    if threading.active_count() > 1:
        sys.exit(code)
    os._exit(code)


def _report_broken_plugins() -> None:
    """One stderr line per provider plug-in that could not be loaded. They
    were skipped while the options were built, before any log handler
    existed; unsaid, the plug-in's CLI would only show up as an unknown
    provider."""
    from workspace_trust.cli.parser import OPTION_CLASHES
    from workspace_trust.providers import plugin_failures

    for failure in plugin_failures():
        warn(f"workspace-trust: {failure.message}")
    for clash in OPTION_CLASHES:
        warn(f"workspace-trust: {clash}")
