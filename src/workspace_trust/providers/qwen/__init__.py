"""Qwen Code: folder trust (off by default), the trustedFolders.json probe, and strategies."""

from __future__ import annotations

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.providers.state_vars import StateVariable

QWEN = Provider.define("qwen", "QWEN")

#: A Qwen settings file (user, system or system defaults) that does not parse,
#: is not a JSON object, or cannot be read. Qwen Code 0.24.4 refuses to start
#: ("An unexpected critical error occurred", exit 1); 0.21.10 saves a copy and
#: replaces the user's file with empty settings, and 0.15.6 moves it aside,
#: both then starting with folder trust off. So nothing is started and the
#: workspace is blocked until the file is fixed.
SETTINGS_UNREADABLE = Code.define("qwen_settings_unreadable", "QWEN_SETTINGS_UNREADABLE")
#: The rule of trustedFolders.json that decides this folder is DO_NOT_TRUST: the
#: user refused it (or a folder above it). Qwen shows no dialog there, and a
#: preflight never overrides the user's own choice; nothing is started.
FOLDER_DISTRUSTED = Code.define("qwen_folder_distrusted", "QWEN_FOLDER_DISTRUSTED")


BIN_ENV = "WORKSPACE_TRUST_QWEN_BIN"

USUAL_LOCATIONS = (
    ".npm-global/bin/qwen",
    ".local/bin/qwen",
    "/usr/local/bin/qwen",
    "/opt/homebrew/bin/qwen",
)

#: Disables hooks, extensions, skills, MCP servers and QWEN.md for the session
#: (0.21+; 0.15.6 has no such flag and runs as it is). The trust dialog and
#: its write are the same with it (seen on 0.24.4).
SAFE_MODE = "--safe-mode"

#: What moves Qwen Code's state (docs/providers.md), read from its code (0.10.1,
#: 0.12.0, 0.15.6, 0.15.10, 0.21.2, 0.24.4) and checked on the real binary. The
#: trust file is ``$QWEN_CODE_TRUSTED_FOLDERS_PATH`` when set, else
#: ``<its folder>/trustedFolders.json``; its folder is ``$QWEN_HOME`` when set,
#: else ``$HOME/.qwen``. From 0.15.10 a home ``.env`` can set ``QWEN_HOME``, and
#: from 0.21.2 ``QWEN_CODE_TRUSTED_FOLDERS_PATH`` too (``providers/qwen/settings.py``).
STATE_VARIABLES = (
    StateVariable("HOME", "home", note="$HOME/.qwen unless QWEN_HOME is set"),
    StateVariable("QWEN_HOME", "home", since="0.15.10", ignored_by="0.15.6", note="$QWEN_HOME/trustedFolders.json"),
    StateVariable(
        "QWEN_CODE_TRUSTED_FOLDERS_PATH",
        "trust file",
        since="0.12.0",
        ignored_by="0.10.1",
        note="the trust file itself",
    ),
    StateVariable(
        "QWEN_CODE_SYSTEM_SETTINGS_PATH", "settings", note="system settings: can turn folder trust on or off"
    ),
    StateVariable(
        "QWEN_CODE_SYSTEM_DEFAULTS_PATH", "settings", note="system defaults: can turn folder trust on or off"
    ),
)
