"""Read-only probe of GitHub Copilot CLI's ``trustedFolders`` in ``config.json``.

Where: ``$COPILOT_HOME/config.json``, else ``$HOME/.copilot/config.json``
(``XDG_CONFIG_HOME`` is not used by 1.0.80-1.0.102). What each fact below rests on
was measured on the real CLIs (1.0.80, 1.0.89, 1.0.102) by writing the file and
seeing whether the CLI asked again; docs/providers.md has the table.

* The file starts with ``//`` comment lines; block comments, trailing commas and
  a byte-order mark are accepted too. Unquoted keys, single quotes or text after
  the document make the CLI read no trust from it: such a file is reported as
  ``state_file_corrupt`` and nothing is started.
* The key is ``trustedFolders``. Older builds (1.0.10) wrote ``trusted_folders``;
  the newer ones still read any top-level key whose snake_case form is
  ``trusted_folders`` (``TrustedFolders``, ``TRUSTED_FOLDERS`` too), the last one
  in the document winning, as their config loader maps keys to their camelCase
  form one after the other. ``trustedfolders`` is not such a key.
* The value counts only as a list of strings: one element of another type, a
  string or ``null`` and the CLI asks again.
* An entry covers the folder itself and every folder below it (a trusted
  ``/`` covers everything). Both the entry and the working folder are compared
  with their symbolic links resolved: a trusted link covers its target, and a
  folder reached through a link is covered by its real path's entry. ``//``,
  ``.``, ``..`` and a trailing ``/`` do not matter; case does on Linux; a
  relative entry (``proj``, ``.``, ``~/proj``, the empty string) covers nothing.
* The same key in ``settings.json`` is ignored by 1.0.102. 1.0.80 and 1.0.89 move it
  into ``config.json`` when they start, if that file exists (without it they ask);
  so a folder listed only there is prepared by starting the CLI, which then shows
  no dialog, and is reported from ``config.json``.
* Not followed: 1.0.80 and 1.0.89 read no trust at all from a file in which another
  known key has the wrong type (``"loggedInUsers": "x"``); 1.0.102 reads it. The
  probe, like 1.0.102, looks at the trust key only. The CLI never writes such a file.

The file also holds login data; only the trust list is kept, and nothing of the
file's contents is ever logged or returned except the matching entry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.domain import jsonc
from workspace_trust.domain.codes import Code, TrustState
from workspace_trust.domain.paths import HostOs, PathError, PathFlavor, Workspace, env_home
from workspace_trust.domain.results import Diagnostic, ProbeResult, TrustSource
from workspace_trust.ports import StateFiles
from workspace_trust.providers.copilot import COPILOT
from workspace_trust.providers.copilot.keys import copilot_compare_key
from workspace_trust.providers.state_probe import FileStateProbe

MAX_FILE_BYTES = 16 * 1024 * 1024
WHAT = "config.json"
#: The key's snake_case form; every top-level key with this form is read as it.
TRUST_KEY_SNAKE = "trusted_folders"

_CAMEL_HUMP = re.compile(r"([a-z])([A-Z])")


def copilot_home(env: Mapping[str, str]) -> str | None:
    if env.get("COPILOT_HOME"):
        return env["COPILOT_HOME"]
    home = env_home(env)
    return os.path.join(home, ".copilot") if home else None


def copilot_config_path(env: Mapping[str, str]) -> str | None:
    base = copilot_home(env)
    return os.path.join(base, "config.json") if base else None


def _snake(key: str) -> str:
    return _CAMEL_HUMP.sub(r"\1_\2", key).lower()


def trusted_folders(data: bytes) -> tuple[str, ...]:
    """The trust list as Copilot CLI reads it from ``config.json``'s bytes.

    Raises ``ValueError`` for a document the CLI cannot read at all. Bytes
    that are not UTF-8 read as U+FFFD, as 1.0.102 reads its trust list."""
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    if not text.strip():
        return ()
    # jsonc-parser with trailing commas allowed (a parse error: no trust read).
    pairs = jsonc.loads(text, trailing_commas=True, object_pairs_hook=list)
    if not isinstance(pairs, list) or (pairs and not isinstance(pairs[0], tuple)):
        # A top-level array (of pairs or of anything else): no settings at all.
        raise ValueError("config.json is not an object")
    # As in JavaScript: a repeated key keeps its first place and its last value;
    # then keys are read in order, each alias of the trust key overwriting the last.
    merged: dict[str, Any] = {}
    for key, item in pairs:
        merged[key] = item
    value: Any = None
    for key, found in merged.items():
        if _snake(key) == TRUST_KEY_SNAKE:
            value = found
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        return ()
    return tuple(value)


Resolver = Callable[[str, HostOs], str]


def native_realpath(files: StateFiles) -> Resolver:
    """An entry's path with its symbolic links resolved through ``files``, on
    this machine's own kind of path (a Windows path given to a POSIX host, as in
    tests, stays as it is)."""
    native = PathFlavor.WINDOWS if os.name == "nt" else PathFlavor.POSIX

    def resolve(path: str, host: HostOs) -> str:
        return files.real_path(path) if host.flavor is native else path

    return resolve


def _no_links(path: str, host: HostOs) -> str:
    return path


def parse_copilot_state(data: bytes | None, workspace: Workspace, resolve: Resolver = _no_links) -> ProbeResult:
    """The pure probe: what ``config.json`` (its bytes; None when it does not
    exist) says about ``workspace``. ``resolve`` gives an entry's path with its
    links resolved, as the CLI compares it (the probe passes one that looks
    through the ``StateFiles`` port; the default resolves no link and touches
    nothing)."""
    if data is None:
        return ProbeResult(TrustState.UNTRUSTED)
    try:
        entries = trusted_folders(data)
    except (ValueError, RecursionError):
        return ProbeResult(
            TrustState.UNKNOWN,
            diagnostics=(Diagnostic(Code.STATE_FILE_CORRUPT, "config.json does not parse", COPILOT, workspace.id),),
        )
    found = decide(workspace, entries, resolve)
    if not found.trusted and not _is_utf8(data):
        # 1.0.102 reads its trust list past such bytes, but adding a folder
        # fails ("file is not valid UTF-8") once the file is not a first
        # start's, and the dialog stays: nothing a session could persist.
        return ProbeResult(
            TrustState.UNKNOWN,
            diagnostics=(Diagnostic(Code.STATE_FILE_CORRUPT, _NOT_UTF8, COPILOT, workspace.id),),
        )
    return found


_NOT_UTF8 = (
    "config.json holds bytes that are not UTF-8: Copilot CLI reads its trusted folders past them "
    "but cannot add one to the file"
)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class CopilotStateProbe(FileStateProbe):
    """Answers "is this workspace trusted?" from Copilot CLI's ``config.json``, read-only."""

    #: Entries whose real path is remembered, at most: while a session runs the
    #: file is read every few milliseconds, and each entry's links are resolved.
    REALPATH_CACHE = 10_000

    def __init__(self, path: str | None, files: StateFiles | None = None, resolve: Resolver | None = None) -> None:
        files = files or LocalStateFiles()
        looked_up = resolve or native_realpath(files)
        cache: dict[tuple[str, HostOs], str] = {}

        def cached(entry: str, host: HostOs) -> str:
            key = (entry, host)
            if key not in cache:
                if len(cache) >= self.REALPATH_CACHE:
                    cache.clear()
                cache[key] = looked_up(entry, host)
            return cache[key]

        super().__init__(
            path,
            provider=COPILOT,
            what=WHAT,
            limit=MAX_FILE_BYTES,
            parse=lambda data, workspace: parse_copilot_state(data, workspace, cached),
            files=files,
            no_path="no HOME or COPILOT_HOME to find config.json",
        )


