"""The one PTY strategy every provider uses, parameterised by a :class:`PtyProvider`.

Flow per workspace: guard (home, roots, missing) -> does the CLI gate folders at
all here (else ``not_required``) -> probe -> lock -> re-probe ->
resolve binary -> build the provider's protected command -> spawn -> dialog engine
until the state file says trusted -> kill the process group -> provider cleanup.
Success is only ever read from the provider's state file; nothing here writes it.
"""

from __future__ import annotations

import abc
import logging
import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.errors import PathError
from workspace_trust.domain.outcomes import base_result, both_runs, trust_lost_result, widened_result
from workspace_trust.domain.paths import HostOs, Workspace, comparison_key, normalize
from workspace_trust.domain.policy import (
    folder_workspace,
    guarded_folders,
    home_folders,
    repository_root_guard,
    repository_scope_check,
)
from workspace_trust.domain.results import Diagnostic, ProbeResult, SessionReport, WorkspaceResult
from workspace_trust.errors import (
    BinaryMissingError,
    LockTimeoutError,
    PreflightCancelled,
    PtyUnavailableError,
)
from workspace_trust.folder_check import FolderCheck
from workspace_trust.ports import (
    BinaryLocator,
    KillHold,
    KillReport,
    LockFileStamp,
    PtySession,
    SpawnSpec,
    StateFiles,
    StateProbe,
)
from workspace_trust.providers.state_vars import floored, honoured_env, stripped_state_variables
from workspace_trust.providers.versions import VersionVerdict, judge_version
from workspace_trust.session import SessionEnd, SessionFrame, SessionOutcome
from workspace_trust.strategy import HEARTBEAT_MS, ExecutionContext, ProgressEvent, ProgressStage, TrustStrategy

if TYPE_CHECKING:
    from workspace_trust.engine.rules import DialogRule, RuleTable
    from workspace_trust.providers.spec import ProviderSpec
    from workspace_trust.providers.state_vars import StateVariable

log = logging.getLogger(__name__)


#: The name of the mode a :class:`PtyTrustStrategy` implements.
PTY_MODE = "pty"

#: How often a provider lock found before spawning is looked at again.
PROVIDER_LOCK_POLL_MS = 50

#: Help text is read once per binary (cached by the help reader), for at most
#: this long and never past the workspace's budget.
HELP_TIMEOUT_MS = 20000
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


@attrs.frozen(slots=True)
class PtyCommand:
    argv: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


@attrs.frozen(slots=True)
class CommandRefused:
    """The provider cannot be run safely, or not now; the workspace soft fails with this code."""

    code: Code
    message: str


def state_lock_key(state_file: str, files: StateFiles) -> str:
    """The lock key of one provider state file, the same for every spelling of its path."""
    return "state:" + files.real_path(state_file)


def trusted_guarded(probe: StateProbe, folders: tuple[str, ...], host: HostOs) -> dict[str, str]:
    """Which of ``folders`` the provider's state says are trusted now, each
    with the key that says so (a folder above it may be that key)."""
    out: dict[str, str] = {}
    for folder in folders:
        workspace = folder_workspace(folder, host)
        if workspace is None:
            continue
        found = probe.read_trust(workspace)
        if found.trusted:
            out[folder] = found.trusted_key or folder
    return out


def _made_since(before: LockFileStamp | None, now: LockFileStamp | None) -> bool:
    """A lock is there now that was not there (as that same file) before the spawn."""
    return now is not None and (before is None or before.inode != now.inode)


