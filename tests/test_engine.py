"""The dialog engine and runner against scripted screens (fake PTY, fake clock)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.domain.codes import Key, TrustState, WaitReason
from workspace_trust.domain.results import ProbeResult
from workspace_trust.engine.dialog import Action, DialogEngine, FinishReason
from workspace_trust.engine.rules import (
    DialogRule,
    OptionLabel,
    Outcome,
    Phase,
    RuleTable,
)
from workspace_trust.engine.snapshot import TerminalSnapshot, snapshot_from_text
from workspace_trust.engine.timing import EngineTiming
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers import rule_tables
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.providers.copilot.rules import COPILOT_RULES
from workspace_trust.runner import run_session
from workspace_trust.session import SessionEnd, SessionFrame, SessionOutcome
from workspace_trust.testing import FakeClock, FakePtySession, FakeScreen, FakeTui

TIMING = EngineTiming()

TRUST_HEADER = (
    " Accessing workspace:",
    "",
    " /work/project",
    "",
    " Quick safety check: Is this a project you created or one you trust? (Like your own code,",
    " a well-known open source project, or work from your team). If not, take a moment to",
    " review what's in this folder first.",
    "",
)


class TrustFile:
    def __init__(self) -> None:
        self.trusted = False

    def accept(self) -> None:
        self.trusted = True

    def probe(self) -> ProbeResult:
        return ProbeResult(
            TrustState.TRUSTED if self.trusted else TrustState.UNTRUSTED,
            trusted_key="/work/project" if self.trusted else None,
        )


def claude_tui(state: TrustFile, *, new_layout: bool, **kw: object) -> FakeTui:
    if new_layout:  # 2.1.248+: unnumbered, No first and preselected
        options = ("No, exit", "Yes, I trust this folder")
        on_enter = {0: "exit:1", 1: "main"}
        effects = {1: state.accept}
        numbered = False
    else:  # 2.1.119/2.1.197: numbered, Yes first and preselected
        options = ("Yes, I trust this folder", "No, exit")
        on_enter = {0: "main", 1: "exit:1"}
        effects = {0: state.accept}
        numbered = True
    screens = {
        "trust": FakeScreen(
            lines=TRUST_HEADER,
            options=options,
            numbered=numbered,
            footer=("", " Enter to confirm · Esc to cancel"),
            on_enter=on_enter,
            effects=effects,
        ),
        "main": FakeScreen(lines=("> ", "  ? for shortcuts")),
    }
    return FakeTui(screens=screens, current="trust", **kw)  # type: ignore[arg-type]


def drive(
    tui: FakeTui,
    state: TrustFile,
    table: RuleTable = CLAUDE_RULES,
    timing: EngineTiming = TIMING,
    cancel_after: int | None = None,
    *,
    on_frame: Callable[[SessionFrame], None] | None = None,
) -> SessionOutcome:
    clock = FakeClock()
    session = FakePtySession(tui, clock, SpawnSpec(argv=("claude",), cwd="/", env={}))
    reads = {"n": 0}

    def cancelled() -> bool:
        reads["n"] += 1
        return cancel_after is not None and reads["n"] > cancel_after

    return run_session(
        session,
        DialogEngine(table, timing),
        clock,
        success=state.probe,
        is_cancelled=cancelled,
        timing=timing,
        on_frame=on_frame,
    )


@pytest.mark.parametrize("new_layout", [False, True], ids=["yes-first", "no-first"])
def test_claude_trust_selected_by_label_in_both_layouts(new_layout: bool) -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=new_layout)
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert state.trusted
    expected = [Key.DOWN, Key.ENTER] if new_layout else [Key.ENTER]
    assert tui.keys == expected
    expected_rule = "claude.workspace_trust" if new_layout else "claude.workspace_trust.numbered"
    assert outcome.matched_rule_ids[0] == expected_rule


def test_bare_enter_is_never_sent_on_no_first_layout() -> None:
    """The first key on the 2.1.248+ layout must be a move, never Enter."""
    state = TrustFile()
    tui = claude_tui(state, new_layout=True)
    drive(tui, state)
    assert tui.keys[0] is Key.DOWN
    assert tui.exit_code is None


def test_dropped_key_is_resent_after_echo_timeout() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, drop_keys=frozenset({0}))
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert tui.keys == [Key.DOWN, Key.DOWN, Key.ENTER]


def _key_times(
    tui: FakeTui, state: TrustFile, table: RuleTable = CLAUDE_RULES
) -> tuple[SessionOutcome, list[tuple[int, Key]]]:
    """Drive the TUI; each key sent, with the time (ms since the paint at 0) of the frame it answered."""
    sent: list[tuple[int, Key]] = []

    def seen(frame: SessionFrame) -> None:
        if frame.sent is not None:
            sent.append((frame.snapshot.elapsed_ms, frame.sent))

    return drive(tui, state, table, on_frame=seen), sent


CLAUDE_RULE_AS_PINNED = next(r for r in CLAUDE_RULES.rules if r.id == "claude.workspace_trust")
#: The settle probe's own behaviour, as 2.1.248-2.1.330 need it: the same rule
#: without 2.1.337's refusal window (``refuse_input_ms``), so that the probe goes
#: at the first painted frame.
CLAUDE_RULE = attrs.evolve(CLAUDE_RULE_AS_PINNED, refuse_input_ms=0)
PROBE_RULES = RuleTable(
    "claude", tuple(CLAUDE_RULE if r.id == CLAUDE_RULE.id else r for r in CLAUDE_RULES.rules), CLAUDE_RULES.phases
)
CLAUDE_SETTLE_MS = CLAUDE_RULE.settle_ms or 0


def test_no_key_is_sent_inside_the_refusal_window() -> None:
    """Claude 2.1.337 refuses every key for 150 ms after its trust dialog paints
    (and restarts that window on each refused key): the pinned rule sends its
    first key, the settle probe included, only after ``refuse_input_ms``."""
    assert CLAUDE_RULE_AS_PINNED.refuse_input_ms >= 150
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, reset_after_paint_ms=140)
    outcome, sent = _key_times(tui, state)
    assert outcome.end is SessionEnd.TRUST_PERSISTED and state.trusted
    assert [k for _, k in sent] == [Key.DOWN, Key.ENTER]
    assert sent[0][0] >= CLAUDE_RULE_AS_PINNED.refuse_input_ms


def test_a_visible_undo_ends_the_settle_early() -> None:
    """Claude 2.1.248-2.1.332 undo a move made in the first ~140 ms after paint,
    and draw the undo: the first Down goes at paint, the undo ends the settle,
    and Enter comes well before the settle's full time."""
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, reset_after_paint_ms=140)
    outcome, sent = _key_times(tui, state, PROBE_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED and state.trusted
    assert [k for _, k in sent] == [Key.DOWN, Key.DOWN, Key.ENTER]
    (probe_at, _), (again_at, _), (enter_at, _) = sent
    assert probe_at < 20  # at the first painted frame
    assert 140 <= again_at < 160  # on the frame that showed the undo
    assert enter_at - again_at >= TIMING.confirm_stable_ms
    assert enter_at < CLAUDE_SETTLE_MS


def test_without_an_undo_the_settle_runs_its_full_time() -> None:
    """A build with no reset keeps the first move: Enter waits out the settle."""
    state = TrustFile()
    tui = claude_tui(state, new_layout=True)
    outcome, sent = _key_times(tui, state, PROBE_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert [k for _, k in sent] == [Key.DOWN, Key.ENTER]
    assert sent[0][0] < 20 and sent[1][0] >= CLAUDE_SETTLE_MS


def test_an_undo_after_the_settle_is_caught_before_enter() -> None:
    """A reset later than the settle (a loaded machine) lands in the
    confirmation window: the cursor is moved back and confirmed again."""
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, reset_after_paint_ms=CLAUDE_SETTLE_MS + 10)
    outcome, sent = _key_times(tui, state, PROBE_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED and tui.exit_code is None
    assert [k for _, k in sent] == [Key.DOWN, Key.DOWN, Key.ENTER]


def test_a_dropped_probe_is_sent_again_after_its_echo_timeout() -> None:
    """A CLI that drops (not undoes) a move made while it settles: the probe
    is a move like any other, sent again only once its echo timeout has passed
    (it may still be in the CLI's queue when the settle ends)."""
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, drop_keys=frozenset({0}))
    outcome, sent = _key_times(tui, state, PROBE_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert [k for _, k in sent] == [Key.DOWN, Key.DOWN, Key.ENTER]
    assert sent[1][0] - sent[0][0] >= TIMING.key_echo_timeout_ms


def copilot_tui(state: TrustFile, **kw: object) -> FakeTui:
    """Copilot's dialog: "1. Yes" (this session only) preselected, the
    remembering option second, "No (Esc)" last, no wrap-around."""
    screens = {
        "trust": FakeScreen(
            lines=(" Confirm folder trust", "", " /work/project", "", " Do you trust the files in this folder?"),
            options=("Yes", "Yes, and remember this folder for future sessions", "No (Esc)"),
            numbered=True,
            wrap=False,
            on_enter={0: "main", 1: "main", 2: "exit:0"},
            effects={1: state.accept},
        ),
        "main": FakeScreen(lines=(" / commands · ? help",)),
    }
    return FakeTui(screens=screens, current="trust", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "lag",
    [{0: 400, 1: 200}, {0: 350, 1: 1000}, {0: 310}, {0: 1000}, {0: 3000}],
    ids=["drawn-then-queued", "second-much-later", "both-at-once", "one-second", "three-seconds"],
)
def test_a_move_taken_late_is_not_followed_by_enter_while_it_may_be_queued(lag: dict[int, int]) -> None:
    """A loaded machine: the CLI takes the first Down later than the echo
    timeout, so the engine sends it again. In "drawn-then-queued" the first
    Down's frame shows the cursor on the target for 100 ms while the second
    is still queued: Enter then would be taken after it, on "No (Esc)" (a
    racing Copilot 1.0.102 preflight did that on a loaded machine). Enter
    waits until every move is seen, the overshoot is moved back, and one
    Enter chooses the option the label names."""
    state = TrustFile()
    tui = copilot_tui(state, lag_keys=lag)
    outcome = drive(tui, state, COPILOT_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED and state.trusted, tui.keys
    assert tui.exit_code is None
    assert tui.keys[-2:] == [Key.UP, Key.ENTER] and tui.keys.count(Key.ENTER) == 1


def test_a_slow_cli_gets_one_more_move_per_grace_not_one_per_echo_timeout() -> None:
    """Nothing is drawn for 5 s after the first Down: one Down is sent again
    at the echo timeout, and after that one per grace, not one every 300 ms."""
    state = TrustFile()
    tui = copilot_tui(state, lag_keys={0: 5000})
    outcome, sent = _key_times(tui, state, COPILOT_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED and state.trusted and tui.exit_code is None
    downs = [t for t, k in sent if k is Key.DOWN]
    assert downs[1] - downs[0] == TIMING.key_echo_timeout_ms
    assert all(b - a >= TIMING.unseen_move_grace_ms for a, b in itertools.pairwise(downs[1:]))
    assert len(downs) <= 2 + 5000 // TIMING.unseen_move_grace_ms


def test_a_dropped_move_costs_the_grace_once_and_still_selects_by_label() -> None:
    """A move really dropped is never seen: after the grace from the last move,
    the cursor confirmed on the target gets Enter."""
    state = TrustFile()
    tui = copilot_tui(state, drop_keys=frozenset({0}))
    outcome, sent = _key_times(tui, state, COPILOT_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED and state.trusted
    assert [k for _, k in sent] == [Key.DOWN, Key.DOWN, Key.ENTER]
    assert sent[2][0] - sent[1][0] >= TIMING.unseen_move_grace_ms


def _trust_frame(n: int, t: int, cursor: int | None, header: tuple[str, ...] = TRUST_HEADER) -> TerminalSnapshot:
    """The 2.1.248+ dialog with the cursor on option ``cursor`` (0: No, 1: Yes; None: no glyph)."""
    rows = ["No, exit", "Yes, I trust this folder"]
    drawn = [("❯ " if i == cursor else "  ") + label for i, label in enumerate(rows)]
    return snapshot_from_text("\n".join([*header, *drawn]), frame=n, elapsed_ms=t)


def _observe_all(engine: DialogEngine, frames: list[TerminalSnapshot]) -> list[tuple[int, Key]]:
    return [(f.elapsed_ms, d.key) for f in frames if (d := engine.observe(f)).key is not None]


def test_a_layout_shift_after_the_probe_is_not_an_undo() -> None:
    """The probe moves the cursor to Yes; a redraw one line shorter then puts
    Yes on the row No was on. That is no undo: no Enter inside the settle."""
    engine = DialogEngine(RuleTable("claude", (CLAUDE_RULE,)), TIMING)
    shorter = TRUST_HEADER[:1] + TRUST_HEADER[2:]
    frames = [_trust_frame(1, 0, 0), _trust_frame(2, 10, 1)]
    frames += [_trust_frame(3 + i, t, 1, shorter) for i, t in enumerate(range(20, CLAUDE_SETTLE_MS, 10))]
    keys = _observe_all(engine, frames)
    assert keys == [(0, Key.DOWN)]


def test_a_probe_sent_late_in_the_settle_waits_out_its_echo_timeout() -> None:
    """The cursor glyph first shows at 185 ms and the probe goes then; when the
    settle ends 5 ms later the probe is not taken as dropped (a second Down
    then could land after it and wrap back to No)."""
    engine = DialogEngine(RuleTable("claude", (CLAUDE_RULE,)), TIMING)
    frames = [_trust_frame(n, t, None) for n, t in enumerate(range(0, 185, 15), start=1)]
    frames += [_trust_frame(50, 185, 0), _trust_frame(51, 190, 0)]
    frames += [_trust_frame(52 + i, t, 1) for i, t in enumerate(range(200, 260, 10))]
    downs = [t for t, k in _observe_all(engine, frames) if k is Key.DOWN]
    assert downs == [185]


def test_a_dialog_that_keeps_coming_back_is_probed_once() -> None:
    """Shown 100 ms, gone 300 ms, twenty times: one probe in all, not one per return."""
    engine = DialogEngine(RuleTable("claude", (CLAUDE_RULE,)), TIMING)
    frames: list[TerminalSnapshot] = []
    t = 0
    for _ in range(20):
        for _ in range(10):
            frames.append(_trust_frame(len(frames) + 1, t, 0))
            t += 10
        for _ in range(30):
            frames.append(snapshot_from_text("", frame=len(frames) + 1, elapsed_ms=t))
            t += 10
    assert [k for _, k in _observe_all(engine, frames)] == [Key.DOWN]


def test_an_undo_seen_after_the_settle_needs_no_echo_wait() -> None:
    """The probe showed, and the undo is first seen after the settle's end (a
    loaded machine): the next Down goes at once, not 300 ms after the probe."""
    engine = DialogEngine(RuleTable("claude", (CLAUDE_RULE,)), TIMING)
    frames = [_trust_frame(1, 0, 0), _trust_frame(2, 10, 1), _trust_frame(3, CLAUDE_SETTLE_MS + 5, 0)]
    assert _observe_all(engine, frames) == [(0, Key.DOWN), (CLAUDE_SETTLE_MS + 5, Key.DOWN)]


def _exited(tui: FakeTui) -> FakeTui:
    tui.exit_code = 1
    return tui


@pytest.mark.parametrize(
    ("make", "end"),
    [
        # The engine would move on the trust dialog.
        (lambda state: claude_tui(state, new_layout=True), SessionEnd.PROVIDER_EXITED),
        # The abort rule's Escape, like any key.
        (
            lambda _state: FakeTui(
                screens={"r": FakeScreen(lines=("Resume Session", "", "  3 days ago  fix bug"))}, current="r"
            ),
            SessionEnd.ABORTED,
        ),
    ],
    ids=["move", "escape"],
)
def test_no_key_goes_to_a_cli_that_has_exited(make: Callable[[TrustFile], FakeTui], end: SessionEnd) -> None:
    """The CLI is gone when the engine would press a key: the outcome lists no
    key and the frame is reported with nothing sent."""
    state = TrustFile()
    tui = _exited(make(state))
    frames: list[SessionFrame] = []
    outcome = drive(tui, state, on_frame=frames.append)
    assert outcome.end is end
    assert outcome.keys == () and tui.keys == []
    assert frames and all(f.sent is None for f in frames)


def test_no_probe_where_the_cursor_starts_on_the_target() -> None:
    """Nothing to move: no key at all until the settle has run out."""
    rule = CLAUDE_RULE
    state = TrustFile()
    screens = {
        "trust": FakeScreen(
            lines=TRUST_HEADER,
            options=("No, exit", "Yes, I trust this folder"),
            cursor=1,
            on_enter={0: "exit:1", 1: "main"},
            effects={1: state.accept},
        ),
        "main": FakeScreen(lines=("? for shortcuts",)),
    }
    tui = FakeTui(screens=screens, current="trust", reset_after_paint_ms=140)
    outcome, sent = _key_times(tui, state, RuleTable("claude", (rule,)))
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert [k for _, k in sent] == [Key.ENTER] and sent[0][0] >= CLAUDE_SETTLE_MS


def test_a_wait_that_ends_by_time_is_read_again_when_it_ends() -> None:
    """The runner reads when the settle ends, not at its next poll: with 15 ms
    between reads, the first key still goes at exactly the settle's end."""
    rule = attrs.evolve(CLAUDE_RULE, settle_ends_on_undo=False)
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, frame_ms=TIMING.poll_ms)
    assert CLAUDE_SETTLE_MS % TIMING.poll_ms  # else the poll alone would land on it
    outcome, sent = _key_times(tui, state, RuleTable("claude", (rule,)))
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert [k for _, k in sent] == [Key.DOWN, Key.ENTER]
    painted_at = TIMING.poll_ms  # the first read
    assert sent[0][0] == painted_at + CLAUDE_SETTLE_MS
    echo_at = sent[0][0] + TIMING.poll_ms  # the next read shows the moved cursor
    assert sent[1][0] == echo_at + TIMING.confirm_stable_ms


def test_wraparound_is_followed_closed_loop() -> None:
    """Three options, cursor on the last, target first: Down wraps to it."""
    state = TrustFile()
    screens = {
        "trust": FakeScreen(
            lines=TRUST_HEADER,
            options=("Yes, I trust this folder", "Maybe later", "No, exit"),
            cursor=2,
            on_enter={0: "main", 2: "exit:1"},
            effects={0: state.accept},
        ),
        "main": FakeScreen(lines=("? for shortcuts",)),
    }
    rule = attrs.evolve(
        next(r for r in CLAUDE_RULES.rules if r.id == "claude.workspace_trust"),
        options=(
            OptionLabel("Yes, I trust this folder"),
            OptionLabel("Maybe later"),
            OptionLabel("No, exit"),
        ),
    )
    table = RuleTable("claude", (rule,))
    tui = FakeTui(screens=screens, current="trust")
    outcome = drive(tui, state, table)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    # Up twice reaches row 0 without wrap; what matters is the cursor was
    # confirmed on the target before Enter and nothing else got Enter.
    assert tui.keys[-1] is Key.ENTER and tui.keys.count(Key.ENTER) == 1
    assert all(k in (Key.UP, Key.DOWN) for k in tui.keys[:-1])


def test_moves_are_capped_and_enter_is_never_pressed_when_cursor_cannot_reach() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, drop_keys=frozenset(range(100)))
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.SELECTION_FAILED
    assert Key.ENTER not in tui.keys
    assert len(tui.keys) == TIMING.max_moves_per_phase
    assert not state.trusted


def test_snap_back_before_confirmation_prevents_enter() -> None:
    """A re-render snaps the cursor back to No after the move: Enter must wait."""
    rule = next(r for r in CLAUDE_RULES.rules if r.id == "claude.workspace_trust")
    engine = DialogEngine(RuleTable("claude", (attrs.evolve(rule, settle_ends_on_undo=False, settle_ms=None),)), TIMING)

    def frame(n: int, t: int, cursor_on_yes: bool) -> TerminalSnapshot:
        no, yes = (
            ("❯ No, exit", "  Yes, I trust this folder")
            if not cursor_on_yes
            else ("  No, exit", "❯ Yes, I trust this folder")
        )
        return snapshot_from_text("\n".join([*TRUST_HEADER, no, yes]), frame=n, elapsed_ms=t)

    assert engine.observe(frame(1, 0, False)).action is Action.WAIT  # settling
    first = engine.observe(frame(2, TIMING.first_paint_settle_ms + 10, False))
    assert first.key is Key.DOWN
    assert engine.observe(frame(3, TIMING.first_paint_settle_ms + 30, True)).action is Action.WAIT  # seen once
    snapped = engine.observe(frame(4, TIMING.first_paint_settle_ms + 50, False))  # snap-back re-render
    assert snapped.key is not Key.ENTER
    # Whatever it does next, Enter only follows two fresh frames on Yes.
    decisions = [engine.observe(frame(5 + i, 2000 + 20 * i, True)) for i in range(4)]
    keys = [d.key for d in decisions if d.key]
    assert keys == [Key.ENTER]


def test_late_dialog_after_blank_and_splash_frames() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, first_paint_ms=3000)
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert tui.keys == [Key.DOWN, Key.ENTER]


def test_exit_on_wrong_answer_is_reported_as_provider_exited() -> None:
    state = TrustFile()
    screens = {
        "trust": FakeScreen(
            lines=TRUST_HEADER,
            options=("No, exit", "Yes, I trust this folder"),
            on_enter={0: "exit:1"},
        ),
    }
    tui = FakeTui(screens=screens, current="trust")
    tui.exit_code = 1  # the CLI died on its own before we acted
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.PROVIDER_EXITED
    assert tui.keys == []


def test_theme_onboarding_gets_no_key() -> None:
    state = TrustFile()
    screens = {
        "theme": FakeScreen(
            lines=(
                "Let's get started.",
                "Choose the text style that looks best with your terminal",
            ),
            options=("Dark mode", "Light mode"),
            on_enter={0: "exit:0"},
        )
    }
    tui = FakeTui(screens=screens, current="theme")
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.SETUP_REQUIRED
    assert tui.keys == []


def test_a_rule_may_not_select_by_a_prefix() -> None:
    """A prefix takes any new suffix, which may widen what is trusted: a rule
    that would select by one is refused where it is written."""
    with pytest.raises(ValueError, match="prefix"):
        DialogRule(
            id="t",
            phase=Phase.WORKSPACE_TRUST,
            required=("Do you trust",),
            outcome=Outcome.CHECK_SUCCESS,
            options=(OptionLabel("Trust", prefix=True), OptionLabel("Don't trust")),
            select=OptionLabel("Trust", prefix=True),
        )


@pytest.mark.parametrize(
    ("label", "selected"),
    [
        ("Trust folder (project)", True),
        ("Trust folder (project (copy))", True),
        ("Trust folder (Trust parent folder (x))", True),
        ("Trust folder ()", False),
        ("Trust folder (project) and its parents", False),
        ("Trust folder (project) and its parents (home)", False),
        ("Trust folder (project", False),
    ],
)
def test_a_filled_label_is_the_name_and_nothing_after_it(label: str, selected: bool) -> None:
    assert OptionLabel("Trust folder (", filled=")").matches(label) is selected


def test_cancellation_stops_before_any_key() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=True)
    outcome = drive(tui, state, cancel_after=1)
    assert outcome.end is SessionEnd.CANCELLED
    assert tui.keys == []


def test_budget_exhausted_on_unknown_screen() -> None:
    state = TrustFile()
    tui = FakeTui(screens={"x": FakeScreen(lines=("Something new happened", "Press any key"))}, current="x")
    outcome = drive(tui, state, timing=attrs.evolve(TIMING, total_budget_ms=2000))
    assert outcome.end is SessionEnd.UNKNOWN_SCREEN
    assert tui.keys == []


def test_blank_screen_until_budget_is_a_timeout() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, first_paint_ms=10**9)
    outcome = drive(tui, state, timing=attrs.evolve(TIMING, total_budget_ms=1000))
    assert outcome.end is SessionEnd.TIMEOUT


