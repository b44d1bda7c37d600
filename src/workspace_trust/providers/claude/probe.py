"""Read-only probe of Claude Code's trust state in ``.claude.json``.

Claude Code keeps ``projects["<key>"].hasTrustDialogAccepted`` in
``$CLAUDE_CONFIG_DIR/.claude.json`` when that variable is set, else in
``$HOME/.claude.json``. Its runtime treats a folder as trusted when the key of
the folder or of any ancestor is accepted; started inside a git repository it
writes the key of the repository root (2.1.330, see docs/providers.md).

The file also holds account data and API-key state, so this module keeps only
the map of project keys to the trust boolean and never logs or returns
anything else.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping

import attrs

from workspace_trust.adapters.clock import SystemClock
from workspace_trust.domain.codes import Code, Provider, TrustState
from workspace_trust.domain.paths import PathError, Workspace, claude_config_key, parents
from workspace_trust.domain.results import Diagnostic, ProbeResult, TrustSource
from workspace_trust.ports import Clock, StateProbe

log = logging.getLogger(__name__)

#: Larger state files are refused (``state_file_too_large``), never parsed.
MAX_STATE_BYTES = 64 * 1024 * 1024
#: A file that does not parse may be mid-write; read it again this many times.
PARSE_RETRIES = 3
PARSE_RETRY_MS = 20


def claude_state_path(env: Mapping[str, str], home: str | None) -> str | None:
    config_dir = env.get("CLAUDE_CONFIG_DIR")
    if config_dir:
        return os.path.join(config_dir, ".claude.json")
    if home:
        return os.path.join(home, ".claude.json")
    return None


@attrs.frozen(slots=True)
class _Loaded:
    stamp: tuple[int, int, int, int]
    accepted: Mapping[str, bool]


class ClaudeStateProbe(StateProbe):
    """Answers "is this workspace trusted?" from ``.claude.json``, read-only.

    The parsed trust map is cached against the file's inode, size and
    modification times, so repeated probes cost one ``stat``.
    """

    def __init__(self, path: str | None, clock: Clock | None = None) -> None:
        self.path = path
        # Claude Code truncates and rewrites .claude.json in place (not an
        # atomic rename; anthropics/claude-code#2593, #29158), so a read can
        # land mid-write: retries wait a little between attempts.
        self._clock = clock or SystemClock()
        self._cache: _Loaded | None = None

    def read_trust(self, workspace: Workspace) -> ProbeResult:
        loaded = self._load(workspace)
        if isinstance(loaded, Diagnostic):
            return ProbeResult(state=TrustState.UNKNOWN, diagnostics=(loaded,))
        accepted = loaded.accepted
        for key, source in _candidates(workspace):
            if accepted.get(key) is True:
                return ProbeResult(TrustState.TRUSTED, trusted_key=key, source=source)
        return ProbeResult(state=TrustState.UNTRUSTED)

    def _load(self, workspace: Workspace) -> _Loaded | Diagnostic:
        def diag(code: Code, message: str) -> Diagnostic:
            return Diagnostic(code, message, Provider.CLAUDE, workspace.id)

        if self.path is None:
            return diag(Code.STATE_FILE_MISSING, "no HOME or CLAUDE_CONFIG_DIR to find .claude.json")
        last_error = ""
        for attempt in range(PARSE_RETRIES):
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                return diag(Code.STATE_FILE_MISSING, "Claude state file does not exist yet")
            except OSError as exc:
                return diag(Code.STATE_FILE_UNREADABLE, f"cannot stat state file: {exc.strerror}")
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            cached = self._cache
            if cached is not None and cached.stamp == stamp:
                return cached
            if st.st_size > MAX_STATE_BYTES:
                return diag(Code.STATE_FILE_TOO_LARGE, f"state file is over {MAX_STATE_BYTES} bytes")
            try:
                with open(self.path, "rb") as handle:
                    data = handle.read(MAX_STATE_BYTES + 1)
            except OSError as exc:
                return diag(Code.STATE_FILE_UNREADABLE, f"cannot read state file: {exc.strerror}")
            if len(data) > MAX_STATE_BYTES:
                return diag(Code.STATE_FILE_TOO_LARGE, f"state file is over {MAX_STATE_BYTES} bytes")
            try:
                accepted = _accepted_projects(data)
            except ValueError as exc:
                # Possibly caught mid-write: Claude rewrites the whole file.
                last_error = str(exc)
                if attempt + 1 < PARSE_RETRIES:
                    self._clock.sleep_ms(PARSE_RETRY_MS)
                continue
            loaded = _Loaded(stamp=stamp, accepted=accepted)
            self._cache = loaded
            return loaded
        log.debug("Claude state file did not parse (%s)", last_error)
        return diag(Code.STATE_FILE_CORRUPT, f"state file is not valid JSON ({last_error})")


def _accepted_projects(data: bytes) -> dict[str, bool]:
    """The ``projects`` trust booleans, nothing else. Raises ValueError."""
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{type(exc).__name__} at byte {getattr(exc, 'pos', '?')}") from None
    if not isinstance(doc, dict):
        raise ValueError("top level is not an object")
    projects = doc.get("projects")
    if not isinstance(projects, dict):
        return {}
    out: dict[str, bool] = {}
    for key, value in projects.items():
        if isinstance(key, str) and isinstance(value, dict):
            out[key] = value.get("hasTrustDialogAccepted") is True
    return out


def _candidates(workspace: Workspace) -> list[tuple[str, str]]:
    """Every key Claude's runtime may accept for this workspace, most specific first."""
    host = workspace.host
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(path: str | None, source: str) -> None:
        if not path:
            return
        try:
            key = claude_config_key(path, host)
        except PathError:
            return
        if key not in seen:
            seen.add(key)
            out.append((key, source))

    add(workspace.absolute_path, TrustSource.EXACT)
    add(workspace.real_path, TrustSource.REAL)
    add(workspace.git_root, TrustSource.GIT_ROOT)
    add(workspace.worktree_main_root, TrustSource.WORKTREE_MAIN_ROOT)
    for base in (workspace.absolute_path, workspace.real_path):
        for parent in parents(base, host):
            add(parent, TrustSource.PARENT)
    return out
