"""Fakes for every port, so hosts can test their integration without a real CLI.

* :class:`FakeClock` – time that moves only when something sleeps or reads.
* :class:`FakeTui` / :class:`FakePtySpawner` – a scripted provider screen with
  menus, a cursor, wrap-around, dropped keys and a key log.
* :class:`FakeStateProbe` – a provider state file in memory.
* :class:`FakeLocks` – an in-memory lock port that records what was held.
* :class:`FakeProviderLockFiles` – a provider's own lock files, aged by the fake clock.

The library's own tests use these; they are public API.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from workspace_trust.domain.codes import Code, Key, Provider, TrustState
from workspace_trust.domain.errors import StateFileError
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace
from workspace_trust.domain.results import ProbeResult, TrustSource
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.errors import BinaryMissingError, LockTimeoutError, PreflightCancelled
from workspace_trust.ports import (
    BinaryLocator,
    Clock,
    FileSystemFacts,
    HelpReader,
    IsCancelled,
    KillHold,
    KillReport,
    LockFileStamp,
    LockHold,
    LockPort,
    OpenStateFile,
    ProviderLockFiles,
    PtySession,
    PtySpawner,
    RenderStats,
    ScratchSpace,
    SpawnSpec,
    StateFileInfo,
    StateFiles,
    StateProbe,
)
from workspace_trust.providers import all_specs, spec_for


class FakeClock(Clock):
    def __init__(self, start_ms: int = 0) -> None:
        self.now_ms = start_ms
        self.sleeps: list[int] = []

    def monotonic_ms(self) -> int:
        return self.now_ms

    def sleep_ms(self, ms: int) -> None:
        self.sleeps.append(ms)
        self.now_ms += max(0, ms)

    def advance(self, ms: int) -> None:
        self.now_ms += ms


@attrs.frozen(slots=True)
class FakeScreen:
    """One screen of a scripted TUI.

    ``options`` are drawn below ``lines``, the selected one led by ``glyph``.
    ``on_enter`` maps an option index to the name of the next screen, or to
    ``"exit:<code>"``. ``effects`` maps an option index to a callback run when
    Enter is pressed on it (for example: persist trust in a fake state file).
    """

    lines: tuple[str, ...]
    options: tuple[str, ...] = ()
    cursor: int = 0
    glyph: str = "❯"
    numbered: bool = False
    footer: tuple[str, ...] = ()
    on_enter: Mapping[int, str] = attrs.field(factory=dict)
    effects: Mapping[int, Callable[[], None]] = attrs.field(factory=dict)
    wrap: bool = True


@attrs.define
class FakeTui:
    """A scripted provider TUI. Mutable: it is the process's state."""

    screens: dict[str, FakeScreen]
    current: str
    #: Milliseconds after spawn before the first screen is drawn.
    first_paint_ms: int = 0
    #: Indexes (0-based, over all keys received) of keys the TUI ignores.
    drop_keys: frozenset[int] = frozenset()
    #: Key index -> milliseconds the TUI takes to get to that key (a loaded
    #: machine, a slow render). Keys are taken in the order received, so every
    #: key after a late one waits for it too.
    lag_keys: Mapping[int, int] = attrs.field(factory=dict)
    #: Milliseconds each read advances the fake clock when nothing is pending.
    frame_ms: int = 10
    #: This long after the first paint, the first screen takes its cursor back
    #: to the row it was drawn with, undoing any move made before (Claude Code
    #: 2.1.248 to 2.1.332 do this ~140 ms after paint, and draw it). None: never.
    reset_after_paint_ms: int | None = None
    reset_done: bool = attrs.field(init=False, default=False)
    cursor: int = -1
    keys: list[Key] = attrs.field(factory=list)
    exit_code: int | None = None
    #: On SIGTERM, the TUI saves on its way out: it holds ``exit_lock`` (a
    #: path in ``lock_files``) for this many milliseconds, then exits and
    #: releases it. SIGKILL inside that window leaves the lock behind.
    exit_save_ms: int | None = None
    exit_lock: str | None = None
    lock_files: FakeProviderLockFiles | None = None
    #: Called once when the session is killed while the TUI still runs (what
    #: the CLI does on its way out, such as a last write of its state file).
    on_term: Callable[[], None] | None = None
    #: What the session's renderer reports (``PtySession.render_stats``).
    render_faults: int = 0
    dropped_sequences: int = 0

    _first_screen: str = attrs.field(init=False, default="")
    #: Keys received and not taken yet: (when they are taken, index, key).
    _queued: list[tuple[int, int, Key]] = attrs.field(init=False, factory=list)

    def __attrs_post_init__(self) -> None:
        self._first_screen = self.current
        if self.cursor < 0:
            self.cursor = self.screens[self.current].cursor

    def reset_if_due(self, since_paint_ms: int) -> None:
        """The post-paint reset (``reset_after_paint_ms``), once, on the first screen."""
        due = self.reset_after_paint_ms
        if self.reset_done or due is None or since_paint_ms < due:
            return
        self.reset_done = True
        if self.exit_code is None and self.current == self._first_screen:
            self.cursor = self.screens[self.current].cursor

    def receive(self, key: Key, now_ms: int) -> None:
        """A key arrives at ``now_ms``: taken at once, or queued behind a late
        one (``lag_keys``)."""
        index = len(self.keys)
        self.keys.append(key)
        due = now_ms + self.lag_keys.get(index, 0)
        if self._queued:
            due = max(due, self._queued[-1][0])
        self._queued.append((due, index, key))
        self.take_due(now_ms)

    def take_due(self, now_ms: int) -> None:
        """Take the queued keys whose time has come, in order."""
        while self._queued and self._queued[0][0] <= now_ms:
            _, index, key = self._queued.pop(0)
            self._take(index, key)

    def press(self, key: Key) -> None:
        """A key taken at once."""
        index = len(self.keys)
        self.keys.append(key)
        self._take(index, key)

    def _take(self, index: int, key: Key) -> None:
        if index in self.drop_keys or self.exit_code is not None:
            return
        screen = self.screens[self.current]
        count = len(screen.options)
        if key in (Key.UP, Key.DOWN) and count:
            step = -1 if key is Key.UP else 1
            moved = self.cursor + step
            if screen.wrap:
                moved %= count
            self.cursor = min(max(moved, 0), count - 1)
        elif key is Key.ENTER and self.cursor in screen.on_enter:
            effect = screen.effects.get(self.cursor)
            if effect is not None:
                effect()
            target = screen.on_enter[self.cursor]
            if target.startswith("exit:"):
                self.exit_code = int(target.split(":", 1)[1])
            else:
                self.current = target
                self.cursor = self.screens[target].cursor
        elif key is Key.ESCAPE:
            self.exit_code = 0

    def render(self) -> tuple[str, ...]:
        screen = self.screens[self.current]
        rows = list(screen.lines)
        for index, label in enumerate(screen.options):
            lead = screen.glyph if index == self.cursor else " " * len(screen.glyph)
            number = f"{index + 1}. " if screen.numbered else ""
            rows.append(f"  {lead} {number}{label}")
        rows.extend(screen.footer)
        return tuple(rows)


