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
from collections.abc import Callable

import attrs

from workspace_trust.adapters.binaries import LocalBinaryLocator
from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.deferred import DeferredHelpReader, DeferredLocks, DeferredScratch, DeferredSpawner
from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.adapters.provider_locks import LocalProviderLockFiles
from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.adapters.tracking import TrackingSpawner
from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.errors import WorkspaceTrustError
from workspace_trust.domain.outcomes import base_result, both_runs, trust_lost_result
from workspace_trust.domain.patches import PatchPlan
from workspace_trust.domain.paths import env_home, root_reason
from workspace_trust.domain.results import Diagnostic, WorkspaceResult
from workspace_trust.planning import Planner
from workspace_trust.ports import (
    BinaryLocator,
    Clock,
    ExecutionPorts,
    FileSystemFacts,
    HelpReader,
    IsCancelled,
    LockPort,
    ProviderLockFiles,
    PtySpawner,
    ScratchSpace,
    StateFiles,
)
from workspace_trust.providers import spec_for
from workspace_trust.registry import StrategyRegistry, default_registry
from workspace_trust.requests import (
    ArgsOnlyPlan,
    ExecutionResult,
    FullPlan,
    PlannedTask,
    WorkspaceTrustRequest,
    overall_status,
)
from workspace_trust.status_report import StatusReport, TaskProbe, build_status_report, probe_env, probe_tasks
from workspace_trust.strategy import ExecutionContext, ProgressEvent, TrustStrategy

__all__ = ["WorkspaceTrustCoordinator"]

