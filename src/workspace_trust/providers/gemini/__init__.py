"""Gemini CLI: the trustedFolders.json probe, the environment patch, and strategies."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider

GEMINI = Provider.define("gemini", "GEMINI")
