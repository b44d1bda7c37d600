"""Qwen Code's PTY preflight: accept its trust dialog, when its folder trust is on."""

from __future__ import annotations

from collections.abc import Mapping

from workspace_trust.domain.codes import WorkspaceStatus
from workspace_trust.ports import StateProbe
from workspace_trust.providers.binaries import COMMON_ENV, keep_env, resolve_cli_binary
from workspace_trust.providers.pty_strategy import CommandRefused, PtyCommand, PtyProvider, PtyTrustStrategy
from workspace_trust.providers.qwen import FOLDER_DISTRUSTED, QWEN, SETTINGS_UNREADABLE
from workspace_trust.providers.qwen.probe import QwenStateProbe
from workspace_trust.providers.qwen.rules import QWEN_RULES
from workspace_trust.providers.qwen.settings import (
    QWEN_HOME_ENV,
    SYSTEM_DEFAULTS_ENV,
    SYSTEM_SETTINGS_ENV,
    TRUSTED_FOLDERS_ENV,
    FolderTrust,
    folder_trust,
    trusted_folders_path,
)
from workspace_trust.strategy import ExecutionContext

BIN_ENV = "WORKSPACE_TRUST_QWEN_BIN"
USUAL_LOCATIONS = (
    ".npm-global/bin/qwen",
    ".local/bin/qwen",
    "/usr/local/bin/qwen",
    "/opt/homebrew/bin/qwen",
)
#: The dialog comes before any login: no credentials are passed. The
#: variables that move Qwen's files are, so that the CLI and the probe read
#: the same ones.
KEEP_ENV = (*COMMON_ENV, QWEN_HOME_ENV, TRUSTED_FOLDERS_ENV, SYSTEM_SETTINGS_ENV, SYSTEM_DEFAULTS_ENV)
#: Disables hooks, extensions, skills, MCP servers and QWEN.md for the session
#: (0.21+; 0.15.6 has no such flag and runs as it is). The trust dialog and
#: its write are the same with it (seen on 0.24.4).
SAFE_MODE = "--safe-mode"


def qwen_env(host_env: Mapping[str, str], strip: tuple[str, ...] = ()) -> dict[str, str]:
    return keep_env(host_env, KEEP_ENV, strip)


def qwen_trust_required(env: Mapping[str, str]) -> bool:
    """False only when Qwen's folder trust is certainly off under ``env``."""
    return folder_trust(env).trust is not FolderTrust.OFF


def qwen_state_file(env: Mapping[str, str]) -> str | None:
    """The trusted-folders file, where it does not depend on the folder Qwen runs in."""
    return trusted_folders_path(env)


class QwenPty(PtyProvider):
    provider = QWEN
    rules = QWEN_RULES
    flag = "qwen"
    reads_help = True
    #: proper-lockfile's ``trustedFolders.json.lock`` folder (0.21+), stale after 10 s.
    state_lock_suffixes = (".lock",)
    refusing_codes = (
        (SETTINGS_UNREADABLE, WorkspaceStatus.BLOCKED),
        (FOLDER_DISTRUSTED, WorkspaceStatus.SOFT_FAILED),
    )

    def state_file(self, env: Mapping[str, str]) -> str | None:
        return qwen_state_file(env)

    def state_probe(self, env: Mapping[str, str]) -> StateProbe:
        return QwenStateProbe(env)

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return qwen_env(host_env, strip)

    def trust_required(self, env: Mapping[str, str]) -> bool:
        return qwen_trust_required(env)

    def resolve_binary(self, explicit: str | None, env: Mapping[str, str]) -> str:
        return resolve_cli_binary("qwen", explicit, env, BIN_ENV, USUAL_LOCATIONS)

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        if help_text is not None and SAFE_MODE in help_text:
            return PtyCommand(argv=(binary, SAFE_MODE))
        return PtyCommand(argv=(binary,))


def qwen_pty_strategy() -> PtyTrustStrategy:
    return PtyTrustStrategy(QwenPty())
