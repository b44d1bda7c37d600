"""File-system facts for workspace paths (realpath, home, git root)."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping

if sys.platform != "win32":
    import pwd

from workspace_trust.adapters.statefile import StateFileError, open_state_file
from workspace_trust.domain.paths import HostOs, NotPersistableReason, PathFacts, env_home, expand_home
from workspace_trust.ports import FileSystemFacts, FolderIdentity

#: Git roots are searched at most this many levels up.
MAX_GIT_DEPTH = 64


class LocalFileSystemFacts(FileSystemFacts):
    def __init__(self, host: HostOs | None = None) -> None:
        self._host = host or HostOs.this_machine()
        # Read once, here, so that the pure plan stage can guard it too.
        self._account_homes = account_homes()

    @property
    def host(self) -> HostOs:
        return self._host

    def account_homes(self) -> tuple[str, ...]:
        return self._account_homes

    def folder_identity(self, path: str) -> FolderIdentity | None:
        try:
            found = os.stat(path)
        except (OSError, ValueError):
            return None
        if not stat.S_ISDIR(found.st_mode):
            return None
        return FolderIdentity(found.st_dev, found.st_ino)

    def working_folder(self, pid: int) -> FolderIdentity | None:
        """Linux: ``/proc/<pid>/cwd``. macOS: the kernel's own record of the
        process's working folder (``proc_pidinfo``, ``PROC_PIDVNODEPATHINFO``).
        Elsewhere, or when the system does not say: None."""
        if sys.platform == "darwin":
            return _darwin_working_folder(pid)
        try:
            found = os.stat(f"/proc/{pid}/cwd")
        except (OSError, ValueError):
            return None
        return FolderIdentity(found.st_dev, found.st_ino)

    def owned_by_this_account(self, path: str) -> bool | None:
        getuid = getattr(os, "getuid", None)
        if getuid is None:
            return None
        try:
            owner: int = os.stat(path).st_uid
            mine: int = getuid()
        except (OSError, ValueError):
            return None
        return owner == mine

    def gather(self, path: str, *, env: Mapping[str, str] | None = None) -> PathFacts:
        """Facts about ``path``. Raises ValueError for a path that names no folder
        by itself: empty, relative (it would silently mean this process's current
        folder), or ``~`` with no HOME in ``env``. ``~`` is the home of ``env``,
        the same home the guard compares with, never this process's."""
        env = os.environ if env is None else env
        home = env_home(env)
        expanded = expand_home(path, env)
        if not expanded or not os.path.isabs(expanded):
            raise ValueError("workspace path must be absolute")
        absolute = os.path.abspath(expanded)
        try:
            real = os.path.realpath(absolute, strict=False)
            if ".." in expanded.replace("\\", "/").split("/"):
                # ``abspath`` drops ``x/..`` as text; the system resolves ``x``
                # first, so after a link ``..`` is the parent of its target:
                # ``/t/link/../b`` is ``/t/real/b`` to the CLI and the host,
                # not ``/t/b``. The folder the system means is the one used.
                meant = os.path.realpath(expanded, strict=False)
                if meant != real:
                    absolute = real = meant
        except (OSError, ValueError):
            real = absolute
        real_home = None
        if home:
            try:
                real_home = os.path.realpath(home)
            except (OSError, ValueError):
                real_home = None
        exists, is_dir = _kind(expanded, real)
        git_root, main_root = find_git_roots(real) if is_dir else (None, None)
        account = self.account_homes()
        mounts = _MountTypes()
        folder_reason = folder_kind(real, mounts) or (folder_kind(absolute, mounts) if absolute != real else None)
        repository_reason = None
        for root in (git_root, main_root):
            if root and repository_reason is None:
                repository_reason = folder_kind(root, mounts)
        return PathFacts(
            absolute=absolute,
            real=real,
            home=home,
            real_home=real_home,
            account_home=account[-1] if account else None,
            account_home_raw=account[0] if account else None,
            exists=exists,
            is_dir=is_dir,
            git_root=git_root,
            worktree_main_root=main_root,
            folder_reason=folder_reason,
            repository_folder_reason=repository_reason,
        )


