"""The two plan stages: ``plan_args_only`` (pure) and ``plan_full`` (read-only).

* ``plan_args_only`` derives launch patches for the request's own folders from
  the request alone: no process, no file read or written, no lock.
* ``plan_full`` gathers file-system facts for every folder (read-only), dedupes
  them, applies the home/root guards, and lists the work ``execute`` will do.

Both turn a spec that names no usable folder into the same
``workspace_path_invalid`` diagnostic (``_UNUSABLE_PATH``), both refuse a
folder by the one guard (``domain.policy.guard_reason``: no patch, a blocked
row, no task), and neither ever raises for a trust problem.
"""

from __future__ import annotations

import logging
import ntpath
import posixpath
from collections.abc import Mapping, Sequence

import attrs

from workspace_trust.domain.codes import Code, LaunchMode, Provider, WorkspaceStatus
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.patches import EnvPatch, LaunchArgPatch, PatchPlan
from workspace_trust.domain.paths import (
    PathError,
    PathFacts,
    PathFlavor,
    Workspace,
    WorkspaceSource,
    build_workspace,
    dedupe_workspaces,
    env_home,
    expand_home,
    has_parent_step,
)
from workspace_trust.domain.policy import KeyJudge, guard_reason, key_judge
from workspace_trust.domain.results import Diagnostic, WorkspaceResult
from workspace_trust.flags import FeatureFlags
from workspace_trust.ports import FileSystemFacts
from workspace_trust.providers import spec_for
from workspace_trust.providers.launch_folders import OpenedFolder, opened_folders
from workspace_trust.registry import StrategyRegistry
from workspace_trust.requests import ArgsOnlyPlan, FullPlan, PlannedTask, WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.strategy import TrustStrategy

log = logging.getLogger(__name__)