class FakePtySession(PtySession):
    def __init__(self, tui: FakeTui, clock: FakeClock, spec: SpawnSpec) -> None:
        self.tui = tui
        self.spec = spec
        self._clock = clock
        self._started = clock.monotonic_ms()
        self._frame = 0
        self.killed = False
        self.kill_calls = 0
        #: The ``hold`` each kill was given.
        self.holds: list[KillHold | None] = []
        #: The ``term_grace_ms`` each kill was given.
        self.term_graces: list[int | None] = []
        self._report: KillReport | None = None

    @property
    def pid(self) -> int:
        return 4242

    def read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
        self._clock.advance(max(1, min(timeout_ms, self.tui.frame_ms)))
        self._frame += 1
        elapsed = self._clock.monotonic_ms() - self._started
        lines: tuple[str, ...] = ()
        if not self.killed:
            self.tui.take_due(elapsed)
        if elapsed >= self.tui.first_paint_ms and not self.killed:
            self.tui.reset_if_due(elapsed - self.tui.first_paint_ms)
            lines = self.tui.render()
        return TerminalSnapshot(lines=lines, frame=self._frame, elapsed_ms=elapsed)

    def send_key(self, key: Key) -> None:
        if self.killed:
            raise AssertionError("key sent to a killed session")
        elapsed = self._clock.monotonic_ms() - self._started
        self.tui.reset_if_due(elapsed - self.tui.first_paint_ms)
        self.tui.receive(key, elapsed)

    def exit_status(self) -> int | None:
        return self.tui.exit_code

    def render_stats(self) -> RenderStats:
        return RenderStats(faults=self.tui.render_faults, dropped_sequences=self.tui.dropped_sequences)

    def kill(self, *, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
        self.kill_calls += 1
        self.holds.append(hold)
        self.term_graces.append(term_grace_ms)
        if self._report is None:
            signalled = self.tui.exit_code is None
            held_ms, escalated, killed_holding = 0, False, False
            if signalled:
                if self.tui.on_term is not None:
                    self.tui.on_term()
                held_ms, escalated, killed_holding = self._save_on_exit(hold)
                self.tui.exit_code = -9 if escalated else -15
            self.killed = True
            self._report = KillReport(
                exit_status=self.tui.exit_code,
                signalled=signalled,
                escalated=escalated,
                held_ms=held_ms,
                killed_holding=killed_holding,
            )
        return self._report

    def _save_on_exit(self, hold: KillHold | None) -> tuple[int, bool, bool]:
        """SIGTERM while the TUI saves on exit (``FakeTui.exit_save_ms``): it
        holds its lock that long. Returns (ms SIGKILL was held back, SIGKILL
        was sent, the lock was still held then)."""
        tui, files = self.tui, self.tui.lock_files
        if tui.exit_save_ms is None or files is None or tui.exit_lock is None:
            return 0, False, False
        files.make(tui.exit_lock)
        released_at = self._clock.monotonic_ms() + tui.exit_save_ms
        start = self._clock.monotonic_ms()

        def saving() -> bool:
            if self._clock.monotonic_ms() >= released_at:
                files.release(tui.exit_lock or "")
                return False
            return True

        if hold is not None:
            while saving() and self._clock.monotonic_ms() - start < hold.max_ms:
                self._clock.advance(20)
        held_ms = self._clock.monotonic_ms() - start
        if saving():
            # SIGKILL: the lock stays where the process left it.
            return held_ms, True, files.inspect(tui.exit_lock) is not None
        return held_ms, False, False


class FakePtySpawner(PtySpawner):
    """Spawns :class:`FakePtySession` from a factory; records every spawn."""

    def __init__(
        self,
        tui_factory: Callable[[SpawnSpec], FakeTui],
        clock: FakeClock,
        *,
        missing_binaries: frozenset[str] = frozenset(),
    ) -> None:
        self._factory = tui_factory
        self._clock = clock
        self._missing = missing_binaries
        self.sessions: list[FakePtySession] = []

    def spawn(self, spec: SpawnSpec) -> PtySession:
        if spec.argv[0] in self._missing:
            raise BinaryMissingError(f"{spec.argv[0]} not found")
        session = FakePtySession(self._factory(spec), self._clock, spec)
        self.sessions.append(session)
        return session


class FakeStateProbe(StateProbe):
    """A provider state file in memory: a set of trusted keys."""

    def __init__(self, trusted: set[str] | None = None, *, unknown: bool = False) -> None:
        self.trusted: set[str] = set(trusted or ())
        self.unknown = unknown
        self.reads = 0

    def trust(self, key: str) -> None:
        self.trusted.add(key)

    def read_trust(self, workspace: Workspace) -> ProbeResult:
        self.reads += 1
        if self.unknown:
            return ProbeResult(state=TrustState.UNKNOWN)
        for key, source in (
            (workspace.absolute_path, TrustSource.EXACT),
            (workspace.real_path, TrustSource.REAL),
        ):
            if key in self.trusted:
                return ProbeResult(TrustState.TRUSTED, trusted_key=key, source=source)
        return ProbeResult(state=TrustState.UNTRUSTED)


class FakeProviderLockFiles(ProviderLockFiles):
    """A provider's own lock files in memory, aged by a :class:`FakeClock`."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._made: dict[str, tuple[int, int]] = {}
        self._next_inode = 1000
        #: Locks a holder keeps refreshing (their age stays 0).
        self.refreshed: set[str] = set()
        self.removed: list[str] = []

    def make(self, path: str, *, age_ms: int = 0, refreshed: bool = False) -> None:
        self._next_inode += 1
        self._made[path] = (self._next_inode, self._clock.monotonic_ms() - age_ms)
        if refreshed:
            self.refreshed.add(path)

    def release(self, path: str) -> None:
        self._made.pop(path, None)
        self.refreshed.discard(path)

    def inspect(self, path: str) -> LockFileStamp | None:
        made = self._made.get(path)
        if made is None:
            return None
        inode, at = made
        age = 0 if path in self.refreshed else self._clock.monotonic_ms() - at
        return LockFileStamp(path=path, inode=inode, is_dir=True, mtime_ns=at * 1_000_000, age_ms=age)

    def remove_left_behind(self, stamp: LockFileStamp) -> bool:
        now = self.inspect(stamp.path)
        if now is None or now.inode != stamp.inode or stamp.path in self.refreshed:
            return False
        self.release(stamp.path)
        self.removed.append(stamp.path)
        return True


class _FakeOpenStateFile(OpenStateFile):
    def __init__(self, files: FakeStateFiles, path: str, data: bytes, info: StateFileInfo) -> None:
        self._files = files
        self._path = path
        self._data = data
        self._offset = 0
        self.info = info

    def close(self) -> None:
        pass

    def chunks(self, size: int, limit: int) -> Iterator[bytes]:
        while True:
            chunk = self.read_at_most(size)
            if not chunk:
                return
            if self._offset > limit:
                raise StateFileError(f"the state file is over {limit} bytes", code=Code.STATE_FILE_TOO_LARGE)
            yield chunk

    def read_at_most(self, count: int) -> bytes:
        chunk = self._data[self._offset : self._offset + count]
        self._offset += len(chunk)
        return chunk

    def changed(self) -> bool:
        return self._files.stamp_of(self._path) != self.info.stamp


class FakeStateFiles(StateFiles):
    """Provider state files in memory: ``files[path] = bytes``. Writing a path
    again (``put``) changes its stamp, as a rewrite does. Paths given in
    ``unreadable`` fail the way a FIFO or a folder does."""

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        self.files: dict[str, bytes] = dict(files or {})
        self.unreadable: set[str] = set()
        self.links: dict[str, str] = {}
        self.reads: list[str] = []
        self._versions: dict[str, int] = {}

    def put(self, path: str, data: bytes) -> None:
        self.files[path] = data
        self._versions[path] = self._versions.get(path, 0) + 1

    def stamp_of(self, path: str) -> tuple[int, int, int, int]:
        return (hash(path) & 0xFFFF, len(self.files.get(path, b"")), self._versions.get(path, 0), 0)

    def stat(self, path: str, what: str) -> StateFileInfo | None:
        path = self.links.get(path, path)
        if path in self.unreadable:
            raise StateFileError(f"{what} is not a regular file", code=Code.STATE_FILE_UNREADABLE)
        if path not in self.files:
            return None
        return StateFileInfo(self.stamp_of(path), len(self.files[path]))

    def open(self, path: str, what: str) -> OpenStateFile | None:
        info = self.stat(path, what)
        if info is None:
            return None
        real = self.links.get(path, path)
        self.reads.append(real)
        return _FakeOpenStateFile(self, real, self.files[real], info)

    def real_path(self, path: str) -> str:
        return self.links.get(path, path)


class FakeBinaryLocator(BinaryLocator):
    """Executables that exist only here: ``FakeBinaryLocator({"mycli"})`` finds
    ``mycli`` on any PATH as ``/fake/bin/mycli``, and that path is executable."""

    def __init__(self, names: Iterable[str] = (), *, folder: str = "/fake/bin") -> None:
        self.folder = folder
        self.names = set(names)

    def is_executable(self, path: str) -> bool:
        return path.startswith(self.folder + "/") and path.rsplit("/", 1)[1] in self.names

    def which(self, name: str, search_path: str) -> str | None:
        return f"{self.folder}/{name}" if name in self.names else None


class FakeScratchSpace(ScratchSpace):
    """Scratch folders in memory: ``folders[path][name] = bytes``; ``removed``
    lists the folders removed, so a test can check every one was."""

    def __init__(self) -> None:
        self.folders: dict[str, dict[str, bytes]] = {}
        self.removed: list[str] = []

    def make(self) -> str:
        path = f"/fake/scratch/{len(self.folders) + len(self.removed)}"
        self.folders[path] = {}
        return path

    def write(self, folder: str, name: str, data: bytes) -> str:
        self.folders[folder][name] = data
        return f"{folder}/{name}"

    def remove(self, folder: str) -> None:
        self.folders.pop(folder, None)
        self.removed.append(folder)


class FakeFileSystemFacts(FileSystemFacts):
    """File-system facts from a table, for planning without a file system: every
    absolute path is an existing folder that is its own real path, unless
    ``facts`` says otherwise; the home is the environment's ``HOME``, and the
    account's own (the password database's) is ``account_homes``, if any."""

    def __init__(
        self,
        facts: Mapping[str, PathFacts] | None = None,
        host: HostOs = HostOs.LINUX,
        account_homes: tuple[str, ...] = (),
    ) -> None:
        self.facts = dict(facts or {})
        self._host = host
        self._account_homes = account_homes

    @property
    def host(self) -> HostOs:
        return self._host

    def account_homes(self) -> tuple[str, ...]:
        return self._account_homes

    def gather(self, path: str, *, env: Mapping[str, str] | None = None) -> PathFacts:
        if path in self.facts:
            return self.facts[path]
        if not path.startswith("/"):
            raise ValueError("workspace path must be absolute")
        home = (env or {}).get("HOME")
        return PathFacts(absolute=path, real=path, home=home, real_home=home, exists=True, is_dir=True)


class FakeLocks(LockPort):
    """``contended``: keys another holder has, so ``on_wait`` is called (the
    lock is then taken after no wait, or times out with ``always_timeout``)."""

    def __init__(self, *, always_timeout: bool = False, contended: Iterable[str] = ()) -> None:
        self.held: list[str] = []
        self.always_timeout = always_timeout
        self.contended = set(contended)

    @contextlib.contextmanager
    def hold(
        self,
        key: str,
        *,
        timeout_ms: int,
        is_cancelled: IsCancelled,
        on_wait: Callable[[], None] | None = None,
    ) -> Iterator[LockHold]:
        if on_wait is not None and (key in self.contended or "*" in self.contended):
            on_wait()
        if self.always_timeout:
            raise LockTimeoutError(f"lock {key} not acquired within {timeout_ms} ms")
        self.held.append(key)
        yield LockHold(key=key, waited_ms=0)


__all__ = [
    "FakeBinaryLocator",
    "FakeClock",
    "FakeFileSystemFacts",
    "FakeHelpReader",
    "FakeLocks",
    "FakeProviderLockFiles",
    "FakePtySession",
    "FakePtySpawner",
    "FakeScratchSpace",
    "FakeScreen",
    "FakeStateFiles",
    "FakeStateProbe",
    "FakeTui",
]


# -- real CLIs ------------------------------------------------------------------
#
# The pinned CLIs are installed from the npm registry by ``./dev clis`` into
# ``$WORKSPACE_TRUST_CLI_DIR/<name>-<version>``. These helpers find them and
# give each test a fresh, seeded HOME.

CLI_DIR_ENV = "WORKSPACE_TRUST_CLI_DIR"


def cli_dir() -> str:
    return os.environ.get(CLI_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "workspace-trust", "clis")


def installed_cli(name: str, version: str) -> str | None:
    """Path of a pinned CLI's binary, or None when it is not installed."""
    path = os.path.join(cli_dir(), f"{name}-{version}", "node_modules", ".bin", name)
    return path if os.access(path, os.X_OK) else None


