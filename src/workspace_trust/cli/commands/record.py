"""``workspace-trust record``: a CLI's startup screens into a fixture.

The folder is guarded as a preflight guards it (``domain.policy.guard_reason``:
no home folder, folder containing one, root, folder anyone can write to, or
pseudo file system; for a CLI that trusts the git repository root, no
repository rooted at such a folder), resolved as the planner resolves it, through the
file-system adapter, before anything is started: not even ``COMMAND
--version``. A refused folder exits 3 (blocked) with one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING

from workspace_trust.cli.output import say, warn
from workspace_trust.cli.parser import UsageError
from workspace_trust.cli.request import absolute
from workspace_trust.domain.codes import Provider
from workspace_trust.exitcodes import ExitCode
from workspace_trust.providers import all_specs

if TYPE_CHECKING:
    from workspace_trust.domain.codes import Code
    from workspace_trust.domain.paths import Workspace
    from workspace_trust.engine.rules import RuleTable


def _provider_of(cmd: Sequence[str], env: dict[str, str]) -> str | None:
    """The provider a command runs, from its name or the script it resolves to
    (an npm ``.bin`` link points into the provider's package)."""
    found = shutil.which(cmd[0], path=env.get("PATH")) or cmd[0]
    names = [os.path.basename(found), os.path.realpath(found)]
    for spec in all_specs():
        if any(binary in name.lower() for binary in spec.binary_names for name in names):
            return spec.id.value
    return None


def _table_for(provider: str) -> RuleTable:
    from workspace_trust.providers import rule_table

    return rule_table(Provider(provider))


#: How long ``COMMAND --version`` may take when ``record`` infers the version.
VERSION_TIMEOUT_MS = 15000


def guarded_workspace(cwd: str, env: dict[str, str], provider: Provider) -> Workspace | tuple[Code, str]:
    """The folder ``cwd`` as the planner resolves it (what the system means by
    the path), or why ``provider``'s CLI may not be started there: the code and
    sentence a preflight's blocked row carries."""
    from workspace_trust.adapters.filesystem import LocalFileSystemFacts
    from workspace_trust.domain.codes import Code
    from workspace_trust.domain.paths import build_workspace
    from workspace_trust.domain.policy import guard_reason, repository_root_guard

    facts = LocalFileSystemFacts()
    try:
        workspace = build_workspace(cwd, facts.gather(cwd, env=env), facts.host)
    except (OSError, ValueError) as exc:  # PathError is a ValueError
        return Code.WORKSPACE_PATH_INVALID, f"unusable workspace path: {exc}"
    refused = guard_reason(workspace)
    if refused is None and _trusts_repository_root(provider):
        # Accepting its dialog in a subfolder trusts the repository root.
        refused = repository_root_guard(workspace, provider)
    return workspace if refused is None else refused


def _trusts_repository_root(provider: Provider) -> bool:
    """Whether ``provider``'s CLI, accepting trust in a git repository's
    subfolder, trusts the repository's root (its PTY part says so)."""
    from workspace_trust.providers.pty_provider import PTY_MODE
    from workspace_trust.providers.pty_strategy import PtyTrustStrategy
    from workspace_trust.registry import default_registry

    try:
        strategy = default_registry().create(provider, PTY_MODE)
    except ValueError:
        return False  # no PTY part: nothing says it does
    return isinstance(strategy, PtyTrustStrategy) and strategy.spec.trusts_repository_root


def run(args: argparse.Namespace) -> int:
    from workspace_trust.adapters.help import read_version
    from workspace_trust.domain.paths import expand_home
    from workspace_trust.fixtures import save_fixture, secret_screens
    from workspace_trust.recorder import record_session
    from workspace_trust.registry import default_registry

    cmd = list(args.cmd)
    if cmd[:1] == ["--"]:
        cmd = cmd[1:]
    if not cmd:
        raise UsageError("record needs a command after --")
    env = dict(os.environ)
    provider = args.provider or _provider_of(cmd, env)
    if provider is None:
        raise UsageError("cannot tell the provider from the command; pass --provider")
    try:
        cwd = expand_home(absolute(args.cwd), env)
    except ValueError as exc:
        raise UsageError(f"--cwd {args.cwd!r}: {exc}") from None
    # Before anything is started, ``COMMAND --version`` included.
    workspace = guarded_workspace(cwd, env, Provider(provider))
    if isinstance(workspace, tuple):
        code, message = workspace
        warn(f"workspace-trust: record: nothing started in {cwd}: {message} [{code.value}]")
        return ExitCode.BLOCKED
    version = args.cli_version or read_version(cmd[:1], env, VERSION_TIMEOUT_MS)
    if version is None:
        raise UsageError(f"{cmd[0]} --version printed no version; pass --cli-version")
    out = args.out or os.path.join("fixtures", "snapshots", provider, version, f"{args.scenario}.json")
    # Success is read from the provider's own state file, read-only, exactly as
    # a preflight reads it; the recording stops soon after trust is persisted.
    strategy = default_registry().create(Provider(provider))
    recording = record_session(
        command=tuple(cmd),
        # The guarded folder, resolved, as a preflight starts its CLI.
        cwd=workspace.real_path,
        env=env,
        table=_table_for(provider),
        provider=provider,
        cli_version=version,
        scenario=args.scenario,
        drive=not args.observe,
        success=lambda: strategy.probe_version(workspace, env, None, version),
        duration_ms=int(args.duration * 1000),
    )
    save_fixture(out, recording.fixture)
    say(f"recorded {len(recording.fixture.data)} bytes, {len(recording.fixture.events)} events -> {out}")
    secret = secret_screens(recording.fixture)
    if secret:
        # The fixture is the CLI's output as it was, unredacted, by design.
        warn(
            f"warning: {len(secret)} screen(s) of the recording show text that looks secret (a key, token, "
            f"email or password; first after event {secret[0]}); the fixture keeps the CLI's output exactly: "
            f"review {out} before sharing it"
        )
    for checkpoint in recording.fixture.checkpoints:
        say(f"  event {checkpoint.event:>4}: {checkpoint.rule or '-':34} want {checkpoint.want}")
    return ExitCode.OK
