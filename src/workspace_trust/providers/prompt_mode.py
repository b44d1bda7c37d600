"""What prompt-mode (headless) launches share: reading the installed CLI's
``--help`` for the switch a strategy relies on, and the strategy of a CLI that
asks no trust question in a launch mode.

A headless launch has nobody to answer a dialog, and each CLI decides for
itself what it does there (docs/host-integration.md, "Launch modes"). Where a
CLI's own ``--help`` is the documentation of that behaviour (Claude Code's
"The workspace trust dialog is skipped ... -p", Copilot's ``--trust-folder``),
the strategy checks that text on the installed binary before it is believed:
a CLI whose ``--help`` does not say it is served by the launch mode's next
strategy (``TrustStrategy.launch_unsupported``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import attrs

from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import Diagnostic, ProbeResult, WorkspaceResult
from workspace_trust.errors import BinaryMissingError
from workspace_trust.ports import StateFiles
from workspace_trust.providers import spec_for
from workspace_trust.providers.spec import ProviderSpec
from workspace_trust.strategy import ExecutionContext, TrustStrategy

__all__ = ["HelpSays", "NotGatedStrategy", "help_lacks"]

#: The longest a ``--help`` read for a launch check may take (the PTY
#: preflight reads it with the same bound).
HELP_CHECK_MS = 20_000


@attrs.frozen(slots=True)
class HelpSays:
    """Words the installed CLI's ``--help`` must hold for a strategy to serve
    a launch (compared with every run of white space as one space, so a
    re-wrapped help text still matches)."""

    words: str
    #: What the words document, as a row says it ("--trust-folder").
    what: str


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def help_lacks(
    spec: ProviderSpec, ctx: ExecutionContext, child_env: Mapping[str, str], says: HelpSays
) -> Diagnostic | None:
    """An ``override_unsupported_by_cli_version`` diagnostic (naming no folder)
    where the CLI's ``--help`` does not hold ``says.words``, or gives no text
    (a timeout, a failure: no verdict is not a yes); None where it holds
    them, or no binary is found (the strategy's own run then says so)."""
    env = {**ctx.env, **child_env}
    try:
        binary = spec.resolve_binary(ctx.binaries.get(spec.id), env, ctx.binary_locator)
    except BinaryMissingError:
        return None
    text = ctx.help_reader.read_help(binary, dict(child_env), HELP_CHECK_MS, is_cancelled=ctx.is_cancelled)
    if text is not None and _folded(says.words) in _folded(text):
        return None
    version = ctx.help_reader.known_version(binary)
    which = f"{spec.display_name} {version}" if version else f"the installed {spec.display_name}"
    if text is None:
        message = f"{which} gave no --help text to show that it honours {says.what}"
    else:
        message = f"{which} does not document {says.what} in its --help"
    return Diagnostic(Code.OVERRIDE_VERSION_UNSUPPORTED, message, spec.id)


class NotGatedStrategy(TrustStrategy):
    """A CLI that asks no trust question in the launch mode this strategy
    serves: every folder is ``not_required`` (``folder_not_gated_by_cli``),
    nothing is probed, started or patched. The CLI's ``--help`` must say so
    (``help_says``), else the launch mode's next strategy serves the folder.
    With ``help_says`` None nothing in ``--help`` says it, and the strategy is
    only ever a fallback, reached where the installed version is known to be
    one that asks nothing (the version floor of the strategy before it)."""

    gates = False

    def __init__(
        self,
        provider: Provider,
        mode: str,
        *,
        help_says: HelpSays | None,
        child_env: Callable[[Mapping[str, str], tuple[str, ...]], Mapping[str, str]],
        why: str,
    ) -> None:
        self.provider = provider
        self.mode = mode
        self.flag = self.provider_spec.mode(mode).flag
        self._help_says = help_says
        self._child_env = child_env
        self._why = why

    @property
    def provider_spec(self) -> ProviderSpec:
        return spec_for(self.provider)

    def probe(self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None = None) -> ProbeResult:
        factory = self.provider_spec.state_probe
        if factory is None:
            raise NotImplementedError(f"{self.provider.value}: the spec names no state probe")
        return factory(env, files, None).read_trust(workspace)

    def launch_unsupported(self, ctx: ExecutionContext) -> Diagnostic | None:
        if self._help_says is None:
            return None
        return help_lacks(self.provider_spec, ctx, self._child_env(ctx.env, ctx.strip_env), self._help_says)

    def prepare(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        return base_result(self.provider, workspace, WorkspaceStatus.NOT_REQUIRED, Code.FOLDER_NOT_GATED, self._why)
