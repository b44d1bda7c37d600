"""GitHub Copilot CLI in prompt mode: the ``--trust-folder`` launch patch.

``copilot -p`` has no trust gate: in a folder it does not trust it runs, and
silently leaves out the folder's own configuration (repository hooks,
workspace MCP servers). ``--trust-folder`` (1.0.102's ``--help``: "Trust the
resolved working directory's configuration for one new prompt-mode session
only (no saved trust or tool, path, or URL approvals)") loads it for that one
session and writes nothing; an interactive session refuses it, and a CLI
before it takes it for words of the prompt (1.0.89: "Invalid command
format."). So the patch serves prompt launches only, and only a CLI whose
``--help`` documents it; any other is prepared by the PTY preflight.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workspace_trust.domain.patches import LaunchArgPatch, PatchPlan, TargetSurface
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.copilot import COPILOT
from workspace_trust.providers.copilot.floors import OVERRIDE_FLOOR
from workspace_trust.providers.copilot.strategy import preflight_env
from workspace_trust.providers.copilot.switches import (
    COPILOT_SWITCH,
    SWITCH_NOT_APPLIED,
    TRUST_FOLDER,
    WORKING_FOLDER_ELSEWHERE,
)
from workspace_trust.providers.patch_strategy import PatchStrategy
from workspace_trust.providers.prompt_mode import HelpSays, help_lacks
from workspace_trust.strategy import ExecutionContext

#: What the installed CLI's ``--help`` must say for the patch to be offered.
HELP_SAYS = HelpSays(
    "Trust the resolved working directory's configuration for one new prompt-mode session only", TRUST_FOLDER
)


class CopilotPromptStrategy(PatchStrategy):
    """Prompt-mode launches: the ``--trust-folder`` argument."""

    provider = COPILOT
    mode = "args"
    override_floor = OVERRIDE_FLOOR
    #: ``--trust-folder`` trusts "the resolved working directory", whichever
    #: it is: a launch argument that moves it to a refused folder withholds it.
    trusts_working_folder = True

    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        # The PTY preflight's: the same binary, package cache and no-update switches.
        return preflight_env(host_env, strip)

    def plan_patches(self, workspaces: tuple[Workspace, ...], launch_args: Sequence[str]) -> PatchPlan:
        ids = tuple(w.id for w in workspaces if w.persistable)
        if not ids:
            return PatchPlan()
        moved = [arg for arg in launch_args if arg.split("=", 1)[0] in WORKING_FOLDER_ELSEWHERE]
        if moved:
            # The session's working folder is then one this plan cannot name.
            why = (
                f"the launch arguments ({', '.join(moved)}) make Copilot work in a folder this plan cannot name: "
                f"{TRUST_FOLDER} would trust that folder, so it is not given"
            )
            return PatchPlan(diagnostics=(Diagnostic(SWITCH_NOT_APPLIED, why, COPILOT),))
        patch = LaunchArgPatch(
            id="copilot.trust_folder",
            target_provider=COPILOT,
            target_surface=TargetSurface.PRIMARY_PROVIDER_ARGS,
            dialect=COPILOT_SWITCH,
            values=(TRUST_FOLDER,),
            dedupe_key=f"copilot:{TRUST_FOLDER}",
            source_workspace_ids=ids,
            reason="Copilot CLI trusts the launch folder's configuration for this prompt-mode session only; "
            "nothing is persisted",
        )
        return PatchPlan(arg_patches=(patch,))

    def launch_unsupported(self, ctx: ExecutionContext) -> Diagnostic | None:
        return help_lacks(self.provider_spec, ctx, self.child_env(ctx.env, ctx.strip_env), HELP_SAYS)
