"""The folder policy every provider obeys, as pure functions.

Which folders no CLI may be asked to trust (a missing folder, a home folder, a
folder above one, a root, a folder anyone can write to), which folders a CLI
may never be left trusting after a session, and how a host's own trust values
are judged by the same rules. Nothing here reads a file or starts a process:
the facts arrive in a :class:`~workspace_trust.domain.paths.Workspace`, or
through a ``gather`` function the caller passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.errors import PathError
from workspace_trust.domain.paths import (
    HostOs,
    NotPersistableReason,
    PathFacts,
    Workspace,
    build_workspace,
    comparison_key,
    env_home,
    has_parent_step,
    named_folders,
    normalize,
    not_persistable,
    parents,
)


def guard_reason(workspace: Workspace) -> tuple[Code, str] | None:
    """Why no provider may trust ``workspace`` (a code and a sentence), else None."""
    if not workspace.exists:
        return Code.WORKSPACE_MISSING, "the workspace folder does not exist"
    if not workspace.is_dir:
        return Code.WORKSPACE_NOT_DIRECTORY, "the workspace path is not a folder"
    reason = workspace.not_persistable_reason
    if reason is NotPersistableReason.HOME_DIRECTORY:
        return Code.NOT_PERSISTABLE_HOME, "the home folder is never trusted on the user's behalf; pick a project folder"
    if reason is NotPersistableReason.HOME_ANCESTOR:
        return (
            Code.NOT_PERSISTABLE_HOME_ANCESTOR,
            "a folder that contains a home folder is never trusted on the user's behalf: its trust would "
            "cover every folder below it, the home folder included; pick a project folder",
        )
    if reason is NotPersistableReason.WORLD_WRITABLE:
        return (
            Code.NOT_PERSISTABLE_WORLD_WRITABLE,
            "a folder every user can write to, or that another user can replace (it is in a folder every user "
            "can write to), is not a project folder and is never trusted on the user's behalf: its trust would "
            "cover whatever anyone puts there; pick a project folder of your own",
        )
    if reason is NotPersistableReason.PSEUDO_FILESYSTEM:
        return (
            Code.NOT_PERSISTABLE_PSEUDO_FILESYSTEM,
            "a folder on a pseudo file system (such as /proc, /sys or /dev) is not a project folder and is never "
            "trusted on the user's behalf",
        )
    if reason is not None:
        return not_persistable_code(reason), f"{spoken(reason)} is never trusted on the user's behalf"
    return None


def repository_root_guard(workspace: Workspace, provider: Provider) -> tuple[Code, str] | None:
    """Why a CLI that trusts the git repository root must not run in ``workspace``
    (that root is the home folder, contains it, or is a root), else None."""
    reason = workspace.repository_root_reason
    if reason is None:
        return None
    return (
        not_persistable_code(reason),
        f"the folder is inside a git repository whose root is {spoken(reason)}; "
        f"{provider.value} would trust that root, so it is not run here",
    )


def repository_scope_check(workspace: Workspace) -> Callable[[str], bool]:
    """Approves the folder a trust dialog says its option trusts (a repository
    root, read off the screen) when it is the folder's git repository root, or
    a linked worktree's main checkout, and the guard approved those roots
    (none is the home folder, contains it, or is a root). Anything else,
    including a path that does not normalise, is refused."""
    host = workspace.host
    approved = {
        comparison_key(root, host) for root in (workspace.git_root, workspace.worktree_main_root) if root is not None
    }

    def check(shown: str) -> bool:
        if workspace.repository_root_reason is not None:
            return False
        try:
            return comparison_key(normalize(shown, host.flavor), host) in approved
        except PathError:
            return False

    return check


_CODES = {
    NotPersistableReason.HOME_DIRECTORY: Code.NOT_PERSISTABLE_HOME,
    NotPersistableReason.HOME_ANCESTOR: Code.NOT_PERSISTABLE_HOME_ANCESTOR,
    NotPersistableReason.WORLD_WRITABLE: Code.NOT_PERSISTABLE_WORLD_WRITABLE,
    NotPersistableReason.PSEUDO_FILESYSTEM: Code.NOT_PERSISTABLE_PSEUDO_FILESYSTEM,
}


def not_persistable_code(reason: NotPersistableReason) -> Code:
    return _CODES.get(reason, Code.NOT_PERSISTABLE_ROOT)


def spoken(reason: NotPersistableReason) -> str:
    """``reason`` as it reads in a row's sentence ("the home directory")."""
    if reason is NotPersistableReason.HOME_ANCESTOR:
        return "a folder that contains a home folder"
    if reason is NotPersistableReason.WORLD_WRITABLE:
        return "a folder every user can write to (or that another user can replace)"
    if reason is NotPersistableReason.PSEUDO_FILESYSTEM:
        return "a folder on a pseudo file system"
    return "the " + str(reason.value).replace("_", " ")


