"""Immutable terminal snapshots and the text normalisation rules match against."""

from __future__ import annotations

import re
import unicodedata

import attrs

#: Glyphs the provider TUIs draw in front of the highlighted option.
#: ``❯`` Claude Code, ``›`` Codex 0.125.0/0.169.0, ``●`` Gemini CLI 0.61.0, ``>`` fallbacks.
CURSOR_GLYPHS: tuple[str, ...] = ("❯", "›", "●", ">", "▶", "➤")

# Box-drawing and frame characters that TUIs put around dialogs.
_FRAME_CHARS = "│┃║|╭╮╰╯─━═┌┐└┘├┤┬┴┼"
_WS_RE = re.compile(r"\s+")


def compact(text: str) -> str:
    """Lower-cased, whitespace-free text, so TUI-collapsed spacing still matches."""
    return _WS_RE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def strip_frame(line: str) -> str:
    """A line without the dialog frame around it."""
    return line.strip().strip(_FRAME_CHARS).strip()


def cursor_glyph_of(line: str) -> str | None:
    """The cursor glyph that starts this (frame-stripped) line, if any."""
    body = strip_frame(line)
    for glyph in CURSOR_GLYPHS:
        if body.startswith(glyph):
            return glyph
    return None


@attrs.frozen(slots=True)
class TerminalSnapshot:
    """One rendered frame of the provider's screen.

    ``frame`` grows by one on every read, whether or not new bytes arrived, so
    "a frame read after the last key" is simply ``frame > key_frame``.
    """

    lines: tuple[str, ...]
    frame: int
    elapsed_ms: int
    #: For each row (when the renderer knows): None when its line ends in
    #: it; else its line goes on in the next row (the terminal wrapped it, or
    #: it is drawn up to the last column) after this many blank cells at the
    #: row's end, which ``lines`` leaves out. The rules ignore it; the
    #: redactor reads a wrapped line whole with it.
    continued: tuple[int | None, ...] = ()
    #: Rows that scrolled off the top, oldest first, whole (blank cells
    #: included), each going on in the next: the start of the line the top
    #: row goes on with. Only ever read by the redactor, never shown.
    scrolled: tuple[str, ...] = attrs.field(default=(), repr=False)

    @property
    def text(self) -> str:
        """The visible text, one line per row, trailing blanks removed."""
        return "\n".join(self.lines).rstrip("\n")

    @property
    def is_blank(self) -> bool:
        return not any(line.strip() for line in self.lines)


def snapshot_from_text(text: str, frame: int = 1, elapsed_ms: int = 0) -> TerminalSnapshot:
    """Build a snapshot from plain text (tests and replay of rendered screens)."""
    return TerminalSnapshot(lines=tuple(text.split("\n")), frame=frame, elapsed_ms=elapsed_ms)
