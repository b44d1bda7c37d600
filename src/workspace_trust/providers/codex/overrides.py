"""The Codex trust override that real Codex honours.

Measured on Codex 0.125.0 and 0.169.0 (docs/providers.md):

* ``-c 'projects."/p".trust_level="trusted"'`` is **ignored**: Codex splits the key
  path on ``.`` without quote handling, so the quotes become part of the key.
* ``-c 'projects={"/p"={trust_level="trusted"}}'`` **works**, for any path tried.
* Two ``-c projects=...`` flags: the last replaces the first.

So every trusted path goes into **one** inline table, merged with the
``projects=`` override the host already passes. Keys are rendered by tomlkit and
the result is checked to parse back, with tomllib, to exactly what was meant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.errors import PathError
from workspace_trust.domain.paths import HostOs, Workspace, named_kind, normalize, root_reason
from workspace_trust.domain.policy import KeyJudge, not_persistable_code
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.codex.keys import codex_keys

TRUSTED = "trusted"
#: Why a path is left out of the override (``representable`` is False).
UNREPRESENTABLE = "a workspace path cannot be written as a Codex config key (NUL or invalid Unicode)"
_PROJECTS_RE = re.compile(r"^\s*projects\s*=")


@attrs.frozen(slots=True)
class OverrideBuild:
    #: The exact string to pass after ``-c`` (None when nothing can be trusted).
    value: str | None
    #: Paths the value trusts, in order.
    paths: tuple[str, ...]
    #: The host's own ``projects=`` overrides that ``value`` supersedes (it keeps
    #: their content, but for the entries in ``refused``).
    replaces: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    #: Keys of the host's own table that trusted a folder no CLI may be left
    #: trusting (a root, a home, a folder containing one, a world-writable or
    #: pseudo-filesystem folder): left out of ``value``.
    refused: tuple[str, ...] = ()


def basic_judge(host: HostOs) -> KeyJudge:
    """What can be told of a key without a home or a file: a root, or a folder
    that is no project folder by its name (``/tmp``, ``/proc``, ...). The plan
    stages pass a judge that knows the request's homes and the file system."""

    def judge(key: str) -> Code | None:
        try:
            norm = normalize(key, host.flavor)
        except PathError:
            return None
        reason = root_reason(norm, host) or named_kind(norm, host)
        if reason is None:
            return None
        return not_persistable_code(reason)

    return judge


def is_projects_override(value: str) -> bool:
    return bool(_PROJECTS_RE.match(value))


def representable(path: str) -> bool:
    """A path Codex can receive as a TOML key: no NUL, valid Unicode, absolute."""
    if not path or "\x00" in path:
        return False
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def parse_projects_override(value: str) -> dict[str, Any]:
    """The ``projects`` table of a ``projects=...`` override. Raises ValueError."""
    import tomllib  # loaded with the first override parsed, not with the spec

    try:
        doc = tomllib.loads(value)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not a TOML assignment: {exc}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    table = doc.get("projects")
    if not isinstance(table, dict) or set(doc) != {"projects"}:
        raise ValueError("not a single projects table")
    return table


def render_projects(table: dict[str, Any]) -> str:
    """``projects={...}`` as one inline table, keys escaped by tomlkit."""
    import tomlkit  # only a patch renders TOML; ``status`` and the PTY path never load it

    inline = tomlkit.inline_table()
    for key, settings in table.items():
        entry = tomlkit.inline_table()
        for name, setting in settings.items():
            entry[name] = setting
        inline[key] = entry
    rendered = "projects=" + inline.as_string().strip()
    if parse_projects_override(rendered) != table:  # pragma: no cover - tomlkit contract
        raise ValueError("override did not round-trip")
    return rendered


#: The longest one argument can be, per host, in the unit ``argument_size``
#: counts. Linux: ``MAX_ARG_STRLEN`` (32 pages, 131,072 bytes with the closing
#: NUL); a longer one fails ``execve`` with E2BIG. macOS: no limit of its own,
#: but ``ARG_MAX`` (1 MiB) holds every argument and the environment together.
#: Windows: a whole command line is at most 32,767 UTF-16 units with its NUL.
#: Each is an upper bound on the value alone: the rest of the command line and
#: (macOS) the environment share it. The value is measured as it is passed
#: after ``-c`` and as a string in a runtime's ``--settings`` JSON (escaped
#: there: each ``"`` and ``\\`` takes two), whichever is longer.
ARGUMENT_LIMIT = {HostOs.LINUX: 131_071, HostOs.MACOS: 1_048_575, HostOs.WINDOWS: 32_766}


def argument_size(value: str, host: HostOs) -> int:
    """``value``'s size as one argument on ``host``: UTF-8 bytes on POSIX; on
    Windows UTF-16 units once quoted for the command line (the surrounding
    quotes, and a backslash before every ``"`` and, at most, every ``\\``)."""
    if host is not HostOs.WINDOWS:
        return len(value.encode("utf-8", "surrogatepass"))
    return len(value.encode("utf-16-le", "surrogatepass")) // 2 + value.count('"') + value.count("\\") + 2


def override_size(value: str, host: HostOs) -> int:
    """The longer of ``value`` after ``-c`` and as a ``--settings`` JSON string."""
    return max(argument_size(value, host), argument_size(json.dumps(value, ensure_ascii=False), host))


