"""What a CLI's version means for a preflight: verified, newer than verified
(``cli_version_unverified``, the run proceeds under the dialog rules), or
older than supported (``cli_version_unsupported``, nothing is started).

The versions come from each provider's spec (``verified_versions``,
``oldest_supported``); ``tests/test_versions.py`` checks them against
``real-clis.txt`` and the recorded fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Generic, TypeVar

import attrs

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.spec import ProviderSpec

__all__ = [
    "VersionRange",
    "VersionVerdict",
    "at_least",
    "by_version",
    "judge_version",
    "parse_version",
    "within",
]

_VERSION = re.compile(r"(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:[-+][0-9A-Za-z.+-]{1,48})?")


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """``X.Y.Z`` (a pre-release or build suffix is ignored), or None."""
    found = _VERSION.fullmatch(text or "")
    if found is None:
        return None
    return (int(found.group(1)), int(found.group(2)), int(found.group(3)))


T = TypeVar("T")


@attrs.frozen(slots=True)
class VersionRange(Generic[T]):
    """What a provider does in the versions ``first`` to ``last`` (both
    included; None: no bound), as data in the provider's folder: for example
    how its trust lookup walks the folders above the one it runs in."""

    first: str | None
    last: str | None
    value: T

    def covers(self, version: tuple[int, int, int]) -> bool:
        low = parse_version(self.first) if self.first is not None else None
        high = parse_version(self.last) if self.last is not None else None
        return (low is None or version >= low) and (high is None or version <= high)


def by_version(
    ranges: Sequence[VersionRange[T]], version: str | None, *, known_up_to: Sequence[str], strictest: T
) -> T:
    """The value of the range that covers ``version``. A version this package
    does not know gets ``strictest``: one it cannot read, one newer than every
    version in ``known_up_to`` (the verified versions: a new release may have
    changed what it does), or one no range covers. Never the most generous."""
    parsed = parse_version(version)
    if parsed is None:
        return strictest
    known = [v for v in (parse_version(text) for text in known_up_to) if v is not None]
    if not known or parsed > max(known):
        return strictest
    for candidate in ranges:
        if candidate.covers(parsed):
            return candidate.value
    return strictest


@attrs.frozen(slots=True)
class VersionVerdict:
    #: Nothing may be started for this CLI.
    refused: bool = False
    diagnostic: Diagnostic | None = None


def judge_version(spec: ProviderSpec, version: str | None, workspace_id: str | None = None) -> VersionVerdict:
    """The verdict on ``version`` for ``spec``'s CLI. An unknown or unparsable
    version is no verdict at all: the dialog rules still decide."""
    parsed = parse_version(version)
    if parsed is None:
        return VersionVerdict()
    provider: Provider = spec.id
    oldest = parse_version(spec.oldest_supported)
    if oldest is not None and parsed < oldest:
        return VersionVerdict(
            refused=True,
            diagnostic=Diagnostic(
                Code.CLI_VERSION_UNSUPPORTED,
                f"{spec.display_name} {version} is older than the oldest supported version "
                f"{spec.oldest_supported}; update it (nothing was started)",
                provider,
                workspace_id,
            ),
        )
    verified = [v for v in (parse_version(text) for text in spec.verified_versions) if v is not None]
    if verified and parsed > max(verified):
        newest = max(spec.verified_versions, key=lambda text: parse_version(text) or (0, 0, 0))
        return VersionVerdict(
            diagnostic=Diagnostic(
                Code.CLI_VERSION_UNVERIFIED,
                f"{spec.display_name} {version} is newer than the newest verified version {newest}; "
                "proceeding under the dialog rules",
                provider,
                workspace_id,
            )
        )
    return VersionVerdict()


# -- version floors and ranges of a provider's own facts ------------------------------


def at_least(version: str | None, floor: str) -> bool | None:
    """Whether ``version`` is ``floor`` or newer; None when ``version`` is
    unknown or does not parse (the caller then assumes the strictest case)."""
    parsed, first = parse_version(version), parse_version(floor)
    if parsed is None or first is None:
        return None
    return parsed >= first


def within(version: str | None, first: str, last: str) -> bool:
    """Whether ``version`` lies in ``[first, last]``, both seen on the real
    CLI. An unknown version, or one outside the range seen, is not within it:
    a fact recorded for some versions is never assumed for others."""
    parsed = parse_version(version)
    low, high = parse_version(first), parse_version(last)
    return parsed is not None and low is not None and high is not None and low <= parsed <= high
