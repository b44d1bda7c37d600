"""File-system facts for workspace paths (realpath, home, git root)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

if sys.platform != "win32":
    import pwd

from workspace_trust.adapters.statefile import StateFileError, open_state_file
from workspace_trust.domain.paths import HostOs, PathFacts, env_home, expand_home
from workspace_trust.ports import FileSystemFacts

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
        exists = os.path.exists(real)
        is_dir = os.path.isdir(real)
        git_root, main_root = find_git_roots(real) if is_dir else (None, None)
        account = self.account_homes()
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
        )


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
