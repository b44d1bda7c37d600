"""A terminal renderer built on pyte, hardened for real provider TUIs.

pyte 0.8.2 is a good VT100 core but real TUIs send things it was not written
for. Each gap below is closed here, at the adapter edge, and has a test in
``tests/test_screen.py`` that shows the plain pyte failure first:

* ``CSI ? ... m`` (private SGR, sent by a real CLI at startup) raised ``TypeError`` out
  of ``ByteStream.feed``; ``CSI ? 6 n`` raised the same way.
* Kitty/xterm key-protocol sequences (``CSI > 4 ; 2 m``, ``CSI < u``,
  ``CSI = ...``), colon SGR (``CSI 38:2:...m``), DCS/APC/PM strings and
  ``CSI ... SP q`` were half-parsed: their tails were drawn as text.
* The alternate screen (modes 1049/1047/47) was ignored, so a TUI leaving it
  left its last dialog drawn on the main screen.
* A zero-width, non-combining character (U+FE0F, U+200D) made ``draw`` stop,
  dropping the rest of the text chunk.
* Cursor-position and device-attribute queries went unanswered unless the
  screen writes a reply back; replies are collected for the PTY adapter.
* ``Screen.display`` raised ``IndexError`` when the first half of a wide
  character had been overwritten, leaving its empty second-half cell behind.
* A line longer than the screen is wide wraps onto the next row, and lines
  that scroll off the top are gone: a secret printed there is cut into pieces
  no redaction rule recognises alone. Each snapshot says which rows run on to
  the last column (:meth:`ScreenRenderer.continued`), and keeps the rows that
  scrolled off and ran on into the top row (:meth:`ScreenRenderer.scrolled`),
  so the redactor can read a wrapped line whole.

The renderer never raises out of :meth:`ScreenRenderer.feed`. Anything that
still fails inside pyte is counted in :attr:`ScreenRenderer.faults` and the
stream carries on with the next sequence.
"""

from __future__ import annotations

import codecs
import copy
import logging
import re
import unicodedata
from collections import deque
from collections.abc import Callable
from typing import Any

import pyte
from pyte import screens as _pyte_screens

from workspace_trust.engine.snapshot import TerminalSnapshot

log = logging.getLogger(__name__)

_wcwidth: Callable[[str], int] = _pyte_screens.wcwidth

ESC = "\x1b"
_CSI_FINAL = re.compile(r"[\x40-\x7e]")
_ALT_SCREEN_MODES = frozenset({47, 1047, 1049})
#: Longest escape sequence kept while waiting for its end; longer ones are dropped.
MAX_SEQUENCE_CHARS = 4096
#: DECCKM (private mode 1), stored shifted the way pyte stores private modes.
_DECCKM = 1 << 5
_PLAIN = re.compile(r"[\x20-\x7e]*")
#: At most this many characters of rows that scrolled off the top are kept
#: (only rows that ran on to the last column, each into the next).
MAX_SCROLLED_CHARS = 4096


