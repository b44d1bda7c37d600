"""What holds a session's processes beyond its process group and beyond this
process's own life.

* **The marker.** Every child gets a fresh random ``WORKSPACE_TRUST_SESSION``
  in its environment; every process it starts inherits it, daemons included,
  unless one drops it (``env -u``, ``env -i``, sudo).
* **A cgroup of its own** (Linux, cgroup v2, where this user may make a child
  of its own cgroup: root, or a delegated subtree). The child joins it before
  it execs the CLI (``/bin/sh`` writes its own pid to ``cgroup.procs``, then
  ``exec``s), so nothing the CLI starts leaves it, whatever it does to its
  session, parent or environment, short of moving itself to another cgroup
  (which takes write access to cgroup files: root's). ``cgroup.kill`` ends them all, and the cgroup
  is removed afterwards. Where no such cgroup can be made, nothing changes:
  the marker and the process group remain.
* **The watchdog** (:mod:`watchdog`): a small process holding a pipe from
  this one. If this process dies before it has killed the session itself
  (SIGKILL, a crash), the pipe closes and the watchdog kills the session's
  group, its marked processes and its cgroup.

Nothing here moves or signals a process that is not the session's: the cgroup
is new and empty, only the session's own first process moves itself into it,
and it is a child of this process's own cgroup.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from workspace_trust.adapters.processes import owner_gone, owner_tag, start_time

log = logging.getLogger(__name__)

#: Set, with a fresh random value, in every child's environment. Every process
#: the child starts inherits it, including daemons that leave its process group
#: and session, so the kill can find them all, and only them.
SESSION_ENV = "WORKSPACE_TRUST_SESSION"
#: The watchdog's program, run by file name so that it needs nothing on sys.path.
WATCHDOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "watchdog.py")
#: The shell that moves the session's first process into its cgroup and execs the CLI.
SHELL = "/bin/sh"
#: ``$1`` is the cgroup's ``cgroup.procs``; a failed write leaves the process
#: where it is (the session then runs as it would without a cgroup).
_JOIN = '{ echo $$ > "$1"; } 2>/dev/null; shift; exec "$@"'
#: How long an emptied cgroup may take to report itself unpopulated.
CGROUP_EMPTY_MS = 2000
#: How long a killed watchdog may take to end.
WATCHDOG_EXIT_S = 2.0

_WATCHDOG_ENV = ("PATH", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "SYSTEMROOT")
_OCTAL = re.compile(r"\\([0-7]{3})")
_PYTHON = re.compile(r"(python|pypy)[0-9.]*(\.exe)?", re.IGNORECASE)


def _unescape(field: str) -> str:
    """A /proc/self/mountinfo path field (space, tab, newline and backslash
    are written as octal escapes)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def cgroup_parent(self_cgroup: str | None = None, mountinfo: str | None = None) -> str | None:
    """The folder of this process's own cgroup v2 when this user may make a
    child cgroup in it and move a process into it; else None. The two texts
    default to ``/proc/self/cgroup`` and ``/proc/self/mountinfo``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        if self_cgroup is None:
            with open("/proc/self/cgroup", encoding="utf-8") as handle:
                self_cgroup = handle.read()
        if mountinfo is None:
            with open("/proc/self/mountinfo", encoding="utf-8") as handle:
                mountinfo = handle.read()
    except OSError:
        return None
    own = next((line[3:] for line in self_cgroup.splitlines() if line.startswith("0::")), None)
    if own is None or not own.startswith("/"):
        return None
    for line in mountinfo.splitlines():
        pre, sep, post = line.partition(" - ")
        fields = pre.split()
        if not sep or len(fields) < 5 or post.split()[:1] != ["cgroup2"]:
            continue
        root, mountpoint = _unescape(fields[3]), _unescape(fields[4])
        if own == root:
            relative = ""
        elif own.startswith(root.rstrip("/") + "/"):
            relative = own[len(root.rstrip("/")) :]
        else:
            continue  # our cgroup is outside what this mount shows
        folder = os.path.normpath(mountpoint + relative)
        procs = os.path.join(folder, "cgroup.procs")
        if os.path.isfile(procs) and os.access(folder, os.W_OK) and os.access(procs, os.W_OK):
            return folder
    return None


def _can_exec_directly(binary: str) -> bool:
    """The kernel itself will execute the file: a ``#!`` line naming an
    executable interpreter, or an ELF file for this machine (as ``/bin/sh``
    is). Anything else is started as before, without the shell in front, so
    that a failed exec is still reported as one (``provider_binary_missing``)
    instead of the shell's exit status, or the shell running it as a script."""
    if not os.path.isabs(binary):
        return False
    head = _head(binary)
    if head.startswith(b"#!"):
        words = head[2:].split(b"\n", 1)[0].split()
        interpreter = os.fsdecode(words[0]) if words else ""
        return os.path.isabs(interpreter) and os.path.isfile(interpreter) and os.access(interpreter, os.X_OK)
    return bool(_ELF_KIND) and _elf_kind(head) == _ELF_KIND


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(256)
    except OSError:
        return b""


