"""The one PTY strategy every provider uses, parameterised by a :class:`PtyProvider`.

Flow per workspace (after the guard ``TrustStrategy.execute_workspace`` runs):
does the CLI gate folders at all here (else ``not_required``) -> probe -> lock
-> re-probe -> resolve binary -> build the provider's protected command ->
spawn -> dialog engine until the state file says trusted -> kill the process
group -> provider cleanup. Success is only ever read from the provider's state
file; nothing here writes it.

What a provider contributes is in ``pty_provider``, the CLI's own lock files
in ``provider_locks``, and what a session's end means for the row in
``pty_outcome``. A cancellation noticed before the CLI runs is raised
(``PreflightCancelled``) and becomes the row in one place, ``prepare``.
"""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.outcomes import base_result, both_runs, trust_lost_result, widened_result
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.policy import (
    guarded_folders,
    home_folders,
    repository_root_guard,
    repository_scope_check,
)
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult
from workspace_trust.errors import (
    BinaryMissingError,
    LockTimeoutError,
    PreflightCancelled,
    PtyUnavailableError,
)
from workspace_trust.ports import (
    HelpFailure,
    PtySession,
    SpawnSpec,
    StateFiles,
    StateProbe,
)
from workspace_trust.providers.provider_locks import await_provider_locks, kill_hold, left_behind_locks, state_lock_key
from workspace_trust.providers.pty_provider import PTY_MODE, CommandRefused, PtyCommand, PtyProvider
from workspace_trust.providers.state_vars import floored, honoured_env, stripped_state_variables
from workspace_trust.providers.versions import VersionVerdict, judge_version
from workspace_trust.strategy import ExecutionContext, ProgressEvent, ProgressStage, TrustStrategy

if TYPE_CHECKING:
    from workspace_trust.folder_check import FolderCheck
    from workspace_trust.providers.state_vars import StateVariable

__all__ = [
    "HELP_TIMEOUT_MS",
    # A provider's part, re-exported: a plug-in names them from here.
    "CommandRefused",
    "PtyCommand",
    "PtyProvider",
    "PtyTrustStrategy",
    "state_lock_key",
]

log = logging.getLogger(__name__)


#: Help text is read once per binary (cached by the help reader), for at most
#: this long and never past the workspace's budget.
HELP_TIMEOUT_MS = 20000
#: The most of a CLI's failed ``--help`` output a ``provider_start_failed``
#: message carries (its end, redacted).
START_FAILURE_BYTES = 600
_HELP_TIMED_OUT = "the preflight time budget ran out while reading the CLI's --help"
_NO_STATE_FILE = (
    "the environment names no absolute home folder (HOME unset, empty or relative), so the state file "
    "could not be checked; the CLI was not started"
)
_NO_RULES = "{} names no dialog rules, so no screen of it could be recognised; it was not started"

_UNREADABLE_STATE = (Code.STATE_FILE_CORRUPT, Code.STATE_FILE_TOO_LARGE, Code.STATE_FILE_UNREADABLE)


def _stripped_message(names: Sequence[str]) -> str:
    return (
        f"{', '.join(names)} moves where the CLI keeps its state; stripped from the preflight, the CLI would "
        "write trust where a launch with the request's environment does not read it. Keep it (nothing was started)"
    )


_NOT_STARTED = "the folder is no longer the one that was guarded, so the CLI was not started"


def _enter_allowed(check: FolderCheck, pid: int) -> Callable[[], bool]:
    """The runner's ``before_enter``: the folder check, for the session's process."""
    return lambda: check.before_enter(pid) is None


