"""GitHub Copilot CLI: dialog rules, the ``config.json`` probe, and the PTY strategy."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider
from workspace_trust.providers.state_vars import StateVariable

COPILOT = Provider.define("copilot", "COPILOT")

BIN_ENV = "WORKSPACE_TRUST_COPILOT_BIN"

#: Set for the preflight only, beside ``--no-auto-update``: no update is
#: downloaded while the process group may be killed a moment later.
PREFLIGHT_ENV = {"COPILOT_AUTO_UPDATE": "false"}

#: Install locations tried after PATH, relative to HOME unless absolute.
USUAL_LOCATIONS = (
    ".npm-global/bin/copilot",
    ".local/bin/copilot",
    "/usr/local/bin/copilot",
    "/opt/homebrew/bin/copilot",
)

#: The flags of the protected command, each with why. All must be listed in
#: ``copilot --help``; a missing one names itself in the soft failure. Of the
#: versions tried, only 1.0.102 lists --disable-client-telemetry (1.0.80, 1.0.89
#: and 1.0.92 do not): older ones run only with allow_unprotected_copilot.
#:
#: --no-auto-update (and ``COPILOT_AUTO_UPDATE=false``) also make the installed
#: binary run its own bundled version: without them it runs the newest version
#: unpacked in its package cache (a 1.0.89 binary ran 1.0.102 there), so the
#: ``--help`` read and the session must both have them to see the same CLI.
REQUIRED_FLAGS: tuple[tuple[str, str], ...] = (
    ("--no-auto-update", "no CLI update is downloaded or applied"),
    ("--disable-builtin-mcps", "no built-in MCP server (github-mcp-server) is started"),
    ("--no-custom-instructions", "no AGENTS.md or other instructions of the folder are loaded"),
    ("--available-tools", "the model is offered no tool"),
    ("--disable-client-telemetry", "no client telemetry is sent"),
)

#: What moves Copilot CLI's state (docs/providers.md), read from its code
#: (1.0.102; the loader of 1.0.80 and 1.0.89 reads the same variable) and
#: checked on the real binary: ``$COPILOT_HOME/config.json``, else
#: ``$HOME/.copilot/config.json``. ``XDG_CONFIG_HOME`` and ``XDG_STATE_HOME``
#: move nothing: 1.0.102 moves a ``.copilot`` folder found there into
#: ``~/.copilot`` when ``COPILOT_HOME`` is not set.
STATE_VARIABLES = (
    StateVariable("HOME", "home", note="$HOME/.copilot unless COPILOT_HOME is set"),
    StateVariable("COPILOT_HOME", "home", note="$COPILOT_HOME/config.json"),
)
