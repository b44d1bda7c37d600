"""Bounds on captured text, said once. Pure."""

from __future__ import annotations

import attrs

#: Largest raw screen tail the library keeps or reports anywhere (UTF-8 bytes):
#: the PTY adapter's raw output tail, a failed result's redacted tail, and the
#: diagnostics manifest's default budget.
RAW_TAIL_LIMIT = 8192


def utf8_tail(text: str, limit: int = RAW_TAIL_LIMIT) -> tuple[str, int]:
    """The end of ``text``, at most ``limit`` UTF-8 bytes, never half a
    character, and how many bytes were cut. Lone surrogates (undecodable
    bytes of a path) pass through unchanged."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text, 0
    kept = data[len(data) - limit :] if limit > 0 else b""
    # Drop continuation bytes of a character whose start was cut off.
    start = 0
    while start < len(kept) and kept[start] & 0xC0 == 0x80:
        start += 1
    kept = kept[start:]
    return kept.decode("utf-8", "surrogatepass"), len(data) - len(kept)


@attrs.frozen(slots=True)
class Redacted:
    """Screen text that went through the redactor and the size bound: the only
    form a raw tail takes in a result or a manifest.

    Make one with :func:`workspace_trust.redaction.redact_tail`; nothing else in
    the library constructs it (a test scans for that). Cutting it keeps it
    redacted, so :meth:`tail` is the one other way to get a new one.
    """

    text: str = attrs.field(validator=attrs.validators.instance_of(str))

    def tail(self, limit: int) -> tuple[Redacted, int]:
        """The last ``limit`` UTF-8 bytes (never half a character), and how many bytes were cut."""
        kept, cut = utf8_tail(self.text, limit)
        return (self, 0) if cut == 0 else (Redacted(kept), cut)

    def utf8_size(self) -> int:
        return len(self.text.encode("utf-8", "surrogatepass"))
