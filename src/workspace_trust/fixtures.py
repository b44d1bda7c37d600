"""Recorded terminal sessions: the fixture format, the recorder and replay.

A fixture is two files under ``fixtures/snapshots/<provider>/<cli-version>/``:

* ``<scenario>.input`` – the raw bytes the CLI wrote to its PTY, unmodified;
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
(``up``/``down``/``enter``/``none``). Replay must reproduce them however the
bytes are split into chunks.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from workspace_trust.adapters.screen import ScreenRenderer
from workspace_trust.domain.codes import Key
from workspace_trust.engine.dialog import Action, DialogEngine
from workspace_trust.engine.rules import RuleTable, match_rule
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.engine.timing import EngineTiming

FORMAT_VERSION = 1


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

    def chunk(self, event: Event) -> bytes:
        assert event.out is not None
        offset, length = event.out
        return self.data[offset : offset + length]


def load_fixture(path: str) -> Fixture:
    """Load ``X.json`` (or ``X.input``) and its sibling. Raises ValueError."""
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
    with open(base + ".input", "wb") as handle:
        handle.write(fixture.data)
    with open(base + ".json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=1, ensure_ascii=False)
        handle.write("\n")


@attrs.frozen(slots=True)
class ScreenVerdict:
    """What the rules say about one screen taken on its own."""

    rule: str | None
    want: str


def screen_verdict(table: RuleTable, lines: Sequence[str]) -> ScreenVerdict:
    """The rule that recognises a screen and the key its selection wants there.

    Pure and timing-free, so it is the same however the bytes were chunked.
    ``want`` is ``none`` on unrecognised screens and on screens that need no key.
    """
    snapshot = TerminalSnapshot(lines=tuple(lines), frame=1, elapsed_ms=0)
    best = None
    for rule in table.rules:
        match = match_rule(rule, snapshot)
        if match is not None and (
            best is None or (rule.priority, match.anchor_row) > (best.rule.priority, best.anchor_row)
        ):
            best = match
    if best is None:
        return ScreenVerdict(rule=None, want="none")
    rule = best.rule
    if rule.select is None:
        return ScreenVerdict(rule=rule.id, want="escape" if rule.abort_key else "none")
    targets = [r for r in best.rows_for(rule.select) if not r.forbidden]
    cursors = best.cursor_rows
    if len(targets) != 1 or len(cursors) != 1:
        return ScreenVerdict(rule=rule.id, want="none")
    if cursors[0].row == targets[0].row:
        return ScreenVerdict(rule=rule.id, want="enter")
    return ScreenVerdict(rule=rule.id, want="down" if targets[0].row > cursors[0].row else "up")


def render_checkpoints(
    fixture: Fixture, table: RuleTable, splits: Iterable[int] = ()
) -> list[tuple[int, ScreenVerdict, list[ScreenVerdict]]]:
    """Feed the fixture's output, optionally re-split at ``splits`` (byte offsets
    into ``.input``), and return, for every output event, the verdict on the
    screen after it plus the verdicts on every intermediate screen."""
    cut_points = sorted(set(splits))
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    out: list[tuple[int, ScreenVerdict, list[ScreenVerdict]]] = []
    for index, event in enumerate(fixture.events):
        if event.out is None:
            continue
        start, length = event.out
        end = start + length
        inner = [p for p in cut_points if start < p < end]
        bounds = [start, *inner, end]
        intermediate: list[ScreenVerdict] = []
        for a, b in itertools.pairwise(bounds):
            renderer.feed(fixture.data[a:b])
            renderer.take_replies()
            if b != end:
                intermediate.append(screen_verdict(table, renderer.lines()))
        out.append((index, screen_verdict(table, renderer.lines()), intermediate))
    return out


@attrs.frozen(slots=True)
class ReplayFrame:
    event: int
    t: int
    rule: str | None
    phase: str | None
    action: str
    key: str | None
    recorded_key_next: str | None


def replay_engine(fixture: Fixture, table: RuleTable, timing: EngineTiming | None = None) -> list[ReplayFrame]:
    """Run the real engine over the recorded timeline, one frame per output event.

    Returns what the engine decided on each frame, next to the key that was
    actually sent next in the recording.
    """
    engine = DialogEngine(table, timing or EngineTiming())
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    frames: list[ReplayFrame] = []
    frame_no = 0
    phases = {rule.id: rule.phase.value for rule in table.rules}
    for index, event in enumerate(fixture.events):
        if event.out is None:
            continue
        renderer.feed(fixture.chunk(event))
        renderer.take_replies()
        frame_no += 1
        snapshot = TerminalSnapshot(lines=renderer.lines(), frame=frame_no, elapsed_ms=event.t)
        decision = engine.observe(snapshot)
        next_key = next((e.key.value for e in fixture.events[index + 1 :] if e.key is not None), None)
        frames.append(
            ReplayFrame(
                event=index,
                t=event.t,
                rule=decision.rule_id,
                phase=phases.get(decision.rule_id or ""),
                action=decision.action.value,
                key=decision.key.value if decision.key else None,
                recorded_key_next=next_key if decision.action is not Action.WAIT else None,
            )
        )
    return frames