def test_trust_not_persisted_after_enter() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=False)
    tui.screens["trust"] = attrs.evolve(tui.screens["trust"], effects={})
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.TRUST_NOT_PERSISTED
    assert tui.keys == [Key.ENTER]


def test_abort_rule_sends_only_escape() -> None:
    state = TrustFile()
    tui = FakeTui(
        screens={"r": FakeScreen(lines=("Resume Session", "", "  3 days ago  fix bug"))},
        current="r",
    )
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.ABORTED
    assert tui.keys == [Key.ESCAPE]


def test_on_frame_sees_every_decided_frame_once_its_key_was_sent() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=True, drop_keys=frozenset({0}))
    seen: list[tuple[SessionFrame, int]] = []
    outcome = drive(tui, state, on_frame=lambda frame: seen.append((frame, len(tui.keys))))
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    frames = [frame for frame, _ in seen]
    assert [f.snapshot.frame for f in frames] == list(range(1, outcome.frames + 1))
    # Every key the TUI received is reported, on the frame it was decided on,
    # and only once it was sent.
    assert [f.sent for f in frames if f.sent is not None] == tui.keys == [Key.DOWN, Key.DOWN, Key.ENTER]
    for frame, received in seen:
        if frame.sent is not None:
            assert frame.decision.action is Action.PRESS and frame.decision.key is frame.sent
            assert tui.keys[received - 1] is frame.sent
        else:
            assert frame.decision.action is Action.WAIT


