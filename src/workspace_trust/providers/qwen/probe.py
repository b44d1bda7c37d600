"""Read-only probe of Qwen Code's ``trustedFolders.json``, decided as Qwen decides.

The file maps paths to ``TRUST_FOLDER`` (the folder and everything below),
``TRUST_PARENT`` (the folder's parent and everything below) or
``DO_NOT_TRUST`` (the folder and everything below). Qwen Code 0.21.10 and
0.24.4 (``resolveTrustRule``) take every rule that covers the folder, the
rule's path as written *and* its real path (a rule naming a symlink covers the
target); the deepest covering path wins, and at equal depth ``DO_NOT_TRUST``
wins. So a ``DO_NOT_TRUST`` on the folder beats a ``TRUST_FOLDER`` on a folder
above it. (0.15.6 did it the other way: any covering trust rule won, and
``DO_NOT_TRUST`` counted only on the exact folder. Everything the rule here
calls trusted is trusted there too.) A relative rule path is taken from the
folder Qwen runs in, so ``"."`` trusts every folder. The folder is the one
Qwen runs in, as ``process.cwd()`` gives it: the real path. The file may hold
comments; a file that does not parse stops Qwen ("Please fix the configuration
file", exit 52).
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from workspace_trust.adapters.statefile import LocalStateFiles, StateFileError
from workspace_trust.domain.codes import Code, TrustState
from workspace_trust.domain.paths import HostOs, PathFlavor, Workspace
from workspace_trust.domain.results import Diagnostic, ProbeResult
from workspace_trust.ports import StateFiles, StateProbe
from workspace_trust.providers.qwen import FOLDER_DISTRUSTED, QWEN, SETTINGS_UNREADABLE
from workspace_trust.providers.qwen.keys import qwen_compare_form, qwen_config_key
from workspace_trust.providers.qwen.lookup import QwenLookup, qwen_lookup
from workspace_trust.providers.qwen.settings import (
    FolderTrust,
    PathStyle,
    folder_trust,
    parse_json_object,
    trusted_folders_path,
)

MAX_FILE_BYTES = 4 * 1024 * 1024
TRUST_FOLDER = "TRUST_FOLDER"
TRUST_PARENT = "TRUST_PARENT"
DO_NOT_TRUST = "DO_NOT_TRUST"


def qwen_state_file(env: Mapping[str, str]) -> str | None:
    """The trusted-folders file, where it does not depend on the folder Qwen runs in."""
    return trusted_folders_path(env)


def _style(host: HostOs) -> PathStyle:
    if host is HostOs.WINDOWS:
        return PathStyle.WINDOWS
    return PathStyle.MACOS if host is HostOs.MACOS else PathStyle.POSIX


class QwenStateProbe(StateProbe):
    """Reads Qwen's settings (is anything readable?) and its trusted-folders
    file, under the environment Qwen runs with."""

    #: Rule paths whose real path is remembered, at most (see ``_realpath``).
    REALPATH_CACHE = 100_000

    def __init__(self, env: Mapping[str, str], files: StateFiles | None = None, version: str | None = None) -> None:
        self.env = dict(env)
        #: The CLI's version: its home ``.env`` files are read as it reads them.
        self.version = version
        #: How the CLI's version decides from the rules (None: a version not known).
        self.lookup = qwen_lookup(version)
        self._files = files or LocalStateFiles()
        self._real: dict[str, str | None] = {}

    def _realpath(self, path: str) -> str | None:
        """Every rule's real path is looked up once per probe (a probe lives for
        one run): while a session runs the file is read every few milliseconds,
        and a large file holds thousands of rules."""
        if path not in self._real:
            if len(self._real) >= self.REALPATH_CACHE:
                self._real.clear()
            self._real[path] = real_path_of(path)
        return self._real[path]

    def read_trust(self, workspace: Workspace) -> ProbeResult:
        def unknown(code: Code, message: str) -> ProbeResult:
            return ProbeResult(TrustState.UNKNOWN, diagnostics=(Diagnostic(code, message, QWEN, workspace.id),))

        style = _style(workspace.host)
        settings = folder_trust(self.env, workspace.real_path, style, files=self._files, version=self.version)
        if settings.trust is FolderTrust.UNREADABLE:
            return unknown(SETTINGS_UNREADABLE, f"Qwen Code cannot start with its settings: {settings.problem}")
        path = trusted_folders_path(self.env, workspace.real_path, style, files=self._files, version=self.version)
        if path is None:
            return unknown(Code.STATE_FILE_MISSING, "no HOME to find trustedFolders.json")
        try:
            data = self._files.read(path, "trustedFolders.json", MAX_FILE_BYTES)
        except StateFileError as exc:
            return unknown(exc.code, str(exc))
        return parse_qwen_state(data, workspace, self._realpath, self.lookup)


def _no_links(path: str) -> str | None:
    return None


def parse_qwen_state(
    data: bytes | None, workspace: Workspace, realpath: RealPath = _no_links, lookup: QwenLookup | None = None
) -> ProbeResult:
    """The pure probe: what ``trustedFolders.json`` (its bytes; None when it
    does not exist) says about ``workspace``. ``realpath`` gives a rule path's
    real path as Qwen's ``fs.realpathSync`` would (the probe passes one that
    looks; the default resolves no link and touches nothing). ``lookup``: how
    the CLI's version decides (``qwen/lookup.py``; None: 0.21.2 and later)."""
    if data is None:
        return ProbeResult(TrustState.UNTRUSTED)
    # No byte order mark is stripped and an empty file does not parse:
    # Qwen stops on both.
    doc = parse_json_object(data, strip_bom=False)
    if doc is None:
        return ProbeResult(
            TrustState.UNKNOWN,
            diagnostics=(
                Diagnostic(
                    Code.STATE_FILE_CORRUPT, "trustedFolders.json does not parse as a JSON object", QWEN, workspace.id
                ),
            ),
        )
    result = decide_as(lookup or NEWER, workspace, list(doc.items()), realpath)
    if result.state is TrustState.UNTRUSTED and result.source == "rule":
        return ProbeResult(
            TrustState.UNTRUSTED,
            source="rule",
            diagnostics=(
                Diagnostic(
                    FOLDER_DISTRUSTED,
                    "Qwen Code's trustedFolders.json says DO_NOT_TRUST for this folder or a folder above it; "
                    "the user's own choice is never overridden",
                    QWEN,
                    workspace.id,
                ),
            ),
        )
    return result


