"""Codex strategies: per-launch ``-c`` patches (default) and the opt-in PTY preflight."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from workspace_trust.domain.codes import Code, WorkspaceStatus
from workspace_trust.domain.errors import StateFileError
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.patches import LaunchArgPatch, PatchPlan, TargetSurface
from workspace_trust.domain.paths import HostOs, Workspace
from workspace_trust.domain.policy import KeyJudge
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult
from workspace_trust.ports import StateFiles
from workspace_trust.providers.binaries import COMMON_ENV, keep_env
from workspace_trust.providers.codex import (
    CODEX,
    DIRECT_CLI_CONFIG,
    PATH_UNREPRESENTABLE,
    RUNTIME_SETTINGS,
)
from workspace_trust.providers.codex.floors import OVERRIDE_FLOOR
from workspace_trust.providers.codex.gating import PROJECT_CONFIG_DIR, embedded_mode, not_gated
from workspace_trust.providers.codex.overrides import (
    UNREPRESENTABLE,
    build_trust_override,
    representable,
    trust_paths_for,
)
from workspace_trust.providers.codex.patching import codex_config_values
from workspace_trust.providers.patch_strategy import PatchStrategy
from workspace_trust.providers.pty_strategy import CommandRefused, PtyCommand, PtyProvider, PtyTrustStrategy
from workspace_trust.strategy import ExecutionContext

if TYPE_CHECKING:
    from workspace_trust.session import SessionEnd

KEEP_ENV = (
    *COMMON_ENV,
    "CODEX_HOME",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
)
#: Surfaces that receive the trust override, each in the dialect that reaches Codex there.
_SURFACES = (
    (TargetSurface.PRIMARY_PROVIDER_ARGS, DIRECT_CLI_CONFIG),
    (TargetSurface.PROVIDER_FACTS_PROBE, DIRECT_CLI_CONFIG),
    (TargetSurface.DEFAULT_MODEL_PROBE, DIRECT_CLI_CONFIG),
    (TargetSurface.CROSS_PROVIDER_MEMBER_ARGS, RUNTIME_SETTINGS),
)


def codex_env(host_env: Mapping[str, str], strip: tuple[str, ...] = ()) -> dict[str, str]:
    return keep_env(host_env, KEEP_ENV, strip)


def codex_patch_plan(
    workspaces: tuple[Workspace, ...], launch_args: Sequence[str], judge: KeyJudge | None = None
) -> PatchPlan:
    """Typed patches trusting every workspace's exact and real path for one
    launch; the host's own ``-c`` values in ``launch_args`` are kept, and its
    ``projects=`` ones merged into ours, but for an entry ``judge`` refuses
    (it trusts a folder no CLI may be left trusting), which is left out with
    its code."""
    existing = tuple(value for _, _, value in codex_config_values(launch_args))
    persistable: list[Workspace] = []
    left_out: list[Diagnostic] = []
    for workspace in (w for w in workspaces if w.persistable):
        if all(representable(key) for key in trust_paths_for((workspace,))):
            persistable.append(workspace)
        else:
            # Named per folder, so that each row gets its own reason.
            left_out.append(Diagnostic(PATH_UNREPRESENTABLE, UNREPRESENTABLE, CODEX, workspace.id))
    host = persistable[0].host if persistable else HostOs.this_machine()
    build = build_trust_override(trust_paths_for(persistable), existing, host, judge=judge)
    kept = tuple(v for v in existing if v not in build.replaces)
    if build.value is None or not persistable:
        # Nothing of ours to add: the host's own -c values are given back as
        # they came, but for a projects= table that trusted a refused folder
        # (its other entries, if any, in ``build.value``).
        values = (*kept, build.value) if build.value is not None else kept
        return PatchPlan(launch_values={CODEX: values} if values else {}, diagnostics=(*left_out, *build.diagnostics))
    ids = tuple(w.id for w in persistable)
    patches = tuple(
        LaunchArgPatch(
            id=f"codex.trust.{surface.value}",
            target_provider=CODEX,
            target_surface=surface,
            dialect=dialect,
            values=(build.value,),
            dedupe_key=f"codex:projects-trust:{surface.value}",
            source_workspace_ids=ids,
            reason="Codex skips its trust dialog for these folders in this launch only",
            refused_keys=build.refused,
        )
        for surface, dialect in _SURFACES
    )
    return PatchPlan(
        arg_patches=patches, launch_values={CODEX: (*kept, build.value)}, diagnostics=(*left_out, *build.diagnostics)
    )


def has_project_config(workspace: Workspace) -> bool:
    """Whether the folder holds a ``.codex`` entry (Codex's project config;
    outside git it brings the trust dialog back). Unreadable counts as yes."""
    try:
        return os.path.lexists(os.path.join(workspace.real_path, PROJECT_CONFIG_DIR))
    except (OSError, ValueError):
        return True


class CodexArgsStrategy(PatchStrategy):
    """Default: trust through a per-launch ``-c projects={...}`` override; no process."""

    provider = CODEX
    mode = "args"
    override_floor = OVERRIDE_FLOOR

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return codex_env(host_env, strip)

    def launch_notes(self, version: str | None) -> tuple[Diagnostic, ...]:
        found = embedded_mode(version)
        return () if found is None else (found,)

    def plan_patches(self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str]) -> PatchPlan:
        return codex_patch_plan(workspaces, launch_args)

    def plan_judged_patches(
        self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str], judge: KeyJudge
    ) -> PatchPlan:
        return codex_patch_plan(workspaces, launch_args, judge)

    def not_gated(self, workspace: Workspace, probe: ProbeResult, ctx: ExecutionContext) -> Diagnostic | None:
        version = self.installed_version(ctx)
        return not_gated(version, workspace, has_project_config=has_project_config(workspace), probe=probe)

    def patched(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        # Planned against the host's own -c values, as the document's patches
        # are: a host override that cannot be merged leaves nothing patched.
        plan = codex_patch_plan((workspace,), ctx.launch_args.get(self.provider, ()), ctx.key_judge(workspace.host))
        if not plan.arg_patches:
            first = plan.diagnostics[0] if plan.diagnostics else None
            return base_result(
                self.provider,
                workspace,
                WorkspaceStatus.SOFT_FAILED,
                first.code if first else PATH_UNREPRESENTABLE,
                diagnostics=plan.diagnostics,
            )
        return base_result(self.provider, workspace, WorkspaceStatus.PATCHED, diagnostics=plan.diagnostics)


class CodexPty(PtyProvider):
    """Opt-in: accept trust in Codex's own TUI, so Codex persists it."""

    provider = CODEX
    reads_help = True
    trusts_repository_root = True

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return codex_env(host_env, strip)

    def not_gated(self, workspace: Workspace, version: str | None, probe: ProbeResult) -> Diagnostic | None:
        return not_gated(version, workspace, has_project_config=has_project_config(workspace), probe=probe)

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        # 0.169.0 starts an app-server daemon in its own session unless told not
        # to; the process-group kill cannot reach it.
        if help_text is not None and "--no-daemon" in help_text:
            return PtyCommand(argv=(binary, "--no-daemon"))
        return PtyCommand(argv=(binary,))

    def never_set_up(self, env: Mapping[str, str], state_file: str, files: StateFiles) -> tuple[Code, str] | None:
        # Without auth.json beside config.toml, Codex (0.125.0 to 0.171.0) starts
        # with its sign-in picker, OPENAI_API_KEY set or not (seen on 0.171.0),
        # and writes its folder in the home first.
        auth = os.path.join(os.path.dirname(state_file), "auth.json")
        try:
            missing = files.stat(auth, "auth.json") is None
        except StateFileError:
            missing = False  # there is something; its sign-in screen, if any, is recognised
        if not missing:
            return None
        return Code.PROVIDER_AUTH_REQUIRED, (
            "Codex has no credentials under this environment (no auth.json in CODEX_HOME or ~/.codex); "
            "run `codex` once by hand. Nothing was started"
        )

    def messages(self) -> Mapping[SessionEnd, str]:
        from workspace_trust.session import SessionEnd  # a session's module, loaded when one ends

        return {
            SessionEnd.AUTH_REQUIRED: "Codex needs credentials in CODEX_HOME; run `codex` once by hand",
            SessionEnd.TRUST_NOT_PERSISTED: (
                "Codex opened without asking for trust (0.162.0 to 0.171.0 ask outside a git repository only "
                "where the folder holds .codex; providers/codex/gating.py); "
                "use the args strategy (-c projects=...) for this folder"
            ),
        }


def codex_pty_strategy() -> PtyTrustStrategy:
    return PtyTrustStrategy(CodexPty())
