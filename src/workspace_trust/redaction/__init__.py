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

This package is the one public home of its names; each concern is a private
module: ``_patterns`` holds the rule table and the control sequences,
``_environment`` the environment's values, and ``_wrapped`` the secrets a
screen wrapped across rows. The passes themselves, the home folder and the
``Redacted`` tails are here.
"""

from __future__ import annotations

import re

from workspace_trust.domain.text import RAW_TAIL_LIMIT, Redacted
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.redaction._environment import NO_SECRETS as NO_SECRETS
from workspace_trust.redaction._environment import SECRET_PIECE_CHARS as SECRET_PIECE_CHARS
from workspace_trust.redaction._environment import EnvironmentSecrets as EnvironmentSecrets
from workspace_trust.redaction._environment import _redact_values
from workspace_trust.redaction._environment import environment_secrets as environment_secrets
from workspace_trust.redaction._patterns import _KEY_CHARS, _MARKER, _SHORT_KEY_PREFIXES
from workspace_trust.redaction._patterns import REDACTION_RULES as REDACTION_RULES
from workspace_trust.redaction._patterns import RedactionKind as RedactionKind
from workspace_trust.redaction._patterns import RedactionRule as RedactionRule
from workspace_trust.redaction._patterns import looks_random as looks_random
from workspace_trust.redaction._patterns import marker as marker
from workspace_trust.redaction._patterns import strip_terminal_controls as strip_terminal_controls
from workspace_trust.redaction._wrapped import _wrapped_secrets

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
