"""Finding a provider CLI binary: explicit path, environment variable, the child's
PATH, then the usual install locations."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from workspace_trust.adapters.binaries import LocalBinaryLocator
from workspace_trust.domain.paths import env_home
from workspace_trust.errors import BinaryMissingError
from workspace_trust.ports import BinaryLocator


def resolve_cli_binary(
    name: str,
    explicit: str | None,
    env: Mapping[str, str],
    env_var: str,
    usual: Sequence[str],
    *,
    locator: BinaryLocator | None = None,
) -> str:
    """Explicit path, then ``$env_var``, then the child's PATH, then the usual
    install locations. Raises ``BinaryMissingError`` naming what was tried."""
    locator = locator or LocalBinaryLocator()
    for candidate, source in ((explicit, "the binary path given"), (env.get(env_var), f"${env_var}")):
        if candidate:
            if locator.is_executable(candidate):
                return os.path.abspath(candidate)
            # Name where the path came from, never the value of an environment variable.
            raise BinaryMissingError(f"{name}: {source} is not an executable file")
    found = locator.which(name, env.get("PATH", os.defpath))
    if found:
        return found
    home = env_home(env) or ""
    for location in usual:
        if not os.path.isabs(location) and not home:
            continue
        path = location if os.path.isabs(location) else os.path.join(home, location)
        if locator.is_executable(path):
            return path
    raise BinaryMissingError(f"{name} not found (explicit path, ${env_var}, PATH, usual install locations)")


def keep_env(host_env: Mapping[str, str], keep: Sequence[str], strip: Sequence[str]) -> dict[str, str]:
    """The allowlisted part of the host environment, minus what the caller strips."""
    stripped = set(strip)
    env = {k: v for k, v in host_env.items() if k in keep and k not in stripped}
    if env.get("TERM", "") in ("", "dumb"):
        env["TERM"] = "xterm-256color"
    return env


#: Variables every provider preflight keeps.
COMMON_ENV = (
    "HOME",
    "USERPROFILE",
    "USER",
    "LOGNAME",
    "PATH",
    "SHELL",
    "COMSPEC",
    "TERM",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "TMP",
    "TEMP",
    "SYSTEMROOT",
    "APPDATA",
    "LOCALAPPDATA",
    "XDG_CONFIG_HOME",
    "XDG_RUNTIME_DIR",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "NODE_EXTRA_CA_CERTS",
)
