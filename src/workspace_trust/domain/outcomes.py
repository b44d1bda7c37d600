"""How a workspace's row is built: the result builders every strategy and
the coordinator share, pure functions over domain values."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.paths import HostOs, NotPersistableReason, Workspace, named_kind, root_reason
from workspace_trust.domain.policy import guard_reason, not_persistable_code, same_folder, spoken
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult


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
        opened_by=workspace.opened_by,
        **fields,  # type: ignore[arg-type]
    )


def guard_result(provider: Provider, workspace: Workspace) -> WorkspaceResult | None:
    """The blocked result for a workspace no provider may trust, else None."""
    found = guard_reason(workspace)
    if found is None:
        return None
    code, message = found
    return base_result(provider, workspace, WorkspaceStatus.BLOCKED, code, message)


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
        f"the CLI recorded trust for {folder!r}{where}, which is {spoken(reason)}; the folder changed "
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
