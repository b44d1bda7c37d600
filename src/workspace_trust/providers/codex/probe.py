"""Read-only probe of Codex's trust state in ``$CODEX_HOME/config.toml``.

Codex records ``[projects."<path>"] trust_level = "trusted"`` (or ``"untrusted"``).
It resolves a folder's entry in this order: the exact folder, then the project
root found by a ``.git`` marker, then the repository root (for a linked
worktree, the main checkout). Both levels are decisions: the first entry found
decides. Codex rewrites UI bookkeeping (``[tui]``) in the same file on every
start, so only the parsed ``projects`` table is ever compared; contents are
never logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.domain.codes import Code, Provider, TrustState
from workspace_trust.domain.errors import StateFileError
from workspace_trust.domain.paths import PathError, Workspace, env_home
from workspace_trust.domain.results import Diagnostic, ProbeResult, TrustSource
from workspace_trust.ports import StateFiles
from workspace_trust.providers.codex.keys import codex_config_key, codex_keys
from workspace_trust.providers.state_probe import FileStateProbe

MAX_CONFIG_BYTES = 4 * 1024 * 1024


def codex_home(env: Mapping[str, str]) -> str | None:
    if env.get("CODEX_HOME"):
        return env["CODEX_HOME"]
    home = env_home(env)
    return os.path.join(home, ".codex") if home else None


def codex_config_path(env: Mapping[str, str]) -> str | None:
    base = codex_home(env)
    return os.path.join(base, "config.toml") if base else None


class ConfigReadError(StateFileError, ValueError):
    """``config.toml`` cannot be read or does not parse; ``code`` says why."""


def read_trust_levels(path: str, files: StateFiles | None = None) -> dict[str, str]:
    """``{project path: trust_level}`` from config.toml; {} when the file is missing.

    Raises :class:`ConfigReadError` for an unreadable, huge or corrupt file, and
    for anything that is not a regular file (a FIFO is refused, never opened).
    """
    try:
        data = (files or LocalStateFiles()).read(path, "config.toml", MAX_CONFIG_BYTES)
    except StateFileError as exc:
        raise ConfigReadError(str(exc), code=exc.code) from None
    return {} if data is None else parse_trust_levels(data)


def parse_trust_levels(data: bytes) -> dict[str, str]:
    """Pure: ``{project path: trust_level}`` from config.toml's bytes. Raises
    :class:`ConfigReadError` (``state_file_corrupt``) when they do not parse."""
    import tomllib  # only a Codex probe parses TOML: other commands never load it

    try:
        doc: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        # RecursionError: tables or arrays nested a few hundred deep.
        raise ConfigReadError(
            f"config.toml does not parse ({type(exc).__name__})", code=Code.STATE_FILE_CORRUPT
        ) from None
    projects = doc.get("projects")
    if not isinstance(projects, dict):
        return {}
    out: dict[str, str] = {}
    for key, entry in projects.items():
        if isinstance(entry, dict) and isinstance(entry.get("trust_level"), str):
            out[key] = entry["trust_level"]
    return out


def parse_codex_state(data: bytes | None, workspace: Workspace) -> ProbeResult:
    """The pure probe: what config.toml (its bytes; None when it does not
    exist) says about ``workspace``."""
    try:
        levels = {} if data is None else parse_trust_levels(data)
    except ConfigReadError as exc:
        return _unknown(workspace, exc.code, str(exc))
    return decide(levels, workspace)


def _unknown(workspace: Workspace, code: Code, message: str) -> ProbeResult:
    return ProbeResult(TrustState.UNKNOWN, diagnostics=(Diagnostic(code, message, Provider.CODEX, workspace.id),))


def decide(levels: Mapping[str, str], workspace: Workspace) -> ProbeResult:
    """Codex's order: the first entry found among the workspace's keys decides."""
    for key, source in _candidates(workspace):
        level = levels.get(key)
        if level == "trusted":
            return ProbeResult(TrustState.TRUSTED, trusted_key=key, source=source)
        if level == "untrusted":
            return ProbeResult(TrustState.UNTRUSTED, trusted_key=None, source=source)
    return ProbeResult(TrustState.UNTRUSTED)


class CodexStateProbe(FileStateProbe):
    def __init__(self, config_path: str | None, files: StateFiles | None = None) -> None:
        super().__init__(
            config_path,
            provider=Provider.CODEX,
            what="config.toml",
            limit=MAX_CONFIG_BYTES,
            parse=parse_codex_state,
            files=files,
            no_path="no HOME or CODEX_HOME",
        )


def _candidates(workspace: Workspace) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, source in (
        (codex_keys(workspace)[0], TrustSource.EXACT),
        (codex_keys(workspace)[-1], TrustSource.REAL),
        (workspace.git_root, TrustSource.GIT_ROOT),
        (workspace.worktree_main_root, TrustSource.WORKTREE_MAIN_ROOT),
    ):
        if not key:
            continue
        try:
            normalized = codex_config_key(key, workspace.host)
        except PathError:
            continue
        if normalized not in [k for k, _ in out]:
            out.append((normalized, source))
    return out


class CodexConfigSentinel:
    """Notices trust entries that appear in config.toml while only overrides were used."""

    def __init__(self, config_path: str | None) -> None:
        self.path = config_path

    def capture(self) -> dict[str, str] | None:
        if self.path is None:
            return None
        try:
            return read_trust_levels(self.path)
        except ConfigReadError:
            return None

    def compare(self, before: dict[str, str] | None, after: dict[str, str] | None) -> tuple[Diagnostic, ...]:
        if before is None or after is None:
            return ()
        changed = sorted(k for k in after if before.get(k) != after[k])
        if not changed:
            return ()
        return (
            Diagnostic(
                Code.CODEX_CONFIG_CHANGED,
                f"{len(changed)} trust entr{'y' if len(changed) == 1 else 'ies'} appeared or changed in "
                "config.toml during a launch that used only per-launch overrides",
                Provider.CODEX,
            ),
        )
