"""Reading the process table (Linux ``/proc``), for cleanup checks.

Used to find every process a provider session started, including ones that
left its process group, so that nothing is left running.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable

import attrs


@attrs.frozen(slots=True)
class ProcessInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    #: The controlling terminal's device number; 0 for none (a daemon).
    tty_nr: int = 0


def list_processes() -> tuple[ProcessInfo, ...]:
    """Every visible process. Empty where ``/proc`` is unavailable."""
    out: list[ProcessInfo] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return ()
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may itself contain ')'.
        rest = stat[stat.rfind(")") + 2 :].split()
        if len(rest) < 5:
            continue
        out.append(
            ProcessInfo(
                pid=int(name),
                ppid=int(rest[1]),
                pgid=int(rest[2]),
                sid=int(rest[3]),
                state=rest[0],
                tty_nr=int(rest[4]),
            )
        )
    return tuple(out)


def related_processes(root: int, table: Iterable[ProcessInfo] | None = None) -> tuple[int, ...]:
    """Live pids in ``root``'s process group or session, or descended from it."""
    procs = tuple(table) if table is not None else list_processes()
    children: dict[int, list[int]] = {}
    for proc in procs:
        children.setdefault(proc.ppid, []).append(proc.pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        pid = stack.pop()
        for child in children.get(pid, ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    for proc in procs:
        if root in (proc.pgid, proc.sid):
            found.add(proc.pid)
    found.discard(root)
    alive = {p.pid for p in procs if p.state != "Z"}
    return tuple(sorted(found & alive))


def under(path: str, prefix: str) -> bool:
    """``path`` is ``prefix`` or lies inside it, by whole path components
    (``/a/codex`` is not under ``/a/code``)."""
    base = prefix.rstrip(os.sep) or os.sep
    return path == base or path.startswith(base if base.endswith(os.sep) else base + os.sep)


def pids_with_path_prefix(prefix: str) -> tuple[int, ...]:
    """Live pids whose executable or a command-line argument is ``prefix`` or lies
    inside it (whole path components)."""
    out: list[int] = []
    for proc in list_processes():
        if proc.state == "Z":
            continue
        try:
            with open(f"/proc/{proc.pid}/cmdline", "rb") as handle:
                cmdline = handle.read().split(b"\x00")
        except OSError:
            continue
        args = [part.decode("utf-8", "replace") for part in cmdline if part]
        try:
            exe = os.readlink(f"/proc/{proc.pid}/exe")
        except OSError:
            exe = ""
        if any(under(arg, prefix) for arg in [exe, *args]):
            out.append(proc.pid)
    return tuple(out)


def signal_pids(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            continue


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"
