"""Qwen Code, as the rest of the package sees it."""

from __future__ import annotations

import json
import os

from workspace_trust.providers.qwen import FOLDER_DISTRUSTED, QWEN, SETTINGS_UNREADABLE
from workspace_trust.providers.qwen.rules import QWEN_RULES
from workspace_trust.providers.qwen.strategy import (
    BIN_ENV,
    SAFE_MODE,
    USUAL_LOCATIONS,
    qwen_pty_strategy,
    qwen_state_file,
)
from workspace_trust.providers.spec import FlagSpec, ProviderSpec, StrategyMode


def seed_test_home(home: str, *, folder_trust: bool = True) -> dict[str, str]:
    """Folder trust on (Qwen's default is off): Qwen goes straight to its trust
    dialog, before any login. ``folder_trust=False`` writes the setting off."""
    qwen_dir = os.path.join(home, ".qwen")
    os.makedirs(qwen_dir, exist_ok=True)
    settings = {"security": {"folderTrust": {"enabled": folder_trust}}}
    with open(os.path.join(qwen_dir, "settings.json"), "w", encoding="utf-8") as handle:
        json.dump(settings, handle)
    return {}


SPEC = ProviderSpec(
    id=QWEN,
    display_name="Qwen Code",
    binary_names=("qwen",),
    binary_env=BIN_ENV,
    npm_package="@qwen-code/qwen-code",
    modes=(StrategyMode("pty", qwen_pty_strategy, flag="qwen", help="accept the trust dialog in a PTY"),),
    default_mode="pty",
    state_file=qwen_state_file,
    flags=(FlagSpec("qwen", True, "Prepare Qwen Code workspaces (only where its folder trust is on)."),),
    usual_locations=USUAL_LOCATIONS,
    rules=QWEN_RULES,
    codes=(SETTINGS_UNREADABLE, FOLDER_DISTRUSTED),
    seed_test_home=seed_test_home,
    recorder_scenarios=("trust-accept",),
    protected_help=SAFE_MODE,
)