@pytest.mark.parametrize("cancel_after", [None, 2])
def test_on_frame_reports_a_finishing_key_only_when_it_was_sent(cancel_after: int | None) -> None:
    tui = FakeTui(screens={"r": FakeScreen(lines=("Resume Session", "", "  3 days ago  fix bug"))}, current="r")
    seen: list[SessionFrame] = []
    # cancel_after=2: cancellation comes between the engine's decision and the key.
    drive(tui, TrustFile(), cancel_after=cancel_after, on_frame=seen.append)
    (finish,) = seen
    assert finish.decision.action is Action.FINISH and finish.decision.key is Key.ESCAPE
    assert finish.sent is (Key.ESCAPE if cancel_after is None else None)
    assert tui.keys == ([Key.ESCAPE] if cancel_after is None else [])


def test_the_outcome_lists_only_keys_that_were_sent() -> None:
    # The engine decides Escape on a screen it must abort; cancellation comes
    # between that decision and the key, so no key is sent, and none is reported.
    tui = FakeTui(screens={"r": FakeScreen(lines=("Resume Session", "", "  3 days ago  fix bug"))}, current="r")
    outcome = drive(tui, TrustFile(), cancel_after=2)
    assert outcome.end is SessionEnd.ABORTED
    assert tui.keys == [] and outcome.keys == ()