class _HardenedScreen(pyte.Screen):
    """pyte.Screen with an alternate buffer and a draw that keeps zero-width text."""

    def __init__(self, columns: int, lines: int, reply: Callable[[str], None]) -> None:
        self._reply = reply
        self._saved_main: tuple[Any, Any, set[int]] | None = None
        #: Rows that scrolled off the top, oldest first, each of which ran on
        #: to the last column: the start of the line the top row goes on with.
        self.scrolled: deque[str] = deque()
        self._scrolled_chars = 0
        #: Rows the terminal wrapped (auto-wrap at the last column) into the next row.
        self.wrapped: set[int] = set()
        self._drawing = False
        super().__init__(columns, lines)

    # -- wrapped lines --------------------------------------------------------
    def row_text(self, y: int) -> str:
        """One row as :attr:`display` renders it."""
        line = self.buffer[y]
        out: list[str] = []
        skip = False
        for x in range(self.columns):
            if skip:
                skip = False
                continue
            data = line[x].data
            if not data:
                out.append(" ")
                continue
            out.append(data)
            skip = _wcwidth(data[0]) == 2 and line[x + 1].data == ""
        return "".join(out)

    def runs_on(self, y: int) -> bool:
        """Whether row ``y``'s line may go on in the next row: the terminal
        wrapped it there, or it is drawn up to its last column."""
        return y in self.wrapped or self.buffer[y][self.columns - 1].data not in ("", " ")

    def forget_scrolled(self) -> None:
        self.scrolled.clear()
        self._scrolled_chars = 0

    def linefeed(self) -> None:
        if self._drawing:
            # Only ``draw`` moves to the next line by itself: at the last
            # column, with auto-wrap on. A line feed the program sent is not a wrap.
            self.wrapped.add(self.cursor.y)
        super().linefeed()

    def insert_lines(self, count: int | None = None) -> None:
        self.wrapped.clear()
        super().insert_lines(count)

    def delete_lines(self, count: int | None = None) -> None:
        self.wrapped.clear()
        super().delete_lines(count)

    def _shift_wrapped(self, top: int, bottom: int, by: int) -> None:
        """Row flags follow their rows when the region ``top..bottom`` scrolls by ``by``."""
        kept = {y for y in self.wrapped if y < top or y > bottom}
        kept.update(y + by for y in self.wrapped if top <= y <= bottom and top <= y + by <= bottom)
        self.wrapped = kept

    def index(self) -> None:
        top, bottom = self.margins or (0, self.lines - 1)
        if self.cursor.y == bottom:
            if top == 0 and self.runs_on(0):
                row = self.row_text(0)
                self.scrolled.append(row)
                self._scrolled_chars += len(row)
                while self._scrolled_chars > MAX_SCROLLED_CHARS:
                    self._scrolled_chars -= len(self.scrolled.popleft())
            else:
                # The top row did not run on (or a region scrolled): what
                # scrolled before no longer leads into the top row.
                self.forget_scrolled()
            self._shift_wrapped(top, bottom, -1)
        super().index()

    def reverse_index(self) -> None:
        top, bottom = self.margins or (0, self.lines - 1)
        if self.cursor.y == top:
            self.forget_scrolled()
            self._shift_wrapped(top, bottom, 1)
        super().reverse_index()

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        if how in (1, 2, 3):
            self.forget_scrolled()
        if how in (2, 3):
            self.wrapped.clear()
        super().erase_in_display(how, *args, **kwargs)

    def reset(self) -> None:
        self.forget_scrolled()
        self.wrapped = set()
        super().reset()

    # -- zero-width characters --------------------------------------------
    def draw(self, data: str) -> None:
        self._drawing = True
        try:
            self._draw(data)
        finally:
            self._drawing = False

    def _draw(self, data: str) -> None:
        if _PLAIN.fullmatch(data):
            super().draw(data)
            return
        start = 0
        for index, char in enumerate(data):
            if _wcwidth(char) <= 0 and not unicodedata.combining(char):
                if start < index:
                    super().draw(data[start:index])
                self._attach_zero_width(char)
                start = index + 1
        if start < len(data):
            super().draw(data[start:])

    def _attach_zero_width(self, char: str) -> None:
        # Keep the character with the cell before it, as a terminal would;
        # it takes no column of its own.
        if unicodedata.category(char) == "Cc":
            return
        x, y = self.cursor.x, self.cursor.y
        if x == 0:
            return
        line = self.buffer[y]
        cell = line[x - 1]
        if cell.data == "" and x >= 2:  # stub after a wide character
            x -= 1
            cell = line[x - 1]
        line[x - 1] = cell._replace(data=cell.data + char)

    @property
    def display(self) -> list[str]:
        """pyte's rendering, except that an empty cell with no wide character
        before it (the orphaned second half of an overwritten wide character)
        is a space, where pyte raises ``IndexError``; and a wide character whose
        second half was overwritten keeps the character that overwrote it."""
        return [self.row_text(y) for y in range(self.lines)]

    # -- private-mode-aware handlers --------------------------------------
    def select_graphic_rendition(self, *attrs: int, private: bool = False) -> None:
        if private:
            return
        super().select_graphic_rendition(*attrs)

    def report_device_status(self, mode: int = 0, private: bool = False) -> None:
        if mode == 6:
            self._reply(f"{ESC}[{self.cursor.y + 1};{self.cursor.x + 1}R")
        elif mode == 5 and not private:
            self._reply(f"{ESC}[0n")

    def report_device_attributes(self, mode: int = 0, **kwargs: Any) -> None:
        if mode == 0 and not kwargs.get("private"):
            self._reply(f"{ESC}[?1;2c")

    def write_process_input(self, data: str) -> None:
        self._reply(data)

    # -- alternate screen ---------------------------------------------------
    def enter_alternate(self) -> None:
        if self._saved_main is not None:
            return
        self._saved_main = (copy.deepcopy(self.buffer), copy.copy(self.cursor), set(self.wrapped))
        self.forget_scrolled()
        self.erase_in_display(2)

    def leave_alternate(self) -> None:
        if self._saved_main is None:
            return
        buffer, cursor, wrapped = self._saved_main
        self._saved_main = None
        self.forget_scrolled()
        self.wrapped = wrapped
        self.buffer = buffer
        self.cursor = cursor
        self.dirty.update(range(self.lines))

    @property
    def in_alternate(self) -> bool:
        return self._saved_main is not None


