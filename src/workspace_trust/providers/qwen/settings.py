"""Where Qwen Code keeps its files, and whether its folder trust is on. Read-only.

Everything here mirrors Qwen Code's own source (0.24.4; 0.21.10 is the same):

* **Its folder** (``Storage.getGlobalQwenDir``): ``$QWEN_HOME`` when set (``~``
  expanded, a relative value taken from the folder Qwen runs in), else
  ``~/.qwen``. 0.15.6 knows no ``QWEN_HOME`` and always uses ``~/.qwen``.
* **Home ``.env`` files** (``preResolveHomeEnvOverrides``, 0.21+): before
  anything else, Qwen reads ``QWEN_HOME`` and ``QWEN_CODE_TRUSTED_FOLDERS_PATH``
  (and two other variables) from ``<its folder>/.env`` and, when ``QWEN_HOME``
  is not set, ``~/.env``, for each variable the environment does not hold. A
  ``QWEN_HOME`` found there adds that folder's ``.env``.
* **The trusted-folders file**: ``$QWEN_CODE_TRUSTED_FOLDERS_PATH`` when set,
  else ``<its folder>/trustedFolders.json``.
* **Folder trust** is on when ``security.folderTrust.enabled`` is truthy (in
  JavaScript's sense: ``"yes"`` and ``1`` count, ``0`` and ``""`` do not) in
  the merge of the system defaults, the user's ``settings.json`` and the system
  settings, later ones winning (workspace settings never count). It is off by
  default. 0.15.6 merges only the system settings and then the user's, the
  user's winning; trust counts as off only when both orders say so. A settings
  file of the old flat form with a truthy top-level ``folderTrust`` (Qwen
  migrates it to ``security.folderTrust.enabled``) counts as on.
* **A settings file that does not parse** (or is not an object, or cannot be
  read): 0.24.4 exits at once ("An unexpected critical error occurred",
  exit 1); 0.21.10 saves a copy and replaces the user's file with empty
  settings, 0.15.6 moves it aside, and both start with trust off. All three
  were seen on the real CLIs; here it is ``qwen_settings_unreadable``.

Only the names and values listed above are ever taken from an environment or a
``.env`` file; nothing read here appears in a message.
"""

from __future__ import annotations

import enum
import ntpath
import posixpath
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from workspace_trust.adapters.statefile import LocalStateFiles, StateFileError
from workspace_trust.domain import jsonc
from workspace_trust.domain.paths import env_home
from workspace_trust.ports import StateFiles
from workspace_trust.providers.versions import parse_version

QWEN_HOME_ENV = "QWEN_HOME"
TRUSTED_FOLDERS_ENV = "QWEN_CODE_TRUSTED_FOLDERS_PATH"
SYSTEM_SETTINGS_ENV = "QWEN_CODE_SYSTEM_SETTINGS_PATH"
SYSTEM_DEFAULTS_ENV = "QWEN_CODE_SYSTEM_DEFAULTS_PATH"
#: The variables Qwen takes from a home ``.env`` file (``HOME_ENV_BOOTSTRAP_KEYS``).
BOOTSTRAP_KEYS = (QWEN_HOME_ENV, "QWEN_RUNTIME_DIR", "QWEN_CODE_MCP_APPROVALS_PATH", TRUSTED_FOLDERS_ENV)
#: Of those, the ones that move a file read here.
_USED_KEYS = (QWEN_HOME_ENV, TRUSTED_FOLDERS_ENV)
#: The home ``.env`` files are read from 0.15.10 on (0.15.6 and older have no
#: ``preResolveHomeEnvOverrides``); up to 0.21.2 only for ``QWEN_HOME``, and
#: skipped when ``QWEN_HOME`` and ``QWEN_RUNTIME_DIR`` are both set (0.15.10's
#: code). From 0.21.2 on, as described above.
DOTENV_SINCE = (0, 15, 10)
DOTENV_TRUST_FILE_SINCE = (0, 21, 2)
_EARLY_BOOTSTRAP_KEYS = (QWEN_HOME_ENV, "QWEN_RUNTIME_DIR")

QWEN_DIR = ".qwen"
TRUSTED_FOLDERS_FILE = "trustedFolders.json"
SETTINGS_FILE = "settings.json"

MAX_SETTINGS_BYTES = 4 * 1024 * 1024
MAX_DOTENV_BYTES = 1024 * 1024


class PathStyle(enum.Enum):
    """Which ``path`` module Node uses where Qwen runs."""

    POSIX = "posix"
    WINDOWS = "windows"
    MACOS = "macos"

    @classmethod
    def local(cls) -> PathStyle:
        if sys.platform == "win32":
            return cls.WINDOWS
        return cls.MACOS if sys.platform == "darwin" else cls.POSIX

    @property
    def mod(self) -> Any:
        return ntpath if self is PathStyle.WINDOWS else posixpath


