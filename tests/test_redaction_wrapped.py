"""A secret the terminal wrapped across rows, or scrolled half off the screen,
leaves no piece behind in any output made from the screen.

The screens here come from the real renderer (``adapters/screen.py``): the
secret is printed as a CLI prints it, at any column, after any amount of text,
on a screen of any width, and lines printed after it may scroll its start off
the top. The outputs checked are the ones a screen reaches: a failed result's
``raw_tail`` (made the way the PTY strategy makes it) and the diagnostics
manifest built from that result, as JSON.
"""

from __future__ import annotations

import json
import random
import re
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workspace_trust.adapters.screen import ScreenRenderer
from workspace_trust.diagnostics import DiagnosticsManifest, apply_budget, build_strategy_diagnostic
from workspace_trust.documents import manifest_to_json
from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.results import WorkspaceResult
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.redaction import (
    RedactionKind,
    looks_random,
    marker,
    redact,
    redact_screen,
    redact_screen_tail,
)

PIECE = 8
_MARKERS = re.compile(r"\[REDACTED_[A-Z_]+\]")
_KEY_ALPHABET = string.ascii_letters + string.digits + "_-"
_B64URL = string.ascii_letters + string.digits + "_-"
_B64 = string.ascii_letters + string.digits + "+/"


def screen_of(data: str, columns: int, rows: int) -> TerminalSnapshot:
    renderer = ScreenRenderer(columns=columns, lines=rows)
    renderer.feed(data.encode("utf-8"))
    return renderer.snapshot(1, 0)


def pieces(text: str) -> set[str]:
    return {text[i : i + PIECE] for i in range(len(text) - PIECE + 1)}


def _flat(text: str) -> str:
    """Markers as one neutral character; what a screen puts between rows left out."""
    return re.sub(r"\s", "", _MARKERS.sub("\x00", text))


# --- the renderer says where a line goes on -----------------------------------------


def test_the_renderer_marks_the_rows_it_wrapped() -> None:
    # A wrap right after a space leaves the row's last cell blank: still a wrap.
    snap = screen_of("x" * 9 + " " + "tail\r\nnext", columns=10, rows=4)
    assert snap.lines[:3] == ("xxxxxxxxx", "tail", "next")
    # It goes on in the next row after one blank cell, which the line leaves out.
    assert snap.continued[:3] == (1, None, None)
    assert screen_of("x" * 14, columns=10, rows=4).continued[:2] == (0, None)
    # A line feed the program sent is no wrap.
    assert screen_of("short\r\nnext", columns=10, rows=4).continued[0] is None


def test_rows_that_scroll_off_are_kept_while_they_lead_into_the_top_row() -> None:
    snap = screen_of("first\r\n" + "abcdefghij" * 3 + "XYZ\r\nlast", columns=10, rows=2)
    assert snap.lines == ("XYZ", "last")
    assert snap.scrolled == ("abcdefghij",) * 3
    assert snap.continued[:2] == (None, None)
    # A line that ended before the top row breaks the chain.
    snap = screen_of("abcdefghij" * 2 + "\r\nplain\r\nx\r\ny", columns=10, rows=2)
    assert snap.scrolled == ()


# --- examples ----------------------------------------------------------------------

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


def test_the_issue_screen_keeps_no_tail_of_the_jwt() -> None:
    line = "aws_access_key_id=ASIAQ7RZ3KD5LWXN2PJT jwt=" + JWT
    pad = "x" * ((15 - len(line) - 1) % 120) + " "
    snap = screen_of(pad + line + "\r\nDo you trust this folder?", columns=120, rows=10)
    assert snap.lines[2] == "Ok6yJV_adQssw5c"
    out = redact_screen(snap)
    assert "Ok6yJV" not in out and "ASIAQ7" not in out
    assert out.split("\n")[:4] == [
        pad + "aws_access_key_id=[REDACTED_API_KEY] jwt=[REDACTED_JWT]",
        "[REDACTED_JWT]",
        "[REDACTED_JWT]",
        "Do you trust this folder?",
    ]


def test_a_secret_whose_start_scrolled_off_leaves_no_tail() -> None:
    snap = screen_of("token: ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8QUvWx" + " done\r\nnext", columns=12, rows=2)
    assert snap.lines == ("UvWx done", "next")
    out = redact_screen(snap)
    assert out == "[REDACTED_API_KEY] done\nnext"
    # Without the scrolled rows, the tail is an ordinary-looking word.
    assert redact("\n".join(snap.lines)) == "UvWx done\nnext"


