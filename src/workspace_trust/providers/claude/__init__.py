"""Claude Code: dialog rules, the ``.claude.json`` probe, and the PTY strategy."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider
from workspace_trust.providers.state_vars import StateVariable

CLAUDE = Provider.define("claude", "CLAUDE")

BIN_ENV = "WORKSPACE_TRUST_CLAUDE_BIN"

#: Set for the preflight only. The auto-updater must not be running when the
#: process group is killed a moment after trust persists (2.1.197 showed
#: "Auto-updating..." right after trust), and non-essential traffic only slows
#: the first start on a machine without network.
PREFLIGHT_ENV = {
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
}

#: Install locations tried after PATH, relative to HOME unless absolute.
USUAL_LOCATIONS = (
    ".claude/local/claude",
    ".local/bin/claude",
    ".npm-global/bin/claude",
    "/usr/local/bin/claude",
    "/opt/homebrew/bin/claude",
)

REQUIRED_FLAGS = (
    "--strict-mcp-config",
    "--mcp-config",
    "--setting-sources",
    "--settings",
    "--tools",
)

#: What moves Claude Code's state (docs/providers.md), read from its code
#: (2.0.77 to 2.1.337) and checked on 2.1.330 and 2.1.337: ``.claude.json`` is
#: ``$CLAUDE_CONFIG_DIR/.claude.json`` when that is set and not empty, else
#: ``$HOME/.claude.json`` (Node's ``homedir()``). ``XDG_CONFIG_HOME`` moves
#: nothing of its trust (it is read for git, gh and systemd files only).
STATE_VARIABLES = (
    StateVariable("HOME", "home", note="$HOME/.claude.json unless CLAUDE_CONFIG_DIR is set"),
    StateVariable("CLAUDE_CONFIG_DIR", "state file", note="$CLAUDE_CONFIG_DIR/.claude.json (an empty value is unset)"),
)
