"""Values shared by every layer.

The string values are the wire format of the JSON output (see ``docs/cli.md``);
inside the library only the members are compared.

``Provider``, ``Code`` and ``ArgDialect`` are *open*: each member is defined
where it belongs, the generic codes here and a provider's own id, codes and
argument dialects in its folder under ``providers/``, so that nothing generic
has to list the providers. They behave like the enums they replace:
``Code("timeout")`` finds a member (``ValueError`` when there is none),
``Code.TIMEOUT`` finds one by name, ``for code in Code`` lists them all, and a
member compares by identity.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

_V = TypeVar("_V", bound="OpenValue")

#: Imports every provider folder (set by ``workspace_trust.providers``), so a
#: lookup or a listing sees the members the folders define.
_loaders: list[Callable[[], None]] = []
_loading = threading.RLock()
_loaded: list[bool] = []


def set_member_loader(loader: Callable[[], None]) -> None:
    """Register what loads the provider folders; called once by the providers package."""
    _loaders.append(loader)


def _load_all() -> None:
    with _loading:
        if _loaded:
            return
        _loaded.append(True)
        for loader in list(_loaders):
            loader()


class _OpenValues(type):
    """Metaclass of an open set of named string values."""

    _members: dict[str, Any]
    _by_name: dict[str, Any]

    def __call__(cls, value: object) -> Any:
        if isinstance(value, cls):
            return value
        found = cls._members.get(value) if isinstance(value, str) else None
        if found is None:
            _load_all()
            found = cls._members.get(value) if isinstance(value, str) else None
        if found is None:
            raise ValueError(f"{value!r} is not a valid {cls.__name__}")
        return found

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        found = cls._by_name.get(name)
        if found is None:
            _load_all()
            found = cls._by_name.get(name)
        if found is None:
            raise AttributeError(f"{cls.__name__} has no member {name}")
        return found

    def __iter__(cls) -> Iterator[Any]:
        _load_all()
        return iter(list(cls._members.values()))

    def __len__(cls) -> int:
        _load_all()
        return len(cls._members)

    def __contains__(cls, item: object) -> bool:
        return isinstance(item, cls) and cls._members.get(getattr(item, "value", None)) is item


class OpenValue(metaclass=_OpenValues):
    """One member of an open set: a stable string ``value`` and a ``name``."""

    __slots__ = ("name", "value")
    _members: ClassVar[dict[str, Any]]
    _by_name: ClassVar[dict[str, Any]]

    name: str
    value: str

    def __new__(cls: type[_V], value: object) -> _V:
        # Never reached: the metaclass looks members up (``Cls("x")``); they
        # are made only by ``define``. Declared so type checkers see the call.
        raise TypeError(f"use {cls.__name__}.define to make a member")

    @classmethod
    def put_first(cls, members: list[Any]) -> None:
        """List these members first, in this order (the registry's order)."""
        rest = {value: member for value, member in cls._members.items() if member not in members}
        cls._members.clear()
        cls._members.update({member.value: member for member in members})
        cls._members.update(rest)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._members = {}
        cls._by_name = {}

    @classmethod
    def define(cls: type[_V], value: str, name: str | None = None) -> _V:
        """The member with ``value``, made on first definition. Defining the same
        value twice gives the same member; one name may not name two values."""
        existing: _V | None = cls._members.get(value)
        if existing is not None:
            return existing
        member_name = name or value.upper()
        if member_name in cls._by_name:
            raise ValueError(f"{cls.__name__}.{member_name} is already {cls._by_name[member_name].value!r}")
        member = object.__new__(cls)
        object.__setattr__(member, "value", value)
        object.__setattr__(member, "name", member_name)
        cls._members[value] = member
        cls._by_name[member_name] = member
        return member

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} members are read-only")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self.name}: {self.value!r}>"

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (type(self), (self.value,))

    def __copy__(self: _V) -> _V:
        return self

    def __deepcopy__(self: _V, memo: object) -> _V:
        return self


class Provider(OpenValue):
    """A provider CLI, by its id. Each provider folder defines its own."""

    __slots__ = ()


class ArgDialect(OpenValue):
    """How a launch patch's values are spelled on the surface it targets
    (defined by the provider whose patches use it)."""

    __slots__ = ()


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
    #: The provider does not gate the folder at all (its folder-trust feature
    #: is off): there is nothing to prepare, nothing was started; counts as ok.
    NOT_REQUIRED = "not_required"


