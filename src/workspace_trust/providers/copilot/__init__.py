"""GitHub Copilot CLI: dialog rules, the ``config.json`` probe, and the PTY strategy."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider

COPILOT = Provider.define("copilot", "COPILOT")
