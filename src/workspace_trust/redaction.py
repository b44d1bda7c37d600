"""Redaction of terminal text before it is stored anywhere.

Theory of operation
-------------------
Provider CLIs print things that must never reach a diagnostics artifact: a
"Detected a custom API key" screen shows a partly masked API key
(``sk-ant-...yz0123456789-ABCDEFG``), account screens show emails, and
error output can echo headers or ``token=`` assignments. :func:`redact` is the
one redactor every stored text goes through (raw PTY tails, evidence strings,
failure evidence).

It works in fixed passes, each a precompiled pattern from one table:

1. a colour code glued between a word and a short key prefix becomes a space,
   so the prefix keeps its word boundary;
2. every rule in :data:`REDACTION_RULES`, in table order, on the raw text;
3. terminal control sequences (CSI, OSC, other escapes, C0/C1 controls) are
   removed, leaving the markers of step 2 whole;
4. the rules again, for keys that colour codes had split;
5. key characters glued to a key marker (the rest of a key a colour code
   split after its prefix) join the marker;
6. optionally, the values of an environment (:func:`environment_secrets`):
   every stretch made of their pieces, wrapped or boxed, becomes a marker;
7. optionally the user's home folder becomes ``~``.

The first pass exists because stripping is ambiguous: a stray ESC before
``" sk-ant-..."`` reads as the escape ``ESC SP s`` and would eat the ``s``
that identifies the key.

Properties the tests hold us to:

* A key is matched from its prefix onwards, with any run of key characters,
  dots, ``*`` and ellipses after it, so masked forms disappear as a whole. A
  key that ends a line also takes the first word of the next lines when that
  word looks like key material (a digit, ``_``, ``-``, or mixed case) and is
  not a name (``NAME=``, ``Error:``) or a path, in case the terminal wrapped
  it (snapshot lines are right-trimmed, so the width is unknown). Inside a
  TUI box the line ends at the border: a key that reaches the border (no more
  than the box's one-space margin before it) continues on the next line after
  the opening border. The line breaks and borders stay; the pieces go. A
  wrapped remainder that is a plain word survives.
* A key's tail printed without its prefix is found by its looks: a run of 16
  or more key characters, not a path component, whose letters and digits
  switch case or class often (:func:`looks_random`). Words, model names,
  identifiers and paths are kept. So is a bare 40-character AWS secret.
* Assignments are found by the name: one that ends like a secret
  (``API_KEY``, ``TOKEN``, ``SECRET``, ``PASSWORD``, ``PRIVATE_KEY``,
  ``ACCESS_KEY``, ``SECRET_KEY``) or holds a ``SECRET``/``PASSWORD`` segment
  (``SECRET_KEY_BASE``) loses its value, whatever the value looks like.
* Given an environment, no piece of :data:`SECRET_PIECE_CHARS` characters of
  its secret values survives, wherever it is: the text and the values are
  compared with white space, line breaks and box borders left out, so a value
  wrapped at any width, inside a box or not, is found. The values themselves
  are only ever held by an :class:`EnvironmentSecrets`, which prints none.
* Replacement markers match no rule, so ``redact(redact(t)) == redact(t)``.
* Every pattern starts only at the beginning of a run of its own characters
  (a negative look-behind), so the work is linear in the input size.

Redaction happens *before* any truncation: cutting first could leave a key's
tail without its prefix, which no rule recognises.

A rendered screen (:func:`redact_screen`) gets one more pass first. Its rows
are the terminal's, not the CLI's lines: a JWT wider than the screen goes on
in the next row, and rows that scrolled off the top are gone from it. The
renderer says which rows go on in the next (``TerminalSnapshot.continued``)
and keeps the scrolled rows that lead into the top row
(``TerminalSnapshot.scrolled``); those rows are read joined, every rule is
matched on the joined line, and a match that crosses a join has its secret
part replaced in each row it reaches. The rows keep their places, so the
passes above then run on the screen as it was drawn.

Where screen text goes: a failed session's ``raw_tail`` (debug only; the one
place a screen leaves the library, also printed by the CLI's ``--debug`` and
copied into the diagnostics manifest). Replay traces and debug logs hold rule
ids, keys and codes, never screen text. ``workspace-trust record`` stores the
CLI's raw output on purpose, as a fixture, and warns when one of its screens
shows something :func:`redact_screen` would hide
(``fixtures.secret_screens``): review such a recording before sharing it.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Callable, Mapping, Sequence

import attrs

from workspace_trust.domain.text import RAW_TAIL_LIMIT, Redacted
from workspace_trust.engine.snapshot import TerminalSnapshot

__all__ = [
    "NO_SECRETS",
    "REDACTION_RULES",
    "SECRET_PIECE_CHARS",
    "EnvironmentSecrets",
    "RedactionKind",
    "RedactionRule",
    "environment_secrets",
    "looks_random",
    "marker",
    "redact",
    "redact_screen",
    "redact_screen_tail",
    "redact_tail",
    "strip_terminal_controls",
]


class RedactionKind(enum.Enum):
    """What a redacted span was; the value names the marker left in its place."""

    API_KEY = "API_KEY"
    BEARER_TOKEN = "TOKEN"
    AUTHORIZATION = "AUTHORIZATION"
    ASSIGNED_SECRET = "SECRET"
    URL_CREDENTIALS = "CREDENTIALS"
    EMAIL = "EMAIL"
    JWT = "JWT"
    LONG_TOKEN = "LONG_TOKEN"
    #: A run of key characters that looks random (a key's tail without its
    #: prefix) or a bare 40-character AWS secret access key.
    RANDOM_TOKEN = "RANDOM_TOKEN"
    #: A value of the environment the text came from (see :func:`environment_secrets`).
    ENVIRONMENT_SECRET = "ENV_SECRET"


def marker(kind: RedactionKind) -> str:
    """The text left where a secret of ``kind`` was."""
    return f"[REDACTED_{kind.value}]"


_MARKER = re.compile(r"\[REDACTED_[A-Z_]+\]")


@attrs.frozen(slots=True)
class RedactionRule:
    """One shape of secret. ``replace`` builds the replacement from the match,
    so rules can keep a harmless part (a variable name, a header name)."""

    id: str
    kind: RedactionKind
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]


# --- terminal control sequences -------------------------------------------

_TERMINAL_CONTROLS = re.compile(
    r"""
      (?P<csi>\x1b\[[0-?]*[ -/]*(?P<final>[@-~]|$))  # CSI (cut off by the end of a tail too)
    | \x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\|$)  # OSC, DCS, SOS, PM, APC strings
    | \x1b[ -/]*[0-~]                               # two- and three-byte escapes
    | [\x00-\x08\x0b-\x1f\x7f-\x9f]                 # other C0 and C1 controls, DEL, lone ESC
    """,
    re.VERBOSE,
)
_CARRIAGE_RETURNS = re.compile(r"\r\n?")


def _control_replacement(m: re.Match[str]) -> str:
    # Colour changes sit inside words; cursor moves and erases sit between
    # them. A space for the latter keeps "Key" and "sk-..." from being glued
    # into one word that the key rule's word boundary would then skip.
    if m["csi"] is not None and m["final"] not in ("m", ""):
        return " "
    return ""


def strip_terminal_controls(text: str) -> str:
    """Remove ANSI/VT escape sequences and control characters.

    Newlines and tabs stay; carriage returns become newlines so text a
    terminal would overwrite is still seen (and redacted) rather than glued on.
    """
    return _TERMINAL_CONTROLS.sub(_control_replacement, _CARRIAGE_RETURNS.sub("\n", text))


# --- secret shapes ----------------------------------------------------------

#: Characters a key (or a masked rendering of one) is made of.
_KEY_CHARS = r"A-Za-z0-9_\-.*…•"
#: Key prefixes. Distinctive ones match anywhere, even glued to a word, since
#: nothing else starts that way; short ones (``sk-`` as in ``task-runner``)
#: only at the start of a word. AWS access key ids have a fixed length.
#: Key prefixes short enough to occur inside words: a key needs a word boundary
#: before them.
_SHORT_KEY_PREFIXES = r"sk-|gh[pousr]_|xox[abeprs]-"
#: Vertical borders a TUI draws around a box; a key wrapped inside a box has
#: one at the end of its first line and one at the start of the next.
_BORDERS = "│┃║|"
_API_KEY = re.compile(
    rf"""
    (?:
        (?:sk-ant-|sk-proj-|sk-svcacct-|sk-admin-|AIza|github_pat_)[{_KEY_CHARS}]{{3,}}
      | (?<![A-Za-z0-9_\-])(?:{_SHORT_KEY_PREFIXES})[{_KEY_CHARS}]{{3,}}
      | (?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{{16}}(?![A-Za-z0-9])
    )
    (?:                                      # the rest of a key wrapped at a line's end
        (?:\n                                   #   (several lines of it): at the very end,
        | [ \t]?[{_BORDERS}][ \t]*\n[ \t]*[{_BORDERS}][ \t]?  # or at a box's border
        )                                      #   with no more than its margin before it;
        (?:(?=[{_KEY_CHARS}]*[0-9_\-])            #   a word with a digit, "_" or "-",
        | (?=[{_KEY_CHARS}]*[a-z])(?=[{_KEY_CHARS}]+[A-Z]))  # or mixed case ("Do" is not),
        [{_KEY_CHARS}]+                          #   masks ("...", "*") included,
        (?![{_KEY_CHARS}]|[ \t]*[=:/\\])          #   not a name ("NAME=", "Error:") or a path
    )*
    """,
    re.VERBOSE,
)
#: "Bearer x" in any length; lower-case "bearer" is also an English word, so
#: only before something token-sized.
_BEARER = re.compile(
    r"""
    (?<![A-Za-z0-9_])
    (?:
        (?P<scheme>Bearer|BEARER)(?P<sep>[ \t]+)[A-Za-z0-9._~+/=\-]+
      | (?P<lower>bearer)(?P<lsep>[ \t]+)[A-Za-z0-9._~+/=\-]{12,}
    )
    """,
    re.VERBOSE,
)
_AUTHORIZATION = re.compile(
    r"(?<![A-Za-z0-9_\-])(?P<name>(?:proxy-)?authorization)(?P<sep>[ \t]*[:=][ \t]*)(?P<value>[^\r\n]+)",
    re.IGNORECASE,
)
#: Names that end like a secret's (``API_KEY``, ``GITHUB_TOKEN``,
#: ``AWS_SECRET_ACCESS_KEY``, ``PRIVATE_KEY``), each checked by a look-behind
#: at the end of the name, so the name is one greedy run (linear time).
_SECRET_NAME_ENDINGS = (
    "apikey",
    "api_key",
    "api-key",
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "credential",
    "credentials",
    *(f"{word}{sep}key" for word in ("private", "access", "secret", "signing", "encryption") for sep in ("", "_", "-")),
)
_NAME_ENDS_SECRET = (
    # One character class first: most runs end in none of the endings' last letters.
    f"(?<=[{''.join(sorted({ending[-1] for ending in _SECRET_NAME_ENDINGS}))}])"
    f"(?:{'|'.join(f'(?<={re.escape(ending)})' for ending in _SECRET_NAME_ENDINGS)})"
)
#: Or the name has a segment that always means a secret (``SECRET_KEY_BASE``,
#: ``DB_PASSWORD_2``); checked once, at the start of the name.
_NAME_HAS_SECRET = r"(?=(?:[A-Za-z0-9_\-]*?[_\-])?(?:secret|passw(?:or)?d|passphrase)(?![A-Za-z0-9]))"
_ASSIGNED_SECRET = re.compile(
    rf"""
    (?<![A-Za-z0-9_\-])
    (?P<name>(?:{_NAME_HAS_SECRET}[A-Za-z0-9_\-]++|[A-Za-z0-9_\-]++(?:{_NAME_ENDS_SECRET}))["']?)
    (?P<sep>[ \t]*[:=][ \t]*)
    (?:
        "(?P<dq>[^"\n]*)"
      | '(?P<sq>[^'\n]*)'
      | (?P<bare>[^\s"',;&}}]+)
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
#: Long runs of token characters holding both letters and digits: JWT parts,
#: unknown key shapes, the tail of a key cut from its prefix elsewhere.
_LONG_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9_\-]{40})(?=[A-Za-z_\-]*[0-9])(?=[0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]+"
)
#: A whole run of key characters, 16 or more, that is not a path component
#: (nothing of ``/\\.~`` before it, no ``/`` or ``\\`` after it); kept unless
#: :func:`looks_random` says it is key material (a key's tail printed without
#: its prefix, a secret of unknown shape).
_KEY_RUN = re.compile(r"(?<![A-Za-z0-9_\-/\\.~])[A-Za-z0-9_\-]{16,}(?![A-Za-z0-9_\-/\\])")
#: An AWS secret access key: exactly 40 characters of base64 (``/`` and ``+``
#: included), standing alone; kept unless it looks random.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=_\-.~\\])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_\-\\])")
_CHAR_CLASS = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "U" * 26 + "L" * 26 + "D" * 10,
)
_CLASS_RUNS = re.compile(r"U+|L+|D+")
_NOT_CLASS = re.compile(r"[^ULD]+")


