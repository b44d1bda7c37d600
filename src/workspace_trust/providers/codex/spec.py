"""Codex CLI, as the rest of the package sees it."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workspace_trust.failure_patterns import TrustFailurePattern, words
from workspace_trust.providers.codex import (
    BIN_ENV,
    CODEX,
    STATE_VARIABLES,
    USUAL_LOCATIONS,
)
from workspace_trust.providers.codex.patching import CODEX_VALUE_FLAGS, DIALECTS
from workspace_trust.providers.launch_folders import FolderArg
from workspace_trust.providers.spec import CliOption, FlagSpec, ProviderSpec, StrategyMode

if TYPE_CHECKING:
    from workspace_trust.domain.patches import PatchPlan
    from workspace_trust.domain.paths import Workspace
    from workspace_trust.domain.results import ProbeResult
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.ports import StateFiles, StateProbe
    from workspace_trust.strategy import TrustStrategy

_EXEC_REMEDY = "run codex exec inside a git repository, or pass --skip-git-repo-check"


def seed_test_home(home: str, *, codex_auth: bool = True, codex_update_offered: str | None = None) -> dict[str, str]:
    """Credentials (else the sign-in picker comes first); with
    ``codex_update_offered`` (a version newer than the CLI's), the update-check
    cache, checked just now, so the "Update available" prompt shows offline."""
    codex_home = os.path.join(home, ".codex")
    os.makedirs(codex_home, exist_ok=True)
    if codex_auth:
        with open(os.path.join(codex_home, "auth.json"), "w", encoding="utf-8") as handle:
            json.dump({"OPENAI_API_KEY": "sk-test-not-a-real-key", "auth_mode": "apikey"}, handle)
    if codex_update_offered is not None:
        import datetime

        checked = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with open(os.path.join(codex_home, "version.json"), "w", encoding="utf-8") as handle:
            json.dump(
                {"latest_version": codex_update_offered, "last_checked_at": checked, "dismissed_version": None},
                handle,
            )
    return {"CODEX_HOME": codex_home}


def args_strategy() -> TrustStrategy:
    from workspace_trust.providers.codex.strategy import CodexArgsStrategy

    return CodexArgsStrategy()


def pty_strategy() -> TrustStrategy:
    from workspace_trust.providers.codex.strategy import codex_pty_strategy

    return codex_pty_strategy()


def rules() -> RuleTable:
    from workspace_trust.providers.codex.rules import CODEX_RULES

    return CODEX_RULES


def plan_fields(plan: PatchPlan) -> dict[str, Any]:
    return {"config_overrides": list(plan.launch_values.get(CODEX, ()))}


def plan_lines(plan: PatchPlan) -> tuple[str, ...]:
    return tuple(f"codex -c {shlex.quote(value)}" for value in plan.launch_values.get(CODEX, ()))


def state_file(env: Mapping[str, str]) -> str | None:
    """Where the state file is under ``env`` (``ProviderSpec.state_file``)."""
    from workspace_trust.providers.codex.probe import codex_config_path

    return codex_config_path(env)


def parse_state(data: bytes | None, workspace: Workspace) -> ProbeResult:
    """What the state file's bytes say of ``workspace`` (``ProviderSpec.parse_state``)."""
    from workspace_trust.providers.codex.probe import parse_codex_state

    return parse_codex_state(data, workspace)


def state_probe(env: Mapping[str, str], files: StateFiles | None, version: str | None) -> StateProbe:
    """The probe of the state file under ``env`` (``ProviderSpec.state_probe``)."""
    from workspace_trust.providers.codex.probe import CodexStateProbe

    return CodexStateProbe(state_file(env), files=files)


SPEC = ProviderSpec(
    id=CODEX,
    display_name="Codex CLI",
    binary_names=("codex",),
    binary_env=BIN_ENV,
    npm_package="@openai/codex",
    verified_versions=("0.125.0", "0.166.0", "0.169.0"),
    # The oldest layout recorded; the -c override is verified from here on.
    oldest_supported="0.125.0",
    modes=(
        StrategyMode("args", args_strategy, flag="codex_args", help="per-launch -c projects={...} patch"),
        StrategyMode("pty", pty_strategy, flag="codex_pty", help="accept the trust dialog in Codex's own TUI"),
    ),
    default_mode="args",
    state_file=state_file,
    state_variables=STATE_VARIABLES,
    state_probe=state_probe,
    parse_state=parse_state,
    flags=(
        FlagSpec("codex_args", True, "Return Codex per-launch trust overrides (-c projects={...})."),
        FlagSpec("codex_pty", False, "Drive Codex's own trust dialog in a pseudo-terminal (opt-in)."),
    ),
    usual_locations=USUAL_LOCATIONS,
    rules=rules,
    failure_patterns=(
        # Codex exec (0.125.0 and 0.169.0): "Not inside a trusted directory and
        # --skip-git-repo-check was not specified." Despite the wording this is a
        # git check: exec refuses any folder outside a git repository, and neither
        # a persisted trust entry nor the ``-c projects=...`` override changes that
        # (tests/providers/codex/test_real_codex.py shows it on both versions).
        TrustFailurePattern(
            "codex_not_inside_trusted_directory",
            CODEX,
            text=words("not", "inside", "a", "trusted", "directory"),
            preflight_fixes=False,
            remedy=_EXEC_REMEDY,
            priority=10,
        ),
        TrustFailurePattern(
            "codex_skip_git_repo_check_hint",
            CODEX,
            text=words("--skip-git-repo-check", "was", "not", "specified"),
            preflight_fixes=False,
            remedy=_EXEC_REMEDY,
            priority=11,
        ),
    ),
    seed_test_home=seed_test_home,
    cli_options=(
        CliOption(
            "--existing-codex-override",
            "VALUE",
            "a -c value the host already passes to Codex (repeatable); projects= ones are merged",
            to_launch_args=lambda value: ("-c", value),
        ),
    ),
    plan_fields=plan_fields,
    plan_field_schemas={
        "config_overrides": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Codex: the exact strings to pass after -c, in order",
        }
    },
    plan_lines=plan_lines,
    arg_dialects=DIALECTS,
    value_flags=CODEX_VALUE_FLAGS,
    # ``-C B`` / ``--cd B`` (0.169.0): Codex works in B and asks whether to
    # trust B; ``codex exec -C B`` runs B's sandbox by B's trust. ``--add-dir``
    # asks nothing (tests/test_real_launch_modes.py).
    folder_args=(FolderArg(("-C", "--cd"), what="works in it (-C/--cd) and decides its trust", working=True),),
)
