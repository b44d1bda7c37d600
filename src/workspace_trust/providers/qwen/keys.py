"""How this CLI spells a folder as a key of its state file, and how it compares
keys. Pure.

Qwen Code writes ``process.cwd()`` as the key (``useFolderTrust``, 0.15.6 to
0.24.4): the folder's real path (Node reads it with ``getcwd``, so a launch
through a symlink writes the target), native separators (backslashes on
Windows), and the case the file system reports. It compares paths with Node's
``path.relative``, which ignores case on Windows only: on macOS and Linux a key
in another case is another folder (unlike Gemini CLI, which lower-cases on
macOS too). A backslash is part of a folder's name on macOS and Linux.
"""

from __future__ import annotations

from workspace_trust.domain.paths import HostOs, PathFlavor, normalize


def qwen_config_key(path: str, host: HostOs) -> str:
    """The ``trustedFolders.json`` key Qwen writes for the folder ``path`` (a real path)."""
    return normalize(path, host.flavor)


def qwen_compare_form(path: str, host: HostOs) -> str:
    """The form in which Qwen compares a normalised path: lower-cased on Windows
    (Node's ``path.win32.relative``), as it is elsewhere."""
    return path.lower() if host.flavor is PathFlavor.WINDOWS else path