def test_rule_validation_rejects_unsafe_rules() -> None:
    yes = OptionLabel("Yes")
    with pytest.raises(ValueError):
        DialogRule(id="x", phase=Phase.WORKSPACE_TRUST, required=("a",), outcome=Outcome.CONTINUE)
    with pytest.raises(ValueError):
        DialogRule(
            id="x",
            phase=Phase.WORKSPACE_TRUST,
            required=("a",),
            outcome=Outcome.CHECK_SUCCESS,
            options=(yes,),
            select=yes,
            never_select=(yes,),
        )
    with pytest.raises(ValueError):
        DialogRule(
            id="x",
            phase=Phase.WORKSPACE_TRUST,
            required=("a",),
            outcome=Outcome.CHECK_SUCCESS,
            abort_key=Key.ESCAPE,
        )
    with pytest.raises(ValueError):
        DialogRule(id="x", phase=Phase.WORKSPACE_TRUST, required=(), outcome=Outcome.SETUP_REQUIRED)


def test_timing_constants_are_ordered_sensibly() -> None:
    t = EngineTiming()
    assert 0 < t.poll_ms <= t.first_paint_settle_ms < t.key_echo_timeout_ms < t.enter_retry_ms
    assert t.confirm_stable_ms < t.key_echo_timeout_ms
    assert t.success_poll_ms <= t.poll_ms
    assert t.persist_timeout_ms < t.total_budget_ms
    assert t.max_moves_per_phase >= 2