class Planner:
    """Stages 1 and 2. Reads the file system only through its port."""

    def __init__(self, registry: StrategyRegistry, filesystem: FileSystemFacts) -> None:
        self._registry = registry
        self._fs = filesystem

    # -- stage 1 -------------------------------------------------------------
    def plan_args_only(self, request: WorkspaceTrustRequest) -> ArgsOnlyPlan:
        """Pure: no process, no file read or written, no lock. Never raises for trust problems."""
        workspaces: list[Workspace] = []
        diagnostics: list[Diagnostic] = []
        host = self._fs.host
        # The home folder as the caller's environment names it (read, not
        # resolved) and the account's own, known since construction: neither
        # they nor a folder containing them gets a patch.
        home = env_home(request.env)
        account = self._fs.account_homes()
        for spec in request.workspaces:
            try:
                # ``~`` is the request's HOME here too, as in ``plan_full``.
                path = expand_home(spec.path, request.env)
                real = expand_home(spec.real_path, request.env) if spec.real_path else path
            except ValueError as exc:
                diagnostics.append(_unusable_path(spec, exc))
                continue
            if any(has_parent_step(p, host.flavor) for p in (path, real)):
                # Removing ``..`` as text could name a sibling of the folder
                # the system means: no patch for another folder, ever.
                diagnostics.append(
                    Diagnostic(Code.WORKSPACE_PATH_UNRESOLVED, _UNRESOLVED, workspace_id=spec.id or spec.path)
                )
                continue
            facts = PathFacts(
                absolute=path,
                real=real,
                home=home,
                exists=True,
                is_dir=True,
                account_home=account[-1] if account else None,
                account_home_raw=account[0] if account else None,
            )
            try:
                workspace = build_workspace(
                    spec.path, facts, host, workspace_id=spec.id, source=spec.source, member_id=spec.member_id
                )
            except _UNUSABLE_PATH as exc:
                diagnostics.append(_unusable_path(spec, exc))
                continue
            refused = guard_reason(workspace)
            if refused is not None:
                code, message = refused
                diagnostics.append(Diagnostic(code, f"left out of every patch: {message}", workspace_id=workspace.id))
                continue
            workspaces.append(workspace)
        # The host's own trust values are judged as the folders are: by text.
        judge = key_judge(request.env, host, account)
        patches = self._plan_patches(request, dedupe_workspaces(workspaces), judge)
        ignored = [
            Diagnostic(Code.PROVIDER_IGNORES_PERSISTED_TRUST, _ignored_message(provider, reason), provider)
            for provider, reason in self._ignoring_providers(request).items()
        ]
        return ArgsOnlyPlan(request, patches, (*diagnostics, *patches.diagnostics, *ignored))

    def _choice(self, request: WorkspaceTrustRequest, provider: Provider) -> _Choice:
        """The strategy that serves ``provider``'s launch: the mode the request
        names, else the first the registry names for the launch mode whose
        feature flag is on (else the first), with the ones after it. The one
        place a plan resolves a mode."""
        launch = request.launch_mode_of(provider)
        explicit = request.strategy_modes.get(provider)
        modes = (explicit,) if explicit else self._registry.modes_for(provider, launch)
        chosen = 0
        for index, mode in enumerate(modes):
            if allowed(request.flags, self._registry.create(provider, mode)):
                chosen = index
                break
        mode = modes[chosen]
        return _Choice(
            mode,
            self._registry.create(provider, mode),
            launch,
            modes[chosen + 1 :],
            served=self._registry.serves(provider, mode, launch)
            and not (explicit and self._registry.fallback_only(provider, mode)),
        )

    def _ignoring_providers(self, request: WorkspaceTrustRequest) -> dict[Provider, str]:
        """Pure: the request's providers whose launch ignores every persisted
        trust record (the request's env and launch args say so), with why."""
        out: dict[Provider, str] = {}
        for provider in unique_providers(request.providers):
            choice = self._choice(request, provider)
            strategy = choice.strategy
            if not allowed(request.flags, strategy) or not choice.served:
                continue
            reason = strategy.ignores_persisted_trust(request.env, tuple(request.launch_args.get(provider, ())))
            if reason is not None:
                out[provider] = reason
        return out

    def _plan_patches(
        self,
        request: WorkspaceTrustRequest,
        workspaces: tuple[Workspace, ...],
        judge: KeyJudge,
        found: _Opened | None = None,
    ) -> PatchPlan:
        arg_patches: list[LaunchArgPatch] = []
        env_patches: list[EnvPatch] = []
        values: dict[Provider, tuple[str, ...]] = {}
        diagnostics: list[Diagnostic] = []
        for provider in unique_providers(request.providers):
            choice = self._choice(request, provider)
            if not allowed(request.flags, choice.strategy):
                continue
            if not choice.served:
                diagnostics.append(_unserved(provider, choice))
                continue
            # An opened folder its own mode prepares is planned by that mode.
            # The launch's own strategy is asked even with no folder: it
            # returns the host's own per-launch values as they are.
            by_mode: dict[str, list[Workspace]] = {choice.mode: []}
            for workspace in workspaces:
                mode = found.own_modes.get((provider, workspace.comparison_key)) if found else None
                by_mode.setdefault(mode or choice.mode, []).append(workspace)
            for workspace, mode in found.opened.get(provider, ()) if found else ():
                by_mode.setdefault(mode or choice.mode, []).append(workspace)
            made = self._provider_patches(
                request, provider, by_mode, judge, found.withheld.get(provider) if found else None
            )
            arg_patches.extend(made.arg_patches)
            env_patches.extend(made.env_patches)
            values.update(made.launch_values)
            diagnostics.extend(made.diagnostics)
        return PatchPlan(tuple(arg_patches), tuple(env_patches), values, tuple(diagnostics))

    def _provider_patches(
        self,
        request: WorkspaceTrustRequest,
        provider: Provider,
        by_mode: Mapping[str, Sequence[Workspace]],
        judge: KeyJudge,
        withheld: Diagnostic | None,
    ) -> PatchPlan:
        """``provider``'s patches: each mode's strategy (when its flag is on)
        for the folders it serves; a strategy whose patch trusts whatever
        folder the launch works in gives none where ``withheld`` says the
        launch's arguments move that folder to a refused one. The one place
        a plan stage asks strategies for patches."""
        made: list[PatchPlan] = []
        for mode, mine in by_mode.items():
            strategy = self._registry.create(provider, mode)
            if not allowed(request.flags, strategy):
                continue
            if withheld is not None and getattr(strategy, "trusts_working_folder", False):
                made.append(PatchPlan(diagnostics=(withheld,)))
                continue
            made.append(_strategy_patches(strategy, request, provider, tuple(mine), judge))
        values: dict[Provider, tuple[str, ...]] = {}
        for plan in made:
            values.update(plan.launch_values)
        return PatchPlan(
            tuple(p for plan in made for p in plan.arg_patches),
            tuple(p for plan in made for p in plan.env_patches),
            values,
            tuple(d for plan in made for d in plan.diagnostics),
        )

    # -- stage 2 -------------------------------------------------------------
    def plan_full(self, request: WorkspaceTrustRequest) -> FullPlan:
        workspaces: list[Workspace] = []
        settled: list[WorkspaceResult] = []
        diagnostics: list[Diagnostic] = []
        #: Per spec: the comparison key of the folder it names, or None.
        spec_keys: list[str | None] = []
        for spec in request.workspaces:
            spec_keys.append(None)
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
                spec_keys[-1] = workspaces[-1].comparison_key
            except _UNUSABLE_PATH as exc:
                diag = _unusable_path(spec, exc)
                diagnostics.append(diag)
                for provider in unique_providers(request.providers):
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
        kept_ids = {w.comparison_key: w.id for w in unique}
        # Home, roots and missing folders are decided here, before anything runs:
        # a blocked result per provider, no task, no patch.
        usable = []
        for workspace in unique:
            refused = guard_reason(workspace)
            if refused is None:
                usable.append(workspace)
                continue
            code, message = refused
            settled.extend(
                base_result(provider, workspace, WorkspaceStatus.BLOCKED, code, message)
                for provider in unique_providers(request.providers)
            )
        # Folders the host's launch arguments open, per provider: each its own
        # row, under the same guards.
        found = self._opened_all(request, usable)
        opened = found.opened
        settled.extend(found.blocked)
        tasks: list[PlannedTask] = []
        # A provider whose launch ignores every persisted trust record will ask
        # again whatever a preflight persists: its workspaces are settled as a
        # soft failure here and nothing is started for them (docs/cli.md).
        ignoring = self._ignoring_providers(request)
        soft_settled: list[WorkspaceResult] = []
        for provider in unique_providers(request.providers):
            choice = self._choice(request, provider)
            enabled = allowed(request.flags, choice.strategy)
            mine = (
                *((w, found.own_modes.get((provider, w.comparison_key))) for w in usable),
                *opened.get(provider, ()),
            )
            for workspace, own_mode in mine:
                if own_mode is not None and own_mode != choice.mode:
                    # A folder the launch's own strategy cannot prepare.
                    own = self._registry.create(provider, own_mode)
                    tasks.append(
                        PlannedTask(
                            provider,
                            own_mode,
                            workspace,
                            allowed(request.flags, own),
                            launch_mode=choice.launch_mode,
                            gated=_gates(own),
                        )
                    )
                    continue
                if enabled and not choice.served:
                    unserved = _unserved(provider, choice)
                    soft_settled.append(
                        base_result(
                            provider,
                            workspace,
                            WorkspaceStatus.SOFT_FAILED,
                            unserved.code,
                            unserved.message,
                        )
                    )
                    continue
                if provider in ignoring:
                    soft_settled.append(
                        base_result(
                            provider,
                            workspace,
                            WorkspaceStatus.SOFT_FAILED,
                            Code.PROVIDER_IGNORES_PERSISTED_TRUST,
                            _ignored_message(provider, ignoring[provider]),
                        )
                    )
                    continue
                tasks.append(
                    PlannedTask(
                        provider,
                        choice.mode,
                        workspace,
                        enabled,
                        launch_mode=choice.launch_mode,
                        fallbacks=choice.fallbacks,
                        gated=_gates(choice.strategy),
                    )
                )
        patches = self._plan_patches(request, tuple(usable), self._full_judge(request), found)
        return FullPlan(
            request,
            unique,
            tuple(tasks),
            tuple(settled),
            (*diagnostics, *patches.diagnostics),
            patches,
            tuple(soft_settled),
            tuple(None if key is None else kept_ids[key] for key in spec_keys),
            working_folder_refused=dict(found.withheld),
        )

    def _opened(
        self, request: WorkspaceTrustRequest, provider: Provider, workspaces: Sequence[Workspace]
    ) -> list[tuple[Workspace | str, OpenedFolder]]:
        """The folders ``provider``'s launch arguments open from each of
        ``workspaces`` (a relative one from that folder, as the CLI reads it),
        as workspaces that say which argument opens them, each with what
        opens it; a path that cannot be used stays a string (nothing to
        trust: the CLI cannot open it)."""
        args = tuple(request.launch_args.get(provider, ()))
        try:
            spec = spec_for(provider)
        except ValueError:
            return []  # a host's own strategy with no spec: no folder arguments known
        if not args or not spec.folder_args:
            return []
        found = opened_folders(args, spec.folder_args, request.launch_mode_of(provider), spec.value_flags)
        out: list[tuple[Workspace | str, OpenedFolder]] = []
        for workspace in workspaces:
            for folder in found:
                flavor = self._fs.host.flavor
                path = (ntpath if flavor is PathFlavor.WINDOWS else posixpath).join(
                    workspace.absolute_path, folder.path
                )
                try:
                    facts = self._fs.gather(path, env=request.env)
                    made = build_workspace(path, facts, self._fs.host, source=WorkspaceSource.LAUNCH_ARG)
                except _UNUSABLE_PATH:
                    log.info("%s: %s names no usable folder", provider.value, folder.given)
                    out.append((path, folder))
                    continue
                out.append((attrs.evolve(made, opened_by=folder.given), folder))
        return out

    def _opened_all(self, request: WorkspaceTrustRequest, usable: Sequence[Workspace]) -> _Opened:
        """Every provider's opened folders (``_opened``), each once: new usable
        ones, a blocked row per refused one, the mode a request folder needs
        where a launch argument opens it too, and per provider the reason its
        working-folder patches are withheld (a working folder refused)."""
        out = _Opened()
        known = {w.comparison_key: w for w in usable}
        for provider in unique_providers(request.providers):
            seen: set[str] = set()
            for workspace, folder in self._opened(request, provider, usable):
                if isinstance(workspace, str):
                    if folder.working:
                        out.withheld.setdefault(provider, _withheld(provider, folder, "names no usable folder"))
                    continue
                key = workspace.comparison_key
                if key in seen:
                    continue
                seen.add(key)
                if key in known:
                    if folder.mode is not None:
                        out.own_modes[(provider, key)] = folder.mode
                    continue
                refused = guard_reason(workspace)
                if refused is None:
                    out.opened.setdefault(provider, []).append((workspace, folder.mode))
                    continue
                code, message = refused
                out.blocked.append(base_result(provider, workspace, WorkspaceStatus.BLOCKED, code, message))
                if folder.working:
                    out.withheld.setdefault(provider, _withheld(provider, folder, "names a refused folder", code))
        return out

    def fall_back(self, plan: FullPlan, provider: Provider, mode: str, why: Diagnostic) -> FullPlan:
        """``plan`` where the installed CLI does not honour ``provider``'s
        ``mode`` (``why``): each task of that mode is served by its next mode,
        carrying ``why`` for its row, or, with none left, settled as a soft
        failure with ``why``'s code; a next mode whose launch ignores every
        persisted trust record settles it as ``provider_ignores_persisted_trust``.
        The provider's patches are planned again for the tasks left. Reads the
        file system as ``plan_full`` does (the host's own trust values are
        judged again)."""
        request = plan.request
        launch_args = tuple(request.launch_args.get(provider, ()))
        tasks: list[PlannedTask] = []
        soft: list[WorkspaceResult] = []
        changed = False
        for task in plan.tasks:
            if task.provider is not provider or task.mode != mode:
                tasks.append(task)
                continue
            changed = True
            if not task.fallbacks:
                soft.append(base_result(provider, task.workspace, WorkspaceStatus.SOFT_FAILED, why.code, why.message))
                continue
            strategy = self._registry.create(provider, task.fallbacks[0])
            note = attrs.evolve(
                why,
                provider=provider,
                workspace_id=task.workspace.id,
                message=f"{why.message}; this launch is served by the {task.fallbacks[0]} strategy instead",
            )
            ignored = strategy.ignores_persisted_trust(request.env, launch_args)
            if ignored is not None:
                soft.append(
                    base_result(
                        provider,
                        task.workspace,
                        WorkspaceStatus.SOFT_FAILED,
                        Code.PROVIDER_IGNORES_PERSISTED_TRUST,
                        _ignored_message(provider, ignored),
                        diagnostics=(note,),
                    )
                )
                continue
            tasks.append(
                attrs.evolve(
                    task,
                    mode=task.fallbacks[0],
                    fallbacks=task.fallbacks[1:],
                    note=note,
                    gated=_gates(strategy),
                    enabled=allowed(request.flags, strategy),
                )
            )
        if not changed:
            return plan
        old = plan.patches
        by_mode: dict[str, list[Workspace]] = {}
        for task in tasks:
            if task.provider is provider and task.enabled:
                by_mode.setdefault(task.mode, []).append(task.workspace)
        made = self._provider_patches(
            request, provider, by_mode, self._full_judge(request), plan.working_folder_refused.get(provider)
        )
        dropped = {id(d) for d in old.diagnostics if d.provider == provider}
        values = {k: v for k, v in old.launch_values.items() if k != provider}
        values.update(made.launch_values)
        patches = PatchPlan(
            (*(p for p in old.arg_patches if p.target_provider != provider), *made.arg_patches),
            (*(p for p in old.env_patches if p.target_provider != provider), *made.env_patches),
            values,
            (*(d for d in old.diagnostics if id(d) not in dropped), *made.diagnostics),
        )
        return attrs.evolve(
            plan,
            tasks=tuple(tasks),
            soft_settled=(*plan.soft_settled, *soft),
            patches=patches,
            diagnostics=(*(d for d in plan.diagnostics if id(d) not in dropped), *made.diagnostics),
        )

    def _full_judge(self, request: WorkspaceTrustRequest) -> KeyJudge:
        """The host's own trust values judged as ``plan_full`` judges folders:
        resolved, with the file system's facts, against every home."""
        homes = list(self._fs.account_homes())
        home = env_home(request.env)
        if home:
            try:
                real = self._fs.gather(home, env=request.env).real_home
            except _UNUSABLE_PATH:
                real = None
            if real:
                homes.append(real)

        def gather(path: str) -> PathFacts:
            return self._fs.gather(path, env=request.env)

        return key_judge(request.env, self._fs.host, tuple(homes), gather)


