"""Recorded terminal sessions: the fixture format and replay through the real engine.

A fixture is three files under ``fixtures/snapshots/<provider>/<cli-version>/``:

* ``<scenario>.input`` – the raw bytes the CLI wrote to its PTY, unmodified;
* ``<scenario>.screens.txt`` – the screen as rendered at every checkpoint
  (golden text, rewritten by :func:`save_fixture` and
  ``scripts/render_fixture_screens.py``; a renderer change shows as its diff);
* ``<scenario>.json`` – metadata, the timeline and the expected decisions::

    {"format": 1, "provider": "<id>", "cli_version": "2.1.330",
     "scenario": "trust-accept", "rows": 50, "columns": 160,
     "command": ["<binary>", "--bare", ...],
     "events": [{"t": 512, "out": [0, 1831]}, {"t": 690, "key": "down"}, ...],
     "checkpoints": [{"event": 3, "rule": "<id>.workspace_trust", "want": "down"}, ...]}

``events`` is the timeline: output chunks (offset and length into ``.input``)
and the keys that were sent, with milliseconds since spawn. ``checkpoints``
are the decisions expected on the screen as rendered after event N: the rule
that recognises it (or null) and the key the selection logic wants there
(``up``/``down``/``enter``/``escape``/``none``), both taken from the engine's
own code (:func:`screen_verdict`). They must hold however the bytes are split.

:func:`replay_session` runs the recorded output through the real runner, engine
and renderer on a fake clock, and checks the keys the engine sends against the
recorded ones (see its docstring for the time model).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Container, Iterable, Sequence
from typing import Any

import attrs

from workspace_trust.adapters.pty_process import COALESCE_MS
from workspace_trust.adapters.screen import ScreenRenderer
from workspace_trust.domain.codes import Key, TrustState
from workspace_trust.domain.results import ProbeResult
from workspace_trust.engine.dialog import Action, Decision, DialogEngine, best_match, intended_key
from workspace_trust.engine.rules import RuleTable
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.engine.timing import DEFAULT_TIMING, EngineTiming
from workspace_trust.ports import KillHold, KillReport, PtySession, RenderStats
from workspace_trust.providers import all_specs
from workspace_trust.redaction import redact_screen
from workspace_trust.runner import run_session
from workspace_trust.session import SessionFrame, SessionOutcome
from workspace_trust.testing import FakeClock

FORMAT_VERSION = 1
#: The golden file of rendered checkpoint screens, beside ``.json`` and ``.input``.
SCREENS_SUFFIX = ".screens.txt"


@attrs.frozen(slots=True)
class Event:
    t: int
    out: tuple[int, int] | None = None
    key: Key | None = None


@attrs.frozen(slots=True)
class Checkpoint:
    event: int
    rule: str | None
    want: str


@attrs.frozen(slots=True)
class Fixture:
    provider: str
    cli_version: str
    scenario: str
    rows: int
    columns: int
    command: tuple[str, ...]
    data: bytes
    events: tuple[Event, ...]
    checkpoints: tuple[Checkpoint, ...]
    notes: str = ""
    #: The folders the recording's scope check approved (the repository roots
    #: approved before the start), which a replay approves too
    #: (``DialogRule.scope_after``). Empty: none.
    approved_scopes: tuple[str, ...] = ()

    def scope_check(self, shown: str) -> bool:
        """The recording's scope check, replayed: exactly the approved folders."""
        return shown in self.approved_scopes

    def chunk(self, event: Event) -> bytes:
        assert event.out is not None
        offset, length = event.out
        return self.data[offset : offset + length]


def load_fixture(path: str) -> Fixture:
    """Load ``X.json`` (or ``X.input``) and its sibling. Raises ValueError,
    whose message names the file that could not be used."""
    if not path.endswith((".json", ".input")) and not os.path.exists(path + ".json"):
        raise ValueError(f"{path} is not a fixture: name its .json file (X.json, with X.input beside it)")
    base = path.removesuffix(".json").removesuffix(".input")
    try:
        with open(base + ".json", encoding="utf-8") as handle:
            meta = json.load(handle)
        with open(base + ".input", "rb") as handle:
            data = handle.read()
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read fixture {base}: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported fixture format in {base}.json")
    try:
        return _fixture_from(meta, data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"malformed fixture {base}.json: {type(exc).__name__}: {exc}") from exc


