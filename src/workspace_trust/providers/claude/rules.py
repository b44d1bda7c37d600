"""Claude Code's startup screens, as data.

Texts were read off recorded screens in ``fixtures/snapshots/claude/<version>/``.
"""

from __future__ import annotations

from workspace_trust.domain.codes import Code, Key
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
#: 2.1.337: the Yes of a folder inside a git repository whose root is another
#: folder, drawn when the terminal has room for it (label length + 4 <= columns).
YES_TRUST_REPOSITORY = OptionLabel("Yes, I trust this folder and its repository")
#: 2.1.337: the declines of a folder already trusted whose settings declare
#: grants (its "backstop"); the Yes then applies those grants.
NO_WITHOUT_PERMISSIONS = OptionLabel("No, continue without these permissions")
NO_WITHOUT_PLUGINS = OptionLabel("No, continue without this folder's plugins and agent hooks")

QUICK_SAFETY_CHECK = "Quick safety check"
#: 2.1.337's bodies that say the Yes trusts the whole repository (read off its
#: bundled code and seen drawn: 160x50, 46 columns, 14 and 10 rows).
REPOSITORY_AT = "This folder is part of the repository at:"
REPOSITORY_SAYING_YES = "Saying yes trusts that whole repository"
REPOSITORY_SHORT = "Trust the whole repository:"
#: 2.1.337, when the repository's root is the home folder or above it.
HOME_REPOSITORY_SHORT = "Trust repo and home folder:"
HOME_REPOSITORY = "This repository holds your home folder"
#: 2.1.337: " This is your home folder, so Yes lasts for this session only." and
#: (settings inherited from a parent folder) " Yes lasts for this session only."
SESSION_ONLY = "Yes lasts for this session only"
#: 2.1.337: " An earlier Yes doesn't cover this folder, so Claude Code is asking again."
ASKED_AGAIN = "so Claude Code is asking again"
#: Any Yes that says more than the plain label: a new suffix is a new variant.
YES_AND = "Yes, I trust this folder and"
NO_CONTINUE = "No, continue without"

#: What a dialog the plain rules accept must not say: each of these is its own
#: rule (another scope, a session-only Yes, grants), or a variant not judged yet.
NOT_A_PLAIN_FOLDER = (
    REPOSITORY_AT,
    REPOSITORY_SAYING_YES,
    REPOSITORY_SHORT,
    HOME_REPOSITORY_SHORT,
    HOME_REPOSITORY,
    SESSION_ONLY,
    ASKED_AGAIN,
    YES_AND,
    NO_CONTINUE,
)
#: What a repository dialog the repository rules accept must not say.
NOT_THIS_REPOSITORY = (HOME_REPOSITORY_SHORT, HOME_REPOSITORY, SESSION_ONLY, NO_CONTINUE)

#: 2.1.337 refuses every key for 150 ms after its trust dialog first paints
#: (``refuseInput``: the dialog's open stamp and each refused key's, window
#: ``Ey=150`` in its bundled code) and remounts its option list when that
#: window ends, putting the cursor back on "No, exit". 170 ms from the frame
#: the engine first reads (itself after the paint) keeps every key out of it.
#: 2.1.330 lost a Down at +120 ms in 6 of 12 runs and none at +170 ms.
REFUSE_INPUT_MS = 170

#: 2.1.337's dialogs for another directory: (rule name, heading, note). Options
#: 'Yes, add it' / 'No, start without it' (seen: --add-dir at the start), 'Yes,
#: move here' / 'No, stay put', 'No, leave it out', 'Yes, trust it and apply
#: them' / 'No, keep them off' (from its bundled code).
DIRECTORY_DIALOGS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("adding", "Adding a new directory:", ("2.1.337",), "2.1.337, seen with --add-dir at the start."),
    ("moving", "Moving to a new directory:", (), "2.1.337's /cd (from its bundled code)."),
    ("moved", "Now in a new directory:", (), "2.1.337's /cd with declared grants (from its bundled code)."),
)

#: Where the repository root printed under the question ends.
REPOSITORY_SCOPE_UNTIL = (REPOSITORY_SAYING_YES, HOME_REPOSITORY)

#: Claude Code's own start-up phases: the conversation picker of
#: ``--resume`` before the trust dialog; after it, the bypass-permissions
#: warning and the custom API key question.
RESUME = Phase.define("resume", "RESUME")
BYPASS_PERMISSIONS = Phase.define("bypass_permissions", "BYPASS_PERMISSIONS")
CUSTOM_API_KEY = Phase.define("custom_api_key", "CUSTOM_API_KEY")