def looks_random(text: str) -> bool:
    """Whether ``text`` reads as random key material rather than a word, a name
    or an identifier: its letters and digits switch between upper case, lower
    case and digits at least once every three characters (and at least four
    times). Random base64 of 16 characters passes 99% of the time, hex 89%;
    ``MyProject2024-backend``, ``model-sonnet-4-5-20250929``,
    ``XMLHttpRequest2Handler`` and ``SOME_CLI_IGNORE_PERSISTED_TRUST`` do not.
    """
    classes = _NOT_CLASS.sub("", text.translate(_CHAR_CLASS))
    switches = len(_CLASS_RUNS.findall(classes)) - 1
    return switches >= max(4, len(classes) / 3)


def _random_or_kept(kind: RedactionKind) -> Callable[[re.Match[str]], str]:
    text = marker(kind)
    return lambda m: text if looks_random(m[0]) else m[0]


def _aws_secret(m: re.Match[str]) -> str:
    found = m[0]
    # A path such as "src/App/Main2" has many slashes and words; 40 random
    # base64 characters have one slash or none most of the time. One that
    # starts with a slash is taken only with no other (an absolute path has
    # more than one component).
    slashes = found.count("/")
    if slashes <= (1 if found.startswith("/") else 3) and looks_random(found):
        return marker(RedactionKind.RANDOM_TOKEN)
    return found