_screen_text = st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60), max_size=12)


@settings(max_examples=300, deadline=None)
@given(lines=_screen_text, table_name=st.sampled_from(sorted(t.provider for t in rule_tables().values())))
def test_unrecognised_screens_never_get_a_key(lines: list[str], table_name: str) -> None:
    """Hypothesis screens: any frame no rule matches gets no key, over many
    frames: WAIT, or (once it has stayed still) FINISH with no key."""
    table = next(t for t in rule_tables().values() if t.provider == table_name)
    engine = DialogEngine(table, TIMING)
    for n in range(1, 6):
        snap = TerminalSnapshot(lines=tuple(lines), frame=n, elapsed_ms=n * 400)
        decision = engine.observe(snap)
        if decision.rule_id is None:
            assert decision.action in (Action.WAIT, Action.FINISH)
            assert decision.key is None
            assert decision.wait_reason is WaitReason.UNRECOGNISED


@settings(max_examples=200, deadline=None)
@given(
    noise=_screen_text,
    cursor_row=st.integers(0, 1),
    drop=st.sets(st.integers(0, 5), max_size=3),
    reset=st.none() | st.integers(0, 400),
)
def test_enter_only_ever_lands_on_the_trust_row(
    noise: list[str], cursor_row: int, drop: set[int], reset: int | None
) -> None:
    state = TrustFile()
    options = ("No, exit", "Yes, I trust this folder")
    screens = {
        "trust": FakeScreen(
            lines=(*noise, *TRUST_HEADER),
            options=options,
            cursor=cursor_row,
            on_enter={0: "exit:1", 1: "main"},
            effects={1: state.accept},
        ),
        "main": FakeScreen(lines=("? for shortcuts",)),
    }
    tui = FakeTui(screens=screens, current="trust", drop_keys=frozenset(drop), reset_after_paint_ms=reset)
    drive(tui, state)
    assert tui.exit_code is None  # "No, exit" never confirmed
    assert tui.keys.count(Key.ENTER) <= 2
    delivered_enters = [i for i, k in enumerate(tui.keys) if k is Key.ENTER and i not in drop]
    assert state.trusted == bool(delivered_enters)


