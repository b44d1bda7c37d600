"""Fail fast on a screen no rule knows: the candidate-dialog detector, the
engine's early end with no key, and the same through a real PTY."""

from __future__ import annotations

import os

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.providers.claude.test_claude_strategy import project, request, run, seeded_home
from tests.test_engine import TrustFile, claude_tui, drive
from workspace_trust.domain.codes import Code, Key, WaitReason, WorkspaceStatus
from workspace_trust.engine.candidate import is_candidate_dialog
from workspace_trust.engine.dialog import Action, DialogEngine, FinishReason, best_match
from workspace_trust.engine.snapshot import CURSOR_GLYPHS, TerminalSnapshot, snapshot_from_text
from workspace_trust.engine.timing import DEFAULT_TIMING, EngineTiming
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers import rule_tables
from workspace_trust.runner import run_session
from workspace_trust.session import SessionEnd
from workspace_trust.testing import FakeClock, FakePtySession, FakeScreen, FakeTui

TIMING = EngineTiming()
TABLES = sorted(rule_tables().values(), key=lambda table: table.provider)

NEW_QUESTION = (
    "Allow this tool to work in the workspace below?",
    "",
    "  /work/project",
    "",
)


# -- the detector ------------------------------------------------------------------
def test_old_and_boxed_layouts_are_candidates() -> None:
    plain = [
        " Do you trust the files in this folder?",
        "",
        " /work/project",
        "",
        " ❯ 1. Yes, proceed",
        "   2. No, exit",
    ]
    boxed = ["╭" + "─" * 50 + "╮", *(f"│ {line:<48} │" for line in plain), "╰" + "─" * 50 + "╯"]
    unnumbered = ["Trust this folder?", "› Trust and continue", "  Quit"]
    for lines in (plain, boxed, unnumbered):
        assert is_candidate_dialog(snapshot_from_text("\n".join(lines))), lines


def test_screens_that_are_not_candidates() -> None:
    cases = {
        "a prompt with no list": "Welcome\n> \n  ? for shortcuts",
        "a path that says workspace": "cwd: /home/me/workspace/folder\n❯ 1. Dark mode\n  2. Light mode",
        "a list without the vocabulary": "Choose a theme\n❯ 1. Dark mode\n  2. Light mode",
        "the vocabulary without a cursor": "Do you trust this folder?\n  1. Yes\n  2. No",
        "a cursor alone": "Trust this folder?\n❯ Yes",
    }
    for name, text in cases.items():
        assert not is_candidate_dialog(snapshot_from_text(text)), name


# -- the engine ----------------------------------------------------------------------
def unknown_tui(first_paint_ms: int = 400) -> FakeTui:
    screen = FakeScreen(lines=NEW_QUESTION, options=("Allow and remember", "Deny"), numbered=True)
    return FakeTui(screens={"ask": screen}, current="ask", first_paint_ms=first_paint_ms)


def test_an_unknown_trust_dialog_ends_the_session_early_with_no_key() -> None:
    state = TrustFile()
    tui = unknown_tui()
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.UNKNOWN_DIALOG
    assert tui.keys == [] and outcome.keys == ()
    assert outcome.last_wait_reason is WaitReason.UNRECOGNISED
    assert outcome.last_snapshot is not None
    # On the session's own (fake) clock: painted at 0.4 s, still for the settle, then ended.
    ended = outcome.last_snapshot.elapsed_ms
    assert 400 + TIMING.unknown_dialog_settle_ms <= ended < 5000


def test_a_candidate_that_keeps_changing_is_not_ended_early() -> None:
    engine = DialogEngine(rule_tables()[next(iter(rule_tables()))], TIMING)
    decisions = []
    for n in range(1, 60):
        # A spinner on the question row: never still for the settle.
        text = "\n".join((f"{'|/-'[n % 3]} " + NEW_QUESTION[0], "❯ 1. Allow", "  2. Deny"))
        decisions.append(engine.observe(snapshot_from_text(text, frame=n, elapsed_ms=n * 300)))
    assert {d.action for d in decisions} == {Action.WAIT}


def test_a_candidate_replaced_by_a_known_dialog_within_the_settle_is_accepted() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=True)
    tui.screens["ask"] = FakeScreen(lines=NEW_QUESTION, options=("Allow", "Deny"), numbered=True)
    tui.current = "ask"
    clock_steps = TIMING.unknown_dialog_settle_ms // tui.frame_ms - 5
    engine = DialogEngine(rule_tables()[next(iter(rule_tables()))], TIMING)
    clock = FakeClock()
    session = FakePtySession(tui, clock, SpawnSpec(argv=("x",), cwd="/", env={}))
    for _ in range(clock_steps):
        assert engine.observe(session.read_snapshot(10)).action is Action.WAIT
    tui.current = "trust"
    outcome = run_session(session, engine, clock, success=state.probe, is_cancelled=lambda: False, timing=TIMING)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert tui.keys == [Key.DOWN, Key.ENTER]


