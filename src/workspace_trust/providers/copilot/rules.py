"""GitHub Copilot CLI's startup screens, as data (recorded in fixtures/snapshots/copilot/).

The trust dialog (1.0.40 to 1.0.102, offline, before any login) sits in a box::

    Confirm folder trust
    <the folder, in a box of its own>
    Copilot can read files in this folder ...      (worded otherwise before 1.0.80)
    Do you trust the files in this folder?
    ❯ 1. Yes
      2. Yes, and remember this folder for future sessions
      3. No (Esc)

"1. Yes" is preselected and trusts for this session only: it writes nothing, so a
preflight that chose it would never see trust persisted, and the next launch asks
again. Only "Yes, and remember this folder for future sessions" writes the folder
to ``trustedFolders``. The rule is anchored on the question, below the folder's
box, so a folder named like an option cannot add an option row; it is recognised
by that question and the remembering option's label, not by the title, body
text, box or numbering of one build.
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

#: The one option that persists trust, by its whole label (1.0.80 to 1.0.102):
#: a reworded tail is a new variant to record and judge before it is chosen.
YES_REMEMBER = OptionLabel("Yes, and remember this folder for future sessions")
#: This session only; persists nothing. Exactly "Yes", so that it never matches
#: the remembering option.
YES_SESSION = OptionLabel("Yes")
#: "No (Esc)": Copilot exits. Exact, so that a notice such as "● No
#: copilot-instructions.md found" above the dialog is never taken for it.
NO = OptionLabel("No (Esc)")

COPILOT_RULES = RuleTable(
    provider="copilot",
    rules=(
        DialogRule(
            id="copilot.login_picker",
            phase=Phase.AUTH,
            required=("What account do you want to log into?",),
            outcome=Outcome.AUTH_REQUIRED,
            note="The /login account picker (text from 1.0.102's bundle). No build tried "
            "(0.0.423 to 1.0.102) shows a login before the trust dialog; one that does gets "
            "provider_auth_required and no key.",
        ),
        DialogRule(
            id="copilot.workspace_trust",
            phase=Phase.WORKSPACE_TRUST,
            required=("Do you trust the files in this folder?", "remember this folder"),
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_SESSION, YES_REMEMBER, NO),
            select=YES_REMEMBER,
            never_select=(YES_SESSION, NO),
            # The dialog closes on the Enter that chooses; one still drawn with
            # the cursor on the remembering option 1.5 s later lost it.
            retry=RetryPolicy.TYPED_RETRY,
            # Drawn together with (or before) the notices above it: the dialog
            # wins wherever both are on screen.
            priority=1,
            seen_on=("1.0.80", "1.0.89", "1.0.102"),
            note="'1. Yes' is preselected and lasts one session: one Down, then Enter on "
            "'Yes, and remember this folder for future sessions'.",
        ),
        DialogRule(
            id="copilot.trust_added",
            phase=Phase.NOTICE,
            required=("has been added to trusted folders",),
            outcome=Outcome.CHECK_SUCCESS,
            seen_on=("1.0.80", "1.0.89", "1.0.102"),
            note="'Folder <path> has been added to trusted folders.' after the choice; "
            "the state file decides, never this line.",
        ),
        DialogRule(
            id="copilot.login_prompt",
            phase=Phase.NOTICE,
            required=("Please use /login",),
            outcome=Outcome.CHECK_SUCCESS,
            seen_on=("1.0.80", "1.0.89", "1.0.102"),
            note="'Please use /login to sign in to use Copilot' comes after the trust dialog "
            "(or instead of it in a trusted folder): observe only, the state file decides. "
            "No key is ever sent here.",
        ),
        DialogRule(
            id="copilot.update_notice",
            phase=Phase.NOTICE,
            required=("Update available",),
            outcome=Outcome.CHECK_SUCCESS,
            note="'Update available: <version>' above the main screen (found in 1.0.102's "
            "bundle; the preflight passes --no-auto-update). Observe only.",
        ),
        DialogRule(
            id="copilot.auto_update_failed",
            phase=Phase.NOTICE,
            required=("Error auto updating",),
            outcome=Outcome.CHECK_SUCCESS,
            # Seen by hand only (no fixture records it: the recorder passes --no-auto-update).
            seen_on=(),
            note="Offline without --no-auto-update, 1.0.40 and 1.0.80 print this above the trust dialog. Observe only.",
        ),
        DialogRule(
            id="copilot.tip",
            phase=Phase.NOTICE,
            required=("Tip: /",),
            outcome=Outcome.CHECK_SUCCESS,
            seen_on=("1.0.80", "1.0.89", "1.0.102"),
            note="The startup tip ('● Tip: /app ...'), drawn just after the dialog's first "
            "paint and left above it. Observe only.",
        ),
        DialogRule(
            id="copilot.ready",
            phase=Phase.READY,
            required=("/ commands", "? help"),
            outcome=Outcome.CHECK_SUCCESS,
            priority=-10,
            seen_on=("1.0.80", "1.0.89", "1.0.102"),
            note="The main screen's footer: no trust dialog is shown; only the state file can tell.",
        ),
    ),
)
