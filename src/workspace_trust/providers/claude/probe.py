"""Read-only probe of Claude Code's trust state in ``.claude.json``.

Claude Code keeps ``projects["<key>"].hasTrustDialogAccepted`` in
``$CLAUDE_CONFIG_DIR/.claude.json`` when that variable is set, else in
``$HOME/.claude.json``. Its runtime treats a folder as trusted when the key of
the folder's real path or of a folder above it is accepted, up to a bound that
depends on the version (``claude/lookup.py``); started inside a git repository
it writes the key of the repository root (2.1.330, see docs/providers.md).

The file also holds account data and API-key state, so this module keeps only
the map of project keys to the trust boolean and never logs or returns
anything else.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Collection, Mapping

import attrs

from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.domain.codes import Code, Provider, TrustState
from workspace_trust.domain.errors import StateFileError
from workspace_trust.domain.paths import PathError, Workspace, parents
from workspace_trust.domain.results import Diagnostic, ProbeResult, TrustSource
from workspace_trust.ports import Clock, StateFileInfo, StateFiles, StateProbe
from workspace_trust.providers.claude.keys import claude_config_key
from workspace_trust.providers.claude.lookup import ClaudeLookup, claude_lookup
from workspace_trust.providers.claude.state_scan import scan_trust_map, trust_map

log = logging.getLogger(__name__)

#: Larger state files are refused (``state_file_too_large``), never read. Far
#: above what Claude writes (files of 60 MB are seen in use, and one grew past
#: the former 64 MiB limit while Claude wrote trust into it); reading stays in
#: bounded memory at any size, so the limit only bounds the time of one probe.
MAX_STATE_BYTES = 512 * 1024 * 1024
#: Files up to this size are decoded whole (fastest); larger ones are scanned
#: chunk by chunk in bounded memory (``state_scan.scan_trust_map``).
WHOLE_DECODE_BYTES = 2 * 1024 * 1024
#: Bytes read at a time by a scan.
SCAN_CHUNK_BYTES = 1024 * 1024
#: A file that does not parse may be mid-write; read it again this many times.
PARSE_RETRIES = 3
PARSE_RETRY_MS = 20

WHAT = ".claude.json"


#: The legacy name of the state file, in the config folder (``$CLAUDE_CONFIG_DIR``,
#: else ``~/.claude``): where it is a regular file that is not empty, Claude
#: Code reads and writes it instead of ``.claude.json`` (2.0.77 to 2.1.197 whenever
#: it exists; 2.1.330 and 2.1.337 too, barring corner cases of an empty file).
#: Seen on 2.1.197 and 2.1.337: trust recorded only there, and no dialog.
LEGACY_STATE_FILE = ".config.json"


def claude_state_path(env: Mapping[str, str], home: str | None) -> str | None:
    config_dir = env.get("CLAUDE_CONFIG_DIR")
    legacy_dir = config_dir if config_dir else (os.path.join(home, ".claude") if home else None)
    if legacy_dir and os.path.isabs(legacy_dir):
        legacy = os.path.join(legacy_dir, LEGACY_STATE_FILE)
        if _in_use(legacy):
            return legacy
    if config_dir:
        return os.path.join(config_dir, ".claude.json")
    if home:
        return os.path.join(home, ".claude.json")
    return None


def _in_use(path: str) -> bool:
    """A regular file (links followed) that is not empty."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size > 0


@attrs.frozen(slots=True)
class _Loaded:
    stamp: tuple[int, int, int, int]
    #: Project key -> trust. Every project when ``keys`` is None, else only those.
    accepted: Mapping[str, bool]
    keys: frozenset[str] | None = None

    def answers(self, stamp: tuple[int, int, int, int], wanted: Collection[str]) -> bool:
        return self.stamp == stamp and (self.keys is None or self.keys.issuperset(wanted))


