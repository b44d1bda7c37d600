"""The ptyprocess adapter for the PTY port.

Patches around ptyprocess 0.7.0 live here, each with a test:

* ``PtyProcess.spawn`` resolves ``argv[0]`` with *our* ``PATH``, not the child's
  ``env["PATH"]``; we resolve against the child's ``PATH`` and pass an absolute
  path (``tests/test_pty_adapter.py::test_ptyprocess_resolves_with_parent_path``).
* ``PtyProcess.read`` blocks; we read the file descriptor with ``selectors``.
* ``PtyProcess.terminate`` signals only the child; we signal the process group
  and every process of the session (its marker, its cgroup where it has one:
  :mod:`containment`), then reap; a watchdog does the same if we die first.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import selectors
import signal
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from ptyprocess import PtyProcess

from workspace_trust.adapters.binaries import LocalBinaryLocator
from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.containment import SESSION_ENV, Containment
from workspace_trust.adapters.processes import (
    alive,
    lineage,
    list_processes,
    pids_with_environ_entry,
    reaped_leader_members,
    related_processes,
    signal_pids,
)
from workspace_trust.domain.codes import Key
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.errors import BinaryMissingError, PtyUnavailableError
from workspace_trust.ports import Clock, KillHold, KillReport, PtySession, PtySpawner, RenderStats, SpawnSpec

if TYPE_CHECKING:
    from workspace_trust.adapters.screen import ScreenRenderer

__all__ = ["KILL_PASSES", "SESSION_ENV", "PtyProcessSession", "PtyProcessSpawner", "resolve_binary"]

log = logging.getLogger(__name__)

#: Most bytes read in one ``read_snapshot`` call before rendering.
MAX_READ_PER_FRAME = 1 << 20
#: After output arrives, wait this long for the rest of the same repaint.
COALESCE_MS = 4
#: SIGKILL passes before giving up on processes that keep forking.
KILL_PASSES = 5
#: While SIGKILL is held back for a provider lock, how often the lock is looked at.
HOLD_POLL_MS = 20

_KEY_BYTES = {
    Key.UP: (b"\x1b[A", b"\x1bOA"),
    Key.DOWN: (b"\x1b[B", b"\x1bOB"),
    Key.ENTER: (b"\r", b"\r"),
    Key.ESCAPE: (b"\x1b", b"\x1b"),
}


_HAS_WAITID = hasattr(os, "waitid") and hasattr(os, "WNOWAIT")


def resolve_binary(command: str, env: Mapping[str, str]) -> str:
    """Resolve ``command`` against the child's PATH (ptyprocess would use ours).
    Raises ``BinaryMissingError``."""
    locator = LocalBinaryLocator()
    if os.sep in command:
        if locator.is_executable(command):
            return os.path.abspath(command)
        raise BinaryMissingError(f"not an executable file: {command}")
    found = locator.which(command, env.get("PATH", os.defpath))
    if found is None:
        raise BinaryMissingError(f"{command} not found on the child's PATH")
    return found


#: One fork at a time, and the warnings filter below is only changed under it.
_FORK_LOCK = threading.Lock()


@contextlib.contextmanager
def _forking() -> Iterator[None]:
    """Python 3.12+ warns (DeprecationWarning) whenever ``forkpty`` runs in a
    process with more than one thread, which ``execute`` always is, and a host
    that turns warnings into errors would get ``pty_unavailable``. The warning
    does not apply here: between fork and exec, ptyprocess's child runs only C
    calls (ioctl, tcsetattr, fcntl, getrlimit, closerange, chdir) and, because
    ``argv[0]`` is already an absolute path and no ``preexec_fn`` is passed,
    ``os.execvpe`` goes straight to ``execve`` without searching PATH in Python.
    So exactly that warning is ignored, around the fork only."""
    with _FORK_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork", category=DeprecationWarning)
        yield


class PtyProcessSpawner(PtySpawner):
    def __init__(self, clock: Clock | None = None, term_grace_ms: int | None = None) -> None:
        self._clock = clock or SystemClock()
        self._term_grace_ms = term_grace_ms if term_grace_ms is not None else DEFAULT_TIMING.term_grace_ms

    def spawn(self, spec: SpawnSpec) -> PtySession:
        marker = secrets.token_hex(16)
        env = {**spec.env, SESSION_ENV: marker}
        argv = [resolve_binary(spec.argv[0], env), *spec.argv[1:]]
        if not os.path.isdir(spec.cwd):
            raise PtyUnavailableError(f"working directory is not a directory: {spec.cwd}")
        containment = Containment.start(marker, argv[0])
        try:
            with _forking():
                proc = PtyProcess.spawn(
                    containment.argv(argv), cwd=spec.cwd, env=env, dimensions=(spec.rows, spec.columns), echo=False
                )
        except BaseException as exc:
            containment.release()
            if isinstance(exc, FileNotFoundError):
                raise BinaryMissingError(str(exc)) from exc
            if isinstance(exc, OSError):
                if exc.errno in (errno.ENOENT, errno.EACCES, errno.ENOEXEC):
                    raise BinaryMissingError(f"cannot execute {argv[0]}: {exc}") from exc
                raise PtyUnavailableError(f"cannot open a pseudo-terminal: {exc}") from exc
            if isinstance(exc, Exception):
                raise PtyUnavailableError(f"cannot spawn in a pseudo-terminal: {exc}") from exc
            raise
        containment.attach(int(proc.pid))
        return PtyProcessSession(proc, spec, self._clock, self._term_grace_ms, containment=containment)


class PtyProcessSession(PtySession):
    def __init__(
        self, proc: object, spec: SpawnSpec, clock: Clock, term_grace_ms: int, *, containment: Containment
    ) -> None:
        self._proc = proc
        self._containment = containment
        self._marker = containment.marker
        self._pid: int = int(proc.pid)  # type: ignore[attr-defined]
        self._fd: int = int(proc.fd)  # type: ignore[attr-defined]
        self._clock = clock
        self._term_grace_ms = term_grace_ms
        self._started_ms = clock.monotonic_ms()
        self._size = (spec.columns, spec.rows)
        self._renderer: ScreenRenderer | None = None
        self._frame = 0
        self._eof = False
        self._status: int | None = None
        #: The child has been reaped (by the kill, or by someone else: a host
        #: that ignores SIGCHLD or reaps with waitpid(-1)). Until then its pid
        #: number, a zombie at worst, is held for us.
        self._reaped = False
        #: Reaped by someone else: nothing tells whether the number has been
        #: handed out again, so the group is never signalled by number.
        self._reaped_elsewhere = False
        self._report: KillReport | None = None
        #: Reads, writes, reaping and the kill take turns: ``dispose`` kills from
        #: another thread, and the fd must never be read after it is closed (its
        #: number could already belong to a file another thread opened).
        self._io_lock = threading.RLock()
        #: Set before a kill waits for the lock: a read in progress stops
        #: coalescing output and returns, so the kill waits at most one select.
        self._kill_requested = threading.Event()
        os.set_blocking(self._fd, False)
        #: Called with every chunk of raw output (the fixture recorder uses it).
        self.tap: Callable[[bytes], None] | None = None
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def renderer(self) -> ScreenRenderer:
        """The screen, made on first use: the renderer (pyte) is imported once
        the CLI has been started, while it starts up, not before the spawn."""
        with self._io_lock:
            if self._renderer is None:
                from workspace_trust.adapters.screen import ScreenRenderer

                columns, lines = self._size
                self._renderer = ScreenRenderer(columns=columns, lines=lines)
            return self._renderer

    def read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
        with self._io_lock:
            return self._read_snapshot(timeout_ms)

    def _read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
        total = 0
        wait_ms = max(0, timeout_ms)
        while not self._eof and total < MAX_READ_PER_FRAME and not self._kill_requested.is_set():
            events = self._selector.select(wait_ms / 1000) if self._report is None else []
            # A kill on this same thread (a signal handler calling dispose) may
            # have closed the fd during select: its number may now be another file's.
            if not events or self._report is not None:
                break
            chunk = self._read_available()
            if not chunk:
                break
            total += len(chunk)
            if self.tap is not None:
                self.tap(chunk)
            self.renderer.feed(chunk)
            self._answer_queries()
            wait_ms = COALESCE_MS
        self._frame += 1
        return self.renderer.snapshot(self._frame, self._clock.monotonic_ms() - self._started_ms)

    def _read_available(self) -> bytes:
        try:
            return os.read(self._fd, 65536)
        except BlockingIOError:
            return b""
        except OSError:
            # EIO: the child side closed (process ended).
            self._eof = True
            return b""

    def _answer_queries(self) -> None:
        reply = self.renderer.take_replies()
        if reply:
            self._write(reply)

    def _write(self, data: bytes) -> None:
        with self._io_lock:
            if self._report is not None or self._eof:
                return
            try:
                os.write(self._fd, data)
            except OSError:
                log.debug("write to pty failed", exc_info=True)

    def render_stats(self) -> RenderStats:
        with self._io_lock:
            return RenderStats(faults=self.renderer.faults, dropped_sequences=self.renderer.dropped_sequences)

    def send_key(self, key: Key) -> None:
        normal, application = _KEY_BYTES[key]
        self._write(application if self.renderer.application_cursor_keys else normal)

    def exit_status(self) -> int | None:
        with self._io_lock:
            return self._exit_status()

    def _exit_status(self) -> int | None:
        """The exit status once the child has ended. The child is not reaped
        here (``WNOWAIT``), only at the end of the kill, so that its pid
        number, and with it its process group's, cannot be handed to another
        process while this session may still signal it."""
        if self._status is not None:
            return self._status
        try:
            if _HAS_WAITID:
                info = os.waitid(os.P_PID, self._pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                if info is None or info.si_pid == 0:
                    return None
                code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
                self._status = code
                return code
            pid, status = os.waitpid(self._pid, os.WNOHANG)
        except ChildProcessError:
            self._status = -1
            self._reaped = self._reaped_elsewhere = True
            return self._status
        if pid == 0:
            return None
        # Without waitid (macOS before Python 3.13) seeing the exit reaps. The
        # group number then stays held only while the group has members, as
        # before; signalling it is the only way to reach them where there is
        # no /proc to list them.
        self._reaped = True
        self._status = os.waitstatus_to_exitcode(status)
        return self._status

    def _reap(self) -> None:
        if self._reaped:
            return
        try:
            pid, _ = os.waitpid(self._pid, os.WNOHANG)
        except ChildProcessError:
            pid = self._pid
        self._reaped = pid != 0

    def kill(self, *, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
        """Safe from any thread, any number of times; the first call does the work."""
        self._kill_requested.set()
        with self._io_lock:
            return self._kill(hold, self._term_grace_ms if term_grace_ms is None else term_grace_ms)

    def _kill(self, hold: KillHold | None, term_grace_ms: int) -> KillReport:
        if self._report is not None:
            return self._report
        # Daemons that had left the process tree before any signal: reported.
        current, strays = self._members()
        signalled = self._signal_all(current, signal.SIGTERM)
        escalated = False
        gone = self._wait_gone(current, term_grace_ms)
        held_ms, killed_holding = 0, False
        if not gone and hold is not None:
            gone, held_ms, killed_holding = self._hold_while_locked(current, hold)
        stuck: set[int] = set()
        for _ in range(KILL_PASSES):
            # Each pass signals only what is there now: a number listed before
            # may have been freed and handed to a stranger since.
            current, _ = self._members()
            # Stop when the last pass killed everything, or when all that is
            # left survived SIGKILL already (uninterruptible, or not ours to
            # signal): another pass would only wait for it again.
            if (gone or stuck) and not current - stuck:
                break
            self._signal_all(current, signal.SIGKILL)
            escalated = True
            gone = self._wait_gone(current, 2000)
            stuck = set() if gone else {pid for pid in current if alive(pid)}
            if not gone and self.exit_status() is None:
                stuck.add(self._pid)
        # Whatever is still in the session's cgroup (none without one), at once.
        self._containment.kill_cgroup()
        status = self.exit_status()
        survivors = tuple(sorted(pid for pid in self._members()[0] if alive(pid)))
        if survivors:
            log.warning("processes left after SIGKILL: %s", survivors)
        self._reap()
        self._containment.release()
        self._report = KillReport(
            exit_status=status,
            signalled=signalled,
            escalated=escalated,
            survivors=survivors,
            strays=tuple(sorted(strays)),
            held_ms=held_ms,
            killed_holding=killed_holding and escalated,
        )
        self._close()
        return self._report

    def _hold_while_locked(self, members: set[int], hold: KillHold) -> tuple[bool, int, bool]:
        """After SIGTERM, for a CLI that keeps a lock on its state file: no
        SIGKILL until it has exited, up to ``hold.max_ms``. A CLI that saves on
        its way out (one that takes its config lock at exit) gets to finish and
        release the lock; on a loaded machine it may not even have taken the
        lock yet when the TERM grace ends, so the wait does not stop just
        because no lock is there at that moment.
        Returns (all gone, ms held back, the lock was held when the wait ran out)."""
        start = self._clock.monotonic_ms()
        while True:
            waited = self._clock.monotonic_ms() - start
            if waited >= hold.max_ms:
                return False, waited, hold.holding()
            if self._wait_gone(members, min(HOLD_POLL_MS, hold.max_ms - waited)):
                return True, self._clock.monotonic_ms() - start, False

    def _notice_reap(self) -> None:
        """Someone else (a host reaping with waitpid(-1), or ignoring SIGCHLD)
        may have reaped the child since its exit was seen: from then on its pid
        number is no longer held for us."""
        if self._reaped or not _HAS_WAITID:
            return
        try:
            os.waitid(os.P_PID, self._pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            self._reaped = self._reaped_elsewhere = True

    def _members(self) -> tuple[set[int], set[int]]:
        """Every live process of this session: the child's group, session and
        descendants, every process carrying this session's marker, and every
        process in its cgroup. The second set is the marked or contained ones
        found nowhere else (daemons that left)."""
        self._notice_reap()
        table = list_processes()
        # Until the reap (only the kill reaps, under the lock held here) the pid
        # number is ours, and so is its family; after someone else reaped it,
        # the number is followed only while its group or session holds it.
        if self._reaped:
            family = set(reaped_leader_members(self._pid, table))
        else:
            family = set(related_processes(self._pid, table))
        ours = lineage(os.getpid(), table)
        marked = (set(pids_with_environ_entry(self._marker, table)) | self._containment.pids()) - ours
        return family | marked, marked - family - {self._pid}

    def _signal_all(self, members: set[int], sig: signal.Signals) -> bool:
        signalled = False
        self._notice_reap()
        if not self._reaped_elsewhere:
            try:
                os.killpg(self._pid, sig)
                signalled = True
            except (ProcessLookupError, PermissionError):
                pass
        signalled = signal_pids(members, sig) > 0 or signalled
        if self.exit_status() is None:
            try:
                os.kill(self._pid, sig)
                signalled = True
            except ProcessLookupError:
                pass
        return signalled

    def _wait_gone(self, members: set[int], within_ms: int) -> bool:
        deadline = self._clock.monotonic_ms() + within_ms
        while True:
            child_gone = self.exit_status() is not None
            if child_gone and not any(alive(pid) for pid in members):
                return True
            if self._clock.monotonic_ms() >= deadline:
                return False
            self._clock.sleep_ms(5)

    def _close(self) -> None:
        try:
            self._selector.unregister(self._fd)
        except (KeyError, ValueError):
            pass
        self._selector.close()
        # Close through ptyprocess's own file object, which owns the fd, so it
        # is closed exactly once; then mark the object closed so its __del__
        # does not run its own terminate/close sequence again.
        proc = self._proc
        try:
            proc.fileobj.close()  # type: ignore[attr-defined]
        except OSError:
            pass
        proc.closed = True  # type: ignore[attr-defined]
        proc.fd = -1  # type: ignore[attr-defined]

    def __del__(self) -> None:
        if self._report is None:
            try:
                self.kill()
            except Exception:  # pragma: no cover - best effort at interpreter exit
                pass