def test_url_credentials_that_end_a_row_lose_the_user_too() -> None:
    """The row ends right after ``@``: across the wrap the password and host
    read as an email, and the credentials rule sees its match in the first
    row alone. Both go, or the user name would be left without its rule."""
    line = "https://ynbiqpmzjp:iGp-58WAm_dX@git.example.com/team/repo.git"
    snap = screen_of(line, columns=32, rows=2)
    assert snap.lines == ("https://ynbiqpmzjp:iGp-58WAm_dX@", "git.example.com/team/repo.git")
    out = redact_screen(snap)
    assert "ynbiqpmz" not in out and "58WAm" not in out
    assert out.startswith("https://[REDACTED_")


def test_temporary_aws_key_ids_are_redacted() -> None:
    # ASIA: an STS temporary access key id; AKIA: a long-term one.
    for key in ("ASIAQ7RZ3KD5LWXN2PJT", "AKIAIOSFODNN7EXAMPLE"):
        assert redact(f"aws_access_key_id={key}") == f"aws_access_key_id={marker(RedactionKind.API_KEY)}"
        assert redact(f"key id {key} expires") == f"key id {marker(RedactionKind.API_KEY)} expires"
        assert redact(f"[default]\naws_access_key_id = {key}\n") == (
            f"[default]\naws_access_key_id = {marker(RedactionKind.API_KEY)}\n"
        )
    # Found by its shape (the prefix and 16 more), not by looking random.
    assert redact("id ASIAEXAMPLEEXAMPLEXY") == f"id {marker(RedactionKind.API_KEY)}"
    assert redact("id ASIAEXAMPLEEXAMPLEX") == "id ASIAEXAMPLEEXAMPLEX"
    assert redact("id XASIAEXAMPLEEXAMPLEXY") == "id XASIAEXAMPLEEXAMPLEXY"


def test_a_wrapped_line_that_holds_no_secret_keeps_its_rows() -> None:
    text = "word " * 30
    snap = screen_of(text + "\r\nnext", columns=40, rows=8)
    assert any(blanks is not None for blanks in snap.continued)
    assert redact_screen(snap) == "\n".join(snap.lines).rstrip("\n")


# --- the property ------------------------------------------------------------------


