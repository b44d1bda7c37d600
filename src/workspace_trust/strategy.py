"""The one interface every provider strategy implements, and what it is given.

Adding a provider adds a folder under ``providers/`` and one registration in
``registry.py``; the coordinator never names a provider.
"""

from __future__ import annotations

import abc
import contextlib
import enum
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.errors import PathError
from workspace_trust.domain.patches import EnvPatch, LaunchArgPatch
from workspace_trust.domain.paths import (
    HostOs,
    NotPersistableReason,
    PathFacts,
    Workspace,
    build_workspace,
    comparison_key,
    env_home,
    has_parent_step,
    named_folders,
    named_kind,
    normalize,
    not_persistable,
    parents,
    root_reason,
)
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
    StateProbe,
)

if TYPE_CHECKING:
    from workspace_trust.providers.override_floors import OverrideFloor
    from workspace_trust.requests import WorkspaceTrustRequest

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


@attrs.frozen(slots=True)
class PatchPlan:
    """Launch patches a strategy returns instead of (or before) touching state."""

    arg_patches: tuple[LaunchArgPatch, ...] = ()
    env_patches: tuple[EnvPatch, ...] = ()
    #: Per provider, the exact values its own per-launch config option takes
    #: (the host's values merged in); see each provider's ``plan_fields``.
    launch_values: Mapping[Provider, tuple[str, ...]] = attrs.field(factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()

    def carries(self, provider: Provider, workspace_id: str) -> bool:
        """Whether a patch of ``provider`` is made for the folder."""
        patches: tuple[LaunchArgPatch | EnvPatch, ...] = (*self.arg_patches, *self.env_patches)
        return any(p.target_provider == provider and workspace_id in p.source_workspace_ids for p in patches)

    def trouble(self, provider: Provider, workspace_id: str | None = None) -> Diagnostic | None:
        """The reason the plan gives for ``provider`` and the folder: the
        folder's own (it was left out), else one that names no folder (a patch
        that could not be built); never another folder's."""
        mine = [d for d in self.diagnostics if d.provider == provider]
        own = next((d for d in mine if d.workspace_id is not None and d.workspace_id == workspace_id), None)
        return own or next((d for d in mine if d.workspace_id is None), None)


class TrustStrategy(abc.ABC):
    """Prepares one provider's trust for workspaces."""

    provider: Provider
    #: Name of the mode this strategy implements (``pty``, ``args``, ``env``).
    mode: str
    #: The ``FeatureFlags`` field that switches this strategy off.
    flag: str

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

    @abc.abstractmethod
    def execute_workspace(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        """Prepare one workspace. Never raises for a trust problem."""


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


def base_result(
    provider: Provider,
    workspace: Workspace,
    status: WorkspaceStatus,
    code: Code | None = None,
    message: str = "",
    **fields: object,
) -> WorkspaceResult:
    diagnostics: tuple[Diagnostic, ...] = tuple(fields.pop("diagnostics", ()))  # type: ignore[arg-type]
    if code is not None and message:
        diagnostics = (*diagnostics, Diagnostic(code, message, provider, workspace.id))
    return WorkspaceResult(
        provider=provider,
        workspace_id=workspace.id,
        workspace=workspace.absolute_path,
        real_path=workspace.real_path,
        status=status,
        code=code,
        diagnostics=diagnostics,
        **fields,  # type: ignore[arg-type]
    )


def guard_reason(workspace: Workspace) -> tuple[Code, str] | None:
    """Why no provider may trust ``workspace`` (a code and a sentence), else None."""
    if not workspace.exists:
        return Code.WORKSPACE_MISSING, "the workspace folder does not exist"
    if not workspace.is_dir:
        return Code.WORKSPACE_NOT_DIRECTORY, "the workspace path is not a folder"
    reason = workspace.not_persistable_reason
    if reason is NotPersistableReason.HOME_DIRECTORY:
        return Code.NOT_PERSISTABLE_HOME, "the home folder is never trusted on the user's behalf; pick a project folder"
    if reason is NotPersistableReason.HOME_ANCESTOR:
        return (
            Code.NOT_PERSISTABLE_HOME_ANCESTOR,
            "a folder that contains a home folder is never trusted on the user's behalf: its trust would "
            "cover every folder below it, the home folder included; pick a project folder",
        )
    if reason is NotPersistableReason.WORLD_WRITABLE:
        return (
            Code.NOT_PERSISTABLE_WORLD_WRITABLE,
            "a folder every user can write to, or that another user can replace (it is in a folder every user "
            "can write to), is not a project folder and is never trusted on the user's behalf: its trust would "
            "cover whatever anyone puts there; pick a project folder of your own",
        )
    if reason is NotPersistableReason.PSEUDO_FILESYSTEM:
        return (
            Code.NOT_PERSISTABLE_PSEUDO_FILESYSTEM,
            "a folder on a pseudo file system (such as /proc, /sys or /dev) is not a project folder and is never "
            "trusted on the user's behalf",
        )
    if reason is not None:
        return not_persistable_code(reason), f"{_spoken(reason)} is never trusted on the user's behalf"
    return None


def repository_root_guard(workspace: Workspace, provider: Provider) -> tuple[Code, str] | None:
    """Why a CLI that trusts the git repository root must not run in ``workspace``
    (that root is the home folder, contains it, or is a root), else None."""
    reason = workspace.repository_root_reason
    if reason is None:
        return None
    return (
        not_persistable_code(reason),
        f"the folder is inside a git repository whose root is {_spoken(reason)}; "
        f"{provider.value} would trust that root, so it is not run here",
    )


def repository_scope_check(workspace: Workspace) -> Callable[[str], bool]:
    """Approves the folder a trust dialog says its option trusts (a repository
    root, read off the screen) when it is the folder's git repository root, or
    a linked worktree's main checkout, and the guard approved those roots
    (none is the home folder, contains it, or is a root). Anything else,
    including a path that does not normalise, is refused."""
    host = workspace.host
    approved = {
        comparison_key(root, host) for root in (workspace.git_root, workspace.worktree_main_root) if root is not None
    }

    def check(shown: str) -> bool:
        if workspace.repository_root_reason is not None:
            return False
        try:
            return comparison_key(normalize(shown, host.flavor), host) in approved
        except PathError:
            return False

    return check


_CODES = {
    NotPersistableReason.HOME_DIRECTORY: Code.NOT_PERSISTABLE_HOME,
    NotPersistableReason.HOME_ANCESTOR: Code.NOT_PERSISTABLE_HOME_ANCESTOR,
    NotPersistableReason.WORLD_WRITABLE: Code.NOT_PERSISTABLE_WORLD_WRITABLE,
    NotPersistableReason.PSEUDO_FILESYSTEM: Code.NOT_PERSISTABLE_PSEUDO_FILESYSTEM,
}


def not_persistable_code(reason: NotPersistableReason) -> Code:
    return _CODES.get(reason, Code.NOT_PERSISTABLE_ROOT)


def _spoken(reason: NotPersistableReason) -> str:
    if reason is NotPersistableReason.HOME_ANCESTOR:
        return "a folder that contains a home folder"
    if reason is NotPersistableReason.WORLD_WRITABLE:
        return "a folder every user can write to (or that another user can replace)"
    if reason is NotPersistableReason.PSEUDO_FILESYSTEM:
        return "a folder on a pseudo file system"
    return "the " + str(reason.value).replace("_", " ")


def guard_result(provider: Provider, workspace: Workspace) -> WorkspaceResult | None:
    """The blocked result for a workspace no provider may trust, else None."""
    found = guard_reason(workspace)
    if found is None:
        return None
    code, message = found
    return base_result(provider, workspace, WorkspaceStatus.BLOCKED, code, message)


def home_folders(env: Mapping[str, str], host: HostOs, homes: Sequence[str] = ()) -> tuple[str, ...]:
    """The home folder ``env`` names and the other ``homes`` (it resolved, the
    account's own), normalized, each once; unusable ones left out."""
    out: list[str] = []
    for home in (env_home(env), *homes):
        if not home:
            continue
        try:
            norm = normalize(home, host.flavor)
        except PathError:
            continue
        if norm not in out:
            out.append(norm)
    return tuple(out)


#: Why a folder named in a host's own value (a key of a per-launch table of trusted
#: folders) may not be passed on as trusted: a code, else None.
KeyJudge = Callable[[str], Code | None]


def key_judge(
    env: Mapping[str, str],
    host: HostOs,
    homes: Sequence[str] = (),
    gather: Callable[[str], PathFacts] | None = None,
) -> KeyJudge:
    """A :data:`KeyJudge` that refuses what the guards refuse for a workspace:
    a root, a home of ``home_folders(env, host, homes)`` or a folder containing
    one, a folder that is no project folder by name, and, with ``gather`` (the
    file-system port), the same for the folder resolved and what the file
    system says of it. Without ``gather`` (no file access) a key with a ``..``
    component is refused as ``workspace_path_unresolved``: after a symlink it
    may mean another folder."""
    known = home_folders(env, host, homes)

    def judge(key: str) -> Code | None:
        try:
            spelt = normalize(key, host.flavor)
        except PathError:
            return None
        paths = [spelt]
        facts = None
        if gather is not None:
            try:
                facts = gather(key)
                paths.append(normalize(facts.real, host.flavor))
                paths.append(normalize(facts.absolute, host.flavor))
            except (PathError, OSError, ValueError):
                facts = None
        elif has_parent_step(key, host.flavor):
            return Code.WORKSPACE_PATH_UNRESOLVED
        reason = not_persistable(paths, known, host) or (facts.folder_reason if facts is not None else None)
        return not_persistable_code(reason) if reason is not None else None

    return judge


def guarded_folders(env: Mapping[str, str], host: HostOs, homes: Sequence[str] = ()) -> tuple[str, ...]:
    """Every home of ``home_folders`` and every folder above each: what no CLI
    may be left trusting after a session (a folder that changed while the CLI
    started can lead it to one: a git repository made above the folder, or the
    folder's path swapped for a link). () when no usable home is named."""
    out: list[str] = []
    for home in home_folders(env, host, homes):
        for folder in (home, *parents(home, host)):
            if folder not in out:
                out.append(folder)
    if out:
        # The folders that are no project folders by name: a folder swapped
        # for a link to one of them leads the CLI there. (Each is one more
        # probe read: only those the host has.)
        out.extend(folder for folder in named_folders(host) if folder not in out)
    return tuple(out)


def folder_workspace(path: str, host: HostOs) -> Workspace | None:
    """A workspace for an absolute folder, to ask a probe about it (no
    file-system facts: the path as it is written). None for an unusable path."""
    try:
        return build_workspace(path, PathFacts(absolute=path, real=path, home=None, exists=True, is_dir=True), host)
    except PathError:
        return None


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


def same_folder(a: str, b: str, host: HostOs) -> bool:
    """Two spellings of one folder on ``host``: a provider's key (one may write
    ``C:/Users/u`` on Windows) and a normalized path; case-folded where the
    host's paths are case-insensitive."""
    try:
        a, b = normalize(a, host.flavor), normalize(b, host.flavor)
    except PathError:
        return a == b
    return a.casefold() == b.casefold() if host.case_insensitive_paths else a == b


def widened_result(
    result: WorkspaceResult, widened: Sequence[str], homes: Collection[str], host: HostOs, state_file: str | None
) -> WorkspaceResult:
    """The CLI left trust of the home folder, a folder above it, or a root,
    which the state did not hold before the session: never a success. The
    library writes no provider file, so the entry stays and the host is told
    where it is. ``widened``: the keys that grant it; the widest (shortest) is
    named."""
    folder = min(widened, key=len)
    if any(same_folder(folder, home, host) for home in homes):
        reason = NotPersistableReason.HOME_DIRECTORY
    else:
        reason = root_reason(folder, host) or named_kind(folder, host) or NotPersistableReason.HOME_ANCESTOR
    code = not_persistable_code(reason)
    where = f" in {state_file}" if state_file else ""
    message = (
        f"the CLI recorded trust for {folder!r}{where}, which is {_spoken(reason)}; the folder changed "
        "while the CLI started (a git repository made above it, or its path led elsewhere): remove that entry by hand"
    )
    return attrs.evolve(
        result,
        status=WorkspaceStatus.BLOCKED,
        code=code,
        diagnostics=(*result.diagnostics, Diagnostic(code, message, result.provider, result.workspace_id)),
    )


def trust_lost_result(result: WorkspaceResult, probe: ProbeResult, when: str) -> WorkspaceResult:
    """``result`` had trust proven, and the state file no longer says so."""
    evidence = f"{result.trusted_key!r} was recorded as trusted, and is not {when}"
    return attrs.evolve(
        result,
        status=WorkspaceStatus.SOFT_FAILED,
        code=Code.TRUST_LOST,
        diagnostics=(
            *result.diagnostics,
            *probe.diagnostics,
            Diagnostic(Code.TRUST_LOST, evidence, result.provider, result.workspace_id),
        ),
    )


def both_runs(first: WorkspaceResult, retry: WorkspaceResult, row: WorkspaceResult) -> WorkspaceResult:
    """``row``, the outcome of a folder that was run once more, reporting what
    both runs did: a retry that found the folder trusted and started nothing
    does not hide the first run's CLI, dialogs and keys."""
    return attrs.evolve(
        row,
        pty_spawned=first.pty_spawned or retry.pty_spawned,
        dialogs=(*first.dialogs, *retry.dialogs),
        keys=(*first.keys, *retry.keys),
        elapsed_ms=first.elapsed_ms + retry.elapsed_ms,
        lock_wait_ms=first.lock_wait_ms + retry.lock_wait_ms,
        cli_version=retry.cli_version or first.cli_version,
        session=retry.session or first.session,
    )
