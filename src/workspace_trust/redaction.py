"""Redaction of terminal text before it is stored anywhere.

Theory of operation
-------------------
Provider CLIs print things that must never reach a diagnostics artifact: Claude
Code 2.1.197 shows a partly masked API key (``sk-ant-...yz0123456789-ABCDEFG``)
on its "Detected a custom API key" screen, account screens show emails, and
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
6. optionally the user's home folder becomes ``~``.

The first pass exists because stripping is ambiguous: a stray ESC before
``" sk-ant-..."`` reads as the escape ``ESC SP s`` and would eat the ``s``
that identifies the key.

Properties the tests hold us to:

* A key is matched from its prefix onwards, with any run of key characters,
  dots, ``*`` and ellipses after it, so masked forms disappear as a whole. A
  key that ends a line also takes the first word of the next line when that
  word looks like key material (a digit, ``_``, ``-``, or mixed case), in
  case the terminal wrapped it (snapshot lines are right-trimmed, so the
  width is unknown). A wrapped remainder that is a plain word survives.
* Replacement markers match no rule, so ``redact(redact(t)) == redact(t)``.
* Every pattern starts only at the beginning of a run of its own characters
  (a negative look-behind), so the work is linear in the input size.

Redaction happens *before* any truncation: cutting first could leave a key's
tail without its prefix, which no rule recognises.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable

import attrs

__all__ = [
    "REDACTION_RULES",
    "RedactionKind",
    "RedactionRule",
    "marker",
    "redact",
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
_API_KEY = re.compile(
    rf"""
    (?:
        (?:sk-ant-|sk-proj-|sk-svcacct-|sk-admin-|AIza|github_pat_)[{_KEY_CHARS}]{{3,}}
      | (?<![A-Za-z0-9_\-])(?:{_SHORT_KEY_PREFIXES})[{_KEY_CHARS}]{{3,}}
      | (?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{{16}}(?![A-Za-z0-9])
    )
    (?:\n                                   # the rest of a key wrapped at a line's end:
        (?:(?=[{_KEY_CHARS}]*[0-9_\-])            #   a word with a digit, "_" or "-",
        | (?=[{_KEY_CHARS}]*[a-z])(?=[{_KEY_CHARS}]+[A-Z]))  # or mixed case ("Do" is not),
        [{_KEY_CHARS}]+(?![{_KEY_CHARS}])         #   masks ("...", "*") included
    )?
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
_ASSIGNED_SECRET = re.compile(
    r"""
    (?<![A-Za-z0-9_\-])
    (?P<name>[A-Za-z0-9_\-]*(?:api[_\-]?key|token|secret|passw(?:or)?d|credentials?)["']?)
    (?P<sep>[ \t]*[:=][ \t]*)
    (?:
        "(?P<dq>[^"\n]*)"
      | '(?P<sq>[^'\n]*)'
      | (?P<bare>[^\s"',;&}]+)
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


def _whole(kind: RedactionKind) -> Callable[[re.Match[str]], str]:
    text = marker(kind)
    return lambda _m: text


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
    RedactionRule("api_key", RedactionKind.API_KEY, _API_KEY, _whole(RedactionKind.API_KEY)),
    RedactionRule("authorization_header", RedactionKind.AUTHORIZATION, _AUTHORIZATION, _authorization),
    RedactionRule("bearer_token", RedactionKind.BEARER_TOKEN, _BEARER, _bearer),
    RedactionRule("assigned_secret", RedactionKind.ASSIGNED_SECRET, _ASSIGNED_SECRET, _assigned_secret),
    RedactionRule("url_credentials", RedactionKind.URL_CREDENTIALS, _URL_CREDENTIALS, _url_credentials),
    RedactionRule("email", RedactionKind.EMAIL, _EMAIL, _whole(RedactionKind.EMAIL)),
    RedactionRule("jwt", RedactionKind.JWT, _JWT, _whole(RedactionKind.JWT)),
    RedactionRule("long_token", RedactionKind.LONG_TOKEN, _LONG_TOKEN, _whole(RedactionKind.LONG_TOKEN)),
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
_TOKEN_KINDS = (RedactionKind.API_KEY, RedactionKind.BEARER_TOKEN, RedactionKind.JWT, RedactionKind.LONG_TOKEN)
_MARKER_TAIL = re.compile(rf"({'|'.join(re.escape(marker(kind)) for kind in _TOKEN_KINDS)})[{_KEY_CHARS}]+")


def redact(text: str, *, home: str | None = None) -> str:
    """``text`` without terminal controls, secrets, and (with ``home``) the home folder.

    Pure and idempotent. Secrets are replaced by markers such as
    ``[REDACTED_API_KEY]``; ``home`` (for instance ``/home/ana``) becomes ``~``
    wherever it appears as a whole path component prefix.
    """
    out = _apply_rules(_strip_outside_markers(_apply_rules(_CODE_BEFORE_KEY.sub(r"\1 ", text))))
    out = _MARKER_TAIL.sub(r"\1", out)
    if home:
        pattern = _home_pattern(home)
        if pattern is not None:
            out = pattern.sub("~", out)
    return out