def _random(seed: int, alphabet: str, low: int, high: int) -> str:
    """Random characters that a seed picks, so shrinking never makes a
    "secret" that is an ordinary word."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


@st.composite
def printed_secrets(draw: st.DrawFn) -> tuple[str, str]:
    """(what the CLI prints, the secret in it) for every shape the redactor knows."""
    seed = draw(st.integers(0, 2**32))
    shape = draw(
        st.sampled_from(
            [
                "prefixed_key",
                "aws_key_id",
                "jwt",
                "bearer",
                "authorization",
                "assigned",
                "url_credentials",
                "email",
                "aws_secret",
                "random_token",
                "long_token",
            ]
        )
    )
    if shape == "prefixed_key":
        prefix = draw(
            st.sampled_from(
                [
                    *("sk-ant-api03-", "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-", "AIza", "github_pat_"),
                    *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xoxb-", "xoxp-"),
                ]
            )
        )
        secret = prefix + _random(seed, _KEY_ALPHABET, 8, 110)
        return secret, secret
    if shape == "aws_key_id":
        secret = draw(st.sampled_from(["AKIA", "ASIA"])) + _random(seed, string.ascii_uppercase + string.digits, 16, 16)
        return secret, secret
    if shape == "jwt":
        header = "eyJ" + _random(seed, _B64URL, 10, 80)
        payload = "eyJ" + _random(seed + 1, _B64URL, 10, 200)
        secret = f"{header}.{payload}.{_random(seed + 2, _B64URL, 8, 86)}"
        return secret, secret
    if shape == "bearer":
        token = _random(seed, _KEY_ALPHABET + ".~+/", 12, 90)
        return "Bearer " + token, token
    if shape == "authorization":
        value = _random(seed, _B64, 12, 60)
        return f"Authorization: Basic {value}", value
    if shape == "assigned":
        name = draw(st.sampled_from(["API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "client_secret", "SECRET_KEY_BASE"]))
        value = _random(seed, string.ascii_letters + string.digits + "!#%()*+./:<>?@[]^_`{|~-", 8, 60)
        return f"{name}={value}", value
    if shape == "url_credentials":
        credentials = _random(seed, string.ascii_lowercase, 4, 12) + ":" + _random(seed + 1, _KEY_ALPHABET, 8, 30)
        return f"https://{credentials}@git.example.com/team/repo.git", credentials
    if shape == "email":
        secret = _random(seed, string.ascii_lowercase + ".", 4, 20).strip(".") + "@mail-host.example.org"
        assume(".." not in secret and len(secret.partition("@")[0]) > 0)
        return secret, secret
    if shape == "aws_secret":
        secret = _random(seed, _B64, 40, 40)
        # The rule's own limit: a bare 40-character value is taken for a key
        # when it looks random and has few slashes (a path has many).
        assume(looks_random(secret) and secret.count("/") <= 1 and not secret.startswith("/"))
        return secret, secret
    if shape == "random_token":
        secret = _random(seed, string.ascii_letters + string.digits, 16, 39)
        assume(looks_random(secret))
        return secret, secret
    # A long run of letters and digits, whatever it looks like.
    secret = _random(seed, _KEY_ALPHABET, 40, 120)
    assume(any(c.isdigit() for c in secret) and any(c.isalpha() for c in secret))
    return secret, secret


#: Ordinary text around the secret: short words that hold no secret piece.
_WORDS = st.lists(st.from_regex(r"[a-z]{1,7}", fullmatch=True), min_size=0, max_size=12).map(" ".join)


def _outputs(snapshot: TerminalSnapshot) -> list[str]:
    """Every output a failed session's screen reaches: the result's raw tail
    (as the PTY strategy makes it) and the manifest's JSON built from it."""
    tail = redact_screen_tail(snapshot, home="/home/ana")
    result = WorkspaceResult(
        Provider.CLAUDE,
        "/w",
        "/w",
        "/w",
        WorkspaceStatus.SOFT_FAILED,
        code=Code.UNKNOWN_TRUST_DIALOG,
        raw_tail=tail,
    )
    item = build_strategy_diagnostic(result, debug=True, home="/home/ana")
    manifest = apply_budget(DiagnosticsManifest(attempt=1, strategy_results=(item,)))
    return [tail.text, json.dumps(manifest_to_json(manifest), ensure_ascii=False)]


@st.composite
def printed_on_a_screen(draw: st.DrawFn) -> tuple[str, str, int, int]:
    """(the output, the secret, columns, rows): the secret printed at any
    column, after any text on its line and any number of lines, with lines
    after it that may scroll its start off the top, on a screen of any size."""
    printed, secret = draw(printed_secrets())
    columns = draw(st.integers(8, 200))
    rows = draw(st.integers(2, 50))
    column = draw(st.integers(0, columns - 1))
    before = draw(_WORDS)
    data = "".join(f"line {n}\r\n" for n in range(draw(st.integers(0, 60))))
    # Any column (CSI G), after any text on the line.
    data += f"\x1b[{column + 1}G" + (before + " " if before else "") + printed + " " + draw(_WORDS)
    data += "".join(f"\r\nafter {n}" for n in range(draw(st.integers(0, 4))))
    return data, secret, columns, rows


@settings(max_examples=600, deadline=None)
@given(case=printed_on_a_screen())
def test_no_piece_of_a_printed_secret_survives_in_any_output(case: tuple[str, str, int, int]) -> None:
    data, secret, columns, rows = case
    snapshot = screen_of(data, columns, rows)
    # What the rest of the screen holds by itself is not the secret's.
    own = pieces(secret) - pieces(data.replace(secret, "\x00"))
    for out in _outputs(snapshot):
        flat = _flat(out)
        leaked = sorted(p for p in own if p in flat or p in out)
        assert not leaked, (leaked, snapshot.lines, out)


@settings(max_examples=200, deadline=None)
@given(text=st.lists(_WORDS, min_size=1, max_size=20).map("\r\n".join), columns=st.integers(8, 120))
def test_a_screen_without_secrets_is_kept_as_it_is(text: str, columns: int) -> None:
    snapshot = screen_of(text, columns, 30)
    assert redact_screen(snapshot) == "\n".join(snapshot.lines).rstrip("\n")
