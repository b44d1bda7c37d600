"""What one CLI contributes to the PTY strategy (:class:`PtyProvider`), and
what its command builder answers (:class:`PtyCommand`, :class:`CommandRefused`).

A provider's spec already says where its state file is, how it is probed,
how its binary is found and which flag switches it off: the base reads those
from the spec, so a provider names only what is its own.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import Diagnostic, ProbeResult
from workspace_trust.ports import BinaryLocator, StateFiles, StateProbe
from workspace_trust.providers import spec_for
from workspace_trust.strategy import ExecutionContext

if TYPE_CHECKING:
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.providers.spec import ProviderSpec
    from workspace_trust.session import SessionEnd

#: The name of the mode a :class:`PtyTrustStrategy` implements.
PTY_MODE = "pty"


@attrs.frozen(slots=True)
class PtyCommand:
    argv: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


@attrs.frozen(slots=True)
class CommandRefused:
    """The provider cannot be run safely, or not now; the workspace soft fails with this code."""

    code: Code
    message: str


class PtyProvider(abc.ABC):
    """What one provider contributes to the PTY strategy: data and a few hooks.

    What the provider's spec already says (the state file, its probe, the
    binary's lookup, the mode's feature flag) is read from the spec; a
    subclass names only what is its own: the child's environment, the
    protected command, and the hooks below. A provider with no registered
    spec (a host's own) overrides those too."""

    provider: Provider

    @property
    def provider_spec(self) -> ProviderSpec:
        return spec_for(self.provider)

    @property
    def flag(self) -> str:
        """The ``FeatureFlags`` field that switches this provider's PTY preflight off."""
        return self.provider_spec.mode(PTY_MODE).flag

    #: Read ``--help`` before spawning, for flag discovery.
    reads_help: bool = False
    #: Accepting trust in a git repository's subfolder trusts the repository
    #: root (Claude Code writes the root's key; Codex resolves projects by
    #: their .git marker). Such a CLI is never run where that root is the home
    #: folder or a root.
    trusts_repository_root: bool = False

    #: Lock files the CLI itself keeps beside its state file, as suffixes of
    #: the state file's path (proper-lockfile's ``<file>.lock`` folder).
    state_lock_suffixes: tuple[str, ...] = ()
    #: After how long the CLI takes over a lock of its own as stale.
    state_lock_stale_ms: int = 10_000
    #: Probe diagnostics after which the CLI is never started, and the status
    #: the workspace then gets (a settings file the CLI cannot start with, a
    #: folder the user's own state file refuses). The state file's own
    #: unreadable codes always count, as a soft failure.
    refusing_codes: tuple[tuple[Code, WorkspaceStatus], ...] = ()
    #: The SIGTERM grace of this CLI's kill, when it differs from the
    #: spawner's (``EngineTiming.term_grace_ms``): 0 sends SIGKILL right after
    #: SIGTERM, for a CLI that keeps starting things while it shuts down and
    #: has saved what matters (trust) before the kill.
    term_grace_ms: int | None = None

    @property
    def rules(self) -> RuleTable:
        """The dialog rules: the provider spec's, loaded when a session first
        needs them (a subclass may name its own table instead)."""
        return self.provider_spec.dialog_rules()

    @property
    def names_rules(self) -> bool:
        """Whether a rule table is named, told without loading it: a subclass's
        own ``rules``, or the spec's. False only when neither names one (a
        plug-in that forgot them), so the CLI is never started for nothing."""
        if type(self).rules is not PtyProvider.rules:
            return True
        return self.provider_spec.rule_source is not None

    def state_file(self, env: Mapping[str, str]) -> str | None:
        """The state file this CLI writes trust to, under ``env``; None when
        the environment names none (no HOME). The spec's."""
        return self.provider_spec.state_file(env)

    def state_probe(
        self, env: Mapping[str, str], files: StateFiles | None = None, version: str | None = None
    ) -> StateProbe:
        """The probe of this provider's state file under ``env``, looking trust
        up as CLI ``version`` does (None: a version not known, the strictest
        lookup the provider's folder records). The spec's."""
        factory = self.provider_spec.state_probe
        if factory is None:
            raise NotImplementedError(f"{self.provider.value}: the spec names no state probe")
        return factory(env, files, version)

    #: Where the CLI keeps its state depends on its version even when the
    #: environment sets no variable of its table (files it reads from some
    #: version on): the version is then always looked up for the probe.
    version_locates_state: bool = False

    @abc.abstractmethod
    def child_env(self, host_env: Mapping[str, str], strip: tuple[str, ...]) -> dict[str, str]: ...

    def resolve_binary(self, explicit: str | None, env: Mapping[str, str], locator: BinaryLocator | None = None) -> str:
        """The spec's lookup (``ProviderSpec.resolve_binary``); raises ``BinaryMissingError``."""
        return self.provider_spec.resolve_binary(explicit, env, locator)

    @abc.abstractmethod
    def build_command(
        self, binary: str, help_text: str | None, scratch_dir: str, ctx: ExecutionContext
    ) -> PtyCommand | CommandRefused: ...

    def messages(self) -> Mapping[SessionEnd, str]:
        return {}

    def never_set_up(self, env: Mapping[str, str], state_file: str, files: StateFiles) -> tuple[Code, str] | None:
        """Why the CLI, started under ``env``, would first show its first-run
        setup or a login rather than its trust dialog (a HOME where it was
        never set up); None when nothing says so. Nothing is started then,
        and nothing is written in the home folder."""
        return None

    def ignores_persisted_trust(self, env: Mapping[str, str], launch_args: Sequence[str]) -> str | None:
        """See ``TrustStrategy.ignores_persisted_trust``."""
        return None

    def trust_required(self, env: Mapping[str, str]) -> bool:
        """See ``TrustStrategy.trust_required``; ``env`` is the child's environment."""
        return True

    def not_gated(self, workspace: Workspace, version: str | None, probe: ProbeResult) -> Diagnostic | None:
        """Pure but for a look at the folder itself: the ``folder_not_gated_by_cli``
        diagnostic where this CLI at ``version`` shows no trust dialog for
        ``workspace``, whose state file says ``probe`` (see
        ``TrustStrategy.not_gated``); None where it does or may."""
        return None