_RANK = {TrustSource.EXACT: 0, TrustSource.REAL: 1, TrustSource.PARENT: 2, TrustSource.WORKTREE_MAIN_ROOT: 3}


def decide(workspace: Workspace, entries: Iterable[str], resolve: Resolver | None = None) -> ProbeResult:
    """Whether one of ``entries`` covers the workspace as Copilot CLI decides:
    the real path of an entry is the folder's real path or one of its parents,
    or, in a linked git worktree, its main checkout or one of that one's
    parents (1.0.80, 1.0.89 and 1.0.102 start without asking in a worktree of
    a trusted repository, and ask in one of a repository that is not)."""
    resolve = resolve or native_realpath(LocalStateFiles())
    host = workspace.host
    target = copilot_compare_key(workspace.real_path, host)
    given = copilot_compare_key(workspace.absolute_path, host)
    main: str | None = None
    if workspace.worktree_main_root:
        try:
            main = copilot_compare_key(workspace.worktree_main_root, host)
        except (PathError, ValueError):
            main = None
    best: tuple[int, str, str] | None = None
    for raw in entries:
        try:
            written = copilot_compare_key(raw, host)  # refuses relative entries
            scope = copilot_compare_key(resolve(raw, host), host)
        except (PathError, OSError, ValueError):
            continue
        if scope == target:
            source = TrustSource.EXACT if written == given else TrustSource.REAL
        elif _covers(scope, target, host):
            source = TrustSource.PARENT
        elif main is not None and (scope == main or _covers(scope, main, host)):
            source = TrustSource.WORKTREE_MAIN_ROOT
        else:
            continue
        if best is None or _RANK[source] < best[0]:
            best = (_RANK[source], raw, source)
    if best is None:
        return ProbeResult(TrustState.UNTRUSTED)
    _, raw, source = best
    return ProbeResult(TrustState.TRUSTED, trusted_key=raw, source=source)


def _covers(scope: str, target: str, host: HostOs) -> bool:
    sep = "\\" if host.flavor is PathFlavor.WINDOWS else "/"
    return target.startswith(scope if scope.endswith(sep) else scope + sep)