#: File system types that are no place for a project (Linux names, as
#: /proc/self/mountinfo gives them): kernel interfaces and device nodes.
PSEUDO_FS_TYPES = frozenset(
    {
        "autofs",
        "binfmt_misc",
        "bpf",
        "cgroup",
        "cgroup2",
        "configfs",
        "debugfs",
        "devpts",
        "devtmpfs",
        "efivarfs",
        "fusectl",
        "hugetlbfs",
        "mqueue",
        "nsfs",
        "proc",
        "pstore",
        "rpc_pipefs",
        "securityfs",
        "selinuxfs",
        "sysfs",
        "tracefs",
    }
)
#: The most of /proc/self/mountinfo read (a few KiB on a usual machine).
MOUNTINFO_LIMIT = 4 * 1024 * 1024


class _MountTypes:
    """The file system type of each mounted device (``major:minor``), from
    /proc/self/mountinfo, read once when first asked; empty where there is
    none (macOS, Windows, no /proc)."""

    def __init__(self) -> None:
        self._types: dict[str, str] | None = None

    def of(self, st_dev: int) -> str | None:
        if self._types is None:
            self._types = _read_mount_types()
        return self._types.get(f"{os.major(st_dev)}:{os.minor(st_dev)}")


def _read_mount_types(source: str = "/proc/self/mountinfo") -> dict[str, str]:
    # A bounded read of a kernel file; a missing or odd one only leaves the
    # guard to the folder names (domain.paths.named_kind).
    try:
        with open(source, "rb") as handle:
            data = handle.read(MOUNTINFO_LIMIT)
    except OSError:
        return {}
    types: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        # ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [TAGS...] - TYPE SOURCE SUPER
        fields = line.split(" ")
        if len(fields) < 7 or "-" not in fields[6:]:
            continue
        after = fields[fields.index("-", 6) + 1 :]
        if after:
            types.setdefault(fields[2], after[0])
    return types


def folder_kind(path: str, mounts: _MountTypes | None = None) -> NotPersistableReason | None:
    """Why the file system makes ``path`` no project folder, else None (POSIX).

    * ``PSEUDO_FILESYSTEM``: it is on a pseudo file system (its type, from
      /proc/self/mountinfo where there is one; the names alone otherwise, see
      ``domain.paths.named_kind``).
    * ``WORLD_WRITABLE``: every user can write to it (``o+w``; the sticky bit
      does not help: it only stops others removing what they did not make,
      and trust covers whatever they add); or a folder above it is ``o+w``
      and another user can replace the folder on the way down: the folder
      above lacks the sticky bit, or has it but the entry below it is neither
      this account's nor root's. A project folder of one's own in ``/tmp`` is
      therefore allowed, ``/tmp`` itself and another user's folder there not.
    """
    if sys.platform == "win32":
        return None
    mounts = mounts or _MountTypes()
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if mounts.of(st.st_dev) in PSEUDO_FS_TYPES:
        return NotPersistableReason.PSEUDO_FILESYSTEM
    if st.st_mode & stat.S_IWOTH:
        return NotPersistableReason.WORLD_WRITABLE
    mine = (os.geteuid(), 0)
    child = os.path.normpath(path)
    while True:
        parent = os.path.dirname(child)
        if parent == child:
            return None
        try:
            above = os.stat(parent)
            entry = os.lstat(child)
        except (OSError, ValueError):
            return None
        if above.st_mode & stat.S_IWOTH and (not above.st_mode & stat.S_ISVTX or entry.st_uid not in mine):
            return NotPersistableReason.WORLD_WRITABLE
        child = parent


def _kind(given: str, real: str) -> tuple[bool, bool]:
    """(exists, is a folder) for the path as the system reads ``given``, and as
    ``real``: both must be the folder. ``realpath`` passes ``file/..`` and
    ``missing/..`` as text (to the parent), where the system refuses them
    (ENOTDIR, ENOENT): the folder is then missing, or not a folder."""
    try:
        os.stat(given)
    except FileNotFoundError:
        return False, False
    except (OSError, ValueError):
        return os.path.exists(real), False
    return os.path.exists(real), os.path.isdir(real) and os.path.isdir(given)


