"""Enumerations shared by every layer.

The string values are the wire format of the JSON output (see ``docs/cli.md``);
inside the library only the enum members are compared.
"""

from __future__ import annotations

import enum


class Provider(enum.Enum):
    CLAUDE = "claude"
    CODEX = "codex"
    GEMINI = "gemini"


class Key(enum.Enum):
    """The only keys the library may ever send to a provider CLI."""

    UP = "up"
    DOWN = "down"
    ENTER = "enter"
    ESCAPE = "escape"


class WaitReason(enum.Enum):
    """What the dialog engine waits for on a frame; a session's last one is
    reported with its result (a timeout says what never came)."""

    UNRECOGNISED = "unrecognised_screen"
    SETTLING = "dialog_settling"
    TARGET_NOT_FOUND = "target_option_not_found"
    TARGET_AMBIGUOUS = "target_option_ambiguous"
    CURSOR_NOT_FOUND = "cursor_not_found"
    AWAITING_ECHO = "awaiting_key_echo"
    CONFIRMING = "confirming_cursor"
    CONFIRMED = "confirmed_waiting"
    OBSERVING = "observing"
    SUCCESS_PENDING = "awaiting_success"


class TrustState(enum.Enum):
    """What a provider's own state file says about a folder."""

    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    UNKNOWN = "unknown"


class WorkspaceStatus(enum.Enum):
    """Outcome for one provider and one workspace."""

    ALREADY_TRUSTED = "already_trusted"
    ACCEPTED = "accepted"
    ALREADY_TRUSTED_AFTER_WAIT = "already_trusted_after_wait"
    PATCHED = "patched"
    BLOCKED = "blocked"
    SOFT_FAILED = "soft_failed"
    CANCELLED = "cancelled"
    #: Switched off by a feature flag; nothing was done and nothing failed.
    SKIPPED = "skipped"


class ExecutionStatus(enum.Enum):
    """Overall outcome of one ``execute`` call."""

    OK = "ok"
    SOFT_FAILED = "soft_failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class Code(enum.Enum):
    """Diagnostic codes. Stable: hosts match on these strings."""

    WORKSPACE_MISSING = "workspace_missing"
    WORKSPACE_NOT_DIRECTORY = "workspace_not_directory"
    WORKSPACE_PATH_INVALID = "workspace_path_invalid"
    NOT_PERSISTABLE_HOME = "workspace_trust_not_persistable_home"
    NOT_PERSISTABLE_ROOT = "workspace_trust_not_persistable_root"
    PROVIDER_BINARY_MISSING = "provider_binary_missing"
    PROVIDER_SETUP_REQUIRED = "provider_setup_required"
    PROVIDER_AUTH_REQUIRED = "provider_auth_required"
    PROVIDER_EXITED = "provider_exited"
    PREFLIGHT_UNPROTECTED = "preflight_unavailable_or_unprotected"
    PTY_UNAVAILABLE = "pty_unavailable"
    UNKNOWN_SCREEN = "unknown_screen"
    UNEXPECTED_DIALOG = "unexpected_dialog"
    SELECTION_FAILED = "selection_failed"
    TIMEOUT = "timeout"
    TRUST_NOT_PERSISTED = "trust_not_persisted"
    LOCK_TIMEOUT = "lock_timeout"
    #: Trust was proven in the state file during the run, and is gone from it
    #: when the run ends (another writer clobbered it); retried once first.
    TRUST_LOST = "trust_lost"
    #: The CLI's own lock on its state file stayed held before spawning; nothing started.
    PROVIDER_LOCK_BUSY = "provider_lock_busy"
    #: (diagnostic) The run waited for the CLI's own lock before spawning.
    PROVIDER_LOCK_WAITED = "provider_lock_waited"
    #: (diagnostic) A lock the session's killed CLI left behind was removed.
    PROVIDER_LOCK_REMOVED = "provider_lock_removed"
    #: (diagnostic) A CLI lock made during the session outlived it and was left alone.
    PROVIDER_LOCK_LEFT = "provider_lock_left"
    CANCELLED = "cancelled"
    STATE_FILE_MISSING = "state_file_missing"
    STATE_FILE_CORRUPT = "state_file_corrupt"
    STATE_FILE_TOO_LARGE = "state_file_too_large"
    STATE_FILE_UNREADABLE = "state_file_unreadable"
    PROCESS_LEFT_RUNNING = "process_left_running"
    RENDER_FAULT = "render_fault"
    INTERNAL_ERROR = "internal_error"
    FEATURE_DISABLED = "feature_disabled"
    FEATURE_FLAG_INVALID = "feature_flag_invalid"
    CODEX_SURFACE_UNKNOWN = "codex_trust_settings_surface_unknown"
    CODEX_PATH_UNREPRESENTABLE = "codex_trust_path_unrepresentable"
    CODEX_OVERRIDE_INVALID = "codex_existing_override_invalid"
    CODEX_CONFIG_CHANGED = "codex_config_changed_during_trust_override"
    WORKSPACE_TRUST_REQUIRED = "workspace_trust_required"