#: What either plan stage turns into ``workspace_path_invalid`` for one spec:
#: the library's own path errors, and what the file system says of a path.
_UNUSABLE_PATH = (PathError, OSError, ValueError)


#: Why ``plan_args_only`` leaves a path with ``..`` out of every patch.
_UNRESOLVED = (
    "left out of every patch: the path has a '..' component, which after a symlink means the parent of the "
    "link's target, not what the text reads; this plan reads no file, so plan_full resolves it and gives the patch"
)


def _unusable_path(spec: WorkspaceSpec, exc: Exception) -> Diagnostic:
    """The one diagnostic both plan stages give a spec that names no usable
    folder; it always says which spec (its id, else its path as given)."""
    return Diagnostic(Code.WORKSPACE_PATH_INVALID, f"unusable workspace path: {exc}", workspace_id=spec.id or spec.path)


def _ignored_message(provider: Provider, reason: str) -> str:
    return (
        f"{provider.value} ignores every persisted trust record in this launch ({reason}): "
        "it will ask for trust again whatever is persisted, so nothing was started to persist it"
    )


@attrs.define
class _Opened:
    """What the launch arguments open, per provider (``Planner._opened_all``)."""

    #: New usable folders, with the mode that prepares each (None: the launch's own).
    opened: dict[Provider, list[tuple[Workspace, str | None]]] = attrs.field(factory=dict)
    #: A blocked row for each refused one.
    blocked: list[WorkspaceResult] = attrs.field(factory=list)
    #: (provider, comparison key) of a request folder a launch argument also
    #: opens -> the mode that prepares it there.
    own_modes: dict[tuple[Provider, str], str] = attrs.field(factory=dict)
    #: Why a provider's patches that trust the launch's working folder are
    #: withheld: an argument moves it to a folder that is refused or unusable.
    withheld: dict[Provider, Diagnostic] = attrs.field(factory=dict)


