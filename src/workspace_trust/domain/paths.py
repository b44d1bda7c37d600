"""Workspace paths and the canonical forms each provider uses.

Theory of operation
-------------------
A user picks a folder. Each provider CLI records trust under its own spelling of
that folder, and the runtime that later refuses to start may look it up under yet
another spelling (real path, git root, a parent). A :class:`Workspace` carries
every spelling at once so that probes, locks and patches never re-derive them.

Everything here is pure string work on top of :mod:`posixpath` and :mod:`ntpath`,
so Windows rules are tested on Linux. Facts that need the file system (the real
path, the home folder, the git root) arrive already gathered, as a
:class:`PathFacts` value produced by the ``FileSystemFacts`` port.
"""

from __future__ import annotations

import enum
import ntpath
import posixpath
import sys
from collections.abc import Mapping

import attrs

from workspace_trust.domain.errors import PathError


class PathFlavor(enum.Enum):
    POSIX = "posix"
    WINDOWS = "windows"


class HostOs(enum.Enum):
    """The operating system the provider CLIs run on; it decides case rules."""

    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"

    @classmethod
    def this_machine(cls) -> HostOs:
        """The system this process runs on."""
        if sys.platform == "win32":
            return cls.WINDOWS
        if sys.platform == "darwin":
            return cls.MACOS
        return cls.LINUX

    @property
    def flavor(self) -> PathFlavor:
        return PathFlavor.WINDOWS if self is HostOs.WINDOWS else PathFlavor.POSIX

    @property
    def case_insensitive_paths(self) -> bool:
        # macOS volumes are case-insensitive by default; Gemini CLI lower-cases
        # keys there as on Windows (Gemini CLI 0.61.0 source, trustedFolders).
        return self is not HostOs.LINUX


class NotPersistableReason(enum.Enum):
    HOME_DIRECTORY = "home_directory"
    #: A folder that contains a home folder, at any depth: trust covers the
    #: folders below, so trusting it would trust the home folder too.
    HOME_ANCESTOR = "home_ancestor"
    FILESYSTEM_ROOT = "filesystem_root"
    DRIVE_ROOT = "drive_root"
    UNC_SHARE_ROOT = "unc_share_root"
    #: Not a project folder: every user can write to it (``/tmp``, any ``o+w``
    #: folder), or another user can replace it (it sits in a world-writable
    #: folder without the sticky bit, or in a sticky one but is not this
    #: account's). Trust covers the folders below, so anyone could drop a
    #: folder there that the CLI then trusts.
    WORLD_WRITABLE = "world_writable"
    #: Not a project folder: a pseudo file system (``/proc``, ``/sys``, ``/dev``).
    PSEUDO_FILESYSTEM = "pseudo_filesystem"


class WorkspaceSource(enum.Enum):
    REQUEST = "request"
    MEMBER_CWD = "member_cwd"
    MEMBER_WORKTREE = "member_worktree"
    GIT_ROOT = "git_root"
    #: A folder the host's launch arguments open besides the working one
    #: (Claude Code's ``--add-dir``, Codex's ``--cd``): ``Workspace.opened_by``.
    LAUNCH_ARG = "launch_arg"


def normalize(path: str, flavor: PathFlavor) -> str:
    """Lexically normalise an absolute path: one separator, no ``.``/``..``, no trailing slash.

    Idempotent. POSIX case is kept; Windows separators become backslashes.
    """
    if not path:
        raise PathError("empty path")
    if "\x00" in path:
        raise PathError("path contains a NUL character")
    if flavor is PathFlavor.POSIX:
        if not path.startswith("/"):
            raise PathError("path is not absolute")
        norm = posixpath.normpath(path)
        # POSIX leaves a leading '//' implementation-defined; Linux and macOS
        # treat it as '/', and so do the provider CLIs (Node path.resolve).
        while norm.startswith("//"):
            norm = norm[1:]
        return norm
    norm = ntpath.normpath(path.replace("/", "\\"))
    drive, rest = ntpath.splitdrive(norm)
    if not drive or not rest.startswith("\\"):
        if drive.startswith("\\\\") and rest in ("", "\\"):
            return drive + "\\"
        raise PathError("path is not absolute")
    if len(drive) == 2 and drive[1] == ":":
        drive = drive[0].upper() + ":"
    if rest != "\\":
        rest = rest.rstrip("\\")
    return drive + rest


def has_parent_step(path: str, flavor: PathFlavor) -> bool:
    """Whether ``path`` has a ``..`` component. After a symlink, the system
    takes ``..`` to the parent of the link's target, so such a path may mean
    another folder than its text reads; only the file system can tell."""
    parts = path.replace("\\", "/").split("/") if flavor is PathFlavor.WINDOWS else path.split("/")
    return ".." in parts


def to_slashes(path: str) -> str:
    return path.replace("\\", "/")


def comparison_key(path: str, host: HostOs) -> str:
    """The key used for dedupe and locks: Windows compares case-insensitively."""
    norm = normalize(path, host.flavor)
    if host is HostOs.WINDOWS:
        return to_slashes(norm).casefold()
    return norm