class PtyTrustStrategy(TrustStrategy):
    mode = PTY_MODE

    def __init__(self, spec: PtyProvider) -> None:
        self.spec = spec
        self.provider = spec.provider
        self.flag = spec.flag
        self._probes: dict[tuple[tuple[tuple[str, str], ...], int, str | None], StateProbe] = {}

    def _probe_for(self, env: Mapping[str, str], files: StateFiles | None, version: str | None) -> StateProbe:
        key = (tuple(sorted(env.items())), id(files), version)
        probe = self._probes.get(key)
        if probe is None:
            probe = self.spec.state_probe(env, files, version)
            self._probes[key] = probe
        return probe

    @property
    def state_variables(self) -> tuple[StateVariable, ...]:
        return self.spec.provider_spec.state_variables

    def _state_env(
        self, env: Mapping[str, str], version: Callable[[], str | None]
    ) -> tuple[dict[str, str], str | None]:
        """``env`` as the CLI's version reads it (without the variables that
        move its state only from a later version on), and that version.
        ``version`` is asked only when ``env`` sets such a variable, or where
        the version alone moves the state (``version_locates_state``)."""
        table = self.state_variables
        if not floored(env, table) and not self.spec.version_locates_state:
            return dict(env), None
        found = version()
        return honoured_env(env, table, found), found

    def _installed_version(self, env: Mapping[str, str], explicit: str | None = None) -> str | None:
        """The CLI's version without starting it (``installed_version``)."""
        from workspace_trust.providers.binaries import installed_version

        try:
            binary = self.spec.resolve_binary(explicit, env)
        except BinaryMissingError:
            return None
        return installed_version(binary)

    def probe(self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None = None) -> ProbeResult:
        return self.probe_version(workspace, env, files, None)

    def probe_version(
        self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None, version: str | None
    ) -> ProbeResult:
        # The files the CLI reads, and how it looks trust up in them, as its
        # version does (None: asked of the installed package where it matters).
        child = self.spec.child_env(env, ())
        state_env, seen = self._state_env(
            child, lambda: version if version is not None else self._installed_version({**env, **child})
        )
        return self._probe_for(state_env, files, version if version is not None else seen).read_trust(workspace)

    def cli_version(self, ctx: ExecutionContext) -> str | None:
        env = self.spec.child_env(ctx.env, ctx.strip_env)
        try:
            binary = self.spec.resolve_binary(ctx.binaries.get(self.provider), {**ctx.env, **env}, ctx.binary_locator)
        except BinaryMissingError:
            return None
        return ctx.help_reader.known_version(binary)

    def ignores_persisted_trust(self, env: Mapping[str, str], launch_args: Sequence[str]) -> str | None:
        return self.spec.ignores_persisted_trust(env, launch_args)

    def trust_required(self, env: Mapping[str, str]) -> bool:
        # Decided under the environment the CLI would get, as the probe is.
        return self.spec.trust_required(self.spec.child_env(env, ()))

    def not_gated(self, workspace: Workspace, probe: ProbeResult, ctx: ExecutionContext) -> Diagnostic | None:
        return self.spec.not_gated(workspace, self.cli_version(ctx), probe)

    def prepare(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        try:
            return self._prepare(workspace, ctx)
        except PreflightCancelled:
            # Wherever it was noticed (before or while waiting for the lock,
            # reading --version or --help, before the spawn), nothing more is
            # started. A session cancelled while it runs ends as the runner
            # says (``SessionEnd.CANCELLED``), with what it saw.
            return base_result(self.provider, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)

    def _prepare(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        p = self.provider
        stripped = stripped_state_variables(ctx.env, ctx.strip_env, self.state_variables)
        if stripped:
            # The child would keep its state (and write trust) elsewhere than
            # the host's launch, which keeps the variable, reads it.
            return base_result(
                p, workspace, WorkspaceStatus.BLOCKED, Code.STATE_VARIABLE_STRIPPED, _stripped_message(stripped)
            )
        env = self.spec.child_env(ctx.env, ctx.strip_env)
        if not self.spec.trust_required(env):
            # The CLI gates no folder here: nothing to prepare, nothing started.
            return base_result(p, workspace, WorkspaceStatus.NOT_REQUIRED)
        if ctx.home_refusal is not None:
            # A CLI writes its own files into its home on every start.
            return base_result(p, workspace, WorkspaceStatus.BLOCKED, *ctx.home_refusal)
        # The version as known without starting anything: a folder already
        # trusted starts nothing, not even ``--version``. A session reads the
        # version and looks trust up again where it differs (``_run_pty``).
        state_env, version = self._state_env(env, lambda: self.cli_version(ctx))
        state_file = self.spec.state_file(state_env)
        if state_file is None or not os.path.isabs(state_file):
            # No HOME, or a relative one: the CLI would write trust where this
            # run cannot check it (the account's own home, or inside the
            # folder, which is its working directory). Nothing is started.
            return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.STATE_FILE_MISSING, _NO_STATE_FILE)
        # Trust is looked up as the CLI that would run looks it up: its version
        # decides how far above the folder a trusted key counts.
        if version is None:
            version = self.cli_version(ctx)
        probe = self._probe_for(state_env, ctx.state_files, version)
        before = probe.read_trust(workspace)
        if before.trusted:
            return base_result(
                p, workspace, WorkspaceStatus.ALREADY_TRUSTED, trusted_key=before.trusted_key, cli_version=version
            )
        repository = repository_root_guard(workspace, p) if self.spec.trusts_repository_root else None
        if repository is not None:
            return base_result(p, workspace, WorkspaceStatus.BLOCKED, *repository)
        refusing = {**dict.fromkeys(_UNREADABLE_STATE, WorkspaceStatus.SOFT_FAILED), **dict(self.spec.refusing_codes)}
        refused = [d for d in before.diagnostics if d.code in refusing]
        if refused:
            # Success could never be verified, or the CLI must not be run for
            # this folder at all: do not start a process.
            code = refused[0].code
            return base_result(p, workspace, refusing[code], code, diagnostics=before.diagnostics)
        ungated = self.not_gated(workspace, before, ctx)
        if ungated is not None:
            # The installed version (known without starting it) shows no
            # dialog here: nothing to accept, whatever its set-up needs.
            return base_result(
                p,
                workspace,
                WorkspaceStatus.NOT_REQUIRED,
                ungated.code,
                diagnostics=(ungated,),
                cli_version=self.cli_version(ctx),
            )
        first_run = self.spec.never_set_up(state_env, state_file, ctx.state_files)
        if first_run is not None:
            # Its first-run setup or login would come first, and writes the
            # home folder: the user runs the CLI once by hand.
            return base_result(p, workspace, WorkspaceStatus.BLOCKED, *first_run)
        _stop_if_cancelled(ctx)

        lock_key = (
            state_lock_key(state_file, ctx.state_files) if state_file else f"{p.value}:{workspace.comparison_key}"
        )
        log.info("%s %s: state file %s; taking the lock for %s", p.value, workspace.absolute_path, state_file, lock_key)
        try:
            # One session at a time per state file, across processes: two CLIs
            # that write one file lose each other's writes (Claude Code 2.1.197
            # rewrites .claude.json from what it read at start).
            with ctx.locks.hold(
                lock_key,
                timeout_ms=ctx.lock_timeout_ms,
                is_cancelled=ctx.is_cancelled,
                # Said only when another session holds it, then as a heartbeat.
                on_wait=lambda wait: ctx.progress(
                    ProgressEvent(
                        p,
                        workspace.id,
                        ProgressStage.WAITING_FOR_LOCK,
                        detail=wait.holder,
                        elapsed_ms=wait.waited_ms,
                        holder=wait.holder_owner,
                    )
                ),
                owner=workspace.id,
            ) as held:
                after = probe.read_trust(workspace)
                if after.trusted:
                    return base_result(
                        p,
                        workspace,
                        WorkspaceStatus.ALREADY_TRUSTED_AFTER_WAIT,
                        trusted_key=after.trusted_key,
                        lock_wait_ms=held.waited_ms,
                        cli_version=version,
                    )
                _stop_if_cancelled(ctx)
                result = self._run_pty(workspace, ctx, env, probe, state_file, looked_up=version)
                if result.code is Code.TRUST_DECLINED and not ctx.is_cancelled():
                    result = self._run_again(workspace, ctx, env, probe, state_file, declined=result, looked_up=version)
                return attrs.evolve(result, lock_wait_ms=held.waited_ms)
        except LockTimeoutError as exc:
            return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.LOCK_TIMEOUT, str(exc))

    def _run_again(
        self,
        workspace: Workspace,
        ctx: ExecutionContext,
        env: dict[str, str],
        probe: StateProbe,
        state_file: str | None,
        *,
        declined: WorkspaceResult,
        looked_up: str | None,
    ) -> WorkspaceResult:
        """The CLI took its decline option (our Enter landed there after the
        CLI moved the cursor back) and exited. Nothing was trusted, so the
        session is run once more, still under the lock; the row reports both."""
        now = probe.read_trust(workspace)
        if now.trusted:
            # Not ours to explain: the state file decides, as after any run.
            found = base_result(
                self.provider, workspace, WorkspaceStatus.ALREADY_TRUSTED_AFTER_WAIT, trusted_key=now.trusted_key
            )
            return both_runs(declined, found, found)
        log.warning("the CLI exited declining trust; running the session once more")
        try:
            retried = self._run_pty(workspace, ctx, env, probe, state_file, looked_up=looked_up)
        except PreflightCancelled:
            # Cancelled before the second CLI started: the row still says
            # what the first session did (a CLI ran, and got keys).
            retried = base_result(self.provider, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
        first = Diagnostic(
            Code.TRUST_DECLINED,
            "the first session ended with the CLI declining trust (keys: {}); it was run once more".format(
                ", ".join(key.value for key in declined.keys) or "none"
            ),
            self.provider,
            workspace.id,
        )
        row = attrs.evolve(retried, diagnostics=(first, *retried.diagnostics))
        return both_runs(declined, retried, row)

    def _run_pty(
        self,
        workspace: Workspace,
        ctx: ExecutionContext,
        env: dict[str, str],
        probe: StateProbe,
        state_file: str | None,
        *,
        looked_up: str | None,
    ) -> WorkspaceResult:
        """``looked_up``: the version ``probe`` looks trust up as (None: not known)."""
        # A session's modules, here: ``status`` and ``plan`` make this strategy and run none.
        from workspace_trust.providers.pty_progress import beating

        p = self.provider
        if not self.spec.names_rules:
            # No rule could recognise a screen, so no key could ever be sent.
            return base_result(
                p, workspace, WorkspaceStatus.SOFT_FAILED, Code.PREFLIGHT_UNPROTECTED, _NO_RULES.format(p.value)
            )
        try:
            binary = self.spec.resolve_binary(ctx.binaries.get(p), {**ctx.env, **env}, ctx.binary_locator)
        except BinaryMissingError as exc:
            return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_BINARY_MISSING, str(exc))
        # One budget from here to the result: reading the version, waiting for
        # the CLI's own lock and reading --help spend it too.
        deadline = ctx.clock.monotonic_ms() + ctx.timing.total_budget_ms
        # From the npm package.json beside the binary, or --version run once
        # per binary ever (kept on disk by the help reader).
        version = ctx.help_reader.read_version(
            binary,
            env,
            min(HELP_TIMEOUT_MS, ctx.timing.total_budget_ms),
            is_cancelled=beating(ctx, p, workspace, "the_cli_version"),
        )
        log.info("%s %s: binary %s, version %s", p.value, workspace.absolute_path, binary, version or "unknown")
        verdict = _version_verdict(p, version, workspace.id)
        if verdict.refused and verdict.diagnostic is not None:
            return base_result(
                p,
                workspace,
                WorkspaceStatus.SOFT_FAILED,
                verdict.diagnostic.code,
                diagnostics=(verdict.diagnostic,),
                cli_version=version,
            )
        if version != looked_up:
            # Known only now (``--version`` was run): trust is looked up again
            # as this version looks it up, before anything is started.
            probe = self._probe_for(self._state_env(env, lambda: version)[0], ctx.state_files, version)
            found = probe.read_trust(workspace)
            if found.trusted:
                return base_result(
                    p, workspace, WorkspaceStatus.ALREADY_TRUSTED, trusted_key=found.trusted_key, cli_version=version
                )
        noted = () if verdict.diagnostic is None else (verdict.diagnostic,)
        ungated = self.spec.not_gated(workspace, version, probe.read_trust(workspace))
        if ungated is not None:
            # This version shows no dialog here: there is nothing to accept,
            # and a session would only wait for one (then trust_not_persisted).
            return base_result(
                p,
                workspace,
                WorkspaceStatus.NOT_REQUIRED,
                ungated.code,
                diagnostics=(*noted, ungated),
                cli_version=version,
            )
        result = self._run_binary(workspace, ctx, env, probe, state_file, binary=binary, deadline=deadline)
        return attrs.evolve(result, cli_version=version, diagnostics=(*noted, *result.diagnostics))

    def _run_binary(
        self,
        workspace: Workspace,
        ctx: ExecutionContext,
        env: dict[str, str],
        probe: StateProbe,
        state_file: str | None,
        *,
        binary: str,
        deadline: int,
    ) -> WorkspaceResult:
        from workspace_trust.folder_check import FolderCheck
        from workspace_trust.providers.pty_outcome import map_outcome, trusted_guarded
        from workspace_trust.providers.pty_progress import beating, progress_of

        p = self.provider
        lock_paths = tuple(state_file + suffix for suffix in self.spec.state_lock_suffixes) if state_file else ()
        found = await_provider_locks(lock_paths, self.spec, ctx)
        if isinstance(found, CommandRefused):
            return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, found.code, found.message)
        before, lock_diagnostics = found
        scratch = ctx.scratch.make()
        session: PtySession | None = None
        try:
            help_text = None
            if self.spec.reads_help:
                help_ms = min(HELP_TIMEOUT_MS, deadline - ctx.clock.monotonic_ms())
                help_text = ctx.help_reader.read_help(
                    binary, env, help_ms, is_cancelled=beating(ctx, p, workspace, "the_cli_help")
                )
                _stop_if_cancelled(ctx)
                if ctx.clock.monotonic_ms() >= deadline:
                    return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT, _HELP_TIMED_OUT)
            command = self.spec.build_command(binary, help_text, scratch, ctx)
            if not isinstance(command, CommandRefused):
                from workspace_trust.redaction import redact

                log.info("%s %s: command line %s", p.value, workspace.absolute_path, redact(shlex.join(command.argv)))
            if isinstance(command, CommandRefused):
                failed = ctx.help_reader.help_failure(binary) if help_text is None and self.spec.reads_help else None
                if failed is not None:
                    # Not a CLI without the flags: one that does not start here.
                    return _start_failed(p, workspace, binary, failed, ctx)
                return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, command.code, command.message)
            _stop_if_cancelled(ctx)
            # The home folder and every folder above it that the state already
            # trusts: the user's own, which the session may not be blamed for.
            guarded = guarded_folders(env, workspace.host, ctx.homes)
            trusted_before = trusted_guarded(probe, guarded, workspace.host)
            # The folder must still be the one the guards passed, now and
            # right before Enter (workspace_trust.folder_check).
            check = None if ctx.filesystem is None else FolderCheck(workspace, ctx.filesystem, ctx.env)
            changed = None if check is None else check.before_spawn()
            if changed is not None:
                return base_result(
                    p, workspace, WorkspaceStatus.BLOCKED, Code.WORKSPACE_CHANGED, f"{changed.message}; {_NOT_STARTED}"
                )
            try:
                session = ctx.spawner.spawn(SpawnSpec(argv=command.argv, cwd=workspace.real_path, env=env))
            except BinaryMissingError as exc:
                return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_BINARY_MISSING, str(exc))
            except PtyUnavailableError as exc:
                return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.PTY_UNAVAILABLE, str(exc))
            ctx.progress(ProgressEvent(p, workspace.id, ProgressStage.SPAWNED))
            # Imported once the CLI is starting: its start-up hides the import.
            from workspace_trust.engine.dialog import DialogEngine
            from workspace_trust.runner import run_session

            outcome = run_session(
                session,
                DialogEngine(self.spec.rules, ctx.timing, scope_check=repository_scope_check(workspace)),
                ctx.clock,
                success=lambda: probe.read_trust(workspace),
                is_cancelled=ctx.is_cancelled,
                # What discovery left of the budget (at least nothing).
                timing=attrs.evolve(ctx.timing, total_budget_ms=max(0, deadline - ctx.clock.monotonic_ms())),
                on_frame=progress_of(p, workspace, ctx),
                before_enter=None if check is None else _enter_allowed(check, session.pid),
            )
            ctx.progress(ProgressEvent(p, workspace.id, ProgressStage.CLOSING))
            report = session.kill(hold=kill_hold(lock_paths, before, ctx), term_grace_ms=self.spec.term_grace_ms)
            session = None
            extra = [*command.diagnostics, *lock_diagnostics]
            extra.extend(left_behind_locks(lock_paths, before, report, ctx, provider=p, workspace=workspace))
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
            result = map_outcome(
                self.spec, workspace, outcome, ctx, env, detail=check.change.message if check and check.change else ""
            )
            log.info(
                "%s %s: session ended %s (%s; keys %s)",
                p.value,
                workspace.absolute_path,
                outcome.end.value,
                result.code.value if result.code else result.status.value,
                ", ".join(k.value for k in outcome.keys) or "none",
            )
            if result.status is WorkspaceStatus.ACCEPTED:
                # Success is what the state file says when the run ends, not
                # what it said while the CLI was still running.
                after = probe.read_trust(workspace)
                if not after.trusted:
                    result = trust_lost_result(result, after, "after the CLI was stopped")
            # Whatever the outcome: trust the session left on the home folder,
            # above it or on a root (the guards ran before the CLI started; the
            # folder may have changed since) is never a success.
            trusted_after = trusted_guarded(probe, guarded, workspace.host)
            widened = [key for folder, key in trusted_after.items() if folder not in trusted_before]
            if widened:
                homes = home_folders(env, workspace.host, ctx.homes)
                result = widened_result(result, widened, homes, workspace.host, state_file)
            return attrs.evolve(result, diagnostics=(*result.diagnostics, *extra))
        finally:
            if session is not None:
                # An exception left the session running: the same kill, daemons
                # and the provider's lock included, runs on this path too.
                session.kill(hold=kill_hold(lock_paths, before, ctx), term_grace_ms=self.spec.term_grace_ms)
            ctx.scratch.remove(scratch)


