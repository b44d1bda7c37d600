"""The one PTY strategy every provider uses, parameterised by a :class:`PtyProvider`.

Flow per workspace: guard (home, roots, missing) -> probe -> lock -> re-probe ->
resolve binary -> build the provider's protected command -> spawn -> dialog engine
until the state file says trusted -> kill the process group -> provider cleanup.
Success is only ever read from the provider's state file; nothing here writes it.
"""

from __future__ import annotations

import abc
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence

import attrs

from workspace_trust.domain.codes import Code, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult
from workspace_trust.engine.dialog import DialogEngine
from workspace_trust.engine.rules import RuleTable
from workspace_trust.errors import (
    BinaryMissingError,
    CancelledError,
    LockTimeoutError,
    PtyUnavailableError,
)
from workspace_trust.ports import PtySession, SpawnSpec, StateProbe
from workspace_trust.redaction import environment_secrets, redact
from workspace_trust.runner import SessionEnd, SessionOutcome, run_session
from workspace_trust.strategy import (
    ExecutionContext,
    ProgressEvent,
    ProgressStage,
    TrustStrategy,
    base_result,
    guard_result,
    repository_root_guard,
)

log = logging.getLogger(__name__)

#: Largest redacted screen tail a failed result may carry (UTF-8 bytes).
RAW_TAIL_LIMIT = 8192

#: Help text is read once per binary (cached by the help reader).
HELP_TIMEOUT_MS = 20000

_UNREADABLE_STATE = (Code.STATE_FILE_CORRUPT, Code.STATE_FILE_TOO_LARGE, Code.STATE_FILE_UNREADABLE)


@attrs.frozen(slots=True)
class PtyCommand:
    argv: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


@attrs.frozen(slots=True)
class CommandRefused:
    """The provider cannot be run safely; the workspace soft fails with this code."""

    code: Code
    message: str


