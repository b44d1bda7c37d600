"""Finding a provider CLI binary: explicit path, environment variable, the child's
PATH, then the usual install locations."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from workspace_trust.adapters.binaries import LocalBinaryLocator
from workspace_trust.adapters.cli_facts import BinaryStamp, CliFactsCache, package_version
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


#: Set in the preflight child of a CLI that updates itself from npm while it
#: runs. Once its trust dialog is answered, Qwen Code 0.10.1 and 0.15.6 and
#: Gemini CLI 0.53.0 and 0.60.0 ask the registry for their newest release and
#: start ``npm install -g`` of it in the background: a preflight would upgrade
#: the user's global install, or cut the install short when it kills the
#: session. ``NO_UPDATE_NOTIFIER`` is update-notifier's off switch (Qwen up to
#: 0.15); the registry is one that refuses at once, so that no version check
#: (``npm view``, latest-version) and no install they start reaches npm.
#: Neither CLI has another switch that the environment can set.
NO_SELF_UPDATE_ENV: Mapping[str, str] = {
    "NO_UPDATE_NOTIFIER": "1",
    "npm_config_registry": "http://127.0.0.1:9/",
    "npm_config_fetch_retries": "0",
}


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


def installed_version(binary: str) -> str | None:
    """The version of ``binary`` as far as it can be told without starting
    anything or writing anywhere: its npm ``package.json``, else the version
    an earlier ``--version`` left in the CLI facts cache. None when neither
    tells (a read-only command then takes the CLI to be a new one)."""
    stamp = BinaryStamp.of(binary)
    if stamp is None:
        return None
    version = package_version(stamp)
    if version is None:
        stored = CliFactsCache().load(stamp).get("version")
        version = stored if isinstance(stored, str) else None
    return version
