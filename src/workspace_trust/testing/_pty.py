"""The PTY port's fakes (a scripted TUI behind a fake session and spawner),
and the one contract every :class:`~workspace_trust.ports.PtySession` must keep."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from workspace_trust.domain.codes import Key
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.errors import BinaryMissingError
from workspace_trust.ports import KillHold, KillReport, PtySession, PtySpawner, RenderStats, SpawnSpec
from workspace_trust.testing._clock import FakeClock
from workspace_trust.testing._files import FakeProviderLockFiles


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
