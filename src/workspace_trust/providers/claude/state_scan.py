"""The trust map of a ``.claude.json``: ``projects.<key>.hasTrustDialogAccepted``.

Claude's ``.claude.json`` holds much more than trust (conversation history,
pasted contents, caches); files of tens of megabytes are seen in use. Only the
trust value of each project matters here, read the way Claude reads it.

* :func:`trust_map` decodes a small file whole with :func:`json.loads`.
* :func:`scan_trust_map` reads a large one chunk by chunk and keeps at most a
  window of its text: each value that fits in the window is decoded by the C
  decoder and dropped at once, a larger one is walked element by element, and
  only the wanted projects' trust values are kept.

Both decode the bytes as Claude does (Node's UTF-8 decoder: an optional BOM,
and each byte sequence that is not UTF-8 read as U+FFFD; Claude 2.1.330
starts with such a file, shows its dialog and writes the U+FFFD back), then
accept exactly what ``json.loads`` accepts, less ``NaN`` and ``Infinity``,
which Claude's ``JSON.parse`` refuses, and raise :class:`ValueError` for
anything else, a file cut short mid-write
included, so that a torn read is retried. Nesting too deep for Python's decoder
is a ``ValueError`` too, never a ``RecursionError``.

Truthiness is Claude's own: 2.1.119 to 2.1.330 test
``projects[key].hasTrustDialogAccepted`` as a JavaScript condition when deciding
whether to show the trust dialog, so ``"true"``, ``1``, ``[]`` or ``{}`` count as
trusted and ``false``, ``null``, ``0`` and ``""`` do not (docs/providers.md).
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Container, Iterable, Iterator

from workspace_trust.domain.jsonc import reject_constant

TRUST_FIELD = "hasTrustDialogAccepted"

#: Text (characters) kept ahead of the read position: a value up to about this
#: size is decoded whole, a larger one walked. Bounds the memory of a scan.
WINDOW = 1 << 20
#: Keys longer than this many characters are walked past, never kept: no
#: path is this long (Windows' long paths stop at 32,767). Decided on the
#: decoded key, so a repeated key is kept or dropped the same way each time.
KEY_LIMIT = 1 << 15
#: The key limit never drops below this: the keys that give the document its
#: structure ("projects", "hasTrustDialogAccepted") are always read.
MIN_KEY_LIMIT = len("hasTrustDialogAccepted")
#: Longest JSON text of one decoded character (a surrogate pair in escapes).
_ESCAPED_CHAR = 12
#: Containers too large for the window nested deeper than this are refused.
MAX_NESTING = 1000

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]*')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_NUMBER_TAIL = re.compile(r"[0-9.eE+\-]*")
_DECODER = json.JSONDecoder(parse_constant=reject_constant)
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class _Large:
    """A value walked past because it did not fit in the window (a container or a
    long string); truthy like any such JavaScript value."""


_LARGE = _Large()


def js_truthy(value: object) -> bool:
    """JavaScript truthiness of a decoded JSON value."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return value != 0
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True  # arrays, objects, and values too large to keep


def _project_trust(project: object) -> bool | None:
    """The trust of one ``projects`` entry; None when it is not an object."""
    if not isinstance(project, dict):
        return None
    return js_truthy(project.get(TRUST_FIELD))