def _guard_key(path: str, host: HostOs) -> str:
    """The form in which the home guard compares paths: the comparison key, and
    case-folded wherever the host's file systems usually ignore case (macOS too),
    so that a spelling in another case is never a way around the guard."""
    key = comparison_key(path, host)
    return key.casefold() if host.case_insensitive_paths else key


def contains(ancestor: str, path: str, host: HostOs) -> bool:
    """Whether the absolute folder ``ancestor`` is ``path`` or a folder above it.

    Lexical, after normalisation (no ``.``/``..``): resolve symlinks first.
    """
    outer, inner = _guard_key(ancestor, host), _guard_key(path, host)
    if outer == inner:
        return True
    return inner.startswith(outer if outer.endswith("/") else outer + "/")


def parents(path: str, host: HostOs) -> tuple[str, ...]:
    """Every ancestor of a normalised path, nearest first, ending at the root."""
    flavor = host.flavor
    mod = ntpath if flavor is PathFlavor.WINDOWS else posixpath
    current = normalize(path, flavor)
    out: list[str] = []
    while True:
        parent = mod.dirname(current)
        if not parent or parent == current:
            return tuple(out)
        out.append(parent)
        current = parent


def root_reason(path: str, host: HostOs) -> NotPersistableReason | None:
    """Why a normalised path is a root that must never be trusted, if it is one."""
    norm = normalize(path, host.flavor)
    if host.flavor is PathFlavor.POSIX:
        return NotPersistableReason.FILESYSTEM_ROOT if norm == "/" else None
    drive, rest = ntpath.splitdrive(norm)
    if rest in ("", "\\"):
        if drive.startswith("\\\\"):
            return NotPersistableReason.UNC_SHARE_ROOT
        return NotPersistableReason.DRIVE_ROOT
    return None


#: Folders that are never project folders, by name (POSIX): every user can
#: write to the first ones on every usual system, and the others are pseudo
#: file systems. Known without reading anything, so the pure plan stage
#: refuses them too; ``plan_full`` also asks the file system (any ``o+w``
#: folder, the file system's type), see ``adapters.filesystem``.
SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/private/tmp", "/private/var/tmp")
PSEUDO_FOLDERS = ("/proc", "/sys", "/dev")


def named_folders(host: HostOs) -> tuple[str, ...]:
    """The folders of ``SHARED_FOLDERS`` and ``PSEUDO_FOLDERS`` that ``host``
    has (none on Windows; ``/private`` ones on macOS only, ``/dev/shm``,
    ``/proc`` and ``/sys`` on Linux only)."""
    if host is HostOs.WINDOWS:
        return ()
    mac_only = ("/private/tmp", "/private/var/tmp")
    linux_only = ("/dev/shm", "/proc", "/sys")
    skip = linux_only if host is HostOs.MACOS else mac_only
    return tuple(f for f in (*SHARED_FOLDERS, *PSEUDO_FOLDERS) if f not in skip)


def named_kind(path: str, host: HostOs) -> NotPersistableReason | None:
    """Whether a normalised path is, by its name alone, a shared temporary
    folder (``WORLD_WRITABLE``: the folder itself, not the folders inside)
    or on a pseudo file system (``PSEUDO_FILESYSTEM``: the folder or any
    below it, except the shared memory folder ``/dev/shm``, a tmpfs)."""
    if host.flavor is not PathFlavor.POSIX:
        return None
    norm = normalize(path, host.flavor)
    if norm in SHARED_FOLDERS:
        return NotPersistableReason.WORLD_WRITABLE
    if norm == "/dev/shm" or norm.startswith("/dev/shm/"):
        return None
    if any(norm == top or norm.startswith(top + "/") for top in PSEUDO_FOLDERS):
        return NotPersistableReason.PSEUDO_FILESYSTEM
    return None


def not_persistable(
    paths: tuple[str, ...] | list[str], homes: tuple[str, ...] | list[str], host: HostOs
) -> NotPersistableReason | None:
    """Why no CLI may trust a folder spelt ``paths`` (normalised; as given and
    resolved), with ``homes`` (normalised) the home folders: it is a root, a
    home, contains one, or is no project folder by name. None otherwise."""
    for path in paths:
        found = root_reason(path, host)
        if found is not None:
            return found
    if any(_guard_key(path, host) == _guard_key(home, host) for path in paths for home in homes):
        return NotPersistableReason.HOME_DIRECTORY
    if any(contains(path, home, host) for path in paths for home in homes):
        return NotPersistableReason.HOME_ANCESTOR
    for path in paths:
        named = named_kind(path, host)
        if named is not None:
            return named
    return None


