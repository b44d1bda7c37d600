"""Gemini CLI's dialogs through the engine, on fake screens: "Trust parent
folder" never gets Enter, and the restart notice drawn over the answered
dialog gets no key."""

from __future__ import annotations

from tests.test_engine import TIMING, TrustFile, drive
from workspace_trust.domain.codes import Key
from workspace_trust.engine.dialog import DialogEngine
from workspace_trust.engine.snapshot import snapshot_from_text
from workspace_trust.providers.gemini.rules import GEMINI_RULES
from workspace_trust.session import SessionEnd
from workspace_trust.testing import FakeScreen, FakeTui


def test_gemini_never_confirms_trust_parent_folder() -> None:
    state = TrustFile()
    parent_state = TrustFile()
    screens = {
        "trust": FakeScreen(
            lines=("Do you trust the files in this folder?", ""),
            options=("Trust folder (project)", "Trust parent folder (work)", "Don't trust"),
            glyph="●",
            numbered=True,
            cursor=1,
            on_enter={0: "done", 1: "done", 2: "exit:55"},
            effects={0: state.accept, 1: parent_state.accept},
        ),
        "done": FakeScreen(lines=("Gemini CLI",)),
    }
    tui = FakeTui(screens=screens, current="trust")
    outcome = drive(tui, state, GEMINI_RULES)
    assert outcome.end is SessionEnd.TRUST_PERSISTED
    assert state.trusted and not parent_state.trusted
    assert tui.keys == [Key.UP, Key.ENTER]


def test_gemini_restarting_screen_over_the_answered_dialog_gets_no_key() -> None:
    dialog = [
        "Do you trust the files in this folder?",
        "● 1. Trust folder (project)",
        "  2. Trust parent folder (work)",
        "  3. Don't trust",
        " Gemini CLI is restarting to apply the trust changes...",
    ]
    engine = DialogEngine(GEMINI_RULES, TIMING)
    decisions = [
        engine.observe(snapshot_from_text("\n".join(dialog), frame=i, elapsed_ms=i * 200)) for i in range(1, 8)
    ]
    assert {d.rule_id for d in decisions} == {"gemini.trust_restarting"}
    assert all(d.key is None for d in decisions)