def seed_home(provider: str, home: str, **options: Any) -> dict[str, str]:
    """Seed a fresh HOME so the provider goes straight to its trust dialog
    (each provider's ``seed_test_home``; what each seed is for is recorded in
    ``docs/providers.md``). ``options`` are that provider's own (see its spec).

    Returns extra environment variables the provider needs.
    """
    spec = spec_for(Provider(provider))
    if spec.seed_test_home is None:
        raise ValueError(f"{provider} has no test HOME seed")
    os.makedirs(home, exist_ok=True)
    return dict(spec.seed_test_home(home, **options))


def base_env(home: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment for running a provider CLI with a fresh HOME."""
    env = {
        "HOME": home,
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "USER": os.environ.get("USER", "user"),
        "LOGNAME": os.environ.get("LOGNAME", "user"),
    }
    env.update(extra or {})
    return env


def check_pty_port(make_session: Callable[[], PtySession], *, expect_text: str) -> None:
    """One contract for every :class:`PtySession` implementation.

    ``make_session`` starts a session whose screen eventually shows
    ``expect_text`` and which keeps running until killed. Raises AssertionError.
    """
    session = make_session()
    try:
        assert session.pid > 0
        frames: list[int] = []
        seen = False
        for _ in range(400):
            snap = session.read_snapshot(25)
            frames.append(snap.frame)
            if any(expect_text in line for line in snap.lines):
                seen = True
                break
        assert seen, f"{expect_text!r} never appeared on screen"
        assert frames == sorted(set(frames)), "frame numbers must grow on every read"
        quiet = session.read_snapshot(0)
        assert quiet.frame > frames[-1], "a read with no output is still a new frame"
        assert session.exit_status() is None, "the program should still be running"
        stats = session.render_stats()
        assert stats.faults >= 0 and stats.dropped_sequences >= 0
        for key in (Key.DOWN, Key.UP):
            session.send_key(key)
    finally:
        report = session.kill()
    assert report.survivors == ()
    assert session.exit_status() is not None, "kill must reap the process"
    again = session.kill()
    assert again == report, "kill must be idempotent"


def all_protected_help() -> str:
    """A ``--help`` text naming every flag a registered provider's protected command needs."""
    return " ".join(spec.protected_help for spec in all_specs() if spec.protected_help)


class FakeHelpReader(HelpReader):
    """Returns a fixed ``--help`` text (by default one that lists every flag any
    registered provider's protected command needs: ``ProviderSpec.protected_help``).

    With a ``clock``, each read takes ``takes_ms`` of it; a read that would take
    longer than its ``timeout_ms`` stops there and returns None, as a command
    cut short by its deadline does. A cancelled read raises ``PreflightCancelled``.
    """

    def __init__(
        self,
        text: str | object | None = ...,
        *,
        clock: FakeClock | None = None,
        takes_ms: int = 0,
        version: str | None = None,
    ) -> None:
        self.text: str | None = all_protected_help() if text is ... else text  # type: ignore[assignment]
        #: What ``read_version`` answers (None: the version cannot be told).
        self.version = version
        self.version_calls: list[str] = []
        self.clock = clock
        self.takes_ms = takes_ms
        self.calls: list[str] = []
        #: The ``timeout_ms`` of each read.
        self.timeouts: list[int] = []

    def read_help(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        self.calls.append(binary)
        self.timeouts.append(timeout_ms)
        if is_cancelled():
            raise PreflightCancelled("cancelled while reading --help")
        if self.clock is not None:
            self.clock.advance(max(0, min(self.takes_ms, timeout_ms)))
        if self.takes_ms > timeout_ms:
            return None
        return self.text

    def read_version(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        self.version_calls.append(binary)
        if is_cancelled():
            raise PreflightCancelled("cancelled while reading the version")
        return self.version

    def known_version(self, binary: str) -> str | None:
        return self.version
