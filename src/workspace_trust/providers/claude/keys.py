"""How this CLI spells a folder as a key of its state file. Pure."""

from __future__ import annotations

from workspace_trust.domain.paths import HostOs, PathFlavor, normalize, to_slashes


def claude_config_key(path: str, host: HostOs) -> str:
    """Claude Code's ``projects`` key: normalise; on Windows, backslashes to slashes.

    Claude turns separators into slashes on Windows only; on macOS and Linux a
    backslash is part of a folder's name (``a\\b`` is keyed ``.../a\\b``, seen on
    2.1.330). Claude keeps the case the path was given in, on every OS.
    """
    norm = normalize(path, host.flavor)
    return to_slashes(norm) if host.flavor is PathFlavor.WINDOWS else norm