class PtyProvider(abc.ABC):
    """What one provider contributes to the PTY strategy: data and a few hooks.

    What the provider's spec already says (the state file, its probe, the
    binary's lookup, the mode's feature flag) is read from the spec; a
    subclass names only what is its own: the child's environment, the
    protected command, and the hooks below. A provider with no registered
    spec (a host's own) overrides those too."""

    provider: Provider

    @property
    def provider_spec(self) -> ProviderSpec:
        from workspace_trust.providers import spec_for

        return spec_for(self.provider)

    @property
    def flag(self) -> str:
        """The ``FeatureFlags`` field that switches this provider's PTY preflight off."""
        return self.provider_spec.mode(PTY_MODE).flag

    #: Read ``--help`` before spawning, for flag discovery.
    reads_help: bool = False
    #: Accepting trust in a git repository's subfolder trusts the repository
    #: root (Claude Code writes the root's key; Codex resolves projects by
    #: their .git marker). Such a CLI is never run where that root is the home
    #: folder or a root.
    trusts_repository_root: bool = False

    #: Lock files the CLI itself keeps beside its state file, as suffixes of
    #: the state file's path (proper-lockfile's ``<file>.lock`` folder).
    state_lock_suffixes: tuple[str, ...] = ()
    #: After how long the CLI takes over a lock of its own as stale.
    state_lock_stale_ms: int = 10_000
    #: Probe diagnostics after which the CLI is never started, and the status
    #: the workspace then gets (a settings file the CLI cannot start with, a
    #: folder the user's own state file refuses). The state file's own
    #: unreadable codes always count, as a soft failure.
    refusing_codes: tuple[tuple[Code, WorkspaceStatus], ...] = ()
    #: The SIGTERM grace of this CLI's kill, when it differs from the
    #: spawner's (``EngineTiming.term_grace_ms``): 0 sends SIGKILL right after
    #: SIGTERM, for a CLI that keeps starting things while it shuts down and
    #: has saved what matters (trust) before the kill.
    term_grace_ms: int | None = None

    @property
    def rules(self) -> RuleTable:
        """The dialog rules: the provider spec's, loaded when a session first
        needs them (a subclass may name its own table instead)."""
        table = self.provider_spec.rules
        if table is None:
            raise ValueError(f"no dialog rules for {self.provider.value}")
        return table

    @property
    def names_rules(self) -> bool:
        """Whether a rule table is named, told without loading it: a subclass's
        own ``rules``, or the spec's. False only when neither names one (a
        plug-in that forgot them), so the CLI is never started for nothing."""
        if type(self).rules is not PtyProvider.rules:
            return True
        return self.provider_spec.rule_source is not None

    def state_file(self, env: Mapping[str, str]) -> str | None:
        """The state file this CLI writes trust to, under ``env``; None when
        the environment names none (no HOME). The spec's."""
        return self.provider_spec.state_file(env)

    def state_probe(
        self, env: Mapping[str, str], files: StateFiles | None = None, version: str | None = None
    ) -> StateProbe:
        """The probe of this provider's state file under ``env``, looking trust
        up as CLI ``version`` does (None: a version not known, the strictest
        lookup the provider's folder records). The spec's."""
        factory = self.provider_spec.state_probe
        if factory is None:
            raise NotImplementedError(f"{self.provider.value}: the spec names no state probe")
        return factory(env, files, version)

    #: Where the CLI keeps its state depends on its version even when the
    #: environment sets no variable of its table (files it reads from some
    #: version on): the version is then always looked up for the probe.
    version_locates_state: bool = False

    @abc.abstractmethod
    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]: ...

    def resolve_binary(self, explicit: str | None, env: Mapping[str, str], locator: BinaryLocator | None = None) -> str:
        """The spec's lookup (``ProviderSpec.resolve_binary``); raises ``BinaryMissingError``."""
        return self.provider_spec.resolve_binary(explicit, env, locator)

    @abc.abstractmethod
    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused: ...

    def messages(self) -> Mapping[SessionEnd, str]:
        return {}

    def never_set_up(self, env: Mapping[str, str], state_file: str, files: StateFiles) -> tuple[Code, str] | None:
        """Why the CLI, started under ``env``, would first show its first-run
        setup or a login rather than its trust dialog (a HOME where it was
        never set up); None when nothing says so. Nothing is started then,
        and nothing is written in the home folder."""
        return None

    def ignores_persisted_trust(self, env: Mapping[str, str], launch_args: Sequence[str]) -> str | None:
        """See ``TrustStrategy.ignores_persisted_trust``."""
        return None

    def trust_required(self, env: Mapping[str, str]) -> bool:
        """See ``TrustStrategy.trust_required``; ``env`` is the child's environment."""
        return True

    def not_gated(self, workspace: Workspace, version: str | None, probe: ProbeResult) -> Diagnostic | None:
        """Pure but for a look at the folder itself: the ``folder_not_gated_by_cli``
        diagnostic where this CLI at ``version`` shows no trust dialog for
        ``workspace``, whose state file says ``probe`` (see
        ``TrustStrategy.not_gated``); None where it does or may."""
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
    SessionEnd.UNKNOWN_DIALOG: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNKNOWN_TRUST_DIALOG,
        "the CLI shows what looks like a trust dialog that no rule recognises; no key was sent. "
        "Record it with `workspace-trust record` and report it",
    ),
    SessionEnd.TIMEOUT: (WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT, "the preflight time budget ran out"),
    SessionEnd.UNKNOWN_OPTION: (
        WorkspaceStatus.SOFT_FAILED,
        Code.UNKNOWN_TRUST_OPTION,
        "the CLI shows a trust dialog whose options no rule accepts (a new label, or the trust option "
        "missing); Enter was not pressed. Record it with `workspace-trust record` and report it",
    ),
    SessionEnd.TRUST_DECLINED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.TRUST_DECLINED,
        "the CLI exited saying the folder is not trusted: its decline option was taken; nothing was trusted",
    ),
    SessionEnd.SCOPE_REFUSED: (
        WorkspaceStatus.SOFT_FAILED,
        Code.TRUST_SCOPE_REFUSED,
        "the trust dialog's option trusts a folder other than the repository root approved before the start "
        "(or one that could not be read off the screen); no key was sent",
    ),
    SessionEnd.CANCELLED: (WorkspaceStatus.CANCELLED, Code.CANCELLED, ""),
    SessionEnd.ENTER_REFUSED: (
        WorkspaceStatus.BLOCKED,
        Code.WORKSPACE_CHANGED,
        "the folder is no longer the one that was guarded, so Enter was not pressed and the CLI was stopped",
    ),
}

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
        if ctx.is_cancelled():
            return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)

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
                if ctx.is_cancelled():
                    return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
                result = self._run_pty(workspace, ctx, env, probe, state_file, looked_up=version)
                if result.code is Code.TRUST_DECLINED and not ctx.is_cancelled():
                    result = self._run_again(workspace, ctx, env, probe, state_file, declined=result, looked_up=version)
                return attrs.evolve(result, lock_wait_ms=held.waited_ms)
        except LockTimeoutError as exc:
            return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.LOCK_TIMEOUT, str(exc))
        except PreflightCancelled:
            return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)

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
        retried = self._run_pty(workspace, ctx, env, probe, state_file, looked_up=looked_up)
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
        try:
            # From the npm package.json beside the binary, or --version run once
            # per binary ever (kept on disk by the help reader).
            version = ctx.help_reader.read_version(
                binary, env, min(HELP_TIMEOUT_MS, ctx.timing.total_budget_ms), is_cancelled=ctx.is_cancelled
            )
        except PreflightCancelled:
            return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
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
        p = self.provider
        lock_paths = tuple(state_file + suffix for suffix in self.spec.state_lock_suffixes) if state_file else ()
        found = self._await_provider_locks(lock_paths, ctx)
        if isinstance(found, CommandRefused):
            return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, found.code, found.message)
        before, lock_diagnostics = found
        scratch = ctx.scratch.make()
        session: PtySession | None = None
        try:
            help_text = None
            if self.spec.reads_help:
                help_ms = min(HELP_TIMEOUT_MS, deadline - ctx.clock.monotonic_ms())
                try:
                    help_text = ctx.help_reader.read_help(binary, env, help_ms, is_cancelled=ctx.is_cancelled)
                except PreflightCancelled:
                    return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
                if ctx.is_cancelled():
                    return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
                if ctx.clock.monotonic_ms() >= deadline:
                    return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, Code.TIMEOUT, _HELP_TIMED_OUT)
            command = self.spec.build_command(binary, help_text, scratch, ctx)
            if not isinstance(command, CommandRefused):
                from workspace_trust.redaction import redact

                log.info("%s %s: command line %s", p.value, workspace.absolute_path, redact(shlex.join(command.argv)))
            if isinstance(command, CommandRefused):
                return base_result(p, workspace, WorkspaceStatus.SOFT_FAILED, command.code, command.message)
            if ctx.is_cancelled():
                return base_result(p, workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
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
                on_frame=_progress_of(p, workspace, ctx),
                before_enter=None if check is None else _enter_allowed(check, session.pid),
            )
            report = session.kill(hold=self._kill_hold(lock_paths, before, ctx), term_grace_ms=self.spec.term_grace_ms)
            session = None
            extra = [*command.diagnostics, *lock_diagnostics]
            extra.extend(self._left_behind_locks(lock_paths, before, report, ctx, workspace))
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
            result = self._map_outcome(
                workspace, outcome, ctx, env, detail=check.change.message if check and check.change else ""
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
                session.kill(hold=self._kill_hold(lock_paths, before, ctx), term_grace_ms=self.spec.term_grace_ms)
            ctx.scratch.remove(scratch)

    def _await_provider_locks(
        self, paths: tuple[str, ...], ctx: ExecutionContext
    ) -> tuple[dict[str, LockFileStamp | None], tuple[Diagnostic, ...]] | CommandRefused:
        """Before spawning: wait, bounded, for a provider lock we did not make.

        A live holder releases it within moments; one left by a killed process
        is taken over by the CLI itself once it is older than the CLI's stale
        time. Until then a started CLI could not save trust, so nothing is
        spawned. The lock is never removed: it is not ours."""
        if not paths:
            return {}, ()
        started = ctx.clock.monotonic_ms()
        # Younger than this, a lock may still stop the CLI from saving.
        bound = self.spec.state_lock_stale_ms + ctx.timing.provider_lock_stale_margin_ms
        # A lock made just now goes past ``bound`` after ``bound``; a holder
        # that keeps refreshing it never does. The session's budget caps both.
        limit = min(bound + ctx.timing.provider_lock_stale_margin_ms, ctx.timing.total_budget_ms)
        waited_for: set[str] = set()
        while True:
            found = {path: ctx.provider_locks.inspect(path) for path in paths}
            live = [stamp for stamp in found.values() if stamp is not None and stamp.age_ms < bound]
            waited = ctx.clock.monotonic_ms() - started
            if not live:
                diagnostics = tuple(
                    Diagnostic(
                        Code.PROVIDER_LOCK_WAITED,
                        f"waited {waited} ms for the CLI's own lock on its state file ({os.path.basename(path)}) "
                        "to be released or go stale",
                        self.provider,
                    )
                    for path in sorted(waited_for)
                )
                return found, diagnostics
            waited_for.update(stamp.path for stamp in live)
            if ctx.is_cancelled():
                raise PreflightCancelled("cancelled while waiting for the provider's lock")
            if waited >= limit:
                names = ", ".join(sorted(os.path.basename(stamp.path) for stamp in live))
                return CommandRefused(
                    Code.PROVIDER_LOCK_BUSY,
                    f"the CLI's own lock on its state file ({names}) stayed held for {waited} ms; "
                    "another process of this CLI is saving, or is stuck; nothing was started",
                )
            ctx.clock.sleep_ms(PROVIDER_LOCK_POLL_MS)

    def _kill_hold(
        self, paths: tuple[str, ...], before: Mapping[str, LockFileStamp | None], ctx: ExecutionContext
    ) -> KillHold | None:
        if not paths:
            return None

        def holding() -> bool:
            return any(_made_since(before.get(path), ctx.provider_locks.inspect(path)) for path in paths)

        return KillHold(holding=holding, max_ms=ctx.timing.provider_lock_release_ms)

    def _left_behind_locks(
        self,
        paths: tuple[str, ...],
        before: Mapping[str, LockFileStamp | None],
        report: KillReport,
        ctx: ExecutionContext,
        workspace: Workspace,
    ) -> list[Diagnostic]:
        """A lock made during the session that is still there after the session
        had to be SIGKILLed is removed (the killed process can never release
        it); any other lock made during the session stays, and is reported."""
        out: list[Diagnostic] = []
        for path in paths:
            now = ctx.provider_locks.inspect(path)
            if not _made_since(before.get(path), now):
                continue
            assert now is not None
            name = os.path.basename(path)
            # Made during the session, still there after the session had to be
            # SIGKILLed and nothing of it survived: the killed CLI's own lock,
            # which it can never release now.
            ours = (report.killed_holding or report.escalated) and not report.survivors
            if ours and ctx.provider_locks.remove_left_behind(now):
                out.append(
                    Diagnostic(
                        Code.PROVIDER_LOCK_REMOVED,
                        f"the CLI was killed while it held its own lock ({name}) for {report.held_ms} ms; "
                        "the lock it left was removed",
                        self.provider,
                        workspace.id,
                    )
                )
            else:
                out.append(
                    Diagnostic(
                        Code.PROVIDER_LOCK_LEFT,
                        f"the CLI's own lock ({name}) is still there after the session ended and is not "
                        "provably the session's; it was left alone",
                        self.provider,
                        workspace.id,
                    )
                )
        return out

    def _rule(self, rule_id: str | None) -> DialogRule | None:
        """This provider's rule of that id, if any."""
        if rule_id is None:
            return None
        return next((rule for rule in self.spec.rules.rules if rule.id == rule_id), None)

    def _map_outcome(
        self,
        workspace: Workspace,
        outcome: SessionOutcome,
        ctx: ExecutionContext,
        child_env: Mapping[str, str],
        *,
        detail: str = "",
    ) -> WorkspaceResult:
        status, code, message = _END_TO_STATUS[outcome.end]
        message = self.spec.messages().get(outcome.end, message)
        if detail and outcome.end is SessionEnd.ENTER_REFUSED:
            message = f"{detail}; {message}"
        ended_on = self._rule(outcome.last_rule_id)
        if outcome.end is SessionEnd.ABORTED and ended_on is not None and ended_on.code is not None:
            # A dialog its rule names: its own code, and what it means.
            code, message = ended_on.code, ended_on.message or message
            status = _BLOCKING_CODES.get(code, status)
        if outcome.end is SessionEnd.TIMEOUT:
            message = f"{message} {_waiting_for(outcome)}"
        raw_tail = None
        failed = status in (WorkspaceStatus.SOFT_FAILED, WorkspaceStatus.BLOCKED)
        if ctx.debug and failed and outcome.last_snapshot is not None:
            # Only under debug, only on failure, only redacted, at most 8 KiB.
            # The CLI may print its own environment (or part of a key from it,
            # as Claude Code's custom API key screen does): the secret-looking
            # values of the child's and the host's environment are looked for
            # too, piece by piece. They are used here and kept nowhere.
            # A line the terminal wrapped is read whole (redact_screen_tail).
            from workspace_trust.redaction import environment_secrets, redact_screen_tail

            secrets = environment_secrets(child_env, ctx.env)
            raw_tail = redact_screen_tail(outcome.last_snapshot, home=ctx.env.get("HOME"), secrets=secrets)
        probe = outcome.probe
        trusted_key = probe.trusted_key if probe and probe.state is TrustState.TRUSTED else None
        diagnostics = probe.diagnostics if probe else ()
        if status is WorkspaceStatus.ACCEPTED and trusted_key is not None:
            scopes = {rule.trust_scope for rule in map(self._rule, outcome.matched_rule_ids) if rule is not None}
            if "repository" in scopes or _is_repository_root_of(trusted_key, workspace):
                diagnostics = (
                    *diagnostics,
                    Diagnostic(
                        Code.TRUST_SCOPE_REPOSITORY,
                        f"the option accepted trusts the whole repository at {trusted_key}: every folder in it, "
                        "anything added there later, and its settings",
                        self.provider,
                        workspace.id,
                    ),
                )
        faults = outcome.render.faults
        if faults:
            diagnostics = (
                *diagnostics,
                Diagnostic(
                    Code.RENDER_FAULT,
                    f"the terminal renderer failed on {faults} piece(s) of the CLI's output and skipped them; "
                    "the screens the rules saw may have missed something",
                    self.provider,
                    workspace.id,
                ),
            )
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
            diagnostics=diagnostics,
            raw_tail=raw_tail,
            session=SessionReport(
                frames=outcome.frames,
                first_dialog_ms=outcome.first_dialog_ms,
                last_rule_id=outcome.last_rule_id,
                wait_reason=outcome.last_wait_reason,
                render_faults=faults,
                dropped_sequences=outcome.render.dropped_sequences,
                exit_status=outcome.exit_status,
            ),
        )


