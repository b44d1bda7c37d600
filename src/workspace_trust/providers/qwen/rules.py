"""Qwen Code's startup screens, as data (recorded in fixtures/snapshots/qwen/).

The trust dialog is drawn in a box before any login screen, with the first
option preselected: ``Do you trust this folder?`` / ``› 1. Trust folder
(<name>)`` / ``2. Trust parent folder (<parent>)`` / ``3. Don't trust (esc)``.
One Down from the preselected option trusts the whole parent. After the choice
0.21+ shows "Qwen Code is restarting to apply the trust changes...", restarts
itself and shows its provider picker ("Connect a Provider"); 0.15.6 goes
straight to "Select Authentication Method". 0.24.4 also glimpses the provider
picker for a moment *before* the trust dialog. Those screens are only
observed: the state file decides, and no key is ever sent to them.
"""

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

SEEN_ON = ("0.15.6", "0.24.4")

QWEN_RULES = RuleTable(
    provider="qwen",
    rules=(
        DialogRule(
            id="qwen.trust_restarting",
            phase=Phase.WORKSPACE_TRUST,
            required=("Qwen Code is restarting to apply the trust changes",),
            outcome=Outcome.CHECK_SUCCESS,
            priority=1,
            seen_on=("0.24.4",),
            note="The answered dialog stays drawn above this line while Qwen restarts itself; "
            "the state file decides, and no key is ever sent here.",
        ),
        DialogRule(
            id="qwen.workspace_trust",
            phase=Phase.WORKSPACE_TRUST,
            required=("Do you trust this folder?",),
            outcome=Outcome.CHECK_SUCCESS,
            options=(TRUST_FOLDER, TRUST_PARENT, DONT_TRUST),
            select=TRUST_FOLDER,
            never_select=(TRUST_PARENT, DONT_TRUST),
            retry=RetryPolicy.ONCE,
            seen_on=SEEN_ON,
            note="'Trust folder (<name>)' is preselected; one Down is 'Trust parent folder', "
            "which would trust the whole parent. Escape answers 'Don't trust'.",
        ),
        DialogRule(
            id="qwen.connect_provider",
            phase=Phase.NOTICE,
            required=("Connect a Provider",),
            outcome=Outcome.CHECK_SUCCESS,
            seen_on=("0.24.4",),
            note="The provider picker (0.21+): after the trust choice, and glimpsed just before the "
            "dialog on 0.24.4. Observed only; the state file decides.",
        ),
        DialogRule(
            id="qwen.select_auth",
            phase=Phase.NOTICE,
            required=("Select Authentication Method",),
            outcome=Outcome.CHECK_SUCCESS,
            seen_on=("0.15.6",),
            note="The login picker of 0.15.6 after the trust choice. Observed only; the state file decides.",
        ),
    ),
)
