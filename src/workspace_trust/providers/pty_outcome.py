"""What a PTY session's end means for the workspace's row.

The runner says how the session ended (a :class:`~workspace_trust.session.SessionEnd`);
:data:`END_TO_STATUS` is the one table that turns each end into a status, a
code and the sentence the row carries, and :func:`map_outcome` adds what the
session left to read (the rule it ended on, the trust scope accepted, render
faults, a redacted screen tail under debug). And :func:`trusted_guarded`, the
after-session question of which guarded folders the state now trusts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from workspace_trust.domain.codes import Code, TrustState, WorkspaceStatus
from workspace_trust.domain.errors import PathError
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.paths import HostOs, Workspace, comparison_key, normalize
from workspace_trust.domain.policy import folder_workspace
from workspace_trust.domain.results import Diagnostic, SessionReport, WorkspaceResult
from workspace_trust.ports import StateProbe
from workspace_trust.providers.pty_provider import PtyProvider
from workspace_trust.session import SessionEnd, SessionOutcome
from workspace_trust.strategy import ExecutionContext

if TYPE_CHECKING:
    from workspace_trust.engine.rules import DialogRule

END_TO_STATUS: dict[SessionEnd, tuple[WorkspaceStatus, Code | None, str]] = {
    SessionEnd.TRUST_PERSISTED: (WorkspaceStatus.ACCEPTED, None, ""),
    SessionEnd.SETUP_REQUIRED: (
        WorkspaceStatus.BLOCKED,
        Code.PROVIDER_SETUP_REQUIRED,
        "the CLI needs its first-run setup; run it once by hand",
    ),
    SessionEnd.AUTH_REQUIRED: (
        WorkspaceStatus.BLOCKED,
        Code.PROVIDER_AUTH_REQUIRED,
        "the CLI needs a login; run it once by hand",
    ),
    SessionEnd.ABORTED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNEXPECTED_DIALOG,
        "the CLI showed a dialog the preflight must not answer",
    ),
    SessionEnd.SELECTION_FAILED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.SELECTION_FAILED,
        "the cursor could not be brought onto the trust option; Enter was not pressed",
    ),
    SessionEnd.PROVIDER_EXITED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.PROVIDER_EXITED,
        "the CLI exited before trust was persisted",
    ),
    SessionEnd.TRUST_NOT_PERSISTED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.TRUST_NOT_PERSISTED,
        "the trust option was confirmed but the state file does not record it",
    ),
    SessionEnd.UNKNOWN_SCREEN: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNKNOWN_SCREEN,
        "the CLI showed a screen no rule recognises",
    ),
    SessionEnd.UNKNOWN_DIALOG: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNKNOWN_TRUST_DIALOG,
        "the CLI shows what looks like a trust dialog that no rule recognises; no key was sent. "
        "Record it with `workspace-trust record` and report it",
    ),
    SessionEnd.TIMEOUT: (WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT, "the preflight time budget ran out"),
    SessionEnd.UNKNOWN_OPTION: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNKNOWN_TRUST_OPTION,
        "the CLI shows a trust dialog whose options no rule accepts (a new label, or the trust option "
        "missing); Enter was not pressed. Record it with `workspace-trust record` and report it",
    ),
    SessionEnd.TRUST_DECLINED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.TRUST_DECLINED,
        "the CLI exited saying the folder is not trusted: its decline option was taken; nothing was trusted",
    ),
    SessionEnd.SCOPE_REFUSED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.TRUST_SCOPE_REFUSED,
        "the trust dialog's option trusts a folder other than the repository root approved before the start "
        "(or one that could not be read off the screen); no key was sent",
    ),
    SessionEnd.CANCELLED: (WorkspaceStatus.CANCELLED, Code.CANCELLED, ""),
    SessionEnd.ENTER_REFUSED: (
        WorkspaceStatus.BLOCKED,
        Code.WORKSPACE_CHANGED,
        "the folder is no longer the one that was guarded, so Enter was not pressed and the CLI was stopped",
    ),
}


def _rule(spec: PtyProvider, rule_id: str | None) -> DialogRule | None:
    """This provider's rule of that id, if any."""
    if rule_id is None:
        return None
    return next((rule for rule in spec.rules.rules if rule.id == rule_id), None)


