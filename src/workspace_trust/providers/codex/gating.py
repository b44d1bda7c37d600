"""Which folders Codex gates behind its trust dialog, per version. Pure data
and pure functions (the one file-system question, whether the folder holds a
``.codex`` folder, is asked by the caller's port).

Seen on the real CLI, each with a fresh ``CODEX_HOME`` holding only
credentials, a folder with no trust entry (tests/providers/codex/test_real_codex.py):

* **0.125.0, 0.140.0, 0.150.0, 0.158.0** ask in every folder, git or not.
* **0.162.0, 0.166.0, 0.169.0, 0.171.0** ask only where a trust decision changes what
  they load: inside a git repository (root or subfolder, where trust is
  written under the repository root), or in a folder that itself holds a
  ``.codex`` folder (project config, hooks and exec policies; one in a parent
  does not count outside git). Elsewhere they go straight to the prompt with
  no dialog and persist nothing: the folder's ``AGENTS.md`` is loaded, the
  permissions are the default workspace-write ones ("Workspace (granular)" in
  ``/status``, against "Workspace (Ask for approval)" once trusted), and a
  ``.codex`` folder created there later brings the dialog back.
* A folder with an explicit ``trust_level = "untrusted"`` entry is gated on
  every version (0.171.0: "Open restricted").

A version outside the range seen (older than 0.162.0, or newer than the newest
seen) is taken to gate every folder: the strictest reading.
"""

from __future__ import annotations

from workspace_trust.domain.codes import Code, TrustState
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import Diagnostic, ProbeResult
from workspace_trust.providers.codex import CODEX, OVERRIDE_EMBEDDED_MODE
from workspace_trust.providers.versions import at_least, within

#: The versions seen not to gate a folder outside git that holds no ``.codex``
#: folder: the first and the newest seen. 0.158.0 still asks (the newest seen
#: that does); nothing between 0.158.0 and 0.162.0 has been run.
UNGATED_OUTSIDE_GIT = ("0.162.0", "0.171.0")
#: The newest version seen that still asks in every folder.
GATES_EVERY_FOLDER_UP_TO = "0.158.0"
#: The folder whose presence in the workspace brings the dialog back outside git.
PROJECT_CONFIG_DIR = ".codex"

#: From this version on any ``-c`` makes Codex run without its shared
#: background server: "Running without the shared background server:
#: command-line configuration overrides (-c, --enable, --disable, or --search)
#: requires embedded mode." Printed on 0.171.0; the message is in the binaries
#: of 0.158.0, 0.162.0, 0.166.0, 0.169.0 and 0.171.0, and not in 0.150.0's.
#: What a launch loses is in docs/providers.md.
EMBEDDED_ONLY_WITH_CONFIG_OVERRIDE = "0.158.0"

NOT_GATED_MESSAGE = (
    "Codex {version} shows no trust dialog in a folder outside a git repository that holds no .codex "
    "folder (seen on 0.162.0 to 0.171.0): nothing to prepare; it loads the folder's AGENTS.md and runs "
    "with its default permissions there, and a .codex folder added later brings the dialog back"
)
EMBEDDED_MODE_MESSAGE = (
    "Codex {version} runs without its shared background server whenever -c is given (embedded mode, "
    "from 0.158.0): the launch that carries this override does not attach to the app-server daemon "
    "(see docs/providers.md)"
)


def gates_folder(version: str | None, workspace: Workspace, *, has_project_config: bool, probe: ProbeResult) -> bool:
    """Pure: whether Codex ``version`` shows its trust dialog for ``workspace``.

    ``has_project_config``: the folder holds a ``.codex`` entry (a file counts
    too: the strictest reading). ``probe``: what config.toml says; any
    decision there (trusted or untrusted) is Codex's own business, and only
    a folder with none can be ungated."""
    if not within(version, *UNGATED_OUTSIDE_GIT):
        return True
    if probe.state is not TrustState.UNTRUSTED or probe.source is not None or probe.diagnostics:
        return True
    if workspace.git_root is not None or workspace.worktree_main_root is not None:
        return True
    return has_project_config


def not_gated(
    version: str | None, workspace: Workspace, *, has_project_config: bool, probe: ProbeResult
) -> Diagnostic | None:
    """The ``folder_not_gated_by_cli`` diagnostic where Codex ``version`` does
    not gate ``workspace``; None where it does (or may)."""
    if gates_folder(version, workspace, has_project_config=has_project_config, probe=probe):
        return None
    return Diagnostic(Code.FOLDER_NOT_GATED, NOT_GATED_MESSAGE.format(version=version), CODEX, workspace.id)


def embedded_mode(version: str | None) -> Diagnostic | None:
    """The diagnostic a plan carries for a version that leaves its shared
    background server when given ``-c``; None for older or unknown versions."""
    if not at_least(version, EMBEDDED_ONLY_WITH_CONFIG_OVERRIDE):
        return None
    return Diagnostic(OVERRIDE_EMBEDDED_MODE, EMBEDDED_MODE_MESSAGE.format(version=version), CODEX)