def _whole(kind: RedactionKind) -> Callable[[re.Match[str]], str]:
    text = marker(kind)
    return lambda _m: text


#: What separates the lines of a wrapped key: padding, a box's borders, the line break.
_WRAP = re.compile(rf"\n|[ \t]?[{_BORDERS}][ \t]*\n[ \t]*[{_BORDERS}][ \t]?")


def _api_key(m: re.Match[str]) -> str:
    # A wrapped key keeps its line breaks and box borders, so the screen keeps
    # its shape; the key's pieces are gone.
    return marker(RedactionKind.API_KEY) + "".join(_WRAP.findall(m[0]))


def _bearer(m: re.Match[str]) -> str:
    if m["scheme"] is not None:
        return m["scheme"] + m["sep"] + marker(RedactionKind.BEARER_TOKEN)
    return m["lower"] + m["lsep"] + marker(RedactionKind.BEARER_TOKEN)


def _authorization(m: re.Match[str]) -> str:
    return m["name"] + m["sep"] + marker(RedactionKind.AUTHORIZATION)


def _assigned_secret(m: re.Match[str]) -> str:
    current = m["dq"] if m["dq"] is not None else m["sq"] if m["sq"] is not None else m["bare"]
    if _MARKER.fullmatch(current):
        # Already redacted by a more specific rule: keep its more telling marker.
        return m[0]
    value = marker(RedactionKind.ASSIGNED_SECRET)
    if m["dq"] is not None:
        value = f'"{value}"'
    elif m["sq"] is not None:
        value = f"'{value}'"
    return m["name"] + m["sep"] + value


