"""Gemini CLI, as the rest of the package sees it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workspace_trust.domain.codes import LaunchMode
from workspace_trust.failure_patterns import TrustFailurePattern
from workspace_trust.providers.gemini import (
    BIN_ENV,
    GEMINI,
    STATE_VARIABLES,
    USUAL_LOCATIONS,
)
from workspace_trust.providers.launch_folders import FolderArg
from workspace_trust.providers.spec import FlagSpec, ProviderSpec, StrategyMode

if TYPE_CHECKING:
    from workspace_trust.domain.patches import PatchPlan
    from workspace_trust.domain.paths import Workspace
    from workspace_trust.domain.results import ProbeResult
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.ports import StateFiles, StateProbe
    from workspace_trust.strategy import TrustStrategy


def env_strategy() -> TrustStrategy:
    from workspace_trust.providers.gemini.strategy import GeminiEnvStrategy

    return GeminiEnvStrategy()


def pty_strategy() -> TrustStrategy:
    from workspace_trust.providers.gemini.strategy import gemini_pty_strategy

    return gemini_pty_strategy()


def prompt_strategy() -> TrustStrategy:
    """Prompt mode before 0.39.1: no headless gate."""
    from workspace_trust.providers.gemini.strategy import gemini_env
    from workspace_trust.providers.prompt_mode import NotGatedStrategy

    return NotGatedStrategy(
        GEMINI,
        "none",
        # Reached only below the session variable's floor (0.39.1), where the
        # real 0.39.0 sends ``gemini -p`` in an untrusted folder straight to
        # the model; from 0.39.1 it stops with exit 55 (tests/test_real_launch_modes.py).
        help_says=None,
        child_env=gemini_env,
        why="Gemini CLI before 0.39.1 has no trust gate in prompt mode (-p): nothing to prepare",
    )


def rules() -> RuleTable:
    from workspace_trust.providers.gemini.rules import GEMINI_RULES

    return GEMINI_RULES


def seed_test_home(home: str) -> dict[str, str]:
    """Folder trust on, API-key auth: Gemini goes straight to its trust dialog."""
    gemini_dir = os.path.join(home, ".gemini")
    os.makedirs(gemini_dir, exist_ok=True)
    settings = {"security": {"folderTrust": {"enabled": True}, "auth": {"selectedType": "gemini-api-key"}}}
    with open(os.path.join(gemini_dir, "settings.json"), "w", encoding="utf-8") as handle:
        json.dump(settings, handle)
    return {"GEMINI_API_KEY": "test-not-a-real-key"}


def plan_fields(plan: PatchPlan) -> dict[str, Any]:
    env: dict[str, str] = {}
    for patch in plan.env_patches:
        if patch.target_provider is GEMINI:
            env.update(dict(patch.values))
    return {"env": env}


def plan_lines(plan: PatchPlan) -> tuple[str, ...]:
    return tuple(f"gemini env {name}={value}" for name, value in plan_fields(plan)["env"].items())


def state_file(env: Mapping[str, str]) -> str | None:
    """Where the state file is under ``env`` (``ProviderSpec.state_file``)."""
    from workspace_trust.providers.gemini.probe import trusted_folders_path

    return trusted_folders_path(env)


def parse_state(data: bytes | None, workspace: Workspace) -> ProbeResult:
    """What the state file's bytes say of ``workspace`` (``ProviderSpec.parse_state``)."""
    from workspace_trust.providers.gemini.probe import parse_gemini_state

    return parse_gemini_state(data, workspace)


def state_probe(env: Mapping[str, str], files: StateFiles | None, version: str | None) -> StateProbe:
    """The probe of the state file under ``env`` (``ProviderSpec.state_probe``)."""
    from workspace_trust.providers.gemini.probe import GeminiStateProbe

    return GeminiStateProbe(state_file(env), files=files)


SPEC = ProviderSpec(
    id=GEMINI,
    display_name="Gemini CLI",
    binary_names=("gemini",),
    binary_env=BIN_ENV,
    npm_package="@google/gemini-cli",
    verified_versions=("0.45.2", "0.61.0"),
    # The dialog and trustedFolders.json are the same from 0.45 to 0.61.
    oldest_supported="0.45.0",
    modes=(
        StrategyMode("env", env_strategy, flag="gemini", help="per-launch environment patch"),
        StrategyMode("pty", pty_strategy, flag="gemini", help="accept the trust dialog in a PTY"),
        StrategyMode(
            "none",
            prompt_strategy,
            flag="gemini",
            help="prompt-mode launches of a Gemini CLI before 0.39.1: no headless gate (a fallback only)",
            launch_modes=frozenset({LaunchMode.PROMPT}),
            fallback_only=True,
        ),
    ),
    default_mode="env",
    launch_strategies={LaunchMode.PROMPT: ("env", "none")},
    state_file=state_file,
    state_variables=STATE_VARIABLES,
    state_probe=state_probe,
    parse_state=parse_state,
    flags=(FlagSpec("gemini", True, "Prepare Gemini CLI workspaces."),),
    usual_locations=USUAL_LOCATIONS,
    rules=rules,
    failure_patterns=(
        # Gemini CLI 0.61.0 (from its source): headless runs in an untrusted
        # folder exit with code 55; the code alone names no CLI.
        TrustFailurePattern("gemini_untrusted_exit_code", GEMINI, exit_code=55, needs_provider=True, priority=30),
    ),
    seed_test_home=seed_test_home,
    plan_fields=plan_fields,
    plan_field_schemas={
        "env": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Gemini: variables to set for the launch",
        }
    },
    plan_lines=plan_lines,
    # 0.45.2 and 0.61.0 in a terminal ask "Do you trust the following folders
    # being added to this workspace?" about each folder of
    # --include-directories (a yargs array: several values, each split at
    # commas) that trustedFolders.json does not trust, itself or through a
    # parent; GEMINI_CLI_TRUST_WORKSPACE covers the working folder only, so
    # such a folder is prepared by the dialog. Headless, they are added
    # unasked (tests/test_real_launch_modes.py).
    folder_args=(
        FolderArg(
            ("--include-directories",),
            variadic=True,
            separator=",",
            launch_modes=frozenset({LaunchMode.INTERACTIVE}),
            what="asks whether to trust it (--include-directories)",
            mode="pty",
        ),
    ),
)