def test_finish_reason_values_are_stable() -> None:
    assert {r.value for r in FinishReason} == {
        "setup_required",
        "auth_required",
        "aborted",
        "selection_failed",
        "scope_refused",
        "unknown_dialog",
        "unknown_screen",
        "unknown_option",
        "declined",
    }


def test_every_finish_reason_is_a_session_end_and_every_end_has_a_row() -> None:
    """One vocabulary from the engine to the row: the runner passes each of
    the engine's ends on by its value, and the one table turns every end into
    a status and a code."""
    from workspace_trust.providers.pty_outcome import END_TO_STATUS
    from workspace_trust.session import SessionEnd

    assert {SessionEnd.finished(r).value for r in FinishReason} == {r.value for r in FinishReason}
    assert SessionEnd.finished(FinishReason.DECLINED) is SessionEnd.TRUST_DECLINED
    assert set(END_TO_STATUS) == set(SessionEnd)


CLAUDE_2_0_PLAIN = """
────────────────────────────────────────────────────────────────────────────────
 Do you trust the files in this folder?

 /work/project

 Claude Code may read, write, or execute files contained in this directory. This can pose security risks, so only use files from trusted sources.

 Learn more

 ❯ 1. Yes, proceed
   2. No, exit

 Enter to confirm · Esc to cancel"""