def _is_repository_root_of(key: str, workspace: Workspace) -> bool:
    """The state file proves trust by the root of the folder's git repository
    (or a linked worktree's main checkout), not by the folder itself: what the
    dialog accepted covers that whole repository, whether or not it said so
    (Claude Code before 2.1.337 did not)."""
    host = workspace.host
    try:
        found = comparison_key(normalize(key, host.flavor), host)
    except PathError:
        return False
    roots = {comparison_key(root, host) for root in (workspace.git_root, workspace.worktree_main_root) if root}
    return found in roots and found != workspace.comparison_key


#: Codes of dialogs recognised and never answered whose cause a retry cannot fix.
_BLOCKING_CODES = {Code.TRUST_SCOPE_HOME: WorkspaceStatus.BLOCKED}


def _waiting_for(outcome: SessionOutcome) -> str:
    """What a session that ran out of time was waiting for, as codes (no screen text)."""
    reason = outcome.last_wait_reason
    parts = [f"while waiting: {reason.value if reason else 'nothing'}"]
    if outcome.last_rule_id is not None:
        parts.append(f"on rule {outcome.last_rule_id}")
    elif outcome.last_snapshot is None or outcome.last_snapshot.is_blank:
        parts.append("(the screen stayed blank)")
    return " ".join(parts)


