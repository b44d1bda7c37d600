"""Claude Code: accept the workspace-trust dialog in a protected PTY session.

Flow per workspace: guard (home, roots, missing) -> probe -> lock -> re-probe ->
resolve binary -> check protected flags -> spawn -> dialog engine until the
state file says trusted -> kill the process group. Success is only ever read
from ``.claude.json``; this module never writes it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping

import attrs

from workspace_trust.domain.codes import Code, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult
from workspace_trust.engine.dialog import DialogEngine
from workspace_trust.errors import (
    BinaryMissingError,
    CancelledError,
    LockTimeoutError,
    PtyUnavailableError,
)
from workspace_trust.ports import PtySession, SpawnSpec
from workspace_trust.providers.claude.probe import ClaudeStateProbe, claude_state_path
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.runner import SessionEnd, SessionOutcome, run_session
from workspace_trust.strategy import (
    ExecutionContext,
    ProgressEvent,
    ProgressStage,
    TrustStrategy,
    base_result,
    guard_result,
)

log = logging.getLogger(__name__)

BIN_ENV = "WORKSPACE_TRUST_CLAUDE_BIN"
EMPTY_MCP_CONFIG: dict[str, dict[str, object]] = {"mcpServers": {}}
PROTECTED_SETTINGS = '{"disableAllHooks":true}'
HELP_TIMEOUT_MS = 20000

#: Variables the preflight always keeps from the host environment.
KEEP_ENV = (
    "HOME",
    "USERPROFILE",
    "USER",
    "LOGNAME",
    "PATH",
    "SHELL",
    "COMSPEC",
    "TERM",
    "CLAUDE_CONFIG_DIR",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "TMP",
    "TEMP",
    "SYSTEMROOT",
    "APPDATA",
    "LOCALAPPDATA",
    "XDG_CONFIG_HOME",
    "XDG_RUNTIME_DIR",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "AWS_PROFILE",
    "AWS_REGION",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "NODE_EXTRA_CA_CERTS",
)

#: Host runtime variables that must never reach a preflight (team bootstrap,
#: control URLs, nested-session markers). Callers add their own.
STRIP_ENV = (
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
    "CLAUDE_ENABLE_DETERMINISTIC_TEAM_BOOTSTRAP",
    "CLAUDE_TEAM_CONTROL_URL",
)

#: Set for the preflight only. The auto-updater must not be running when the
#: process group is killed a moment after trust persists (2.1.197 showed
#: "Auto-updating..." right after trust), and non-essential traffic only slows
#: the first start on a machine without network.
PREFLIGHT_ENV = {
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
}

#: Install locations tried after PATH, relative to HOME unless absolute.
USUAL_LOCATIONS = (
    ".claude/local/claude",
    ".local/bin/claude",
    ".npm-global/bin/claude",
    "/usr/local/bin/claude",
    "/opt/homebrew/bin/claude",
)


def preflight_env(host_env: Mapping[str, str], strip: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment of a Claude preflight: the essentials, never the host's runtime."""
    stripped = set(STRIP_ENV) | set(strip)
    env = {k: v for k, v in host_env.items() if k in KEEP_ENV and k not in stripped}
    env.setdefault("TERM", "xterm-256color")
    if env.get("TERM") in ("", "dumb"):
        env["TERM"] = "xterm-256color"
    env.update(PREFLIGHT_ENV)
    return env


def resolve_claude_binary(explicit: str | None, env: Mapping[str, str]) -> str:
    """Explicit path, then $WORKSPACE_TRUST_CLAUDE_BIN, then the child's PATH, then
    the usual install locations. Raises ``BinaryMissingError``."""
    for candidate in (explicit, env.get(BIN_ENV)):
        if candidate:
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return os.path.abspath(candidate)
            raise BinaryMissingError(f"Claude binary is not an executable file: {candidate}")
    found = shutil.which("claude", path=env.get("PATH", os.defpath))
    if found:
        return os.path.abspath(found)
    home = env.get("HOME") or env.get("USERPROFILE") or ""
    for location in USUAL_LOCATIONS:
        path = location if os.path.isabs(location) else os.path.join(home, location)
        if home or os.path.isabs(location):
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    raise BinaryMissingError("Claude Code CLI not found (PATH and usual install locations)")


@attrs.frozen(slots=True)
class ProtectedCommand:
    argv: tuple[str, ...]
    protected: bool
    missing_flags: tuple[str, ...]


REQUIRED_FLAGS = (
    "--strict-mcp-config",
    "--mcp-config",
    "--setting-sources",
    "--settings",
    "--tools",
)


