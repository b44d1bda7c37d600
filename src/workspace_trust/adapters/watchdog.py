"""The watchdog: kills one session's processes if the process that started
them dies first (SIGKILL, a crash, a hang-up it did not handle).

It runs as a process of its own, started by :mod:`containment` as
``python -I -S watchdog.py`` in a new session (out of reach of the terminal's
signals) with its standard input the read end of a pipe. Only the owner holds
the write end (close-on-exec, so no CLI inherits it), and writes lines:

    marker NAME=value    the environment entry every process of the session carries
    leader PID START     the session's first process (its group and session number)
                         and its start time (clock ticks since boot; 0 unknown)
    cgroup PATH          the session's own cgroup
    done                 the owner has killed the session itself: stand down (the
                         owner then kills the watchdog, which may still be starting)

End of input without ``done`` means the owner is gone: the watchdog kills the
session (TERM, then KILL passes, then the cgroup's ``cgroup.kill``), removes
the cgroup and exits. It never signals itself, and a pid number only while it
is shown to be the session's: carrying the marker, in the cgroup, or in the
leader's group or session while the leader number is unowned or still owned by
the leader (same start time).

Standard library only, and no import of the package: it starts in a few
milliseconds with ``-S`` and needs nothing on ``sys.path``.
"""

from __future__ import annotations

import os
import signal
import sys
import time

#: After SIGTERM, how long the session gets before SIGKILL (as the owner's kill).
TERM_GRACE_S = 0.3
KILL_PASSES = 5
#: How long an emptied cgroup may take to report itself unpopulated.
CGROUP_EMPTY_S = 2.0


class Orders:
    def __init__(self) -> None:
        self.marker: bytes | None = None
        self.leader: int | None = None
        self.leader_start = 0
        self.cgroup: str | None = None
        self.done = False

    def take(self, line: bytes) -> None:
        word, _, rest = line.strip().partition(b" ")
        if word == b"marker" and rest:
            self.marker = rest
        elif word == b"leader":
            pid, _, start = rest.partition(b" ")
            if pid.isdigit():
                self.leader = int(pid)
                self.leader_start = int(start) if start.isdigit() else 0
        elif word == b"cgroup" and rest:
            self.cgroup = os.fsdecode(rest)
        elif word == b"done":
            self.done = True


def _has_proc() -> bool:
    """A process table to read (Linux); macOS has none."""
    return os.path.isdir("/proc/self")


def _proc_is_ours() -> bool:
    try:
        return os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return False


def _stat(pid: str) -> tuple[int, int, int, str, int] | None:
    """(ppid, pgid, sid, state, start) of a pid, from /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[2]), int(fields[3]), fields[0], int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _has_marker(pid: str, marker: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return marker in handle.read().split(b"\x00")
    except OSError:
        return False


def _cgroup_pids(cgroup: str | None) -> set[int]:
    if cgroup is None:
        return set()
    try:
        with open(os.path.join(cgroup, "cgroup.procs"), encoding="ascii") as handle:
            return {int(line) for line in handle if line.strip().isdigit()}
    except OSError:
        return set()


def targets(orders: Orders) -> set[int]:
    """Every live process of the session that can be shown to be its."""
    found = _cgroup_pids(orders.cgroup)
    if _has_proc() and _proc_is_ours():
        table: dict[int, tuple[int, int, int, str, int]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            info = _stat(name)
            if info is None or info[3] == "Z":
                continue
            table[int(name)] = info
            if orders.marker is not None and _has_marker(name, orders.marker):
                found.add(int(name))
        leader = orders.leader
        if leader is not None:
            owner = _stat(str(leader))
            # The number is the leader's while it owns it (same start time), or,
            # once no process owns it, while its group or session has members.
            if owner is None or orders.leader_start in (0, owner[4]):
                found.update(pid for pid, info in table.items() if leader in (info[1], info[2]))
                if owner is not None and owner[3] != "Z":
                    found.add(leader)
                    children: dict[int, list[int]] = {}
                    for pid, info in table.items():
                        children.setdefault(info[0], []).append(pid)
                    stack = [leader]
                    while stack:
                        for child in children.get(stack.pop(), ()):
                            if child not in found:
                                found.add(child)
                                stack.append(child)
        found &= set(table)
    found.discard(os.getpid())
    return found


def _signal(orders: Orders, pids: set[int], sig: signal.Signals) -> None:
    leader = orders.leader
    if leader is not None and not _has_proc():
        # No /proc (macOS): the group by number, while it is shown to be the
        # session's: no process owns the number, or it leads its own session.
        try:
            owned = os.getsid(leader) == leader
        except ProcessLookupError:
            owned = True
        except OSError:
            owned = False
        if owned:
            try:
                os.killpg(leader, sig)
            except OSError:
                pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    info = _stat(str(pid))
    return info is not None and info[3] != "Z"


def _wait_gone(pids: set[int], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)


def kill_session(orders: Orders) -> None:
    if not _has_proc():
        # No process table (macOS): the leader's group by number, TERM then KILL.
        _signal(orders, set(), signal.SIGTERM)
        time.sleep(TERM_GRACE_S)
        _signal(orders, set(), signal.SIGKILL)
    else:
        pids = targets(orders)
        _signal(orders, pids, signal.SIGTERM)
        _wait_gone(pids, TERM_GRACE_S)
        for _ in range(KILL_PASSES):
            # Each pass signals only what is there now: a number listed
            # before may have been handed out again since.
            pids = targets(orders)
            if not pids:
                break
            _signal(orders, pids, signal.SIGKILL)
            _wait_gone(pids, 1.0)
    if orders.cgroup is not None:
        kill_cgroup(orders.cgroup)


def kill_cgroup(path: str) -> None:
    """Kill everything in the cgroup, wait for it to empty, and remove it."""
    try:
        with open(os.path.join(path, "cgroup.kill"), "w", encoding="ascii") as handle:
            handle.write("1")
    except OSError:
        pass
    deadline = time.monotonic() + CGROUP_EMPTY_S
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.01)


def main() -> int:
    for name in ("SIGHUP", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    orders = Orders()
    stream = sys.stdin.buffer
    while True:
        try:
            line = stream.readline()
        except OSError:
            line = b""
        if not line:
            break
        orders.take(line)
        if orders.done:
            return 0
    kill_session(orders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
