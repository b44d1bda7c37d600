"""What the command writes: stdout (one JSON document, or text lines) and stderr
(warnings, logs), always as UTF-8, and the logging set-up.

* **Logging**: the library only has its ``NullHandler``; the command line
  adds one stderr handler. ``workspace_trust`` logs at WARNING, ``-v`` INFO,
  ``-vv`` or ``--debug`` DEBUG. Other libraries' loggers (filelock's lock
  chatter) stay at WARNING unless ``-vv``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from workspace_trust import wire
from workspace_trust.domain.results import Diagnostic


class OutputFailed(Exception):
    """Standard output could not be written (a full disk, an I/O error): the
    command's document or text did not reach its reader. Not an ``OSError``, so
    that no handler meant for the command's own work takes it for one."""


def write(stream: TextIO, text: str) -> None:
    """``text`` to ``stream`` as UTF-8, whatever the stream's own encoding and
    error handler (a ``surrogateescape`` stream would pass invalid bytes on, a
    strict one would raise). Callers pass text without lone surrogates
    (``wire.dumps``, ``wire.display``); ``backslashreplace`` is the safety net.

    A failed write to standard output raises :class:`OutputFailed`, except
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
        raise OutputFailed(exc.strerror or type(exc).__name__) from None


def emit_json(doc: Mapping[str, Any]) -> None:
    """The one JSON document of a command, on one line (docs/cli.md, "Paths that are not UTF-8")."""
    write(sys.stdout, wire.dumps(doc) + "\n")


def say(line: str) -> None:
    """A line of text output; a byte that is not UTF-8 shows as ``\\xNN``."""
    write(sys.stdout, wire.display(line) + "\n")


def warn(line: str, end: str = "\n") -> None:
    write(sys.stderr, wire.display(line) + end)


def settle_output() -> None:
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


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty() and os.environ.get("TERM", "") not in ("", "dumb")
    except (AttributeError, ValueError, OSError):
        return False


def diagnostic_line(d: Diagnostic, folders: Mapping[str, str]) -> str:
    """``code: [provider] folder: message``, naming what it is about."""
    about = [d.provider.value] if d.provider is not None else []
    if d.workspace_id is not None:
        about.append(folders.get(d.workspace_id, d.workspace_id))
    where = f"{' '.join(about)}: " if about else ""
    return f"{d.code.value}: {where}{d.message}"


#: Loggers of other libraries quietened below ``-vv`` (they log every lock try).
THIRD_PARTY_LOGGERS = ("filelock",)


def configure_logging(verbosity: int, *, debug: bool, quiet: bool, stream: TextIO | None = None) -> None:
    """One stderr handler on the root logger (replacing one this function
    added before); levels as the module docstring says."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_workspace_trust_cli", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._workspace_trust_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("workspace-trust: %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    everything = verbosity >= 2
    ours = logging.DEBUG if (everything or debug) else logging.INFO if verbosity == 1 else logging.WARNING
    if quiet and not (verbosity or debug):
        ours = logging.ERROR
    root.setLevel(logging.DEBUG if everything else logging.WARNING)
    logging.getLogger("workspace_trust").setLevel(ours)
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if everything else logging.WARNING)
