"""The suite's own leak check: processes in sessions made during a test.

Not library code: the library finds what its sessions started by the marker
each child carries (``pty_process.SESSION_ENV``); processes the tests start
themselves carry none, so the check after every test goes by sessions.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from workspace_trust.adapters.processes import ProcessInfo, list_processes


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
