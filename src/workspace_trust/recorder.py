"""Record a real CLI's startup into the fixture format.

``workspace-trust record`` runs a command in a PTY, drives (or only watches)
the dialog engine with a provider's rules, stores every output chunk and key
with its time, and writes the fixture with the decisions the rules take on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import attrs

from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.pty_process import PtyProcessSession, PtyProcessSpawner
from workspace_trust.domain.codes import Key, TrustState
from workspace_trust.domain.results import ProbeResult
from workspace_trust.engine.dialog import DialogEngine
from workspace_trust.engine.rules import RuleTable
from workspace_trust.engine.timing import EngineTiming
from workspace_trust.fixtures import Checkpoint, Event, Fixture, render_checkpoints
from workspace_trust.ports import SpawnSpec
from workspace_trust.runner import run_session
from workspace_trust.session import SessionOutcome

#: After trust persists, keep recording this long to capture the next screen.
TAIL_AFTER_SUCCESS_MS = 400


@attrs.frozen(slots=True)
class Recording:
    fixture: Fixture
    outcome: SessionOutcome | None


def record_session(
    *,
    command: tuple[str, ...],
    cwd: str,
    env: Mapping[str, str],
    table: RuleTable,
    provider: str,
    cli_version: str,
    scenario: str,
    drive: bool,
    success: Callable[[], ProbeResult] | None = None,
    duration_ms: int = 20000,
    rows: int = 50,
    columns: int = 160,
    notes: str = "",
    approved_scopes: tuple[str, ...] = (),
) -> Recording:
    clock = SystemClock()
    spawner = PtyProcessSpawner(clock)
    session = spawner.spawn(SpawnSpec(argv=command, cwd=cwd, env=env, rows=rows, columns=columns))
    assert isinstance(session, PtyProcessSession)
    started = time.monotonic()
    data = bytearray()
    events: list[Event] = []

    def now_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    def tap(chunk: bytes) -> None:
        events.append(Event(t=now_ms(), out=(len(data), len(chunk))))
        data.extend(chunk)

    session.tap = tap
    original_send = session.send_key

    def send_and_log(key: Key) -> None:
        events.append(Event(t=now_ms(), key=key))
        original_send(key)

    session.send_key = send_and_log  # type: ignore[method-assign]
    outcome: SessionOutcome | None = None
    try:
        if drive:
            timing = EngineTiming(total_budget_ms=duration_ms)
            outcome = run_session(
                session,
                DialogEngine(table, timing, scope_check=lambda shown: shown in approved_scopes),
                clock,
                success=success or (lambda: ProbeResult(TrustState.UNKNOWN)),
                is_cancelled=lambda: False,
                timing=timing,
            )
            tail_end = clock.monotonic_ms() + TAIL_AFTER_SUCCESS_MS
            while clock.monotonic_ms() < tail_end and session.exit_status() is None:
                session.read_snapshot(50)
        else:
            deadline = clock.monotonic_ms() + duration_ms
            while clock.monotonic_ms() < deadline and session.exit_status() is None:
                session.read_snapshot(50)
            session.read_snapshot(0)
    finally:
        session.kill()

    draft = Fixture(
        provider=provider,
        cli_version=cli_version,
        scenario=scenario,
        rows=rows,
        columns=columns,
        command=command,
        data=bytes(data),
        events=tuple(events),
        checkpoints=(),
        notes=notes,
        approved_scopes=approved_scopes,
    )
    return Recording(fixture=attrs.evolve(draft, checkpoints=derive_checkpoints(draft, table)), outcome=outcome)


def derive_checkpoints(fixture: Fixture, table: RuleTable) -> tuple[Checkpoint, ...]:
    """A checkpoint wherever the verdict changes, plus the last output event."""
    out: list[Checkpoint] = []
    previous = None
    rendered = render_checkpoints(fixture, table)
    for position, (event, verdict) in enumerate(rendered):
        if verdict != previous or position == len(rendered) - 1:
            out.append(Checkpoint(event=event, rule=verdict.rule, want=verdict.want))
        previous = verdict
    return tuple(out)