def home_folders(env: Mapping[str, str], host: HostOs, homes: Sequence[str] = ()) -> tuple[str, ...]:
    """The home folder ``env`` names and the other ``homes`` (it resolved, the
    account's own), normalized, each once; unusable ones left out."""
    out: list[str] = []
    for home in (env_home(env), *homes):
        if not home:
            continue
        try:
            norm = normalize(home, host.flavor)
        except PathError:
            continue
        if norm not in out:
            out.append(norm)
    return tuple(out)


#: Why a folder named in a host's own value (a key of a per-launch table of trusted
#: folders) may not be passed on as trusted: a code, else None.
KeyJudge = Callable[[str], Code | None]


def key_judge(
    env: Mapping[str, str],
    host: HostOs,
    homes: Sequence[str] = (),
    gather: Callable[[str], PathFacts] | None = None,
) -> KeyJudge:
    """A :data:`KeyJudge` that refuses what the guards refuse for a workspace:
    a root, a home of ``home_folders(env, host, homes)`` or a folder containing
    one, a folder that is no project folder by name, and, with ``gather`` (the
    file-system port), the same for the folder resolved and what the file
    system says of it. Without ``gather`` (no file access) a key with a ``..``
    component is refused as ``workspace_path_unresolved``: after a symlink it
    may mean another folder."""
    known = home_folders(env, host, homes)

    def judge(key: str) -> Code | None:
        try:
            spelt = normalize(key, host.flavor)
        except PathError:
            return None
        paths = [spelt]
        facts = None
        if gather is not None:
            try:
                facts = gather(key)
                paths.append(normalize(facts.real, host.flavor))
                paths.append(normalize(facts.absolute, host.flavor))
            except (PathError, OSError, ValueError):
                facts = None
        elif has_parent_step(key, host.flavor):
            return Code.WORKSPACE_PATH_UNRESOLVED
        reason = not_persistable(paths, known, host) or (facts.folder_reason if facts is not None else None)
        return not_persistable_code(reason) if reason is not None else None

    return judge


def guarded_folders(env: Mapping[str, str], host: HostOs, homes: Sequence[str] = ()) -> tuple[str, ...]:
    """Every home of ``home_folders`` and every folder above each: what no CLI
    may be left trusting after a session (a folder that changed while the CLI
    started can lead it to one: a git repository made above the folder, or the
    folder's path swapped for a link). () when no usable home is named."""
    out: list[str] = []
    for home in home_folders(env, host, homes):
        for folder in (home, *parents(home, host)):
            if folder not in out:
                out.append(folder)
    if out:
        # The folders that are no project folders by name: a folder swapped
        # for a link to one of them leads the CLI there. (Each is one more
        # probe read: only those the host has.)
        out.extend(folder for folder in named_folders(host) if folder not in out)
    return tuple(out)


def folder_workspace(path: str, host: HostOs) -> Workspace | None:
    """A workspace for an absolute folder, to ask a probe about it (no
    file-system facts: the path as it is written). None for an unusable path."""
    try:
        return build_workspace(path, PathFacts(absolute=path, real=path, home=None, exists=True, is_dir=True), host)
    except PathError:
        return None


def same_folder(a: str, b: str, host: HostOs) -> bool:
    """Two spellings of one folder on ``host``: a provider's key (one may write
    ``C:/Users/u`` on Windows) and a normalized path; case-folded where the
    host's paths are case-insensitive."""
    try:
        a, b = normalize(a, host.flavor), normalize(b, host.flavor)
    except PathError:
        return a == b
    return a.casefold() == b.casefold() if host.case_insensitive_paths else a == b
