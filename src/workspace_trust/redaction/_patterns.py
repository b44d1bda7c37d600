"""The shapes of secrets, as one table of precompiled rules, and the terminal
control sequences that are stripped between its two passes (the theory of
operation is in :mod:`workspace_trust.redaction`)."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable

import attrs


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
