"""Claude Code: dialog rules, the ``.claude.json`` probe, and the PTY strategy."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider

CLAUDE = Provider.define("claude", "CLAUDE")
