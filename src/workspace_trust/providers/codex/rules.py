"""Codex CLI's startup screens, as data (recorded in fixtures/snapshots/codex/)."""

from __future__ import annotations

from workspace_trust.engine.rules import (
    DialogRule,
    OptionLabel,
    Outcome,
    Phase,
    RetryPolicy,
    RuleTable,
)

UPDATE_NOW = OptionLabel("Update now", prefix=True)
SKIP = OptionLabel("Skip")
SKIP_VERSION = OptionLabel("Skip until next version")
YES_CONTINUE = OptionLabel("Yes, continue")
NO_QUIT = OptionLabel("No, quit")
TRUST_AND_CONTINUE = OptionLabel("Trust and continue")
BACK_TO_CENTER = OptionLabel("Back to Agent Command Center")
QUIT = OptionLabel("Quit")

#: Codex's own phase: its update prompt, before the trust dialog.
UPDATE = Phase.define("update", "UPDATE")

CODEX_RULES = RuleTable(
    provider="codex",
    phases=(Phase.ONBOARDING, Phase.AUTH, UPDATE, Phase.WORKSPACE_TRUST, Phase.NOTICE, Phase.READY),
    rules=(
        DialogRule(
            id="codex.auth_picker",
            phase=Phase.AUTH,
            required=("Sign in with ChatGPT",),
            outcome=Outcome.AUTH_REQUIRED,
            seen_on=("0.125.0", "0.169.0"),
            note="No credentials in CODEX_HOME. Never answered.",
        ),
        DialogRule(
            id="codex.update_prompt",
            phase=UPDATE,
            # The modal, not the "Update available!" banner 0.125.0 keeps on its
            # main screen after the prompt is skipped.
            required=("Update available", "Skip until next version"),
            outcome=Outcome.CONTINUE,
            options=(UPDATE_NOW, SKIP, SKIP_VERSION),
            # "Skip" writes nothing; "Skip until next version" would write
            # dismissed_version into the user's CODEX_HOME/version.json, and
            # "Update now" would run npm install -g.
            select=SKIP,
            never_select=(UPDATE_NOW, SKIP_VERSION),
            seen_on=("0.125.0", "0.169.0"),
            note="Shown offline when CODEX_HOME/version.json names a newer latest_version.",
        ),
        DialogRule(
            id="codex.workspace_trust.v0125",
            phase=Phase.WORKSPACE_TRUST,
            required=("Do you trust the contents of this directory?",),
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_CONTINUE, NO_QUIT),
            select=YES_CONTINUE,
            never_select=(NO_QUIT,),
            retry=RetryPolicy.TYPED_RETRY,
            seen_on=("0.125.0",),
        ),
        DialogRule(
            id="codex.workspace_trust.v0169",
            phase=Phase.WORKSPACE_TRUST,
            required=("Trust this folder?",),
            outcome=Outcome.CHECK_SUCCESS,
            # The second option is "Quit" from 0.156.0 (the first release with
            # this dialog, bisected) and "Back to Agent Command Center" later.
            options=(TRUST_AND_CONTINUE, BACK_TO_CENTER, QUIT),
            select=TRUST_AND_CONTINUE,
            never_select=(BACK_TO_CENTER, QUIT),
            retry=RetryPolicy.TYPED_RETRY,
            seen_on=("0.166.0", "0.169.0"),
        ),
        DialogRule(
            id="codex.ready",
            phase=Phase.READY,
            required=("Ask Codex to do anything",),
            outcome=Outcome.CHECK_SUCCESS,
            priority=-10,
            seen_on=("0.166.0", "0.169.0"),
            note="Main screen without a trust dialog: 0.169.0 asks only inside a git "
            "repository. Only the state file can tell whether the folder is trusted.",
        ),
    ),
)
