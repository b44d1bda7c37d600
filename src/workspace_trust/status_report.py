"""``status``: what each provider's state file says about each folder, read-only.

Theory of operation
-------------------
:func:`probe_tasks` asks each planned task's strategy, never starting a
process: first whether the provider gates any folder under the request's
environment (``trust_required``), then what its state file records, looked
up as the installed CLI's version looks it up, then (for an untrusted folder)
whether that CLI gates this folder at all (``not_gated``). Every hook is
read-only and guarded: one that fails never crashes the host.

:func:`build_status_report` turns those answers and the plan's settled rows
into one :class:`StatusReport`: a row per provider and folder, the
diagnostics in the order found, and whether everything is trusted. The
command line renders it; a host may read it directly
(``WorkspaceTrustCoordinator.status_report``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, TypeAlias

import attrs

from workspace_trust.domain.codes import Code, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.results import Diagnostic, ProbeResult
from workspace_trust.providers import spec_for
from workspace_trust.strategy import ExecutionContext

if TYPE_CHECKING:
    from workspace_trust.ports import ExecutionPorts
    from workspace_trust.registry import StrategyRegistry
    from workspace_trust.requests import FullPlan, PlannedTask, WorkspaceTrustRequest
    from workspace_trust.strategy import TrustStrategy

__all__ = ["StatusReport", "StatusRow", "TaskProbe", "build_status_report", "probe_env", "probe_tasks"]

log = logging.getLogger(__name__)

#: What a status probe found for one task: the state file's answer; or
#: ``not_required`` where the provider gates no folder at all under the
#: request's environment (nothing was probed); or a ``folder_not_gated_by_cli``
#: diagnostic where the installed CLI gates no dialog for this folder.
TaskProbe: TypeAlias = ProbeResult | Diagnostic | Literal[WorkspaceStatus.NOT_REQUIRED]


@attrs.frozen(slots=True)
class StatusRow:
    """One provider and folder. ``status`` is a :class:`TrustState`, or
    ``not_required`` where nothing gates the folder (as good as trusted)."""

    provider: Provider
    workspace_id: str
    workspace: str
    real_path: str
    status: TrustState | WorkspaceStatus
    code: Code | None = None
    #: The state-file key that proves trust, and where it was found (a
    #: ``TrustSource``; a plug-in's probe may name none).
    trusted_key: str | None = None
    trusted_by: str | None = None
    #: The launch argument that opens the folder (``Workspace.opened_by``).
    opened_by: str | None = None


@attrs.frozen(slots=True)
class StatusReport:
    """Every row of a ``status``: the probed tasks in the plan's order, then
    the folders the plan settled without a probe (blocked, or a launch that
    ignores persisted trust), which are ``unknown`` with the code saying why."""

    rows: tuple[StatusRow, ...]
    diagnostics: tuple[Diagnostic, ...]
    #: Every row trusted or not required, and no folder settled unprobed.
    all_trusted: bool


def probe_env(request: WorkspaceTrustRequest, provider: Provider) -> Mapping[str, str]:
    """The request's environment for a probe of ``provider``: with the binary the
    request names for it (``binaries``) in the variable that names its binary,
    so that a probe that needs the CLI's version (a state variable only later
    versions read) asks the very binary a preflight would start."""
    binary = request.binaries.get(provider)
    if not binary:
        return request.env
    return {**request.env, spec_for(provider).binary_env: binary}


def probe_tasks(
    plan: FullPlan, registry: StrategyRegistry, ports: ExecutionPorts
) -> tuple[tuple[PlannedTask, TaskProbe], ...]:
    """Read-only, one entry per task (:data:`TaskProbe`)."""
    out: list[tuple[PlannedTask, TaskProbe]] = []
    required: dict[tuple[Provider, str], bool] = {}
    versions: dict[tuple[Provider, str], str | None] = {}
    ctx = ExecutionContext.for_request(plan.request, ports)
    for task in plan.tasks:
        strategy = registry.create(task.provider, task.mode)
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
            probe = strategy.probe_version(
                task.workspace, probe_env(plan.request, task.provider), ports.state_files, versions[key]
            )
        except Exception as exc:  # a probe must never crash its host either
            log.exception("state probe failed unexpectedly")
            probe = ProbeResult(
                TrustState.UNKNOWN,
                diagnostics=(
                    Diagnostic(
                        Code.INTERNAL_ERROR, f"internal error: {type(exc).__name__}", task.provider, task.workspace.id
                    ),
                ),
            )
        if probe.state is TrustState.UNTRUSTED:
            ungated = _not_gated(strategy, task, probe, ctx)
            if ungated is not None:
                out.append((task, ungated))
                continue
        out.append((task, probe))
    return tuple(out)


def build_status_report(
    plan: FullPlan, probes: tuple[tuple[PlannedTask, TaskProbe], ...], *, diagnostics: tuple[Diagnostic, ...] = ()
) -> StatusReport:
    """The rows and diagnostics of ``probes`` and of the plan's settled rows;
    ``diagnostics`` (the caller's own, such as invalid feature flags) come first."""
    rows: list[StatusRow] = []
    found: list[Diagnostic] = [*diagnostics, *plan.diagnostics]
    all_trusted = not plan.settled and not plan.soft_settled
    for task, probe in probes:
        row = StatusRow(
            provider=task.provider,
            workspace_id=task.workspace.id,
            workspace=task.workspace.absolute_path,
            real_path=task.workspace.real_path,
            status=WorkspaceStatus.NOT_REQUIRED,
            opened_by=task.workspace.opened_by,
        )
        if isinstance(probe, Diagnostic):
            # The installed CLI shows no dialog for this folder: as good as
            # trusted for the overall status, with why.
            found.append(probe)
            row = attrs.evolve(row, code=probe.code)
        elif isinstance(probe, ProbeResult):
            if probe.state is not TrustState.TRUSTED:
                all_trusted = False
            found.extend(probe.diagnostics)
            row = attrs.evolve(
                row,
                status=probe.state,
                code=probe.diagnostics[0].code if probe.diagnostics else None,
                trusted_key=probe.trusted_key,
                trusted_by=probe.source,
            )
        rows.append(row)
    for settled in (*plan.settled, *plan.soft_settled):
        # A folder no provider may trust is never probed, nor one whose launch
        # ignores persisted trust: unknown, and its code says why.
        rows.append(
            StatusRow(
                provider=settled.provider,
                workspace_id=settled.workspace_id,
                workspace=settled.workspace,
                real_path=settled.real_path,
                status=TrustState.UNKNOWN,
                code=settled.code,
                opened_by=settled.opened_by,
            )
        )
        found.extend(d for d in settled.diagnostics if d not in found)
    return StatusReport(rows=tuple(rows), diagnostics=tuple(found), all_trusted=all_trusted)


def _trust_required(strategy: TrustStrategy, env: Mapping[str, str]) -> bool:
    """``strategy.trust_required``; a hook that fails counts as "required", so
    the probe runs and reports what it finds."""
    try:
        return strategy.trust_required(env)
    except Exception:  # a read-only hook must never crash its host
        log.exception("trust_required failed unexpectedly")
        return True


def _not_gated(
    strategy: TrustStrategy, task: PlannedTask, probe: ProbeResult, ctx: ExecutionContext
) -> Diagnostic | None:
    """``strategy.not_gated`` for a status row; a hook that fails counts as gated."""
    try:
        return strategy.not_gated(task.workspace, probe, ctx)
    except Exception:  # a read-only hook must never crash its host
        log.exception("not_gated failed unexpectedly")
        return None
