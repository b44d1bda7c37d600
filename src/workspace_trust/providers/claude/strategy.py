"""Claude Code's part of the PTY strategy: binary, protected command, environment.

The flow itself (probe, lock, spawn, engine, kill) is ``providers/pty_strategy.py``;
success is only ever read from ``.claude.json``, which nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code
from workspace_trust.domain.errors import StateFileError
from workspace_trust.domain.results import Diagnostic
from workspace_trust.ports import StateFiles
from workspace_trust.providers.binaries import COMMON_ENV, keep_env
from workspace_trust.providers.claude import CLAUDE, PREFLIGHT_ENV, REQUIRED_FLAGS
from workspace_trust.providers.claude.launch import ignores_persisted_trust
from workspace_trust.providers.pty_strategy import CommandRefused, PtyCommand, PtyProvider, PtyTrustStrategy
from workspace_trust.strategy import ExecutionContext

if TYPE_CHECKING:
    from workspace_trust.session import SessionEnd

EMPTY_MCP_CONFIG: dict[str, dict[str, object]] = {"mcpServers": {}}
PROTECTED_SETTINGS = '{"disableAllHooks":true}'

#: Variables the preflight always keeps from the host environment.
KEEP_ENV = (
    *COMMON_ENV,
    "CLAUDE_CONFIG_DIR",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "AWS_PROFILE",
    "AWS_REGION",
)

#: Host runtime variables that must never reach a preflight (team bootstrap,
#: control URLs, nested-session markers). Callers add their own.
STRIP_ENV = (
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
    "CLAUDE_ENABLE_DETERMINISTIC_TEAM_BOOTSTRAP",
    "CLAUDE_TEAM_CONTROL_URL",
)


def preflight_env(host_env: Mapping[str, str], strip: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment of a Claude preflight: the essentials, never the host's runtime."""
    env = keep_env(host_env, KEEP_ENV, (*STRIP_ENV, *strip))
    env.update(PREFLIGHT_ENV)
    return env


@attrs.frozen(slots=True)
class ProtectedCommand:
    argv: tuple[str, ...]
    protected: bool
    missing_flags: tuple[str, ...]


#: The first Claude Code release known to offer each protection flag to an
#: interactive session, found by bisecting the npm releases' ``--help``
#: (docs/providers.md). ``--tools`` is listed from 2.0.31 but "Only works with
#: --print mode" up to 2.0.76: 2.0.50 exits with "--tools can only be used
#: with --print mode" when given it interactively.
FIRST_VERSION_WITH: dict[str, str] = {
    "--strict-mcp-config": "1.0.44",
    "--mcp-config": "0.2.90",
    "--setting-sources": "1.0.126",
    "--settings": "1.0.61",
    "--tools": "2.0.77",
}

_PRINT_ONLY = "only works with --print"


def _help_line(help_text: str, flag: str) -> str | None:
    """The ``--help`` line that documents ``flag``, or None when none does."""
    for line in help_text.splitlines():
        stripped = line.strip()
        if stripped == flag or stripped.startswith((flag + " ", flag + ",", flag + "=")):
            return stripped
    return None


def missing_protection_flags(help_text: str | None) -> tuple[str, ...]:
    """The protection flags this ``--help`` does not offer to an interactive
    session: absent, or documented as working only with ``--print``."""
    text = help_text or ""
    missing: list[str] = []
    for flag in REQUIRED_FLAGS:
        line = _help_line(text, flag)
        if (line is None and flag not in text.split()) or (line is not None and _PRINT_ONLY in line.casefold()):
            missing.append(flag)
    return tuple(missing)


def refusal_message(missing: tuple[str, ...]) -> str:
    """Names each missing flag and the first release known to have it."""
    named = ", ".join(
        f"{flag} (first offered to interactive sessions in {FIRST_VERSION_WITH[flag]})" for flag in missing
    )
    return (
        f"this Claude Code does not offer the protected preflight flag(s) {named}; update Claude Code, "
        "or set allow_unprotected_claude to run it without them"
    )


def build_protected_command(
    binary: str, help_text: str | None, mcp_config_path: str, *, allow_unprotected: bool
) -> ProtectedCommand | None:
    """The protected interactive command, or None when it cannot be built safely.

    Never ``-p`` (print mode skips trust), never ``doctor``, never
    ``--dangerously-skip-permissions``.
    """
    text = help_text or ""
    missing = missing_protection_flags(help_text)
    if not missing:
        args = [binary]
        if "--bare" in text:
            args.append("--bare")
        args += [
            "--strict-mcp-config",
            "--mcp-config",
            mcp_config_path,
            "--setting-sources",
            "user",
            "--settings",
            PROTECTED_SETTINGS,
            "--tools",
            "",
        ]
        return ProtectedCommand(tuple(args), protected=True, missing_flags=())
    if allow_unprotected:
        return ProtectedCommand((binary,), protected=False, missing_flags=missing)
    return None


class ClaudePty(PtyProvider):
    """Claude Code's part of the PTY strategy."""

    provider = CLAUDE
    #: proper-lockfile's ``.claude.json.lock`` folder (2.1.330), stale after 10 s.
    state_lock_suffixes = (".lock",)
    reads_help = True
    trusts_repository_root = True

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return preflight_env(host_env, strip)

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        mcp_path = ctx.scratch.write(scratch_dir, "empty-mcp.json", json.dumps(EMPTY_MCP_CONFIG).encode())
        command = build_protected_command(
            binary, help_text, mcp_path, allow_unprotected=ctx.flags.allow_unprotected_claude
        )
        if command is None:
            return CommandRefused(Code.PREFLIGHT_UNPROTECTED, refusal_message(missing_protection_flags(help_text)))
        diagnostics: tuple[Diagnostic, ...] = ()
        if not command.protected:
            diagnostics = (
                Diagnostic(
                    Code.PREFLIGHT_UNPROTECTED,
                    "ran without protected flags (explicitly allowed): " + ", ".join(command.missing_flags),
                    CLAUDE,
                ),
            )
        return PtyCommand(argv=command.argv, diagnostics=diagnostics)

    def ignores_persisted_trust(self, env: Mapping[str, str], launch_args: Sequence[str]) -> str | None:
        return ignores_persisted_trust(env, launch_args)

    def never_set_up(self, env: Mapping[str, str], state_file: str, files: StateFiles) -> tuple[Code, str] | None:
        # Without .claude.json, Claude Code (2.0.77 to 2.1.337) starts with its
        # onboarding (the theme picker) and writes .claude.json and ~/.claude/.
        try:
            missing = files.stat(state_file, ".claude.json") is None
        except StateFileError:
            return None  # the probe's own code says what is wrong with it
        if not missing:
            return None
        return Code.PROVIDER_SETUP_REQUIRED, (
            "Claude Code was never set up under this environment (no .claude.json in its home or "
            "CLAUDE_CONFIG_DIR); run `claude` once by hand. Nothing was started"
        )

    def messages(self) -> Mapping[SessionEnd, str]:
        from workspace_trust.session import SessionEnd  # a session's module, loaded when one ends

        return {
            SessionEnd.SETUP_REQUIRED: "Claude Code needs its first-run setup; run `claude` once by hand",
            SessionEnd.AUTH_REQUIRED: "Claude Code needs a login; run `claude` once by hand",
            SessionEnd.TRUST_NOT_PERSISTED: ("the trust option was confirmed but .claude.json does not record it"),
        }


def claude_pty_strategy() -> PtyTrustStrategy:
    return PtyTrustStrategy(ClaudePty())
