"""Reading the process table (Linux ``/proc``), for cleanup checks.

Used to find every process a provider session started, including ones that
left its process group, so that nothing is left running.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
from collections.abc import Iterable

import attrs

log = logging.getLogger(__name__)


@attrs.frozen(slots=True)
class ProcessInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    #: The controlling terminal's device number; 0 for none (a daemon).
    tty_nr: int = 0


@functools.cache
def _warn_foreign_proc() -> None:
    log.warning("/proc is not this pid namespace's: the process table is not read")


def proc_is_ours() -> bool:
    """``/proc`` is mounted for this process's own pid namespace.

    In a namespace made without its own ``/proc`` (``unshare -pf`` without
    ``--mount-proc``), ``/proc`` shows another namespace's numbers: signalling
    one of them would reach a different process here.
    """
    try:
        return os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return False


def list_processes() -> tuple[ProcessInfo, ...]:
    """Every visible process. Empty where ``/proc`` is unavailable or belongs to
    another pid namespace (see :func:`proc_is_ours`)."""
    out: list[ProcessInfo] = []
    if not os.path.isdir("/proc/self"):
        return ()  # no /proc at all (macOS, Windows): nothing to read
    if not proc_is_ours():
        _warn_foreign_proc()
        return ()
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
    (``/a/coder`` is not under ``/a/code``)."""
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


def pids_with_environ_entry(entry: bytes, table: Iterable[ProcessInfo] | None = None) -> tuple[int, ...]:
    """Live pids whose initial environment holds ``entry`` (``NAME=value``)
    exactly. Processes whose environment cannot be read (another user's) are
    not listed."""
    procs = tuple(table) if table is not None else list_processes()
    out: list[int] = []
    for proc in procs:
        if proc.state == "Z":
            continue
        try:
            with open(f"/proc/{proc.pid}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:
            continue
        if entry in environ.split(b"\x00"):
            out.append(proc.pid)
    return tuple(out)


def signal_pids(pids: Iterable[int], sig: signal.Signals) -> int:
    """Send ``sig`` to each pid; how many were signalled (gone ones are skipped)."""
    sent = 0
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            continue
        sent += 1
    return sent


def start_time(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (``/proc/<pid>/stat``);
    None when it is gone, a zombie, or unreadable. With the pid, it names one
    process: a number handed out again comes with another start time."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if len(fields) < 20 or fields[0] == "Z":
        return None
    try:
        return int(fields[19])
    except ValueError:
        return None


@functools.cache
def pid_namespace() -> int:
    """The inode of this process's pid namespace; 0 where unknown."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def owner_tag() -> str:
    """``<pid>-<start>-<pidns>``: this process, named so that a later run can
    tell whether it is still alive (:func:`owner_gone`); 0 for what is unknown."""
    pid = os.getpid()
    if not os.path.isdir("/proc/self"):
        return f"{pid}-0-0"
    start = start_time(pid) if proc_is_ours() else None
    return f"{pid}-{start or 0}-{pid_namespace()}"


def owner_gone(pid: int, start: int, namespace: int) -> bool:
    """The process an :func:`owner_tag` names has ended. True only when that
    can be told: its pid namespace is ours and its number is free, or belongs
    to a process with another start time. Where there is no ``/proc`` (macOS),
    only a number that no process holds counts."""
    if os.path.isdir("/proc/self"):
        if not proc_is_ours() or not pid_namespace() or namespace != pid_namespace():
            return False  # another namespace's numbers mean nothing here
        now = start_time(pid)
        return now is None or start not in (0, now)  # 0: the owner could not tell its start
    if namespace != 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


def lineage(pid: int, table: Iterable[ProcessInfo]) -> frozenset[int]:
    """``pid`` and its ancestors."""
    parents = {p.pid: p.ppid for p in table}
    out: set[int] = set()
    while pid > 0 and pid not in out:
        out.add(pid)
        pid = parents.get(pid, 0)
    return frozenset(out)
