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


def reaped_leader_members(root: int, table: Iterable[ProcessInfo] | None = None) -> tuple[int, ...]:
    """Live pids still in the group or session of ``root``, a session leader that
    has already been reaped.

    The kernel holds a pid number while a group or session of that number has
    a member, so a member found here is ours. If a process owns the number
    itself, the number was free and handed out again: ours are all gone, and
    the new owner and its family are a stranger's, so nothing is returned.
    Children are not walked: a reaped leader's children were re-parented, and
    ``root``'s children now would be the new owner's.
    """
    procs = tuple(table) if table is not None else list_processes()
    if any(p.pid == root for p in procs):
        return ()
    return tuple(sorted(p.pid for p in procs if root in (p.pgid, p.sid) and p.state != "Z"))


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


@attrs.frozen(slots=True)
class TableSnapshot:
    """What ran before a provider session started: the pids of interest and
    every session id in the table. A session id is a pid the kernel does not
    hand out again while the session has a member, so a session that is not in
    ``sessions`` was created after the snapshot."""

    pids: frozenset[int]
    sessions: frozenset[int]


def take_snapshot(pids: Iterable[int], table: Iterable[ProcessInfo] | None = None) -> TableSnapshot:
    procs = tuple(table) if table is not None else list_processes()
    return TableSnapshot(pids=frozenset(pids), sessions=frozenset(p.sid for p in procs))


def lineage(pid: int, table: Iterable[ProcessInfo]) -> frozenset[int]:
    """``pid`` and its ancestors."""
    parents = {p.pid: p.ppid for p in table}
    out: set[int] = set()
    while pid > 0 and pid not in out:
        out.add(pid)
        pid = parents.get(pid, 0)
    return frozenset(out)


def daemon_sessions_since(
    before: TableSnapshot, candidates: Iterable[int], table: Iterable[ProcessInfo], protected: frozenset[int]
) -> tuple[int, ...]:
    """The pids to kill for daemons that appeared since ``before``.

    A daemon is a candidate that is new, has no terminal, and leads a session
    created since ``before`` (or is left in such a session after a double fork,
    its leader gone). Its whole session goes with it. A session that existed
    before, such as the caller's own, never qualifies, even when its leader is
    gone and nothing in it has a terminal (a CI job, a service); nor does any
    pid in ``protected``, nor a session one of them is in.
    """
    procs = tuple(table)
    by_pid = {p.pid: p for p in procs}
    protected_sessions = {by_pid[pid].sid for pid in protected if pid in by_pid}
    daemons: list[int] = []
    for pid in sorted(set(candidates) - before.pids):
        info = by_pid.get(pid)
        if info is None or info.tty_nr != 0 or info.state == "Z":
            continue
        if info.sid in before.sessions or info.sid in protected_sessions:
            continue
        if info.sid == pid or info.sid not in by_pid:
            daemons.append(pid)
    sessions = {by_pid[pid].sid for pid in daemons}
    members = {p.pid for p in procs if p.sid in sessions and p.state != "Z"}
    return tuple(sorted((set(daemons) | members) - protected))
