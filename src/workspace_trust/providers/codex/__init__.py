"""Codex CLI: the trust override builder, the config.toml probe, and strategies."""

from __future__ import annotations

from workspace_trust.domain.codes import ArgDialect, Code, Provider
from workspace_trust.providers.state_vars import StateVariable

CODEX = Provider.define("codex", "CODEX")

#: A patch surface or dialect that cannot be shown to reach Codex.
SURFACE_UNKNOWN = Code.define("codex_trust_settings_surface_unknown", "CODEX_SURFACE_UNKNOWN")
#: A folder path that Codex's ``-c projects=`` override cannot spell.
PATH_UNREPRESENTABLE = Code.define("codex_trust_path_unrepresentable", "CODEX_PATH_UNREPRESENTABLE")
#: The host's own ``-c projects=`` value does not parse.
OVERRIDE_INVALID = Code.define("codex_existing_override_invalid", "CODEX_OVERRIDE_INVALID")
#: The ``-c projects=`` value is longer than one argument can be on the host.
OVERRIDE_TOO_LONG = Code.define("codex_override_too_long", "CODEX_OVERRIDE_TOO_LONG")
#: ``config.toml`` changed while the override was built.
CONFIG_CHANGED = Code.define("codex_config_changed_during_trust_override", "CODEX_CONFIG_CHANGED")
#: (diagnostic) This Codex runs without its shared background server whenever
#: ``-c`` is given (0.171.0): the launch the override goes into is embedded.
OVERRIDE_EMBEDDED_MODE = Code.define("codex_override_requires_embedded_mode", "CODEX_OVERRIDE_EMBEDDED_MODE")

#: Values for a runtime's Codex ``configOverrides`` list; it adds ``-c`` itself.
NATIVE_CONFIG_OVERRIDE = ArgDialect.define("codex_native_config_override", "CODEX_NATIVE_CONFIG_OVERRIDE")
#: App-owned settings JSON merged into a Claude/orchestrator ``--settings`` argument.
RUNTIME_SETTINGS = ArgDialect.define("claude_codex_runtime_settings", "CLAUDE_CODEX_RUNTIME_SETTINGS")
#: ``-c VALUE`` straight into Codex's own argv.
DIRECT_CLI_CONFIG = ArgDialect.define("codex_direct_cli_config", "CODEX_DIRECT_CLI_CONFIG")

BIN_ENV = "WORKSPACE_TRUST_CODEX_BIN"

USUAL_LOCATIONS = (
    ".npm-global/bin/codex",
    ".local/bin/codex",
    "/usr/local/bin/codex",
    "/opt/homebrew/bin/codex",
)

#: What moves Codex's state (docs/providers.md), read from its code (0.125.0 to
#: 0.171.0) and checked on the real binary: ``$CODEX_HOME/config.toml``, else
#: ``$HOME/.codex/config.toml``; credentials (``auth.json``) live beside it.
STATE_VARIABLES = (
    StateVariable("HOME", "home", note="$HOME/.codex unless CODEX_HOME is set"),
    StateVariable("CODEX_HOME", "home", note="$CODEX_HOME/config.toml and $CODEX_HOME/auth.json"),
)
