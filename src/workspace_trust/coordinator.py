"""The three-stage coordinator: ``plan_args_only``, ``plan_full``, ``execute``.

Theory of operation
-------------------
* ``plan_args_only`` is pure: it derives launch patches for the request's own
  folders from the request alone. No process, no file, no lock, no file read.
* ``plan_full`` gathers file-system facts for every folder (read-only), dedupes
  them, applies the home/root guards, and lists the work ``execute`` will do.
  It starts no process, writes no file and takes no lock.
* ``execute`` runs the work, a bounded number of workspaces at a time. Each
  strategy checks cancellation before the lock, before spawning, after every
  frame and before every key. ``dispose`` cancels everything still running and
  kills exactly the sessions this coordinator started.

Strategies come from a :class:`StrategyRegistry`; nothing here names a provider.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import attrs

from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.adapters.help import SubprocessHelpReader
from workspace_trust.adapters.locks import WorkspaceLocks
from workspace_trust.adapters.provider_locks import LocalProviderLockFiles
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.diagnostics import (
    DiagnosticsManifest,
    PathPolicy,
    apply_budget,
    build_strategy_diagnostic,
    diagnostic_for_policy,
)
from workspace_trust.domain.codes import Code, ExecutionStatus, Key, Provider, WorkspaceStatus
from workspace_trust.domain.patches import EnvPatch, LaunchArgPatch
from workspace_trust.domain.paths import (
    PathError,
    PathFacts,
    Workspace,
    WorkspaceSource,
    build_workspace,
    dedupe_workspaces,
    env_home,
)
from workspace_trust.domain.results import Diagnostic, WorkspaceResult
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.engine.timing import DEFAULT_TIMING, EngineTiming
from workspace_trust.flags import FeatureFlags, flags_to_json
from workspace_trust.ports import (
    Clock,
    FileSystemFacts,
    HelpReader,
    IsCancelled,
    KillHold,
    KillReport,
    LockPort,
    ProviderLockFiles,
    PtySession,
    PtySpawner,
    RenderStats,
    SpawnSpec,
)
from workspace_trust.registry import StrategyRegistry, default_registry
from workspace_trust.strategy import (
    DEFAULT_LOCK_TIMEOUT_MS,
    ExecutionContext,
    PatchPlan,
    ProgressEvent,
    TrustStrategy,
    base_result,
    guard_reason,
    guard_result,
    trust_lost_result,
)

log = logging.getLogger(__name__)

#: Workspaces prepared at once. Claude's first start in a fresh HOME is CPU
#: bound (13.5 s on 2.1.197), and CI machines have two cores.
DEFAULT_PARALLELISM = 2


class RequestMode(enum.Enum):
    CREATE = "create"
    LAUNCH = "launch"


class FailureAction(enum.Enum):
    #: Launch anyway; the runtime's own trust error is classified afterwards.
    CONTINUE_LAUNCH = "continue_launch"
    #: Do not launch; run the host's pre-spawn cleanup for this mode.
    STOP_LAUNCH = "stop_launch"


@attrs.frozen(slots=True)
class CreateCleanup:
    """A *create* flow stopped before its metadata writes: remove run tracking and helper
    material only; never delete team or task folders this run did not create."""

    created_team_directories: bool = False
    cleanup_helper_material: bool = True


@attrs.frozen(slots=True)
class LaunchCleanup:
    """A *launch* flow stopped after config normalisation: restore the pre-launch config;
    do not persist a new failed-launch snapshot if launch state was not cleared yet."""

    restore_prelaunch_config: bool = True
    launch_state_cleared: bool = False


@attrs.frozen(slots=True)
class TrustPolicy:
    """What a host does with each overall outcome. ``cancelled`` is never a failure:
    the host takes its own cancellation path."""

    on_soft_failure: FailureAction = FailureAction.CONTINUE_LAUNCH
    on_blocked: FailureAction = FailureAction.STOP_LAUNCH
    cleanup: CreateCleanup | LaunchCleanup = attrs.field(factory=LaunchCleanup)

    @classmethod
    def for_mode(cls, mode: RequestMode) -> TrustPolicy:
        return cls(cleanup=CreateCleanup() if mode is RequestMode.CREATE else LaunchCleanup())


@attrs.frozen(slots=True)
class WorkspaceSpec:
    path: str
    source: WorkspaceSource = WorkspaceSource.REQUEST
    member_id: str | None = None
    id: str | None = None
    #: The real path, when the host already knows it (used by ``plan_args_only``,
    #: which reads nothing from the file system).
    real_path: str | None = None


@attrs.frozen(slots=True)
class WorkspaceTrustRequest:
    workspaces: tuple[WorkspaceSpec, ...]
    providers: tuple[Provider, ...] = (Provider.CLAUDE,)
    mode: RequestMode = RequestMode.LAUNCH
    #: Strategy mode per provider (``pty``, ``args``, ``env``); registry default otherwise.
    strategy_modes: Mapping[Provider, str] = attrs.field(factory=dict)
    env: Mapping[str, str] = attrs.field(factory=lambda: dict(os.environ))
    binaries: Mapping[Provider, str] = attrs.field(factory=dict)
    strip_env: tuple[str, ...] = ()
    existing_codex_overrides: tuple[str, ...] = ()
    timing: EngineTiming = DEFAULT_TIMING
    debug: bool = False
    allow_unprotected_claude: bool = False
    parallelism: int = DEFAULT_PARALLELISM
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    policy: TrustPolicy | None = None
    #: Feature flags (see ``parse_flags``); each one really switches its strategy off.
    flags: FeatureFlags = attrs.field(factory=FeatureFlags)
    #: Namespace of app-owned settings inside a runtime's ``--settings`` JSON.
    settings_namespace: str = "workspace_trust"
    #: Where the preflight's scratch files (Claude's empty MCP config) go;
    #: None: the system temp folder. Each run's folder is removed on every path.
    temp_dir: str | None = None
    #: 1 for a launch's first preparation, 2 for its one retry (see
    #: ``retry_allowed``); recorded in the diagnostics manifest.
    attempt: int = attrs.field(default=1, validator=attrs.validators.ge(1))

    @property
    def effective_policy(self) -> TrustPolicy:
        return self.policy or TrustPolicy.for_mode(self.mode)


@attrs.frozen(slots=True)
class PlannedTask:
    provider: Provider
    mode: str
    workspace: Workspace
    #: False when a feature flag switched this strategy off; the task is reported as skipped.
    enabled: bool = True


@attrs.frozen(slots=True)
class ArgsOnlyPlan:
    """Stage 1: launch patches for the request's own folders, from the request alone."""

    request: WorkspaceTrustRequest
    patches: PatchPlan
    diagnostics: tuple[Diagnostic, ...]


