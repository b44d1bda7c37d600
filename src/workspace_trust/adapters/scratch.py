"""Per-session scratch folders (a provider's files for one launch, such as an
empty MCP config), and the sweep of
those a killed run left behind.

A run removes its folder on every path it lives through; SIGKILL (or a
SIGHUP before it was handled) leaves it. So each folder's name carries its
owner: ``workspace-trust-scratch-<pid>-<start>-<pidns>-<random>``, where
``start`` is the process's start time in clock ticks since boot (from
``/proc/<pid>/stat``; 0 where unknown) and ``pidns`` the inode of its pid
namespace (0 where unknown). Before making its own folder, a run removes the
folders of runs that are gone: named so exactly, a real folder (not a link),
owned by this user, made in this pid namespace, and whose owner's pid is no
longer alive, or is alive with another start time (the number was handed out
again). A folder whose owner cannot be judged is kept: a pid namespace whose
``/proc`` is not ours, or an owner pid that exists where start times are not
known (macOS).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import tempfile

from workspace_trust.adapters.processes import owner_gone, owner_tag
from workspace_trust.ports import ScratchSpace

log = logging.getLogger(__name__)

SCRATCH_PREFIX = "workspace-trust-scratch-"
_NAME = re.compile(re.escape(SCRATCH_PREFIX) + r"(\d+)-(\d+)-(\d+)-[A-Za-z0-9_]+")


def sweep_stale(base: str) -> tuple[str, ...]:
    """Remove the scratch folders in ``base`` whose runs are gone (see the
    module's notes); the paths removed."""
    try:
        names = os.listdir(base)
    except OSError:
        return ()
    uid = os.geteuid()
    removed: list[str] = []
    for name in names:
        found = _NAME.fullmatch(name)
        if found is None:
            continue
        pid, start, ns = (int(part) for part in found.groups())
        if not owner_gone(pid, start, ns):
            continue  # alive, or it cannot be told
        path = os.path.join(base, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            log.debug("removed the scratch folder of a run that is gone: %s", name)
            removed.append(path)
    return tuple(removed)


def make_scratch_dir(temp_dir: str | None) -> str:
    """A fresh private folder for one session, in ``temp_dir`` (None: the
    system temp folder), after sweeping that folder of stale ones."""
    sweep_stale(temp_dir if temp_dir is not None else tempfile.gettempdir())
    return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{owner_tag()}-", dir=temp_dir)


class LocalScratchSpace(ScratchSpace):
    """The :class:`ScratchSpace` port: private folders under ``temp_dir`` (None:
    the system temp folder), swept of stale ones before each is made."""

    def __init__(self, temp_dir: str | None = None) -> None:
        self._temp_dir = temp_dir

    def make(self) -> str:
        return make_scratch_dir(self._temp_dir)

    def write(self, folder: str, name: str, data: bytes) -> str:
        path = os.path.join(folder, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path

    def remove(self, folder: str) -> None:
        shutil.rmtree(folder, ignore_errors=True)
