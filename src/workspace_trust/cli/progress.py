"""Progress on stderr (``preflight``): one line per event, each with its
``[i/N]`` counter and the folder; ``--progress json`` writes one JSON object
per line instead (for hosts that show their own progress; the object is
built in :mod:`workspace_trust.documents`), ``--quiet`` nothing. Nothing here
writes to stdout.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from workspace_trust import wire
from workspace_trust.documents import progress_event
from workspace_trust.ports import LOCK_HELD_BY_THIS_RUN
from workspace_trust.strategy import ProgressEvent, ProgressStage

#: More folders than this are reported line by line even on a terminal (the
#: block would not fit a screen).
LIVE_MAX_FOLDERS = 20

#: How a heartbeat's ``detail`` reads in text.
_AWAITED = {
    "the_dialog": "the trust dialog",
    "the_cli_version": "the CLI's --version",
    "the_cli_help": "the CLI's --help",
    "the_screen": "the screen to change",
    "unrecognised_screen": "a screen a rule recognises",
    "dialog_settling": "the dialog to settle",
    "target_option_not_found": "the trust option to appear",
    "target_option_ambiguous": "one trust option",
    "cursor_not_found": "the cursor",
    "awaiting_key_echo": "the key to show on screen",
    "confirming_cursor": "the cursor on the trust option",
    "confirmed_waiting": "the confirmed choice",
    "observing": "the screen",
    "awaiting_success": "the state file to record trust",
}


class ProgressPrinter:
    """Renders :class:`ProgressEvent` s on ``stream``; thread-safe (a
    preflight runs several workspaces at once).

    ``[done/N]`` counts the folders finished so far, out of all of them. On a
    terminal (``live``) each folder has one line, rewritten in place as its
    phase changes; elsewhere every event is a line of its own. ``json`` writes
    one object per event, with the row's first ``input`` and its argument
    index, so that a host ties it to its request without canonicalising paths.
    """

    def __init__(
        self,
        *,
        mode: str,
        folders: Mapping[tuple[str, str], str],
        stream: Callable[[], TextIO] = lambda: sys.stderr,
        write: Callable[[TextIO, str], None] | None = None,
        inputs: Sequence[tuple[str, str]] = (),
        live: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._mode = mode
        #: (provider, workspace id) -> the folder as the user will recognise it.
        self._folders = dict(folders)
        self._total = len(self._folders)
        self._stream = stream
        self._write = write or _plain_write
        self._lock = threading.Lock()
        self._index: dict[tuple[str, str], int] = {}
        self._done: set[tuple[str, str]] = set()
        #: Workspace id -> (the first argument naming it, that argument's index).
        self._inputs: dict[str, tuple[str, int]] = {}
        for position, (given, workspace_id) in enumerate(inputs):
            self._inputs.setdefault(workspace_id, (given, position))
        self._clock = clock
        self._started: dict[tuple[str, str], float] = {}
        # One line per folder, rewritten in place: only where the folders fit.
        self._live = live and mode == "text" and 0 < self._total <= LIVE_MAX_FOLDERS
        self._lines: dict[tuple[str, str], str] = {}
        self._drawn = 0

    def __call__(self, event: ProgressEvent) -> None:
        if self._mode == "none":
            return
        key = (event.provider.value, event.workspace_id)
        with self._lock:
            if key not in self._index:
                self._index[key] = len(self._index) + 1
            now = self._clock()
            started = self._started.setdefault(key, now)
            if event.stage is ProgressStage.FINISHED:
                self._done.add(key)
            index = self._index[key]
            total = max(self._total, len(self._index))
            done = len(self._done)
            folder = self._folders.get(key, event.workspace_id)
            if self._mode == "json":
                given, position = self._inputs.get(event.workspace_id, (None, None))
                own = event.elapsed_ms
                line = wire.dumps(
                    progress_event(
                        event,
                        index=index,
                        done=done,
                        total=total,
                        workspace=folder,
                        given=given,
                        position=position,
                        holder=self._folders.get((key[0], event.holder), event.holder) if event.holder else None,
                        elapsed_ms=own if own is not None else int((now - started) * 1000),
                    )
                )
                self._write(self._stream(), line + "\n")
                return
            text = f"{event.provider.value} {folder}: {self._describe(event)}"
            if not self._live:
                # A byte that is not UTF-8 shows as ``\xNN``, as on stdout.
                self._write(self._stream(), wire.display(f"workspace-trust: [{done}/{total}] {text}") + "\n")
                return
            self._lines[key] = text
            self._redraw(done, total)

    def _redraw(self, done: int, total: int) -> None:
        """The block of folder lines again, over the one drawn before:
        cursor up over it, then each line cleared and written."""
        rows = [f"workspace-trust: [{done}/{total}] {line}" for line in self._lines.values()]
        out = [f"\x1b[{self._drawn}F"] if self._drawn else []
        out += [f"\r\x1b[2K{wire.display(row)}\n" for row in rows]
        self._drawn = len(rows)
        self._write(self._stream(), "".join(out))

    def _describe(self, event: ProgressEvent) -> str:
        if event.stage is ProgressStage.WAITING_FOR_LOCK:
            seconds = f", {(event.elapsed_ms or 0) / 1000:.1f} s" if event.elapsed_ms else ""
            if event.detail == LOCK_HELD_BY_THIS_RUN:
                other = self._folders.get((event.provider.value, event.holder or ""), event.holder)
                who = f"this run's {other}" if other else "this run's other folder"
            elif event.detail:
                who = "another process"
            else:
                return "waiting for a lock"
            return f"waiting for a lock held by {who}{seconds}"
        return _describe(event)


def _describe(event: ProgressEvent) -> str:
    if event.stage is ProgressStage.WAITING:
        awaited = _AWAITED.get(event.detail, event.detail.replace("_", " "))
        seconds = (event.elapsed_ms or 0) / 1000
        return f"waiting for {awaited}, {seconds:.1f} s"
    if event.stage is ProgressStage.DIALOG:
        return f"dialog recognised ({event.detail})"
    if event.stage is ProgressStage.KEY:
        return f"key sent ({event.detail})"
    status = f" {event.status.value}" if event.status else ""
    detail = f" ({event.detail})" if event.detail else ""
    return f"{event.stage.value}{status}{detail}"


def _plain_write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()
