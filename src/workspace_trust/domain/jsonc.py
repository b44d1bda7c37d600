"""JSON with comments, as the AI coding CLIs read their own state files. Pure.

Two dialects are met:

* ``strip-json-comments`` (its defaults) and then ``JSON.parse``: ``//`` and
  ``/* */`` comments outside strings become spaces (line breaks kept), nothing
  else is forgiven. A block comment left open runs to the end of the text and
  becomes spaces too (what comes before it is read); an unterminated string
  is left as it is, so the document does not parse.
* The same plus trailing commas (``trailing_commas=True``): a comma followed,
  past white space and comments, by ``]`` or ``}`` is dropped, as
  ``jsonc-parser`` with ``allowTrailingComma`` reads it. A comma right after
  ``[``, ``{``, ``:`` or another comma stays, and the document does not parse,
  as there; so does a block comment left open.

Comments become white space rather than nothing, so ``1/**/2`` stays two
numbers (and does not parse) as it does for the CLIs. ``NaN``, ``Infinity``
and ``-Infinity``, which Python's ``json`` accepts and JavaScript's does not,
are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

#: Where something may start that is not plain JSON text: a string, a comment,
#: a comma or a closing bracket.
_SPECIAL = re.compile(r'["/,\]}]')
#: The rest of a string after its opening quote, up to its closing quote.
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.S)
_NOT_SPACE = re.compile(r"\S")
#: JSON's own white space.
_SPACE = " \t\r\n"


def strip_comments(text: str, *, trailing_commas: bool = False) -> str:
    """``text`` with its comments (and, with ``trailing_commas``, its trailing
    commas) outside strings turned into spaces; everything else, line breaks
    and offsets included, is kept."""
    blanks: list[tuple[int, int]] = []
    index, length = 0, len(text)
    #: The last character that was neither white space nor part of a comment.
    last = ""
    #: Where a comma that may be trailing stands.
    comma = -1
    while True:
        found = _SPECIAL.search(text, index)
        if found is None:
            break
        start = found.start()
        gap = text[index:start].strip(_SPACE)
        if gap:
            last, comma = gap[-1], -1
        char = text[start]
        if char == '"':
            rest = _STRING_REST.match(text, start + 1)
            if rest is None:
                break  # an unterminated string: the rest stays as it is
            last, comma, index = '"', -1, rest.end()
        elif text.startswith("//", start):
            end = text.find("\n", start)
            end = length if end < 0 else end
            blanks.append((start, end))
            index = end
        elif text.startswith("/*", start):
            end = text.find("*/", start + 2)
            if end < 0:
                if not trailing_commas:
                    blanks.append((start, length))  # strip-json-comments: to the end
                break  # jsonc-parser: it stays, and does not parse
            blanks.append((start, end + 2))
            index = end + 2
        elif char == ",":
            comma = start if trailing_commas and last not in ("", "[", "{", ":", ",") else -1
            last, index = ",", start + 1
        elif char in "]}":
            if comma >= 0:
                blanks.append((comma, comma + 1))
            last, comma, index = char, -1, start + 1
        else:  # a lone "/": not JSON, left for the parser to refuse
            last, comma, index = char, -1, start + 1
    if not blanks:
        return text
    blanks.sort()
    out: list[str] = []
    done = 0
    for start, end in blanks:
        out.append(text[done:start])
        out.append(_NOT_SPACE.sub(" ", text[start:end]))
        done = end
    out.append(text[done:])
    return "".join(out)


def reject_constant(name: str) -> Any:
    """``parse_constant`` for Python's ``json``: ``NaN`` and ``Infinity`` are
    not JSON, and the CLIs' ``JSON.parse`` refuses them."""
    raise ValueError(f"{name} is not JSON")


def loads(
    text: str,
    *,
    trailing_commas: bool = False,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """The document as the CLI's parser reads it. Raises ``ValueError`` for one
    it does not parse (too deep a nesting included)."""
    try:
        return json.loads(
            strip_comments(text, trailing_commas=trailing_commas),
            parse_constant=reject_constant,
            object_pairs_hook=object_pairs_hook,
        )
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc


__all__ = ["loads", "reject_constant", "strip_comments"]