def trust_map(data: bytes) -> dict[str, bool]:
    """Every project's trust, from the whole file. Raises ValueError."""
    try:
        doc = json.loads(data.decode("utf-8-sig", "replace"), parse_constant=reject_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(doc, dict):
        raise ValueError("top level is not an object")
    projects = doc.get("projects")
    if not isinstance(projects, dict):
        return {}
    out: dict[str, bool] = {}
    for key, value in projects.items():
        trust = _project_trust(value)
        if trust is not None:
            out[key] = trust
    return out


def scan_trust_map(
    chunks: Iterable[bytes],
    wanted: Container[str] | None = None,
    *,
    window: int = WINDOW,
    key_limit: int = KEY_LIMIT,
) -> dict[str, bool]:
    """The trust of the ``wanted`` projects (all when None), read from ``chunks``
    in bounded memory; the same answer as :func:`trust_map` for every document
    it accepts, and it accepts the same documents. Raises ValueError."""
    text = _Text(iter(chunks), window, key_limit)
    try:
        return _scan(text, wanted)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _scan(text: _Text, wanted: Container[str] | None) -> dict[str, bool]:
    if text.peek() != "{":
        raise ValueError("top level is not an object")
    found: dict[str, bool] = {}
    for key in text.members():
        if key != "projects":
            text.value()
            continue
        found = {}  # a repeated "projects" replaces the earlier one, as in json.loads
        if text.peek() != "{":
            text.value()
            continue
        for project in text.members():
            trust = text.project()
            if project is None or (wanted is not None and project not in wanted):
                continue
            if trust is None:
                found.pop(project, None)
            else:
                found[project] = trust
    if text.peek():
        raise ValueError("Extra data")
    return found


def _may_go_on(value: object, buf: str, end: int) -> bool:
    """Whether a value decoded from ``buf`` may be cut short by the end of the
    buffer: one that ends there, or a number followed only by characters that
    may belong to it ("10000." may be "10000.5" once the next chunk is read)."""
    if end >= len(buf):
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        match = _NUMBER_TAIL.match(buf, end)
        return match is not None and match.end() == len(buf)
    return False


class _Text:
    """Decoded text read ahead of a position, refilled a window at a time."""

    def __init__(self, chunks: Iterator[bytes], window: int, key_limit: int) -> None:
        self._chunks = chunks
        self._decode = codecs.getincrementaldecoder("utf-8-sig")("replace").decode
        self.window = max(window, 8)
        self.key_limit = max(key_limit, MIN_KEY_LIMIT)
        self.buf = ""
        self.pos = 0
        self.eof = False

    def ahead(self) -> int:
        return len(self.buf) - self.pos

    def need(self, count: int) -> None:
        """At least ``count`` characters after the position (fewer only at the end
        of the file). Text before the position is dropped; a refill reads up to a
        whole window, so refills stay rare."""
        if self.eof or len(self.buf) - self.pos >= count:
            return
        target = max(count, self.window)
        parts = [self.buf[self.pos :]]
        have = len(parts[0])
        while have < target and not self.eof:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.eof = True
                piece = self._decode(b"", True)
            else:
                piece = self._decode(chunk)
            parts.append(piece)
            have += len(piece)
        self.buf = "".join(parts)
        self.pos = 0

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end of the file)."""
        while True:
            match = _WHITESPACE.match(self.buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""
            self.need(1)

    def members(self) -> Iterator[str | None]:
        """At ``{``: each member's key (None for one longer than the key limit),
        with the position at its value, which the caller reads before the next."""
        self.pos += 1
        char = self.peek()
        if char == "}":
            self.pos += 1
            return
        while True:
            if char != '"':
                raise ValueError("Expecting property name enclosed in double quotes")
            key = self.key()
            if self.peek() != ":":
                raise ValueError("Expecting ':' delimiter")
            self.pos += 1
            yield key
            char = self.peek()
            if char == "}":
                self.pos += 1
                return
            if char != ",":
                raise ValueError("Expecting ',' delimiter")
            self.pos += 1
            char = self.peek()

    def key(self) -> str | None:
        """The string at the position, or None (walked past) when it is longer
        than the key limit."""
        # Room for any key within the limit, however it is escaped.
        self.need(_ESCAPED_CHAR * self.key_limit + 2)
        try:
            text, end = _scanstring(self.buf, self.pos + 1, True)
        except ValueError:
            if self.eof:
                raise
            self.skip_string()  # longer than the limit, or invalid: validated here
            return None
        self.pos = end
        return str(text) if len(text) <= self.key_limit else None

    def skip_string(self) -> None:
        """Walk past the string at the position, validating it as json.loads does."""
        self.pos += 1
        while True:
            match = _STRING_RUN.match(self.buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos >= len(self.buf):
                if self.eof:
                    raise ValueError("Unterminated string")
                self.need(1)
                continue
            char = self.buf[self.pos]
            if char == '"':
                self.pos += 1
                return
            if char != "\\":
                raise ValueError("Invalid control character in string")
            self.need(6)
            escape = self.buf[self.pos + 1 : self.pos + 2]
            if escape and escape in '"\\/bfnrt':
                self.pos += 2
            elif escape == "u" and _HEX4.fullmatch(self.buf, self.pos + 2, self.pos + 6):
                self.pos += 6
            else:
                raise ValueError("Invalid \\escape")

    def _decode_here(self) -> tuple[bool, object]:
        """(True, value) when the value at the position fits in the window, else
        (False, None) with nothing consumed. Raises ValueError for bad JSON."""
        self.need(self.window // 2)
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise ValueError("nested too deeply") from None
            except ValueError:
                if self.eof:
                    raise
                if self.ahead() < self.window:
                    self.need(self.window)
                    continue
                return False, None
            if self.eof or not _may_go_on(value, self.buf, end):
                self.pos = end
                return True, value
            self.need(self.ahead() + 1)  # the value may go on in the next chunk

    def value(self) -> object:
        """The value at the position, or ``_LARGE`` once walked past one that is
        larger than the window."""
        char = self.peek()
        fits, value = self._decode_here()
        if fits:
            return value
        if char == '"':
            self.skip_string()
        elif char in ("{", "["):
            self._walk_container()
        else:
            raise ValueError("Expecting value")
        return _LARGE

    def project(self) -> bool | None:
        """One ``projects`` entry's trust; None when it is not an object."""
        if self.peek() != "{":
            self.value()
            return None
        fits, value = self._decode_here()
        if fits:
            return _project_trust(value)
        trust = False
        for key in self.members():
            field = self.value()
            if key == TRUST_FIELD:
                trust = js_truthy(field)
        return trust

    def _walk_container(self) -> None:
        """Walk past the container at the position without recursion, decoding
        each element that fits in the window."""
        closers = ["}" if self.buf[self.pos] == "{" else "]"]
        self.pos += 1
        opened = True  # just after an opener: its closer may follow at once
        after_element = False
        while closers:
            if len(closers) > MAX_NESTING:
                raise ValueError("nested too deeply")
            closer = closers[-1]
            char = self.peek()
            if after_element:
                if char == ",":
                    self.pos += 1
                    after_element = opened = False
                    continue
                if char != closer:
                    raise ValueError("Expecting ',' delimiter")
            if char == closer and (opened or after_element):
                self.pos += 1
                closers.pop()
                after_element, opened = True, False
                continue
            if closer == "}":
                if char != '"':
                    raise ValueError("Expecting property name enclosed in double quotes")
                self.key()
                if self.peek() != ":":
                    raise ValueError("Expecting ':' delimiter")
                self.pos += 1
                char = self.peek()
            fits, _ = self._decode_here()
            if fits:
                after_element, opened = True, False
            elif char == '"':
                self.skip_string()
                after_element, opened = True, False
            elif char in ("{", "["):
                closers.append("}" if char == "{" else "]")
                self.pos += 1
                opened, after_element = True, False
            else:
                raise ValueError("Expecting value")