NEWER = QwenLookup(deepest_rule_wins=True)


def decide_as(
    lookup: QwenLookup, workspace: Workspace, rules: Sequence[tuple[str, Any]], realpath: RealPath | None = None
) -> ProbeResult:
    """The decision of the Qwen version ``lookup`` is for."""
    if not lookup.deepest_rule_wins:
        return decide_any_trust(workspace, rules, (realpath or real_path_of) if lookup.resolves_links else None)
    found = decide(workspace, rules, realpath)
    if lookup.every_known and found.trusted:
        older = decide_any_trust(workspace, rules, None)
        if not older.trusted:
            return older
    return found


def decide_any_trust(
    workspace: Workspace, rules: Iterable[tuple[str, Any]], realpath: RealPath | None = None
) -> ProbeResult:
    """Qwen Code 0.15.x's and 0.21.2's ``isPathTrusted`` for the folder it runs
    in (its real path): TRUSTED when a TRUST_FOLDER (or TRUST_PARENT's parent)
    rule covers it; else UNTRUSTED with ``source="rule"`` when a DO_NOT_TRUST
    rule names exactly that folder; else plain UNTRUSTED (Qwen asks). With
    ``realpath`` (0.21.2) a rule counts by its real path too; without it
    (0.15.x) as written only."""
    host = workspace.host
    location = qwen_config_key(workspace.real_path, host)

    def variants(rule_path: str) -> tuple[str, ...]:
        if realpath is None:
            return (node_resolve(rule_path, location, host),)
        return comparison_variants(rule_path, location, host, realpath)

    refused = False
    for raw, level in rules:
        if level in (TRUST_FOLDER, TRUST_PARENT):
            rule_path = node_dirname(raw, host) if level == TRUST_PARENT else raw
            if any(within(location, variant, host) for variant in variants(rule_path)):
                return ProbeResult(TrustState.TRUSTED, trusted_key=raw, source="rule")
        elif level == DO_NOT_TRUST and (realpath is not None or _is_absolute(raw, host)):
            here = qwen_compare_form(location, host)
            refused = refused or any(qwen_compare_form(v, host) == here for v in variants(raw))
    return ProbeResult(TrustState.UNTRUSTED, source="rule") if refused else ProbeResult(TrustState.UNTRUSTED)


