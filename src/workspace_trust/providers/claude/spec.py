"""Claude Code, as the rest of the package sees it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from workspace_trust.domain.codes import LaunchMode
from workspace_trust.domain.paths import env_home
from workspace_trust.failure_patterns import TrustFailurePattern, words
from workspace_trust.providers.claude import (
    BIN_ENV,
    CLAUDE,
    PREFLIGHT_ENV,
    REQUIRED_FLAGS,
    STATE_VARIABLES,
    USUAL_LOCATIONS,
)
from workspace_trust.providers.launch_folders import FolderArg
from workspace_trust.providers.spec import FlagSpec, ProviderSpec, StrategyMode

if TYPE_CHECKING:
    from workspace_trust.domain.paths import Workspace
    from workspace_trust.domain.results import ProbeResult
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.ports import StateFiles, StateProbe
    from workspace_trust.strategy import TrustStrategy


def seed_test_home(home: str) -> dict[str, str]:
    """Without ``hasCompletedOnboarding`` Claude shows its theme picker first."""
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True, "theme": "dark"}, handle)
    return {}


def pty_strategy() -> TrustStrategy:
    from workspace_trust.providers.claude.strategy import claude_pty_strategy

    return claude_pty_strategy()


def prompt_strategy() -> TrustStrategy:
    """Prompt mode: Claude Code asks nothing (its ``--help`` says so)."""
    from workspace_trust.providers.claude.strategy import preflight_env
    from workspace_trust.providers.prompt_mode import HelpSays, NotGatedStrategy

    return NotGatedStrategy(
        CLAUDE,
        "none",
        # 2.0.77 to 2.1.337: "Note: The workspace trust dialog is skipped when
        # Claude is run with the -p mode" (2.1.330+: "in non-interactive mode
        # (via -p, ...)"); the real 2.1.197, 2.1.330 and 2.1.337 show no
        # dialog and write no trust (tests/test_real_launch_modes.py).
        help_says=HelpSays(
            "The workspace trust dialog is skipped when Claude is run", "that -p skips its trust dialog"
        ),
        child_env=preflight_env,
        why=(
            "Claude Code skips its workspace trust dialog in prompt mode (-p, or output not to a terminal), "
            "as its --help says: nothing to prepare, and nothing was persisted"
        ),
    )


def rules() -> RuleTable:
    from workspace_trust.providers.claude.rules import CLAUDE_RULES

    return CLAUDE_RULES


def state_file(env: Mapping[str, str]) -> str | None:
    """Where the state file is under ``env`` (``ProviderSpec.state_file``)."""
    from workspace_trust.providers.claude.probe import claude_state_path

    return claude_state_path(env, env_home(env))


def parse_state(data: bytes | None, workspace: Workspace) -> ProbeResult:
    """What the state file's bytes say of ``workspace`` (``ProviderSpec.parse_state``)."""
    from workspace_trust.providers.claude.probe import parse_claude_state

    return parse_claude_state(data, workspace)


def state_probe(env: Mapping[str, str], files: StateFiles | None, version: str | None) -> StateProbe:
    """The probe of the state file under ``env`` (``ProviderSpec.state_probe``)."""
    from workspace_trust.providers.claude.probe import ClaudeStateProbe

    return ClaudeStateProbe(state_file(env), files=files, version=version)


SPEC = ProviderSpec(
    id=CLAUDE,
    display_name="Claude Code",
    binary_names=("claude",),
    binary_env=BIN_ENV,
    npm_package="@anthropic-ai/claude-code",
    verified_versions=("2.0.77", "2.1.19", "2.1.119", "2.1.197", "2.1.330", "2.1.337"),
    # 1.0.x lacks the protection flags and draws another dialog (real-cli-findings).
    oldest_supported="2.0.0",
    modes=(
        StrategyMode("pty", pty_strategy, flag="claude_pty", help="accept the trust dialog in a PTY"),
        StrategyMode(
            "none",
            prompt_strategy,
            flag="claude_prompt",
            help="prompt-mode launches: Claude asks nothing (checked in its --help)",
            launch_modes=frozenset({LaunchMode.PROMPT}),
        ),
    ),
    default_mode="pty",
    launch_strategies={LaunchMode.PROMPT: ("none", "pty")},
    state_file=state_file,
    state_variables=STATE_VARIABLES,
    state_probe=state_probe,
    parse_state=parse_state,
    flags=(
        FlagSpec("claude_pty", True, "Accept Claude Code's trust dialog in a pseudo-terminal."),
        FlagSpec(
            "claude_prompt", True, "Answer prompt-mode Claude Code launches as needing nothing (its -p asks nothing)."
        ),
        FlagSpec(
            "allow_unprotected_claude",
            False,
            "Run Claude Code without the protected flags when it lacks them.",
            cli_switch="--allow-unprotected-claude",
        ),
    ),
    usual_locations=USUAL_LOCATIONS,
    rules=rules,
    failure_patterns=(
        # The orchestrator's own gate before it starts the CLI; it reports the
        # provider the caller names (this one when none is named).
        TrustFailurePattern(
            "orchestrator_trust_not_accepted",
            CLAUDE,
            text=words("workspace", "trust", "is", "not", "accepted"),
            caller_names_provider=True,
            priority=0,
        ),
        # "Ignoring N permissions.allow entries from .claude/settings.json:
        # this workspace has not been trusted."
        TrustFailurePattern(
            "claude_workspace_not_trusted",
            CLAUDE,
            text=words("workspace", "has", "not", "been", "trusted"),
            priority=20,
        ),
    ),
    seed_test_home=seed_test_home,
    protected_help=" ".join(("--bare", *REQUIRED_FLAGS)),
    preflight_env=PREFLIGHT_ENV,
    value_flags=frozenset({"--settings"}),
    # 2.1.330 and 2.1.337 ask "Adding a new directory:" at start for a folder
    # of ``--add-dir`` (either spelling) that holds no trust record, and a
    # headless launch stops there; -p does not ask (tests/test_real_launch_modes.py).
    folder_args=(
        FolderArg(
            ("--add-dir",),
            variadic=True,
            launch_modes=frozenset({LaunchMode.INTERACTIVE}),
            what='asks "Adding a new directory:" about it (--add-dir)',
        ),
    ),
)
