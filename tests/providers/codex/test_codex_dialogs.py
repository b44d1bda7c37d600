"""Codex CLI's dialogs through the engine, on fake screens: the sign-in picker
gets no key, the update prompt is skipped before the trust dialog (its text
left above), a main screen glimpsed before the dialog does not end the
session, and one without any dialog is a failure the state file decides."""

from __future__ import annotations

from tests.test_engine import TIMING, TrustFile, drive
from workspace_trust.domain.codes import Key
from workspace_trust.engine.dialog import DialogEngine
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.codex.rules import CODEX_RULES
from workspace_trust.runner import run_session
from workspace_trust.session import SessionEnd
from workspace_trust.testing import FakeClock, FakePtySession, FakeScreen, FakeTui


def test_codex_auth_picker_gets_no_key() -> None:
    state = TrustFile()
    screens = {
        "auth": FakeScreen(
            lines=("Welcome to Codex, OpenAI's command-line coding agent", ""),
            options=("Sign in with ChatGPT", "Sign in with Device Code", "Sign in another way"),
            glyph="›",
            numbered=True,
        )
    }
    tui = FakeTui(screens=screens, current="auth")
    outcome = drive(tui, state, CODEX_RULES)
    assert outcome.end is SessionEnd.AUTH_REQUIRED
    assert tui.keys == []


def test_codex_update_then_trust_with_stale_update_text_above() -> None:
    """After Skip, the update text stays on screen above the trust dialog."""
    state = TrustFile()
    update_lines = ("  ✨ Update available! 0.168.0 -> 0.169.0", "")
    screens = {
        "update": FakeScreen(
            lines=update_lines,
            options=("Update now", "Skip", "Skip until next version"),
            glyph="›",
            numbered=True,
            on_enter={1: "trust", 0: "exit:0"},
        ),
        "trust": FakeScreen(
            lines=(
                *update_lines,
                "   1. Update now",
                "   2. Skip",
                "",
                "  Folder access",
                "",
                "  Trust this folder? Codex can read, edit, and run files here.",
            ),
            options=("Trust and continue", "Back to Agent Command Center"),
            glyph="›",
            numbered=True,
            on_enter={0: "done"},
            effects={0: state.accept},
        ),
        "done": FakeScreen(lines=("› Ask Codex to do anything",)),
    }
    tui = FakeTui(screens=screens, current="update")
    outcome = drive(tui, state, CODEX_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert tui.keys == [Key.DOWN, Key.ENTER, Key.ENTER]
    assert outcome.matched_rule_ids == ("codex.update_prompt", "codex.workspace_trust.v0169")


def test_main_screen_glimpsed_before_the_dialog_does_not_end_the_session() -> None:
    """Codex 0.169.0 draws its main screen for a moment before the trust dialog."""
    state = TrustFile()
    screens = {
        "main": FakeScreen(lines=("› Ask Codex to do anything",)),
        "trust": FakeScreen(
            lines=("  Folder access", "  Trust this folder? Codex can read, edit, and run files here."),
            options=("Trust and continue", "Back to Agent Command Center"),
            glyph="›",
            numbered=True,
            on_enter={0: "main"},
            effects={0: state.accept},
        ),
    }
    tui = FakeTui(screens=screens, current="main")
    clock = FakeClock()
    session = FakePtySession(tui, clock, SpawnSpec(argv=("codex",), cwd="/", env={}))
    engine = DialogEngine(CODEX_RULES, TIMING)
    for _ in range(5):
        engine.observe(session.read_snapshot(10))
    assert engine.awaiting_success and engine.keys_sent == ()
    tui.current = "trust"
    outcome = run_session(session, engine, clock, success=state.probe, is_cancelled=lambda: False, timing=TIMING)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert tui.keys == [Key.ENTER]


def test_codex_main_screen_without_a_dialog_is_trust_not_persisted() -> None:
    state = TrustFile()
    tui = FakeTui(screens={"main": FakeScreen(lines=("› Ask Codex to do anything",))}, current="main")
    outcome = drive(tui, state, CODEX_RULES)
    assert outcome.end is SessionEnd.TRUST_NOT_PERSISTED
    assert outcome.matched_rule_ids == ("codex.ready",) and tui.keys == []