def test_another_still_unknown_screen_ends_after_the_start_up_bound() -> None:
    timing = attrs.evolve(TIMING, total_budget_ms=60_000)
    tui = FakeTui(screens={"x": FakeScreen(lines=("Something new happened", "Press any key"))}, current="x")
    outcome = drive(tui, TrustFile(), timing=timing)
    assert outcome.end is SessionEnd.UNKNOWN_SCREEN and tui.keys == []
    assert outcome.last_snapshot is not None
    assert timing.unknown_screen_after_ms <= outcome.last_snapshot.elapsed_ms < timing.total_budget_ms


def test_a_slow_start_is_waited_for_up_to_the_bound() -> None:
    """A still, unknown splash (a slow first start) gets no early end before the bound."""
    engine = DialogEngine(rule_tables()[next(iter(rule_tables()))], TIMING)
    for n in range(1, 200):
        t = n * (TIMING.unknown_screen_after_ms - 100) // 200
        d = engine.observe(snapshot_from_text("Starting up, please wait", frame=n, elapsed_ms=t))
        assert d.action is Action.WAIT


def test_a_blank_screen_is_never_ended_early() -> None:
    engine = DialogEngine(rule_tables()[next(iter(rule_tables()))], TIMING)
    for n in range(1, 100):
        d = engine.observe(TerminalSnapshot(lines=("", ""), frame=n, elapsed_ms=n * 1000))
        assert d.action is Action.WAIT


def test_after_a_confirmation_an_unknown_dialog_is_left_to_the_state_file() -> None:
    state = TrustFile()
    tui = claude_tui(state, new_layout=True)
    tui.screens["main"] = FakeScreen(lines=NEW_QUESTION, options=("Allow", "Deny"), numbered=True)
    tui.screens["trust"] = attrs.evolve(tui.screens["trust"], effects={})
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.TRUST_NOT_PERSISTED
    assert tui.keys == [Key.DOWN, Key.ENTER]


# -- property: a candidate no rule knows never gets a key ----------------------------
_word = st.sampled_from(["trust", "folder", "directory", "workspace", "allow", "proceed", "trusted", "Allow"])
_filler = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.?", min_size=0, max_size=30)
_label = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,()'", min_size=1, max_size=40)
    .map(str.strip)
    .filter(lambda s: s[:1].isalpha())
)


@st.composite
def candidate_screens(draw: st.DrawFn) -> tuple[str, ...]:
    question = f"{draw(_filler)} {draw(_word)} {draw(_filler)}".strip()
    labels = draw(st.lists(_label, min_size=2, max_size=5))
    cursor = draw(st.integers(0, len(labels) - 1))
    glyph = draw(st.sampled_from(CURSOR_GLYPHS))
    numbered = draw(st.booleans())
    rows = [question, ""]
    for index, label in enumerate(labels):
        lead = glyph if index == cursor else " " * len(glyph)
        number = f"{index + 1}. " if numbered else ""
        rows.append(f" {lead} {number}{label}")
    rows += draw(st.lists(_filler, max_size=3))
    if draw(st.booleans()):
        width = max(len(row) for row in rows) + 2
        rows = ["╭" + "─" * width + "╮", *(f"│ {row.ljust(width - 2)} │" for row in rows), "╰" + "─" * width + "╯"]
    return tuple(rows)


@settings(max_examples=300, deadline=None)
@given(lines=candidate_screens(), table_index=st.integers(0, len(TABLES) - 1), step=st.integers(5, 400))
def test_candidate_screens_no_rule_knows_never_get_a_key(lines: tuple[str, ...], table_index: int, step: int) -> None:
    table = TABLES[table_index]
    first = TerminalSnapshot(lines=lines, frame=1, elapsed_ms=0)
    assume(best_match(table.rules, first) is None)
    assert is_candidate_dialog(first)
    engine = DialogEngine(table, TIMING)
    decisions = []
    n = 0
    while engine.finished is None and n < 2000:
        n += 1
        decisions.append(engine.observe(TerminalSnapshot(lines=lines, frame=n, elapsed_ms=n * step)))
    assert all(d.action is not Action.PRESS and d.key is None for d in decisions)
    assert engine.keys_sent == ()
    assert engine.finished is not None and engine.finished.finish_reason is FinishReason.UNKNOWN_DIALOG


# -- a real PTY: the fake TUI draws a trust-like question no rule knows --------------
def test_real_pty_unknown_trust_dialog_is_reported_with_no_key(sandbox: str) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    log = os.path.join(sandbox, "keys.log")
    secret = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-ABCDEFG"
    # The whole default budget: only the early end can give this code.
    req = request(
        home,
        [ws],
        budget_ms=DEFAULT_TIMING.total_budget_ms,
        FAKE_MODE="unknown-dialog",
        FAKE_KEYLOG=log,
        FAKE_SECRET=f"token {secret}",
    )
    result = run(attrs.evolve(req, debug=True))
    (r,) = result.results
    assert (r.status, r.code) == (WorkspaceStatus.SOFT_FAILED, Code.UNKNOWN_TRUST_DIALOG)
    assert r.keys == () and not os.path.exists(log)
    (hint,) = [d.message for d in r.diagnostics if d.code is Code.UNKNOWN_TRUST_DIALOG]
    assert "workspace-trust record" in hint and "\n" not in hint
    assert r.raw_tail is not None and "Allow this tool to work in the workspace below?" in r.raw_tail.text
    assert secret not in r.raw_tail.text
    assert r.session is not None and r.session.wait_reason is WaitReason.UNRECOGNISED
