"""How this CLI spells a folder in ``trustedFolders``, and how it compares two. Pure."""

from __future__ import annotations

from workspace_trust.domain.paths import HostOs, normalize


def copilot_config_key(path: str, host: HostOs) -> str:
    """The entry Copilot CLI writes for a folder: the folder's real path, as
    the process sees its working directory (1.0.80-1.0.102 write exactly that
    folder, never its git root). Raises ``PathError`` for a relative path."""
    return normalize(path, host.flavor)


def copilot_compare_key(path: str, host: HostOs) -> str:
    """The form two entries are compared in: normalised (``//``, ``.``, ``..``
    and a trailing separator removed, as Copilot does), and case-folded where
    the host's file systems ignore case. On Linux case counts (1.0.102 asks
    again for ``/w/PROJ`` when ``/w/proj`` is trusted). Raises ``PathError``."""
    key = normalize(path, host.flavor)
    return key.casefold() if host.case_insensitive_paths else key
