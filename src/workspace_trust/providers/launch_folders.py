"""Folders a launch opens besides its working folder, read from the host's
launch arguments as the CLI reads them. Pure: arguments in, folders out.

A CLI that decides trust for such a folder asks about it (Claude Code's
"Adding a new directory:" for ``--add-dir``) or works in it (Codex's and
Copilot's ``-C``); each CLI's ``ProviderSpec.folder_args`` names the
arguments it decides trust for, measured on the real CLI
(tests/test_real_launch_modes.py). The planner gives each folder found its
own row, under the same guards as a folder the request names.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence

import attrs

from workspace_trust.domain.codes import LaunchMode

__all__ = ["FolderArg", "OpenedFolder", "opened_folders"]


@attrs.frozen(slots=True)
class FolderArg:
    """A launch argument with which the CLI opens a folder and decides its trust."""

    #: Its spellings: ``--add-dir``, ``-C``, ``--cd``. ``--long=VALUE`` and
    #: ``FLAG VALUE`` are read for every flag; a short flag's ``-CVALUE`` and
    #: ``-C=VALUE`` too (Codex 0.169.0 reads both as VALUE).
    flags: tuple[str, ...]
    #: Every following argument up to the next option is a folder (a
    #: commander option declared ``<directories...>``).
    variadic: bool = False
    #: One value names several folders, split at this text.
    separator: str | None = None
    #: The launch modes in which the CLI decides trust for the folder.
    launch_modes: frozenset[LaunchMode] = frozenset(LaunchMode)
    #: What the CLI does with the folder, as a row says it.
    what: str = "opens it"
    #: The strategy mode that prepares such a folder, where the one serving
    #: the launch cannot (a per-launch patch that covers the working folder
    #: only); None: the launch's own.
    mode: str | None = None
    #: The CLI works in the folder (``-C``): it becomes the launch's working
    #: folder, so a patch that trusts "the working folder" trusts it.
    working: bool = False


@attrs.frozen(slots=True)
class OpenedFolder:
    """One folder a launch opens."""

    #: As the CLI receives it: relative to the launch's working folder unless absolute.
    path: str
    #: The argument (with its values) as the host gives it, shell-quoted.
    given: str
    what: str
    #: ``FolderArg.mode``.
    mode: str | None = None
    #: ``FolderArg.working``.
    working: bool = False


def _values(args: Sequence[str], index: int, spec: FolderArg) -> tuple[list[str], int]:
    """The values after the flag at ``index``, and the index after them."""
    if spec.variadic:
        end = index + 1
        while end < len(args) and not args[end].startswith("-"):
            end += 1
        return list(args[index + 1 : end]), end
    if index + 1 < len(args):
        return [args[index + 1]], index + 2
    return [], index + 1


def _split(values: Iterable[str], spec: FolderArg) -> list[str]:
    out: list[str] = []
    for value in values:
        parts = value.split(spec.separator) if spec.separator else [value]
        out.extend(part for part in parts if part)
    return out


def opened_folders(
    args: Sequence[str],
    folder_args: Sequence[FolderArg],
    launch_mode: LaunchMode,
    value_flags: frozenset[str] = frozenset(),
) -> tuple[OpenedFolder, ...]:
    """The folders ``args`` (a launch's arguments after the binary) open in a
    ``launch_mode`` launch through ``folder_args``, in order. Reading stops at
    ``--`` (what follows is not options); a flag of ``value_flags`` skips its
    value."""
    wanted = [spec for spec in folder_args if launch_mode in spec.launch_modes]
    found: list[OpenedFolder] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            break
        matched = False
        for spec in wanted:
            for flag in spec.flags:
                if arg == flag:
                    values, after = _values(args, index, spec)
                    given = shlex.join(args[index:after])
                elif flag.startswith("--") and arg.startswith(flag + "="):
                    values, after = [arg[len(flag) + 1 :]], index + 1
                    given = shlex.quote(arg)
                elif not flag.startswith("--") and len(flag) == 2 and arg.startswith(flag) and len(arg) > 2:
                    values, after = [arg[3:] if arg[2] == "=" else arg[2:]], index + 1
                    given = shlex.quote(arg)
                else:
                    continue
                found.extend(
                    OpenedFolder(path, given, spec.what, spec.mode, spec.working) for path in _split(values, spec)
                )
                index, matched = after, True
                break
            if matched:
                break
        if not matched:
            index += 2 if arg in value_flags else 1
    return tuple(found)
