"""The folder a session runs in is still the folder that was guarded, right before Enter.

Theory of operation
-------------------
The guards (home, roots, a git repository whose root is the home folder) run
on the folder's facts as the plan stage found them. A CLI then takes seconds
to start, and the folder can change meanwhile: its path swapped for a link to
a folder above the home, or ``git init`` run in the home folder above it. A
CLI that trusts by its working folder's path, or by the repository root it
finds, then records trust for a folder no guard let through. The after-session
check (``strategy.widened_result``) reports that, but only once the entry is
written.

So, right before the runner sends Enter, :meth:`FolderCheck.before_enter`
confirms, through the file-system port:

* the CLI's working folder is the guarded folder: the same device and inode
  (``/proc/<pid>/cwd`` on Linux, the kernel's record through libproc on
  macOS; where the system does not say, this part is not checked);
* the folder's path still resolves to the guarded real path, that folder is
  the one found when the CLI was started (device and inode), and its git
  repository root and a worktree's main checkout are the ones guarded.

If any of it fails, no Enter is sent, the session is ended (its process tree
killed) and the workspace is blocked with ``workspace_changed``. The same
check runs once before the CLI is started, so a folder that changed between
the plan and the spawn starts nothing. A change between this check and the
CLI's reading of its folder is still possible, but the window is the time a
key takes to arrive; the after-session check stays for it.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from workspace_trust.domain.errors import PathError
from workspace_trust.domain.paths import HostOs, Workspace, normalize
from workspace_trust.ports import FileSystemFacts, FolderIdentity

__all__ = ["FolderChange", "FolderCheck"]


@attrs.frozen(slots=True)
class FolderChange:
    """Why the folder is no longer the one that was guarded (a sentence with paths, no file contents)."""

    message: str


def _same(a: str | None, b: str | None, host: HostOs) -> bool:
    """The same path, spelled as the guards spell it (normalized; case
    ignored on Windows)."""
    if a is None or b is None:
        return a is b
    try:
        a, b = normalize(a, host.flavor), normalize(b, host.flavor)
    except PathError:
        return a == b
    return a.casefold() == b.casefold() if host is HostOs.WINDOWS else a == b


class FolderCheck:
    """The guarded facts of one workspace, and the checks against them."""

    def __init__(self, workspace: Workspace, filesystem: FileSystemFacts, env: Mapping[str, str]) -> None:
        self._workspace = workspace
        self._fs = filesystem
        self._env = env
        #: The folder as found when the CLI is started; None where the port cannot tell.
        self._identity: FolderIdentity | None = None
        self.change: FolderChange | None = None

    def before_spawn(self) -> FolderChange | None:
        """Whether the folder still resolves as it did when it was guarded;
        remembers which folder that is (device and inode) for :meth:`before_enter`."""
        self._identity = self._fs.folder_identity(self._workspace.real_path)
        self.change = self._resolves_as_guarded()
        return self.change

    def before_enter(self, pid: int) -> FolderChange | None:
        """Whether the CLI (process ``pid``) still works in the guarded folder,
        and the folder's path and repository still resolve as guarded."""
        found = self._resolves_as_guarded()
        if found is None and self._identity is not None:
            now = self._fs.folder_identity(self._workspace.real_path)
            if now != self._identity:
                found = FolderChange(
                    f"the folder {self._workspace.real_path} was replaced by another one while the CLI started"
                )
            else:
                working = self._fs.working_folder(pid)
                if working is not None and working != self._identity:
                    found = FolderChange(
                        f"the CLI's working folder is no longer the folder {self._workspace.real_path}"
                    )
        self.change = found
        return found

    def _resolves_as_guarded(self) -> FolderChange | None:
        ws = self._workspace
        try:
            facts = self._fs.gather(ws.absolute_path, env=self._env)
        except ValueError:
            return FolderChange(f"the folder {ws.absolute_path} can no longer be resolved")
        if not facts.is_dir:
            return FolderChange(f"{ws.absolute_path} is no longer a folder")
        if not _same(facts.real, ws.real_path, ws.host):
            return FolderChange(f"{ws.absolute_path} now resolves to {facts.real}, not to {ws.real_path}")
        if not _same(facts.git_root, ws.git_root, ws.host):
            return FolderChange(
                f"the folder's git repository root is now {facts.git_root or 'none'}, "
                f"not {ws.git_root or 'none'} as when it was guarded"
            )
        if not _same(facts.worktree_main_root, ws.worktree_main_root, ws.host):
            return FolderChange(
                f"the folder's main worktree is now {facts.worktree_main_root or 'none'}, "
                f"not {ws.worktree_main_root or 'none'} as when it was guarded"
            )
        return None