def _start_failed(
    provider: Provider, workspace: Workspace, binary: str, failure: HelpFailure, ctx: ExecutionContext
) -> WorkspaceResult:
    """The CLI's ``--help`` could not start or failed (a broken install, an
    interpreter that cannot start under the host's limits): say so, with the
    end of what it printed, redacted and bounded."""
    from workspace_trust.redaction import environment_secrets, redact_tail

    said = "printing nothing"
    if failure.output:
        # Redacted whole, then cut to its end: a cut first could leave the
        # tail of a secret whose name or prefix it removed.
        tail = redact_tail(
            failure.output, home=ctx.env.get("HOME"), secrets=environment_secrets(ctx.env), limit=START_FAILURE_BYTES
        )
        said = f"its output ends: {tail.text}"
    message = f"the CLI did not start: `{os.path.basename(binary)} --help` failed: {failure.how}; {said}"
    return base_result(provider, workspace, WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_START_FAILED, message)


def _stop_if_cancelled(ctx: ExecutionContext) -> None:
    """Raises ``PreflightCancelled`` once the run is cancelled (``prepare`` turns it into the row)."""
    if ctx.is_cancelled():
        raise PreflightCancelled("cancelled before the CLI was started")


def _version_verdict(provider: Provider, version: str | None, workspace_id: str) -> VersionVerdict:
    """What the provider's spec says of ``version``; no verdict for a strategy
    whose provider has no registered spec (a host's own, in a test)."""
    from workspace_trust.providers import spec_for

    try:
        spec = spec_for(provider)
    except ValueError:
        return VersionVerdict()
    return judge_version(spec, version, workspace_id)