class ScreenRenderer:
    """Feeds raw PTY bytes to a hardened pyte screen and renders its lines."""

    def __init__(self, columns: int = 160, lines: int = 50) -> None:
        self._replies: list[str] = []
        self._screen = _HardenedScreen(columns, lines, self._replies.append)
        self._stream = pyte.Stream(self._screen)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self.faults = 0
        self.dropped_sequences = 0

    @property
    def columns(self) -> int:
        return int(self._screen.columns)

    @property
    def rows(self) -> int:
        return int(self._screen.lines)

    @property
    def in_alternate_screen(self) -> bool:
        return self._screen.in_alternate

    @property
    def application_cursor_keys(self) -> bool:
        """DECCKM: arrow keys must be sent as SS3 sequences."""
        return _DECCKM in self._screen.mode

    def feed(self, data: bytes) -> None:
        """Consume output bytes. Never raises."""
        try:
            text = self._pending + self._decoder.decode(data)
        except Exception:  # pragma: no cover - errors="replace" cannot fail
            self.faults += 1
            return
        self._pending = ""
        self._consume(text)

    def take_replies(self) -> bytes:
        """Answers to the terminal queries seen since the last call, for the PTY."""
        out = "".join(self._replies)
        self._replies.clear()
        return out.encode("utf-8")

    def lines(self) -> tuple[str, ...]:
        return tuple(line.rstrip() for line in self._screen.display)

    def cursor(self) -> tuple[int, int]:
        return int(self._screen.cursor.y), int(self._screen.cursor.x)

    def continued(self) -> tuple[int | None, ...]:
        """For each row: None when its line ends there; else the line goes on
        in the next row (the terminal wrapped it, or it is drawn up to the
        last column) after this many blank cells that :meth:`lines` strips."""
        screen = self._screen
        out: list[int | None] = []
        for y in range(screen.lines):
            if not screen.runs_on(y):
                out.append(None)
                continue
            row = screen.row_text(y)
            out.append(len(row) - len(row.rstrip()))
        return tuple(out)

    def scrolled(self) -> tuple[str, ...]:
        """Rows that scrolled off the top, oldest first, whole, each going on
        in the next: the start of the line the top row goes on with (bounded
        by :data:`MAX_SCROLLED_CHARS`)."""
        return tuple(self._screen.scrolled)

    def snapshot(self, frame: int, elapsed_ms: int) -> TerminalSnapshot:
        """The screen now, as the engine and the redactor read it."""
        return TerminalSnapshot(
            lines=self.lines(), frame=frame, elapsed_ms=elapsed_ms, continued=self.continued(), scrolled=self.scrolled()
        )

    # -- tokenising ---------------------------------------------------------
    def _consume(self, text: str) -> None:
        pos = 0
        length = len(text)
        while pos < length:
            esc = text.find(ESC, pos)
            if esc < 0:
                self._pass(text[pos:])
                return
            if esc > pos:
                self._pass(text[pos:esc])
            end = _sequence_end(text, esc)
            if end is None:
                rest = text[esc:]
                if len(rest) > MAX_SEQUENCE_CHARS:
                    self.dropped_sequences += 1
                    pos = esc + 1
                    continue
                self._pending = rest
                return
            self._sequence(text[esc:end])
            pos = end

    def _pass(self, chunk: str) -> None:
        try:
            self._stream.feed(chunk)
        except Exception:
            self.faults += 1
            log.debug("pyte fault on a text chunk", exc_info=True)
            self._stream._initialize_parser()

    def _sequence(self, seq: str) -> None:
        if len(seq) < 2:
            return
        kind = seq[1]
        if kind == "[":
            self._csi(seq)
        elif kind == "]":
            self._osc(seq)
        elif kind in "P_^X":
            self.dropped_sequences += 1
        else:
            self._pass(seq)

    def _csi(self, seq: str) -> None:
        body, final = seq[2:-1], seq[-1]
        marker = body[:1] if body[:1] in "<=>?" else ""
        params = body[len(marker) :]
        if any(ch in params for ch in " !\"#$%&'()*+,-./") or ":" in params:
            self.dropped_sequences += 1
            return
        if marker in ("<", "=", ">"):
            self.dropped_sequences += 1
            return
        numbers = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        if marker == "?":
            if final in "hl":
                self._private_modes(numbers, final == "h")
            elif final == "n" and numbers[:1] == [6]:
                self._screen.report_device_status(6, private=True)
            else:
                self.dropped_sequences += 1
            return
        if final == "n":
            self._screen.report_device_status(numbers[0] if numbers else 0)
            return
        if final == "c":
            self._screen.report_device_attributes(numbers[0] if numbers else 0)
            return
        if final == "t":
            self.dropped_sequences += 1
            return
        self._pass(seq)

    def _private_modes(self, modes: list[int], enable: bool) -> None:
        rest = [m for m in modes if m not in _ALT_SCREEN_MODES]
        if len(rest) != len(modes):
            if enable:
                self._screen.enter_alternate()
            else:
                self._screen.leave_alternate()
        if rest:
            self._pass(f"{ESC}[?{';'.join(str(m) for m in rest)}{'h' if enable else 'l'}")

    def _osc(self, seq: str) -> None:
        payload = seq[2:].rstrip("\x07").removesuffix(f"{ESC}\\")
        code, _, arg = payload.partition(";")
        if arg == "?" and code in ("10", "11"):
            colour = "ffff/ffff/ffff" if code == "10" else "0000/0000/0000"
            self._replies.append(f"{ESC}]{code};rgb:{colour}{ESC}\\")
            return
        self.dropped_sequences += 1


def _sequence_end(text: str, esc: int) -> int | None:
    """Index just past the escape sequence starting at ``esc``, or None if incomplete."""
    if esc + 1 >= len(text):
        return None
    kind = text[esc + 1]
    if kind == "[":
        pos = esc + 2
        while pos < len(text):
            char = text[pos]
            if char == ESC:
                return pos  # an aborted CSI: drop what we have, restart at the ESC
            if _CSI_FINAL.match(char):
                return pos + 1
            pos += 1
        return None
    if kind in "]P_^X":
        pos = esc + 2
        while pos < len(text):
            char = text[pos]
            if char == "\x07" and kind == "]":
                return pos + 1
            if char == ESC:
                if pos + 1 >= len(text):
                    return None
                return pos + 2 if text[pos + 1] == "\\" else pos
            pos += 1
        return None
    if kind in "()*+#% ":
        return esc + 3 if esc + 2 < len(text) else None
    return esc + 2