def bounded_tail(text: str, limit: int = RAW_TAIL_LIMIT) -> str:
    """The end of ``text``, at most ``limit`` UTF-8 bytes, never splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[-limit:].decode("utf-8", "ignore")


class PtyProvider(abc.ABC):
    """What one provider contributes to the PTY strategy: data and a few hooks."""

    provider: Provider
    rules: RuleTable
    #: The ``FeatureFlags`` field that switches this provider's PTY preflight off.
    flag: str
    #: Read ``--help`` before spawning, for flag discovery.
    reads_help: bool = False
    #: Accepting trust in a git repository's subfolder trusts the repository
    #: root (Claude Code writes the root's key; Codex resolves projects by
    #: their .git marker). Such a CLI is never run where that root is the home
    #: folder or a root.
    trusts_repository_root: bool = False

    @abc.abstractmethod
    def state_probe(self, env: Mapping[str, str]) -> StateProbe: ...

    @abc.abstractmethod
    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]: ...

    @abc.abstractmethod
    def resolve_binary(self, explicit: str | None, env: Mapping[str, str]) -> str:
        """Raises ``BinaryMissingError``."""

    @abc.abstractmethod
    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused: ...

    def messages(self) -> Mapping[SessionEnd, str]:
        return {}

    def ignores_persisted_trust(self, env: Mapping[str, str], launch_args: Sequence[str]) -> str | None:
        """See ``TrustStrategy.ignores_persisted_trust``."""
        return None


_END_TO_STATUS: dict[SessionEnd, tuple[WorkspaceStatus, Code | None, str]] = {
    SessionEnd.TRUST_PERSISTED: (WorkspaceStatus.ACCEPTED, None, ""),
    SessionEnd.SETUP_REQUIRED: (
        WorkspaceStatus.BLOCKED,
        Code.PROVIDER_SETUP_REQUIRED,
        "the CLI needs its first-run setup; run it once by hand",
    ),
    SessionEnd.AUTH_REQUIRED: (
        WorkspaceStatus.BLOCKED,
        Code.PROVIDER_AUTH_REQUIRED,
        "the CLI needs a login; run it once by hand",
    ),
    SessionEnd.ABORTED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNEXPECTED_DIALOG,
        "the CLI showed a dialog the preflight must not answer",
    ),
    SessionEnd.SELECTION_FAILED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.SELECTION_FAILED,
        "the cursor could not be brought onto the trust option; Enter was not pressed",
    ),
    SessionEnd.PROVIDER_EXITED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.PROVIDER_EXITED,
        "the CLI exited before trust was persisted",
    ),
    SessionEnd.TRUST_NOT_PERSISTED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.TRUST_NOT_PERSISTED,
        "the trust option was confirmed but the state file does not record it",
    ),
    SessionEnd.UNKNOWN_SCREEN: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNKNOWN_SCREEN,
        "the CLI showed a screen no rule recognises",
    ),
    SessionEnd.TIMEOUT: (WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT, "the preflight time budget ran out"),
    SessionEnd.CANCELLED: (WorkspaceStatus.CANCELLED, Code.CANCELLED, ""),
}


class PtyTrustStrategy(TrustStrategy):
    mode = "pty"

    def __init__(self, spec: PtyProvider) -> None:
        self.spec = spec
        self.provider = spec.provider
        self.flag = spec.flag
        self._probes: dict[tuple[tuple[str, str], ...], StateProbe] = {}

    def _probe_for(self, env: Mapping[str, str]) -> StateProbe:
        key = tuple(sorted(env.items()))
        probe = self._probes.get(key)
        if probe is None:
            probe = self.spec.state_probe(env)
            self._probes[key] = probe
        return probe

    def probe(self, workspace: Workspace, env: Mapping[str, str]) -> ProbeResult:
        return self._probe_for(self.spec.child_env(env, ())).read_trust(workspace)

    def ignores_persisted_trust(self, env: Mapping[str, str], launch_args: Sequence[str]) -> str | None:
        return self.spec.ignores_persisted_trust(env, launch_args)

    def execute_workspace(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        started = ctx.clock.monotonic_ms()
        ctx.progress(ProgressEvent(self.provider, workspace.id, ProgressStage.STARTED))
        result = self._execute(workspace, ctx)
        result = attrs.evolve(result, elapsed_ms=ctx.clock.monotonic_ms() - started)
        ctx.progress(
            ProgressEvent(
                self.provider,
                workspace.id,
                ProgressStage.FINISHED,
                detail=result.code.value if result.code else "",
                status=result.status,
            )
        )
        return result

    def _execute(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        p = self.provider
        blocked = guard_result(p, workspace)
        if blocked is not None:
            return blocked
        env = self.spec.child_env(ctx.env, ctx.strip_env)
        probe = self._probe_for(env)
        before = probe.read_trust(workspace)
        if before.trusted:
            return base_result(p, workspace, WorkspaceStatus.ALREADY_TRUSTED, trusted_key=before.trusted_key)
        repository = repository_root_guard(workspace, p) if self.spec.trusts_repository_root else None
        if repository is not None:
            return base_result(p, workspace, WorkspaceStatus.BLOCKED, *repository)
        unreadable = [d for d in before.diagnostics if d.code in _UNREADABLE_STATE]
        if unreadable:
            # Success could never be verified: do not start a process.
            return base_result(
                p, workspace, WorkspaceStatus.SOFT_FAILED, unreadable[0].code, diagnostics=before.diagnostics
            )
        if ctx.is_cancelled():
            return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)

        ctx.progress(ProgressEvent(p, workspace.id, ProgressStage.WAITING_FOR_LOCK))
        try:
            with ctx.locks.hold(
                f"{p.value}:{workspace.comparison_key}",
                timeout_ms=ctx.lock_timeout_ms,
                is_cancelled=ctx.is_cancelled,
            ) as held:
                after = probe.read_trust(workspace)
                if after.trusted:
                    return base_result(
                        p,
                        workspace,
                        WorkspaceStatus.ALREADY_TRUSTED_AFTER_WAIT,
                        trusted_key=after.trusted_key,
                        lock_wait_ms=held.waited_ms,
                    )
                if ctx.is_cancelled():
                    return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
                result = self._run_pty(workspace, ctx, env, probe)
                return attrs.evolve(result, lock_wait_ms=held.waited_ms)
        except LockTimeoutError as exc:
            return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.LOCK_TIMEOUT, str(exc))
        except CancelledError:
            return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)

    def _run_pty(
        self, workspace: Workspace, ctx: ExecutionContext, env: dict[str, str], probe: StateProbe
    ) -> WorkspaceResult:
        p = self.provider
        try:
            binary = self.spec.resolve_binary(ctx.binaries.get(p), {**ctx.env, **env})
        except BinaryMissingError as exc:
            return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_BINARY_MISSING, str(exc))

        scratch = tempfile.mkdtemp(prefix="workspace-trust-scratch-", dir=ctx.temp_dir)
        session: PtySession | None = None
        try:
            help_text = ctx.help_reader.read_help(binary, env, HELP_TIMEOUT_MS) if self.spec.reads_help else None
            command = self.spec.build_command(binary, help_text, scratch, ctx)
            if isinstance(command, CommandRefused):
                return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, command.code, command.message)
            if ctx.is_cancelled():
                return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
            try:
                session = ctx.spawner.spawn(SpawnSpec(argv=command.argv, cwd=workspace.real_path, env=env))
            except BinaryMissingError as exc:
                return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_BINARY_MISSING, str(exc))
            except PtyUnavailableError as exc:
                return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.PTY_UNAVAILABLE, str(exc))
            ctx.progress(ProgressEvent(p, workspace.id, ProgressStage.SPAWNED))
            outcome = run_session(
                session,
                DialogEngine(self.spec.rules, ctx.timing),
                ctx.clock,
                success=lambda: probe.read_trust(workspace),
                is_cancelled=ctx.is_cancelled,
                timing=ctx.timing,
            )
            report = session.kill()
            session = None
            extra = list(command.diagnostics)
            # Survivors of SIGKILL; and daemons that had left the process group
            # (Codex 0.169.0's app-server without --no-daemon), found by the
            # session marker and killed.
            left = (
                (report.survivors, "{} process(es) survived SIGKILL"),
                (report.strays, "killed {} process(es) the session had started outside its process group"),
            )
            extra.extend(
                Diagnostic(Code.PROCESS_LEFT_RUNNING, text.format(len(pids)), p, workspace.id)
                for pids, text in left
                if pids
            )
            result = self._map_outcome(workspace, outcome, ctx, env)
            return attrs.evolve(result, diagnostics=(*result.diagnostics, *extra))
        finally:
            if session is not None:
                # An exception left the session running: the same kill, daemons
                # included, runs on this path too.
                session.kill()
            shutil.rmtree(scratch, ignore_errors=True)

    def _map_outcome(
        self, workspace: Workspace, outcome: SessionOutcome, ctx: ExecutionContext, child_env: Mapping[str, str]
    ) -> WorkspaceResult:
        status, code, message = _END_TO_STATUS[outcome.end]
        message = self.spec.messages().get(outcome.end, message)
        raw_tail = None
        failed = status in (WorkspaceStatus.SOFT_FAILED, WorkspaceStatus.BLOCKED)
        if ctx.debug and failed and outcome.last_snapshot is not None:
            # Only under debug, only on failure, only redacted, at most 8 KiB.
            # The CLI may print its own environment (or part of a key from it,
            # as Claude Code's custom API key screen does): the secret-looking
            # values of the child's and the host's environment are looked for
            # too, piece by piece. They are used here and kept nowhere.
            secrets = environment_secrets(child_env, ctx.env)
            raw_tail = bounded_tail(redact(outcome.last_snapshot.text, home=ctx.env.get("HOME"), secrets=secrets))
        probe = outcome.probe
        trusted_key = probe.trusted_key if probe and probe.state is TrustState.TRUSTED else None
        return base_result(
            self.provider,
            workspace,
            status,
            code,
            message,
            trusted_key=trusted_key,
            pty_spawned=True,
            dialogs=outcome.matched_rule_ids,
            keys=outcome.keys,
            diagnostics=probe.diagnostics if probe else (),
            raw_tail=raw_tail,
        )
