"""Bounds on captured text, said once. Pure."""

from __future__ import annotations

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