log = logging.getLogger(__name__)


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
        self._spawner = TrackingSpawner(spawner or DeferredSpawner(self._clock))
        #: Used when the ``file_lock`` flag is off: in-process locks only.
        self._local_locks = locks or DeferredLocks(self._clock, use_files=False)
        self._fs = filesystem or LocalFileSystemFacts()
        #: None: a private folder under each request's ``temp_dir``.
        self._scratch = scratch
        self._ports = ExecutionPorts(
            spawner=self._spawner,
            clock=self._clock,
            locks=locks or DeferredLocks(self._clock, use_files=use_file_locks),
            help_reader=help_reader or DeferredHelpReader(),
            provider_locks=provider_locks or LocalProviderLockFiles(),
            state_files=state_files or LocalStateFiles(),
            binary_locator=binary_locator or LocalBinaryLocator(),
            scratch=scratch or DeferredScratch(),
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
        without starting anything): where a CLI is older than the first
        version that honours a strategy's override, a launch mode's next
        strategy serves its folders (each row saying why), or, with none
        left, the patches are left out and each folder says why; and the
        notes each strategy has about its override on that version are added."""
        ctx = ExecutionContext.for_request(plan.request, self._ports)
        # Each strategy a task of the plan uses (a provider may use two: an
        # opened folder its own mode prepares), in the plan's order.
        for provider, mode in dict.fromkeys((t.provider, t.mode) for t in plan.tasks if t.fallbacks):
            strategy = self._registry.create(provider, mode)
            try:
                why = _below(strategy, strategy.installed_version(ctx), provider)
            except Exception:  # a read-only hook must never crash its host
                log.exception("the installed version could not be checked")
                continue
            if why is not None:
                plan = self._planner.fall_back(plan, provider, mode, why)
        patches = plan.patches
        notes: list[Diagnostic] = []
        for provider, mode in dict.fromkeys((t.provider, t.mode) for t in plan.tasks):
            strategy = self._registry.create(provider, mode)
            if not any(p.target_provider == provider for p in patches.arg_patches) and not any(
                p.target_provider == provider for p in patches.env_patches
            ):
                continue
            try:
                version = strategy.installed_version(ctx)
                if _below(strategy, version, provider) is not None:
                    # One reason per folder, so that each row says it.
                    ids = [t.workspace.id for t in plan.tasks if t.provider is provider and t.mode == mode]
                    found = [_below(strategy, version, provider, workspace_id) for workspace_id in ids]
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

    def check_installed(self, plan: FullPlan, *, is_cancelled: IsCancelled | None = None) -> FullPlan:
        """``plan`` checked against the installed CLIs where a strategy's answer
        depends on what their ``--help`` documents (a switch a patch uses, a
        prompt mode that asks nothing): a strategy the CLI does
        not honour gives way to the launch mode's next one, or is a soft
        failure with no patch. Reads ``--help`` only; starts no session and
        writes nothing. ``execute`` does the same itself."""
        ctx = ExecutionContext.for_request(plan.request, self._ports, is_cancelled=is_cancelled or (lambda: False))
        return self._launch_checked(plan, ctx)

    def _launch_checked(self, plan: FullPlan, ctx: ExecutionContext) -> FullPlan:
        """``plan`` with each provider whose strategy the installed CLI would
        not honour (``TrustStrategy.launch_unsupported``: its ``--help``) served
        by the launch mode's next strategy, or, with none, settled as a soft
        failure with no patch. Nothing is started but the ``--help`` read; a
        check that fails is taken as the CLI not honouring the strategy."""
        checked: set[tuple[Provider, str]] = set()
        for task in plan.tasks:
            key = (task.provider, task.mode)
            if key in checked or not task.enabled:
                continue
            checked.add(key)
            check = getattr(self._registry.create(*key), "launch_unsupported", None)
            if check is None or ctx.is_cancelled():
                continue
            try:
                why = check(ctx)
            except WorkspaceTrustError:
                continue  # the strategy's own run reports it (a missing binary, say)
            except Exception:  # a host's own port: no verdict is not a yes
                log.exception("the installed CLI could not be checked")
                why = Diagnostic(
                    Code.OVERRIDE_VERSION_UNSUPPORTED,
                    f"the installed {_display_name(task.provider)} could not be checked for this launch",
                    task.provider,
                )
            if why is not None:
                plan = self._planner.fall_back(plan, task.provider, task.mode, why)
        return plan

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
            scratch=self._scratch or DeferredScratch(request.temp_dir),
        )
        ctx = ExecutionContext.for_request(
            request,
            ports,
            is_cancelled=cancelled,
            on_progress=on_progress,
            homes=self._homes(request),
            home_refusal=self._home_refusal(request),
        )
        # A strategy the installed CLI would not honour gives way to the next.
        plan = self._launch_checked(plan, ctx)
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
        from concurrent.futures import ThreadPoolExecutor  # here: status and plan run no task

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workspace-trust") as pool:
            done = list(pool.map(run, plan.tasks))
        # Every session of this call is gone now: what each state file says at
        # this point is what a launch will find.
        results.extend(
            _noted(
                task,
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
                ),
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
            launch_modes={p: request.launch_mode_of(p) for p in dict.fromkeys(request.providers)},
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
    def status(self, plan: FullPlan) -> tuple[tuple[PlannedTask, TaskProbe], ...]:
        """Read-only, one entry per task: what its provider's state file says
        (:data:`~workspace_trust.status_report.TaskProbe`). Starts nothing."""
        return probe_tasks(plan, self._registry, self._ports)

    def status_report(self, plan: FullPlan, *, diagnostics: tuple[Diagnostic, ...] = ()) -> StatusReport:
        """:meth:`status` as one typed report: a row per provider and folder
        (the settled folders too), every diagnostic, and whether all is
        trusted. ``diagnostics`` (the caller's own) come first."""
        return build_status_report(plan, self.status(plan), diagnostics=diagnostics)


_HOME_NOT_A_FOLDER = (
    "the home folder of the request's environment does not exist or is not a folder; nothing was started"
)
_HOME_IS_ROOT = (
    "the home folder of the request's environment is a filesystem root: a CLI would write its files there; "
    "nothing was started"
)
_HOME_NOT_OWNED = "the home folder of the request's environment belongs to another account; nothing was started"


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


def _below(
    strategy: TrustStrategy, version: str | None, provider: Provider, workspace_id: str | None = None
) -> Diagnostic | None:
    """Why ``version`` does not honour ``strategy``'s override (its floor), or None."""
    floor = strategy.override_floor
    if floor is None:
        return None
    # Here: only a strategy with a floor (whose module loaded this one) needs it.
    from workspace_trust.providers.override_floors import below_floor

    return below_floor(floor, version, provider, _display_name(provider), workspace_id)


def _display_name(provider: Provider) -> str:

    try:
        return spec_for(provider).display_name
    except ValueError:
        return provider.value


def _noted(task: PlannedTask, result: WorkspaceResult) -> WorkspaceResult:
    """``result`` carrying why its task's mode serves it (``PlannedTask.note``)
    and the launch argument that opens its folder (``Workspace.opened_by``)."""
    if result.opened_by != task.workspace.opened_by:
        result = attrs.evolve(result, opened_by=task.workspace.opened_by)
    if task.note is None or task.note in result.diagnostics:
        return result
    return attrs.evolve(result, diagnostics=(task.note, *result.diagnostics))


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