def build_protected_command(
    binary: str, help_text: str | None, mcp_config_path: str, *, allow_unprotected: bool
) -> ProtectedCommand | None:
    """The protected interactive command, or None when it cannot be built safely.

    Never ``-p`` (print mode skips trust), never ``doctor``, never
    ``--dangerously-skip-permissions``.
    """
    text = help_text or ""
    missing = tuple(flag for flag in REQUIRED_FLAGS if flag not in text)
    if not missing:
        args = [binary]
        if "--bare" in text:
            args.append("--bare")
        args += [
            "--strict-mcp-config",
            "--mcp-config",
            mcp_config_path,
            "--setting-sources",
            "user",
            "--settings",
            PROTECTED_SETTINGS,
            "--tools",
            "",
        ]
        return ProtectedCommand(tuple(args), protected=True, missing_flags=())
    if allow_unprotected:
        return ProtectedCommand((binary,), protected=False, missing_flags=missing)
    return None


class ClaudePtyStrategy(TrustStrategy):
    provider = Provider.CLAUDE
    mode = "pty"

    def __init__(self) -> None:
        self._probes: dict[str, ClaudeStateProbe] = {}

    def _probe_for(self, env: Mapping[str, str]) -> ClaudeStateProbe:
        path = claude_state_path(env, env.get("HOME") or env.get("USERPROFILE"))
        key = path or ""
        probe = self._probes.get(key)
        if probe is None:
            probe = ClaudeStateProbe(path)
            self._probes[key] = probe
        return probe

    def probe(self, workspace: Workspace, env: Mapping[str, str]) -> ProbeResult:
        return self._probe_for(env).read_trust(workspace)

    def execute_workspace(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        started = ctx.clock.monotonic_ms()
        ctx.progress(ProgressEvent(Provider.CLAUDE, workspace.id, ProgressStage.STARTED))
        result = self._execute(workspace, ctx, started)
        result = attrs.evolve(result, elapsed_ms=ctx.clock.monotonic_ms() - started)
        ctx.progress(
            ProgressEvent(
                Provider.CLAUDE,
                workspace.id,
                ProgressStage.FINISHED,
                detail=result.code.value if result.code else "",
                status=result.status,
            )
        )
        return result

    def _execute(self, workspace: Workspace, ctx: ExecutionContext, started: int) -> WorkspaceResult:
        P = Provider.CLAUDE
        blocked = guard_result(P, workspace)
        if blocked is not None:
            return blocked
        env = preflight_env(ctx.env, ctx.strip_env)
        probe = self._probe_for(env)
        before = probe.read_trust(workspace)
        if before.trusted:
            return base_result(P, workspace, WorkspaceStatus.ALREADY_TRUSTED, trusted_key=before.trusted_key)
        if any(
            d.code in (Code.STATE_FILE_CORRUPT, Code.STATE_FILE_TOO_LARGE, Code.STATE_FILE_UNREADABLE)
            for d in before.diagnostics
        ):
            # Success could never be verified; do not start a process.
            first = before.diagnostics[0]
            return base_result(
                P,
                workspace,
                WorkspaceStatus.SOFT_FAILED,
                first.code,
                diagnostics=before.diagnostics,
            )
        if ctx.is_cancelled():
            return base_result(P, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)

        ctx.progress(ProgressEvent(P, workspace.id, ProgressStage.WAITING_FOR_LOCK))
        lock_key = f"claude:{workspace.comparison_key}"
        try:
            with ctx.locks.hold(
                lock_key, timeout_ms=ctx.lock_timeout_ms, is_cancelled=ctx.is_cancelled
            ) as held:
                after = probe.read_trust(workspace)
                if after.trusted:
                    return base_result(
                        P,
                        workspace,
                        WorkspaceStatus.ALREADY_TRUSTED_AFTER_WAIT,
                        trusted_key=after.trusted_key,
                        lock_wait_ms=held.waited_ms,
                    )
                if ctx.is_cancelled():
                    return base_result(P, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
                result = self._run_pty(workspace, ctx, env, probe)
                return attrs.evolve(result, lock_wait_ms=held.waited_ms)
        except LockTimeoutError as exc:
            return base_result(P, workspace, WorkspaceStatus.SOFT_FAILED, Code.LOCK_TIMEOUT, str(exc))
        except CancelledError:
            return base_result(P, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)

    def _run_pty(
        self,
        workspace: Workspace,
        ctx: ExecutionContext,
        env: dict[str, str],
        probe: ClaudeStateProbe,
    ) -> WorkspaceResult:
        P = Provider.CLAUDE
        try:
            binary = resolve_claude_binary(ctx.binaries.get(P), {**ctx.env, **env})
        except BinaryMissingError as exc:
            return base_result(
                P, workspace, WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_BINARY_MISSING, str(exc)
            )

        mcp_dir = tempfile.mkdtemp(prefix="workspace-trust-mcp-", dir=ctx.temp_dir)
        session: PtySession | None = None
        try:
            mcp_path = os.path.join(mcp_dir, "empty-mcp.json")
            with open(mcp_path, "w", encoding="utf-8") as handle:
                json.dump(EMPTY_MCP_CONFIG, handle)
            help_text = ctx.help_reader.read_help(binary, env, HELP_TIMEOUT_MS)
            command = build_protected_command(
                binary, help_text, mcp_path, allow_unprotected=ctx.allow_unprotected_claude
            )
            if command is None:
                return base_result(
                    P,
                    workspace,
                    WorkspaceStatus.SOFT_FAILED,
                    Code.PREFLIGHT_UNPROTECTED,
                    "this Claude Code does not offer the protected preflight flags; "
                    "set allow_unprotected_claude to run it without them",
                )
            if ctx.is_cancelled():
                return base_result(P, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
            try:
                session = ctx.spawner.spawn(SpawnSpec(argv=command.argv, cwd=workspace.real_path, env=env))
            except BinaryMissingError as exc:
                return base_result(
                    P,
                    workspace,
                    WorkspaceStatus.SOFT_FAILED,
                    Code.PROVIDER_BINARY_MISSING,
                    str(exc),
                )
            except PtyUnavailableError as exc:
                return base_result(P, workspace, WorkspaceStatus.SOFT_FAILED, Code.PTY_UNAVAILABLE, str(exc))
            ctx.progress(ProgressEvent(P, workspace.id, ProgressStage.SPAWNED))
            engine = DialogEngine(CLAUDE_RULES, ctx.timing)
            outcome = run_session(
                session,
                engine,
                ctx.clock,
                success=lambda: probe.read_trust(workspace),
                is_cancelled=ctx.is_cancelled,
                timing=ctx.timing,
            )
            report = session.kill()
            session = None
            result = _map_outcome(workspace, outcome, ctx)
            if report.survivors:
                result = attrs.evolve(
                    result,
                    diagnostics=(
                        *result.diagnostics,
                        Diagnostic(
                            Code.PROCESS_LEFT_RUNNING,
                            f"{len(report.survivors)} process(es) survived SIGKILL",
                            P,
                            workspace.id,
                        ),
                    ),
                )
            if not command.protected:
                result = attrs.evolve(
                    result,
                    diagnostics=(
                        *result.diagnostics,
                        Diagnostic(
                            Code.PREFLIGHT_UNPROTECTED,
                            "ran without protected flags (explicitly allowed): "
                            + ", ".join(command.missing_flags),
                            P,
                            workspace.id,
                        ),
                    ),
                )
            return result
        finally:
            if session is not None:
                session.kill()
            shutil.rmtree(mcp_dir, ignore_errors=True)


_END_TO_STATUS: dict[SessionEnd, tuple[WorkspaceStatus, Code | None, str]] = {
    SessionEnd.TRUST_PERSISTED: (WorkspaceStatus.ACCEPTED, None, ""),
    SessionEnd.SETUP_REQUIRED: (
        WorkspaceStatus.BLOCKED,
        Code.PROVIDER_SETUP_REQUIRED,
        "Claude Code needs its first-run setup; run `claude` once by hand",
    ),
    SessionEnd.AUTH_REQUIRED: (
        WorkspaceStatus.BLOCKED,
        Code.PROVIDER_AUTH_REQUIRED,
        "Claude Code needs a login; run `claude` once by hand",
    ),
    SessionEnd.ABORTED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNEXPECTED_DIALOG,
        "Claude Code showed a dialog the preflight must not answer",
    ),
    SessionEnd.SELECTION_FAILED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.SELECTION_FAILED,
        "the cursor could not be brought onto the trust option; Enter was not pressed",
    ),
    SessionEnd.PROVIDER_EXITED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.PROVIDER_EXITED,
        "Claude Code exited before trust was persisted",
    ),
    SessionEnd.TRUST_NOT_PERSISTED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.TRUST_NOT_PERSISTED,
        "the trust option was confirmed but .claude.json does not record it",
    ),
    SessionEnd.UNKNOWN_SCREEN: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNKNOWN_SCREEN,
        "Claude Code showed a screen no rule recognises",
    ),
    SessionEnd.TIMEOUT: (
        WorkspaceStatus.SOFT_FAILED,
        Code.TIMEOUT,
        "the preflight time budget ran out",
    ),
    SessionEnd.CANCELLED: (WorkspaceStatus.CANCELLED, Code.CANCELLED, ""),
}


def _map_outcome(workspace: Workspace, outcome: SessionOutcome, ctx: ExecutionContext) -> WorkspaceResult:
    status, code, message = _END_TO_STATUS[outcome.end]
    raw_tail = None
    if (
        ctx.debug
        and status in (WorkspaceStatus.SOFT_FAILED, WorkspaceStatus.BLOCKED)
        and outcome.last_snapshot
    ):
        raw_tail = outcome.last_snapshot.text
    probe_diags = outcome.probe.diagnostics if outcome.probe else ()
    trusted_key = (
        outcome.probe.trusted_key if outcome.probe and outcome.probe.state is TrustState.TRUSTED else None
    )
    return base_result(
        Provider.CLAUDE,
        workspace,
        status,
        code,
        message,
        trusted_key=trusted_key,
        pty_spawned=True,
        dialogs=outcome.matched_rule_ids,
        keys=outcome.keys,
        diagnostics=probe_diags,
        raw_tail=raw_tail,
    )
