"""The CLI's own lock files beside its state file, around a session.

Before the spawn a lock we did not make is waited for (bounded), never
removed; at the kill SIGKILL is held back while the CLI holds a lock it made;
after it, a lock the killed CLI left is removed only when it is provably the
session's, and every other one is reported. And the one lock key per state
file that keeps two sessions from writing one file at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import Diagnostic
from workspace_trust.errors import PreflightCancelled
from workspace_trust.ports import KillHold, KillReport, LockFileStamp, StateFiles
from workspace_trust.providers.pty_provider import CommandRefused, PtyProvider
from workspace_trust.strategy import ExecutionContext

#: How often a provider lock found before spawning is looked at again.
PROVIDER_LOCK_POLL_MS = 50


def state_lock_key(state_file: str, files: StateFiles) -> str:
    """The lock key of one provider state file, the same for every spelling of its path."""
    return "state:" + files.real_path(state_file)


def made_since(before: LockFileStamp | None, now: LockFileStamp | None) -> bool:
    """A lock is there now that was not there (as that same file) before the spawn."""
    return now is not None and (before is None or before.inode != now.inode)


def await_provider_locks(
    paths: tuple[str, ...], spec: PtyProvider, ctx: ExecutionContext
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
    bound = spec.state_lock_stale_ms + ctx.timing.provider_lock_stale_margin_ms
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
                    spec.provider,
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


def kill_hold(
    paths: tuple[str, ...], before: Mapping[str, LockFileStamp | None], ctx: ExecutionContext
) -> KillHold | None:
    if not paths:
        return None

    def holding() -> bool:
        return any(made_since(before.get(path), ctx.provider_locks.inspect(path)) for path in paths)

    return KillHold(holding=holding, max_ms=ctx.timing.provider_lock_release_ms)


def left_behind_locks(
    paths: tuple[str, ...],
    before: Mapping[str, LockFileStamp | None],
    report: KillReport,
    ctx: ExecutionContext,
    *,
    provider: Provider,
    workspace: Workspace,
) -> list[Diagnostic]:
    """A lock made during the session that is still there after the session
    had to be SIGKILLed is removed (the killed process can never release
    it); any other lock made during the session stays, and is reported."""
    out: list[Diagnostic] = []
    for path in paths:
        now = ctx.provider_locks.inspect(path)
        if not made_since(before.get(path), now):
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
                    provider,
                    workspace.id,
                )
            )
        else:
            out.append(
                Diagnostic(
                    Code.PROVIDER_LOCK_LEFT,
                    f"the CLI's own lock ({name}) is still there after the session ended and is not "
                    "provably the session's; it was left alone",
                    provider,
                    workspace.id,
                )
            )
    return out
