"""Gemini CLI: the trustedFolders.json probe, the environment patch, and strategies."""

from __future__ import annotations

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.providers.state_vars import StateVariable

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

#: What moves Gemini CLI's state (docs/providers.md), read from its code (0.45.2
#: and 0.61.0) and checked on the real binary: the trust file is
#: ``$GEMINI_CLI_TRUSTED_FOLDERS_PATH`` when set, else
#: ``<home>/.gemini/trustedFolders.json``, where ``<home>`` is
#: ``$GEMINI_CLI_HOME`` when set, else ``$HOME``; from 0.61.0, with
#: ``SANDBOX=sandbox-exec`` (macOS Seatbelt), ``<home>/.cache/.gemini/trustedFolders.json``.
STATE_VARIABLES = (
    StateVariable("HOME", "home", note="$HOME/.gemini unless GEMINI_CLI_HOME is set"),
    StateVariable("GEMINI_CLI_HOME", "home", note="its homedir(): $GEMINI_CLI_HOME/.gemini"),
    StateVariable("GEMINI_CLI_TRUSTED_FOLDERS_PATH", "trust file", note="the trust file itself"),
    StateVariable(
        "SANDBOX",
        "trust file",
        since="0.61.0",
        ignored_by="0.45.2",
        note="sandbox-exec: <home>/.cache/.gemini/trustedFolders.json",
    ),
)
