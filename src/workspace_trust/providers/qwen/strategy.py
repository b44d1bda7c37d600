"""Qwen Code's strategies, used only where its folder trust is on: the PTY
preflight (default) and the per-launch trusted-folders file (opt-in)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from workspace_trust.domain.codes import WorkspaceStatus
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.patches import EnvPatch, PatchFile, PatchPlan
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import ProbeResult, WorkspaceResult
from workspace_trust.errors import BinaryMissingError, PreflightCancelled
from workspace_trust.ports import StateFiles
from workspace_trust.providers.binaries import (
    COMMON_ENV,
    NO_SELF_UPDATE_ENV,
    installed_version,
    keep_env,
)
from workspace_trust.providers.patch_strategy import PatchStrategy
from workspace_trust.providers.pty_strategy import (
    HELP_TIMEOUT_MS,
    CommandRefused,
    PtyCommand,
    PtyProvider,
    PtyTrustStrategy,
)
from workspace_trust.providers.qwen import (
    FOLDER_DISTRUSTED,
    QWEN,
    SAFE_MODE,
    SETTINGS_UNREADABLE,
    STATE_VARIABLES,
)
from workspace_trust.providers.qwen.floors import OVERRIDE_FLOOR
from workspace_trust.providers.qwen.keys import qwen_config_key
from workspace_trust.providers.qwen.probe import TRUST_FOLDER, QwenStateProbe
from workspace_trust.providers.qwen.settings import (
    QWEN_HOME_ENV,
    SYSTEM_DEFAULTS_ENV,
    SYSTEM_SETTINGS_ENV,
    TRUSTED_FOLDERS_ENV,
    TRUSTED_FOLDERS_FILE,
    FolderTrust,
    folder_trust,
)
from workspace_trust.providers.qwen.spec import SPEC
from workspace_trust.providers.state_vars import honoured_env
from workspace_trust.strategy import ExecutionContext

#: The dialog comes before any login: no credentials are passed. The
#: variables that move Qwen's files are, so that the CLI and the probe read
#: the same ones.
KEEP_ENV = (*COMMON_ENV, QWEN_HOME_ENV, TRUSTED_FOLDERS_ENV, SYSTEM_SETTINGS_ENV, SYSTEM_DEFAULTS_ENV)


def qwen_env(host_env: Mapping[str, str], strip: tuple[str, ...] = ()) -> dict[str, str]:
    return keep_env(host_env, KEEP_ENV, strip)


def qwen_trust_required(env: Mapping[str, str]) -> bool:
    """False only when Qwen's folder trust is certainly off under ``env``."""
    return folder_trust(env).trust is not FolderTrust.OFF


class QwenPty(PtyProvider):
    provider = QWEN
    reads_help = True
    #: proper-lockfile's ``trustedFolders.json.lock`` folder (0.21+), stale after 10 s.
    state_lock_suffixes = (".lock",)
    refusing_codes = (
        (SETTINGS_UNREADABLE, WorkspaceStatus.BLOCKED),
        (FOLDER_DISTRUSTED, WorkspaceStatus.SOFT_FAILED),
    )

    #: Its home .env files are read from 0.15.10 on (settings.DOTENV_SINCE).
    version_locates_state = True

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return {**qwen_env(host_env, strip), **NO_SELF_UPDATE_ENV}

    def trust_required(self, env: Mapping[str, str]) -> bool:
        return qwen_trust_required(env)

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        if help_text is not None and SAFE_MODE in help_text:
            return PtyCommand(argv=(binary, SAFE_MODE))
        return PtyCommand(argv=(binary,))


def qwen_pty_strategy() -> PtyTrustStrategy:
    return PtyTrustStrategy(QwenPty())


# -- the per-launch override ---------------------------------------------------------

ENV_PATCH_ID = "qwen.trusted_folders_file"


def qwen_env_patch(workspaces: Iterable[Workspace]) -> EnvPatch:
    """``QWEN_CODE_TRUSTED_FOLDERS_PATH`` naming a private file that trusts
    exactly these folders (``TRUST_FOLDER`` for each one's path and real path).

    Qwen then reads that file instead of the user's (0.15.6 to 0.24.4, seen on
    the real CLI): no dialog, and nothing is written to the user's file. The
    file is data here; the host makes it for the launch (``launch_env``)."""
    chosen = tuple(workspaces)
    rules = {qwen_config_key(path, w.host): TRUST_FOLDER for w in chosen for path in w.trust_paths}
    return EnvPatch(
        id=ENV_PATCH_ID,
        target_provider=QWEN,
        values=(),
        dedupe_key=f"qwen:env:{TRUSTED_FOLDERS_ENV}",
        source_workspace_ids=tuple(w.id for w in chosen),
        reason="Qwen Code reads its trusted folders from this private file for this launch only; "
        "the user's trustedFolders.json is neither read nor written",
        session_only=True,
        files=(PatchFile(TRUSTED_FOLDERS_ENV, TRUSTED_FOLDERS_FILE, json.dumps(rules, indent=2) + "\n"),),
    )


class QwenEnvStrategy(PatchStrategy):
    """Per launch: a private trusted-folders file (opt-in; see docs/providers.md)."""

    provider = QWEN
    mode = "env"
    override_floor = OVERRIDE_FLOOR
    refusing_codes = QwenPty.refusing_codes

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return qwen_env(host_env, strip)

    def trust_required(self, env: Mapping[str, str]) -> bool:
        # The host launches Qwen with its own environment, not the preflight's.
        return qwen_trust_required(env)

    def probe(self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None = None) -> ProbeResult:
        return self.probe_version(workspace, env, files, None)

    def probe_version(
        self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None, version: str | None
    ) -> ProbeResult:
        # As the launched version reads the environment, its home .env files
        # (QWEN_HOME, and those files, from 0.15.10) and its trust rules.
        found = version if version is not None else _installed(env)
        return QwenStateProbe(honoured_env(env, STATE_VARIABLES, found), files, found).read_trust(workspace)

    def cli_version(self, ctx: ExecutionContext) -> str | None:
        # The CLI the host launches: found as the PTY strategy finds it.
        return qwen_pty_strategy().cli_version(ctx)

    def plan_patches(self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str]) -> PatchPlan:
        persistable = tuple(w for w in workspaces if w.persistable)
        return PatchPlan(env_patches=(qwen_env_patch(persistable),)) if persistable else PatchPlan()

    def patched(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        # Below the override's floor the plan carries no patch for the folder,
        # and the coordinator reports it (override_unsupported_by_cli_version).
        # The user's own file does not matter to a patched launch (Qwen reads
        # the private one instead), even when it cannot be read.
        return base_result(self.provider, workspace, WorkspaceStatus.PATCHED, cli_version=_session_version(ctx))


def _installed(env: Mapping[str, str]) -> str | None:
    """The version of the Qwen binary ``env`` names, told without starting it."""
    try:
        return installed_version(SPEC.resolve_binary(None, env))
    except BinaryMissingError:
        return None


def _session_version(ctx: ExecutionContext) -> str | None:
    """The version of the Qwen binary the host launches (``--version`` once per
    binary ever when its package does not say); None when it cannot be found."""
    try:
        binary = SPEC.resolve_binary(ctx.binaries.get(QWEN), ctx.env, ctx.binary_locator)
        timeout_ms = min(HELP_TIMEOUT_MS, ctx.timing.total_budget_ms)
        return installed_version(binary) or ctx.help_reader.read_version(
            binary, qwen_env(ctx.env), timeout_ms, is_cancelled=ctx.is_cancelled
        )
    except (BinaryMissingError, PreflightCancelled):
        return None
