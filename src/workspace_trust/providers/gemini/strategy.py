"""Gemini strategies: the session-only environment patch (default) and the PTY preflight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workspace_trust.domain.codes import WorkspaceStatus
from workspace_trust.domain.patches import PatchPlan
from workspace_trust.domain.paths import Workspace
from workspace_trust.providers.binaries import COMMON_ENV, NO_SELF_UPDATE_ENV, keep_env
from workspace_trust.providers.gemini import FOLDER_DISTRUSTED, GEMINI, STATE_VARIABLES
from workspace_trust.providers.gemini.floors import OVERRIDE_FLOOR
from workspace_trust.providers.gemini.probe import TRUST_ENV, gemini_env_patch
from workspace_trust.providers.patch_strategy import PatchStrategy
from workspace_trust.providers.pty_strategy import CommandRefused, PtyCommand, PtyProvider, PtyTrustStrategy
from workspace_trust.strategy import ExecutionContext

KEEP_ENV = (
    *COMMON_ENV,
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GEMINI_CLI_SYSTEM_SETTINGS_PATH",
    # Every variable that moves its home or trust file, so that the child
    # writes trust where the host's launch reads it.
    *(variable.name for variable in STATE_VARIABLES),
)


def gemini_env(host_env: Mapping[str, str], strip: tuple[str, ...] = ()) -> dict[str, str]:
    # The session-trust variable would skip the very dialog the PTY strategy answers.
    return keep_env(host_env, KEEP_ENV, (*strip, TRUST_ENV))


class GeminiPty(PtyProvider):
    provider = GEMINI
    #: proper-lockfile's ``trustedFolders.json.lock`` folder (0.61.0), stale after 10 s.
    state_lock_suffixes = (".lock",)
    #: The user refused the folder: Gemini opens it restricted, with no dialog
    #: to answer (0.61.0); nothing is started.
    refusing_codes = ((FOLDER_DISTRUSTED, WorkspaceStatus.SOFT_FAILED),)

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return {**gemini_env(host_env, strip), **NO_SELF_UPDATE_ENV}

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        return PtyCommand(argv=(binary,))


class GeminiEnvStrategy(PatchStrategy):
    provider = GEMINI
    mode = "env"
    override_floor = OVERRIDE_FLOOR
    refusing_codes = GeminiPty.refusing_codes

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return gemini_env(host_env, strip)

    def plan_patches(self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str]) -> PatchPlan:
        persistable = tuple(w for w in workspaces if w.persistable)
        return PatchPlan(env_patches=(gemini_env_patch(persistable),)) if persistable else PatchPlan()


def gemini_pty_strategy() -> PtyTrustStrategy:
    return PtyTrustStrategy(GeminiPty())