@attrs.frozen(slots=True)
class PathFacts:
    """File-system facts about one selected folder, gathered by an adapter."""

    absolute: str
    real: str
    home: str | None
    exists: bool
    is_dir: bool
    git_root: str | None = None
    worktree_main_root: str | None = None
    real_home: str | None = None
    #: The account's own home (from the password database, resolved), guarded
    #: too when the environment's HOME points elsewhere or is missing.
    account_home: str | None = None
    #: The same home as the password database spells it, before resolving.
    account_home_raw: str | None = None
    #: What the file system says makes the folder no project folder
    #: (``WORLD_WRITABLE``, ``PSEUDO_FILESYSTEM``), None when nothing does.
    folder_reason: NotPersistableReason | None = None
    #: The same for its git root or a worktree's main checkout.
    repository_folder_reason: NotPersistableReason | None = None


@attrs.frozen(slots=True)
class Workspace:
    """One selected folder, in every form a provider or the library needs."""

    id: str
    display_path: str
    absolute_path: str
    real_path: str
    host: HostOs
    exists: bool
    is_dir: bool
    comparison_key: str
    git_root: str | None
    worktree_main_root: str | None
    persistable: bool
    not_persistable_reason: NotPersistableReason | None
    source: WorkspaceSource = WorkspaceSource.REQUEST
    member_id: str | None = None
    #: Why the folder's git repository root (or a worktree's main checkout)
    #: may not be trusted: it is the home folder, contains it, or is a root. A
    #: CLI that trusts the repository root rather than the folder must not be
    #: run there.
    repository_root_reason: NotPersistableReason | None = None
    #: For a folder a launch argument opens (``WorkspaceSource.LAUNCH_ARG``):
    #: that argument, as the host gives it (``--add-dir=B``, ``--add-dir B``).
    opened_by: str | None = None

    @property
    def trust_paths(self) -> tuple[str, ...]:
        """The exact path and the real path, deduplicated, in that order."""
        return _dedupe((self.absolute_path, self.real_path))


def _dedupe(items: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return tuple(out)


def env_home(env: Mapping[str, str]) -> str | None:
    """The home folder an environment names (HOME, else USERPROFILE), or None."""
    return env.get("HOME") or env.get("USERPROFILE") or None


def expand_home(path: str, env: Mapping[str, str]) -> str:
    """``path`` with a leading ``~`` (alone, or before a separator) replaced by
    the home folder ``env`` names: the request's home, never this process's.
    Both plan stages expand through here, so ``~`` means the same in each.
    Raises ValueError for ``~`` when ``env`` names no home. ``~user`` is left
    as it is (and is then not absolute)."""
    if path == "~" or path.startswith(("~/", "~\\")):
        home = env_home(env)
        if not home:
            raise ValueError("'~' needs HOME in the request's environment")
        return home + path[1:]
    return path


def build_workspace(
    display_path: str,
    facts: PathFacts,
    host: HostOs,
    *,
    workspace_id: str | None = None,
    source: WorkspaceSource = WorkspaceSource.REQUEST,
    member_id: str | None = None,
) -> Workspace:
    """Derive every canonical form from gathered facts. Raises :class:`PathError`."""
    flavor = host.flavor
    absolute = normalize(facts.absolute, flavor)
    real = normalize(facts.real, flavor)
    git_root = normalize(facts.git_root, flavor) if facts.git_root else None
    main_root = normalize(facts.worktree_main_root, flavor) if facts.worktree_main_root else None
    key = comparison_key(real, host)

    homes: list[str] = []
    for home in (facts.home, facts.real_home, facts.account_home, facts.account_home_raw):
        if home:
            try:
                homes.append(normalize(home, flavor))
            except PathError:
                continue  # an unusable HOME cannot be the workspace

    def reason_for(*paths: str) -> NotPersistableReason | None:
        return not_persistable(paths, homes, host)

    reason = reason_for(real, absolute) or facts.folder_reason
    repository_roots = tuple(root for root in (git_root, main_root) if root)
    repository_root_reason = reason_for(*repository_roots) or (
        facts.repository_folder_reason if repository_roots else None
    )

    return Workspace(
        id=workspace_id if workspace_id is not None else key,
        display_path=display_path,
        absolute_path=absolute,
        real_path=real,
        host=host,
        exists=facts.exists,
        is_dir=facts.is_dir,
        comparison_key=key,
        git_root=git_root,
        worktree_main_root=main_root,
        persistable=reason is None,
        not_persistable_reason=reason,
        source=source,
        member_id=member_id,
        repository_root_reason=repository_root_reason,
    )


def dedupe_workspaces(workspaces: list[Workspace] | tuple[Workspace, ...]) -> tuple[Workspace, ...]:
    """Keep the first workspace for each comparison key, in order."""
    seen: set[str] = set()
    out: list[Workspace] = []
    for ws in workspaces:
        if ws.comparison_key not in seen:
            seen.add(ws.comparison_key)
            out.append(ws)
    return tuple(out)


__all__ = [
    "HostOs",
    "NotPersistableReason",
    "PathError",
    "PathFacts",
    "PathFlavor",
    "Workspace",
    "WorkspaceSource",
    "build_workspace",
    "comparison_key",
    "contains",
    "dedupe_workspaces",
    "env_home",
    "normalize",
    "parents",
    "root_reason",
    "to_slashes",
]
