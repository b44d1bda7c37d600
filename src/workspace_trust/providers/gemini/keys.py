"""How this CLI spells a folder as a key of its state file. Pure."""

from __future__ import annotations

from workspace_trust.domain.paths import HostOs, normalize, to_slashes


def gemini_config_key(path: str, host: HostOs) -> str:
    """Gemini's ``trustedFolders.json`` key: resolved, forward slashes, and
    lower-cased where the file system is case-insensitive.

    Gemini turns backslashes into slashes on every OS (0.61.0 ``normalizePath``),
    so on Linux the folder ``a\\b`` is keyed ``.../a/b`` and shares its trust with
    ``a/b``, in Gemini itself as here."""
    key = to_slashes(normalize(path, host.flavor))
    return key.lower() if host.case_insensitive_paths else key
