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

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import attrs

from workspace_trust.adapters.binaries import LocalBinaryLocator
from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.adapters.provider_locks import LocalProviderLockFiles
from workspace_trust.adapters.scratch import LocalScratchSpace
from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.domain.codes import Code, Key, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.errors import WorkspaceTrustError
from workspace_trust.domain.outcomes import base_result, both_runs, trust_lost_result
from workspace_trust.domain.patches import PatchPlan
from workspace_trust.domain.paths import env_home, root_reason
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.planning import Planner
from workspace_trust.ports import (
    BinaryLocator,
    Clock,
    ExecutionPorts,
    FileSystemFacts,
    HelpReader,
    IsCancelled,
    KillHold,
    KillReport,
    LockPort,
    LockWait,
    ProviderLockFiles,
    PtySession,
    PtySpawner,
    RenderStats,
    ScratchSpace,
    SpawnSpec,
    StateFiles,
)
from workspace_trust.providers import spec_for
from workspace_trust.providers.override_floors import below_floor
from workspace_trust.registry import StrategyRegistry, default_registry

# The request, plan and result types live in ``requests``; they are re-exported
# here, where hosts have always imported them from.
from workspace_trust.requests import (
    DEFAULT_PARALLELISM,
    ArgsOnlyPlan,
    ExecutionResult,
    FailureAction,
    FullPlan,
    PlannedTask,
    RequestMode,
    TrustPolicy,
    WorkspaceSpec,
    WorkspaceTrustRequest,
    overall_status,
)
from workspace_trust.strategy import ExecutionContext, ProgressEvent, TrustStrategy

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from workspace_trust.ports import LockHold

__all__ = [
    "DEFAULT_PARALLELISM",
    "ArgsOnlyPlan",
    "ExecutionResult",
    "FailureAction",
    "FullPlan",
    "PlannedTask",
    "RequestMode",
    "TrustPolicy",
    "WorkspaceSpec",
    "WorkspaceTrustCoordinator",
    "WorkspaceTrustRequest",
    "overall_status",
]

log = logging.getLogger(__name__)