def _elf_kind(head: bytes) -> bytes:
    """ELF class, byte order and machine; nothing for a file that is not ELF."""
    return head[4:6] + head[18:20] if head.startswith(b"\x7fELF") and len(head) >= 20 else b""


#: This system's, as its shell has them.
_ELF_KIND = _elf_kind(_head(SHELL))


#: A session cgroup's name: ``workspace-trust-<owner tag>-<marker>``.
_CGROUP_NAME = re.compile(r"workspace-trust-(\d+)-(\d+)-(\d+)-[0-9a-f]{32}")


def sweep_stale_cgroups(parent: str) -> tuple[str, ...]:
    """Kill and remove the session cgroups in ``parent`` whose owner run is
    gone (see :func:`processes.owner_gone`); only this user's. Such a cgroup is
    left when both the run and its watchdog were killed. The paths removed."""
    try:
        names = os.listdir(parent)
    except OSError:
        return ()
    uid = os.geteuid()
    removed: list[str] = []
    for name in names:
        found = _CGROUP_NAME.fullmatch(name)
        if found is None or not owner_gone(*(int(part) for part in found.groups())):
            continue
        stale = SessionCgroup(os.path.join(parent, name))
        try:
            if os.lstat(stale.path).st_uid != uid:
                continue
        except OSError:
            continue
        if stale.pids():
            log.warning("killing what a run that is gone left in its cgroup %s", name)
        stale.kill()
        if stale.remove():
            removed.append(stale.path)
    return tuple(removed)


