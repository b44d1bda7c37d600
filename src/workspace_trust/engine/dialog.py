"""The phase-aware dialog engine.

Theory of operation
-------------------
The engine is fed one :class:`TerminalSnapshot` at a time and answers with a
:class:`Decision`: wait, press one allowlisted key, or finish. It never reads a
clock or a file; time is the snapshot's ``elapsed_ms``.

Safety rules, each enforced in exactly one place below:

1. A frame no rule recognises gets ``WAIT``. Always. (``observe``)
2. Options are chosen by label. The engine finds the option rows of the matched
   dialog, the row holding the cursor glyph, and the target row; it moves one
   Up/Down at a time toward the target. (``_select``)
3. Enter is pressed only when the cursor is on the target row on two frames
   read after the last key, ``confirm_stable_ms`` apart, and the target is not
   a forbidden option. A cursor that snaps back resets the confirmation. (``_select``)
4. A key that shows no effect within ``key_echo_timeout_ms`` counts as dropped
   and may be sent again; moves are capped per dialog, after which the engine
   gives up without pressing Enter. (``_select``) A move sent again may find
   the first still queued in the CLI: every move stays unaccounted for until
   the cursor is seen to have moved its way, and while one is, Enter waits
   until ``unseen_move_grace_ms`` after the last move. (``_account``,
   ``_select``) A rule whose CLI visibly undoes
   moves made while it settles may send one move during the settle; seeing it
   undone ends the settle. Enter is never sent during a settle. (``_probe_settle``)
5. An unrecognised frame ends the session *without a key* once it has stayed
   unchanged long enough: soon (``unknown_dialog_settle_ms``) when it looks
   like a trust question (``engine/candidate.py``), later
   (``unknown_screen_after_ms`` from the spawn) otherwise. (``_unrecognised``)
   A recognised dialog on which no option is one its rule accepts (a label
   with a new suffix, the option missing) ends the same way, with no key, once
   it has stayed unchanged ``unknown_option_settle_ms``. (``_select``)
6. After a confirmation the phase advances; rules of earlier phases are ignored
   from then on, and a confirmed rule is not confirmed again unless its retry
   policy allows it. Stale text cannot re-trigger an action. (``_candidates``)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

import attrs

from workspace_trust.domain.codes import Key, WaitReason
from workspace_trust.engine.candidate import is_candidate_dialog
from workspace_trust.engine.rules import (
    DialogRule,
    OptionLabel,
    Outcome,
    RuleMatch,
    RuleTable,
    compact_with_rows,
    match_rule,
    read_scope,
)
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.engine.timing import DEFAULT_TIMING, EngineTiming


class Action(enum.Enum):
    WAIT = "wait"
    PRESS = "press"
    FINISH = "finish"


class FinishReason(enum.Enum):
    SETUP_REQUIRED = "setup_required"
    AUTH_REQUIRED = "auth_required"
    ABORTED = "aborted"
    SELECTION_FAILED = "selection_failed"
    #: A still frame no rule recognises that looks like a trust question.
    UNKNOWN_DIALOG = "unknown_dialog"
    #: Any other still, non-blank frame no rule recognises, past the start-up bound.
    UNKNOWN_SCREEN = "unknown_screen"
    #: A still frame a selecting rule recognises, with no option it accepts.
    UNKNOWN_OPTION = "unknown_option"
    #: The CLI says it exits because the folder is not trusted (a DECLINED rule).
    DECLINED = "declined"
    #: The dialog's option trusts a folder (a repository root) the session's
    #: scope check does not approve, or that could not be read: no key.
    SCOPE_REFUSED = "scope_refused"


@attrs.frozen(slots=True)
class Decision:
    action: Action
    frame: int
    key: Key | None = None
    rule_id: str | None = None
    wait_reason: WaitReason | None = None
    finish_reason: FinishReason | None = None
    #: On a wait that ends by time alone (settle, confirmation, echo timeout):
    #: the ``elapsed_ms`` at which it ends, so that the runner reads again then
    #: rather than at its next poll.
    due_ms: int | None = None


@attrs.define(slots=True)
class _Active:
    """Selection progress on the dialog currently on screen."""

    rule: DialogRule
    first_seen_ms: int
    last_seen_ms: int
    moves: int = 0
    last_key: Key | None = None
    last_key_frame: int = -1
    last_key_ms: int = 0
    cursor_row_at_key: int | None = None
    on_target_frame: int | None = None
    on_target_ms: int = 0
    #: The settle is over (its time ran out, or the CLI undid the probe move).
    settled: bool = False
    #: The option the cursor was on when the probe move was sent during the
    #: settle (by label: a redraw may shift the rows).
    probe_from: OptionLabel | None = None
    #: The probe move was seen on screen (the cursor left ``probe_from``).
    probe_echoed: bool = False


class DialogEngine:
    """Decides, frame by frame, which allowlisted key (if any) to press."""

    def __init__(
        self,
        table: RuleTable,
        timing: EngineTiming = DEFAULT_TIMING,
        scope_check: Callable[[str], bool] | None = None,
    ) -> None:
        self._table = table
        self._timing = timing
        #: Approves the folder a scoped dialog says its option trusts
        #: (``DialogRule.scope_after``). None approves none.
        self._scope_check = scope_check
        self._phase_floor = 0
        self._active: _Active | None = None
        self._confirms: dict[str, int] = {}
        #: Rules whose settle has had its probe move: one per rule and session,
        #: so a dialog that keeps coming back is not moved on each return.
        self._probed: set[str] = set()
        self._last_confirm_ms: dict[str, int] = {}
        self._matched: list[str] = []
        self._keys: list[Key] = []
        self._awaiting_success = False
        self._last_frame = -1
        self._finished: Decision | None = None
        self._last_wait: WaitReason | None = None
        self._last_rule_id: str | None = None
        #: The frame's lines and since when (ms) they have not changed.
        self._screen: tuple[str, ...] | None = None
        self._screen_since_ms = 0
        #: Moves sent whose effect has not been seen (on any dialog: a key in
        #: the CLI's queue reaches whatever it draws next), the direction of
        #: the last (+1 Down, -1 Up), when it was sent, and the cursor's
        #: place among the current dialog's options on the last frame.
        self._unseen = 0
        self._unseen_step = 0
        self._last_move_ms = 0
        self._last_ordinal: int | None = None

    # -- read-only views ---------------------------------------------------
    @property
    def keys_sent(self) -> tuple[Key, ...]:
        return tuple(self._keys)

    @property
    def matched_rule_ids(self) -> tuple[str, ...]:
        return tuple(self._matched)

    @property
    def awaiting_success(self) -> bool:
        """True once trust was confirmed, or a screen was seen on which only
        the state file can tell whether trust exists."""
        return self._awaiting_success

    @property
    def last_wait_reason(self) -> WaitReason | None:
        return self._last_wait

    @property
    def last_rule_id(self) -> str | None:
        """The rule that matched the most recent frame, if any."""
        return self._last_rule_id

    @property
    def finished(self) -> Decision | None:
        return self._finished

    # -- the state machine -------------------------------------------------
    def observe(self, snapshot: TerminalSnapshot) -> Decision:
        if self._finished is not None:
            return self._finished
        if snapshot.frame <= self._last_frame:
            # A frame we have already decided on: never act twice on it.
            return self._wait(snapshot, WaitReason.AWAITING_ECHO)
        self._last_frame = snapshot.frame
        if snapshot.lines != self._screen:
            self._screen = snapshot.lines
            self._screen_since_ms = snapshot.elapsed_ms

        match = best_match(self._candidates(), snapshot)
        self._last_rule_id = match.rule.id if match else None
        if match is None:
            self._dialog_gone(snapshot)
            return self._unrecognised(snapshot)

        rule = match.rule
        if rule.id not in self._matched:
            self._matched.append(rule.id)

        if rule.outcome is Outcome.SETUP_REQUIRED:
            return self._finish(snapshot, rule, FinishReason.SETUP_REQUIRED)
        if rule.outcome is Outcome.AUTH_REQUIRED:
            return self._finish(snapshot, rule, FinishReason.AUTH_REQUIRED)
        if rule.outcome is Outcome.ABORT:
            return self._finish(snapshot, rule, FinishReason.ABORTED, key=rule.abort_key)
        if rule.outcome is Outcome.DECLINED:
            return self._finish(snapshot, rule, FinishReason.DECLINED)
        if rule.select is None:
            # Observe-only: the state file decides (follow-up notices, ready screen).
            self._awaiting_success = True
            self._active = None
            return self._wait(snapshot, WaitReason.OBSERVING, rule)
        if rule.scope_after is not None and not isinstance(aim_at_target(match), WaitReason):
            # Judged on every complete frame (its options drawn), so the frame
            # an Enter is decided on is judged too.
            scope = read_scope(match, snapshot)
            if scope is None or self._scope_check is None or not self._scope_check(scope):
                return self._finish(snapshot, rule, FinishReason.SCOPE_REFUSED)
        return self._select(snapshot, match)

    def _unrecognised(self, snapshot: TerminalSnapshot) -> Decision:
        """A frame no rule recognises: wait, or end the session with no key
        once it has stayed still long enough. Never a key (safety rule 1).
        After a confirmation only the state file decides (its own timeout)."""
        if not self._awaiting_success and not snapshot.is_blank:
            timing = self._timing
            now = snapshot.elapsed_ms
            still_ms = now - self._screen_since_ms
            if still_ms >= timing.unknown_dialog_settle_ms and is_candidate_dialog(snapshot):
                return self._finish_unrecognised(snapshot, FinishReason.UNKNOWN_DIALOG)
            if now >= timing.unknown_screen_after_ms and still_ms >= timing.unknown_screen_stable_ms:
                return self._finish_unrecognised(snapshot, FinishReason.UNKNOWN_SCREEN)
        return self._wait(snapshot, WaitReason.UNRECOGNISED)

    def _finish_unrecognised(self, snapshot: TerminalSnapshot, reason: FinishReason) -> Decision:
        self._last_wait = WaitReason.UNRECOGNISED
        decision = Decision(Action.FINISH, snapshot.frame, finish_reason=reason, wait_reason=WaitReason.UNRECOGNISED)
        self._finished = decision
        return decision

    def _candidates(self) -> list[DialogRule]:
        table = self._table
        return [rule for rule in table.rules if table.phase_index(rule.phase) >= self._phase_floor]

    def _dialog_gone(self, snapshot: TerminalSnapshot) -> None:
        active = self._active
        if active is None:
            return
        if snapshot.elapsed_ms - active.last_seen_ms > self._timing.late_dialog_grace_ms:
            # Gone for longer than a re-render: the next sighting is a new dialog.
            self._active = None

    def _select(self, snapshot: TerminalSnapshot, match: RuleMatch) -> Decision:
        rule = match.rule
        assert rule.select is not None
        timing = self._timing
        now = snapshot.elapsed_ms
        confirms = self._confirms.get(rule.id, 0)

        active = self._active
        if active is None or active.rule.id != rule.id:
            active = _Active(rule=rule, first_seen_ms=now, last_seen_ms=now)
            self._active = active
            # Places on another dialog say nothing about this one's cursor.
            self._last_ordinal = None
        active.last_seen_ms = now
        self._account(match)

        if confirms >= rule.retry.max_confirms:
            return self._wait(snapshot, WaitReason.CONFIRMED, rule)
        if confirms > 0 and now - self._last_confirm_ms[rule.id] < timing.enter_retry_ms:
            return self._wait(snapshot, WaitReason.CONFIRMED, rule)
        if now - active.first_seen_ms < rule.refuse_input_ms:
            # The CLI would refuse any key now, and restart its refusal window.
            return self._wait(snapshot, WaitReason.SETTLING, rule, due_ms=active.first_seen_ms + rule.refuse_input_ms)
        settle = timing.first_paint_settle_ms if rule.settle_ms is None else rule.settle_ms
        if not active.settled and now - active.first_seen_ms < settle:
            if not rule.settle_ends_on_undo:
                return self._wait(snapshot, WaitReason.SETTLING, rule, due_ms=active.first_seen_ms + settle)
            probing = self._probe_settle(snapshot, match, active, active.first_seen_ms + settle)
            if probing is not None:
                return probing
        elif not active.settled:
            active.settled = True
            if active.probe_echoed:
                # The probe's effect was seen: no echo is pending, even if the
                # cursor is back where the probe left it (an undo seen late).
                active.cursor_row_at_key = None
            # A probe never seen waits out its echo timeout like any move: it
            # may still be in the CLI's queue.

        aim = aim_at_target(match)
        if isinstance(aim, WaitReason):
            if aim is WaitReason.CURSOR_NOT_FOUND:
                active.on_target_frame = None
            elif not self._awaiting_success:
                # No option the rule accepts (missing, or drawn twice): once the
                # screen has stayed still, nothing will change without a key.
                ends_ms = self._screen_since_ms + timing.unknown_option_settle_ms
                if now >= ends_ms:
                    self._last_wait = aim
                    return self._finish(snapshot, rule, FinishReason.UNKNOWN_OPTION)
                return self._wait(snapshot, aim, rule, due_ms=ends_ms)
            return self._wait(snapshot, aim, rule)
        cursor, target = aim

        # One move sent again at its echo timeout; with more unseen than that,
        # the CLI is slow rather than dropping keys: only one more per grace.
        echo_ms = timing.key_echo_timeout_ms if self._unseen <= 1 else timing.unseen_move_grace_ms
        if (
            active.last_key in (Key.UP, Key.DOWN)
            and cursor == active.cursor_row_at_key
            and now - active.last_key_ms < echo_ms
        ):
            return self._wait(snapshot, WaitReason.AWAITING_ECHO, rule, due_ms=active.last_key_ms + echo_ms)

        if cursor == target:
            if self._unseen and now - self._last_move_ms < timing.unseen_move_grace_ms:
                # A move may still be queued: Enter now could land where it takes the cursor.
                active.on_target_frame = None
                return self._wait(
                    snapshot, WaitReason.AWAITING_ECHO, rule, due_ms=self._last_move_ms + timing.unseen_move_grace_ms
                )
            if active.on_target_frame is None or active.on_target_frame <= active.last_key_frame:
                active.on_target_frame = snapshot.frame
                active.on_target_ms = now
                return self._wait(snapshot, WaitReason.CONFIRMING, rule, due_ms=now + timing.confirm_stable_ms)
            if now - active.on_target_ms < timing.confirm_stable_ms:
                return self._wait(
                    snapshot, WaitReason.CONFIRMING, rule, due_ms=active.on_target_ms + timing.confirm_stable_ms
                )
            return self._confirm(snapshot, active)

        active.on_target_frame = None
        if active.moves >= timing.max_moves_per_phase:
            return self._finish(snapshot, rule, FinishReason.SELECTION_FAILED)
        key = step_toward(cursor, target)
        active.moves += 1
        active.cursor_row_at_key = cursor
        return self._press(snapshot, active, key)

    def _probe_settle(
        self, snapshot: TerminalSnapshot, match: RuleMatch, active: _Active, settle_ends_ms: int
    ) -> Decision | None:
        """The settle of a rule whose CLI visibly undoes early moves
        (``DialogRule.settle_ends_on_undo``). One move is sent at once (once per
        rule and session); it is counted against the cap like any other. While
        it stands, or before it shows, the settle goes on. When the cursor is
        seen back on the option the move left (by label), the CLI's reset has
        happened: the settle is over (None: go on selecting on this frame).
        Enter is never pressed in here."""
        rule = active.rule
        aim = aim_at_target(match)
        if isinstance(aim, WaitReason):
            return self._wait(snapshot, WaitReason.SETTLING, rule, due_ms=settle_ends_ms)
        cursor, target = aim
        on = match.cursor_rows[0].label
        if active.probe_from is None:
            if cursor == target or rule.id in self._probed:
                return self._wait(snapshot, WaitReason.SETTLING, rule, due_ms=settle_ends_ms)
            self._probed.add(rule.id)
            active.probe_from = on
            active.moves += 1
            active.cursor_row_at_key = cursor
            return self._press(snapshot, active, step_toward(cursor, target))
        if on != active.probe_from:
            active.probe_echoed = True
            return self._wait(snapshot, WaitReason.SETTLING, rule, due_ms=settle_ends_ms)
        if not active.probe_echoed:
            return self._wait(snapshot, WaitReason.SETTLING, rule, due_ms=settle_ends_ms)
        active.settled = True
        active.cursor_row_at_key = None
        return None

    def _confirm(self, snapshot: TerminalSnapshot, active: _Active) -> Decision:
        rule = active.rule
        self._confirms[rule.id] = self._confirms.get(rule.id, 0) + 1
        self._last_confirm_ms[rule.id] = snapshot.elapsed_ms
        self._phase_floor = max(self._phase_floor, self._table.phase_index(rule.phase))
        if rule.outcome is Outcome.CHECK_SUCCESS:
            self._awaiting_success = True
        active.cursor_row_at_key = None
        active.on_target_frame = None
        return self._press(snapshot, active, Key.ENTER)

    def _account(self, match: RuleMatch) -> None:
        """Count off the moves whose effect this frame shows: the cursor's
        place among the options moved their way by as many options. A move
        the other way (a CLI's own reset, a wrap-around) counts off nothing,
        so a move it may hide stays unaccounted for until the grace ends."""
        cursors = match.cursor_rows
        ordinal = match.option_rows.index(cursors[0]) if len(cursors) == 1 else None
        if ordinal is None:
            return
        if self._unseen and self._last_ordinal is not None:
            moved = (ordinal - self._last_ordinal) * self._unseen_step
            if moved > 0:
                self._unseen = max(0, self._unseen - moved)
        self._last_ordinal = ordinal

    def _press(self, snapshot: TerminalSnapshot, active: _Active, key: Key) -> Decision:
        if key in (Key.UP, Key.DOWN):
            self._unseen += 1
            self._unseen_step = 1 if key is Key.DOWN else -1
            self._last_move_ms = snapshot.elapsed_ms
        active.last_key = key
        active.last_key_frame = snapshot.frame
        active.last_key_ms = snapshot.elapsed_ms
        self._keys.append(key)
        self._last_wait = None
        return Decision(Action.PRESS, snapshot.frame, key=key, rule_id=active.rule.id)

    def _wait(
        self,
        snapshot: TerminalSnapshot,
        reason: WaitReason,
        rule: DialogRule | None = None,
        *,
        due_ms: int | None = None,
    ) -> Decision:
        self._last_wait = reason
        return Decision(
            Action.WAIT, snapshot.frame, rule_id=rule.id if rule else None, wait_reason=reason, due_ms=due_ms
        )

    def _finish(
        self,
        snapshot: TerminalSnapshot,
        rule: DialogRule,
        reason: FinishReason,
        key: Key | None = None,
    ) -> Decision:
        if key is not None:
            self._keys.append(key)
        decision = Decision(Action.FINISH, snapshot.frame, key=key, rule_id=rule.id, finish_reason=reason)
        self._finished = decision
        return decision


# -- the pure pieces of the engine, also used on their own --------------------
def best_match(rules: Iterable[DialogRule], snapshot: TerminalSnapshot) -> RuleMatch | None:
    """The rule that recognises this frame: the highest priority among those
    that match, then the lowest dialog (the one drawn last). None: no rule does."""
    best: RuleMatch | None = None
    compacted = compact_with_rows(snapshot.lines)
    for rule in rules:
        match = match_rule(rule, snapshot, compacted)
        if match is None:
            continue
        if best is None or (rule.priority, match.anchor_row) > (best.rule.priority, best.anchor_row):
            best = match
    return best


def aim_at_target(match: RuleMatch) -> tuple[int, int] | WaitReason:
    """(cursor row, target row) on a selecting rule's dialog, or why there is
    none: the option to select is missing or drawn twice, or the cursor glyph is
    on no option row or on several."""
    rule = match.rule
    assert rule.select is not None
    targets = tuple(row for row in match.rows_for(rule.select) if not row.forbidden)
    if not targets:
        return WaitReason.TARGET_NOT_FOUND
    if len(targets) > 1:
        return WaitReason.TARGET_AMBIGUOUS
    cursors = match.cursor_rows
    if len(cursors) != 1:
        return WaitReason.CURSOR_NOT_FOUND
    return cursors[0].row, targets[0].row


def intended_key(match: RuleMatch) -> Key | None:
    """The key the engine works toward on this screen, timing aside: the next
    move toward the target option, Enter once the cursor is on it, the rule's
    abort key; None where no key is wanted (the rule only observes or finishes,
    or the target or cursor cannot be told). The engine sends it only once its
    timing rules allow (settle, echo, confirmation on fresh frames)."""
    rule = match.rule
    if rule.outcome is Outcome.ABORT:
        return rule.abort_key
    if rule.select is None or rule.outcome in (Outcome.SETUP_REQUIRED, Outcome.AUTH_REQUIRED):
        return None
    aim = aim_at_target(match)
    if isinstance(aim, WaitReason):
        return None
    cursor, target = aim
    return Key.ENTER if cursor == target else step_toward(cursor, target)


def step_toward(cursor: int, target: int) -> Key:
    """One move of the cursor toward the target row."""
    return Key.DOWN if target > cursor else Key.UP
