"""GitHub Copilot CLI, as the rest of the package sees it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from workspace_trust.domain.codes import LaunchMode
from workspace_trust.domain.patches import TargetSurface
from workspace_trust.failure_patterns import TrustFailurePattern, words
from workspace_trust.providers.copilot import (
    BIN_ENV,
    COPILOT,
    PREFLIGHT_ENV,
    REQUIRED_FLAGS,
    STATE_VARIABLES,
    USUAL_LOCATIONS,
)
from workspace_trust.providers.copilot.switches import COPILOT_SWITCH, TRUST_FOLDER, VALUE_FLAGS, apply_switch, refuse
from workspace_trust.providers.launch_folders import FolderArg
from workspace_trust.providers.spec import ArgDialectRule, FlagSpec, ProviderSpec, StrategyMode

if TYPE_CHECKING:
    from workspace_trust.domain.patches import PatchPlan
    from workspace_trust.domain.paths import Workspace
    from workspace_trust.domain.results import ProbeResult
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.ports import StateFiles, StateProbe
    from workspace_trust.strategy import TrustStrategy


def pty_strategy() -> TrustStrategy:
    from workspace_trust.providers.copilot.strategy import copilot_pty_strategy

    return copilot_pty_strategy()


def prompt_strategy() -> TrustStrategy:
    from workspace_trust.providers.copilot.prompt import CopilotPromptStrategy

    return CopilotPromptStrategy()


def plan_lines(plan: PatchPlan) -> tuple[str, ...]:
    return tuple(
        f"copilot {' '.join(patch.values)} (prompt-mode launches)"
        for patch in plan.arg_patches
        if patch.target_provider is COPILOT
    )


def rules() -> RuleTable:
    from workspace_trust.providers.copilot.rules import COPILOT_RULES

    return COPILOT_RULES


def seed_test_home(home: str, *, copilot_package_cache: str | None = None) -> dict[str, str]:
    """Nothing to seed: offline and logged out, Copilot CLI shows its trust
    dialog first. With ``copilot_package_cache``, the folder where the CLI
    unpacks its package (``XDG_CACHE_HOME``) is shared between HOMEs instead of
    a fresh 235 MB copy under each (about 3 s per start on 1.0.102)."""
    os.makedirs(home, exist_ok=True)
    return {"XDG_CACHE_HOME": copilot_package_cache} if copilot_package_cache else {}


def state_file(env: Mapping[str, str]) -> str | None:
    """Where the state file is under ``env`` (``ProviderSpec.state_file``)."""
    from workspace_trust.providers.copilot.probe import copilot_config_path

    return copilot_config_path(env)


def parse_state(data: bytes | None, workspace: Workspace) -> ProbeResult:
    """What the state file's bytes say of ``workspace`` (``ProviderSpec.parse_state``)."""
    from workspace_trust.providers.copilot.probe import parse_copilot_state

    return parse_copilot_state(data, workspace)


def state_probe(env: Mapping[str, str], files: StateFiles | None, version: str | None) -> StateProbe:
    """The probe of the state file under ``env`` (``ProviderSpec.state_probe``)."""
    from workspace_trust.providers.copilot.probe import CopilotStateProbe

    return CopilotStateProbe(state_file(env), files=files)


SPEC = ProviderSpec(
    id=COPILOT,
    display_name="Copilot CLI",
    binary_names=("copilot",),
    binary_env=BIN_ENV,
    npm_package="@github/copilot",
    verified_versions=("1.0.80", "1.0.89", "1.0.102"),
    # No floor: 0.0.423 and 1.0.40 drew the same dialog by hand, and a version
    # without a protective flag is refused by the flag check itself.
    oldest_supported=None,
    modes=(
        StrategyMode("pty", pty_strategy, flag="copilot_pty", help="accept the trust dialog in a PTY"),
        StrategyMode(
            "args",
            prompt_strategy,
            flag="copilot_args",
            help=f"prompt-mode launches: the {TRUST_FOLDER} argument (from 1.0.99, checked in its --help)",
            launch_modes=frozenset({LaunchMode.PROMPT}),
        ),
    ),
    default_mode="pty",
    launch_strategies={LaunchMode.PROMPT: ("args", "pty")},
    arg_dialects=(
        ArgDialectRule(
            COPILOT_SWITCH,
            allowed=frozenset({(TargetSurface.PRIMARY_PROVIDER_ARGS, COPILOT.value)}),
            apply=apply_switch,
            refuse=refuse,
        ),
    ),
    value_flags=VALUE_FLAGS,
    # ``-C B`` (1.0.102): Copilot works in B and asks whether to trust B;
    # ``--add-dir`` asks nothing (its --help: it loads the folder's skills and
    # agents "as trusted configuration").
    folder_args=(FolderArg(("-C",), what="works in it (-C) and decides its trust", working=True),),
    plan_lines=plan_lines,
    state_file=state_file,
    state_variables=STATE_VARIABLES,
    state_probe=state_probe,
    parse_state=parse_state,
    flags=(
        FlagSpec("copilot_pty", True, "Accept GitHub Copilot CLI's trust dialog in a pseudo-terminal."),
        FlagSpec("copilot_args", True, f"Return Copilot's {TRUST_FOLDER} argument for prompt-mode launches."),
        FlagSpec(
            "allow_unprotected_copilot",
            False,
            "Run GitHub Copilot CLI without the protected flags it lacks.",
            cli_switch="--allow-unprotected-copilot",
        ),
    ),
    usual_locations=USUAL_LOCATIONS,
    rules=rules,
    failure_patterns=(
        # Found in the 1.0.80-1.0.102 bundles (not seen on screen here): an
        # interactive prompt submitted before the folder is trusted is refused
        # with "This folder is not trusted. Please confirm folder trust to
        # continue." The dialog's own title, "Confirm folder trust", is what a
        # headless launch left waiting at the dialog shows; both match.
        TrustFailurePattern(
            "copilot_confirm_folder_trust",
            COPILOT,
            text=words("confirm", "folder", "trust"),
            priority=40,
        ),
        # 1.0.89 and 1.0.102, ``copilot workflow`` in an untrusted folder:
        # "Project extensions are excluded because the working folder is not
        # trusted. Trust the folder or set GITHUB_COPILOT_PROMPT_MODE_EXTENSIONS=true
        # for this invocation." (from the bundle).
        TrustFailurePattern(
            "copilot_working_folder_not_trusted",
            COPILOT,
            text=words("because", "the", "working", "folder", "is", "not", "trusted"),
            priority=41,
        ),
        # 1.0.89 and 1.0.102: "Interrupted work remains paused because this
        # folder is not trusted. Trust the folder to continue securely."
        TrustFailurePattern(
            "copilot_paused_folder_not_trusted",
            COPILOT,
            text=words("paused", "because", "this", "folder", "is", "not", "trusted"),
            priority=42,
        ),
    ),
    seed_test_home=seed_test_home,
    protected_help=" ".join(flag for flag, _ in REQUIRED_FLAGS),
    preflight_env=PREFLIGHT_ENV,
)
