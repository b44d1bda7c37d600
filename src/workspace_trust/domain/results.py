"""Result and diagnostic values."""

from __future__ import annotations

import attrs

from workspace_trust.domain.codes import Code, Key, Provider, TrustState, WaitReason, WorkspaceStatus
from workspace_trust.domain.text import Redacted


@attrs.frozen(slots=True)
class Diagnostic:
    """A structured, redaction-safe fact. ``message`` never holds file contents
    or environment values; ``evidence`` holds redacted screen text, debug only."""

    code: Code
    message: str
    provider: Provider | None = None
    workspace_id: str | None = None
    evidence: tuple[str, ...] = ()


class TrustSource:
    """Which candidate key proved trust (string constants for the wire format)."""

    EXACT = "exact"
    REAL = "real"
    GIT_ROOT = "git_root"
    WORKTREE_MAIN_ROOT = "worktree_main_root"
    PARENT = "parent"


@attrs.frozen(slots=True)
class ProbeResult:
    """What a provider's state file says about one workspace."""

    state: TrustState
    trusted_key: str | None = None
    source: str | None = None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def trusted(self) -> bool:
        return self.state is TrustState.TRUSTED


@attrs.frozen(slots=True)
class SessionReport:
    """What one PTY session measured, as codes and counts, never screen text."""

    #: Frames read from the terminal.
    frames: int = 0
    #: Milliseconds from the start of the session to the first frame a rule recognised.
    first_dialog_ms: int | None = None
    #: The rule that recognised the last frame, if any.
    last_rule_id: str | None = None
    #: What the engine was waiting for on the last frame it decided on; None
    #: when that decision was a key or the end.
    wait_reason: WaitReason | None = None
    #: Output the terminal renderer failed on (its screen may be incomplete).
    render_faults: int = 0
    #: Escape sequences the renderer ignored on purpose or dropped as too long.
    dropped_sequences: int = 0
    #: The CLI's exit status, when it exited before the session ended.
    exit_status: int | None = None


@attrs.frozen(slots=True)
class WorkspaceResult:
    """The outcome for one provider and one workspace."""

    provider: Provider
    workspace_id: str
    workspace: str
    real_path: str
    status: WorkspaceStatus
    code: Code | None = None
    trusted_key: str | None = None
    pty_spawned: bool = False
    dialogs: tuple[str, ...] = ()
    keys: tuple[Key, ...] = ()
    elapsed_ms: int = 0
    lock_wait_ms: int = 0
    diagnostics: tuple[Diagnostic, ...] = ()
    #: Only under debug and only on failure: the last screen, redacted and bounded.
    raw_tail: Redacted | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Redacted))
    )
    #: What the PTY session measured; None when no session ran.
    session: SessionReport | None = None
    #: The version of the CLI binary the preflight resolved (``X.Y.Z``); None
    #: when no binary was looked at (already trusted, patches, guards) or its
    #: version could not be told.
    cli_version: str | None = None
    #: For a folder a launch argument opens: that argument, as the host gives
    #: it (``Workspace.opened_by``); None for a folder the request names.
    opened_by: str | None = None
