"""What a PTY session says while it runs: progress events from the runner's
frames (a rule's first sighting, each key, a heartbeat while it waits), and a
heartbeat while the CLI's ``--version`` or ``--help`` is read before it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from workspace_trust.domain.codes import Provider
from workspace_trust.domain.paths import Workspace
from workspace_trust.session import SessionFrame
from workspace_trust.strategy import HEARTBEAT_MS, ExecutionContext, ProgressEvent, ProgressStage

#: The engine's decisions are logged under the PTY strategy's name, where
#: ``--debug`` readers have always found them.
log = logging.getLogger("workspace_trust.providers.pty_strategy")


def progress_of(provider: Provider, workspace: Workspace, ctx: ExecutionContext) -> Callable[[SessionFrame], None]:
    """The runner's ``on_frame`` as progress: DIALOG the first time each rule
    recognises a frame (detail: the rule id), KEY for every key sent (detail:
    the key's name)."""
    seen: set[str] = set()
    started = ctx.clock.monotonic_ms()
    beat = [started]

    decided: list[object] = [None]

    def on_frame(frame: SessionFrame) -> None:
        decision = frame.decision
        if log.isEnabledFor(logging.DEBUG):
            # The engine's decisions as they change (``--debug``), not every frame.
            seen_now = (decision.action, decision.rule_id, decision.wait_reason, decision.finish_reason, frame.sent)
            if seen_now != decided[0]:
                decided[0] = seen_now
                log.debug(
                    "%s %s: frame %d: %s rule=%s wait=%s%s%s",
                    provider.value,
                    workspace.id,
                    decision.frame,
                    decision.action.value,
                    decision.rule_id or "-",
                    decision.wait_reason.value if decision.wait_reason else "-",
                    f" finish={decision.finish_reason.value}" if decision.finish_reason else "",
                    f" key={frame.sent.value}" if frame.sent else "",
                )
        rule = frame.decision.rule_id
        if rule is not None and rule not in seen:
            seen.add(rule)
            ctx.progress(ProgressEvent(provider, workspace.id, ProgressStage.DIALOG, detail=rule))
        if frame.sent is not None:
            ctx.progress(ProgressEvent(provider, workspace.id, ProgressStage.KEY, detail=frame.sent.value))
        now = ctx.clock.monotonic_ms()
        if now - beat[0] >= HEARTBEAT_MS:
            beat[0] = now
            reason = frame.decision.wait_reason
            awaited = "the_dialog" if not seen else (reason.value if reason is not None else "the_screen")
            ctx.progress(
                ProgressEvent(provider, workspace.id, ProgressStage.WAITING, detail=awaited, elapsed_ms=now - started)
            )

    return on_frame


def beating(ctx: ExecutionContext, provider: Provider, workspace: Workspace, awaited: str) -> Callable[[], bool]:
    """``ctx.is_cancelled`` for a read of the CLI before the spawn (its
    ``--version``, its ``--help``), which the reader polls while it waits:
    about every ``HEARTBEAT_MS`` it also says, as a ``waiting`` event, what is
    being read and for how long, as a session's own heartbeat does."""
    started = ctx.clock.monotonic_ms()
    beat = [started]

    def is_cancelled() -> bool:
        now = ctx.clock.monotonic_ms()
        if now - beat[0] >= HEARTBEAT_MS:
            beat[0] = now
            ctx.progress(
                ProgressEvent(provider, workspace.id, ProgressStage.WAITING, detail=awaited, elapsed_ms=now - started)
            )
        return ctx.is_cancelled()

    return is_cancelled
