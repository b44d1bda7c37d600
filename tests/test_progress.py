"""The progress printer: [done/N] counts finished folders, lock waits say who
holds the lock, JSON events tie to their argument, and on a terminal each
folder's line is rewritten in place."""

from __future__ import annotations

import io
import json
import os

from tests.test_cli import FAKE, cli, seeded
from workspace_trust.cli.progress import ProgressPrinter
from workspace_trust.domain.codes import Provider, WorkspaceStatus
from workspace_trust.ports import LOCK_HELD_BY_ANOTHER_PROCESS, LOCK_HELD_BY_THIS_RUN
from workspace_trust.strategy import ProgressEvent, ProgressStage

A, B = "/ws/a", "/ws/b"
FOLDERS = {("claude", A): A, ("claude", B): B}


def _printer(mode: str, *, live: bool = False) -> tuple[ProgressPrinter, io.StringIO]:
    out = io.StringIO()
    ticks = iter(range(0, 10_000, 250))
    printer = ProgressPrinter(
        mode=mode,
        folders=FOLDERS,
        stream=lambda: out,
        inputs=[("a", A), ("./b", B), ("a/", A)],
        live=live,
        clock=lambda: next(ticks) / 1000,
    )
    return printer, out


def _event(workspace: str, stage: ProgressStage, **kw: object) -> ProgressEvent:
    return ProgressEvent(Provider.CLAUDE, workspace, stage, **kw)  # type: ignore[arg-type]


def test_a_lock_wait_says_who_holds_it() -> None:
    printer, out = _printer("text")
    printer(_event(B, ProgressStage.STARTED))
    printer(_event(B, ProgressStage.WAITING_FOR_LOCK, detail=LOCK_HELD_BY_THIS_RUN, holder=A, elapsed_ms=0))
    printer(_event(B, ProgressStage.WAITING_FOR_LOCK, detail=LOCK_HELD_BY_THIS_RUN, holder=A, elapsed_ms=1000))
    printer(_event(B, ProgressStage.WAITING_FOR_LOCK, detail=LOCK_HELD_BY_ANOTHER_PROCESS, elapsed_ms=2000))
    assert out.getvalue().splitlines()[1:] == [
        f"workspace-trust: [0/2] claude {B}: waiting for a lock held by this run's {A}",
        f"workspace-trust: [0/2] claude {B}: waiting for a lock held by this run's {A}, 1.0 s",
        f"workspace-trust: [0/2] claude {B}: waiting for a lock held by another process, 2.0 s",
    ]


def test_json_events_carry_the_argument_and_a_time() -> None:
    printer, out = _printer("json")
    printer(_event(A, ProgressStage.STARTED))
    printer(_event(B, ProgressStage.STARTED))
    printer(_event(A, ProgressStage.FINISHED, status=WorkspaceStatus.ACCEPTED))
    printer(_event(B, ProgressStage.WAITING_FOR_LOCK, detail=LOCK_HELD_BY_THIS_RUN, holder=A, elapsed_ms=40))
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    # The first argument naming each folder, with its index among the arguments.
    assert [(e["input"], e["arg_index"]) for e in events] == [("a", 0), ("./b", 1), ("a", 0), ("./b", 1)]
    assert [e["done"] for e in events] == [0, 0, 1, 1]
    assert [e["elapsed_ms"] for e in events] == [0, 0, 500, 40]
    assert events[-1]["holder"] == A


def test_on_a_terminal_each_folder_has_one_line_rewritten_in_place() -> None:
    printer, out = _printer("text", live=True)
    printer(_event(A, ProgressStage.STARTED))
    printer(_event(B, ProgressStage.STARTED))
    printer(_event(A, ProgressStage.FINISHED, status=WorkspaceStatus.ACCEPTED))
    text = out.getvalue()
    # The block is redrawn over itself: cursor up over the lines drawn before.
    assert text.count("\x1b[1F") == 1 and text.count("\x1b[2F") == 1
    screen = text.rsplit("\x1b[2F", 1)[1]
    assert [line.replace("\r\x1b[2K", "") for line in screen.split("\n")[:-1]] == [
        f"workspace-trust: [1/2] claude {A}: finished accepted",
        f"workspace-trust: [1/2] claude {B}: started",
    ]


def test_a_second_folder_in_one_home_waits_for_the_first_and_says_so(sandbox: str) -> None:
    """Two folders whose CLI writes one state file run one at a time: the one
    that waits says it waits for this run's other folder."""
    home, ws = seeded(sandbox, "FAKE_DELAY_MS=1500\n")
    other = os.path.join(sandbox, "other")
    os.makedirs(other)
    proc = cli(["preflight", ws, other, "--claude-bin", FAKE, "--parallel", "2"], home)
    assert proc.returncode == 0, proc.stderr
    waits = [line for line in proc.stderr.splitlines() if "waiting for a lock" in line]
    assert waits, proc.stderr
    assert all("held by this run's " in line for line in waits), waits
    first = waits[0]
    waiter, holder = (other, ws) if f"claude {other}:" in first else (ws, other)
    # The first report comes as the wait starts (its time, if any, is a few ms).
    assert f"held by this run's {holder}" in first and f"claude {waiter}:" in first