def _url_credentials(m: re.Match[str]) -> str:
    return m["scheme"] + marker(RedactionKind.URL_CREDENTIALS) + "@"


#: Applied in order. Headers and assignments run after keys, so a key inside
#: them is already gone and only the value's remainder is replaced.
REDACTION_RULES: tuple[RedactionRule, ...] = (
    RedactionRule("api_key", RedactionKind.API_KEY, _API_KEY, _api_key),
    RedactionRule("authorization_header", RedactionKind.AUTHORIZATION, _AUTHORIZATION, _authorization),
    RedactionRule("bearer_token", RedactionKind.BEARER_TOKEN, _BEARER, _bearer),
    RedactionRule("assigned_secret", RedactionKind.ASSIGNED_SECRET, _ASSIGNED_SECRET, _assigned_secret),
    RedactionRule("url_credentials", RedactionKind.URL_CREDENTIALS, _URL_CREDENTIALS, _url_credentials),
    RedactionRule("email", RedactionKind.EMAIL, _EMAIL, _whole(RedactionKind.EMAIL)),
    RedactionRule("jwt", RedactionKind.JWT, _JWT, _whole(RedactionKind.JWT)),
    RedactionRule("aws_secret", RedactionKind.RANDOM_TOKEN, _AWS_SECRET, _aws_secret),
    RedactionRule("long_token", RedactionKind.LONG_TOKEN, _LONG_TOKEN, _whole(RedactionKind.LONG_TOKEN)),
    RedactionRule("key_tail", RedactionKind.RANDOM_TOKEN, _KEY_RUN, _random_or_kept(RedactionKind.RANDOM_TOKEN)),
)


