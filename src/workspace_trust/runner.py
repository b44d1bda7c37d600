"""Drives a :class:`DialogEngine` against one PTY session, through the ports.

The engine decides; this loop reads frames, sends the engine's keys, polls the
success callback (the provider's state probe), and turns the end of the session
into a :class:`SessionOutcome`. It never decides on its own to press a key, and
it checks cancellation before every read and before every key.
"""

from __future__ import annotations

from collections.abc import Callable

from workspace_trust.domain.codes import Key, WaitReason
from workspace_trust.domain.results import ProbeResult
from workspace_trust.engine.dialog import Action, DialogEngine, FinishReason
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.engine.timing import DEFAULT_TIMING, EngineTiming
from workspace_trust.ports import Clock, IsCancelled, PtySession
from workspace_trust.session import SessionEnd, SessionFrame, SessionOutcome

SuccessCheck = Callable[[], ProbeResult]
#: Asked right before Enter is sent: may it be?
BeforeEnter = Callable[[], bool]


def run_session(
    session: PtySession,
    engine: DialogEngine,
    clock: Clock,
    *,
    success: SuccessCheck,
    is_cancelled: IsCancelled,
    timing: EngineTiming = DEFAULT_TIMING,
    on_frame: Callable[[SessionFrame], None] | None = None,
    before_enter: BeforeEnter | None = None,
) -> SessionOutcome:
    """Run until trust is persisted, the engine finishes, or the budget runs out.

    The caller owns the session and must kill it afterwards (on every path);
    this function never kills it, so the caller's ``finally`` is the one place.
    ``on_frame`` sees every frame the engine decided on, once the runner has
    acted on the decision (fixture replay traces the run with it).
    ``before_enter`` is asked right before every Enter; False: the Enter is
    not sent and the run ends with ``SessionEnd.ENTER_REFUSED`` (the folder
    check of ``workspace_trust.folder_check``).
    """
    started = clock.monotonic_ms()
    deadline = started + timing.total_budget_ms
    awaiting_since: int | None = None
    last_poll = -(10**9)
    #: When Enter was sent (the probe is polled fast for a while after it).
    entered: int | None = None
    last_snapshot: TerminalSnapshot | None = None
    last_probe: ProbeResult | None = None
    first_dialog_ms: int | None = None
    frames = 0
    sent: list[Key] = []
    #: When the engine's current wait ends by time (runner clock), if it does.
    wake_at: int | None = None

    def send(key: Key) -> None:
        session.send_key(key)
        sent.append(key)

    def refused(key: Key) -> bool:
        return key is Key.ENTER and before_enter is not None and not before_enter()

    def outcome(end: SessionEnd, exit_status: int | None = None) -> SessionOutcome:
        return SessionOutcome(
            end=end,
            probe=last_probe,
            matched_rule_ids=engine.matched_rule_ids,
            keys=tuple(sent),
            last_rule_id=engine.last_rule_id,
            last_wait_reason=engine.last_wait_reason,
            frames=frames,
            exit_status=exit_status,
            last_snapshot=last_snapshot,
            first_dialog_ms=first_dialog_ms,
            render=session.render_stats(),
        )

    while True:
        if is_cancelled():
            return outcome(SessionEnd.CANCELLED)
        now = clock.monotonic_ms()
        poll_every = timing.success_poll_ms
        if entered is not None and now - entered < timing.success_fast_window_ms:
            poll_every = min(poll_every, timing.success_fast_poll_ms)
        if engine.awaiting_success and now - last_poll >= poll_every:
            last_poll = now
            last_probe = success()
            if last_probe.trusted:
                return outcome(SessionEnd.TRUST_PERSISTED)
        if now >= deadline:
            return outcome(_budget_end(engine, last_snapshot))
        if awaiting_since is not None and now - awaiting_since >= timing.persist_timeout_ms:
            return outcome(SessionEnd.TRUST_NOT_PERSISTED)

        wait = min(timing.poll_ms, deadline - now)
        if engine.awaiting_success:
            wait = min(wait, poll_every)
        if wake_at is not None:
            # The engine's wait ends by time then: read again at that moment
            # (at least 1 ms on, so a wait that is already due cannot spin).
            wait = min(wait, max(1, wake_at - now))
        snapshot = session.read_snapshot(max(0, wait))
        frames += 1
        last_snapshot = snapshot
        if is_cancelled():
            return outcome(SessionEnd.CANCELLED)

        decision = engine.observe(snapshot)
        wake_at = None if decision.due_ms is None else clock.monotonic_ms() + decision.due_ms - snapshot.elapsed_ms
        if first_dialog_ms is None and decision.rule_id is not None:
            first_dialog_ms = clock.monotonic_ms() - started
        if engine.awaiting_success and awaiting_since is None:
            awaiting_since = clock.monotonic_ms()

        # No key to a CLI that has already exited: its frame is its last words.
        if decision.action is Action.PRESS and session.exit_status() is None:
            assert decision.key is not None
            if is_cancelled():
                return outcome(SessionEnd.CANCELLED)
            if refused(decision.key):
                return outcome(SessionEnd.ENTER_REFUSED)
            send(decision.key)
            if on_frame is not None:
                on_frame(SessionFrame(snapshot, decision, decision.key))
            if engine.awaiting_success:
                # The wait for persistence runs from the last key, not from a
                # main screen glimpsed before the dialog (Codex 0.169.0 does that).
                awaiting_since = clock.monotonic_ms()
                if decision.key is Key.ENTER:
                    last_poll = -(10**9)
                    entered = clock.monotonic_ms()
            continue
        if decision.action is Action.FINISH:
            assert decision.finish_reason is not None
            finishing_key = None
            if decision.key is not None and not is_cancelled() and session.exit_status() is None:
                if refused(decision.key):
                    return outcome(SessionEnd.ENTER_REFUSED)
                send(decision.key)
                finishing_key = decision.key
            if on_frame is not None:
                on_frame(SessionFrame(snapshot, decision, finishing_key))
            if decision.finish_reason is FinishReason.DECLINED and engine.awaiting_success:
                # The state file has the final word, even over the CLI's own words.
                last_probe = success()
                if last_probe.trusted:
                    return outcome(SessionEnd.TRUST_PERSISTED)
            # The engine's finish reasons are session ends by the same value.
            return outcome(SessionEnd.finished(decision.finish_reason))
        if on_frame is not None:
            on_frame(SessionFrame(snapshot, decision))

        status = session.exit_status()
        if status is not None:
            # Drain what it printed last, then let the state file have the final word.
            last_snapshot = session.read_snapshot(0)
            frames += 1
            drained = engine.observe(last_snapshot)
            if on_frame is not None:
                on_frame(SessionFrame(last_snapshot, drained))
            if engine.awaiting_success:
                last_probe = success()
                if last_probe.trusted:
                    return outcome(SessionEnd.TRUST_PERSISTED, status)
            if drained.finish_reason is FinishReason.DECLINED:
                # Its last words say why: the decline option was taken.
                return outcome(SessionEnd.TRUST_DECLINED, status)
            return outcome(SessionEnd.PROVIDER_EXITED, status)


def _budget_end(engine: DialogEngine, snapshot: TerminalSnapshot | None) -> SessionEnd:
    if engine.awaiting_success:
        return SessionEnd.TRUST_NOT_PERSISTED
    if snapshot is not None and not snapshot.is_blank and engine.last_wait_reason is WaitReason.UNRECOGNISED:
        return SessionEnd.UNKNOWN_SCREEN
    return SessionEnd.TIMEOUT