def system_settings_path(env: Mapping[str, str], style: PathStyle) -> str:
    if env.get(SYSTEM_SETTINGS_ENV):
        return env[SYSTEM_SETTINGS_ENV]
    if style is PathStyle.MACOS:
        return "/Library/Application Support/QwenCode/settings.json"
    if style is PathStyle.WINDOWS:
        return "C:\\ProgramData\\qwen-code\\settings.json"
    return "/etc/qwen-code/settings.json"


def system_defaults_path(env: Mapping[str, str], style: PathStyle) -> str:
    if env.get(SYSTEM_DEFAULTS_ENV):
        return env[SYSTEM_DEFAULTS_ENV]
    return str(style.mod.join(style.mod.dirname(system_settings_path(env, style)), "system-defaults.json"))


def _resolve(path: str, cwd: str | None, style: PathStyle) -> str | None:
    """Node's ``path.resolve`` of ``path``; a relative one needs ``cwd`` (None
    without it: where it points depends on the folder Qwen runs in)."""
    mod = style.mod
    if not mod.isabs(path):
        if cwd is None:
            return None
        path = mod.join(cwd, path)
    return str(mod.normpath(path))


def qwen_dir(env: Mapping[str, str], cwd: str | None = None, style: PathStyle | None = None) -> str | None:
    """Qwen's own folder under ``env`` (``Storage.getGlobalQwenDir``), or None
    when it cannot be told (no HOME; a relative ``QWEN_HOME`` without ``cwd``)."""
    style = style or PathStyle.local()
    home = env_home(env)
    value = env.get(QWEN_HOME_ENV)
    if value:
        if value == "~" or value.startswith(("~/", "~\\")):
            if not home:
                return None
            segments = [] if value == "~" else [s for s in re.split(r"[/\\]+", value[2:]) if s]
            value = style.mod.join(home, *segments)
        return _resolve(value, cwd, style)
    return str(style.mod.join(home, QWEN_DIR)) if home else None


# -- home .env files ---------------------------------------------------------------

# dotenv 16's line pattern, as Qwen bundles it (``parse``).
_DOTENV_LINE = re.compile(
    r"(?:^|^)\s*(?:export\s+)?([A-Za-z0-9_.-]+)(?:\s*=\s*?|:\s+?)"
    r"(\s*'(?:\\'|[^'])*'|\s*\"(?:\\\"|[^\"])*\"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)",
    re.MULTILINE,
)
_DOTENV_QUOTES = re.compile(r"^(['\"`])([\s\S]*)\1$", re.MULTILINE)