class ClaudeStateProbe(StateProbe):
    """Answers "is this workspace trusted?" from ``.claude.json``, read-only.

    The trust read is cached against the file's inode, size and modification
    times, so repeated probes cost one ``stat``. The file is opened only if it
    is a regular file (symlinks followed), never blocking; see
    ``adapters/statefile.py``.
    """

    def __init__(
        self,
        path: str | None,
        clock: Clock | None = None,
        files: StateFiles | None = None,
        *,
        version: str | None = None,
    ) -> None:
        self.path = path
        #: How the CLI's version looks a folder's trust up (None: a version not known).
        self.lookup = claude_lookup(version)
        self._files = files or LocalStateFiles()
        # Claude Code truncates and rewrites .claude.json in place (not an
        # atomic rename; anthropics/claude-code#2593, #29158), so a read can
        # land mid-write: retries wait a little between attempts.
        self._clock = clock or SystemClock()
        self._cache: _Loaded | None = None

    def read_trust(self, workspace: Workspace) -> ProbeResult:
        candidates = _candidates(workspace, self.lookup)
        loaded = self._load(workspace, frozenset(key for key, _ in candidates))
        if isinstance(loaded, Diagnostic):
            return ProbeResult(state=TrustState.UNKNOWN, diagnostics=(loaded,))
        return _decide(loaded.accepted, candidates)

    def _load(self, workspace: Workspace, wanted: frozenset[str]) -> _Loaded | Diagnostic:
        def diag(code: Code, message: str) -> Diagnostic:
            return Diagnostic(code, message, Provider.CLAUDE, workspace.id)

        if self.path is None:
            return diag(Code.STATE_FILE_MISSING, "no HOME or CLAUDE_CONFIG_DIR to find .claude.json")
        last_error = ""
        for attempt in range(PARSE_RETRIES):
            try:
                found = self._read(wanted)
            except StateFileError as exc:
                return diag(exc.code, str(exc))
            except ValueError as exc:
                # Possibly caught mid-write: Claude rewrites the whole file.
                last_error = _describe(exc)
                if attempt + 1 < PARSE_RETRIES:
                    self._clock.sleep_ms(PARSE_RETRY_MS)
                continue
            if found is None:
                return diag(Code.STATE_FILE_MISSING, "Claude state file does not exist yet")
            return found
        log.debug("Claude state file did not parse (%s)", last_error)
        return diag(Code.STATE_FILE_CORRUPT, f"state file is not valid JSON ({last_error})")

    def _read(self, wanted: frozenset[str]) -> _Loaded | None:
        """The trust read from the file as it is now; None when it does not exist.
        Raises StateFileError, or ValueError for a document that does not parse
        (or a file rewritten while it was read)."""
        assert self.path is not None
        info = self._files.stat(self.path, WHAT)
        if info is None:
            return None
        cached = self._cache
        if cached is not None and cached.answers(info.stamp, wanted):
            return cached
        _check_size(info)
        handle = self._files.open(self.path, WHAT)
        if handle is None:
            return None
        with handle:
            _check_size(handle.info)
            if handle.info.size <= WHOLE_DECODE_BYTES:
                data = handle.read_at_most(WHOLE_DECODE_BYTES + 1)
                if len(data) > WHOLE_DECODE_BYTES:
                    raise ValueError("the file changed while it was read")
                loaded = _Loaded(handle.info.stamp, trust_map(data))
            else:
                chunks = handle.chunks(SCAN_CHUNK_BYTES, MAX_STATE_BYTES)
                loaded = _Loaded(handle.info.stamp, scan_trust_map(chunks, wanted), wanted)
            if handle.changed():
                raise ValueError("the file changed while it was read")
        self._cache = loaded
        return loaded


def _check_size(info: StateFileInfo) -> None:
    if info.size > MAX_STATE_BYTES:
        raise StateFileError(f"state file is over {MAX_STATE_BYTES} bytes", code=Code.STATE_FILE_TOO_LARGE)


def _decide(accepted: Mapping[str, bool], candidates: list[tuple[str, str]]) -> ProbeResult:
    for key, source in candidates:
        if accepted.get(key) is True:
            return ProbeResult(TrustState.TRUSTED, trusted_key=key, source=source)
    return ProbeResult(state=TrustState.UNTRUSTED)


def parse_claude_state(data: bytes | None, workspace: Workspace, version: str | None = None) -> ProbeResult:
    """The pure probe: what ``.claude.json`` (its bytes; None when it does not
    exist) says about ``workspace`` to Claude Code ``version`` (None: a version
    not known, looked up the strictest way). :class:`ClaudeStateProbe` reads the file
    through the ``StateFiles`` port (retrying a torn read, scanning a large file
    in bounded memory) and decides the same way."""

    def unknown(code: Code, message: str) -> ProbeResult:
        return ProbeResult(TrustState.UNKNOWN, diagnostics=(Diagnostic(code, message, Provider.CLAUDE, workspace.id),))

    if data is None:
        return unknown(Code.STATE_FILE_MISSING, "Claude state file does not exist yet")
    if len(data) > MAX_STATE_BYTES:
        return unknown(Code.STATE_FILE_TOO_LARGE, f"state file is over {MAX_STATE_BYTES} bytes")
    candidates = _candidates(workspace, claude_lookup(version))
    try:
        if len(data) <= WHOLE_DECODE_BYTES:
            accepted = trust_map(data)
        else:
            view = memoryview(data)
            chunks = (bytes(view[at : at + SCAN_CHUNK_BYTES]) for at in range(0, len(data), SCAN_CHUNK_BYTES))
            accepted = scan_trust_map(chunks, frozenset(key for key, _ in candidates))
    except ValueError as exc:
        return unknown(Code.STATE_FILE_CORRUPT, f"state file is not valid JSON ({_describe(exc)})")
    return _decide(accepted, candidates)


def _describe(exc: ValueError) -> str:
    """Why a document did not parse, without any of its contents."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at char {exc.pos}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 at byte {exc.start}"
    return str(exc) if type(exc) is ValueError else type(exc).__name__


def _candidates(workspace: Workspace, lookup: ClaudeLookup) -> list[tuple[str, str]]:
    """Every key Claude's runtime (of the version ``lookup`` is for) accepts for
    this workspace, most specific first. Claude runs in the folder's real path:
    a key naming a symbolic link on the way counts for nothing."""
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

    real = workspace.real_path
    add(real, TrustSource.EXACT if real == workspace.absolute_path else TrustSource.REAL)
    add(workspace.git_root, TrustSource.GIT_ROOT)
    if lookup.worktree_main_checkout:
        add(workspace.worktree_main_root, TrustSource.WORKTREE_MAIN_ROOT)
    stop = workspace.git_root if lookup.stops_at_git_root else None
    if stop is None or real != stop:
        for parent in parents(real, host):
            add(parent, TrustSource.PARENT)
            if parent == stop:
                break
    return out
