"""Runs ``<cli> --help`` to discover supported flags, cached per binary, and
``<cli> --version`` to name the version a recording came from.

The output is read as it comes, never more than :data:`MAX_HELP_BYTES`: at the
cap the command's process group is killed and what was read is kept. The read
ends at the caller's deadline and as soon as the caller cancels, and the
command is killed on every path, as a PTY session is (:mod:`containment`): its
process group, before it is reaped (so that the number cannot have been handed
to another process meanwhile), every process carrying its marker, and its
cgroup; and its watchdog kills them if this process dies first.
"""

from __future__ import annotations

import logging
import os
import secrets
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence

import attrs

from workspace_trust.adapters.cli_facts import VERSION_RE, BinaryStamp, CliFactsCache, known_version
from workspace_trust.adapters.containment import SESSION_ENV, Containment
from workspace_trust.adapters.processes import lineage, list_processes, pids_with_environ_entry, signal_pids
from workspace_trust.errors import PreflightCancelled
from workspace_trust.ports import HelpFailure, HelpReader, IsCancelled

log = logging.getLogger(__name__)

#: Help output beyond this is not needed to find flag names.
MAX_HELP_BYTES = 256 * 1024
#: How often a read checks cancellation and the deadline while the command is silent.
POLL_MS = 50

_HAS_WAITID = hasattr(os, "waitid") and hasattr(os, "WNOWAIT")


def _never() -> bool:
    return False


@attrs.frozen(slots=True)
class Captured:
    """What a bounded command printed."""

    #: The output (at most the cap), or None when the command could not start,
    #: failed, or was cut short by the deadline.
    text: str | None
    #: The command came to an end of its own, or printed up to the cap: a
    #: definite answer, worth caching. False when the deadline cut it short.
    finished: bool
    #: Where it could not start or ended in failure: how, and what it printed
    #: (at most ``MAX_HELP_BYTES``, unredacted).
    failure: HelpFailure | None = None


