"""The one interface every provider strategy implements, and what it is given.

Adding a provider adds a folder under ``providers/`` and one registration in
``registry.py``; the coordinator never names a provider.
"""

from __future__ import annotations

import abc
import contextlib
import enum
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.outcomes import guard_result
from workspace_trust.domain.patches import PatchPlan
from workspace_trust.domain.paths import HostOs, Workspace
from workspace_trust.domain.policy import KeyJudge, key_judge
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult
from workspace_trust.engine.timing import DEFAULT_TIMING, EngineTiming
from workspace_trust.flags import FeatureFlags
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

if TYPE_CHECKING:
    from workspace_trust.providers.override_floors import OverrideFloor
    from workspace_trust.requests import WorkspaceTrustRequest

__all__ = [
    "DEFAULT_LOCK_TIMEOUT_MS",
    "HEARTBEAT_MS",
    "ExecutionContext",
    # What a strategy's plan returns: part of this interface (domain.patches).
    "PatchPlan",
    "ProgressEvent",
    "ProgressStage",
    "TrustStrategy",
    "reported",
]

#: How long a workspace waits for the lock on its provider's state file. Every
#: session that can write one state file runs alone (they would lose each
#: other's writes), so a waiter may sit behind several whole sessions: Claude
#: Code's first start in a fresh HOME alone took 13.5 s (2.1.197).
DEFAULT_LOCK_TIMEOUT_MS = 120_000


class ProgressStage(enum.Enum):
    STARTED = "started"
    #: Sent when the wait starts and about every second while it lasts:
    #: ``detail`` says who holds it (``this_run`` or ``another_process``).
    WAITING_FOR_LOCK = "waiting_for_lock"
    SPAWNED = "spawned"
    DIALOG = "dialog"
    KEY = "key"
    #: A heartbeat while a session waits (about every ``HEARTBEAT_MS``): the
    #: detail says what is awaited (a ``WaitReason`` value, ``the_dialog``
    #: before any screen was recognised, or ``the_cli_version`` /
    #: ``the_cli_help`` while the CLI's ``--version`` or ``--help`` is read
    #: before the spawn), ``elapsed_ms`` since the spawn (or the read began).
    WAITING = "waiting"
    #: The session is being ended: its process group killed, the CLI's own
    #: lock released, trust checked once more.
    CLOSING = "closing"
    FINISHED = "finished"


#: How often a waiting session says so (``ProgressStage.WAITING``).
HEARTBEAT_MS = 2000


@attrs.frozen(slots=True)
class ProgressEvent:
    provider: Provider
    workspace_id: str
    stage: ProgressStage
    detail: str = ""
    status: WorkspaceStatus | None = None
    #: For ``WAITING``: milliseconds since the session started; for
    #: ``WAITING_FOR_LOCK``: milliseconds waited so far.
    elapsed_ms: int | None = None
    #: For ``WAITING_FOR_LOCK`` (``detail`` ``this_run``): the workspace id of
    #: this run's session that holds the lock.
    holder: str | None = None


def _never() -> bool:
    return False


