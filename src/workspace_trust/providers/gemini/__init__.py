"""Gemini CLI: the trustedFolders.json probe, the environment patch, and strategies."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider

GEMINI = Provider.define("gemini", "GEMINI")

BIN_ENV = "WORKSPACE_TRUST_GEMINI_BIN"

USUAL_LOCATIONS = (
    ".npm-global/bin/gemini",
    ".local/bin/gemini",
    "/usr/local/bin/gemini",
    "/opt/homebrew/bin/gemini",
)
