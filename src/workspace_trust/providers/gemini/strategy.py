"""Gemini strategies: the session-only environment patch (default) and the PTY preflight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workspace_trust.domain.codes import WorkspaceStatus
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.patches import PatchPlan
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import ProbeResult, WorkspaceResult
from workspace_trust.ports import BinaryLocator, StateFiles, StateProbe
from workspace_trust.providers.binaries import COMMON_ENV, NO_SELF_UPDATE_ENV, keep_env, resolve_cli_binary
from workspace_trust.providers.gemini import BIN_ENV, FOLDER_DISTRUSTED, GEMINI, STATE_VARIABLES, USUAL_LOCATIONS
from workspace_trust.providers.gemini.floors import OVERRIDE_FLOOR
from workspace_trust.providers.gemini.probe import (
    TRUST_ENV,
    GeminiStateProbe,
    gemini_env_patch,
    trusted_folders_path,
)
from workspace_trust.providers.override_floors import known_cli_version
from workspace_trust.providers.pty_strategy import CommandRefused, PtyCommand, PtyProvider, PtyTrustStrategy
from workspace_trust.strategy import ExecutionContext, TrustStrategy

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


class GeminiEnvStrategy(TrustStrategy):
    provider = GEMINI
    mode = "env"
    flag = "gemini"
    override_floor = OVERRIDE_FLOOR

    def installed_version(self, ctx: ExecutionContext) -> str | None:
        return known_cli_version(
            "gemini",
            ctx.binaries.get(GEMINI),
            {**ctx.env, **gemini_env(ctx.env, ctx.strip_env)},
            BIN_ENV,
            USUAL_LOCATIONS,
            locator=ctx.binary_locator,
            help_reader=ctx.help_reader,
        )

    def probe(self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None = None) -> ProbeResult:
        return GeminiStateProbe(trusted_folders_path(env), files=files).read_trust(workspace)

    def plan_patches(self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str]) -> PatchPlan:
        persistable = tuple(w for w in workspaces if w.persistable)
        return PatchPlan(env_patches=(gemini_env_patch(persistable),)) if persistable else PatchPlan()

    def prepare(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        probe = self.probe(workspace, ctx.env, ctx.state_files)
        if probe.trusted:
            return base_result(self.provider, workspace, WorkspaceStatus.ALREADY_TRUSTED, trusted_key=probe.trusted_key)
        for code, status in GeminiPty.refusing_codes:
            if any(d.code is code for d in probe.diagnostics):
                # The patch would still trust the folder for the launch; the
                # host is told so here, and its policy decides.
                return base_result(self.provider, workspace, status, code, diagnostics=probe.diagnostics)
        return base_result(self.provider, workspace, WorkspaceStatus.PATCHED)


class GeminiPty(PtyProvider):
    provider = GEMINI
    flag = "gemini"
    #: proper-lockfile's ``trustedFolders.json.lock`` folder (0.61.0), stale after 10 s.
    state_lock_suffixes = (".lock",)
    #: The user refused the folder: Gemini opens it restricted, with no dialog
    #: to answer (0.61.0); nothing is started.
    refusing_codes = ((FOLDER_DISTRUSTED, WorkspaceStatus.SOFT_FAILED),)

    def state_file(self, env: Mapping[str, str]) -> str | None:
        return trusted_folders_path(env)

    def state_probe(
        self, env: Mapping[str, str], files: StateFiles | None = None, version: str | None = None
    ) -> StateProbe:
        return GeminiStateProbe(self.state_file(env), files=files)

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return {**gemini_env(host_env, strip), **NO_SELF_UPDATE_ENV}

    def resolve_binary(self, explicit: str | None, env: Mapping[str, str], locator: BinaryLocator | None = None) -> str:
        return resolve_cli_binary("gemini", explicit, env, BIN_ENV, USUAL_LOCATIONS, locator=locator)

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        return PtyCommand(argv=(binary,))


def gemini_pty_strategy() -> PtyTrustStrategy:
    return PtyTrustStrategy(GeminiPty())