@attrs.frozen(slots=True)
class ExecutionContext:
    """Everything a strategy may touch while executing: the ports (all I/O is
    behind them) and what the request and the flags decide. Built by
    :meth:`for_request`."""

    ports: ExecutionPorts
    #: The host's launch environment.
    env: Mapping[str, str]
    is_cancelled: IsCancelled = _never
    timing: EngineTiming = DEFAULT_TIMING
    #: The feature flags in force (a provider's own switches included).
    flags: FeatureFlags = attrs.field(factory=FeatureFlags)
    binaries: Mapping[Provider, str] = attrs.field(factory=dict)
    strip_env: tuple[str, ...] = ()
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    on_progress: Callable[[ProgressEvent], None] | None = None
    temp_dir: str | None = None
    #: The arguments the host will launch each CLI with (a strategy that
    #: patches them plans against these, as the plan did).
    launch_args: Mapping[Provider, tuple[str, ...]] = attrs.field(factory=dict)
    #: Home folders besides the one ``env`` names: that one resolved, and the
    #: account's own from the password database (read through the
    #: coordinator's file-system port). No CLI may be left trusting them.
    homes: tuple[str, ...] = ()
    #: Why no CLI may be started with the request's home folder (a root, not
    #: a folder, another account's), read through the coordinator's
    #: file-system port: (code, message), or None.
    home_refusal: tuple[Code, str] | None = None

    @classmethod
    def for_request(
        cls,
        request: WorkspaceTrustRequest,
        ports: ExecutionPorts,
        *,
        is_cancelled: IsCancelled = _never,
        on_progress: Callable[[ProgressEvent], None] | None = None,
        homes: tuple[str, ...] = (),
        home_refusal: tuple[Code, str] | None = None,
    ) -> ExecutionContext:
        """The context of one ``execute`` of ``request``: the one place where a
        request's settings become what strategies see."""
        return cls(
            ports=ports,
            env=dict(request.env),
            is_cancelled=is_cancelled,
            timing=request.timing,
            flags=request.effective_flags,
            binaries=dict(request.binaries),
            strip_env=request.strip_env,
            lock_timeout_ms=request.lock_timeout_ms,
            on_progress=on_progress,
            temp_dir=request.temp_dir,
            launch_args=dict(request.launch_args),
            homes=homes,
            home_refusal=home_refusal,
        )

    @property
    def debug(self) -> bool:
        return self.flags.debug

    @property
    def spawner(self) -> PtySpawner:
        return self.ports.spawner

    @property
    def clock(self) -> Clock:
        return self.ports.clock

    @property
    def locks(self) -> LockPort:
        return self.ports.locks

    @property
    def help_reader(self) -> HelpReader:
        return self.ports.help_reader

    @property
    def provider_locks(self) -> ProviderLockFiles:
        return self.ports.provider_locks

    @property
    def state_files(self) -> StateFiles:
        return self.ports.state_files

    @property
    def binary_locator(self) -> BinaryLocator:
        return self.ports.binary_locator

    @property
    def scratch(self) -> ScratchSpace:
        return self.ports.scratch

    def key_judge(self, host: HostOs) -> KeyJudge:
        """The :data:`KeyJudge` of this execution on ``host``: the request's
        homes; it reads no file."""
        return key_judge(self.env, host, self.homes)

    @property
    def filesystem(self) -> FileSystemFacts | None:
        return self.ports.filesystem

    def progress(self, event: ProgressEvent) -> None:
        if self.on_progress is not None:
            # A host callback must not break a preflight.
            with contextlib.suppress(Exception):
                self.on_progress(event)


