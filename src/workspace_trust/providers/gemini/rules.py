"""Gemini CLI's startup screens, as data (recorded in fixtures/snapshots/gemini/)."""

from __future__ import annotations

from workspace_trust.engine.rules import (
    DialogRule,
    OptionLabel,
    Outcome,
    Phase,
    RetryPolicy,
    RuleTable,
)

#: "Trust folder (NAME)", NAME the folder's own name and nothing after it.
TRUST_FOLDER = OptionLabel("Trust folder (", filled=")")
TRUST_PARENT = OptionLabel("Trust parent folder", prefix=True)
DONT_TRUST = OptionLabel("Don't trust", prefix=True)

GEMINI_RULES = RuleTable(
    provider="gemini",
    rules=(
        DialogRule(
            id="gemini.trust_restarting",
            phase=Phase.WORKSPACE_TRUST,
            required=("Gemini CLI is restarting to apply the trust changes",),
            outcome=Outcome.CHECK_SUCCESS,
            priority=1,
            seen_on=("0.45.2", "0.61.0"),
            note="After the choice the answered dialog stays drawn above this line while the "
            "CLI restarts; the state file decides, and no key is ever sent here.",
        ),
        DialogRule(
            id="gemini.workspace_trust",
            phase=Phase.WORKSPACE_TRUST,
            required=("Do you trust the files in this folder?",),
            outcome=Outcome.CHECK_SUCCESS,
            options=(TRUST_FOLDER, TRUST_PARENT, DONT_TRUST),
            select=TRUST_FOLDER,
            never_select=(TRUST_PARENT, DONT_TRUST),
            retry=RetryPolicy.ONCE,
            seen_on=("0.45.2", "0.61.0"),
            note="One Down from the preselected option is 'Trust parent folder': "
            "Enter there would trust the whole parent.",
        ),
    ),
)
