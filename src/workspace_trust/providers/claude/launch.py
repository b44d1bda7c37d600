"""Claude Code launches that ignore every persisted trust record.

Claude Code 2.1.330 (the bundled ``claude.exe``, read and run on this machine)
counts no workspace trust record at all when ``CLAUDE_CODE_IGNORE_PERSISTED_TRUST``
holds a true value or ``--ignore-persisted-trust`` is among its arguments (the
flag sets the variable to ``1`` at start). A true value is what its own
boolean parser accepts: ``1``, ``true``, ``yes`` or ``on``, in any case, with
white space around it; ``0``, ``false``, ``no``, ``2``, ``y`` and the empty
string do not count. Such a launch shows the trust dialog even in a folder
whose ``hasTrustDialogAccepted`` is true (``tests/providers/claude/test_real_claude.py``).
Claude Code sets the variable itself for a self-hosted runner started with
``--trust-workspace false``, and its VS Code extension passes both for a
folder the user has not trusted. The 2.1.119 and 2.1.197 binaries do not
contain the name at all; the check does not depend on the version, which
the preflight cannot know for the host's launch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

IGNORE_TRUST_ENV = "CLAUDE_CODE_IGNORE_PERSISTED_TRUST"
IGNORE_TRUST_FLAG = "--ignore-persisted-trust"
#: Claude Code's own reading of a true environment value.
_TRUE_VALUES = frozenset({"1", "true", "yes", "on"})


def ignores_persisted_trust(env: Mapping[str, str], launch_args: Sequence[str]) -> str | None:
    """Why a Claude Code launch with ``env`` and ``launch_args`` ignores every
    persisted trust record (names the switch, never a value), or None."""
    if env.get(IGNORE_TRUST_ENV, "").strip().lower() in _TRUE_VALUES:
        return f"{IGNORE_TRUST_ENV} is set in the launch environment"
    if IGNORE_TRUST_FLAG in launch_args:
        return f"the launch arguments hold {IGNORE_TRUST_FLAG}"
    return None
