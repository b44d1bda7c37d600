"""Claude Code's startup screens, as data.

Texts were read off recorded screens in ``fixtures/snapshots/claude/<version>/``.
"""

from __future__ import annotations

from workspace_trust.domain.codes import Key
from workspace_trust.engine.rules import (
    DialogRule,
    OptionLabel,
    Outcome,
    Phase,
    RetryPolicy,
    RuleTable,
)

YES_TRUST = OptionLabel("Yes, I trust this folder")
YES_PROCEED = OptionLabel("Yes, proceed")
NO_EXIT = OptionLabel("No, exit")

CLAUDE_RULES = RuleTable(
    provider="claude",
    rules=(
        DialogRule(
            id="claude.theme_onboarding",
            phase=Phase.ONBOARDING,
            required=("Choose the text style that looks best with your terminal",),
            outcome=Outcome.SETUP_REQUIRED,
            seen_on=("2.1.119", "2.1.197", "2.1.330"),
            note="Empty profile: onboarding comes before trust. Never answered.",
        ),
        DialogRule(
            id="claude.login",
            phase=Phase.AUTH,
            required=("Select login method",),
            outcome=Outcome.AUTH_REQUIRED,
            note="Login picker of the onboarding flow. Never answered.",
        ),
        DialogRule(
            id="claude.resume_selector",
            phase=Phase.RESUME,
            required=("Resume Session",),
            outcome=Outcome.ABORT,
            abort_key=Key.ESCAPE,
            note="Only shown for --resume, which the preflight never passes; "
            "choosing a session to resume is never ours to do.",
        ),
        DialogRule(
            id="claude.workspace_trust.numbered",
            phase=Phase.WORKSPACE_TRUST,
            required=("Quick safety check", "1. Yes, I trust this folder"),
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_TRUST, NO_EXIT),
            select=YES_TRUST,
            never_select=(NO_EXIT,),
            retry=RetryPolicy.TYPED_RETRY,
            priority=1,
            # 2.1.197 took Enter sent on the first painted frame in 10 of 10
            # runs; the two-frame confirmation is the only wait it needs.
            settle_ms=0,
            seen_on=("2.1.119", "2.1.197"),
            note="Numbered, Yes first and preselected.",
        ),
        DialogRule(
            id="claude.workspace_trust",
            phase=Phase.WORKSPACE_TRUST,
            required=("Quick safety check", "trust this folder"),
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_TRUST, NO_EXIT),
            select=YES_TRUST,
            never_select=(NO_EXIT,),
            retry=RetryPolicy.TYPED_RETRY,
            # 2.1.248 to 2.1.332 reset the selection ~140 ms after the dialog's
            # first paint (its main thread wakes at paint+138..139 ms): a move
            # made before it is undone (a Down at +120 ms was lost in 6/12 runs,
            # at +170..250 ms in 0/57; docs/providers.md). 190 ms keeps ~50 ms
            # margin, and keeps an Enter away from the reset. The undo is drawn:
            # a Down sent at paint shows ~5 ms later and is taken back at
            # paint+138..147 ms, so seeing it undone ends the settle early.
            settle_ms=190,
            settle_ends_on_undo=True,
            seen_on=("2.1.330",),
            note="2.1.248+: unnumbered, No first and preselected; a bare Enter exits. "
            "Also matches layouts not seen yet, with the conservative settle.",
        ),
        DialogRule(
            id="claude.workspace_trust.proceed",
            phase=Phase.WORKSPACE_TRUST,
            required=("Do you trust the files in this folder?", "Yes, proceed"),
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_PROCEED, NO_EXIT),
            select=YES_PROCEED,
            never_select=(NO_EXIT,),
            retry=RetryPolicy.TYPED_RETRY,
            priority=1,
            # Yes is preselected, so an early Enter is taken or dropped, never
            # a wrong answer: Enter on the first painted frame was dropped in 15
            # of 61 runs (2.0.77, 2.1.19), at +50, +100 and +150 ms in none of
            # 20, 20 and 10. A drop costs the retry's 1.5 s; 100 ms is twice
            # the shortest delay that had none.
            settle_ms=100,
            seen_on=("2.0.77", "2.1.19"),
            note="2.0.0 to 2.1.19 (bisected): the question, the folder, numbered `Yes, proceed` "
            "(first, preselected) and `No, exit`; inside a box up to 2.0.26 (the frame is stripped "
            "before matching). Of these, 2.0.77 and 2.1.x offer every protection flag to an "
            "interactive session; the older ones are refused before a start.",
        ),
        DialogRule(
            id="claude.bypass_permissions",
            phase=Phase.BYPASS_PERMISSIONS,
            required=("Bypass Permissions mode",),
            outcome=Outcome.CHECK_SUCCESS,
            note="Follow-up; accepting it is the user's decision, never ours.",
        ),
        DialogRule(
            id="claude.custom_api_key",
            phase=Phase.CUSTOM_API_KEY,
            required=("Detected a custom API key in your environment",),
            outcome=Outcome.CHECK_SUCCESS,
            seen_on=("2.1.330",),
            note="Follow-up after trust; shows the key partly in clear text.",
        ),
        DialogRule(
            id="claude.auto_mode_notice",
            phase=Phase.NOTICE,
            required=("Auto mode is now",),
            outcome=Outcome.CHECK_SUCCESS,
            seen_on=("2.1.330",),
        ),
        DialogRule(
            id="claude.ready",
            phase=Phase.READY,
            required=("? for shortcuts",),
            outcome=Outcome.CHECK_SUCCESS,
            priority=-10,
            seen_on=("2.1.119", "2.1.197"),
            note="Main screen: no trust dialog was shown; only the state file can tell.",
        ),
    ),
)
