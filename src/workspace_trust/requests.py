"""What a host asks for and what the plan stages answer: the request, plan and
result types of the three-stage coordinator, and the policy that says what a
host does with each outcome. Pure values."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, ExecutionStatus, LaunchMode, Provider, WorkspaceStatus
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.patches import PatchPlan
from workspace_trust.domain.paths import Workspace, WorkspaceSource
from workspace_trust.domain.results import Diagnostic, WorkspaceResult
from workspace_trust.engine.timing import DEFAULT_TIMING, EngineTiming
from workspace_trust.flags import FeatureFlags
from workspace_trust.providers import default_providers
from workspace_trust.strategy import DEFAULT_LOCK_TIMEOUT_MS

if TYPE_CHECKING:
    # The manifest's module loads when a manifest is made: a plan or ``status`` needs none.
    from workspace_trust.diagnostics import DiagnosticsManifest, PathPolicy

#: Bounds of the default parallelism. A CLI's first start in a fresh HOME can
#: be CPU bound (13.5 s seen), so more workspaces at once than cores only
#: queue; and sessions that write one state file run one at a time anyway
#: (``provider_locks.state_lock_key``), so beyond 8 nothing is gained.
MIN_PARALLELISM = 2
MAX_PARALLELISM = 8


def default_parallelism(cores: int | None = None) -> int:
    """Workspaces prepared at once by default: the cores this process may run
    on, at least :data:`MIN_PARALLELISM` and at most :data:`MAX_PARALLELISM`."""
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cores = os.cpu_count() or MIN_PARALLELISM
    return max(MIN_PARALLELISM, min(MAX_PARALLELISM, cores))


DEFAULT_PARALLELISM = default_parallelism()


class RequestMode(enum.Enum):
    CREATE = "create"
    LAUNCH = "launch"


class FailureAction(enum.Enum):
    #: Launch anyway; the runtime's own trust error is classified afterwards.
    CONTINUE_LAUNCH = "continue_launch"
    #: Do not launch; run the host's pre-spawn cleanup for this mode.
    STOP_LAUNCH = "stop_launch"


@attrs.frozen(slots=True)
class TrustPolicy:
    """What a host does with each overall outcome. ``cancelled`` is never a failure:
    the host takes its own cancellation path."""

    on_soft_failure: FailureAction = FailureAction.CONTINUE_LAUNCH
    on_blocked: FailureAction = FailureAction.STOP_LAUNCH

    @classmethod
    def for_mode(cls, mode: RequestMode) -> TrustPolicy:
        """The default policy of a flow; today both modes share it."""
        return cls()


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
    #: Default: the first registered provider.
    providers: tuple[Provider, ...] = attrs.field(factory=default_providers)
    mode: RequestMode = RequestMode.LAUNCH
    #: Strategy mode per provider (``pty``, ``args``, ``env``); otherwise the
    #: best the registry has for the provider's launch mode.
    strategy_modes: Mapping[Provider, str] = attrs.field(factory=dict)
    #: How the host will launch each provider: in a terminal (``interactive``)
    #: or headless with a prompt (``prompt``: ``claude -p``, ``codex exec``...).
    #: This is every provider's unless ``launch_modes`` names its own.
    launch_mode: LaunchMode = LaunchMode.INTERACTIVE
    launch_modes: Mapping[Provider, LaunchMode] = attrs.field(factory=dict)
    env: Mapping[str, str] = attrs.field(factory=lambda: dict(os.environ))
    binaries: Mapping[Provider, str] = attrs.field(factory=dict)
    strip_env: tuple[str, ...] = ()
    #: The arguments the host will launch each provider with (after the
    #: binary), as it will pass them. A provider may have a switch among them
    #: that makes it ignore every persisted trust record; ``env`` is read for
    #: the same. A provider's patches merge with what is here (a host's own
    #: per-launch config values are kept).
    launch_args: Mapping[Provider, tuple[str, ...]] = attrs.field(factory=dict)
    timing: EngineTiming = DEFAULT_TIMING
    debug: bool = False
    parallelism: int = DEFAULT_PARALLELISM
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    policy: TrustPolicy | None = None
    #: Feature flags (see ``parse_flags``); each one really switches its strategy off.
    flags: FeatureFlags = attrs.field(factory=FeatureFlags)
    #: Where the preflight's scratch files (Claude's empty MCP config) go;
    #: None: the system temp folder. Each run's folder is removed on every path.
    temp_dir: str | None = None
    #: 1 for a launch's first preparation, 2 for its one retry (see
    #: ``retry_allowed``); recorded in the diagnostics manifest.
    attempt: int = attrs.field(default=1, validator=attrs.validators.ge(1))

    @property
    def effective_policy(self) -> TrustPolicy:
        return self.policy or TrustPolicy.for_mode(self.mode)

    def launch_mode_of(self, provider: Provider) -> LaunchMode:
        """How the host will launch ``provider``."""
        return self.launch_modes.get(provider, self.launch_mode)

    @property
    def effective_flags(self) -> FeatureFlags:
        """The flags in force: the request's own ``debug`` (the CLI's
        ``--debug``) counts as the flag, so the manifest records what was on."""
        return attrs.evolve(self.flags, debug=self.debug or self.flags.debug)


@attrs.frozen(slots=True)
class PlannedTask:
    provider: Provider
    mode: str
    workspace: Workspace
    #: False when a feature flag switched this strategy off; the task is reported as skipped.
    enabled: bool = True
    launch_mode: LaunchMode = LaunchMode.INTERACTIVE
    #: The modes that serve this launch where ``mode`` turns out not to (the
    #: installed CLI does not honour its override), best first.
    fallbacks: tuple[str, ...] = ()
    #: Why ``mode`` serves this task rather than a better one (the installed
    #: CLI does not honour that one's override); the row carries it.
    note: Diagnostic | None = None
    #: False for a strategy that prepares nothing because its CLI asks nothing
    #: in this launch mode (``TrustStrategy.gates``): the row is ``not_required``.
    gated: bool = True


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
    #: Soft failures known without running anything, with no task: the
    #: workspaces of a provider whose launch ignores every persisted trust
    #: record (``provider_ignores_persisted_trust``). ``execute`` reports them;
    #: unlike ``settled``, they stop a launch only if the policy says so.
    soft_settled: tuple[WorkspaceResult, ...] = ()
    #: Parallel to ``request.workspaces``: the id of the workspace each spec
    #: became (the first spec naming a folder wins; a later spelling of the
    #: same folder, such as a trailing slash, ``..`` or a symlink, gets the
    #: first one's id), or None for a spec that names no usable folder (its
    #: results carry ``spec.id or spec.path``). Results are keyed by these
    #: ids, so a host can give every input its own row.
    spec_workspace_ids: tuple[str | None, ...] = ()
    #: Per provider, why no patch that trusts whatever folder the launch
    #: works in is given: a launch argument (``-C``) moves that folder to one
    #: that is refused or unusable. Kept so that a strategy that replaces
    #: another (``Planner.fall_back``) plans under the same refusal.
    working_folder_refused: Mapping[Provider, Diagnostic] = attrs.field(factory=dict)

    def in_request_order(self, results: Sequence[WorkspaceResult]) -> tuple[WorkspaceResult, ...]:
        """``results`` in the request's order: by the first spec naming each
        workspace, then by the request's provider order. Rows the request does
        not account for (not expected) keep their order, last."""
        spec_order: dict[str, int] = {}
        for index, spec in enumerate(self.request.workspaces):
            kept = self.spec_workspace_ids[index] if index < len(self.spec_workspace_ids) else None
            spec_order.setdefault(kept if kept is not None else (spec.id or spec.path), index)
        provider_order = {p: i for i, p in enumerate(dict.fromkeys(self.request.providers))}
        last = len(spec_order) + len(provider_order)
        return tuple(
            sorted(
                results,
                key=lambda r: (spec_order.get(r.workspace_id, last), provider_order.get(r.provider, last)),
            )
        )

    def needing_preflight(self) -> tuple[WorkspaceResult, ...]:
        """A ``skipped`` row (``preflight_required``) for each task whose
        provider offers no per-launch override here and reports no trouble
        either: a launch with the plan's patches alone would meet that
        provider's trust dialog unless its state already trusts the folder,
        and ``preflight`` is what prepares it."""
        rows = []
        for task in self.tasks:
            if not task.gated:
                continue
            if self.patches.carries(task.provider, task.workspace.id):
                continue
            if self.patches.trouble(task.provider, task.workspace.id) is not None:
                continue  # uncarried() reports it with its own reason
            rows.append(
                base_result(
                    task.provider,
                    task.workspace,
                    WorkspaceStatus.SKIPPED,
                    Code.PREFLIGHT_REQUIRED,
                    f"{task.provider.value} has no per-launch trust override for this launch: "
                    "run `workspace-trust preflight` for the folder before the launch",
                    diagnostics=(task.note,) if task.note else (),
                )
            )
        return tuple(rows)

    def not_gated(self) -> tuple[WorkspaceResult, ...]:
        """A ``not_required`` row for each task whose CLI asks nothing in the
        task's launch mode (``folder_not_gated_by_cli``): the launch needs no
        patch and no preflight. ``execute`` checks it against the installed
        CLI's ``--help`` and says the same, or prepares the folder after all."""
        return tuple(
            base_result(
                task.provider,
                task.workspace,
                WorkspaceStatus.NOT_REQUIRED,
                Code.FOLDER_NOT_GATED,
                f"{task.provider.value} asks no trust question in a {task.launch_mode.value} launch",
            )
            for task in self.tasks
            if not task.gated and task.enabled
        )

    def uncarried(self) -> tuple[WorkspaceResult, ...]:
        """A ``soft_failed`` row for each task whose folder the plan's patches
        cannot carry, with the plan's reason (a host's own value that does not
        parse, a path the CLI cannot spell, a value longer than an argument): a
        host launching with these patches would meet that provider's trust
        dialog there, unless its state already trusts the folder (a plan reads
        no state). ``execute`` says the same of each row it would call patched."""
        rows = []
        for task in self.tasks:
            why = self.patches.trouble(task.provider, task.workspace.id)
            if why is not None and not self.patches.carries(task.provider, task.workspace.id):
                rows.append(base_result(task.provider, task.workspace, WorkspaceStatus.SOFT_FAILED, why.code))
        return tuple(rows)


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
    #: Each provider's launch mode, as the request named it.
    launch_modes: Mapping[Provider, LaunchMode] = attrs.field(factory=dict)

    def diagnostics_manifest(
        self, *, path_policy: PathPolicy | None = None, home: str | None = None
    ) -> DiagnosticsManifest:
        """The structured, redacted manifest with the size budget already
        applied. ``path_policy``: how workspace paths appear (None:
        ``PathPolicy.FULL``)."""
        from workspace_trust.diagnostics import (
            DiagnosticsManifest,
            PathPolicy,
            apply_budget,
            build_strategy_diagnostic,
            diagnostic_for_policy,
        )

        if path_policy is None:
            path_policy = PathPolicy.FULL
        diagnostics = self.all_diagnostics
        paths = {p for r in self.results for p in (r.workspace, r.real_path)}
        manifest = DiagnosticsManifest(
            attempt=self.attempt,
            feature_flags=self.flags.effective(),
            strategy_results=tuple(
                build_strategy_diagnostic(r, debug=self.debug, path_policy=path_policy, home=home) for r in self.results
            ),
            diagnostics=tuple(
                diagnostic_for_policy(d, paths=paths, policy=path_policy, home=home) for d in diagnostics
            ),
        )
        return apply_budget(manifest)

    @property
    def all_diagnostics(self) -> tuple[Diagnostic, ...]:
        """The call's diagnostics and every result's, each once, in order."""
        from workspace_trust.diagnostics import unique_diagnostics

        return unique_diagnostics(self.diagnostics, *(r.diagnostics for r in self.results))

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
    """The worst result: cancelled, then blocked, then soft failure. A row
    skipped because a feature flag switched its strategy off counts as a soft
    failure: nothing was prepared for it, so its launch may still meet the
    dialog (docs/cli.md, "Exit codes"). Everything else is ok: trusted
    (already, accepted, after a wait), patched, and ``not_required`` (the
    provider gates no folder)."""
    statuses = {r.status for r in results}
    if WorkspaceStatus.CANCELLED in statuses:
        return ExecutionStatus.CANCELLED
    if WorkspaceStatus.BLOCKED in statuses:
        return ExecutionStatus.BLOCKED
    if statuses & {WorkspaceStatus.SOFT_FAILED, WorkspaceStatus.SKIPPED}:
        return ExecutionStatus.SOFT_FAILED
    return ExecutionStatus.OK