def _fixture_from(meta: dict[str, Any], data: bytes) -> Fixture:
    events = tuple(
        Event(
            t=int(e["t"]),
            out=(int(e["out"][0]), int(e["out"][1])) if "out" in e else None,
            key=Key(e["key"]) if "key" in e else None,
        )
        for e in meta["events"]
    )
    checkpoints = tuple(
        Checkpoint(event=int(c["event"]), rule=c.get("rule"), want=str(c["want"])) for c in meta.get("checkpoints", ())
    )
    return Fixture(
        provider=meta["provider"],
        cli_version=meta["cli_version"],
        scenario=meta["scenario"],
        rows=int(meta["rows"]),
        columns=int(meta["columns"]),
        command=tuple(meta["command"]),
        data=data,
        events=events,
        checkpoints=checkpoints,
        notes=meta.get("notes", ""),
        approved_scopes=tuple(str(scope) for scope in meta.get("approved_scopes", ())),
    )


def save_fixture(path: str, fixture: Fixture) -> None:
    base = path.removesuffix(".json").removesuffix(".input")
    os.makedirs(os.path.dirname(os.path.abspath(base)), exist_ok=True)
    meta = {
        "format": FORMAT_VERSION,
        "provider": fixture.provider,
        "cli_version": fixture.cli_version,
        "scenario": fixture.scenario,
        "rows": fixture.rows,
        "columns": fixture.columns,
        "command": list(fixture.command),
        "notes": fixture.notes,
        "events": [
            {"t": e.t, "out": list(e.out)} if e.out is not None else {"t": e.t, "key": e.key.value}  # type: ignore[union-attr]
            for e in fixture.events
        ],
        "checkpoints": [{"event": c.event, "rule": c.rule, "want": c.want} for c in fixture.checkpoints],
    }
    if fixture.approved_scopes:
        meta["approved_scopes"] = list(fixture.approved_scopes)
    with open(base + ".input", "wb") as handle:
        handle.write(fixture.data)
    with open(base + ".json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    with open(base + SCREENS_SUFFIX, "w", encoding="utf-8") as handle:
        handle.write(render_screens(fixture))


# -- timing-free verdicts ---------------------------------------------------------


@attrs.frozen(slots=True)
class ScreenVerdict:
    """What the rules say about one screen taken on its own."""

    rule: str | None
    want: str


def screen_verdict(table: RuleTable, lines: Sequence[str]) -> ScreenVerdict:
    """The rule that recognises a screen and the key the engine works toward there.

    Timing-free, so it is the same however the bytes were chunked; both halves
    are the engine's own code (``best_match``, ``intended_key``), over every
    rule of the table (a fresh engine's view). ``want`` is ``none`` on
    unrecognised screens and on screens that need no key.
    """
    match = best_match(table.rules, TerminalSnapshot(lines=tuple(lines), frame=1, elapsed_ms=0))
    if match is None:
        return ScreenVerdict(rule=None, want="none")
    key = intended_key(match)
    return ScreenVerdict(rule=match.rule.id, want=key.value if key is not None else "none")


def render_checkpoints(
    fixture: Fixture, table: RuleTable, splits: Iterable[int] = (), *, events: Container[int] | None = None
) -> list[tuple[int, ScreenVerdict]]:
    """Feed the fixture's output, optionally re-split at ``splits`` (byte offsets
    into ``.input``), and return the verdict on the screen after every output
    event (or only after those in ``events``). What the engine does on the
    screens in between is checked by :func:`replay_session` with the same splits."""
    cut_points = sorted(set(splits))
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    out: list[tuple[int, ScreenVerdict]] = []
    for index, event in enumerate(fixture.events):
        if event.out is None:
            continue
        start, length = event.out
        end = start + length
        for a, b in itertools.pairwise([start, *(p for p in cut_points if start < p < end), end]):
            renderer.feed(fixture.data[a:b])
            renderer.take_replies()
        if events is None or index in events:
            out.append((index, screen_verdict(table, renderer.lines())))
    return out


# -- golden screens ---------------------------------------------------------------

#: Starts the header line of each screen in a ``.screens.txt`` file. Screen rows
#: follow it, each behind ``|``, so no screen text can look like a header.
SCREEN_HEADER = "@@ event "


def render_screens(fixture: Fixture) -> str:
    """The golden text of a fixture: the screen as rendered, from the recorded
    chunks, after every checkpoint's event.

    Each screen is a header ``@@ event N t=MS faults=F dropped=D`` (the
    renderer's cumulative fault and dropped-sequence counts) and the screen's
    rows, each behind ``|`` and without trailing blanks; blank rows at the
    bottom are left out.
    """
    wanted = sorted({c.event for c in fixture.checkpoints})
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    out = [
        f"# {fixture.provider} {fixture.cli_version} {fixture.scenario}: the screen after each checkpoint's event, "
        f"{fixture.columns}x{fixture.rows}",
        "# Regenerate with: .venv/bin/python scripts/render_fixture_screens.py (docs/updating-dialog-rules.md)",
    ]
    for index, event in enumerate(fixture.events):
        if event.out is not None:
            renderer.feed(fixture.chunk(event))
            renderer.take_replies()
        if index not in wanted:
            continue
        rows = list(renderer.lines())
        while rows and not rows[-1]:
            rows.pop()
        out.append("")
        out.append(f"{SCREEN_HEADER}{index} t={event.t} faults={renderer.faults} dropped={renderer.dropped_sequences}")
        out.extend(f"|{row}" for row in rows)
    return "\n".join(out) + "\n"


def secret_screens(fixture: Fixture) -> tuple[int, ...]:
    """The output events after which the screen shows something the redactor
    would hide (a key, token, email or password, wrapped or not). A fixture
    keeps the CLI's output exactly as it was, so ``record`` warns about these
    before anyone shares the recording."""
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    found: list[int] = []
    for index, event in enumerate(fixture.events):
        if event.out is None:
            continue
        renderer.feed(fixture.chunk(event))
        renderer.take_replies()
        snapshot = renderer.snapshot(index, event.t)
        if redact_screen(snapshot) != snapshot.text:
            found.append(index)
    return tuple(found)


def screens_path(fixture_path: str) -> str:
    return fixture_path.removesuffix(".json").removesuffix(".input") + SCREENS_SUFFIX


# -- replay through the real runner and engine --------------------------------------

#: How long past a recorded key's (shifted) time the replay waits for the engine
#: to send it, holding back the output recorded after it, before it gives up.
KEY_WAIT_LIMIT_MS = 5000


@attrs.frozen(slots=True)
class ReplayedKey:
    """One key the engine sent during a replay, next to the recorded key it was
    checked against."""

    key: Key
    #: Replay time of the key (ms since spawn), as the engine saw it.
    t: int
    #: The rule the engine sent it for.
    rule: str | None
    #: The rule recognising the replayed screen it was sent to (all rules).
    screen_rule: str | None
    #: The recorded key it stands for; None when the recording had no more keys.
    recorded: Key | None = None
    #: When the recorded key was due in replay time (its recorded time, shifted
    #: by how early or late the engine sent the keys before it).
    recorded_t: int | None = None
    #: The rule recognising the recorded screen just before the recorded key.
    recorded_rule: str | None = None

    @property
    def late_ms(self) -> int | None:
        """How much later than recorded the engine sent it (negative: earlier)."""
        return None if self.recorded_t is None else self.t - self.recorded_t


@attrs.frozen(slots=True)
class ReplayFrame:
    event: int
    t: int
    rule: str | None
    phase: str | None
    action: str
    #: The key the runner sent on this frame (none to a CLI that had exited,
    #: whatever the engine decided).
    key: str | None
    recorded_key_next: str | None
    wait_reason: str | None = None


@attrs.frozen(slots=True)
class SessionReplay:
    """What the real runner and engine did over a recorded session."""

    keys: tuple[ReplayedKey, ...]
    recorded_keys: tuple[Key, ...]
    #: How the runner ended (``cancelled`` when a key did not match the recording).
    outcome: SessionOutcome
    frames: tuple[ReplayFrame, ...]
    #: Renderer fault and dropped-sequence counts at the end of the replay.
    render_faults: int
    dropped_sequences: int

    @property
    def problems(self) -> tuple[str, ...]:
        """Every way the replay differs from the recording; empty when it matches."""
        out: list[str] = []
        for number, sent in enumerate(self.keys, start=1):
            where = f"key {number} ({sent.key.value} at t={sent.t} ms, rule {sent.rule})"
            if sent.screen_rule is None:
                out.append(f"{where}: sent to a screen no rule recognises")
            if sent.recorded is None:
                out.append(f"{where}: extra, the recording sent no more keys")
                continue
            if sent.key is not sent.recorded:
                out.append(f"{where}: the recording sent {sent.recorded.value}")
            if sent.rule != sent.recorded_rule:
                out.append(f"{where}: the recorded screen before that key is {sent.recorded_rule}")
        for missing in self.recorded_keys[len(self.keys) :]:
            out.append(f"recorded key {missing.value} was never sent")
        return tuple(out)


@attrs.frozen(slots=True)
class _Piece:
    event: int
    t: int
    data: bytes
    #: How many recorded keys come before it in the timeline.
    after_keys: int


class ReplaySession(PtySession):
    """A :class:`PtySession` that plays a recorded timeline on a fake clock.

    Output is delivered at its recorded time, plus the current shift: a read
    returns at once with the next chunk when it is due within the read's wait
    (the clock jumps to it), keeps taking chunks due within ``COALESCE_MS`` of
    the last one (as the PTY adapter coalesces a repaint), and otherwise lets
    the wait pass. Output recorded after a key is held back until the engine
    sends that key; then the shift becomes (now - the key's recorded time), so
    what followed the key follows it again at the same distance, and whatever
    was recorded before the key and not yet shown is shown at once.
    """

    def __init__(
        self,
        fixture: Fixture,
        table: RuleTable,
        clock: FakeClock,
        *,
        splits: Iterable[int] = (),
        coalesce: bool = True,
        key_wait_limit_ms: int = KEY_WAIT_LIMIT_MS,
    ) -> None:
        self._table = table
        self._clock = clock
        self._started = clock.monotonic_ms()
        self._coalesce = coalesce
        self._key_wait_limit_ms = key_wait_limit_ms
        self._renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
        self._lines = self._renderer.lines()
        self._pieces = _pieces(fixture, splits)
        self._next = 0
        self._recorded_keys = [e for e in fixture.events if e.key is not None]
        self._recorded_rules = _rules_before_keys(fixture, table)
        self._shift = 0
        self._frame = 0
        self._last_event = -1
        self._ended = False
        #: Set when a key does not match the recording: nothing after it can be replayed.
        self.stopped = False
        self.keys: list[ReplayedKey] = []
        #: (frame, replay time, last event delivered, output arrived) per read.
        self.reads: list[tuple[int, int, int, bool]] = []
        #: What the engine decided on each frame (from the runner's ``on_frame``).
        self.decisions: dict[int, Decision] = {}
        #: The key the runner sent on each frame, where it sent one (it sends
        #: none to a CLI that has exited, whatever the engine decided).
        self.sent: dict[int, Key] = {}

    @property
    def pid(self) -> int:
        return 4242  # no process: nothing is ever signalled

    def render_stats(self) -> RenderStats:
        return RenderStats(faults=self._renderer.faults, dropped_sequences=self._renderer.dropped_sequences)

    def _due(self, piece: _Piece) -> int:
        return self._started + piece.t + self._shift

    def _deliverable(self) -> _Piece | None:
        if self._next >= len(self._pieces):
            return None
        piece = self._pieces[self._next]
        return piece if piece.after_keys <= len(self.keys) else None

    def read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
        clock = self._clock
        limit = clock.monotonic_ms() + max(0, timeout_ms)
        fed = False
        while (piece := self._deliverable()) is not None:
            due = self._due(piece)
            if due > (clock.monotonic_ms() + COALESCE_MS if fed else limit):
                break
            clock.advance(max(0, due - clock.monotonic_ms()))
            self._renderer.feed(piece.data)
            self._renderer.take_replies()
            self._next += 1
            self._last_event = piece.event
            fed = True
            if not self._coalesce:
                break
        if fed:
            self._lines = self._renderer.lines()
        else:
            clock.advance(max(0, limit - clock.monotonic_ms()))
        self._frame += 1
        now = clock.monotonic_ms() - self._started
        self.reads.append((self._frame, now, self._last_event, fed))
        return TerminalSnapshot(lines=self._lines, frame=self._frame, elapsed_ms=now)

    def send_key(self, key: Key) -> None:
        """Check ``key`` against the next recorded key. A key the recording does
        not have there stops the replay (``stopped``; the runner's cancellation
        check ends the run)."""
        match = best_match(self._table.rules, TerminalSnapshot(lines=self._lines, frame=self._frame, elapsed_ms=0))
        screen_rule = match.rule.id if match else None
        now = self._clock.monotonic_ms() - self._started
        number = len(self.keys)
        if self.stopped or number >= len(self._recorded_keys):
            self.keys.append(ReplayedKey(key, now, None, screen_rule))
            self.stopped = True
            return
        recorded = self._recorded_keys[number]
        assert recorded.key is not None
        self.keys.append(
            ReplayedKey(
                key,
                now,
                None,
                screen_rule,
                recorded=recorded.key,
                recorded_t=recorded.t + self._shift,
                recorded_rule=self._recorded_rules[number],
            )
        )
        if key is not recorded.key:
            self.stopped = True
            return
        self._shift = now - recorded.t

    def seen(self, frame: SessionFrame) -> None:
        """The runner's ``on_frame``: keeps the decision, and names the rule a
        key just sent was sent for."""
        self.decisions[frame.snapshot.frame] = frame.decision
        if frame.sent is not None:
            self.sent[frame.snapshot.frame] = frame.sent
        if frame.sent is not None and self.keys and self.keys[-1].rule is None:
            self.keys[-1] = attrs.evolve(self.keys[-1], rule=frame.decision.rule_id)

    def exit_status(self) -> int | None:
        """The recording ends once everything in it was shown and every recorded
        key was sent, or when the engine has not sent a recorded key for
        ``key_wait_limit_ms`` after it was due. The process is then gone (the
        recorder killed it; its status is not recorded, so -15 stands for it)."""
        if self._ended:
            return -15
        now = self._clock.monotonic_ms()
        if self._next >= len(self._pieces) and len(self.keys) >= len(self._recorded_keys):
            self._ended = True
        elif len(self.keys) < len(self._recorded_keys) and self._deliverable() is None:
            pending = self._recorded_keys[len(self.keys)]
            self._ended = now - self._started > pending.t + self._shift + self._key_wait_limit_ms
        return -15 if self._ended else None

    def kill(self, *, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
        self._ended = True
        return KillReport(exit_status=-15, signalled=False, escalated=False)


def _pieces(fixture: Fixture, splits: Iterable[int]) -> list[_Piece]:
    cuts = sorted(set(splits))
    out: list[_Piece] = []
    keys = 0
    for index, event in enumerate(fixture.events):
        if event.key is not None:
            keys += 1
            continue
        if event.out is None:
            continue
        start, length = event.out
        end = start + length
        bounds = [start, *(p for p in cuts if start < p < end), end]
        out.extend(
            _Piece(event=index, t=event.t, data=fixture.data[a:b], after_keys=keys)
            for a, b in itertools.pairwise(bounds)
        )
    return out


def _rules_before_keys(fixture: Fixture, table: RuleTable) -> list[str | None]:
    """For every recorded key, the rule recognising the screen it was sent to
    (everything recorded before it, as recorded)."""
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    out: list[str | None] = []
    for event in fixture.events:
        if event.out is not None:
            renderer.feed(fixture.chunk(event))
            renderer.take_replies()
        elif event.key is not None:
            out.append(screen_verdict(table, renderer.lines()).rule)
    return out


def replay_session(
    fixture: Fixture,
    table: RuleTable,
    timing: EngineTiming | None = None,
    *,
    splits: Iterable[int] = (),
    coalesce: bool = True,
    engine: DialogEngine | None = None,
) -> SessionReplay:
    """Replay a recorded session through the real runner, engine and renderer.

    The runner reads frames from a :class:`ReplaySession` on a fake clock that
    starts at the spawn, so the engine's time rules (settle, echo timeout,
    confirmation) run on the recorded times. Every key the engine sends is
    checked, in order, against the recorded keys: a different key, or a key
    after the last recorded one, ends the replay; a recorded key the engine
    does not send within ``KEY_WAIT_LIMIT_MS`` of its time ends it too.
    ``engine`` replaces the table's engine (tests of the replay's own checks). The
    state probe never reports trust, so the engine sees the whole recording,
    including what the CLI drew after trust was saved. With ``splits`` (byte
    offsets into ``.input``) chunks are cut there, and with ``coalesce=False``
    every piece is a frame of its own.
    """
    timing = timing or DEFAULT_TIMING
    clock = FakeClock()
    session = ReplaySession(fixture, table, clock, splits=splits, coalesce=coalesce)
    outcome = run_session(
        session,
        engine if engine is not None else DialogEngine(table, timing, scope_check=fixture.scope_check),
        clock,
        success=lambda: ProbeResult(TrustState.UNKNOWN),
        is_cancelled=lambda: session.stopped,
        timing=timing,
        on_frame=session.seen,
    )
    return SessionReplay(
        keys=tuple(session.keys),
        recorded_keys=tuple(e.key for e in fixture.events if e.key is not None),
        outcome=outcome,
        frames=_trace(fixture, table, session),
        render_faults=outcome.render.faults,
        dropped_sequences=outcome.render.dropped_sequences,
    )


def _trace(fixture: Fixture, table: RuleTable, session: ReplaySession) -> tuple[ReplayFrame, ...]:
    """The frames worth reading: those where output arrived, a key was decided,
    or the rule or the wait reason changed."""
    phases = {rule.id: rule.phase.value for rule in table.rules}
    recorded = [e.key.value for e in fixture.events if e.key is not None]
    out: list[ReplayFrame] = []
    previous: tuple[str | None, str | None] | None = None
    keys_before = 0
    for frame, t, event, fed in session.reads:
        decision = session.decisions.get(frame)
        if decision is None:
            continue
        sent = session.sent.get(frame)
        reason = decision.wait_reason.value if decision.wait_reason else None
        state = (decision.rule_id, reason)
        acted = decision.action is not Action.WAIT
        if fed or acted or state != previous:
            next_key = recorded[keys_before] if keys_before < len(recorded) else None
            out.append(
                ReplayFrame(
                    event=event,
                    t=t,
                    rule=decision.rule_id,
                    phase=phases.get(decision.rule_id or ""),
                    action=decision.action.value,
                    key=sent.value if sent else None,
                    recorded_key_next=next_key if acted else None,
                    wait_reason=reason,
                )
            )
        previous = state
        if sent is not None:
            keys_before += 1
    return tuple(out)


def replay_engine(
    fixture: Fixture, table: RuleTable | None = None, timing: EngineTiming | None = None
) -> list[ReplayFrame]:
    """The replay's trace (see :func:`replay_session`): what the engine decided,
    frame by frame, where something happened. ``table`` defaults to the dialog
    rules of the fixture's provider (a registered one, plug-ins included); a
    provider nobody registered, or one without dialog rules, is a ValueError."""
    if table is None:
        table = fixture_rules(fixture)
    return list(replay_session(fixture, table, timing).frames)


def fixture_rules(fixture: Fixture) -> RuleTable:
    """The dialog rule table of the fixture's provider. Raises ValueError for
    a provider nobody registered or one with no dialog rules."""
    for spec in all_specs():
        if spec.id.value == fixture.provider:
            if spec.rules is None:
                raise ValueError(f"{fixture.provider} has no dialog rules to replay")
            return spec.rules
    known = ", ".join(spec.id.value for spec in all_specs())
    raise ValueError(f"the fixture's provider {fixture.provider!r} is not registered ({known})")
