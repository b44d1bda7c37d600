"""What a PTY session ended with: :class:`SessionEnd`, :class:`SessionOutcome`,
and the :class:`SessionFrame` each frame reports.

Apart from :mod:`workspace_trust.runner`, which produces them, so that the
provider strategies can name them without loading the dialog engine: a
preflight imports the engine after it has started the CLI, while the CLI
starts up.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

from workspace_trust.ports import RenderStats

if TYPE_CHECKING:
    from workspace_trust.domain.codes import Key, WaitReason
    from workspace_trust.domain.results import ProbeResult
    from workspace_trust.engine.dialog import Decision, FinishReason
    from workspace_trust.engine.snapshot import TerminalSnapshot

__all__ = ["SessionEnd", "SessionFrame", "SessionOutcome"]


class SessionEnd(enum.Enum):
    """How a session ended: one vocabulary from the dialog engine to the row.

    The engine's own ends (``engine.dialog.FinishReason``) are members here by
    the same value, so that the runner passes them on untranslated
    (:meth:`finished`); the runner adds the ends only it can see (the state
    file proved trust, the CLI exited, time or the folder check ran out).
    ``providers.pty_outcome.END_TO_STATUS`` is the one table from an end to
    a row's status and code."""

    TRUST_PERSISTED = "trust_persisted"
    SETUP_REQUIRED = "setup_required"
    AUTH_REQUIRED = "auth_required"
    ABORTED = "aborted"
    SELECTION_FAILED = "selection_failed"
    PROVIDER_EXITED = "provider_exited"
    TRUST_NOT_PERSISTED = "trust_not_persisted"
    UNKNOWN_SCREEN = "unknown_screen"
    UNKNOWN_DIALOG = "unknown_dialog"
    UNKNOWN_OPTION = "unknown_option"
    #: The CLI says it exits because the folder is not trusted (its decline option).
    TRUST_DECLINED = "declined"
    #: The dialog's option trusts a folder the scope check refused (no key).
    SCOPE_REFUSED = "scope_refused"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    #: The runner's ``before_enter`` said no: Enter was not sent.
    ENTER_REFUSED = "enter_refused"

    @classmethod
    def finished(cls, reason: FinishReason) -> SessionEnd:
        """The end the engine's ``reason`` names (the same value)."""
        return cls(reason.value)


@attrs.frozen(slots=True)
class SessionOutcome:
    end: SessionEnd
    probe: ProbeResult | None
    matched_rule_ids: tuple[str, ...]
    #: The keys sent to the CLI, in order (not those the engine decided and the
    #: runner then did not send: cancelled, or decided after the CLI exited).
    keys: tuple[Key, ...]
    last_rule_id: str | None
    last_wait_reason: WaitReason | None
    frames: int
    exit_status: int | None
    last_snapshot: TerminalSnapshot | None
    #: Milliseconds from the start of the run to the first frame a rule matched.
    first_dialog_ms: int | None = None
    #: The renderer's counts when the session ended.
    render: RenderStats = attrs.field(factory=RenderStats)


@attrs.frozen(slots=True)
class SessionFrame:
    """One frame the runner read, what the engine decided on it, and the key
    the runner then sent (None when it sent none)."""

    snapshot: TerminalSnapshot
    decision: Decision
    sent: Key | None = None
