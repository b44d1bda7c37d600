"""How the toy's trust is prepared: in a PTY (answer its dialog, read its
file), or per launch (an environment variable the toy reads). Loaded only
when a preflight or a plan needs them (``spec.py`` names them by function)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from toytrust.spec import BIN_ENV, GATE_ENV, HOME_ENV, TOY, gate_on, parse_toy_state, state_file
from workspace_trust.plugin import (
    COMMON_ENV,
    BinaryLocator,
    Code,
    CommandRefused,
    EnvPatch,
    ExecutionContext,
    FileStateProbe,
    PatchPlan,
    ProbeResult,
    PtyCommand,
    PtyProvider,
    StateFiles,
    StateProbe,
    TrustStrategy,
    Workspace,
    WorkspaceResult,
    WorkspaceStatus,
    base_result,
    keep_env,
    resolve_cli_binary,
)


class ToyProbe(FileStateProbe):
    """Reads the toy's file through the library's ``StateFiles`` port, so it
    never blocks on a FIFO or reads a huge file whole, and ``FakeStateFiles``
    can drive it in tests."""

    def __init__(self, path: str | None, files: StateFiles | None = None) -> None:
        super().__init__(path, provider=TOY, what="trusted.json", limit=1 << 20, parse=parse_toy_state, files=files)


class ToyPty(PtyProvider):
    provider = TOY
    flag = "toy_pty"
    # The protected command is built from what ``toy --help`` lists.
    reads_help = True

    def state_file(self, env: Mapping[str, str]) -> str | None:
        return state_file(env)

    def state_probe(
        self, env: Mapping[str, str], files: StateFiles | None = None, version: str | None = None
    ) -> StateProbe:
        return ToyProbe(state_file(env), files)

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        # Only these of the host's variables reach the toy (and its own).
        return keep_env(host_env, (*COMMON_ENV, HOME_ENV, GATE_ENV, "TOY_QUESTION"), strip)

    def trust_required(self, env: Mapping[str, str]) -> bool:
        return gate_on(env)

    def resolve_binary(self, explicit: str | None, env: Mapping[str, str], locator: BinaryLocator | None = None) -> str:
        return resolve_cli_binary("toy", explicit, env, BIN_ENV, (), locator=locator)

    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused:
        # Never run the toy with its plug-ins: a folder's own code must not start.
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
        # The folder guard has run (execute_workspace): a folder no provider
        # may trust never reaches here.
        if not self.trust_required(ctx.env):
            return base_result(TOY, workspace, WorkspaceStatus.NOT_REQUIRED)
        probe = self.probe(workspace, ctx.env, ctx.state_files)
        if probe.trusted:
            return base_result(TOY, workspace, WorkspaceStatus.ALREADY_TRUSTED, trusted_key=probe.trusted_key)
        return base_result(TOY, workspace, WorkspaceStatus.PATCHED)
