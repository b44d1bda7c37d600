"""Runs ``<cli> --help`` to discover supported flags, cached per binary, and
``<cli> --version`` to name the version a recording came from."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence

from workspace_trust.ports import HelpReader

log = logging.getLogger(__name__)

#: Help output beyond this is not needed to find flag names.
MAX_HELP_BYTES = 256 * 1024


class SubprocessHelpReader(HelpReader):
    def __init__(self) -> None:
        self._cache: dict[tuple[str, int, int], str | None] = {}
        self._lock = threading.Lock()

    def read_help(self, binary: str, env: Mapping[str, str], timeout_ms: int) -> str | None:
        try:
            st = os.stat(binary)
        except OSError:
            return None
        key = (os.path.realpath(binary), st.st_mtime_ns, st.st_size)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        text = self._run(binary, env, timeout_ms)
        with self._lock:
            self._cache[key] = text
        return text

    def _run(self, binary: str, env: Mapping[str, str], timeout_ms: int) -> str | None:
        return run_bounded([binary, "--help"], env, timeout_ms)


_VERSION = re.compile(r"\b(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)\b")


def read_version(argv: Sequence[str], env: Mapping[str, str], timeout_ms: int) -> str | None:
    """The first ``X.Y.Z`` that ``argv + ["--version"]`` prints, or None."""
    text = run_bounded([*argv, "--version"], env, timeout_ms)
    found = _VERSION.search(text or "")
    return found.group(1) if found else None


def run_bounded(argv: Sequence[str], env: Mapping[str, str], timeout_ms: int) -> str | None:
    """Output (stdout and stderr) of a short command in its own session, at most
    :data:`MAX_HELP_BYTES`; None when it cannot start, times out or fails. Its
    process group is killed afterwards, whatever it left behind."""
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )
    except OSError as exc:
        log.debug("cannot run %s: %s", " ".join(argv[:2]), exc.strerror)
        return None
    try:
        out, _ = proc.communicate(timeout=timeout_ms / 1000)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.communicate()
        return None
    finally:
        _kill_group(proc.pid)
    if proc.returncode != 0:
        return None
    return out[:MAX_HELP_BYTES].decode("utf-8", "replace")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