def account_homes() -> tuple[str, ...]:
    """This account's home folder from the password database (POSIX): as written
    there, then resolved; () where there is none."""
    if sys.platform == "win32":
        return ()
    try:
        raw = pwd.getpwuid(os.getuid()).pw_dir
    except (KeyError, OSError):
        return ()
    if not raw or not os.path.isabs(raw):
        return ()
    try:
        return (raw, os.path.realpath(raw))
    except (OSError, ValueError):
        return (raw, raw)


def find_git_roots(start: str) -> tuple[str | None, str | None]:
    """(git root, main checkout root for a linked worktree) above ``start``.

    A ``.git`` directory marks a root. A ``.git`` file (``gitdir: ...``) marks a
    linked worktree or submodule; for a worktree the main checkout is the
    folder holding the common ``.git`` directory.
    """
    current = start
    for _ in range(MAX_GIT_DEPTH):
        marker = os.path.join(current, ".git")
        if os.path.isdir(marker):
            return current, None
        if os.path.isfile(marker):
            return current, _worktree_main_root(current, marker)
        parent = os.path.dirname(current)
        if parent == current:
            return None, None
        current = parent
    return None, None


def _worktree_main_root(root: str, marker: str) -> str | None:
    # The same safe read as a provider's state file: a FIFO named .git must
    # not hang the plan stage.
    try:
        handle = open_state_file(marker, ".git")
        if handle is None:
            return None
        with handle:
            first = handle.read_at_most(4096).decode("utf-8", "replace").strip()
    except StateFileError:
        return None
    if not first.startswith("gitdir:"):
        return None
    gitdir = first.split(":", 1)[1].strip()
    if not os.path.isabs(gitdir):
        gitdir = os.path.normpath(os.path.join(root, gitdir))
    # <main>/.git/worktrees/<name>  ->  <main>
    parts = gitdir.replace("\\", "/").rstrip("/").split("/")
    if len(parts) >= 3 and parts[-2] == "worktrees" and parts[-3] == ".git":
        return os.path.dirname(os.path.dirname(os.path.dirname(gitdir)))
    return None


# -- a process's working folder on macOS ------------------------------------------

#: ``<sys/proc_info.h>``: the flavor that returns a process's current and
#: root folders, and the sizes of its answer (``struct proc_vnodepathinfo``:
#: two ``struct vnode_info_path`` of 152 + MAXPATHLEN bytes each, whose
#: ``vinfo_stat`` starts with ``uint32_t vst_dev`` and has ``uint64_t
#: vst_ino`` at offset 8).
_PROC_PIDVNODEPATHINFO = 9
_VNODE_INFO_PATH_SIZE = 152 + 1024
_VNODEPATHINFO_SIZE = 2 * _VNODE_INFO_PATH_SIZE


def _darwin_working_folder(pid: int) -> FolderIdentity | None:
    """The device and inode of ``pid``'s working folder, from libproc."""
    try:
        import ctypes  # noqa: PLC0415 (macOS only; no cost elsewhere)
        import ctypes.util  # noqa: PLC0415

        name = ctypes.util.find_library("proc") or "/usr/lib/libproc.dylib"
        libproc = ctypes.CDLL(name, use_errno=True)
        answer = ctypes.create_string_buffer(_VNODEPATHINFO_SIZE)
        size = libproc.proc_pidinfo(
            ctypes.c_int(pid), ctypes.c_int(_PROC_PIDVNODEPATHINFO), ctypes.c_uint64(0), answer, _VNODEPATHINFO_SIZE
        )
        if size != _VNODEPATHINFO_SIZE:
            return None
        device = int.from_bytes(answer.raw[0:4], "little")
        inode = int.from_bytes(answer.raw[8:16], "little")
    except (OSError, AttributeError, ValueError):
        return None
    # st_dev is a signed 32-bit dev_t there; vst_dev the same bits unsigned.
    return FolderIdentity(device - (1 << 32) if device >= 1 << 31 else device, inode)
