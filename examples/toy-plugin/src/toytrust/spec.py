"""The toy CLI's :class:`ProviderSpec`: everything workspace-trust needs to know
about it. Registered by the entry point ``toy = "toytrust.spec:SPEC"`` in the
group ``workspace_trust.providers`` (pyproject.toml).

Every command loads this module, ``status`` and ``plan`` included, so it holds
only the id, the codes, the state file's place and its pure parser; the dialog
rules and the strategies are named by functions that import them on first use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workspace_trust.plugin import (
    Code,
    Diagnostic,
    FlagSpec,
    ProbeResult,
    Provider,
    ProviderSpec,
    StrategyMode,
    TrustFailurePattern,
    TrustState,
    Workspace,
    env_home,
    words,
)

if TYPE_CHECKING:
    from workspace_trust.plugin import PatchPlan, RuleTable, TrustStrategy

#: The provider id and the plug-in's own code: the wire format, never changed
#: once shipped.
TOY = Provider.define("toy", "TOY")
#: The toy's trust file is not a JSON object.
TOY_STATE_ODD = Code.define("toy_state_file_odd", "TOY_STATE_FILE_ODD")

#: The variable that names the toy's binary (as ``--toy-bin`` does).
BIN_ENV = "TOYTRUST_TOY_BIN"
#: Moves the toy's folder (default ``$HOME/.toy``).
HOME_ENV = "TOY_HOME"
#: ``off`` in the toy's environment: it shows no dialog and gates no folder.
GATE_ENV = "TOY_TRUST_GATE"


def gate_on(env: Mapping[str, str]) -> bool:
    return env.get(GATE_ENV) != "off"


def state_file(env: Mapping[str, str]) -> str | None:
    """Where the toy records trust under ``env``; None without a home."""
    if env.get(HOME_ENV):
        return os.path.join(env[HOME_ENV], "trusted.json")
    home = env_home(env)
    return os.path.join(home, ".toy", "trusted.json") if home else None


def parse_toy_state(data: bytes | None, workspace: Workspace) -> ProbeResult:
    """The pure probe: what the toy's file (None: there is none) says about
    ``workspace``. No I/O: the library reads the file."""
    if data is None:
        return ProbeResult(TrustState.UNTRUSTED)
    try:
        doc = json.loads(data)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return ProbeResult(TrustState.UNKNOWN, diagnostics=(Diagnostic(TOY_STATE_ODD, "not an object", TOY),))
    listed = doc.get("workspaces", [])
    # The source of a trust is optional: this probe names none, as a plug-in's may not.
    for path in (workspace.absolute_path, workspace.real_path):
        if path in listed:
            return ProbeResult(TrustState.TRUSTED, trusted_key=path)
    return ProbeResult(TrustState.UNTRUSTED)


def rules() -> RuleTable:
    from toytrust.rules import RULES

    return RULES


def pty_strategy() -> TrustStrategy:
    from toytrust.strategies import ToyPty
    from workspace_trust.plugin import PtyTrustStrategy

    return PtyTrustStrategy(ToyPty())


def env_strategy() -> TrustStrategy:
    from toytrust.strategies import ToyEnvStrategy

    return ToyEnvStrategy()


def seed_test_home(home: str) -> dict[str, str]:
    """A fresh HOME in which the toy goes straight to its dialog: any folder."""
    os.makedirs(home, exist_ok=True)
    return {}


def plan_fields(plan: PatchPlan) -> Mapping[str, Any]:
    """``provider_fields.toy.env`` in the ``plan`` document: the variables the
    launch sets (the package prefixes nothing; names are the provider's own)."""
    return {"env": {k: v for p in plan.env_patches if p.target_provider is TOY for k, v in p.values}}


SPEC = ProviderSpec(
    id=TOY,
    display_name="Toy CLI",
    binary_names=("toy",),
    binary_env=BIN_ENV,
    npm_package="",
    modes=(
        StrategyMode("pty", pty_strategy, flag="toy_pty", help="accept the dialog in a PTY"),
        StrategyMode("env", env_strategy, flag="toy_env", help="per-launch environment patch"),
    ),
    default_mode="pty",
    state_file=state_file,
    parse_state=parse_toy_state,
    flags=(
        FlagSpec("toy_pty", True, "Accept the toy's trust dialog in a pseudo-terminal."),
        FlagSpec("toy_env", True, "Return the toy's per-launch environment patch."),
    ),
    rules=rules,
    failure_patterns=(TrustFailurePattern("toy_not_allowed", TOY, text=words("workspace", "not", "allowed")),),
    seed_test_home=seed_test_home,
    protected_help="--no-plugins",
    verified_versions=("0.3.0",),
    plan_fields=plan_fields,
)
