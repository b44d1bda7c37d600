"""Redaction of terminal text: secrets never survive, and redacting twice changes nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workspace_trust.redaction import (
    REDACTION_RULES,
    RedactionKind,
    environment_secrets,
    looks_random,
    marker,
    redact,
    strip_terminal_controls,
)
from workspace_trust.redaction._environment import _plain_path  # the rule the secret generator must follow

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
    # The line break stays: the screen keeps its lines.
    assert out == f"{API_KEY}\n\nnext line"


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


# --- misses: keys without their prefix, keys in boxes, AWS and *_KEY names ------------

RANDOM_TOKEN = marker(RedactionKind.RANDOM_TOKEN)
SECRET = marker(RedactionKind.ASSIGNED_SECRET)
ENV_SECRET = marker(RedactionKind.ENVIRONMENT_SECRET)
#: A 108-character Anthropic key, as printed by a CLI that echoes its environment.
ANTHROPIC = (
    "sk-ant-api03-PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA_2O76UMFxFkM_R5Kjp1vRt-1fjORS_6ilI8ihN5KXSc7Tvo_hBKqFYY_AA"
)


def pieces(secret: str, width: int = 8) -> set[str]:
    return {secret[i : i + width] for i in range(len(secret) - width + 1)}


@pytest.mark.parametrize("length", [16, 20, 30, 39])
def test_a_key_tail_printed_without_its_prefix_is_redacted(length: int) -> None:
    tail = ANTHROPIC[-length:]
    out = redact(f"using …{tail} from the environment")
    assert out == f"using …{RANDOM_TOKEN} from the environment"


def boxed(text: str, width: int) -> str:
    rows = ["╭" + "─" * (width + 2) + "╮"]
    rows += ["│ " + text[i : i + width].ljust(width) + " │" for i in range(0, len(text), width)]
    rows.append("╰" + "─" * (width + 2) + "╯")
    return "\n".join(rows)


@pytest.mark.parametrize("width", [12, 17, 30, 40, 57, 80])
def test_a_key_wrapped_inside_a_box_loses_every_line_of_it(width: int) -> None:
    screen = boxed(f"ANTHROPIC_API_KEY={ANTHROPIC}", width) + "\n│ Yes, I trust this folder │"
    out = redact(screen)
    assert not [p for p in pieces(ANTHROPIC) if p in out]
    # The box keeps its lines and the text after the key is still there.
    assert out.count("\n") == screen.count("\n")
    assert "Yes, I trust this folder" in out


def test_a_box_border_after_padding_ends_the_key() -> None:
    screen = "│ key sk-ant-api03-AbCd0123 │\n│ CLAUDE_CODE_X=1            │\n│ Next_Step2 done │"
    out = redact(screen)
    assert "CLAUDE_CODE_X=1" in out and "Next_Step2 done" in out


def test_a_name_on_the_next_line_is_not_taken_for_the_rest_of_a_key() -> None:
    out = redact(f"ANTHROPIC_API_KEY={ANTHROPIC}\nCLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1\nnode_modules/x")
    assert out == f"ANTHROPIC_API_KEY={API_KEY}\nCLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1\nnode_modules/x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", f"AWS_SECRET_ACCESS_KEY={SECRET}"),
        ("DJANGO_SECRET_KEY=abcdefgh", f"DJANGO_SECRET_KEY={SECRET}"),
        ("secret_key: 'x y z'", f"secret_key: '{SECRET}'"),
        ("PRIVATE_KEY=abcdefghijk", f"PRIVATE_KEY={SECRET}"),
        ("ACCESS_KEY: abcdefghijk", f"ACCESS_KEY: {SECRET}"),
        ("SECRET_KEY_BASE=0123abcd", f"SECRET_KEY_BASE={SECRET}"),
        ("DB_PASSWORD_2=hunter2", f"DB_PASSWORD_2={SECRET}"),
        ("config=password=abc", f"config=password={SECRET}"),
    ],
)
def test_secret_names_ending_in_key(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sort_key=name primary_key: id keyboard=us",
        "secretary=Ana max_tokens=4096 token_count=12",
        "DISABLE_AUTOUPDATER=1 TERM=xterm-256color",
    ],
)
def test_names_that_only_look_like_secret_names_keep_their_values(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "secret",
    [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "/z+2bX0YaFq8pL4mN7rS1tUvW3xYz5AbCdEfGhI9",
    ],
)
def test_a_bare_aws_secret_access_key_is_redacted(secret: str) -> None:
    assert redact(f"aws: {secret} (rotated)") == f"aws: {RANDOM_TOKEN} (rotated)"


@pytest.mark.parametrize(
    "text",
    [
        "/home/ana/src/MyProject2024-backend/node_modules/XMLHttpRequest2Handler",
        "Projects2024/SourceCode/MainWindow/v1/Ab",  # 40 characters, a relative path
        "claude-sonnet-4-5-20250929 gpt-4o-mini-2024-07-18 getWorkspaceTrustResult2",
        "CLAUDE_CODE_IGNORE_PERSISTED_TRUST ModalDialogComponent x86_64-linux-gnu",
        "Accessing workspace: /var/tmp/wt-test-gd5e9xtf/AbCdEf0123456789XyZaBcDeF012345",
    ],
)
def test_paths_models_and_identifiers_are_kept(text: str) -> None:
    assert redact(text) == text


def test_looks_random() -> None:
    assert looks_random(ANTHROPIC[-20:])
    assert not looks_random("MyProject2024-backend")
    assert not looks_random("REDACTED_API_KEY")


# --- values of the environment --------------------------------------------------------


def test_environment_secrets_are_chosen_by_name_or_shape() -> None:
    env = {
        "ANTHROPIC_API_KEY": ANTHROPIC,
        "MY_PASSWORD": "correct horse battery",
        "SOME_VALUE": "Zx9aBcDeFgHiJkLmNoPq",  # random-looking, whatever the name
        "GOOGLE_APPLICATION_CREDENTIALS": "/home/ana/.config/gcloud/key.json",  # a file, not a secret
        "SHORT_TOKEN": "abc",  # too short to look for
        "HOME": "/home/ana",
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
    }
    secrets = environment_secrets(env)
    assert secrets.count == 3
    text = "\n".join(f"{k}={v}" for k, v in env.items())
    out = redact(text, secrets=secrets)
    for name in ("ANTHROPIC_API_KEY", "MY_PASSWORD", "SOME_VALUE"):
        assert not [p for p in pieces(env[name].replace(" ", "")) if p in out.replace(" ", "")], name
    for name in ("HOME", "PATH", "LANG", "TERM"):
        assert f"{name}={env[name]}" in out
    # A file named by a secret variable is not looked for: paths stay readable.
    elsewhere = f"reading {env['GOOGLE_APPLICATION_CREDENTIALS']} in {env['HOME']} with {env['TERM']}"
    assert redact(elsewhere, secrets=secrets) == elsewhere


def test_environment_secrets_never_show_their_values() -> None:
    secrets = environment_secrets({"X_TOKEN": "super-secret-value-123"})
    assert "super" not in repr(secrets) and "super" not in str(secrets)
    assert repr(secrets) == "EnvironmentSecrets(<1 values>)"
    assert not environment_secrets({"HOME": "/home/ana"})


def test_a_value_wrapped_in_a_box_is_found_piece_by_piece() -> None:
    value = "correct-horse-battery-staple-2024"
    screen = boxed(f"password is {value} ok", 9)
    out = redact(screen, secrets=environment_secrets({"MY_PASSWORD": value}))
    assert ENV_SECRET in out
    flat = re.sub(r"[\s│╭╮╰╯─]", "", _MARKERS.sub("\x00", out))
    assert not [p for p in pieces(value) if p in flat]
    assert out.count("\n") == screen.count("\n")


_SECRET_VALUES = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.:!#$%^&*~@",
    min_size=8,
    max_size=120,
).filter(lambda v: v[0].isalnum() and not _plain_path(v))
# A value that is a plain path (``A:/00000``, ``/home/ana/key.json``) names a file
# and is left out of the secrets on purpose, so it is not a secret to look for.
#: Ordinary screen text: dialog labels, paths, words (no key shapes of their own).
_LABELS = st.sampled_from(
    [
        "Accessing workspace:",
        "Quick safety check: Is this a project you created or one you trust?",
        "❯ No, exit",
        "Yes, I trust this folder",
        "Do you trust the files in this folder?",
        "Trust folder (shop)",
        "Enter to confirm · Esc to cancel",
        "Detected a custom API key in your environment",
    ]
)
_PATHS = st.lists(st.from_regex(r"[A-Za-z0-9_.\-]{1,30}", fullmatch=True), min_size=1, max_size=6).map(
    lambda parts: "/" + "/".join(parts)
)
_WORDS = st.from_regex(r"[a-z]{1,12}", fullmatch=True)
_ORDINARY = st.lists(st.one_of(_LABELS, _PATHS, _WORDS), min_size=1, max_size=12).map(" ".join)


def _flat(text: str) -> str:
    """Text with markers as one neutral character and what wraps lines left out."""
    return re.sub(r"[\s|\u2500-\u257f]", "", _MARKERS.sub("\x00", text))


@st.composite
def screens_with_a_secret(draw: st.DrawFn) -> tuple[str, str, str]:
    """(screen, secret, the screen's other text): the secret inline, wrapped at any
    width, wrapped inside a box, or split across lines among other text."""
    secret = draw(_SECRET_VALUES)
    before = draw(_ORDINARY)
    after = draw(_ORDINARY)
    sep = draw(st.sampled_from([" ", "=", ": ", "\n", " \x1b[1m", "\x1b[0m"]))
    line = before + sep + secret + " " + after
    layout = draw(st.sampled_from(["inline", "wrapped", "boxed", "split"]))
    if layout == "inline":
        screen = line
    elif layout == "wrapped":
        width = draw(st.integers(1, 100))
        screen = "\n".join(line[i : i + width] for i in range(0, len(line), width))
    elif layout == "boxed":
        screen = boxed(line, draw(st.integers(1, 100)))
    else:
        cuts = sorted(draw(st.lists(st.integers(1, len(secret) - 1), max_size=6, unique=True)))
        parts = [secret[i:j] for i, j in zip([0, *cuts], [*cuts, len(secret)], strict=True)]
        fillers = draw(st.lists(_ORDINARY, min_size=len(parts), max_size=len(parts)))
        screen = (
            before
            + "\n"
            + "\n".join(
                f"{f} {p}" if k % 2 else f"{p} {f}" for k, (p, f) in enumerate(zip(parts, fillers, strict=True))
            )
        )
        after = " ".join(fillers)
    return screen, secret, before + "\x00" + after


@settings(max_examples=500, deadline=None)
@given(
    case=screens_with_a_secret(), name=st.sampled_from(["ANTHROPIC_API_KEY", "DB_PASSWORD", "GITHUB_TOKEN", "X_SECRET"])
)
def test_no_piece_of_an_environment_secret_survives(case: tuple[str, str, str], name: str) -> None:
    screen, secret, others = case
    secrets = environment_secrets({name: secret, "HOME": "/home/ana", "PATH": "/usr/bin:/bin"})
    out = redact(screen, home="/home/ana", secrets=secrets)
    # Pieces that the rest of the screen holds by itself are not the secret's.
    own = pieces(_flat(secret)) - pieces(_flat(others))
    leaked = [p for p in own if p in _flat(out)]
    assert not leaked, (leaked, out)
    assert redact(out, home="/home/ana", secrets=secrets) == out


@settings(max_examples=300, deadline=None)
@given(text=_ORDINARY, secret=_SECRET_VALUES)
def test_ordinary_text_survives_with_secrets_given(text: str, secret: str) -> None:
    assume(not pieces(_flat(secret)) & pieces(_flat(text)))
    secrets = environment_secrets({"API_TOKEN": secret, "OTHER_KEY": "Zx9aBcDeFgHiJkLmNoPqRs"})
    assert redact(text, secrets=secrets) == text
