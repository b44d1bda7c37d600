"""The data a provider spec lists about its failures: :class:`TrustFailurePattern`.

Kept apart from :mod:`workspace_trust.classifier`, which matches them, so that
loading a provider spec (every command does) builds these values and nothing
of the classifier; the classifier re-exports them.
"""

from __future__ import annotations

import re

import attrs

from workspace_trust.domain.codes import Provider

__all__ = ["Phrase", "TrustFailurePattern", "words"]


class Phrase:
    """A case-insensitive regular expression compiled on its first search, so
    that loading the provider specs compiles nothing (``status`` and ``plan``
    never classify a failure)."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> bool:
        return self._compiled is not None

    def search(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, re.IGNORECASE)
        return self._compiled.search(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Phrase) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"Phrase({self.pattern!r})"


@attrs.frozen(slots=True)
class TrustFailurePattern:
    """One way a workspace-trust failure shows itself."""

    id: str
    #: The CLI this evidence comes from.
    provider: Provider
    #: Must be found in the failure text (case-insensitive); None: no text needed.
    text: Phrase | re.Pattern[str] | None = None
    #: Must equal the exit code; None: any exit code.
    exit_code: int | None = None
    #: The evidence is generic, so the caller (or the text) must name ``provider``.
    needs_provider: bool = False
    #: The message is the host orchestrator's, not the CLI's: when the caller
    #: names a provider, that provider is reported.
    caller_names_provider: bool = False
    #: False when no trust preflight can clear this failure, so a retry after
    #: one would fail the same way; ``remedy`` then says what does clear it.
    preflight_fixes: bool = True
    remedy: str = ""
    #: Lower is tried first, across every provider's patterns.
    priority: int = 100


def words(*phrase: str) -> Phrase:
    """A phrase that may be re-wrapped or re-spaced by a terminal (compiled on first use)."""
    return Phrase(r"\s+".join(re.escape(word) for word in phrase))