@attrs.frozen(slots=True)
class FullPlan:
    request: WorkspaceTrustRequest
    workspaces: tuple[Workspace, ...]
    tasks: tuple[PlannedTask, ...]
    #: Results known without running anything: unusable paths, and the home folder,
    #: roots and missing folders, blocked per provider with no task and no patch.
    settled: tuple[WorkspaceResult, ...]
    diagnostics: tuple[Diagnostic, ...]
    patches: PatchPlan = attrs.field(factory=PatchPlan)


@attrs.frozen(slots=True)
class ExecutionResult:
    status: ExecutionStatus
    results: tuple[WorkspaceResult, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    policy: TrustPolicy = attrs.field(factory=TrustPolicy)
    patches: PatchPlan = attrs.field(factory=PatchPlan)
    flags: FeatureFlags = attrs.field(factory=FeatureFlags)
    debug: bool = False
    attempt: int = 1

    def diagnostics_manifest(
        self, *, path_policy: PathPolicy = PathPolicy.FULL, home: str | None = None
    ) -> DiagnosticsManifest:
        """The structured, redacted manifest with the size budget already applied."""
        diagnostics = list(self.diagnostics)
        for result in self.results:
            diagnostics.extend(d for d in result.diagnostics if d not in diagnostics)
        paths = {p for r in self.results for p in (r.workspace, r.real_path)}
        manifest = DiagnosticsManifest(
            attempt=self.attempt,
            feature_flags=flags_to_json(self.flags),
            strategy_results=tuple(
                build_strategy_diagnostic(r, debug=self.debug, path_policy=path_policy, home=home) for r in self.results
            ),
            diagnostics=tuple(
                diagnostic_for_policy(d, paths=paths, policy=path_policy, home=home) for d in diagnostics
            ),
        )
        return apply_budget(manifest)

    def for_provider(self, provider: Provider) -> tuple[WorkspaceResult, ...]:
        return tuple(r for r in self.results if r.provider is provider)

    def for_workspace(self, workspace_id: str) -> tuple[WorkspaceResult, ...]:
        return tuple(r for r in self.results if r.workspace_id == workspace_id)

    @property
    def proceed(self) -> bool:
        """Whether the host should go on to launch, under its policy."""
        if self.status is ExecutionStatus.CANCELLED:
            return False
        if self.status is ExecutionStatus.BLOCKED:
            return self.policy.on_blocked is FailureAction.CONTINUE_LAUNCH
        if self.status is ExecutionStatus.SOFT_FAILED:
            return self.policy.on_soft_failure is FailureAction.CONTINUE_LAUNCH
        return True


def overall_status(results: tuple[WorkspaceResult, ...] | list[WorkspaceResult]) -> ExecutionStatus:
    statuses = {r.status for r in results}
    if WorkspaceStatus.CANCELLED in statuses:
        return ExecutionStatus.CANCELLED
    if WorkspaceStatus.BLOCKED in statuses:
        return ExecutionStatus.BLOCKED
    if WorkspaceStatus.SOFT_FAILED in statuses:
        return ExecutionStatus.SOFT_FAILED
    return ExecutionStatus.OK


class _TrackingSpawner(PtySpawner):
    """Remembers the sessions it started so ``dispose`` can kill exactly those."""

    def __init__(self, inner: PtySpawner) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._live: list[PtySession] = []

    def spawn(self, spec: SpawnSpec) -> PtySession:
        session = self._inner.spawn(spec)
        tracked = _TrackedSession(session, self)
        with self._lock:
            self._live.append(tracked)
        return tracked

    def forget(self, session: PtySession) -> None:
        with self._lock:
            if session in self._live:
                self._live.remove(session)

    def kill_all(self) -> int:
        with self._lock:
            live = list(self._live)
        for session in live:
            session.kill()
        return len(live)


class _TrackedSession(PtySession):
    def __init__(self, inner: PtySession, owner: _TrackingSpawner) -> None:
        self._inner = inner
        self._owner = owner

    @property
    def pid(self) -> int:
        return self._inner.pid

    def read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
        return self._inner.read_snapshot(timeout_ms)

    def send_key(self, key: Key) -> None:
        self._inner.send_key(key)

    def exit_status(self) -> int | None:
        return self._inner.exit_status()

    def render_stats(self) -> RenderStats:
        return self._inner.render_stats()

    def kill(self, *, hold: KillHold | None = None) -> KillReport:
        report = self._inner.kill(hold=hold)
        self._owner.forget(self)
        return report


class WorkspaceTrustCoordinator:
    def __init__(
        self,
        *,
        spawner: PtySpawner | None = None,
        clock: Clock | None = None,
        locks: LockPort | None = None,
        filesystem: FileSystemFacts | None = None,
        help_reader: HelpReader | None = None,
        provider_locks: ProviderLockFiles | None = None,
        registry: StrategyRegistry | None = None,
        use_file_locks: bool = True,
    ) -> None:
        self._clock = clock or SystemClock()
        self._spawner = _TrackingSpawner(spawner or PtyProcessSpawner(self._clock))
        self._locks = locks or WorkspaceLocks(self._clock, use_files=use_file_locks)
        #: Used when the ``file_lock`` flag is off: in-process locks only.
        self._local_locks = locks or WorkspaceLocks(self._clock, use_files=False)
        self._fs = filesystem or LocalFileSystemFacts()
        self._help = help_reader or SubprocessHelpReader()
        self._provider_locks = provider_locks or LocalProviderLockFiles()
        self._registry = registry or default_registry()
        self._disposed = threading.Event()

    # -- stage 1 -------------------------------------------------------------
    def plan_args_only(self, request: WorkspaceTrustRequest) -> ArgsOnlyPlan:
        """Pure: no process, no file read or written, no lock. Never raises for trust problems."""
        workspaces: list[Workspace] = []
        diagnostics: list[Diagnostic] = []
        host = self._fs.host
        # The home folder as the caller's environment names it: read, not resolved.
        home = env_home(request.env)
        for spec in request.workspaces:
            facts = PathFacts(absolute=spec.path, real=spec.real_path or spec.path, home=home, exists=True, is_dir=True)
            try:
                workspace = build_workspace(
                    spec.path, facts, host, workspace_id=spec.id, source=spec.source, member_id=spec.member_id
                )
            except PathError as exc:
                diagnostics.append(
                    Diagnostic(Code.WORKSPACE_PATH_INVALID, f"unusable workspace path: {exc}", workspace_id=spec.id)
                )
                continue
            refused = guard_reason(workspace)
            if refused is not None:
                code, message = refused
                diagnostics.append(Diagnostic(code, f"left out of every patch: {message}", workspace_id=workspace.id))
                continue
            workspaces.append(workspace)
        patches = self._plan_patches(request, dedupe_workspaces(workspaces))
        return ArgsOnlyPlan(request, patches, (*diagnostics, *patches.diagnostics))

    def _plan_patches(self, request: WorkspaceTrustRequest, workspaces: tuple[Workspace, ...]) -> PatchPlan:
        arg_patches: list[LaunchArgPatch] = []
        env_patches: list[EnvPatch] = []
        overrides: tuple[str, ...] = ()
        diagnostics: list[Diagnostic] = []
        for provider in _unique_providers(request.providers):
            mode = request.strategy_modes.get(provider) or self._registry.default_mode(provider)
            strategy = self._registry.create(provider, mode)
            if not _allowed(request.flags, strategy):
                continue
            plan = strategy.plan_patches(workspaces, request.existing_codex_overrides)
            arg_patches.extend(plan.arg_patches)
            env_patches.extend(plan.env_patches)
            overrides = overrides or plan.codex_config_overrides
            diagnostics.extend(plan.diagnostics)
        return PatchPlan(tuple(arg_patches), tuple(env_patches), overrides, tuple(diagnostics))

    # -- stage 2 -------------------------------------------------------------
    def plan_full(self, request: WorkspaceTrustRequest) -> FullPlan:
        workspaces: list[Workspace] = []
        settled: list[WorkspaceResult] = []
        diagnostics: list[Diagnostic] = []
        for spec in request.workspaces:
            try:
                facts = self._fs.gather(spec.path, env=request.env)
                workspaces.append(
                    build_workspace(
                        spec.path,
                        facts,
                        self._fs.host,
                        workspace_id=spec.id,
                        source=spec.source,
                        member_id=spec.member_id,
                    )
                )
            except (PathError, OSError, ValueError) as exc:
                diag = Diagnostic(
                    Code.WORKSPACE_PATH_INVALID,
                    f"unusable workspace path: {exc}",
                    workspace_id=spec.id or spec.path,
                )
                diagnostics.append(diag)
                for provider in _unique_providers(request.providers):
                    settled.append(
                        WorkspaceResult(
                            provider=provider,
                            workspace_id=spec.id or spec.path,
                            workspace=spec.path,
                            real_path=spec.path,
                            status=WorkspaceStatus.BLOCKED,
                            code=Code.WORKSPACE_PATH_INVALID,
                            diagnostics=(diag,),
                        )
                    )
        unique = dedupe_workspaces(workspaces)
        # Home, roots and missing folders are decided here, before anything runs:
        # a blocked result per provider, no task, no patch.
        usable = []
        for workspace in unique:
            refused = [guard_result(provider, workspace) for provider in _unique_providers(request.providers)]
            settled.extend(r for r in refused if r is not None)
            if not any(refused):
                usable.append(workspace)
        tasks: list[PlannedTask] = []
        for provider in _unique_providers(request.providers):
            mode = request.strategy_modes.get(provider) or self._registry.default_mode(provider)
            enabled = _allowed(request.flags, self._registry.create(provider, mode))
            for workspace in usable:
                tasks.append(PlannedTask(provider, mode, workspace, enabled))
        patches = self._plan_patches(request, tuple(usable))
        return FullPlan(request, unique, tuple(tasks), tuple(settled), (*diagnostics, *patches.diagnostics), patches)

    # -- stage 3 -------------------------------------------------------------
    def execute(
        self,
        plan: FullPlan,
        *,
        is_cancelled: IsCancelled | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> ExecutionResult:
        request = plan.request
        user_cancel = is_cancelled or (lambda: False)

        def cancelled() -> bool:
            return self._disposed.is_set() or user_cancel()

        # The request's own switches (the CLI's --debug, a host's opt-in) count
        # as the flags' values, so the manifest records what was in force.
        flags = attrs.evolve(
            request.flags,
            debug=request.debug or request.flags.debug,
            allow_unprotected_claude=request.allow_unprotected_claude or request.flags.allow_unprotected_claude,
        )
        ctx = ExecutionContext(
            spawner=self._spawner,
            clock=self._clock,
            locks=self._locks if flags.file_lock else self._local_locks,
            help_reader=self._help,
            env=dict(request.env),
            provider_locks=self._provider_locks,
            is_cancelled=cancelled,
            timing=request.timing,
            debug=flags.debug,
            allow_unprotected_claude=flags.allow_unprotected_claude,
            binaries=dict(request.binaries),
            strip_env=request.strip_env,
            lock_timeout_ms=request.lock_timeout_ms,
            on_progress=on_progress,
            temp_dir=request.temp_dir,
        )
        strategies: dict[tuple[Provider, str], TrustStrategy] = {}
        for task in plan.tasks:
            key = (task.provider, task.mode)
            if key not in strategies:
                strategies[key] = self._registry.create(task.provider, task.mode)

        def run(task: PlannedTask) -> WorkspaceResult:
            if not task.enabled:
                return base_result(
                    task.provider,
                    task.workspace,
                    WorkspaceStatus.SKIPPED,
                    Code.FEATURE_DISABLED,
                    f"{task.provider.value} {task.mode} strategy is switched off by a feature flag",
                )
            if cancelled():
                return base_result(task.provider, task.workspace, WorkspaceStatus.CANCELLED, Code.CANCELLED)
            try:
                return strategies[(task.provider, task.mode)].execute_workspace(task.workspace, ctx)
            except Exception as exc:  # the library never crashes its host
                log.exception("strategy failed unexpectedly")
                return base_result(
                    task.provider,
                    task.workspace,
                    WorkspaceStatus.SOFT_FAILED,
                    Code.INTERNAL_ERROR,
                    f"internal error: {type(exc).__name__}",
                )

        results: list[WorkspaceResult] = list(plan.settled)
        workers = max(1, min(request.parallelism, len(plan.tasks) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workspace-trust") as pool:
            done = list(pool.map(run, plan.tasks))
        # Every session of this call is gone now: what each state file says at
        # this point is what a launch will find.
        results.extend(
            self._reprove(
                task,
                result,
                request=request,
                strategy=strategies[(task.provider, task.mode)],
                run=run,
                cancelled=cancelled,
            )
            for task, result in zip(plan.tasks, done, strict=True)
        )
        return ExecutionResult(
            overall_status(results),
            tuple(results),
            plan.diagnostics,
            request.effective_policy,
            plan.patches,
            flags=flags,
            debug=flags.debug,
            attempt=request.attempt,
        )

    @staticmethod
    def _reprove(
        task: PlannedTask,
        result: WorkspaceResult,
        *,
        request: WorkspaceTrustRequest,
        strategy: TrustStrategy,
        run: Callable[[PlannedTask], WorkspaceResult],
        cancelled: IsCancelled,
    ) -> WorkspaceResult:
        """Trust reported in this call is proven once more after all its sessions
        ended. Trust that vanished (another writer clobbered the state file) is
        prepared once more; lost again, it is ``trust_lost``, never accepted."""
        if cancelled():
            return result
        if result.code is Code.TRUST_LOST:
            lost = result
        elif result.status in _PROVEN:
            now = strategy.probe(task.workspace, request.env)
            if now.trusted:
                return result
            lost = trust_lost_result(result, now, "when the run ended")
        else:
            return result
        log.warning("trust recorded in this run vanished from the state file; retrying once")
        retried = run(task)
        if retried.status in _PROVEN or retried.status is WorkspaceStatus.ALREADY_TRUSTED:
            again = strategy.probe(task.workspace, request.env)
            if again.trusted:
                return attrs.evolve(retried, diagnostics=(*lost.diagnostics[-1:], *retried.diagnostics))
            retried = trust_lost_result(retried, again, "when the retry ended")
        if retried.code is Code.TRUST_LOST:
            return retried
        return attrs.evolve(lost, diagnostics=(*lost.diagnostics, *retried.diagnostics))

    # -- asyncio face -----------------------------------------------------------
    async def aplan_args_only(self, request: WorkspaceTrustRequest) -> ArgsOnlyPlan:
        return self.plan_args_only(request)

    async def aplan_full(self, request: WorkspaceTrustRequest) -> FullPlan:
        return await asyncio.to_thread(self.plan_full, request)

    async def aexecute(
        self,
        plan: FullPlan,
        *,
        is_cancelled: IsCancelled | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> ExecutionResult:
        """``execute`` in a worker thread. If the awaiting task is cancelled, every
        session of this call is killed and cleaned up before ``CancelledError``
        propagates; the host's ``is_cancelled`` still yields a ``cancelled`` result."""
        stop = threading.Event()
        user_cancel = is_cancelled or (lambda: False)

        def cancelled() -> bool:
            return stop.is_set() or user_cancel()

        work = asyncio.ensure_future(
            asyncio.to_thread(self.execute, plan, is_cancelled=cancelled, on_progress=on_progress)
        )
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            stop.set()
            # Let the worker notice, kill its process groups and remove its temp
            # files; a second cancellation must not cut that wait short (the
            # kill is bounded, a few seconds at worst).
            while not work.done():
                try:
                    await asyncio.wait({work})
                except asyncio.CancelledError:
                    continue
            if not work.cancelled():
                work.exception()  # retrieved: the cancellation is what propagates
            raise

    def dispose(self) -> int:
        """Cancel running work and kill every session this coordinator started."""
        self._disposed.set()
        return self._spawner.kill_all()

    # -- probes ----------------------------------------------------------------
    def status(self, plan: FullPlan) -> tuple[tuple[PlannedTask, object], ...]:
        out = []
        for task in plan.tasks:
            strategy = self._registry.create(task.provider, task.mode)
            out.append((task, strategy.probe(task.workspace, plan.request.env)))
        return tuple(out)


#: Statuses that say the state file recorded trust during this call.
_PROVEN = frozenset({WorkspaceStatus.ACCEPTED, WorkspaceStatus.ALREADY_TRUSTED_AFTER_WAIT})


def _allowed(flags: FeatureFlags, strategy: TrustStrategy) -> bool:
    return flags.enabled and bool(getattr(flags, strategy.flag))


def _unique_providers(providers: tuple[Provider, ...]) -> tuple[Provider, ...]:
    seen: list[Provider] = []
    for provider in providers:
        if provider not in seen:
            seen.append(provider)
    return tuple(seen)