#: As 2.0.0 to 2.0.26 draw it (2.0.0, read off the real CLI, the width cut).
CLAUDE_2_0_BOXED = """╭──────────────────────────────────────────────────────────────────────────────╮
│                                                                              │
│ Do you trust the files in this folder?                                       │
│                                                                              │
│ /work/project                                                                │
│                                                                              │
│ Claude Code may read, write, or execute files contained in this directory.   │
│                                                                              │
│ Learn more ( https://docs.claude.com/s/claude-code-security )                │
│                                                                              │
│ ❯ 1. Yes, proceed                                                            │
│   2. No, exit                                                                │
│                                                                              │
╰──────────────────────────────────────────────────────────────────────────────╯
   Enter to confirm · Esc to exit"""


@pytest.mark.parametrize("text", [CLAUDE_2_0_PLAIN, CLAUDE_2_0_BOXED], ids=["plain", "boxed"])
def test_claude_2_0_dialog_boxed_or_not_gets_enter_on_yes_proceed(text: str) -> None:
    engine = DialogEngine(CLAUDE_RULES, TIMING)
    decisions = [engine.observe(snapshot_from_text(text, frame=n, elapsed_ms=n * 100)) for n in range(1, 6)]
    pressed = [d for d in decisions if d.action is Action.PRESS]
    assert [(d.key, d.rule_id) for d in pressed] == [(Key.ENTER, "claude.workspace_trust.proceed")]
    # With the cursor on "No, exit" the engine moves up first, never Enter there.
    swapped = text.replace("❯ 1. Yes, proceed", "  1. Yes, proceed").replace("  2. No, exit", "❯ 2. No, exit")
    engine = DialogEngine(CLAUDE_RULES, TIMING)
    first = next(
        d
        for n in range(1, 10)
        if (d := engine.observe(snapshot_from_text(swapped, frame=n, elapsed_ms=n * 100))).action is Action.PRESS
    )
    assert first.key is Key.UP


def test_trust_written_soon_after_enter_is_seen_within_the_fast_poll() -> None:
    # Claude writes trust some tens of milliseconds after Enter; the runner
    # polls the state file fast for the first 100 ms after Enter, so it sees
    # the write within success_fast_poll_ms, not success_poll_ms.
    clock = FakeClock()
    written_at: list[int] = []
    seen_at: list[int] = []

    class LateTrust(TrustFile):
        def accept(self) -> None:
            written_at.append(clock.monotonic_ms() + 13)

        def probe(self) -> ProbeResult:
            self.trusted = bool(written_at) and clock.monotonic_ms() >= written_at[0]
            if self.trusted and not seen_at:
                seen_at.append(clock.monotonic_ms())
            return super().probe()

    state = LateTrust()
    tui = claude_tui(state, new_layout=True, frame_ms=1)
    session = FakePtySession(tui, clock, SpawnSpec(argv=("claude",), cwd="/", env={}))
    outcome = run_session(
        session, DialogEngine(CLAUDE_RULES, TIMING), clock, success=state.probe, is_cancelled=lambda: False
    )
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert seen_at[0] - written_at[0] <= TIMING.success_fast_poll_ms