# --- home folder -------------------------------------------------------------

_PATH_CHARS = r"A-Za-z0-9_.~\-"


def _home_pattern(home: str) -> re.Pattern[str] | None:
    """A pattern for ``home`` as a whole path prefix, or None when replacing
    it would be meaningless or unsafe (empty, a root, not absolute, holds ``~``)."""
    trimmed = home.rstrip("/\\")
    absolute = trimmed.startswith(("/", "\\")) or re.match(r"[A-Za-z]:[\\/]", home) is not None
    if not absolute or "~" in trimmed or len(trimmed) < 2 or re.fullmatch(r"[A-Za-z]:", trimmed):
        return None
    return re.compile(rf"(?<![{_PATH_CHARS}]){re.escape(trimmed)}(?![{_PATH_CHARS}])")


def _strip_outside_markers(text: str) -> str:
    """Strip terminal controls, leaving the first pass's markers whole: a stray
    ``ESC SP`` before a marker would otherwise take its ``[`` as a final byte."""
    pieces: list[str] = []
    last = 0
    for found in _MARKER.finditer(text):
        pieces.append(strip_terminal_controls(text[last : found.start()]))
        pieces.append(found.group(0))
        last = found.end()
    pieces.append(strip_terminal_controls(text[last:]))
    return "".join(pieces)


def _apply_rules(text: str) -> str:
    for rule in REDACTION_RULES:
        text = rule.pattern.sub(rule.replace, text)
    return text


#: A colour code right before a short key prefix hides the prefix's word
#: boundary ("\x1b[0msk-..."): a space takes the code's place as the boundary.
_CODE_BEFORE_KEY = re.compile(rf"(?<=[A-Za-z0-9_\-])(\x1b\[[0-9;:]*m)(?={_SHORT_KEY_PREFIXES})")
#: Key characters glued to a key marker are the rest of that key (a colour
#: code inside the key split it; the marker took the part before the code).
_TOKEN_KINDS = (
    RedactionKind.API_KEY,
    RedactionKind.BEARER_TOKEN,
    RedactionKind.JWT,
    RedactionKind.LONG_TOKEN,
    RedactionKind.RANDOM_TOKEN,
)
_MARKER_TAIL = re.compile(rf"({'|'.join(re.escape(marker(kind)) for kind in _TOKEN_KINDS)})[{_KEY_CHARS}]+")


# --- values of the environment ------------------------------------------------

#: The shortest piece of an environment value that is looked for. Shorter
#: values are not looked for at all: they would match ordinary text.
SECRET_PIECE_CHARS = 8
#: Secret values up to this many characters in all are looked for piece by
#: piece; values beyond it only where they appear whole (memory stays bounded
#: whatever the environment holds).
SECRET_PIECES_BUDGET = 256 * 1024

