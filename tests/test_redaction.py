"""Redaction of terminal text: secrets never survive, and redacting twice changes nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.redaction import (
    REDACTION_RULES,
    RedactionKind,
    marker,
    redact,
    strip_terminal_controls,
)

API_KEY = marker(RedactionKind.API_KEY)
_MARKERS = re.compile(r"\[REDACTED_[A-Z_]+\]")

# --- examples ------------------------------------------------------------------


def test_claude_custom_api_key_screen_loses_the_masked_key() -> None:
    # Claude Code 2.1.197, "Detected a custom API key in your environment".
    screen = (
        "Detected a custom API key in your environment\n"
        "ANTHROPIC_API_KEY: sk-ant-...yz0123456789-ABCDEFG\n"
        "Do you want to use this API key?\n"
        "❯ 1. Yes\n  2. No (recommended)"
    )
    out = redact(screen)
    assert "yz0123456789" not in out
    assert "ABCDEFG" not in out
    assert "sk-ant" not in out
    # The more telling marker wins over the generic assignment one.
    assert "ANTHROPIC_API_KEY: " + API_KEY in out
    assert "Do you want to use this API key?" in out


@pytest.mark.parametrize(
    "key",
    [
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA",
        "sk-ant-...yz0123456789-ABCDEFG",
        "sk-ant-…ABCD",
        "sk-proj-AbCdEf0123456789AbCdEf0123456789",
        "sk-svcacct-AbCdEf0123456789",
        "sk-AbCdEf0123456789AbCdEf0123456789AbCdEf012345",
        "sk-...wxyz",
        "sk-****wxyz",
        "AIzaSyA-1234567890abcdefghijklmnopqrstu",
        "AIza...tu12",
        "ghp_AbCdEf0123456789AbCdEf0123456789AbCd",
        "github_pat_11ABCDEFG0123456789_abcdefghijkl",
        "xoxb-1234567890-abcdefghij",
        "AKIAIOSFODNN7EXAMPLE",
    ],
)
def test_each_key_shape_is_replaced_whole(key: str) -> None:
    out = redact(f"key: {key} done")
    assert out == f"key: {API_KEY} done"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-ghi", "Authorization: [REDACTED_AUTHORIZATION]"),
        ("authorization=Basic dXNlcjpwYXNz", "authorization=[REDACTED_AUTHORIZATION]"),
        ("curl -H 'Bearer abc123def'", "curl -H 'Bearer [REDACTED_TOKEN]'"),
        ("api_key=abc123", "api_key=[REDACTED_SECRET]"),
        ("API-KEY: abc123", "API-KEY: [REDACTED_SECRET]"),
        ("token=abc; next", "token=[REDACTED_SECRET]; next"),
        ('password="two words"', 'password="[REDACTED_SECRET]"'),
        ("passwd='x y'", "passwd='[REDACTED_SECRET]'"),
        ('{"client_secret": "zzz", "n": 1}', '{"client_secret": "[REDACTED_SECRET]", "n": 1}'),
        ("?access_token=abc&x=1", "?access_token=[REDACTED_SECRET]&x=1"),
        ("https://ana:pa55@example.com/x", "https://[REDACTED_CREDENTIALS]@example.com/x"),
        ("signed in as ana.maria+x@example.co.uk.", "signed in as [REDACTED_EMAIL]."),
        ("jwt eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl end", "jwt [REDACTED_JWT] end"),
        (
            "sha 0123456789abcdef0123456789abcdef01234567 ok",
            "sha [REDACTED_LONG_TOKEN] ok",
        ),
    ],
)
def test_other_secret_shapes(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "task-runner disk-usage --ask-for-approval",
        "max_tokens=4096 and 1.2k tokens",
        "--dangerously-skip-permissions cannot be used with root/sudo privileges",
        "Yes, I trust this folder",
        "Asia-Pacific the bearer of news",
    ],
)
def test_ordinary_terminal_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_key_split_by_colour_codes_is_joined_then_redacted() -> None:
    out = redact("key \x1b[1msk-ant-\x1b[0mapi03-abcdef0123")
    assert out == f"key {API_KEY}"


def test_cursor_moves_separate_words_so_short_prefixes_are_still_found() -> None:
    # "Key" + cursor-forward + "sk-..." must not become "Keysk-...".
    assert redact("Key\x1b[2Csk-abc123") == f"Key {API_KEY}"


def test_stray_escape_cannot_eat_a_key_prefix() -> None:
    # "ESC SP s" is a valid escape sequence; stripping it alone would leave "k-ant-...".
    out = redact("\x1b sk-ant-00000000 ")
    assert "00000000" not in out


def test_distinctive_prefix_is_found_even_glued_to_a_word() -> None:
    out = redact("Keysk-ant-...yz0123456789-ABCDEFG")
    assert "yz0123456789" not in out


def test_key_wrapped_at_the_end_of_a_line_takes_the_continuation() -> None:
    out = redact("sk-ant-api03-AAAAAAAAAAAAAAAA\nBBBBBB0123\nnext line")
    assert "BBBBBB0123" not in out
    assert out == f"{API_KEY}\nnext line"


def test_strip_terminal_controls() -> None:
    raw = "\x1b[31mred\x1b[0m \x1b]0;title\x07text\x1b[2K\r\nnext\x00\x07\x1bc\tend\x1b["
    assert strip_terminal_controls(raw) == "red text \nnext\tend"


def test_unterminated_osc_at_the_end_is_dropped() -> None:
    assert strip_terminal_controls("ok\x1b]8;;https://x/?token=abc") == "ok"


@pytest.mark.parametrize(
    ("text", "home", "expected"),
    [
        ("cd /home/ana/proj", "/home/ana", "cd ~/proj"),
        ("cd /home/ana/proj", "/home/ana/", "cd ~/proj"),
        ("ls /home/anabel /home/ana", "/home/ana", "ls /home/anabel ~"),
        ("'/home/ana'", "/home/ana", "'~'"),
        ("C:\\Users\\ana\\proj", "C:\\Users\\ana", "~\\proj"),
        ("/ stays", "/", "/ stays"),
        ("relative ana/x", "ana", "relative ana/x"),
    ],
)
def test_home_folder(text: str, home: str, expected: str) -> None:
    assert redact(text, home=home) == expected


def test_home_is_left_alone_without_the_argument() -> None:
    assert redact("cd /home/ana/proj") == "cd /home/ana/proj"


def test_rules_have_unique_ids() -> None:
    ids = [rule.id for rule in REDACTION_RULES]
    assert len(ids) == len(set(ids))


#: Runs that would make unanchored patterns quadratic. How long they take is
#: measured as a ratio in bench/bench_redaction.py; here, what they become.
ADVERSARIAL = [
    ("a" * 200_000, "a" * 200_000),
    ("a-" * 100_000, "a-" * 100_000),
    ("a." * 100_000, "a." * 100_000),
    ("sk-" + "a" * 200_000, "[REDACTED_API_KEY]"),
    ("x@" + "a." * 100_000, "x@" + "a." * 100_000),
    ("token" * 40_000, "token" * 40_000),
    ("\x1b[" + "1;" * 100_000, ""),
]


@pytest.mark.parametrize(("text", "expected"), ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_runs_are_handled_whole(text: str, expected: str) -> None:
    assert redact(text, home="/home/ana") == expected


# --- properties ----------------------------------------------------------------

_KEY_BODY = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=8, max_size=100
)
_MASK = st.sampled_from(["", "...", "…", "****", "•••"])


@st.composite
def api_keys(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(["sk-ant-", "sk-ant-api03-", "sk-", "sk-proj-", "AIza", "AIzaSy"]))
    head = draw(st.text(alphabet="abcdefXYZ0189_-", max_size=6))
    return shape + head + draw(_MASK) + draw(_KEY_BODY)


# Filler cannot form a key or an email by itself (no "-", "@" or upper case),
# but does hold everything else a terminal shows: spaces, punctuation, unicode.
_FILLER = st.text(
    alphabet=st.characters(
        blacklist_characters="-@" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        codec="utf-8",
    ),
    max_size=80,
)
_SEPARATOR = st.sampled_from([" ", "\n", ": ", "=", "\t", "│", "(", '"', "'", " \x1b[0m"])


@settings(max_examples=400, deadline=None)
@given(
    before=_FILLER,
    after=_FILLER,
    key=api_keys(),
    left=_SEPARATOR,
    right=_SEPARATOR,
)
def test_generated_keys_never_survive(before: str, after: str, key: str, left: str, right: str) -> None:
    out = redact(before + left + key + right + after)
    assert key not in out
    # Nor does its last part (the part a masked key shows in clear).
    body = key[-8:]
    if body not in before + after:
        assert body not in _MARKERS.sub("", out)


@settings(max_examples=300, deadline=None)
@given(
    before=_FILLER,
    key=st.sampled_from(["sk-ant-", "sk-proj-", "AIza"]).flatmap(lambda p: _KEY_BODY.map(lambda b: p + b)),
    glue=st.text(alphabet="abcxyz019", min_size=1, max_size=4),
)
def test_distinctive_keys_never_survive_even_glued(before: str, key: str, glue: str) -> None:
    out = redact(before + " " + glue + key)
    assert key not in out


_PIECES = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(
        [
            "sk-",
            "sk-ant-",
            "AIza",
            "Bearer ",
            "Authorization: ",
            "api_key=",
            "token: ",
            '"',
            "'",
            "@",
            ".",
            "-",
            "_",
            "\n",
            "\x1b[",
            "m",
            "\x1b]",
            "\x07",
            "/home/ana",
            "/",
            "~",
            "eyJ",
            "0",
            "9",
            "x",
            "X",
            "[REDACTED_API_KEY]",
            "://",
            ":",
            "a.b",
        ]
    ),
)
_ANY_TEXT = st.lists(_PIECES, max_size=60).map("".join)


@settings(max_examples=1000, deadline=None)
@given(text=_ANY_TEXT, home=st.sampled_from([None, "/home/ana", "/home/ana/", "/h", "C:\\Users\\ana"]))
def test_redaction_is_idempotent(text: str, home: str | None) -> None:
    once = redact(text, home=home)
    assert redact(once, home=home) == once


@settings(max_examples=300, deadline=None)
@given(text=_ANY_TEXT)
def test_output_holds_no_control_characters(text: str) -> None:
    out = redact(text)
    assert all(ch in "\n\t" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F) for ch in out)


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        # A wrapped key's tail followed by punctuation, not a space.
        ('Using key sk-ant-api03-Zx9abcdefg\nhijklmnopqrstuvwxyz0123456789ABCD" is bad', "hijklmnopqrstuvwxyz"),
        ("key sk-ant-api03-Zx9abcdefg\nhijklmnopqrstuvwxyz0123456789ABCD, then", "hijklmnopqrstuvwxyz"),
        # A colour code inside the key, after its prefix.
        ("key sk-ant-api03-Ab\x1b[31mCdEfGh12345 end", "CdEfGh12345"),
        # A colour code glued between a word and a short prefix.
        ("directory\x1b[0msk-abcdefghijklmnop1234 end", "abcdefghijklmnop1234"),
    ],
)
def test_key_parts_found_by_fuzzing_never_survive(text: str, leak: str) -> None:
    out = redact(text)
    assert leak not in out and API_KEY in out
    assert redact(out) == out
