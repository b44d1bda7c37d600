"""Qwen Code, as the rest of the package sees it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workspace_trust.domain.codes import LaunchMode
from workspace_trust.providers.qwen import (
    BIN_ENV,
    QWEN,
    SAFE_MODE,
    STATE_VARIABLES,
    USUAL_LOCATIONS,
)
from workspace_trust.providers.spec import FlagSpec, ProviderSpec, StrategyMode

if TYPE_CHECKING:
    from workspace_trust.domain.patches import PatchPlan
    from workspace_trust.domain.paths import Workspace
    from workspace_trust.domain.results import ProbeResult
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.ports import StateFiles, StateProbe
    from workspace_trust.strategy import TrustStrategy


def env_strategy() -> TrustStrategy:
    from workspace_trust.providers.qwen.strategy import QwenEnvStrategy

    return QwenEnvStrategy()


def pty_strategy() -> TrustStrategy:
    from workspace_trust.providers.qwen.strategy import qwen_pty_strategy

    return qwen_pty_strategy()


def rules() -> RuleTable:
    from workspace_trust.providers.qwen.rules import QWEN_RULES

    return QWEN_RULES


def seed_test_home(home: str, *, folder_trust: bool = True) -> dict[str, str]:
    """Folder trust on (Qwen's default is off): Qwen goes straight to its trust
    dialog, before any login. ``folder_trust=False`` writes the setting off."""
    qwen_dir = os.path.join(home, ".qwen")
    os.makedirs(qwen_dir, exist_ok=True)
    settings = {"security": {"folderTrust": {"enabled": folder_trust}}}
    with open(os.path.join(qwen_dir, "settings.json"), "w", encoding="utf-8") as handle:
        json.dump(settings, handle)
    return {}


def plan_fields(plan: PatchPlan) -> dict[str, Any]:
    """``env_files``: the files the host makes for the launch (env mode)."""
    files = [
        {"variable": item.variable, "name": item.name, "content": item.content}
        for patch in plan.env_patches
        if patch.target_provider is QWEN
        for item in patch.files
    ]
    return {"env_files": files}


def plan_lines(plan: PatchPlan) -> tuple[str, ...]:
    lines = []
    for patch in plan.env_patches:
        if patch.target_provider is QWEN:
            for item in patch.files:
                trusted = ", ".join(json.loads(item.content))
                lines.append(f"qwen env {item.variable}=<a private {item.name} trusting {trusted}>")
    return tuple(lines)


def state_file(env: Mapping[str, str]) -> str | None:
    """Where the state file is under ``env`` (``ProviderSpec.state_file``)."""
    from workspace_trust.providers.qwen.probe import qwen_state_file

    return qwen_state_file(env)


def parse_state(data: bytes | None, workspace: Workspace) -> ProbeResult:
    """What the state file's bytes say of ``workspace`` (``ProviderSpec.parse_state``)."""
    from workspace_trust.providers.qwen.probe import parse_qwen_state

    return parse_qwen_state(data, workspace)


def state_probe(env: Mapping[str, str], files: StateFiles | None, version: str | None) -> StateProbe:
    """The probe of the state file under ``env`` (``ProviderSpec.state_probe``)."""
    from workspace_trust.providers.qwen.probe import QwenStateProbe

    return QwenStateProbe(env, files, version=version)


SPEC = ProviderSpec(
    id=QWEN,
    display_name="Qwen Code",
    binary_names=("qwen",),
    binary_env=BIN_ENV,
    npm_package="@qwen-code/qwen-code",
    verified_versions=("0.15.6", "0.24.4"),
    oldest_supported=None,
    modes=(
        StrategyMode("pty", pty_strategy, flag="qwen", help="accept the trust dialog in a PTY"),
        StrategyMode("env", env_strategy, flag="qwen_env", help="per-launch private trusted-folders file"),
    ),
    default_mode="pty",
    # ``qwen -p`` asks nothing, and 0.24.4 then leaves out an untrusted
    # folder's own settings: the private file where the host makes it
    # (``qwen_env``), else trust persisted by the dialog.
    launch_strategies={LaunchMode.PROMPT: ("env", "pty")},
    state_file=state_file,
    state_variables=STATE_VARIABLES,
    state_probe=state_probe,
    parse_state=parse_state,
    flags=(
        FlagSpec("qwen", True, "Prepare Qwen Code workspaces (only where its folder trust is on)."),
        FlagSpec(
            "qwen_env",
            False,
            "Return Qwen's per-launch trusted-folders file patch (opt-in: the host makes the file for the launch).",
        ),
    ),
    usual_locations=USUAL_LOCATIONS,
    rules=rules,
    seed_test_home=seed_test_home,
    protected_help=SAFE_MODE,
    plan_fields=plan_fields,
    plan_field_schemas={
        "env_files": {
            "type": "array",
            "items": {"$ref": "#/$defs/env_file"},
            "description": "Qwen (--qwen-mode env): files to make for the launch",
        }
    },
    plan_lines=plan_lines,
)