class LaunchMode(enum.Enum):
    """How the host will launch a CLI; each CLI's trust gate treats them
    differently (docs/host-integration.md, "Launch modes")."""

    #: In a terminal, where the CLI can ask (the default).
    INTERACTIVE = "interactive"
    #: Headless, with a prompt and no one to answer: ``claude -p``,
    #: ``codex exec``, ``gemini -p``, ``copilot -p``, ``qwen -p``.
    PROMPT = "prompt"


class ExecutionStatus(enum.Enum):
    """Overall outcome of one ``execute`` call."""

    OK = "ok"
    SOFT_FAILED = "soft_failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class Code(OpenValue):
    """Diagnostic codes. Stable: hosts match on these strings. A provider's own codes
    are defined in its folder."""

    __slots__ = ()

    WORKSPACE_MISSING: ClassVar[Code]
    WORKSPACE_NOT_DIRECTORY: ClassVar[Code]
    WORKSPACE_PATH_INVALID: ClassVar[Code]
    NOT_PERSISTABLE_HOME: ClassVar[Code]
    NOT_PERSISTABLE_ROOT: ClassVar[Code]
    NOT_PERSISTABLE_HOME_ANCESTOR: ClassVar[Code]
    NOT_PERSISTABLE_WORLD_WRITABLE: ClassVar[Code]
    NOT_PERSISTABLE_PSEUDO_FILESYSTEM: ClassVar[Code]
    WORKSPACE_PATH_UNRESOLVED: ClassVar[Code]
    WORKSPACE_CHANGED: ClassVar[Code]
    PROVIDER_BINARY_MISSING: ClassVar[Code]
    PROVIDER_SETUP_REQUIRED: ClassVar[Code]
    PROVIDER_AUTH_REQUIRED: ClassVar[Code]
    PROVIDER_EXITED: ClassVar[Code]
    PROVIDER_START_FAILED: ClassVar[Code]
    PROVIDER_IGNORES_PERSISTED_TRUST: ClassVar[Code]
    STRATEGY_NOT_FOR_LAUNCH_MODE: ClassVar[Code]
    PREFLIGHT_UNPROTECTED: ClassVar[Code]
    CLI_VERSION_UNVERIFIED: ClassVar[Code]
    CLI_VERSION_UNSUPPORTED: ClassVar[Code]
    OVERRIDE_VERSION_UNSUPPORTED: ClassVar[Code]
    FOLDER_NOT_GATED: ClassVar[Code]
    PTY_UNAVAILABLE: ClassVar[Code]
    UNKNOWN_SCREEN: ClassVar[Code]
    UNKNOWN_TRUST_DIALOG: ClassVar[Code]
    UNEXPECTED_DIALOG: ClassVar[Code]
    SELECTION_FAILED: ClassVar[Code]
    TIMEOUT: ClassVar[Code]
    TRUST_NOT_PERSISTED: ClassVar[Code]
    LOCK_TIMEOUT: ClassVar[Code]
    TRUST_LOST: ClassVar[Code]
    PROVIDER_LOCK_BUSY: ClassVar[Code]
    PROVIDER_LOCK_WAITED: ClassVar[Code]
    PROVIDER_LOCK_REMOVED: ClassVar[Code]
    PROVIDER_LOCK_LEFT: ClassVar[Code]
    CANCELLED: ClassVar[Code]
    DEADLINE_EXCEEDED: ClassVar[Code]
    STATE_FILE_MISSING: ClassVar[Code]
    STATE_FILE_CORRUPT: ClassVar[Code]
    STATE_FILE_TOO_LARGE: ClassVar[Code]
    STATE_FILE_UNREADABLE: ClassVar[Code]
    PROCESS_LEFT_RUNNING: ClassVar[Code]
    RENDER_FAULT: ClassVar[Code]
    INTERNAL_ERROR: ClassVar[Code]
    FEATURE_DISABLED: ClassVar[Code]
    FEATURE_FLAG_INVALID: ClassVar[Code]
    WORKSPACE_TRUST_REQUIRED: ClassVar[Code]
    PATCH_DIALECT_UNKNOWN: ClassVar[Code]
    PREFLIGHT_REQUIRED: ClassVar[Code]
    UNKNOWN_TRUST_OPTION: ClassVar[Code]
    TRUST_DECLINED: ClassVar[Code]
    STATE_VARIABLE_STRIPPED: ClassVar[Code]
    HOME_IS_ROOT: ClassVar[Code]
    HOME_NOT_A_FOLDER: ClassVar[Code]
    HOME_NOT_OWNED: ClassVar[Code]
    TRUST_SCOPE_REFUSED: ClassVar[Code]
    TRUST_SCOPE_REPOSITORY: ClassVar[Code]
    TRUST_SCOPE_HOME: ClassVar[Code]
    TRUST_SESSION_ONLY: ClassVar[Code]
    TRUST_GRANTS_DIALOG: ClassVar[Code]
    DIALOG_WINDOW_TOO_SMALL: ClassVar[Code]
    DIRECTORY_TRUST_DIALOG: ClassVar[Code]
    PROVIDER_PLUGIN_FAILED: ClassVar[Code]