class SubprocessHelpReader(HelpReader):
    """Runs ``--help`` and ``--version``, each at most once per binary: the
    answers are kept in memory and on disk (:class:`CliFactsCache`, keyed by
    the binary's real path, size, mtime, inode and ctime), so a later process
    on an already-seen binary starts nothing but the CLI itself."""

    def __init__(self, facts: CliFactsCache | None = None) -> None:
        self._cache: dict[BinaryStamp, str | None] = {}
        self._versions: dict[BinaryStamp, str | None] = {}
        self._failures: dict[str, HelpFailure | None] = {}
        self._facts = facts if facts is not None else CliFactsCache()
        self._lock = threading.Lock()

    def read_help(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        key = BinaryStamp.of(binary)
        if key is None:
            return None
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        stored = self._facts.load(key).get("help")
        if isinstance(stored, str):
            with self._lock:
                self._cache[key] = stored
            return stored
        captured = capture([binary, "--help"], env, timeout_ms, is_cancelled=is_cancelled)
        with self._lock:
            self._failures[binary] = captured.failure
        if captured.finished:
            # A read the deadline cut short says nothing about the binary: the
            # next workspace, with its own budget, reads again.
            with self._lock:
                self._cache[key] = captured.text
            if captured.text is not None:
                # Only an answer goes to disk: a failure may be this
                # environment's (a missing interpreter on PATH), not the binary's.
                self._facts.update(key, help=captured.text)
        return captured.text

    def help_failure(self, binary: str) -> HelpFailure | None:
        with self._lock:
            return self._failures.get(binary)

    def known_version(self, binary: str) -> str | None:
        """From the npm ``package.json`` the binary belongs to, or from an
        earlier ``--version`` kept on disk; nothing is started."""
        key = BinaryStamp.of(binary)
        if key is None:
            return None
        with self._lock:
            if key in self._versions:
                return self._versions[key]
        return known_version(key, self._facts)

    def read_version(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        """From the npm ``package.json`` the binary belongs to when there is one;
        otherwise ``--version``, run once per binary and kept on disk."""
        key = BinaryStamp.of(binary)
        if key is None:
            return None
        with self._lock:
            if key in self._versions:
                return self._versions[key]
        version = known_version(key, self._facts)
        if version is None:
            facts = self._facts.load(key)
            if "version" in facts and facts["version"] is None:
                pass  # it ran before and printed no version: none to tell
            else:
                captured = capture([binary, "--version"], env, timeout_ms, is_cancelled=is_cancelled)
                if not captured.finished:
                    return None  # cut short: the next read tries again
                found = _VERSION.search(captured.text or "")
                version = found.group(1) if found else None
                if captured.text is not None:
                    # A definite answer, a version or none; a failed run may be
                    # this environment's fault and is not kept.
                    self._facts.update(key, version=version)
        with self._lock:
            self._versions[key] = version
        return version


_VERSION = VERSION_RE


def read_version(argv: Sequence[str], env: Mapping[str, str], timeout_ms: int) -> str | None:
    """The first ``X.Y.Z`` that ``argv + ["--version"]`` prints, or None."""
    text = run_bounded([*argv, "--version"], env, timeout_ms)
    found = _VERSION.search(text or "")
    return found.group(1) if found else None


def run_bounded(argv: Sequence[str], env: Mapping[str, str], timeout_ms: int) -> str | None:
    """Output (stdout and stderr) of a short command in its own session, at most
    :data:`MAX_HELP_BYTES`; None when it cannot start, times out or fails."""
    return capture(argv, env, timeout_ms).text


def capture(
    argv: Sequence[str],
    env: Mapping[str, str],
    timeout_ms: int,
    *,
    is_cancelled: IsCancelled = _never,
    max_bytes: int = MAX_HELP_BYTES,
) -> Captured:
    """Run ``argv`` in its own session with stdout and stderr on one pipe, read
    at most ``max_bytes`` of it, and kill its process group afterwards, whatever
    it left behind. Raises ``PreflightCancelled`` once ``is_cancelled()`` is true
    (the group is killed first)."""
    deadline = time.monotonic() + max(0, timeout_ms) / 1000
    marker = secrets.token_hex(16)
    containment = Containment.start(marker, argv[0])
    try:
        proc = subprocess.Popen(
            containment.argv(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**env, SESSION_ENV: marker},
            start_new_session=True,
        )
    except OSError as exc:
        containment.release()
        log.debug("cannot run %s: %s", " ".join(argv[:2]), exc.strerror)
        return Captured(None, finished=True, failure=HelpFailure(f"it could not be started ({exc.strerror})"))
    containment.attach(proc.pid)
    assert proc.stdout is not None
    try:
        data, capped = _read_capped(proc.stdout.fileno(), deadline, is_cancelled, max_bytes)
        if data is None:
            log.debug("%s did not finish in %d ms", " ".join(argv[:2]), timeout_ms)
            return Captured(None, finished=False)
        if not capped and not _wait_exit(proc, deadline, is_cancelled):
            return Captured(None, finished=False)
    finally:
        # Before the reap: until then the number is held for this group.
        _kill_group(proc.pid)
        _kill_strays(containment)
        proc.stdout.close()
        _reap(proc)
        containment.release()
    text = data[:max_bytes].decode("utf-8", "replace")
    if capped:
        log.debug("%s printed more than %d bytes; the rest was not read", " ".join(argv[:2]), max_bytes)
        return Captured(text, finished=True)
    if proc.returncode != 0:
        how = (
            f"it ended with exit status {proc.returncode}"
            if proc.returncode > 0
            else f"it was ended by signal {-proc.returncode}"
        )
        return Captured(None, finished=True, failure=HelpFailure(how, text.strip()))
    return Captured(text, finished=True)


def _read_capped(fd: int, deadline: float, is_cancelled: IsCancelled, max_bytes: int) -> tuple[bytes | None, bool]:
    """Read ``fd`` to its end or to ``max_bytes``: the bytes and whether the cap
    was reached. None for the bytes when the deadline passed first."""
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    total = 0
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            if is_cancelled():
                raise PreflightCancelled("cancelled while reading a command's output")
            left = deadline - time.monotonic()
            if left <= 0:
                return None, False
            if not selector.select(min(left, POLL_MS / 1000)):
                continue
            try:
                chunk = os.read(fd, min(65536, max_bytes - total))
            except BlockingIOError:
                continue
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
            total += len(chunk)
            if total >= max_bytes:
                return b"".join(chunks), True


def _wait_exit(proc: subprocess.Popen[bytes], deadline: float, is_cancelled: IsCancelled) -> bool:
    """Wait until the command has exited, without reaping it where ``waitid``
    allows. False when the deadline passed first."""
    while True:
        if _exited(proc):
            return True
        if is_cancelled():
            raise PreflightCancelled("cancelled while waiting for a command to exit")
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.005))


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    if not _HAS_WAITID:
        # Seeing the exit reaps here (macOS before Python 3.13); the group is
        # still killed by number afterwards, as the PTY adapter does there.
        return proc.poll() is not None
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None and info.si_pid != 0


def _reap(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (uninterruptible sleep)
        log.warning("pid %d did not end after SIGKILL", proc.pid)


def _kill_strays(containment: Containment) -> None:
    """What the command started outside its group: marked, or in its cgroup."""
    table = list_processes()
    marked = set(pids_with_environ_entry(containment.marker, table)) | containment.pids()
    signal_pids(marked - lineage(os.getpid(), table), signal.SIGKILL)
    containment.kill_cgroup()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
