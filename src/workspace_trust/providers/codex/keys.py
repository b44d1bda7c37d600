"""How this CLI spells a folder as a key of its state file. Pure."""

from __future__ import annotations

from workspace_trust.domain.paths import HostOs, Workspace, normalize


def codex_config_key(path: str, host: HostOs) -> str:
    """Codex's ``[projects."<path>"]`` key: the canonical native path."""
    return normalize(path, host.flavor)


def codex_keys(workspace: Workspace) -> tuple[str, ...]:
    """The exact path's key and the real path's, deduplicated, in that order."""
    return tuple(dict.fromkeys(codex_config_key(path, workspace.host) for path in workspace.trust_paths))
