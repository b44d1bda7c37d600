"""Text that leaves the process: valid UTF-8 always, paths that are not UTF-8 kept exact.

Theory of operation
-------------------
A POSIX folder name is bytes. Python decodes bytes that are not UTF-8 with
``surrogateescape``: ``b"\\xff"`` becomes the lone surrogate ``"\\udcff"``. Such
a string cannot be encoded as UTF-8, so written as it is it either crashes the
writer (a strict stream) or puts the raw byte back (a ``surrogateescape``
stream), and a JSON reader then fails on the whole document.

Every JSON document the command line prints, and every manifest, goes through
two steps here:

1. :func:`add_path_bytes`: next to each path field (:data:`PATH_FIELDS`) whose
   value is not valid Unicode, a ``<field>_bytes`` field holds the path's exact
   bytes in base64 (standard alphabet, with padding). For a list of paths the
   field is a parallel list with ``null`` for the paths that are valid. The
   field is absent when every path is valid, so ordinary documents do not
   change.
2. :func:`dumps`: lone surrogates anywhere (keys and values) are written as
   JSON ``\\uXXXX`` escapes. The text is then valid UTF-8 (ASCII for those
   characters), and a Python reader gets the original string back:
   ``os.fsencode(json.loads(doc)["workspace"])`` is the folder's bytes.

A lone surrogate escape is valid JSON grammar, but RFC 8259 leaves its meaning
open, and strict readers (Rust's serde_json into a ``String``, .NET) reject it.
Such readers should take ``<field>_bytes``; a document only holds escapes of
this kind when a path (or text quoting one) is not valid UTF-8.

Text for people (:func:`display`) shows a byte that is not UTF-8 as ``\\xNN``
and any other lone surrogate as ``\\uXXXX``, so a terminal never receives an
invalid byte and nothing crashes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["PATH_FIELDS", "add_path_bytes", "display", "dumps", "has_lone_surrogates", "path_bytes"]

#: JSON fields that hold a path (or a workspace id, which defaults to a path).
PATH_FIELDS = frozenset(
    {
        "input",
        "inputs",
        "workspace",
        "workspace_id",
        "real_path",
        "trusted_key",
        "workspace_ids",
        "workspace_paths",
        "source_workspace_ids",
    }
)
#: Suffix of the field that carries a path's bytes.
BYTES_SUFFIX = "_bytes"

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogates(text: str) -> bool:
    """Whether ``text`` holds a code point UTF-8 cannot encode (a surrogate)."""
    return _SURROGATE.search(text) is not None


def path_bytes(text: str) -> str | None:
    """Base64 of the bytes ``text`` was decoded from, or None when it is valid Unicode.

    ``surrogateescape`` undoes POSIX's decoding (``os.fsdecode``); a surrogate
    it cannot map (Windows' unpaired UTF-16 units) is kept as WTF-8
    (``surrogatepass``), which is what ``os.fsencode`` gives on Windows.
    """
    if not has_lone_surrogates(text):
        return None
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
    return base64.b64encode(data).decode("ascii")


def _bytes_field(value: object) -> object:
    if isinstance(value, str):
        return path_bytes(value)
    if isinstance(value, list | tuple):
        encoded = [path_bytes(item) if isinstance(item, str) else None for item in value]
        return encoded if any(item is not None for item in encoded) else None
    return None


def add_path_bytes(doc: Any) -> Any:
    """``doc`` (plain JSON values) with a ``<field>_bytes`` field after every path
    field that is not valid Unicode, at any depth. Pure; idempotent."""
    if isinstance(doc, Mapping):
        out: dict[Any, Any] = {}
        for key, value in doc.items():
            out[key] = add_path_bytes(value)
            if key in PATH_FIELDS and f"{key}{BYTES_SUFFIX}" not in doc:
                encoded = _bytes_field(value)
                if encoded is not None:
                    out[f"{key}{BYTES_SUFFIX}"] = encoded
        return out
    if isinstance(doc, list | tuple):
        return [add_path_bytes(item) for item in doc]
    return doc


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group(0)):04x}"


def dumps(doc: Any) -> str:
    """One line of JSON that encodes as valid UTF-8 whatever the strings hold.

    Non-ASCII text stays readable; path bytes are added (:func:`add_path_bytes`)
    and lone surrogates become ``\\uXXXX`` escapes. Surrogates can only occur
    inside JSON strings, where the escape means the same character.
    """
    return _SURROGATE.sub(_escape, json.dumps(add_path_bytes(doc), ensure_ascii=False))


#: What a line of text output may not carry as it is: lone surrogates, and the
#: control characters (C0, DEL, C1) a folder's name may hold, which would
#: start another line or drive the terminal (a forged progress line, colours).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(m: re.Match[str]) -> str:
    point = ord(m.group(0))
    if 0xDC80 <= point <= 0xDCFF:
        return f"\\x{point - 0xDC00:02x}"
    if point < 0xD800:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}"


def display(line: str) -> str:
    """One line of text for a terminal: a byte that is not UTF-8 as ``\\xNN``,
    another lone surrogate as ``\\uXXXX``, a control character (a newline, an
    escape, C1) as ``\\xNN``; everything else unchanged."""
    return _UNSAFE.sub(_visible, line)