#: Name segments (split on anything but letters and digits, upper-cased) that
#: mark a variable as secret: ``ANTHROPIC_API_KEY``, ``GITHUB_TOKEN``,
#: ``AWS_SECRET_ACCESS_KEY``, ``DB_PASSWORD``, ``NPM_CONFIG__AUTH``.
_SECRET_SEGMENTS = frozenset(
    {
        "KEY",
        "KEYS",
        "APIKEY",
        "TOKEN",
        "TOKENS",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "AUTH",
        "COOKIE",
        "COOKIES",
        "SIGNATURE",
        "PRIVATE",
        "PAT",
        "DSN",
    }
)
#: Glued forms (``GHTOKEN``, ``MYAPIKEY``) end with one of these.
_SECRET_SEGMENT_ENDINGS = ("APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD")
_NAME_SEGMENTS = re.compile(r"[^A-Za-z0-9]+")
_WHOLE_KEY = re.compile(rf"(?:{_API_KEY.pattern})|(?:{_JWT.pattern})", re.VERBOSE)
_LOOKS_LIKE_PATH = re.compile(r"(?:/|~/|[A-Za-z]:[\\/])")


def _skipped(ch: str) -> bool:
    """Characters a terminal puts between the pieces of a wrapped value: white
    space, line breaks, and box borders (``|`` and U+2500 to U+257F)."""
    return ch.isspace() or ch == "|" or "\u2500" <= ch <= "\u257f"


def _project(text: str) -> tuple[str, list[int]]:
    """``text`` without :func:`_skipped` characters, and where each one was."""
    kept = [i for i, ch in enumerate(text) if not _skipped(ch)]
    return "".join(text[i] for i in kept), kept


def _secret_name(name: str) -> bool:
    segments = [part for part in _NAME_SEGMENTS.split(name.upper()) if part]
    return any(part in _SECRET_SEGMENTS or part.endswith(_SECRET_SEGMENT_ENDINGS) for part in segments)


def _secret_shape(value: str) -> bool:
    """A value that is a key by its looks, whatever its variable's name."""
    if any(ch.isspace() for ch in value) or len(value) < 16:
        return False
    return _WHOLE_KEY.fullmatch(value) is not None or looks_random(value)


def _plain_path(value: str) -> bool:
    # GOOGLE_APPLICATION_CREDENTIALS=/home/ana/key.json names a file: the path
    # is not the secret, and paths must stay readable in diagnostics.
    return _LOOKS_LIKE_PATH.match(value) is not None and not looks_random(value)


@attrs.frozen(slots=True, repr=False, eq=False)
class EnvironmentSecrets:
    """The secret values of an environment, prepared for :func:`redact`.

    It holds pieces of the values themselves: keep it in memory only; never
    log, store or print it (its ``repr`` shows only a count).
    """

    #: Every :data:`SECRET_PIECE_CHARS`-character piece of every value, with
    #: white space and box borders left out.
    pieces: frozenset[str] = frozenset()
    #: Values beyond :data:`SECRET_PIECES_BUDGET`, looked for whole.
    whole: tuple[str, ...] = ()
    count: int = 0

    def __repr__(self) -> str:
        return f"EnvironmentSecrets(<{self.count} values>)"

    def __bool__(self) -> bool:
        return bool(self.pieces or self.whole)


NO_SECRETS = EnvironmentSecrets()


def environment_secrets(*envs: Mapping[str, str]) -> EnvironmentSecrets:
    """The values of ``envs`` that look secret, by their variable's name
    (a segment such as ``KEY``, ``TOKEN``, ``SECRET``, ``PASSWORD``) or by their
    own shape (a known key prefix, a JWT, a random-looking run of 16 or more
    characters). Values whose pieces would be shorter than
    :data:`SECRET_PIECE_CHARS`, and file paths named by a secret variable, are
    left out.
    """
    values: set[str] = set()
    for env in envs:
        for name, value in env.items():
            if not isinstance(value, str) or _plain_path(value):
                continue
            if _secret_name(name) or _secret_shape(value):
                values.add(value)
    pieces: set[str] = set()
    whole: list[str] = []
    budget = SECRET_PIECES_BUDGET
    count = 0
    for value in sorted(values, key=len):
        projected, _ = _project(value)
        if len(projected) < SECRET_PIECE_CHARS:
            continue
        count += 1
        if len(projected) > budget:
            whole.append(value)
            continue
        budget -= len(projected)
        width = SECRET_PIECE_CHARS
        pieces.update(projected[i : i + width] for i in range(len(projected) - width + 1))
    return EnvironmentSecrets(frozenset(pieces), tuple(whole), count)