CLAUDE_RULES = RuleTable(
    provider="claude",
    phases=(
        Phase.ONBOARDING,
        Phase.AUTH,
        RESUME,
        Phase.WORKSPACE_TRUST,
        BYPASS_PERMISSIONS,
        CUSTOM_API_KEY,
        Phase.NOTICE,
        Phase.READY,
    ),
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
            phase=RESUME,
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
            required=(QUICK_SAFETY_CHECK, "trust this folder"),
            excluded=NOT_A_PLAIN_FOLDER,
            refuse_input_ms=REFUSE_INPUT_MS,
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
            seen_on=("2.1.330", "2.1.337"),
            note="2.1.248+: unnumbered, No first and preselected; a bare Enter exits. "
            "Also matches layouts not seen yet, with the conservative settle. Never a screen "
            "that names another scope, a session-only Yes, grants, or a Yes with a suffix.",
        ),
        DialogRule(
            id="claude.workspace_trust.repository",
            phase=Phase.WORKSPACE_TRUST,
            required=(QUICK_SAFETY_CHECK, REPOSITORY_AT, REPOSITORY_SAYING_YES, YES_TRUST_REPOSITORY.text),
            excluded=NOT_THIS_REPOSITORY,
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_TRUST_REPOSITORY, NO_EXIT),
            select=YES_TRUST_REPOSITORY,
            never_select=(NO_EXIT,),
            retry=RetryPolicy.TYPED_RETRY,
            priority=2,
            refuse_input_ms=REFUSE_INPUT_MS,
            settle_ms=190,
            settle_ends_on_undo=True,
            scope_after=REPOSITORY_AT,
            scope_until=REPOSITORY_SCOPE_UNTIL,
            trust_scope="repository",
            seen_on=("2.1.337",),
            note="2.1.337, a git subfolder or a linked worktree: the Yes trusts the repository "
            "root printed under the question (a worktree's main checkout), which must be the "
            "root approved before the start.",
        ),
        DialogRule(
            id="claude.workspace_trust.repository.narrow",
            phase=Phase.WORKSPACE_TRUST,
            required=(QUICK_SAFETY_CHECK, REPOSITORY_AT, REPOSITORY_SAYING_YES),
            excluded=(*NOT_THIS_REPOSITORY, YES_AND),
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_TRUST, NO_EXIT),
            select=YES_TRUST,
            never_select=(NO_EXIT,),
            retry=RetryPolicy.TYPED_RETRY,
            priority=2,
            refuse_input_ms=REFUSE_INPUT_MS,
            settle_ms=190,
            settle_ends_on_undo=True,
            scope_after=REPOSITORY_AT,
            scope_until=REPOSITORY_SCOPE_UNTIL,
            trust_scope="repository",
            seen_on=("2.1.337",),
            note="2.1.337 under 47 columns: the Yes reads plain while the body says the whole "
            "repository is trusted; the scope is read from the body.",
        ),
        DialogRule(
            id="claude.workspace_trust.repository.short",
            phase=Phase.WORKSPACE_TRUST,
            required=(REPOSITORY_SHORT, YES_TRUST_REPOSITORY.text),
            excluded=NOT_THIS_REPOSITORY,
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_TRUST_REPOSITORY, NO_EXIT),
            select=YES_TRUST_REPOSITORY,
            never_select=(NO_EXIT,),
            retry=RetryPolicy.TYPED_RETRY,
            priority=2,
            refuse_input_ms=REFUSE_INPUT_MS,
            settle_ms=190,
            settle_ends_on_undo=True,
            scope_after=REPOSITORY_SHORT,
            scope_until=REPOSITORY_SCOPE_UNTIL,
            trust_scope="repository",
            seen_on=("2.1.337",),
            note="2.1.337 when the dialog is taller than the terminal: a one-line heading, the "
            "root truncated to fit ('[+N chars] ...', which no check approves).",
        ),
        DialogRule(
            id="claude.workspace_trust.repository.short_narrow",
            phase=Phase.WORKSPACE_TRUST,
            required=(REPOSITORY_SHORT,),
            excluded=(*NOT_THIS_REPOSITORY, YES_AND),
            outcome=Outcome.CHECK_SUCCESS,
            options=(YES_TRUST, NO_EXIT),
            select=YES_TRUST,
            never_select=(NO_EXIT,),
            retry=RetryPolicy.TYPED_RETRY,
            priority=2,
            refuse_input_ms=REFUSE_INPUT_MS,
            settle_ms=190,
            settle_ends_on_undo=True,
            scope_after=REPOSITORY_SHORT,
            scope_until=REPOSITORY_SCOPE_UNTIL,
            trust_scope="repository",
            seen_on=(),
            note="2.1.337, short and under 47 columns: plain Yes, the scope from the heading.",
        ),
        DialogRule(
            id="claude.workspace_trust.repository_holds_home",
            phase=Phase.WORKSPACE_TRUST,
            required=(HOME_REPOSITORY,),
            outcome=Outcome.ABORT,
            priority=3,
            code=Code.TRUST_SCOPE_HOME,
            message="Claude Code offers to trust a git repository that holds the home folder; "
            "that is never accepted and no key was sent",
            seen_on=("2.1.337",),
            note="2.1.337 in a subfolder of a home folder that is a git repository. The guard "
            "refuses such a folder before the start; this holds whatever it thought.",
        ),
        DialogRule(
            id="claude.workspace_trust.repository_holds_home.short",
            phase=Phase.WORKSPACE_TRUST,
            required=(HOME_REPOSITORY_SHORT,),
            outcome=Outcome.ABORT,
            priority=3,
            code=Code.TRUST_SCOPE_HOME,
            message="Claude Code offers to trust a git repository that holds the home folder; "
            "that is never accepted and no key was sent",
            seen_on=("2.1.337",),
        ),
        DialogRule(
            id="claude.workspace_trust.session_only",
            phase=Phase.WORKSPACE_TRUST,
            required=(QUICK_SAFETY_CHECK, SESSION_ONLY),
            outcome=Outcome.ABORT,
            priority=3,
            code=Code.TRUST_SESSION_ONLY,
            message="Claude Code's Yes here lasts for its session only (the home folder, or a folder "
            "whose settings come from a parent folder); nothing would persist, so it was not answered",
            seen_on=("2.1.337",),
            note="2.1.337: the home folder (seen), or project settings read from a parent folder "
            "(from its bundled code).",
        ),
        DialogRule(
            id="claude.workspace_trust.asked_again",
            phase=Phase.WORKSPACE_TRUST,
            required=(QUICK_SAFETY_CHECK, ASKED_AGAIN),
            excluded=(REPOSITORY_AT, REPOSITORY_SHORT),
            outcome=Outcome.ABORT,
            priority=1,
            code=Code.TRUST_SCOPE_REFUSED,
            message="Claude Code asks again because an earlier Yes does not cover this folder, and "
            "does not show what its Yes would trust now; it was not answered",
            seen_on=(),
            note="2.1.337 (from its bundled code): a linked worktree whose own root was trusted "
            "where the Yes would save a key for the whole repository. With the repository body "
            "drawn, the repository rules take it, scope check included.",
        ),
        DialogRule(
            id="claude.workspace_trust.grants",
            phase=Phase.WORKSPACE_TRUST,
            required=(QUICK_SAFETY_CHECK, NO_CONTINUE),
            outcome=Outcome.ABORT,
            options=(NO_WITHOUT_PERMISSIONS, NO_WITHOUT_PLUGINS),
            never_select=(NO_WITHOUT_PERMISSIONS, NO_WITHOUT_PLUGINS),
            priority=3,
            code=Code.TRUST_GRANTS_DIALOG,
            message="the folder is already trusted and Claude Code asks whether to apply the grants its "
            "settings declare; that is never the preflight's to answer",
            seen_on=(),
            note="2.1.337 (from its bundled code): a trusted folder whose settings declare "
            "permissions or helpers. Its declines are never a trust option.",
        ),
        DialogRule(
            id="claude.window_too_small",
            phase=Phase.WORKSPACE_TRUST,
            required=("To trust this folder, first make the window taller",),
            outcome=Outcome.ABORT,
            priority=3,
            code=Code.DIALOG_WINDOW_TOO_SMALL,
            message="Claude Code asks for a taller window before it offers trust; no key was sent",
            seen_on=(),
            note="2.1.337's directory dialog when cut off (from its bundled code); never at the preflight's 50 rows.",
        ),
        *(
            DialogRule(
                id=f"claude.directory_trust.{name}",
                phase=Phase.WORKSPACE_TRUST,
                required=(heading,),
                outcome=Outcome.ABORT,
                priority=3,
                code=Code.DIRECTORY_TRUST_DIALOG,
                message="Claude Code asks whether to trust another directory (--add-dir, an additional "
                "directory in its settings, or a move); never answered, no key was sent",
                seen_on=seen_on,
                note=note,
            )
            for name, heading, seen_on, note in DIRECTORY_DIALOGS
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
            phase=BYPASS_PERMISSIONS,
            required=("Bypass Permissions mode",),
            outcome=Outcome.CHECK_SUCCESS,
            note="Follow-up; accepting it is the user's decision, never ours.",
        ),
        DialogRule(
            id="claude.custom_api_key",
            phase=CUSTOM_API_KEY,
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
            seen_on=(),
        ),
        # -- the decline's last words ----------------------------------------
        DialogRule(
            id="claude.trust_declined",
            phase=Phase.WORKSPACE_TRUST,
            required=("Claude Code didn't start because this folder isn't trusted",),
            outcome=Outcome.DECLINED,
            # Above the dialog, which stays drawn above these words.
            priority=5,
            note="Printed below the dialog when its No option is taken, then the CLI exits 1 and "
            "writes nothing (seen on 2.1.330, 2.1.332 and 2.1.337). A preflight's Enter lands there "
            "only when the CLI moved the cursor back after it was confirmed; the folder's session "
            "is run once more.",
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