def parse_dotenv(text: str) -> dict[str, str]:
    """dotenv's ``parse``: the last assignment of a name wins."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    out: dict[str, str] = {}
    for match in _DOTENV_LINE.finditer(text):
        value = (match.group(2) or "").strip()
        quote = value[:1]
        value = _DOTENV_QUOTES.sub(r"\2", value)
        if quote == '"':
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        out[match.group(1)] = value
    return out


def _read_dotenv(path: str, files: StateFiles) -> dict[str, str]:
    try:
        data = files.read(path, ".env", MAX_DOTENV_BYTES)
    except StateFileError:
        return {}  # Qwen ignores a .env it cannot read
    return parse_dotenv(data.decode("utf-8", errors="replace")) if data is not None else {}


def effective_env(
    env: Mapping[str, str],
    cwd: str | None = None,
    style: PathStyle | None = None,
    *,
    files: StateFiles | None = None,
    version: str | None = None,
) -> dict[str, str]:
    """``env`` with what Qwen takes from its home ``.env`` files added
    (``preResolveHomeEnvOverrides``): a name the environment holds, even
    empty, is never replaced. The files are read through ``files``, as
    ``version`` reads them (None: as the newest versions do)."""
    out = dict(env)
    reader = files or LocalStateFiles()
    parsed = parse_version(version)
    if parsed is not None and parsed < DOTENV_SINCE:
        return out
    early = parsed is not None and parsed < DOTENV_TRUST_FILE_SINCE
    used = (QWEN_HOME_ENV,) if early else _USED_KEYS
    if all(out.get(key) for key in (_EARLY_BOOTSTRAP_KEYS if early else BOOTSTRAP_KEYS)):
        return out
    style = style or PathStyle.local()
    initial_home = out.get(QWEN_HOME_ENV)
    initial_dir = qwen_dir(out, cwd, style)
    if initial_dir is None:
        return out
    candidates = [style.mod.join(initial_dir, ".env")]
    if not initial_home:
        candidates.append(style.mod.join(style.mod.dirname(initial_dir), ".env"))

    def take(path: str) -> None:
        found = _read_dotenv(path, reader)
        for key in used:
            if found.get(key) and key not in out:
                out[key] = found[key]

    for candidate in candidates:
        take(candidate)
    discovered = out.get(QWEN_HOME_ENV)
    if discovered and discovered != initial_home:
        discovered_dir = qwen_dir(out, cwd, style)
        if discovered_dir is not None and discovered_dir != initial_dir:
            take(style.mod.join(discovered_dir, ".env"))
    return out


def trusted_folders_path(
    env: Mapping[str, str],
    cwd: str | None = None,
    style: PathStyle | None = None,
    *,
    files: StateFiles | None = None,
    version: str | None = None,
) -> str | None:
    """The trusted-folders file Qwen reads and writes under ``env`` (its home
    ``.env`` files included, as ``version`` reads them), or None when it
    cannot be told."""
    style = style or PathStyle.local()
    full = effective_env(env, cwd, style, files=files, version=version)
    if full.get(TRUSTED_FOLDERS_ENV):
        return _resolve(full[TRUSTED_FOLDERS_ENV], cwd, style)
    folder = qwen_dir(full, cwd, style)
    return str(style.mod.join(folder, TRUSTED_FOLDERS_FILE)) if folder else None


# -- settings --------------------------------------------------------------------------


class FolderTrust(enum.Enum):
    ON = "on"
    OFF = "off"
    #: A settings file could not be read; ``SettingsState.problem`` says which and why.
    UNREADABLE = "unreadable"
    #: Where the files are cannot be told (no HOME; a relative QWEN_HOME).
    UNKNOWN = "unknown"


@attrs.frozen(slots=True)
class SettingsState:
    trust: FolderTrust
    #: Why the settings could not be read: which file (by role, never its
    #: contents) and what is wrong with it.
    problem: str = ""


def parse_json_object(data: bytes, *, strip_bom: bool) -> dict[str, Any] | None:
    """``JSON.parse(stripJsonComments(text))`` as Qwen does it (invalid UTF-8
    replaced, as Node decodes), or None when it does not parse or is not an
    object. ``strip_bom``: Qwen strips a byte order mark from settings files,
    not from trustedFolders.json."""
    text = data.decode("utf-8", errors="replace")
    if strip_bom:
        text = text.removeprefix("\ufeff")
    try:
        doc = jsonc.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _settings_files(full: Mapping[str, str], cwd: str | None, style: PathStyle) -> Iterator[tuple[str, str | None]]:
    """(role, path) of each settings file in Qwen's merge order, lowest first,
    under ``full`` (the environment with Qwen's ``.env`` files taken in)."""
    yield "the system defaults", system_defaults_path(full, style)
    folder = qwen_dir(full, cwd, style)
    yield "the user's settings.json", None if folder is None else str(style.mod.join(folder, SETTINGS_FILE))
    yield "the system settings", system_settings_path(full, style)


def _merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    """Qwen's ``customDeepMerge`` (no path under ``security`` has a strategy)."""
    for key, value in source.items():
        if key in ("__proto__", "constructor", "prototype"):
            continue
        old = target.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        elif isinstance(value, dict):
            target[key] = {}
            _merge(target[key], value)
        else:
            target[key] = value


_ENV_REFERENCE = re.compile(r"\$(?:(\w+)|{([^}]+)})")


def _truthy(value: Any, env: Mapping[str, str]) -> bool:
    """JavaScript truthiness of a JSON value, after Qwen replaces ``$NAME`` and
    ``${NAME}`` in strings with the environment's values."""
    if isinstance(value, str):
        value = _ENV_REFERENCE.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), value)
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0  # 0 and -0 are falsy (JSON has no NaN)
    if isinstance(value, str):
        return value != ""
    return True


def _enabled(merged: Mapping[str, Any]) -> Any:
    security = merged.get("security")
    folder_trust = security.get("folderTrust") if isinstance(security, dict) else None
    return folder_trust.get("enabled") if isinstance(folder_trust, dict) else None


def folder_trust(
    env: Mapping[str, str],
    cwd: str | None = None,
    style: PathStyle | None = None,
    *,
    files: StateFiles | None = None,
    version: str | None = None,
) -> SettingsState:
    """Whether Qwen's folder trust is on under ``env``; the settings (and
    ``.env`` files, as ``version`` reads them) are read through ``files``."""
    style = style or PathStyle.local()
    reader = files or LocalStateFiles()
    full = effective_env(env, cwd, style, files=reader, version=version)
    scopes: list[Mapping[str, Any]] = []
    for role, path in _settings_files(full, cwd, style):
        if path is None:
            return SettingsState(FolderTrust.UNKNOWN, f"{role} cannot be found (no HOME, or a relative QWEN_HOME)")
        try:
            data = reader.read(path, role, MAX_SETTINGS_BYTES)
        except StateFileError as exc:
            return SettingsState(FolderTrust.UNREADABLE, f"{role} cannot be read: {exc}")
        if data is None:
            scopes.append({})
            continue
        doc = parse_json_object(data, strip_bom=True)
        if doc is None:
            return SettingsState(FolderTrust.UNREADABLE, f"{role} does not parse as a JSON object")
        scopes.append(doc)
    defaults, user, system = scopes
    newest: dict[str, Any] = {}
    oldest: dict[str, Any] = {}
    for scope in (defaults, user, system):
        _merge(newest, scope)
    for scope in (system, user):
        _merge(oldest, scope)
    on = (
        _truthy(_enabled(newest), full)
        or _truthy(_enabled(oldest), full)
        or any(_truthy(scope.get("folderTrust"), full) for scope in scopes)
    )
    return SettingsState(FolderTrust.ON if on else FolderTrust.OFF)