def _redact_values(text: str, secrets: EnvironmentSecrets) -> str:
    """Every stretch of ``text`` made of pieces of the secret values, wrapped
    or not: the pieces are matched with white space, line breaks and box
    borders left out, and each covered run of characters between those
    becomes a marker, so the text keeps its lines and borders."""
    found = marker(RedactionKind.ENVIRONMENT_SECRET)
    for value in secrets.whole:
        text = text.replace(value, found)
    if not secrets.pieces:
        return text
    # Markers are opaque: a value that happens to hold "ENV_SECR" must not
    # eat a marker (NUL never occurs in an environment value).
    projected, where = _project(_MARKER.sub(lambda m: "\x00" * len(m[0]), text))
    width = SECRET_PIECE_CHARS
    covered = bytearray(len(projected))
    ones = b"\x01" * width
    pieces = secrets.pieces
    for i in range(len(projected) - width + 1):
        if projected[i : i + width] in pieces:
            covered[i : i + width] = ones
    out: list[str] = []
    last = 0
    j = 0
    while j < len(projected):
        if not covered[j]:
            j += 1
            continue
        start = where[j]
        end = start + 1
        j += 1
        while j < len(projected) and covered[j] and where[j] == end:
            end += 1
            j += 1
        out.append(text[last:start])
        out.append(found)
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str, *, home: str | None = None, secrets: EnvironmentSecrets | None = None) -> str:
    """``text`` without terminal controls, secrets, and (with ``home``) the home folder.

    Pure and idempotent. Secrets are replaced by markers such as
    ``[REDACTED_API_KEY]``; ``home`` (for instance ``/home/ana``) becomes ``~``
    wherever it appears as a whole path component prefix. With ``secrets``
    (:func:`environment_secrets` of the environment the text came from), no
    piece of :data:`SECRET_PIECE_CHARS` or more characters of those values is
    left, wherever it is, wrapped across lines or split by box borders.
    """
    out = _apply_rules(_strip_outside_markers(_apply_rules(_CODE_BEFORE_KEY.sub(r"\1 ", text))))
    out = _MARKER_TAIL.sub(r"\1", out)
    if secrets:
        out = _redact_values(out, secrets)
    if home:
        pattern = _home_pattern(home)
        if pattern is not None:
            out = pattern.sub("~", out)
    return out


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


def redact_screen(
    snapshot: TerminalSnapshot, *, home: str | None = None, secrets: EnvironmentSecrets | None = None
) -> str:
    """A rendered screen's text, redacted as :func:`redact` does, and with
    every secret the terminal wrapped across rows found whole: rows that run
    on to the last column (``snapshot.continued``) are read together with the
    next, and the top row with the rows that scrolled off above it
    (``snapshot.scrolled``, never shown). The rows keep their places; a
    wrapped secret leaves a marker in each row it reached."""
    rows = _wrapped_secrets(list(snapshot.lines), snapshot.continued, snapshot.scrolled)
    return redact("\n".join(rows).rstrip("\n"), home=home, secrets=secrets)


def redact_screen_tail(
    snapshot: TerminalSnapshot,
    *,
    home: str | None = None,
    secrets: EnvironmentSecrets | None = None,
    limit: int | None = RAW_TAIL_LIMIT,
) -> Redacted:
    """:func:`redact_screen`, then cut to its last ``limit`` UTF-8 bytes, as
    :func:`redact_tail` cuts: the tail of a failed session's last screen."""
    clean = Redacted(redact_screen(snapshot, home=home, secrets=secrets))
    return clean if limit is None else clean.tail(limit)[0]


def redact_tail(
    text: str,
    *,
    home: str | None = None,
    secrets: EnvironmentSecrets | None = None,
    limit: int | None = RAW_TAIL_LIMIT,
) -> Redacted:
    """``text`` redacted as :func:`redact` does, then cut to its last ``limit``
    UTF-8 bytes (never half a character; None keeps it whole): the one way the
    library makes a :class:`~workspace_trust.domain.text.Redacted` tail."""
    clean = Redacted(redact(text, home=home, secrets=secrets))
    return clean if limit is None else clean.tail(limit)[0]
