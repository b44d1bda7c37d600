"""The toy CLI's :class:`ProviderSpec`: everything workspace-trust needs to know
about it, in the plug-in's own package. Registered by the entry point
``toy = toytrust.spec:SPEC`` in the group ``workspace_trust.providers``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence

import attrs

from workspace_trust.classifier import TrustFailurePattern, words
from workspace_trust.domain.codes import Code, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.patches import EnvPatch, PatchPlan
from workspace_trust.domain.paths import Workspace, env_home
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult
from workspace_trust.engine.rules import DialogRule, OptionLabel, Outcome, Phase, RuleTable
from workspace_trust.ports import BinaryLocator, StateFiles, StateProbe
from workspace_trust.providers import FlagSpec, ProviderSpec, StrategyMode
from workspace_trust.providers.binaries import COMMON_ENV, keep_env, resolve_cli_binary
from workspace_trust.providers.pty_strategy import CommandRefused, PtyCommand, PtyProvider, PtyTrustStrategy
from workspace_trust.providers.state_probe import FileStateProbe
from workspace_trust.strategy import ExecutionContext, TrustStrategy

TOY = Provider.define("toy", "TOY")
#: The plug-in's own code: a trust file that is not a JSON object.
TOY_STATE_ODD = Code.define("toy_state_file_odd", "TOY_STATE_FILE_ODD")

CLI = os.path.join(os.path.dirname(__file__), "toy_cli.py")

ONCE = OptionLabel("Allow once")
ALWAYS = OptionLabel("Always allow this workspace")
LEAVE = OptionLabel("Leave")

RULES = RuleTable(
    provider="toy",
    rules=(
        DialogRule(
            id="toy.workspace_trust",
            phase=Phase.WORKSPACE_TRUST,
            required=("Allow this workspace?",),
            outcome=Outcome.CHECK_SUCCESS,
            options=(ONCE, ALWAYS, LEAVE),
            select=ALWAYS,
            # "Allow once" is preselected and persists nothing.
            never_select=(ONCE, LEAVE),
            seen_on=("0.3.0",),
        ),
    ),
)


#: ``off`` in the toy's environment: it shows no dialog and gates no folder.
GATE_ENV = "TOY_TRUST_GATE"


def gate_on(env: Mapping[str, str]) -> bool:
    return env.get(GATE_ENV) != "off"


def state_file(env: Mapping[str, str]) -> str | None:
    if env.get("TOY_HOME"):
        return os.path.join(env["TOY_HOME"], "trusted.json")
    home = env_home(env)
    return os.path.join(home, ".toy", "trusted.json") if home else None


def parse_toy_state(data: bytes | None, workspace: Workspace) -> ProbeResult:
    """The pure probe: what the toy's file says about ``workspace``."""
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


class ToyProbe(FileStateProbe):
    """Reads the toy's file through the library's ``StateFiles`` port, so it
    never blocks on a FIFO and can be driven by ``FakeStateFiles`` in tests."""

    def __init__(self, path: str | None, files: StateFiles | None = None) -> None:
        super().__init__(path, provider=TOY, what="trusted.json", limit=1 << 20, parse=parse_toy_state, files=files)


class ToyPty(PtyProvider):
    provider = TOY
    rules = RULES
    flag = "toy_pty"
    reads_help = True

    def state_file(self, env: Mapping[str, str]) -> str | None:
        return state_file(env)

    def state_probe(
        self, env: Mapping[str, str], files: StateFiles | None = None, version: str | None = None
    ) -> StateProbe:
        return ToyProbe(state_file(env), files)

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        return keep_env(host_env, (*COMMON_ENV, "TOY_HOME", GATE_ENV), strip)

    def trust_required(self, env: Mapping[str, str]) -> bool:
        return gate_on(env)

    def resolve_binary(self, explicit: str | None, env: Mapping[str, str], locator: BinaryLocator | None = None) -> str:
        return resolve_cli_binary("toy", explicit, env, "TOYTRUST_TOY_BIN", (), locator=locator)

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        if help_text is None or "--no-plugins" not in help_text:
            return CommandRefused(Code.PREFLIGHT_UNPROTECTED, "this toy cannot start without its plug-ins")
        return PtyCommand(argv=(binary, "--no-plugins"))


