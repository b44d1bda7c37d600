"""Secrets a terminal wrapped across the rows of a rendered screen: the rows
that run on are read joined, and a match that crosses a join is replaced
piece by piece in the rows it reaches."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from workspace_trust.redaction._patterns import REDACTION_RULES, RedactionKind, marker

# --- a rendered screen ----------------------------------------------------------


def _kept_ends(found: str, replacement: str) -> tuple[int, int]:
    """How much of a match its replacement keeps at the start and at the end
    (a variable's name and ``=``, a URL's scheme and ``@``)."""
    lead = 0
    while lead < min(len(found), len(replacement)) and found[lead] == replacement[lead]:
        lead += 1
    trail = 0
    limit = min(len(found), len(replacement)) - lead
    while trail < limit and found[-1 - trail] == replacement[-1 - trail]:
        trail += 1
    return lead, trail


def _wrapped_secrets(rows: list[str], continued: Sequence[int | None], scrolled: Sequence[str]) -> list[str]:
    """``rows`` with every secret that a wrap cut across rows replaced, each
    row's piece by a marker of its own.

    Rows that run on to the last column are read together with the next row
    (and the first row together with the rows that scrolled off above it), and
    every rule is matched on that joined line. A match that crosses a join,
    where no rule could have seen it whole on one row, has its secret part
    (what the rule's replacement does not keep) replaced in each row it
    reaches. Matches within one row are left to :func:`redact`, which reads
    them there with its own rules for lines a TUI broke itself.
    """
    # Runs of joined rows: (row index or -1 for a scrolled row, its text,
    # with the blank cells at its end that go before the next row's text).
    runs: list[list[tuple[int, str]]] = [[(-1, text) for text in scrolled]]
    for index, text in enumerate(rows):
        blanks = continued[index] if index < len(continued) else None
        runs[-1].append((index, text if blanks is None else text + " " * blanks))
        if blanks is None:
            runs.append([])
    kinds: dict[int, dict[int, RedactionKind]] = {}
    for run in runs:
        if len(run) < 2:
            continue
        joined = "".join(text for _, text in run)
        starts: list[int] = []
        offset = 0
        for _, text in run:
            starts.append(offset)
            offset += len(text)
        joins = starts[1:]
        # Every match that hides something: (start, end, secret start, secret end, kind).
        matches: list[tuple[int, int, int, int, RedactionKind]] = []
        for rule in REDACTION_RULES:
            for m in rule.pattern.finditer(joined):
                replacement = rule.replace(m)
                if replacement != m[0]:
                    lead, trail = _kept_ends(m[0], replacement)
                    matches.append((m.start(), m.end(), m.start() + lead, m.end() - trail, rule.kind))
        # Those that cross a join, and every match that overlaps one of them
        # (a URL's credentials that end a row, read as an email across it):
        # replacing part of a match would leave the rest without what
        # identifies it.
        chosen = {i for i, (start, end, *_) in enumerate(matches) if any(start < join < end for join in joins)}
        grew = bool(chosen)
        while grew:
            grew = False
            for i, (start, end, *_) in enumerate(matches):
                if i not in chosen and any(start < matches[j][1] and matches[j][0] < end for j in chosen):
                    chosen.add(i)
                    grew = True
        found: dict[int, RedactionKind] = {}
        for i in sorted(chosen):
            _, _, first, last, kind = matches[i]
            for position in range(first, last):
                found.setdefault(position, kind)
        for position, kind in found.items():
            piece = bisect.bisect_right(starts, position) - 1
            row = run[piece][0]
            column = position - starts[piece]
            # The blanks added at a row's end are not in the row.
            if row >= 0 and column < len(rows[row]):
                kinds.setdefault(row, {})[column] = kind
    out = list(rows)
    for row, marked in kinds.items():
        pieces: list[str] = []
        column = 0
        while column < len(rows[row]):
            here = marked.get(column)
            if here is None:
                pieces.append(rows[row][column])
                column += 1
                continue
            while marked.get(column) is here:
                column += 1
            pieces.append(marker(here))
        out[row] = "".join(pieces)
    return out
