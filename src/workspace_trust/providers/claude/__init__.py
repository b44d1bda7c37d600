"""Claude Code: dialog rules, the ``.claude.json`` probe, and the PTY strategy."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider

CLAUDE = Provider.define("claude", "CLAUDE")

BIN_ENV = "WORKSPACE_TRUST_CLAUDE_BIN"

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
