"""The values of an environment that look secret, and every stretch of a text
made of their pieces, however the terminal wrapped or boxed them."""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from workspace_trust.redaction._patterns import _API_KEY, _JWT, _MARKER, RedactionKind, looks_random, marker

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
