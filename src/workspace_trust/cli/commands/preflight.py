"""``workspace-trust preflight``: accept workspace trust where needed.

A signal (SIGINT, SIGTERM, SIGHUP) or ``--deadline`` cancels the run: every
session started is killed, and the document still comes out, once.
"""

from __future__ import annotations

import argparse
import math
import signal
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from workspace_trust.cli.output import (
    OutputFailed,
    diagnostic_line,
    emit_json,
    say,
    settle_output,
    stderr_is_terminal,
    warn,
    write,
)
from workspace_trust.cli.parser import UsageError
from workspace_trust.cli.progress import ProgressPrinter
from workspace_trust.cli.request import MAX_SECONDS, build_request, inputs
from workspace_trust.diagnostics import shows_screen_tail
from workspace_trust.documents import Input, execution_document
from workspace_trust.domain.codes import Code, ExecutionStatus, Provider, WorkspaceStatus
from workspace_trust.domain.results import Diagnostic
from workspace_trust.exitcodes import ExitCode
from workspace_trust.requests import overall_status

if TYPE_CHECKING:
    from workspace_trust.requests import ExecutionResult


#: Signals that cancel a preflight: it kills what it started and reports ``cancelled`` (130).
_CANCEL_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def run(args: argparse.Namespace) -> int:
    deadline = _Deadline(args.deadline)
    cancel = threading.Event()
    previous = {}

    def on_signal(signum: int, _frame: object) -> None:
        cancel.set()

    # First, so an interrupt from here on still ends in one JSON document. A
    # hang-up (the terminal closed) cancels the same way.
    for sig in _CANCEL_SIGNALS:
        previous[sig] = signal.signal(sig, on_signal)
    from workspace_trust.coordinator import WorkspaceTrustCoordinator

    coordinator = WorkspaceTrustCoordinator()
    try:
        request, flag_diagnostics = build_request(args)
        plan = coordinator.plan_full(request)
        progress = ProgressPrinter(
            mode="none" if args.quiet else args.progress,
            folders={(t.provider.value, t.workspace.id): t.workspace.absolute_path for t in plan.tasks},
            write=write,
            inputs=inputs(args, plan),
            # In place on a terminal, unless log lines would be mixed in.
            live=stderr_is_terminal() and not (args.verbose or args.debug),
        )
        deadline.start()
        result = coordinator.execute(
            plan, is_cancelled=lambda: cancel.is_set() or deadline.passed(), on_progress=progress
        )
        arguments = inputs(args, plan)
        providers = request.providers
    finally:
        deadline.stop()
        coordinator.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if deadline.passed() and not cancel.is_set():
        result = _past_deadline(result, args.deadline)
    if flag_diagnostics:
        result = attrs.evolve(result, diagnostics=(*flag_diagnostics, *result.diagnostics))
    try:
        _emit_execution(args, "preflight", result, arguments, providers)
    except BrokenPipeError:
        pass  # the reader went away; the exit code is the run's own
    except OutputFailed:
        if result.status is not ExecutionStatus.CANCELLED:
            raise
        # Cancelled (often by the terminal hanging up, which also fails the
        # write): the exit code still says cancelled (docs/cli.md, "Exit codes").
    settle_output()
    return ExitCode.for_status(result.status)


class _Deadline:
    """``--deadline``: a timer over the whole run (None: no deadline)."""

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and not (math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS):
            raise UsageError(f"--deadline must be a positive number of seconds, at most {MAX_SECONDS}")
        self._seconds = seconds
        self._passed = threading.Event()
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        if self._seconds is not None:
            self._timer = threading.Timer(self._seconds, self._passed.set)
            self._timer.daemon = True
            self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def passed(self) -> bool:
        return self._passed.is_set()


def _past_deadline(result: ExecutionResult, seconds: float) -> ExecutionResult:
    """The deadline cancelled what had not finished: those rows (not started,
    or stopped mid-session and killed) are soft failures with their own code."""
    message = f"the run's --deadline of {seconds:g} s passed before this workspace was done"
    rows = tuple(
        attrs.evolve(
            r,
            status=WorkspaceStatus.SOFT_FAILED,
            code=Code.DEADLINE_EXCEEDED,
            diagnostics=(
                Diagnostic(Code.DEADLINE_EXCEEDED, message, r.provider, r.workspace_id),
                *(d for d in r.diagnostics if d.code is not Code.CANCELLED),
            ),
        )
        if r.status is WorkspaceStatus.CANCELLED
        else r
        for r in result.results
    )
    return attrs.evolve(result, results=rows, status=overall_status(rows))


def _emit_execution(
    args: argparse.Namespace,
    command: str,
    result: ExecutionResult,
    inputs: Sequence[Input],
    providers: Sequence[Provider],
) -> None:
    diagnostics = result.all_diagnostics
    if args.json:
        emit_json(execution_document(command, result, inputs, providers, debug=args.debug))
        return
    for r in result.results:
        code = f" [{r.code.value}]" if r.code else ""
        say(f"{r.provider.value:7} {r.status.value:27} {r.workspace}{code}")
    folders = {r.workspace_id: r.workspace for r in result.results}
    for d in diagnostics:
        warn(f"  {diagnostic_line(d, folders)}")
    # The redacted, bounded tail of the last screen of each failed session
    # (under --debug; without it, of a trust dialog to record).
    for r in result.results:
        if r.raw_tail and shows_screen_tail(r, debug=args.debug):
            warn(f"--- {r.provider.value} {r.workspace}: the last screen (redacted) ---")
            for tail_line in r.raw_tail.text.rstrip("\n").split("\n"):
                warn(tail_line)
            warn("---")
    say(f"overall: {result.status.value}")
