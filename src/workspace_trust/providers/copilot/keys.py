"""How this CLI compares two folders of ``trustedFolders``. Pure."""

from __future__ import annotations

from workspace_trust.domain.paths import HostOs, normalize


def copilot_compare_key(path: str, host: HostOs) -> str:
    """The form two entries are compared in: normalised (``//``, ``.``, ``..``
    and a trailing separator removed, as Copilot does), and case-folded where
    the host's file systems ignore case. On Linux case counts (1.0.102 asks
    again for ``/w/PROJ`` when ``/w/proj`` is trusted). Raises ``PathError``."""
    key = normalize(path, host.flavor)
    return key.casefold() if host.case_insensitive_paths else key
