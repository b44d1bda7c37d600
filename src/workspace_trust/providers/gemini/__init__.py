"""Gemini CLI: the trustedFolders.json probe, the environment patch, and strategies."""

from __future__ import annotations

from workspace_trust.domain.codes import Code, Provider

GEMINI = Provider.define("gemini", "GEMINI")

#: The rule of trustedFolders.json that decides this folder is DO_NOT_TRUST (on
#: the folder, or on a folder above it that no deeper rule overrides). Gemini
#: CLI 0.61.0 shows no dialog there and opens the folder restricted; a
#: preflight never overrides the user's own choice, and nothing is started.
FOLDER_DISTRUSTED = Code.define("gemini_folder_distrusted", "GEMINI_FOLDER_DISTRUSTED")

BIN_ENV = "WORKSPACE_TRUST_GEMINI_BIN"

USUAL_LOCATIONS = (
    ".npm-global/bin/gemini",
    ".local/bin/gemini",
    "/usr/local/bin/gemini",
    "/opt/homebrew/bin/gemini",
)
