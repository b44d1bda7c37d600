"""Runs ``<cli> --help`` to discover supported flags, cached per binary."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Mapping

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
        try:
            proc = subprocess.Popen(
                [binary, "--help"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=dict(env),
                start_new_session=True,
            )
        except OSError as exc:
            log.debug("cannot run %s --help: %s", binary, exc.strerror)
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
