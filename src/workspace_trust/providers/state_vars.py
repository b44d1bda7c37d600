"""The environment variables that move a CLI's home, state file or trust file.

Each provider folder keeps one table of them (``STATE_VARIABLES``, named by
``ProviderSpec.state_variables``), read from the CLI's own code and checked on
the real binary; docs/providers.md prints them. This module applies a table:

* :func:`honoured_env` drops the variables a CLI version does not read yet, so
  that a probe of an old CLI looks where that CLI looks (Qwen Code 0.15.6 keeps
  its files in ``~/.qwen`` whatever ``QWEN_HOME`` says).
* :func:`stripped_state_variables` names the variables a request strips from
  the preflight child that the host's own launch keeps: the child would write
  trust where the launch does not read it, so such a request is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from workspace_trust.providers.versions import parse_version

__all__ = ["StateVariable", "floored", "honoured_env", "stripped_state_variables"]


@attrs.frozen(slots=True)
class StateVariable:
    """One environment variable that moves where a CLI keeps its state."""

    name: str
    #: What it moves, in words (``"home"``, ``"state file"``, ``"trust file"``).
    moves: str
    #: The first version that reads it (of the versions run); None: every
    #: supported version does.
    since: str | None = None
    #: A newest version seen ignoring it, below ``since`` (documentation).
    ignored_by: str | None = None
    #: What the CLI does with it, in a line (docs/providers.md).
    note: str = ""


def _reads(variable: StateVariable, version: str | None) -> bool:
    """Whether ``version`` reads the variable. An unknown version reads every
    variable its newest versions read: a launch of it is taken to be new."""
    floor = parse_version(variable.since)
    parsed = parse_version(version)
    return floor is None or parsed is None or parsed >= floor


def honoured_env(env: Mapping[str, str], table: Iterable[StateVariable], version: str | None) -> dict[str, str]:
    """``env`` without the table's variables that ``version`` does not read."""
    ignored = {variable.name for variable in table if not _reads(variable, version)}
    return {name: value for name, value in env.items() if name not in ignored}


def floored(env: Mapping[str, str], table: Iterable[StateVariable]) -> bool:
    """Whether ``env`` sets a variable that only some versions read: only then
    does the CLI's version change where its state is."""
    return any(variable.since is not None and env.get(variable.name) for variable in table)


def stripped_state_variables(
    host_env: Mapping[str, str], strip: Iterable[str], table: Iterable[StateVariable]
) -> tuple[str, ...]:
    """The table's variables set in ``host_env`` that ``strip`` removes."""
    stripped = set(strip)
    return tuple(variable.name for variable in table if variable.name in stripped and host_env.get(variable.name))
