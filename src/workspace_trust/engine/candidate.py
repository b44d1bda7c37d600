"""Does an unrecognised frame look like a question the CLI is asking?

A *candidate dialog* is a frame with an option list whose highlighted row
carries a cursor glyph, and words of the trust vocabulary (trust, folder,
directory, workspace, allow, proceed) in the rows around it. The engine never
presses a key on such a frame: when no rule recognises it and it stays still,
the session ends at once with ``unknown_trust_dialog`` instead of waiting out
the whole budget. Nothing here knows which CLI drew the frame.
"""

from __future__ import annotations

import re

from workspace_trust.engine.snapshot import CURSOR_GLYPHS, TerminalSnapshot, strip_frame

#: Words that make an option list a question about the folder. Matched as
#: whole words (``trusted`` counts, ``distrust`` does not), on the text left
#: once path-like tokens are removed, so a folder called ``workspace`` in a
#: banner's path does not make a main screen a candidate.
_VOCABULARY_RE = re.compile(r"\b(trust\w*|folders?|director(?:y|ies)|workspaces?|allow\w*|proceed\w*)\b")
_PATH_TOKEN_RE = re.compile(r"\S*[/\\~]\S*")
_NUMBERED_RE = re.compile(r"^\(?\d{1,2}[.)]\s*\S")
#: How many rows above the cursor row the question may be drawn, and below it
#: the rest of the list (a list can be long; the question usually sits above).
_QUESTION_ROWS_ABOVE = 14
_LIST_ROWS_AROUND = 8


def _without_glyph(body: str) -> tuple[str | None, str]:
    for glyph in CURSOR_GLYPHS:
        if body.startswith(glyph):
            return glyph, body[len(glyph) :].strip()
    return None, body


def _label_column(line: str) -> int:
    """Where an option's label starts on its row (after frame, glyph, spaces)."""
    stripped = line.lstrip(" │┃║|")
    column = len(line) - len(stripped)
    glyph, _ = _without_glyph(stripped)
    if glyph is not None:
        stripped = stripped[len(glyph) :]
        column += len(glyph)
    return column + (len(stripped) - len(stripped.lstrip()))


def option_list_cursor_rows(lines: tuple[str, ...]) -> tuple[int, ...]:
    """Rows that start (inside any frame) with a cursor glyph and a label, and
    belong to a list: another row nearby is numbered like it, or starts its
    text in the same column as the cursor row's label."""
    found: list[int] = []
    for index, line in enumerate(lines):
        glyph, label = _without_glyph(strip_frame(line))
        if glyph is None or not label or not any(ch.isalnum() for ch in label):
            continue
        numbered = bool(_NUMBERED_RE.match(label))
        column = _label_column(line)
        low, high = max(0, index - _LIST_ROWS_AROUND), min(len(lines), index + _LIST_ROWS_AROUND + 1)
        for other in range(low, high):
            if other == index:
                continue
            body = strip_frame(lines[other])
            if not body or not any(ch.isalnum() for ch in body) or _without_glyph(body)[0] is not None:
                continue
            if numbered and _NUMBERED_RE.match(body):
                found.append(index)
                break
            if not numbered and abs(other - index) <= 2 and _label_column(lines[other]) == column:
                found.append(index)
                break
    return tuple(found)


def has_trust_vocabulary(text: str) -> bool:
    """Whether ``text`` (path-like tokens removed) holds a word of the trust vocabulary."""
    return _VOCABULARY_RE.search(_PATH_TOKEN_RE.sub(" ", text.casefold())) is not None


def is_candidate_dialog(snapshot: TerminalSnapshot) -> bool:
    """Whether this frame looks like a trust question: a cursor on a row of an
    option list, and trust vocabulary in the rows from a little above it to
    the end of the list."""
    lines = snapshot.lines
    for row in option_list_cursor_rows(lines):
        region = lines[max(0, row - _QUESTION_ROWS_ABOVE) : min(len(lines), row + _LIST_ROWS_AROUND + 1)]
        if has_trust_vocabulary("\n".join(region)):
            return True
    return False