Code.WORKSPACE_MISSING = Code.define("workspace_missing", "WORKSPACE_MISSING")
Code.WORKSPACE_NOT_DIRECTORY = Code.define("workspace_not_directory", "WORKSPACE_NOT_DIRECTORY")
Code.WORKSPACE_PATH_INVALID = Code.define("workspace_path_invalid", "WORKSPACE_PATH_INVALID")
Code.NOT_PERSISTABLE_HOME = Code.define("workspace_trust_not_persistable_home", "NOT_PERSISTABLE_HOME")
Code.NOT_PERSISTABLE_ROOT = Code.define("workspace_trust_not_persistable_root", "NOT_PERSISTABLE_ROOT")
#: A folder that contains a home folder (its trust would cover the home).
Code.NOT_PERSISTABLE_HOME_ANCESTOR = Code.define(
    "workspace_trust_not_persistable_home_ancestor", "NOT_PERSISTABLE_HOME_ANCESTOR"
)
#: A folder every user can write to (``/tmp``, any ``o+w`` folder), or one
#: below such a folder that another user can replace: not a project folder.
Code.NOT_PERSISTABLE_WORLD_WRITABLE = Code.define(
    "workspace_trust_not_persistable_world_writable", "NOT_PERSISTABLE_WORLD_WRITABLE"
)
#: A folder on a pseudo file system (``/proc``, ``/sys``, ``/dev``): not a project folder.
Code.NOT_PERSISTABLE_PSEUDO_FILESYSTEM = Code.define(
    "workspace_trust_not_persistable_pseudo_filesystem", "NOT_PERSISTABLE_PSEUDO_FILESYSTEM"
)
#: ``plan_args_only`` (no file access): a path whose meaning a symlink could
#: change (a ``..`` component) gets no patch; ``plan_full`` resolves it.
Code.WORKSPACE_PATH_UNRESOLVED = Code.define("workspace_path_unresolved", "WORKSPACE_PATH_UNRESOLVED")
#: The folder changed during the session (its path now resolves elsewhere,
#: its git repository root moved, or the CLI works in another folder): no
#: Enter was sent, the session was ended (workspace_trust.folder_check).
Code.WORKSPACE_CHANGED = Code.define("workspace_changed", "WORKSPACE_CHANGED")
Code.PROVIDER_BINARY_MISSING = Code.define("provider_binary_missing", "PROVIDER_BINARY_MISSING")
Code.PROVIDER_SETUP_REQUIRED = Code.define("provider_setup_required", "PROVIDER_SETUP_REQUIRED")
Code.PROVIDER_AUTH_REQUIRED = Code.define("provider_auth_required", "PROVIDER_AUTH_REQUIRED")
Code.PROVIDER_EXITED = Code.define("provider_exited", "PROVIDER_EXITED")
Code.PROVIDER_START_FAILED = Code.define("provider_start_failed", "PROVIDER_START_FAILED")
#: The launch's environment or arguments make the CLI ignore every persisted
#: trust record: it will ask again whatever a preflight does.
Code.PROVIDER_IGNORES_PERSISTED_TRUST = Code.define(
    "provider_ignores_persisted_trust", "PROVIDER_IGNORES_PERSISTED_TRUST"
)
#: (soft_failed) The request names a strategy that cannot serve the launch
#: mode it names for the provider (a prompt-mode-only patch for a terminal
#: launch): nothing was planned or started for it.
Code.STRATEGY_NOT_FOR_LAUNCH_MODE = Code.define("strategy_not_for_launch_mode", "STRATEGY_NOT_FOR_LAUNCH_MODE")
Code.PREFLIGHT_UNPROTECTED = Code.define("preflight_unavailable_or_unprotected", "PREFLIGHT_UNPROTECTED")
#: (diagnostic) The CLI is newer than the newest version this package was
#: verified on; the run proceeds under the dialog rules.
Code.CLI_VERSION_UNVERIFIED = Code.define("cli_version_unverified", "CLI_VERSION_UNVERIFIED")
#: The CLI is older than the oldest version this package supports; nothing was started.
Code.CLI_VERSION_UNSUPPORTED = Code.define("cli_version_unsupported", "CLI_VERSION_UNSUPPORTED")
#: The CLI is older than the first version that honours a per-launch override
#: (each provider's ``OVERRIDE_FLOORS``): the patch is not offered for it.
Code.OVERRIDE_VERSION_UNSUPPORTED = Code.define("override_unsupported_by_cli_version", "OVERRIDE_VERSION_UNSUPPORTED")
#: (``not_required``) The installed CLI shows no trust dialog for this folder
#: (a provider's own data says for which versions and folders): nothing is started.
Code.FOLDER_NOT_GATED = Code.define("folder_not_gated_by_cli", "FOLDER_NOT_GATED")
Code.PTY_UNAVAILABLE = Code.define("pty_unavailable", "PTY_UNAVAILABLE")
Code.UNKNOWN_SCREEN = Code.define("unknown_screen", "UNKNOWN_SCREEN")
#: A still screen no rule recognises that looks like a trust question (a
#: cursor on an option list, trust vocabulary): ended early, with no key.
Code.UNKNOWN_TRUST_DIALOG = Code.define("unknown_trust_dialog", "UNKNOWN_TRUST_DIALOG")
Code.UNEXPECTED_DIALOG = Code.define("unexpected_dialog", "UNEXPECTED_DIALOG")
Code.SELECTION_FAILED = Code.define("selection_failed", "SELECTION_FAILED")
Code.TIMEOUT = Code.define("timeout", "TIMEOUT")
Code.TRUST_NOT_PERSISTED = Code.define("trust_not_persisted", "TRUST_NOT_PERSISTED")
Code.LOCK_TIMEOUT = Code.define("lock_timeout", "LOCK_TIMEOUT")
#: Trust was proven in the state file during the run, and is gone from it
#: when the run ends (another writer clobbered it); retried once first.
Code.TRUST_LOST = Code.define("trust_lost", "TRUST_LOST")
#: The CLI's own lock on its state file stayed held before spawning; nothing started.
Code.PROVIDER_LOCK_BUSY = Code.define("provider_lock_busy", "PROVIDER_LOCK_BUSY")
#: (diagnostic) The run waited for the CLI's own lock before spawning.
Code.PROVIDER_LOCK_WAITED = Code.define("provider_lock_waited", "PROVIDER_LOCK_WAITED")
#: (diagnostic) A lock the session's killed CLI left behind was removed.
Code.PROVIDER_LOCK_REMOVED = Code.define("provider_lock_removed", "PROVIDER_LOCK_REMOVED")
#: (diagnostic) A CLI lock made during the session outlived it and was left alone.
Code.PROVIDER_LOCK_LEFT = Code.define("provider_lock_left", "PROVIDER_LOCK_LEFT")
Code.CANCELLED = Code.define("cancelled", "CANCELLED")
#: (soft) The run's overall deadline (``--deadline``) came first: the workspace
#: was not started, or its session was stopped and everything it started killed.
Code.DEADLINE_EXCEEDED = Code.define("deadline_exceeded", "DEADLINE_EXCEEDED")
Code.STATE_FILE_MISSING = Code.define("state_file_missing", "STATE_FILE_MISSING")
Code.STATE_FILE_CORRUPT = Code.define("state_file_corrupt", "STATE_FILE_CORRUPT")
Code.STATE_FILE_TOO_LARGE = Code.define("state_file_too_large", "STATE_FILE_TOO_LARGE")
Code.STATE_FILE_UNREADABLE = Code.define("state_file_unreadable", "STATE_FILE_UNREADABLE")
Code.PROCESS_LEFT_RUNNING = Code.define("process_left_running", "PROCESS_LEFT_RUNNING")
Code.RENDER_FAULT = Code.define("render_fault", "RENDER_FAULT")
Code.INTERNAL_ERROR = Code.define("internal_error", "INTERNAL_ERROR")
Code.FEATURE_DISABLED = Code.define("feature_disabled", "FEATURE_DISABLED")
Code.FEATURE_FLAG_INVALID = Code.define("feature_flag_invalid", "FEATURE_FLAG_INVALID")
Code.WORKSPACE_TRUST_REQUIRED = Code.define("workspace_trust_required", "WORKSPACE_TRUST_REQUIRED")
#: A launch patch in a dialect no registered provider knows (its plug-in is gone).
Code.PATCH_DIALECT_UNKNOWN = Code.define("patch_dialect_unknown", "PATCH_DIALECT_UNKNOWN")
#: (plan) The provider offers no per-launch trust override for this launch: a
#: preflight prepares the folder (and starts nothing where it is already trusted).
Code.PREFLIGHT_REQUIRED = Code.define("preflight_required", "PREFLIGHT_REQUIRED")
#: The request strips a variable that moves the CLI's state file from the
#: preflight child while the host's launch keeps it: the child would write
#: trust where the launch does not read it. Nothing was started.
Code.STATE_VARIABLE_STRIPPED = Code.define("state_variable_stripped", "STATE_VARIABLE_STRIPPED")
#: The home folder of the request's environment is a filesystem root: a CLI
#: would write its files there. Nothing was started or written.
Code.HOME_IS_ROOT = Code.define("home_is_root", "HOME_IS_ROOT")
#: The home folder of the request's environment does not exist or is not a
#: folder. Nothing was started or written.
Code.HOME_NOT_A_FOLDER = Code.define("home_not_a_folder", "HOME_NOT_A_FOLDER")
#: The home folder of the request's environment belongs to another account.
#: Nothing was started or written.
Code.HOME_NOT_OWNED = Code.define("home_not_owned", "HOME_NOT_OWNED")
# -- what a trust dialog's option would trust, and dialogs never answered ----------
#: (soft) The dialog's trust option covers a folder (a repository root) that is
#: not the one approved before the start, or that could not be read: no key.
Code.TRUST_SCOPE_REFUSED = Code.define("trust_scope_refused", "TRUST_SCOPE_REFUSED")
#: (diagnostic) The option accepted trusts the whole repository the folder is
#: in; ``trusted_key`` is that repository's root.
Code.TRUST_SCOPE_REPOSITORY = Code.define("trust_scope_repository", "TRUST_SCOPE_REPOSITORY")
#: (blocked) The dialog's trust option would trust a repository that holds the
#: home folder: never answered.
Code.TRUST_SCOPE_HOME = Code.define("trust_scope_covers_home", "TRUST_SCOPE_HOME")
#: (soft) The dialog's Yes lasts for that session only (nothing would persist):
#: never answered.
Code.TRUST_SESSION_ONLY = Code.define("trust_session_only", "TRUST_SESSION_ONLY")
#: (soft) The folder is trusted, and the CLI asks whether to apply the grants
#: its settings declare (permissions, helpers): never ours to answer.
Code.TRUST_GRANTS_DIALOG = Code.define("trust_grants_dialog", "TRUST_GRANTS_DIALOG")
#: (soft) The CLI asks for a taller window before it can offer trust: no key.
Code.DIALOG_WINDOW_TOO_SMALL = Code.define("dialog_window_too_small", "DIALOG_WINDOW_TOO_SMALL")
#: (soft) The CLI asks whether to trust another directory (added with a launch
#: option or a setting, or moved to): never answered.
Code.DIRECTORY_TRUST_DIALOG = Code.define("directory_trust_dialog", "DIRECTORY_TRUST_DIALOG")
#: (soft) A trust dialog a rule recognises, still, with no option a rule
#: accepts (a label with a new suffix, or the option missing): ended early,
#: with no Enter.
Code.UNKNOWN_TRUST_OPTION = Code.define("unknown_trust_option", "UNKNOWN_TRUST_OPTION")
#: (soft) The CLI printed that it did not start because the folder is not
#: trusted: it took its decline option. Nothing was trusted; the folder's
#: session was run once more.
Code.TRUST_DECLINED = Code.define("trust_declined", "TRUST_DECLINED")
#: (diagnostic) A ``workspace_trust.providers`` entry point could not be
#: loaded (its module failed to import, it named no ``ProviderSpec``, or its
#: id was taken): its CLI is unknown to this run; every other provider works.
Code.PROVIDER_PLUGIN_FAILED = Code.define("provider_plugin_failed", "PROVIDER_PLUGIN_FAILED")