def _progress_of(provider: Provider, workspace: Workspace, ctx: ExecutionContext) -> Callable[[SessionFrame], None]:
    """The runner's ``on_frame`` as progress: DIALOG the first time each rule
    recognises a frame (detail: the rule id), KEY for every key sent (detail:
    the key's name)."""
    seen: set[str] = set()
    started = ctx.clock.monotonic_ms()
    beat = [started]

    decided: list[object] = [None]

    def on_frame(frame: SessionFrame) -> None:
        decision = frame.decision
        if log.isEnabledFor(logging.DEBUG):
            # The engine's decisions as they change (``--debug``), not every frame.
            seen_now = (decision.action, decision.rule_id, decision.wait_reason, decision.finish_reason, frame.sent)
            if seen_now != decided[0]:
                decided[0] = seen_now
                log.debug(
                    "%s %s: frame %d: %s rule=%s wait=%s%s%s",
                    provider.value,
                    workspace.id,
                    decision.frame,
                    decision.action.value,
                    decision.rule_id or "-",
                    decision.wait_reason.value if decision.wait_reason else "-",
                    f" finish={decision.finish_reason.value}" if decision.finish_reason else "",
                    f" key={frame.sent.value}" if frame.sent else "",
                )
        rule = frame.decision.rule_id
        if rule is not None and rule not in seen:
            seen.add(rule)
            ctx.progress(ProgressEvent(provider, workspace.id, ProgressStage.DIALOG, detail=rule))
        if frame.sent is not None:
            ctx.progress(ProgressEvent(provider, workspace.id, ProgressStage.KEY, detail=frame.sent.value))
        now = ctx.clock.monotonic_ms()
        if now - beat[0] >= HEARTBEAT_MS:
            beat[0] = now
            reason = frame.decision.wait_reason
            awaited = "the_dialog" if not seen else (reason.value if reason is not None else "the_screen")
            ctx.progress(
                ProgressEvent(provider, workspace.id, ProgressStage.WAITING, detail=awaited, elapsed_ms=now - started)
            )

    return on_frame


def _version_verdict(provider: Provider, version: str | None, workspace_id: str) -> VersionVerdict:
    """What the provider's spec says of ``version``; no verdict for a strategy
    whose provider has no registered spec (a host's own, in a test)."""
    from workspace_trust.providers import spec_for

    try:
        spec = spec_for(provider)
    except ValueError:
        return VersionVerdict()
    return judge_version(spec, version, workspace_id)