class TrustStrategy(abc.ABC):
    """Prepares one provider's trust for workspaces."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "execute_workspace" in cls.__dict__:
            # The folder guard runs there, before anything of the strategy's:
            # a subclass (a plug-in's) implements ``prepare`` and cannot skip it.
            raise TypeError(
                f"{cls.__qualname__} overrides execute_workspace; implement prepare() instead "
                "(execute_workspace runs the folder guard first, for every strategy)"
            )

    provider: Provider
    #: Name of the mode this strategy implements (``pty``, ``args``, ``env``).
    mode: str
    #: The ``FeatureFlags`` field that switches this strategy off.
    flag: str
    #: False for a strategy that prepares nothing because its CLI asks no
    #: trust question in the launch mode it serves (Claude Code in prompt
    #: mode): a plan lists its folders as ``not_required``, not as needing a
    #: preflight.
    gates: bool = True

    def plan_patches(self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str]) -> PatchPlan:
        """Pure: the launch patches for these workspaces, given the host's own
        launch arguments for this provider. Most strategies have none."""
        return PatchPlan()

    def plan_judged_patches(
        self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str], judge: KeyJudge
    ) -> PatchPlan:
        """What the plan stages call: :meth:`plan_patches`, where a strategy
        that merges a host's own trust values into its output (a per-launch
        table of trusted folders) leaves out each one ``judge`` refuses (see
        :func:`key_judge`). The default ignores ``judge``."""
        return self.plan_patches(workspaces, launch_args)

    def ignores_persisted_trust(self, env: Mapping[str, str], launch_args: Sequence[str]) -> str | None:
        """Pure: why a launch of this provider with ``env`` (the host's launch
        environment) and ``launch_args`` (its arguments) would ignore every
        persisted trust record, as a clause that names the switch and never a
        value; None when it would not. The coordinator then settles the
        provider's workspaces as ``provider_ignores_persisted_trust`` without
        running this strategy. Most providers have no such switch."""
        return None

    def trust_required(self, env: Mapping[str, str]) -> bool:
        """Read-only: whether this provider gates folders at all under ``env``
        (the host's launch environment). False only when it is certain that
        the CLI shows no trust dialog and restricts no folder (its folder-trust
        feature is off); the workspaces are then ``not_required`` and nothing is
        probed or started. True for every provider that always gates, and
        whenever it cannot be told (the probe then says why)."""
        return True

    #: The per-launch override this strategy's patches use and the first CLI
    #: version that honours it (``providers/override_floors.py``); None: no
    #: patch, or every supported version honours it.
    override_floor: OverrideFloor | None = None

    def installed_version(self, ctx: ExecutionContext) -> str | None:
        """The installed CLI's version where it is known without starting
        anything (``HelpReader.known_version``); None by default."""
        return None

    def launch_unsupported(self, ctx: ExecutionContext) -> Diagnostic | None:
        """Read-only; may read the installed CLI's ``--help`` (through
        ``ctx.help_reader``), never starts a session: why the installed CLI
        would not honour what this strategy returns for the launch (a switch
        its ``--help`` does not list), as an
        ``override_unsupported_by_cli_version`` diagnostic naming no folder.
        ``execute`` then serves the launch with the next strategy the
        provider names for its launch mode. None: it would, or it cannot be
        told (the default)."""
        return None

    def launch_notes(self, version: str | None) -> tuple[Diagnostic, ...]:
        """Pure: what a host's launch with this strategy's patches should know
        about CLI ``version`` (a side effect of the override); none by default."""
        return ()

    def not_gated(self, workspace: Workspace, probe: ProbeResult, ctx: ExecutionContext) -> Diagnostic | None:
        """Read-only, nothing started: a ``folder_not_gated_by_cli`` diagnostic
        where the CLI as installed (its version as ``HelpReader.known_version``
        tells it) shows no trust dialog for ``workspace`` whose state file
        says ``probe``; the workspace is then ``not_required``. None wherever
        it does, or may (an unknown version gates: the strictest reading).
        Most providers gate every folder."""
        return None

    @abc.abstractmethod
    def probe(self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None = None) -> ProbeResult:
        """Read-only: what the provider's state file says now (read through
        ``files``; None: this machine's file system)."""

    def cli_version(self, ctx: ExecutionContext) -> str | None:
        """The version of the CLI this strategy would run under ``ctx`` (its
        binary found as a preflight finds it), when it is known without
        starting anything; None when it is not, or does not matter."""
        return None

    def probe_version(
        self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None, version: str | None
    ) -> ProbeResult:
        """:meth:`probe`, with trust looked up as CLI ``version`` looks it up
        (None: a version not known, looked up the strictest way). A provider
        whose lookup never changed across versions reads it as :meth:`probe`."""
        return self.probe(workspace, env, files)

    def execute_workspace(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        """Prepare one workspace. Never raises for a trust problem.

        The one place the folder guard runs at execution (a missing folder, a
        home folder or one above it, a root: ``domain.policy.guard_reason``),
        before anything of the provider's, between the STARTED and FINISHED
        progress events (:func:`reported`). A strategy implements
        :meth:`prepare`; a subclass may not override this (TypeError when the
        class is made), so no strategy skips the guard."""
        return reported(self, workspace, ctx, self._guarded)

    def _guarded(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        blocked = guard_result(self.provider, workspace)
        return blocked if blocked is not None else self.prepare(workspace, ctx)

    def prepare(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        """Prepare one workspace the guard let through (see
        :meth:`execute_workspace`). Never raises for a trust problem."""
        raise NotImplementedError(f"{type(self).__name__} implements neither prepare nor execute_workspace")


def reported(
    strategy: TrustStrategy,
    workspace: Workspace,
    ctx: ExecutionContext,
    run: Callable[[Workspace, ExecutionContext], WorkspaceResult],
) -> WorkspaceResult:
    """``run`` between a STARTED and a FINISHED progress event (the result's
    status and code), with the elapsed time recorded: every strategy's
    ``execute_workspace`` goes through here, whichever way it returns."""
    started = ctx.clock.monotonic_ms()
    ctx.progress(ProgressEvent(strategy.provider, workspace.id, ProgressStage.STARTED))
    result = run(workspace, ctx)
    result = attrs.evolve(result, elapsed_ms=ctx.clock.monotonic_ms() - started)
    ctx.progress(
        ProgressEvent(
            strategy.provider,
            workspace.id,
            ProgressStage.FINISHED,
            detail=result.code.value if result.code else "",
            status=result.status,
        )
    )
    return result
