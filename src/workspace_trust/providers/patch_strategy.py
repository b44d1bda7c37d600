"""The one base of every per-launch patch strategy (Codex ``-c``, Gemini's
environment, Qwen's private trusted-folders file), parameterised by the
provider's spec and a few hooks.

Such a strategy starts nothing and writes nothing: the host's launch carries
the patch the plan made. Executing one only reports, per folder, what that
launch will find: the folder already trusted in the CLI's own state, a state
that refuses it (the host is told, its policy decides), or ``patched``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

from workspace_trust.domain.codes import Code, WorkspaceStatus
from workspace_trust.domain.outcomes import base_result
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import ProbeResult, WorkspaceResult
from workspace_trust.ports import StateFiles
from workspace_trust.providers import spec_for
from workspace_trust.providers.spec import ProviderSpec
from workspace_trust.strategy import ExecutionContext, TrustStrategy


class PatchStrategy(TrustStrategy):
    """What a patch strategy shares; a subclass names its ``provider`` and
    ``mode``, the environment its CLI is found under, and its patches."""

    #: Probe diagnostics that the patched launch would not get past (a folder
    #: the user's own state refuses), with the status the folder then gets.
    #: The patch would still trust it for the launch: the host is told here.
    refusing_codes: tuple[tuple[Code, WorkspaceStatus], ...] = ()

    def __init__(self) -> None:
        # The switch is the mode's, as the provider's spec names it.
        self.flag = self.provider_spec.mode(self.mode).flag

    @property
    def provider_spec(self) -> ProviderSpec:
        return spec_for(self.provider)

    @abc.abstractmethod
    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]:
        """The part of the host's environment the CLI is looked up and run with."""

    def installed_version(self, ctx: ExecutionContext) -> str | None:
        return self.provider_spec.known_version(
            ctx.binaries.get(self.provider),
            {**ctx.env, **self.child_env(ctx.env, ctx.strip_env)},
            locator=ctx.binary_locator,
            help_reader=ctx.help_reader,
        )

    def probe(self, workspace: Workspace, env: Mapping[str, str], files: StateFiles | None = None) -> ProbeResult:
        factory = self.provider_spec.state_probe
        if factory is None:
            raise NotImplementedError(f"{self.provider.value}: the spec names no state probe")
        return factory(env, files, None).read_trust(workspace)

    def prepare(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        if not self.trust_required(ctx.env):
            return base_result(self.provider, workspace, WorkspaceStatus.NOT_REQUIRED)
        probe = self.probe_version(workspace, ctx.env, ctx.state_files, self.cli_version(ctx))
        if probe.trusted:
            return base_result(self.provider, workspace, WorkspaceStatus.ALREADY_TRUSTED, trusted_key=probe.trusted_key)
        for code, status in self.refusing_codes:
            if any(d.code is code for d in probe.diagnostics):
                return base_result(self.provider, workspace, status, code, diagnostics=probe.diagnostics)
        return self.patched(workspace, ctx)

    def patched(self, workspace: Workspace, ctx: ExecutionContext) -> WorkspaceResult:
        """The row of a folder the launch's patch trusts; ``patched`` by default."""
        return base_result(self.provider, workspace, WorkspaceStatus.PATCHED)