class ToyEnvStrategy(TrustStrategy):
    """Per launch: ``TOY_TRUST_WORKSPACES`` lists the folders the toy trusts."""

    provider = TOY
    mode = "env"
    flag = "toy_env"

    def probe(self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None = None) -> ProbeResult:
        return ToyProbe(state_file(env), files).read_trust(workspace)

    def trust_required(self, env: Mapping[str, str]) -> bool:
        return gate_on(env)

    def plan_patches(self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str]) -> PatchPlan:
        usable = tuple(w for w in workspaces if w.persistable)
        if not usable:
            return PatchPlan()
        value = os.pathsep.join(w.real_path for w in usable)
        patch = EnvPatch(
            id="toy.trust_env",
            target_provider=TOY,
            values=(("TOY_TRUST_WORKSPACES", value),),
            dedupe_key="toy:trust-env",
            source_workspace_ids=tuple(w.id for w in usable),
            reason="the toy trusts these folders for this launch",
        )
        return PatchPlan(env_patches=(patch,))

    def prepare(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        if not self.trust_required(ctx.env):
            return base_result(TOY, workspace, WorkspaceStatus.NOT_REQUIRED)
        probe = self.probe(workspace, ctx.env, ctx.state_files)
        if probe.trusted:
            return base_result(TOY, workspace, WorkspaceStatus.ALREADY_TRUSTED, trusted_key=probe.trusted_key)
        return base_result(TOY, workspace, WorkspaceStatus.PATCHED)


def seed_test_home(home: str) -> dict[str, str]:
    os.makedirs(home, exist_ok=True)
    return {}


SPEC = ProviderSpec(
    id=TOY,
    display_name="Toy CLI",
    binary_names=("toy",),
    binary_env="TOYTRUST_TOY_BIN",
    npm_package="",
    modes=(
        StrategyMode("pty", lambda: PtyTrustStrategy(ToyPty()), flag="toy_pty", help="accept the dialog in a PTY"),
        StrategyMode("env", ToyEnvStrategy, flag="toy_env", help="per-launch environment patch"),
    ),
    default_mode="pty",
    state_file=state_file,
    parse_state=parse_toy_state,
    flags=(
        FlagSpec("toy_pty", True, "Accept the toy's trust dialog in a pseudo-terminal."),
        FlagSpec("toy_env", True, "Return the toy's per-launch environment patch."),
    ),
    rules=RULES,
    failure_patterns=(TrustFailurePattern("toy_not_allowed", TOY, text=words("workspace", "not", "allowed")),),
    seed_test_home=seed_test_home,
    protected_help="--no-plugins",
    plan_fields=lambda plan: {
        "toy_env": {k: v for p in plan.env_patches if p.target_provider is TOY for k, v in p.values}
    },
)

#: The interpreter the toy CLI runs under (a host would ship a real binary).
PYTHON = sys.executable


class RulelessToyPty(ToyPty):
    """The same CLI from a plug-in that forgot its dialog rules: neither this
    class nor its spec names a table (the base class's ``rules`` reads the spec's)."""

    rules = PtyProvider.rules


#: Registered by the entry point ``toy = toytrust.spec:SPEC_WITHOUT_RULES``
#: (tests/test_plugin_provider.py): a broken plug-in the library must refuse
#: before it starts anything.
SPEC_WITHOUT_RULES = attrs.evolve(
    SPEC,
    modes=(StrategyMode("pty", lambda: PtyTrustStrategy(RulelessToyPty()), flag="toy_pty", help="no rules"),),
    rules=None,
)
