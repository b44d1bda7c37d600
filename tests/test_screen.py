"""The hardened renderer. Each fix is shown failing on plain pyte first."""

from __future__ import annotations

import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.adapters.screen import ScreenRenderer


def plain_pyte_lines(data: bytes, columns: int = 80, rows: int = 10) -> list[str]:
    screen = pyte.Screen(columns, rows)
    pyte.ByteStream(screen).feed(data)
    return [line.rstrip() for line in screen.display]


def render(data: bytes, columns: int = 80, rows: int = 10) -> ScreenRenderer:
    renderer = ScreenRenderer(columns=columns, lines=rows)
    renderer.feed(data)
    return renderer


# -- private SGR (Codex 0.169.0) ----------------------------------------------
PRIVATE_SGR = b"\x1b[?1mTrust this folder?"


def test_plain_pyte_raises_on_private_sgr() -> None:
    with pytest.raises(TypeError, match="private"):
        plain_pyte_lines(PRIVATE_SGR)


def test_private_sgr_is_ignored() -> None:
    assert render(PRIVATE_SGR).lines()[0] == "Trust this folder?"


# -- DECXCPR (CSI ? 6 n) --------------------------------------------------------
def test_plain_pyte_raises_on_private_cursor_query() -> None:
    with pytest.raises(TypeError):
        plain_pyte_lines(b"ab\x1b[?6n")


def test_cursor_queries_are_answered() -> None:
    r = render(b"\r\n  ab\x1b[6n\x1b[?6n")
    assert r.take_replies() == b"\x1b[2;5R\x1b[2;5R"
    assert r.take_replies() == b""


def test_device_attributes_and_colour_queries_are_answered() -> None:
    r = render(b"\x1b[c\x1b]11;?\x07")
    replies = r.take_replies()
    assert replies.startswith(b"\x1b[?1;2c")
    assert b"\x1b]11;rgb:0000/0000/0000\x1b\\" in replies


# -- key-protocol and other half-parsed sequences -----------------------------------
@pytest.mark.parametrize(
    "seq",
    [
        b"\x1b[<u",
        b"\x1b[=1;1u",
        b"\x1b[>4;2m",
        b"\x1b[38:2:10:20:30m",
        b"\x1b[2 q",
        b"\x1bP>|xterm\x1b\\",
        b"\x1b_Gi=1;OK\x1b\\",
        b"\x1b[?2026$p",
        b"\x1b[?u",
    ],
)
def test_sequences_never_leave_text_behind(seq: bytes) -> None:
    assert render(b"A" + seq + b"B").lines()[0] == "AB"


def test_plain_pyte_draws_the_tail_of_kitty_sequences() -> None:
    assert plain_pyte_lines(b"A\x1b[<uB")[0] != "AB"


# -- alternate screen -----------------------------------------------------------
ALT = b"main text\x1b[?1049h\x1b[Hdialog: Trust this folder?\x1b[?1049l"


def test_plain_pyte_keeps_alternate_screen_text_after_leaving_it() -> None:
    assert "Trust this folder?" in "\n".join(plain_pyte_lines(ALT))


@pytest.mark.parametrize("mode", [b"1049", b"1047", b"47"])
def test_alternate_screen_is_restored(mode: bytes) -> None:
    r = render(ALT.replace(b"1049", mode))
    text = "\n".join(r.lines())
    assert "main text" in text
    assert "Trust this folder?" not in text


def test_alternate_screen_starts_blank_and_shows_its_text() -> None:
    r = render(b"old\x1b[?1049h\x1b[Hnew")
    assert r.in_alternate_screen
    assert r.lines()[0] == "new"


# -- zero-width characters -------------------------------------------------------------
EMOJI = "⚠️ Quick safety check: trust this folder? 👩‍💻 after".encode()


def test_plain_pyte_drops_text_after_variation_selector() -> None:
    assert "after" not in plain_pyte_lines(EMOJI)[0]


def test_text_after_variation_selector_and_zwj_is_kept() -> None:
    line = render(EMOJI).lines()[0]
    assert "Quick safety check: trust this folder?" in line
    assert line.endswith("after")


def test_wide_characters_take_two_cells() -> None:
    r = render("漢字ab\x1b[6n".encode())
    assert r.lines()[0] == "漢字ab"
    assert r.take_replies() == b"\x1b[1;7R"


# The first half of a wide character overwritten, its empty second half left.
OVERWRITTEN_WIDE = "漢".encode() + b"\x1b[H "


def test_plain_pyte_display_raises_on_an_orphaned_wide_character_half() -> None:
    with pytest.raises(IndexError):
        plain_pyte_lines(OVERWRITTEN_WIDE)


def test_orphaned_wide_character_half_renders_as_a_space() -> None:
    r = render(OVERWRITTEN_WIDE + b"ok")
    assert r.lines()[0] == " ok"


def test_wide_character_with_its_second_half_overwritten_keeps_the_new_text() -> None:
    r = render("漢".encode() + b"\x1b[1;2Hb")
    assert r.lines()[0] == "漢b"


def test_application_cursor_mode_is_tracked() -> None:
    r = render(b"\x1b[?1h")
    assert r.application_cursor_keys
    r.feed(b"\x1b[?1l")
    assert not r.application_cursor_keys


def test_overlong_unterminated_sequence_is_dropped_and_memory_bounded() -> None:
    r = render(b"\x1b]0;" + b"x" * 20000 + b"tail")
    assert r.dropped_sequences >= 1
    assert len(r._pending) <= 4096


# -- properties ---------------------------------------------------------------------------
_fragments = st.sampled_from(
    [
        b"hello",
        b"\r\n",
        b"\x1b[2J",
        b"\x1b[H",
        b"\x1b[?1049h",
        b"\x1b[?1049l",
        b"\x1b[?25l",
        b"\x1b[1;31m",
        b"\x1b[0m",
        b"\x1b[?1m",
        b"\x1b[<u",
        b"\x1b[38:5:3m",
        "❯ Yes".encode(),
        "⚠️".encode(),
        "漢".encode(),
        b"\x1b]0;title\x07",
        b"\x1bP1$r\x1b\\",
        b"\x1b[6n",
        b"\x1b[3;4H",
        b"\x1b[K",
        b"\xff\xfe",
        b"\x1b",
        b"\x9b",
    ]
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_fragments, max_size=40), random_bytes=st.binary(max_size=200))
def test_feed_never_raises(parts: list[bytes], random_bytes: bytes) -> None:
    r = ScreenRenderer(columns=40, lines=8)
    r.feed(b"".join(parts) + random_bytes)
    assert len(r.lines()) == 8


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(_fragments, min_size=1, max_size=40), data=st.data())
def test_rendering_does_not_depend_on_chunk_boundaries(parts: list[bytes], data: st.DataObject) -> None:
    blob = b"".join(parts)
    whole = ScreenRenderer(columns=40, lines=8)
    whole.feed(blob)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(blob) - 1)), max_size=10)))
    split = ScreenRenderer(columns=40, lines=8)
    for a, b in zip([0, *cuts], [*cuts, len(blob)], strict=True):
        split.feed(blob[a:b])
    assert split.lines() == whole.lines()
    assert split.take_replies() == whole.take_replies()