class SessionCgroup:
    """One session's own cgroup, a child of this process's cgroup."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def create(cls, marker: str) -> SessionCgroup | None:
        parent = cgroup_parent()
        if parent is None:
            return None
        sweep_stale_cgroups(parent)
        path = os.path.join(parent, f"workspace-trust-{owner_tag()}-{marker}")
        try:
            os.mkdir(path)
        except OSError as exc:
            log.debug("no cgroup for the session: %s", exc.strerror)
            return None
        if not os.path.isfile(os.path.join(path, "cgroup.kill")):
            # Before Linux 5.14: no way to kill a cgroup at once.
            cls(path).remove()
            return None
        return cls(path)

    def join_argv(self, argv: Sequence[str]) -> list[str]:
        return [SHELL, "-c", _JOIN, "workspace-trust", os.path.join(self.path, "cgroup.procs"), *argv]

    def pids(self) -> set[int]:
        try:
            with open(os.path.join(self.path, "cgroup.procs"), encoding="ascii") as handle:
                return {int(line) for line in handle if line.strip().isdigit()}
        except OSError:
            return set()

    def kill(self) -> None:
        """SIGKILL to everything in the cgroup, then wait for it to empty."""
        try:
            with open(os.path.join(self.path, "cgroup.kill"), "w", encoding="ascii") as handle:
                handle.write("1")
        except OSError:
            return
        deadline = time.monotonic() + CGROUP_EMPTY_MS / 1000
        while self._populated() and time.monotonic() < deadline:
            time.sleep(0.005)

    def _populated(self) -> bool:
        try:
            with open(os.path.join(self.path, "cgroup.events"), encoding="ascii") as handle:
                return "populated 1" in handle.read()
        except OSError:
            return False

    def remove(self) -> bool:
        try:
            os.rmdir(self.path)
        except FileNotFoundError:
            return True
        except OSError as exc:
            log.warning("cannot remove the session's cgroup %s: %s", self.path, exc.strerror)
            return False
        return True


class Watchdog:
    """The owner's end of a running :mod:`watchdog` process."""

    def __init__(self, proc: subprocess.Popen[bytes], pipe: int) -> None:
        self._proc = proc
        self._pipe: int | None = pipe

    @classmethod
    def start(cls) -> Watchdog | None:
        executable = sys.executable
        if not executable or not _PYTHON.fullmatch(os.path.basename(executable)) or not os.path.isfile(WATCHDOG):
            # An embedding host's sys.executable is not a Python to run it with.
            return None
        read_end, write_end = os.pipe()  # both close-on-exec: no CLI inherits them
        try:
            proc = subprocess.Popen(
                [executable, "-I", "-S", WATCHDOG],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
                # Nothing of the host's environment but what the interpreter may
                # need to start: the watchdog reads none of it.
                env={name: os.environ[name] for name in _WATCHDOG_ENV if name in os.environ},
                start_new_session=True,
            )
        except OSError as exc:
            os.close(write_end)
            log.debug("no watchdog: %s", exc.strerror)
            return None
        finally:
            os.close(read_end)
        return cls(proc, write_end)

    def tell(self, line: bytes) -> None:
        if self._pipe is None:
            return
        try:
            os.write(self._pipe, line + b"\n")
        except OSError:
            log.debug("the watchdog is gone")

    def stand_down(self) -> None:
        """The session is dead: the watchdog ends without touching anything.

        It is killed rather than waited for (it may still be starting, and a
        loaded machine can take a while to start a Python), and only then is
        the pipe closed, so that it never reads the end of it as our death.
        It is our own child, not yet reaped: its number is still its own."""
        if self._pipe is None:
            return
        self.tell(b"done")
        self._proc.kill()
        try:
            self._proc.wait(timeout=WATCHDOG_EXIT_S)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (uninterruptible sleep)
            log.warning("the watchdog did not end")
        os.close(self._pipe)
        self._pipe = None


class Containment:
    """The cgroup (if any) and the watchdog (if any) of one session."""

    def __init__(self, marker: bytes, cgroup: SessionCgroup | None, watchdog: Watchdog | None) -> None:
        self.marker = marker
        self.cgroup = cgroup
        self._watchdog = watchdog
        self._lock = threading.Lock()
        self._released = False

    @classmethod
    def start(cls, marker: str, binary: str) -> Containment:
        """For a session whose marker value is ``marker`` and whose command
        starts with ``binary`` (an absolute path)."""
        entry = f"{SESSION_ENV}={marker}".encode()
        cgroup = SessionCgroup.create(marker) if _can_exec_directly(binary) else None
        watchdog = Watchdog.start()
        if watchdog is not None:
            watchdog.tell(b"marker " + entry)
            if cgroup is not None:
                watchdog.tell(b"cgroup " + os.fsencode(cgroup.path))
        return cls(entry, cgroup, watchdog)

    def argv(self, argv: Sequence[str]) -> list[str]:
        """The command to start: in the session's cgroup where there is one."""
        return self.cgroup.join_argv(argv) if self.cgroup is not None else list(argv)

    def attach(self, pid: int) -> None:
        """The session's first process has started."""
        if self._watchdog is not None:
            self._watchdog.tell(f"leader {pid} {start_time(pid) or 0}".encode())

    def pids(self) -> set[int]:
        """Every process in the session's cgroup (none without one)."""
        return self.cgroup.pids() if self.cgroup is not None else set()

    def kill_cgroup(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill()

    def release(self) -> None:
        """After the session is dead: remove its cgroup, stand the watchdog down.
        Idempotent, from any thread."""
        with self._lock:
            if self._released:
                return
            self._released = True
        if self.cgroup is not None:
            self.cgroup.remove()
        if self._watchdog is not None:
            self._watchdog.stand_down()