def _is_absolute(path: str, host: HostOs) -> bool:
    if host.flavor is PathFlavor.POSIX:
        return path.startswith("/")
    drive, rest = _win_drive(path)
    return bool(drive) and rest[:1] in ("\\", "/")


def decide(workspace: Workspace, rules: Iterable[tuple[str, Any]], realpath: RealPath | None = None) -> ProbeResult:
    """Qwen's ``resolveTrustRule`` for the folder Qwen runs in (its real path):
    TRUSTED with the winning rule's key, UNTRUSTED with ``source="rule"`` when a
    DO_NOT_TRUST rule wins, plain UNTRUSTED when no rule covers the folder."""
    realpath = realpath or real_path_of
    host = workspace.host
    location = qwen_config_key(workspace.real_path, host)
    best: tuple[int, str, str] | None = None
    for raw, level in rules:
        if level == TRUST_PARENT:
            rule_path = node_dirname(raw, host)
        elif level in (TRUST_FOLDER, DO_NOT_TRUST):
            rule_path = raw
        else:
            continue  # Qwen skips any other value
        depth = -1
        for variant in comparison_variants(rule_path, location, host, realpath):
            if within(location, variant, host):
                depth = max(depth, path_depth(variant, host))
        if depth < 0:
            continue
        if best is None or depth > best[0] or (depth == best[0] and level == DO_NOT_TRUST and best[2] != DO_NOT_TRUST):
            best = (depth, raw, level)
    if best is None:
        return ProbeResult(TrustState.UNTRUSTED)
    _, raw, level = best
    if level == DO_NOT_TRUST:
        return ProbeResult(TrustState.UNTRUSTED, source="rule")
    return ProbeResult(TrustState.TRUSTED, trusted_key=raw, source="rule")


# -- Node's path functions, as Qwen calls them -------------------------------------


def _mod(host: HostOs) -> Any:
    return _style(host).mod


def node_resolve(path: str, cwd: str, host: HostOs) -> str:
    """``path.normalize(path.resolve(path))`` with ``process.cwd()`` = ``cwd``."""
    if host.flavor is PathFlavor.POSIX:
        joined = path if path.startswith("/") else posixpath.join(cwd, path)
        resolved = posixpath.normpath(joined)
        while resolved.startswith("//"):
            resolved = resolved[1:]
        return resolved
    # Windows: close to Node's ``path.win32.resolve`` for the paths Qwen
    # writes (a drive letter or a UNC share, then a path); not checked
    # against Node for every odd spelling, as the POSIX branch is.
    drive, rest = _win_drive(path)
    if not drive and rest[:1] in ("\\", "/"):
        path = _win_drive(cwd)[0] + path  # rooted, no drive: the cwd's drive
    elif not drive:
        path = cwd + "\\" + rest
    elif rest[:1] not in ("\\", "/"):
        # Drive-relative ("C:name"): from the cwd on its own drive, else the drive's root.
        same = drive.lower() == _win_drive(cwd)[0].lower()
        path = (cwd if same else drive) + "\\" + rest
    resolved = ntpath.normpath(path)
    drive, rest = _win_drive(resolved)
    if drive.startswith("\\\\") and not rest:
        resolved += "\\"  # a UNC root ends in a separator
    return resolved