def map_outcome(
    spec: PtyProvider,
    workspace: Workspace,
    outcome: SessionOutcome,
    ctx: ExecutionContext,
    child_env: Mapping[str, str],
    *,
    detail: str = "",
) -> WorkspaceResult:
    status, code, message = END_TO_STATUS[outcome.end]
    message = spec.messages().get(outcome.end, message)
    if detail and outcome.end is SessionEnd.ENTER_REFUSED:
        message = f"{detail}; {message}"
    ended_on = _rule(spec, outcome.last_rule_id)
    if outcome.end is SessionEnd.ABORTED and ended_on is not None and ended_on.code is not None:
        # A dialog its rule names: its own code, and what it means.
        code, message = ended_on.code, ended_on.message or message
        status = _BLOCKING_CODES.get(code, status)
    if outcome.end is SessionEnd.TIMEOUT:
        message = f"{message} {_waiting_for(outcome)}"
    raw_tail = None
    failed = status in (WorkspaceStatus.SOFT_FAILED, WorkspaceStatus.BLOCKED)
    shown = ctx.debug or outcome.end in _SCREEN_SHOWING_ENDS
    if shown and failed and outcome.last_snapshot is not None:
        # Only under debug (or for a dialog to record: a trust dialog no
        # rule knows, or one whose options no rule accepts), only on
        # failure, only redacted, at most 8 KiB.
        # The CLI may print its own environment (or part of a key from it,
        # as Claude Code's custom API key screen does): the secret-looking
        # values of the child's and the host's environment are looked for
        # too, piece by piece. They are used here and kept nowhere.
        # A line the terminal wrapped is read whole (redact_screen_tail).
        from workspace_trust.redaction import environment_secrets, redact_screen_tail

        secrets = environment_secrets(child_env, ctx.env)
        raw_tail = redact_screen_tail(outcome.last_snapshot, home=ctx.env.get("HOME"), secrets=secrets)
    probe = outcome.probe
    trusted_key = probe.trusted_key if probe and probe.state is TrustState.TRUSTED else None
    diagnostics = probe.diagnostics if probe else ()
    if status is WorkspaceStatus.ACCEPTED and trusted_key is not None:
        matched = (_rule(spec, rule_id) for rule_id in outcome.matched_rule_ids)
        scopes = {rule.trust_scope for rule in matched if rule is not None}
        if "repository" in scopes or _is_repository_root_of(trusted_key, workspace):
            diagnostics = (
                *diagnostics,
                Diagnostic(
                    Code.TRUST_SCOPE_REPOSITORY,
                    f"the option accepted trusts the whole repository at {trusted_key}: every folder in it, "
                    "anything added there later, and its settings",
                    spec.provider,
                    workspace.id,
                ),
            )
    faults = outcome.render.faults
    if faults:
        diagnostics = (
            *diagnostics,
            Diagnostic(
                Code.RENDER_FAULT,
                f"the terminal renderer failed on {faults} piece(s) of the CLI's output and skipped them; "
                "the screens the rules saw may have missed something",
                spec.provider,
                workspace.id,
            ),
        )
    return base_result(
        spec.provider,
        workspace,
        status,
        code,
        message,
        trusted_key=trusted_key,
        pty_spawned=True,
        dialogs=outcome.matched_rule_ids,
        keys=outcome.keys,
        diagnostics=diagnostics,
        raw_tail=raw_tail,
        session=SessionReport(
            frames=outcome.frames,
            first_dialog_ms=outcome.first_dialog_ms,
            last_rule_id=outcome.last_rule_id,
            # Trust proven ends the wait: what the engine last waited for
            # (the screen after Enter) is no longer a reason.
            wait_reason=None if status is WorkspaceStatus.ACCEPTED else outcome.last_wait_reason,
            render_faults=faults,
            dropped_sequences=outcome.render.dropped_sequences,
            exit_status=outcome.exit_status,
        ),
    )


def _is_repository_root_of(key: str, workspace: Workspace) -> bool:
    """The state file proves trust by the root of the folder's git repository
    (or a linked worktree's main checkout), not by the folder itself: what the
    dialog accepted covers that whole repository, whether or not it said so
    (Claude Code before 2.1.337 did not)."""
    host = workspace.host
    try:
        found = comparison_key(normalize(key, host.flavor), host)
    except PathError:
        return False
    roots = {comparison_key(root, host) for root in (workspace.git_root, workspace.worktree_main_root) if root}
    return found in roots and found != workspace.comparison_key


#: Codes of dialogs recognised and never answered whose cause a retry cannot fix.
_BLOCKING_CODES = {Code.TRUST_SCOPE_HOME: WorkspaceStatus.BLOCKED}
#: Ends whose last screen is the thing to record and report, so the row
#: carries it (redacted, bounded) without --debug.
_SCREEN_SHOWING_ENDS = frozenset({SessionEnd.UNKNOWN_DIALOG, SessionEnd.UNKNOWN_OPTION})


def _waiting_for(outcome: SessionOutcome) -> str:
    """What a session that ran out of time was waiting for, as codes (no screen text)."""
    reason = outcome.last_wait_reason
    parts = [f"while waiting: {reason.value if reason else 'nothing'}"]
    if outcome.last_rule_id is not None:
        parts.append(f"on rule {outcome.last_rule_id}")
    elif outcome.last_snapshot is None or outcome.last_snapshot.is_blank:
        parts.append("(the screen stayed blank)")
    return " ".join(parts)


def trusted_guarded(probe: StateProbe, folders: tuple[str, ...], host: HostOs) -> dict[str, str]:
    """Which of ``folders`` the provider's state says are trusted now, each
    with the key that says so (a folder above it may be that key)."""
    out: dict[str, str] = {}
    for folder in folders:
        workspace = folder_workspace(folder, host)
        if workspace is None:
            continue
        found = probe.read_trust(workspace)
        if found.trusted:
            out[folder] = found.trusted_key or folder
    return out
