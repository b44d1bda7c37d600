"""Read-only probe of Gemini CLI's ``trustedFolders.json``, and its environment patch.

The file (``$GEMINI_CLI_TRUSTED_FOLDERS_PATH`` or ``~/.gemini/trustedFolders.json``)
maps paths to ``TRUST_FOLDER`` (the folder and everything below), ``TRUST_PARENT``
(the folder's parent and everything below) or ``DO_NOT_TRUST``. The longest
matching rule wins. The file may hold comments. Keys compare lower-cased on
macOS and Windows (Gemini CLI 0.61.0 source, trustedFolders).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.domain import jsonc
from workspace_trust.domain.codes import Code, Provider, TrustState
from workspace_trust.domain.patches import EnvPatch
from workspace_trust.domain.paths import HostOs, PathError, PathFlavor, Workspace, env_home, normalize, parents
from workspace_trust.domain.results import Diagnostic, ProbeResult
from workspace_trust.ports import StateFiles
from workspace_trust.providers.gemini import FOLDER_DISTRUSTED
from workspace_trust.providers.gemini.keys import gemini_config_key
from workspace_trust.providers.state_probe import FileStateProbe

MAX_FILE_BYTES = 4 * 1024 * 1024
TRUST_ENV = "GEMINI_CLI_TRUST_WORKSPACE"


def trusted_folders_path(env: Mapping[str, str]) -> str | None:
    """Where Gemini CLI reads and writes trust under ``env`` (``Storage.
    getTrustedFoldersPath``, 0.45.2 and 0.61.0): the variables of
    ``STATE_VARIABLES`` the CLI's version reads (the caller drops the others)."""
    if env.get("GEMINI_CLI_TRUSTED_FOLDERS_PATH"):
        return env["GEMINI_CLI_TRUSTED_FOLDERS_PATH"]
    # homedir(): $GEMINI_CLI_HOME when set, else the account's home.
    home = env.get("GEMINI_CLI_HOME") or env_home(env)
    if not home:
        return None
    if env.get("SANDBOX") == "sandbox-exec":
        # getGlobalRuntimeDir (0.61.0): inside macOS Seatbelt, under ~/.cache.
        return os.path.join(home, ".cache", ".gemini", "trustedFolders.json")
    return os.path.join(home, ".gemini", "trustedFolders.json")


#: A rule's folder -> the folder as Gemini compares it (its links resolved).
Resolver = Callable[[str, HostOs], str]


def _as_written(path: str, host: HostOs) -> str:
    return path


def native_realpath(files: StateFiles) -> Resolver:
    """A rule's folder with its links resolved through ``files``, as Gemini CLI
    0.61.0 resolves it (``realpathSync`` when it exists, else as written), on
    this machine's own kind of path (another host's path, as in tests, stays)."""
    native = PathFlavor.WINDOWS if os.name == "nt" else PathFlavor.POSIX

    def resolve(path: str, host: HostOs) -> str:
        if host.flavor is not native or not os.path.exists(path):
            return path
        return files.real_path(path)

    return resolve


class GeminiStateProbe(FileStateProbe):
    def __init__(self, path: str | None, files: StateFiles | None = None, resolve: Resolver | None = None) -> None:
        files = files or LocalStateFiles()
        looked_up = resolve or native_realpath(files)
        super().__init__(
            path,
            provider=Provider.GEMINI,
            what="trustedFolders.json",
            limit=MAX_FILE_BYTES,
            parse=lambda data, workspace: parse_gemini_state(data, workspace, looked_up),
            files=files,
            no_path="no HOME to find trustedFolders.json",
        )


def _unknown(workspace: Workspace, code: Code, message: str) -> ProbeResult:
    return ProbeResult(TrustState.UNKNOWN, diagnostics=(Diagnostic(code, message, Provider.GEMINI, workspace.id),))


def parse_gemini_state(data: bytes | None, workspace: Workspace, resolve: Resolver = _as_written) -> ProbeResult:
    """The pure probe: what ``trustedFolders.json`` (its bytes; None when it
    does not exist) says about ``workspace``. ``resolve`` gives a rule's folder
    with its links resolved (the probe passes one that looks through the
    ``StateFiles`` port; the default resolves nothing and touches nothing)."""
    if data is None:
        return ProbeResult(TrustState.UNTRUSTED)
    try:
        # readFileSync(utf-8): bytes that are not UTF-8 read as U+FFFD (0.61.0
        # starts with them and writes U+FFFD back when it adds a folder); then
        # strip-json-comments and JSON.parse: no trailing commas.
        doc = jsonc.loads(data.decode("utf-8", "replace")) if data.strip() else {}
    except ValueError:
        return _unknown(workspace, Code.STATE_FILE_CORRUPT, "trustedFolders.json does not parse")
    if not isinstance(doc, dict):
        return _unknown(workspace, Code.STATE_FILE_CORRUPT, "trustedFolders.json is not an object")
    return decide(workspace, ((k, v) for k, v in doc.items() if isinstance(v, str)), resolve)


def decide(workspace: Workspace, rules: Iterable[tuple[str, str]], resolve: Resolver = _as_written) -> ProbeResult:
    """Apply Gemini's rules: the longest matching rule path (as written) wins.
    A rule's folder is compared with its links resolved (0.45.2 and 0.61.0: a
    rule naming a link to the folder covers it)."""
    host = workspace.host
    target = gemini_config_key(workspace.real_path, host)
    best: tuple[int, str, str] | None = None
    for raw, level in rules:
        try:
            native = normalize(raw, host.flavor)
        except PathError:
            continue
        if level == "TRUST_PARENT":
            # Gemini takes the parent of the rule as written, before turning
            # backslashes into slashes: on Linux the parent of "/x/a\\b" is "/x".
            native = next(iter(parents(native, host)), native)
        elif level not in ("TRUST_FOLDER", "DO_NOT_TRUST"):
            continue
        try:
            scope = gemini_config_key(resolve(native, host), host)
        except (PathError, OSError, ValueError):
            continue
        # The longest rule as written wins; the first of equal length stays.
        if _covers(scope, target) and (best is None or len(raw) > best[0]):
            best = (len(raw), raw, level)
    if best is None:
        return ProbeResult(TrustState.UNTRUSTED)
    _, raw, level = best
    if level == "DO_NOT_TRUST":
        return ProbeResult(
            TrustState.UNTRUSTED,
            source="rule",
            diagnostics=(
                Diagnostic(
                    FOLDER_DISTRUSTED,
                    "Gemini CLI's trustedFolders.json says DO_NOT_TRUST for this folder or a folder above it: "
                    "Gemini opens it restricted without asking, and the user's own choice is never overridden",
                    Provider.GEMINI,
                    workspace.id,
                ),
            ),
        )
    return ProbeResult(TrustState.TRUSTED, trusted_key=raw, source="rule")


def _covers(scope: str, target: str) -> bool:
    if target == scope:
        return True
    prefix = scope if scope.endswith("/") else scope + "/"
    return target.startswith(prefix)


def gemini_env_patch(workspaces: Iterable[Workspace]) -> EnvPatch:
    """``GEMINI_CLI_TRUST_WORKSPACE=true``: trusts for one session, writes nothing."""
    ids = tuple(w.id for w in workspaces)
    return EnvPatch(
        id="gemini.trust_workspace_env",
        target_provider=Provider.GEMINI,
        values=((TRUST_ENV, "true"),),
        dedupe_key=f"gemini:env:{TRUST_ENV}",
        source_workspace_ids=ids,
        reason="Gemini CLI trusts the launch folder for this session only; nothing is persisted",
        session_only=True,
    )