_UNC = re.compile(r"^[\\\\/]{2}[^\\\\/]+[\\\\/]+[^\\\\/]+")


def _win_drive(path: str) -> tuple[str, str]:
    """A Windows drive as Node knows one: a letter and a colon, or a UNC share."""
    unc = _UNC.match(path)
    if unc:
        return unc.group(0), path[unc.end() :]
    if len(path) >= 2 and path[0].isascii() and path[0].isalpha() and path[1] == ":":
        return path[:2], path[2:]
    return "", path


def _is_sep(char: str, host: HostOs) -> bool:
    return char == "/" or (host.flavor is PathFlavor.WINDOWS and char == "\\")


def node_dirname(path: str, host: HostOs) -> str:
    """Node's ``path.dirname`` (``path.posix`` or ``path.win32``), ported."""
    length = len(path)
    if length == 0:
        return "."
    root_end = -1
    offset = 0
    if host.flavor is PathFlavor.POSIX:
        offset = 1
        root_end = 1 if path[0] == "/" else -1
    elif length == 1:
        return path if _is_sep(path, host) else "."
    elif _is_sep(path[0], host):
        root_end = offset = 1
        if _is_sep(path[1], host):
            j = last = 2
            while j < length and not _is_sep(path[j], host):
                j += 1
            if j < length and j != last:
                last = j
                while j < length and _is_sep(path[j], host):
                    j += 1
                if j < length and j != last:
                    last = j
                    while j < length and not _is_sep(path[j], host):
                        j += 1
                    if j == length:
                        return path  # a UNC root only
                    if j != last:
                        root_end = offset = j + 1
    elif path[0].isascii() and path[0].isalpha() and path[1] == ":":
        root_end = 3 if length > 2 and _is_sep(path[2], host) else 2
        offset = root_end
    end = -1
    matched_sep = True
    for index in range(length - 1, offset - 1, -1):
        if _is_sep(path[index], host):
            if not matched_sep:
                end = index
                break
        else:
            matched_sep = False
    if host.flavor is PathFlavor.POSIX:
        if end == -1:
            return "/" if path[0] == "/" else "."
        if path[0] == "/" and end == 1:
            return "//"
        return path[:end]
    if end == -1:
        if root_end == -1:
            return "."
        end = root_end
    return path[:end]


def real_path_of(path: str) -> str | None:
    """``fs.realpathSync``: the path with every symlink resolved, or None when
    it does not exist (or cannot be resolved)."""
    try:
        return os.path.realpath(path, strict=True)
    except (OSError, ValueError):
        return None


RealPath = Callable[[str], "str | None"]


def comparison_variants(rule_path: str, cwd: str, host: HostOs, realpath: RealPath = real_path_of) -> tuple[str, ...]:
    """``getPathComparisonVariants``: the rule resolved, and its real path when
    it exists (a rule naming a symlink covers the target)."""
    resolved = node_resolve(rule_path, cwd, host)
    real = realpath(resolved)
    if real is None:
        return (resolved,)
    real = node_resolve(real, cwd, host)
    return (resolved,) if real == resolved else (resolved, real)


def within(location: str, root: str, host: HostOs) -> bool:
    """``isWithinRoot``: ``location`` is ``root`` or below it (Node's
    ``path.relative``, which ignores case on Windows only)."""
    outer, inner = qwen_compare_form(root, host), qwen_compare_form(location, host)
    if outer == inner:
        return True
    sep = "\\" if host.flavor is PathFlavor.WINDOWS else "/"
    return inner.startswith(outer if outer.endswith(sep) else outer + sep)


def path_depth(path: str, host: HostOs) -> int:
    """``pathDepth``: how many names the resolved path has below its root."""
    if host.flavor is PathFlavor.WINDOWS:
        parts = _mod(host).splitdrive(path)[1].replace("/", "\\").split("\\")
    else:
        parts = path.split("/")
    return sum(1 for part in parts if part)
