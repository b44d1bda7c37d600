"""Where the pinned real CLIs are installed, and a fresh HOME seeded for them:
for the recorder, the drift report, the benches and the real-CLI tests.

The pinned CLIs are installed from the npm registry by ``./dev clis`` into
``$WORKSPACE_TRUST_CLI_DIR/<name>-<version>``. Nothing here is a fake: these
run the real binaries, so they live apart from :mod:`workspace_trust.testing`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from workspace_trust.domain.codes import Provider
from workspace_trust.providers import spec_for

CLI_DIR_ENV = "WORKSPACE_TRUST_CLI_DIR"


def cli_dir() -> str:
    return os.environ.get(CLI_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "workspace-trust", "clis")


def installed_cli(name: str, version: str) -> str | None:
    """Path of a pinned CLI's binary, or None when it is not installed."""
    path = os.path.join(cli_dir(), f"{name}-{version}", "node_modules", ".bin", name)
    return path if os.access(path, os.X_OK) else None


def seed_home(provider: str, home: str, **options: Any) -> dict[str, str]:
    """Seed a fresh HOME so the provider goes straight to its trust dialog
    (each provider's ``seed_test_home``; what each seed is for is recorded in
    ``docs/providers.md``). ``options`` are that provider's own (see its spec).

    Returns extra environment variables the provider needs.
    """
    spec = spec_for(Provider(provider))
    if spec.seed_test_home is None:
        raise ValueError(f"{provider} has no test HOME seed")
    os.makedirs(home, exist_ok=True)
    return dict(spec.seed_test_home(home, **options))


def base_env(home: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment for running a provider CLI with a fresh HOME."""
    env = {
        "HOME": home,
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "USER": os.environ.get("USER", "user"),
        "LOGNAME": os.environ.get("LOGNAME", "user"),
    }
    env.update(extra or {})
    return env