def _withheld(provider: Provider, folder: OpenedFolder, why: str, code: Code | None = None) -> Diagnostic:
    return Diagnostic(
        code or Code.WORKSPACE_PATH_INVALID,
        f"{folder.given} {why}: {provider.value} works in it, so no patch that trusts the launch's working "
        "folder is given",
        provider,
    )


@attrs.frozen(slots=True)
class _Choice:
    """The strategy that serves one provider's launch (``Planner._choice``)."""

    mode: str
    strategy: TrustStrategy
    launch_mode: LaunchMode
    #: The modes after ``mode``, for a launch it turns out not to serve.
    fallbacks: tuple[str, ...]
    #: False when the request named a mode that cannot serve the launch mode.
    served: bool = True


def _unserved(provider: Provider, choice: _Choice) -> Diagnostic:
    return Diagnostic(
        Code.STRATEGY_NOT_FOR_LAUNCH_MODE,
        f"the {choice.mode} strategy of {provider.value} cannot serve {choice.launch_mode.value} launches "
        "when named (some serve one launch mode, some only as another's fallback): name another mode, or none",
        provider,
    )


def _strategy_patches(
    strategy: TrustStrategy,
    request: WorkspaceTrustRequest,
    provider: Provider,
    workspaces: tuple[Workspace, ...],
    judge: KeyJudge,
) -> PatchPlan:
    launch_args = tuple(request.launch_args.get(provider, ()))
    # A plug-in written against the protocol alone may lack the judged form.
    judged = getattr(strategy, "plan_judged_patches", None)
    return judged(workspaces, launch_args, judge) if judged else strategy.plan_patches(workspaces, launch_args)


def _gates(strategy: TrustStrategy) -> bool:
    # A plug-in written against the protocol alone may lack the attribute.
    return bool(getattr(strategy, "gates", True))


def allowed(flags: FeatureFlags, strategy: TrustStrategy) -> bool:
    return flags.enabled and bool(getattr(flags, strategy.flag))


def unique_providers(providers: tuple[Provider, ...]) -> tuple[Provider, ...]:
    seen: list[Provider] = []
    for provider in providers:
        if provider not in seen:
            seen.append(provider)
    return tuple(seen)
