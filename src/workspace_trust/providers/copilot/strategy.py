"""GitHub Copilot CLI's part of the PTY strategy: binary, protected command, environment.

Copilot has no per-launch trust override for interactive sessions
(``--trust-folder`` applies to ``-p`` only), so the PTY preflight is its only
strategy. Success is read from ``config.json`` only; nothing here writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.binaries import COMMON_ENV, keep_env
from workspace_trust.providers.copilot import COPILOT, PREFLIGHT_ENV, REQUIRED_FLAGS
from workspace_trust.providers.pty_strategy import CommandRefused, PtyCommand, PtyProvider, PtyTrustStrategy
from workspace_trust.strategy import ExecutionContext

if TYPE_CHECKING:
    from workspace_trust.session import SessionEnd

#: Variables the preflight keeps from the host environment. The trust dialog
#: comes before any login, so no token is passed (``COPILOT_GITHUB_TOKEN``,
#: ``GH_TOKEN``, ``GITHUB_TOKEN`` stay behind). The cache folders are kept so
#: that the CLI finds the package it unpacked there before (235 MB for
#: 1.0.102; without them it unpacks another copy under HOME).
KEEP_ENV = (
    *COMMON_ENV,
    "COPILOT_HOME",
    "COPILOT_CACHE_HOME",
    "XDG_CACHE_HOME",
)

#: Never passed, whatever the host has: ``COPILOT_ALLOW_ALL=true`` allows every
#: tool and trusts the working folder without asking (``copilot help
#: environment``, 1.0.102); the allowlist above leaves it out already.
STRIP_ENV = ("COPILOT_ALLOW_ALL",)


#: A tool name no tool has: ``--available-tools=NAME`` leaves the model no tool
#: at all. An empty ``--available-tools`` (or ``--available-tools=``) filters
#: nothing: 1.0.80, 1.0.89 and 1.0.102 still offered all 18-19 tools.
NO_TOOL = "workspace-trust-no-tool"


#: The first release whose ``--help`` lists a flag, where it is newer than the
#: oldest pinned version (1.0.80, which lists every other flag). Every
#: release on npm from 1.0.80 to 1.0.92 lacks --disable-client-telemetry; the
#: next one is 1.0.102. Before it, the only documented way to send no client
#: telemetry is ``COPILOT_OFFLINE=true``, which these versions accept only
#: with a model provider of one's own (``COPILOT_PROVIDER_BASE_URL`` and a
#: model): docs/providers.md says why the preflight does not invent one.
FIRST_LISTED = {"--disable-client-telemetry": "1.0.102"}


def describe_missing(flags: tuple[str, ...]) -> str:
    """The missing flags, each with the first release known to list it."""
    return ", ".join(
        f"{flag} (listed from {FIRST_LISTED[flag]} on)" if flag in FIRST_LISTED else flag for flag in flags
    )


def preflight_env(host_env: Mapping[str, str], strip: tuple[str, ...] = ()) -> dict[str, str]:
    env = keep_env(host_env, KEEP_ENV, (*STRIP_ENV, *strip))
    env.update(PREFLIGHT_ENV)
    return env


def _listed(flag: str, help_text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text) is not None


def _argv_for(flag: str) -> str:
    return f"{flag}={NO_TOOL}" if flag == "--available-tools" else flag


@attrs.frozen(slots=True)
class ProtectedCommand:
    argv: tuple[str, ...]
    missing_flags: tuple[str, ...]

    @property
    def protected(self) -> bool:
        return not self.missing_flags


def build_protected_command(binary: str, help_text: str | None, *, allow_unprotected: bool) -> ProtectedCommand | None:
    """The protected interactive command, or None when a flag it needs is
    missing and an unprotected run is not allowed.

    Allowed to run unprotected, the command still carries every protective flag
    the CLI lists. Never ``-p`` (prompt mode never asks), never ``--allow-all``,
    ``--allow-all-tools``, ``--yolo`` or ``COPILOT_ALLOW_ALL``.
    """
    text = help_text or ""
    missing = tuple(flag for flag, _ in REQUIRED_FLAGS if not _listed(flag, text))
    if missing and not allow_unprotected:
        return None
    argv = (binary, *(_argv_for(flag) for flag, _ in REQUIRED_FLAGS if flag not in missing))
    return ProtectedCommand(argv, missing)


class CopilotPty(PtyProvider):
    """GitHub Copilot CLI's part of the PTY strategy."""

    provider = COPILOT
    reads_help = True
    #: Copilot writes the folder it was started in (REPO/sub/deeper stays
    #: REPO/sub/deeper, 1.0.102), never its git root.
    trusts_repository_root = False
    # No ``state_lock_suffixes``: its ``config.json.trusted-folders.lock`` is a
    # plain file that stays after every run (a lock held by the process, which
    # the kernel releases when it dies), and config.json is replaced by rename.
    #: SIGKILL right after SIGTERM. Copilot takes about 2 s to exit after
    #: SIGTERM and meanwhile goes on starting what the trusted folder asks
    #: for: 1.0.89 and 1.0.102 started the folder's own .mcp.json server
    #: about 230 ms after writing trust, inside the usual 300 ms grace. Trust
    #: is in config.json (written by rename) before the kill; a SIGKILL leaves
    #: only the CLI's own ``inuse.<pid>`` markers in its package cache, which
    #: the next start sweeps.
    term_grace_ms = 0

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return preflight_env(host_env, strip)

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        allowed = bool(ctx.flags.value("allow_unprotected_copilot"))
        command = build_protected_command(binary, help_text, allow_unprotected=allowed)
        if command is None:
            missing = tuple(flag for flag, _ in REQUIRED_FLAGS if not _listed(flag, help_text or ""))
            return CommandRefused(
                Code.PREFLIGHT_UNPROTECTED,
                f"this Copilot CLI does not list {describe_missing(missing)} in --help; update it, or set "
                "allow_unprotected_copilot (--allow-unprotected-copilot) to run it without",
            )
        diagnostics: tuple[Diagnostic, ...] = ()
        if not command.protected:
            diagnostics = (
                Diagnostic(
                    Code.PREFLIGHT_UNPROTECTED,
                    "ran without these protected flags (explicitly allowed): "
                    + describe_missing(command.missing_flags),
                    COPILOT,
                ),
            )
        return PtyCommand(argv=command.argv, diagnostics=diagnostics)

    def messages(self) -> Mapping[SessionEnd, str]:
        from workspace_trust.session import SessionEnd  # a session's module, loaded when one ends

        return {
            SessionEnd.AUTH_REQUIRED: (
                "Copilot CLI asked for a login before its trust dialog; run `copilot` once by hand"
            ),
            SessionEnd.TRUST_NOT_PERSISTED: (
                "the remembering trust option was confirmed (or no dialog was shown) but config.json's "
                "trustedFolders does not cover the folder"
            ),
        }


def copilot_pty_strategy() -> PtyTrustStrategy:
    return PtyTrustStrategy(CopilotPty())