class _DefaultSpawner(PtySpawner):
    """The ptyprocess spawner, imported on the first spawn: ``status``, ``plan``
    and a host that only plans never load ptyprocess or pyte (nor need the PTY
    modules that Windows lacks)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._inner: PtySpawner | None = None

    def spawn(self, spec: SpawnSpec) -> PtySession:
        with self._lock:
            if self._inner is None:
                from workspace_trust.adapters.pty_process import PtyProcessSpawner

                self._inner = PtyProcessSpawner(self._clock)
            inner = self._inner
        return inner.spawn(spec)


class _DefaultLocks(LockPort):
    """``WorkspaceLocks`` (lock files), made on the first ``hold``."""

    def __init__(self, clock: Clock, *, use_files: bool) -> None:
        self._clock = clock
        self._use_files = use_files
        self._lock = threading.Lock()
        self._inner: LockPort | None = None

    def hold(
        self,
        key: str,
        *,
        timeout_ms: int,
        is_cancelled: IsCancelled,
        on_wait: Callable[[LockWait], None] | None = None,
        owner: str = "",
    ) -> AbstractContextManager[LockHold]:
        with self._lock:
            if self._inner is None:
                from workspace_trust.adapters.locks import WorkspaceLocks

                self._inner = WorkspaceLocks(self._clock, use_files=self._use_files)
            inner = self._inner
        return inner.hold(key, timeout_ms=timeout_ms, is_cancelled=is_cancelled, on_wait=on_wait, owner=owner)


class _DefaultHelpReader(HelpReader):
    """``SubprocessHelpReader``, made on the first read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inner: HelpReader | None = None

    def _reader(self) -> HelpReader:
        with self._lock:
            if self._inner is None:
                from workspace_trust.adapters.help import SubprocessHelpReader

                self._inner = SubprocessHelpReader()
            return self._inner

    def read_help(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        return self._reader().read_help(binary, env, timeout_ms, is_cancelled=is_cancelled)

    def read_version(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        return self._reader().read_version(binary, env, timeout_ms, is_cancelled=is_cancelled)

    def known_version(self, binary: str) -> str | None:
        return self._reader().known_version(binary)


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

    def kill(self, *, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
        report = self._inner.kill(hold=hold, term_grace_ms=term_grace_ms)
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
        state_files: StateFiles | None = None,
        binary_locator: BinaryLocator | None = None,
        scratch: ScratchSpace | None = None,
        registry: StrategyRegistry | None = None,
        use_file_locks: bool = True,
    ) -> None:
        self._clock = clock or SystemClock()
        self._spawner = _TrackingSpawner(spawner or _DefaultSpawner(self._clock))
        #: Used when the ``file_lock`` flag is off: in-process locks only.
        self._local_locks = locks or _DefaultLocks(self._clock, use_files=False)
        self._fs = filesystem or LocalFileSystemFacts()
        #: None: a private folder under each request's ``temp_dir``.
        self._scratch = scratch
        self._ports = ExecutionPorts(
            spawner=self._spawner,
            clock=self._clock,
            locks=locks or _DefaultLocks(self._clock, use_files=use_file_locks),
            help_reader=help_reader or _DefaultHelpReader(),
            provider_locks=provider_locks or LocalProviderLockFiles(),
            state_files=state_files or LocalStateFiles(),
            binary_locator=binary_locator or LocalBinaryLocator(),
            scratch=scratch or LocalScratchSpace(),
            filesystem=self._fs,
        )
        self._registry = registry or default_registry()
        self._planner = Planner(self._registry, self._fs)
        self._disposed = threading.Event()

    # -- stages 1 and 2 --------------------------------------------------------
    def plan_args_only(self, request: WorkspaceTrustRequest) -> ArgsOnlyPlan:
        """Pure: no process, no file read or written, no lock. Never raises for trust problems."""
        return self._planner.plan_args_only(request)

    def plan_full(self, request: WorkspaceTrustRequest) -> FullPlan:
        """Read-only: canonical paths, guards, the work to do. Starts nothing, writes nothing."""
        return self._versioned(self._planner.plan_full(request))

    def _versioned(self, plan: FullPlan) -> FullPlan:
        """``plan`` as the installed CLIs take it (their versions as known
        without starting anything): a provider's patches are left out where
        its CLI is older than the first version that honours its override,
        each folder then saying why; and the notes each strategy has about
        its override on that version are added."""
        patches = plan.patches
        notes: list[Diagnostic] = []
        ctx = ExecutionContext.for_request(plan.request, self._ports)
        for provider in dict.fromkeys(task.provider for task in plan.tasks):
            task = next(t for t in plan.tasks if t.provider is provider)
            strategy = self._registry.create(provider, task.mode)
            if not any(p.target_provider == provider for p in patches.arg_patches) and not any(
                p.target_provider == provider for p in patches.env_patches
            ):
                continue
            try:
                version = strategy.installed_version(ctx)
                floor = strategy.override_floor
                name = _display_name(provider)
                if floor is not None and below_floor(floor, version, provider, name) is not None:
                    # One reason per folder, so that each row says it.
                    ids = [t.workspace.id for t in plan.tasks if t.provider is provider]
                    found = [below_floor(floor, version, provider, name, workspace_id) for workspace_id in ids]
                    patches = _without(patches, provider, strategy, plan)
                    patches = attrs.evolve(patches, diagnostics=(*patches.diagnostics, *(d for d in found if d)))
                    continue
                notes.extend(strategy.launch_notes(version))
            except Exception:  # a read-only hook must never crash its host
                log.exception("the installed version could not be checked")
        if patches is plan.patches and not notes:
            return plan
        return attrs.evolve(
            plan,
            patches=attrs.evolve(patches, diagnostics=(*patches.diagnostics, *notes)),
            diagnostics=(*plan.diagnostics, *patches.diagnostics[len(plan.patches.diagnostics) :], *notes),
        )

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

        flags = request.effective_flags
        ports = attrs.evolve(
            self._ports,
            locks=self._ports.locks if flags.file_lock else self._local_locks,
            scratch=self._scratch or LocalScratchSpace(request.temp_dir),
        )
        ctx = ExecutionContext.for_request(
            request,
            ports,
            is_cancelled=cancelled,
            on_progress=on_progress,
            homes=self._homes(request),
            home_refusal=self._home_refusal(request),
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
            except WorkspaceTrustError as exc:
                # The one edge where the library's own errors become results.
                status = WorkspaceStatus.CANCELLED if exc.code is Code.CANCELLED else WorkspaceStatus.SOFT_FAILED
                return base_result(task.provider, task.workspace, status, exc.code, str(exc))
            except Exception as exc:  # the library never crashes its host
                log.exception("strategy failed unexpectedly")
                return base_result(
                    task.provider,
                    task.workspace,
                    WorkspaceStatus.SOFT_FAILED,
                    Code.INTERNAL_ERROR,
                    f"internal error: {type(exc).__name__}",
                )

        results: list[WorkspaceResult] = [*plan.settled, *plan.soft_settled]
        workers = max(1, min(request.parallelism, len(plan.tasks) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workspace-trust") as pool:
            done = list(pool.map(run, plan.tasks))
        # Every session of this call is gone now: what each state file says at
        # this point is what a launch will find.
        results.extend(
            _carried(
                self._reprove(
                    task,
                    result,
                    request=request,
                    strategy=strategies[(task.provider, task.mode)],
                    run=run,
                    cancelled=cancelled,
                    files=self._ports.state_files,
                ),
                plan.patches,
            )
            for task, result in zip(plan.tasks, done, strict=True)
        )
        ordered = plan.in_request_order(results)
        return ExecutionResult(
            overall_status(ordered),
            ordered,
            plan.diagnostics,
            request.effective_policy,
            plan.patches,
            flags=flags,
            debug=flags.debug,
            attempt=request.attempt,
        )

    def _home_refusal(self, request: WorkspaceTrustRequest) -> tuple[Code, str] | None:
        """Why the request's home folder may not be a CLI's home: a filesystem
        root, not an existing folder, or another account's. A CLI writes its
        own files into its home on every start, so a PTY preflight starts
        nothing there (read through the file-system port)."""
        home = env_home(request.env)
        if not home:
            return None  # no home: the state file's location tells (state_file_missing)
        try:
            facts = self._fs.gather(home, env=request.env)
        except ValueError:
            return None  # relative: the state file's location tells
        except Exception:  # a host's own port
            log.debug("the request's home could not be looked at", exc_info=True)
            return None
        if not facts.exists or not facts.is_dir:
            return Code.HOME_NOT_A_FOLDER, _HOME_NOT_A_FOLDER
        if root_reason(facts.real, self._fs.host) is not None:
            return Code.HOME_IS_ROOT, _HOME_IS_ROOT
        if self._fs.owned_by_this_account(facts.real) is False:
            return Code.HOME_NOT_OWNED, _HOME_NOT_OWNED
        return None

    def _homes(self, request: WorkspaceTrustRequest) -> tuple[str, ...]:
        """The request's home resolved, and the account's own, as the planner's
        guards know them (through the file-system port)."""
        home = env_home(request.env)
        real = None
        if home:
            try:
                real = self._fs.gather(home, env=request.env).real_home
            except Exception:  # a host's own port: the guards still have HOME as given
                log.debug("the request's home could not be resolved", exc_info=True)
                real = None
        return tuple(h for h in (real, *self._fs.account_homes()) if h)

    @staticmethod
    def _reprove(
        task: PlannedTask,
        result: WorkspaceResult,
        *,
        request: WorkspaceTrustRequest,
        strategy: TrustStrategy,
        run: Callable[[PlannedTask], WorkspaceResult],
        cancelled: IsCancelled,
        files: StateFiles,
    ) -> WorkspaceResult:
        """Trust reported in this call is proven once more after all its sessions
        ended. Trust that vanished (another writer clobbered the state file) is
        prepared once more; lost again, it is ``trust_lost``, never accepted."""
        if cancelled():
            return result
        if result.code is Code.TRUST_LOST:
            lost = result
        elif result.status in _PROVEN:
            now = strategy.probe_version(task.workspace, probe_env(request, task.provider), files, result.cli_version)
            if now.trusted:
                return result
            lost = trust_lost_result(result, now, "when the run ended")
        else:
            return result
        log.warning("trust recorded in this run vanished from the state file; retrying once")
        retried = run(task)
        if retried.status in _PROVEN or retried.status is WorkspaceStatus.ALREADY_TRUSTED:
            again = strategy.probe_version(
                task.workspace, probe_env(request, task.provider), files, retried.cli_version
            )
            if again.trusted:
                proven = attrs.evolve(retried, diagnostics=(*lost.diagnostics[-1:], *retried.diagnostics))
                return both_runs(result, retried, proven)
            retried = trust_lost_result(retried, again, "when the retry ended")
        if retried.code is Code.TRUST_LOST:
            return both_runs(result, retried, retried)
        return both_runs(result, retried, attrs.evolve(lost, diagnostics=(*lost.diagnostics, *retried.diagnostics)))

    # -- asyncio face -----------------------------------------------------------
    async def aplan_args_only(self, request: WorkspaceTrustRequest) -> ArgsOnlyPlan:
        return self.plan_args_only(request)

    async def aplan_full(self, request: WorkspaceTrustRequest) -> FullPlan:
        import asyncio

        return await asyncio.to_thread(self.plan_full, request)

    async def aexecute(
        self,
        plan: FullPlan,
        *,
        is_cancelled: IsCancelled | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> ExecutionResult:
        """``execute`` in a worker thread. If the awaiting task is cancelled, every
        session of this call is killed and cleaned up before ``asyncio.CancelledError``
        propagates; the host's ``is_cancelled`` still yields a ``cancelled`` result."""
        import asyncio

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

    def __enter__(self) -> WorkspaceTrustCoordinator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def dispose(self) -> int:
        """Cancel running work and kill every session this coordinator started."""
        self._disposed.set()
        return self._spawner.kill_all()

    # -- probes ----------------------------------------------------------------
    def status(self, plan: FullPlan) -> tuple[tuple[PlannedTask, object], ...]:
        """Read-only, one entry per task: the strategy's :class:`ProbeResult`, or
        ``WorkspaceStatus.NOT_REQUIRED`` where the provider gates no folder at
        all under the request's environment (then nothing is probed), or a
        ``folder_not_gated_by_cli`` :class:`Diagnostic` where the installed
        CLI does not gate that folder (``TrustStrategy.not_gated``)."""
        out: list[tuple[PlannedTask, object]] = []
        required: dict[tuple[Provider, str], bool] = {}
        versions: dict[tuple[Provider, str], str | None] = {}
        ctx = ExecutionContext.for_request(plan.request, self._ports)
        for task in plan.tasks:
            strategy = self._registry.create(task.provider, task.mode)
            key = (task.provider, task.mode)
            if key not in required:
                required[key] = _trust_required(strategy, plan.request.env)
            if not required[key]:
                out.append((task, WorkspaceStatus.NOT_REQUIRED))
                continue
            try:
                if key not in versions:
                    # Trust is looked up as the CLI that would run looks it up.
                    versions[key] = strategy.cli_version(ctx)
                probe: object = strategy.probe_version(
                    task.workspace, probe_env(plan.request, task.provider), self._ports.state_files, versions[key]
                )
            except Exception as exc:  # a probe must never crash its host either
                log.exception("state probe failed unexpectedly")
                probe = ProbeResult(
                    TrustState.UNKNOWN,
                    diagnostics=(
                        Diagnostic(
                            Code.INTERNAL_ERROR,
                            f"internal error: {type(exc).__name__}",
                            task.provider,
                            task.workspace.id,
                        ),
                    ),
                )
            if isinstance(probe, ProbeResult) and probe.state is TrustState.UNTRUSTED:
                ungated = self._not_gated(strategy, task, probe, plan)
                if ungated is not None:
                    out.append((task, ungated))
                    continue
            out.append((task, probe))
        return tuple(out)

    def _not_gated(
        self, strategy: TrustStrategy, task: PlannedTask, probe: ProbeResult, plan: FullPlan
    ) -> Diagnostic | None:
        """``strategy.not_gated`` for a status row; a hook that fails counts as gated."""
        try:
            ctx = ExecutionContext.for_request(plan.request, self._ports)
            return strategy.not_gated(task.workspace, probe, ctx)
        except Exception:  # a read-only hook must never crash its host
            log.exception("not_gated failed unexpectedly")
            return None


_HOME_NOT_A_FOLDER = (
    "the home folder of the request's environment does not exist or is not a folder; nothing was started"
)
_HOME_IS_ROOT = (
    "the home folder of the request's environment is a filesystem root: a CLI would write its files there; "
    "nothing was started"
)
_HOME_NOT_OWNED = "the home folder of the request's environment belongs to another account; nothing was started"


def probe_env(request: WorkspaceTrustRequest, provider: Provider) -> Mapping[str, str]:
    """The request's environment for a probe of ``provider``: with the binary the
    request names for it (``binaries``) in the variable that names its binary,
    so that a probe that needs the CLI's version (a state variable only later
    versions read) asks the very binary a preflight would start."""
    binary = request.binaries.get(provider)
    if not binary:
        return request.env

    return {**request.env, spec_for(provider).binary_env: binary}


def _trust_required(strategy: TrustStrategy, env: Mapping[str, str]) -> bool:
    """``strategy.trust_required``; a hook that fails counts as "required", so
    the probe runs and reports what it finds."""
    try:
        return strategy.trust_required(env)
    except Exception:  # a read-only hook must never crash its host
        log.exception("trust_required failed unexpectedly")
        return True


def _without(patches: PatchPlan, provider: Provider, strategy: TrustStrategy, plan: FullPlan) -> PatchPlan:
    """``patches`` with none of ``provider``'s: its launch values are the
    host's own, as the strategy plans them for no folder."""
    bare = strategy.plan_patches((), tuple(plan.request.launch_args.get(provider, ())))
    values = {k: v for k, v in patches.launch_values.items() if k != provider}
    if provider in bare.launch_values:
        values[provider] = bare.launch_values[provider]
    return attrs.evolve(
        patches,
        arg_patches=tuple(p for p in patches.arg_patches if p.target_provider != provider),
        env_patches=tuple(p for p in patches.env_patches if p.target_provider != provider),
        launch_values=values,
    )


def _display_name(provider: Provider) -> str:
    from workspace_trust.providers import spec_for

    try:
        return spec_for(provider).display_name
    except ValueError:
        return provider.value


def _carried(result: WorkspaceResult, patches: PatchPlan) -> WorkspaceResult:
    """``patched`` only when the document carries a patch of the row's
    provider made for its folder: each strategy plans one folder, the document
    plans them all at once, and what fits alone may not fit together (one
    argument's value over many folders can outgrow an argument). Otherwise the
    row is ``soft_failed`` with the plan's own reason."""
    if result.status is not WorkspaceStatus.PATCHED or patches.carries(result.provider, result.workspace_id):
        return result
    why = patches.trouble(result.provider, result.workspace_id) or Diagnostic(
        Code.INTERNAL_ERROR, "the strategy patched this folder and the plan carries no patch for it", result.provider
    )
    return attrs.evolve(
        result,
        status=WorkspaceStatus.SOFT_FAILED,
        code=why.code,
        diagnostics=(*result.diagnostics, attrs.evolve(why, workspace_id=result.workspace_id)),
    )


#: Statuses that say the state file recorded trust during this call.
_PROVEN = frozenset({WorkspaceStatus.ACCEPTED, WorkspaceStatus.ALREADY_TRUSTED_AFTER_WAIT})