def build_trust_override(
    paths: Iterable[str],
    existing: Sequence[str] = (),
    host_os: HostOs | None = None,
    *,
    judge: KeyJudge | None = None,
) -> OverrideBuild:
    """One ``projects={...}`` value trusting ``paths``, merged with the host's own.

    Codex applies only the last ``projects=`` override, so that one is the
    host's effective table; it is kept entry for entry, and every one of the
    host's ``projects=`` strings is listed in ``replaces``. A host override
    that does not parse is never silently dropped: the build refuses, as it
    does when the value would be longer than one argument can be on
    ``host_os`` (``ARGUMENT_LIMIT``; this machine's system by default): the
    host's launch would fail.

    A host entry that trusts a folder ``judge`` refuses is left out, named in
    ``refused`` with a diagnostic carrying the judge's code; the others are
    kept. Without a judge, :func:`basic_judge` refuses roots and the folders
    that are no project folders by name; the plan stages pass one that also
    knows the request's homes (and, in ``plan_full``, the file system).
    """
    host_os = host_os or HostOs.this_machine()
    judge = judge or basic_judge(host_os)
    diagnostics: list[Diagnostic] = []
    wanted: list[str] = []
    for path in paths:
        if not representable(path):
            diagnostics.append(
                Diagnostic(
                    Code.CODEX_PATH_UNREPRESENTABLE,
                    UNREPRESENTABLE,
                    Provider.CODEX,
                )
            )
            continue
        if path not in wanted:
            wanted.append(path)

    host = [value for value in existing if is_projects_override(value)]
    table: dict[str, Any] = {}
    if host:
        try:
            table = {k: dict(v) if isinstance(v, dict) else v for k, v in parse_projects_override(host[-1]).items()}
        except ValueError as exc:
            diagnostics.append(
                Diagnostic(
                    Code.CODEX_OVERRIDE_INVALID,
                    f"the host's own projects= override does not parse ({exc}); refusing to replace it",
                    Provider.CODEX,
                )
            )
            return OverrideBuild(value=None, paths=(), diagnostics=tuple(diagnostics))
        if any(not isinstance(v, dict) for v in table.values()):
            diagnostics.append(
                Diagnostic(
                    Code.CODEX_OVERRIDE_INVALID,
                    "the host's projects= override has a non-table entry",
                    Provider.CODEX,
                )
            )
            return OverrideBuild(value=None, paths=(), diagnostics=tuple(diagnostics))
    refused: list[str] = []
    for key, entry in list(table.items()):
        code = judge(key) if entry.get("trust_level") == TRUSTED else None
        if code is not None:
            # Never passed on: the host's other entries are kept.
            del table[key]
            refused.append(key)
            diagnostics.append(
                Diagnostic(
                    code,
                    f"the host's own projects= override trusts {key!r}, which no CLI is left trusting on the "
                    "user's behalf (a root, a home folder or one that contains it, or a folder that is no project "
                    "folder); that entry is left out of the value",
                    Provider.CODEX,
                )
            )
    if not wanted:
        if refused and table:
            # The host's remaining entries still go to Codex, in one value.
            try:
                value = render_projects(table)
            except (RecursionError, ValueError):
                value = None
            return OverrideBuild(value, (), tuple(host), tuple(diagnostics), tuple(refused))
        return OverrideBuild(
            value=None,
            paths=(),
            replaces=tuple(host) if refused else (),
            diagnostics=tuple(diagnostics),
            refused=tuple(refused),
        )
    for path in wanted:
        entry = dict(table.get(path, {}))
        entry["trust_level"] = TRUSTED
        table[path] = entry
    try:
        value = render_projects(table)
    except (RecursionError, ValueError):
        diagnostics.append(
            Diagnostic(
                Code.CODEX_OVERRIDE_INVALID,
                "the host's projects= override is nested too deeply to be rewritten",
                Provider.CODEX,
            )
        )
        return OverrideBuild(value=None, paths=(), diagnostics=tuple(diagnostics))
    size, limit = override_size(value, host_os), ARGUMENT_LIMIT[host_os]
    if size > limit:
        # The host's launch would fail (E2BIG on Linux) with every folder in it.
        diagnostics.append(
            Diagnostic(
                Code.CODEX_OVERRIDE_TOO_LONG,
                f"the -c projects= value for {len(table)} paths would be {size} "
                f"{'UTF-16 units' if host_os is HostOs.WINDOWS else 'bytes'}, more than one argument can carry on "
                f"{host_os.value} ({limit}); launch Codex for fewer folders at a time",
                Provider.CODEX,
            )
        )
        return OverrideBuild(value=None, paths=(), diagnostics=tuple(diagnostics))
    return OverrideBuild(
        value=value,
        paths=tuple(wanted),
        replaces=tuple(host),
        diagnostics=tuple(diagnostics),
        refused=tuple(refused),
    )


def trust_paths_for(workspaces: Iterable[Workspace]) -> tuple[str, ...]:
    """The exact path and the real path of each workspace, in Codex's key form."""
    out: list[str] = []
    for workspace in workspaces:
        for key in codex_keys(workspace):
            if key not in out:
                out.append(key)
    return tuple(out)
