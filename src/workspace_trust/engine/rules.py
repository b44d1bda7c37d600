"""Dialog rules are data: one table per provider, walked by the engine.

A rule says which screen it recognises (all ``required`` texts, matched in the
dialog's own region), what that screen means (``outcome``), and, when a choice
must be made, which option to select *by its label*. Nothing in the engine
knows which provider a rule belongs to.
"""

from __future__ import annotations

import enum
import re

import attrs

from workspace_trust.domain.codes import Key
from workspace_trust.engine.snapshot import (
    TerminalSnapshot,
    compact,
    cursor_glyph_of,
    strip_frame,
)


class Phase(enum.Enum):
    """Startup phases, in the order a provider CLI can show them."""

    ONBOARDING = "onboarding"
    AUTH = "auth"
    RESUME = "resume"
    UPDATE = "update"
    WORKSPACE_TRUST = "workspace_trust"
    BYPASS_PERMISSIONS = "bypass_permissions"
    CUSTOM_API_KEY = "custom_api_key"
    NOTICE = "notice"
    READY = "ready"


PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)


class Outcome(enum.Enum):
    """What a recognised screen means for the session."""

    #: Select the option and confirm it, then keep going (e.g. skip an update).
    CONTINUE = "continue"
    #: Trust is decided by the success callback (the state probe). With an
    #: option to select, select and confirm it first; without one, observe only.
    CHECK_SUCCESS = "check_success"
    #: The provider needs a person to finish its setup. No keys.
    SETUP_REQUIRED = "setup_required"
    #: The provider needs credentials. No keys.
    AUTH_REQUIRED = "auth_required"
    #: A screen we recognise and must not continue through. At most the rule's
    #: ``abort_key`` (Escape) is sent.
    ABORT = "abort"


class RetryPolicy(enum.Enum):
    #: Confirm once per session.
    ONCE = "once"
    #: If the same dialog persists with the cursor still on the target, confirm
    #: once more after ``EngineTiming.enter_retry_ms``.
    TYPED_RETRY = "typed_retry"

    @property
    def max_confirms(self) -> int:
        return 1 if self is RetryPolicy.ONCE else 2


@attrs.frozen(slots=True)
class OptionLabel:
    """An option's label; ``prefix`` labels end in text the CLI fills in."""

    text: str
    prefix: bool = False

    def matches(self, body: str) -> bool:
        want = compact(self.text)
        got = compact(body)
        return got.startswith(want) if self.prefix else got == want


def _validate_rule(instance: DialogRule, _attribute: object, _value: object) -> None:
    if not instance.required:
        raise ValueError(f"rule {instance.id}: needs at least one required text")
    if instance.select is not None:
        if instance.select not in instance.options:
            raise ValueError(f"rule {instance.id}: selected option must be one of its options")
        if instance.select in instance.never_select:
            raise ValueError(f"rule {instance.id}: selects an option it forbids")
    if instance.select is None and instance.outcome is Outcome.CONTINUE:
        raise ValueError(f"rule {instance.id}: CONTINUE needs an option to select")
    if instance.abort_key is not None and (
        instance.outcome is not Outcome.ABORT or instance.abort_key is not Key.ESCAPE
    ):
        raise ValueError(f"rule {instance.id}: only ABORT rules may send Escape")


@attrs.frozen(slots=True)
class DialogRule:
    id: str
    phase: Phase
    required: tuple[str, ...] = attrs.field(validator=_validate_rule)
    outcome: Outcome
    options: tuple[OptionLabel, ...] = ()
    select: OptionLabel | None = None
    never_select: tuple[OptionLabel, ...] = ()
    retry: RetryPolicy = RetryPolicy.ONCE
    priority: int = 0
    abort_key: Key | None = None
    #: How long this dialog must be on screen before the first key, when it
    #: differs from ``EngineTiming.first_paint_settle_ms`` (measured per CLI).
    settle_ms: int | None = None
    #: The CLI undoes a move made while it settles, and redraws the cursor
    #: where it was: seeing that is the sign that the settle is over. With this
    #: set, the engine sends its first move as soon as the dialog is drawn; when
    #: the cursor is seen back on the option the move left, the settle ends there.
    #: Without that sign, the settle runs its full time as before. Only for a
    #: CLI measured to do this (``DialogEngine._probe_settle``).
    settle_ends_on_undo: bool = False
    #: CLI versions whose recorded screens this rule was written against.
    seen_on: tuple[str, ...] = ()
    note: str = ""


@attrs.frozen(slots=True)
class RuleTable:
    provider: str
    rules: tuple[DialogRule, ...]

    def __attrs_post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate rule ids in table {self.provider}")


_NUMBERING_RE = re.compile(r"^\(?\d{1,2}[.)]\s*")


@attrs.frozen(slots=True)
class OptionRow:
    row: int
    label: OptionLabel
    has_cursor: bool
    #: The row's text also matches one of the rule's ``never_select`` labels.
    forbidden: bool = False


@attrs.frozen(slots=True)
class RuleMatch:
    rule: DialogRule
    anchor_row: int
    option_rows: tuple[OptionRow, ...]

    @property
    def cursor_rows(self) -> tuple[OptionRow, ...]:
        return tuple(row for row in self.option_rows if row.has_cursor)

    def rows_for(self, label: OptionLabel) -> tuple[OptionRow, ...]:
        return tuple(row for row in self.option_rows if row.label == label)


def option_body(line: str) -> tuple[bool, str]:
    """Split a screen line into (starts with a cursor glyph, label text)."""
    body = strip_frame(line)
    glyph = cursor_glyph_of(line)
    if glyph is not None:
        body = body[len(glyph) :].lstrip()
    return glyph is not None, _NUMBERING_RE.sub("", body).strip()


def compact_with_rows(lines: tuple[str, ...]) -> tuple[str, list[int]]:
    """The frame's compacted text and, for each of its characters, its row.
    Computed once per frame and shared by every rule matched against it."""
    chars: list[str] = []
    rows: list[int] = []
    for index, line in enumerate(lines):
        piece = compact(line)
        chars.append(piece)
        rows.extend([index] * len(piece))
    return "".join(chars), rows


def match_rule(
    rule: DialogRule, snapshot: TerminalSnapshot, compacted: tuple[str, list[int]] | None = None
) -> RuleMatch | None:
    """Match a rule against the dialog region of a frame, or return None.

    The region starts at the *last* place the rule's first required text is
    drawn, so text left over from an earlier screen higher up cannot match.
    All required texts must appear at or below it (line wraps are tolerated).
    """
    text, rows = compacted if compacted is not None else compact_with_rows(snapshot.lines)
    anchor = compact(rule.required[0])
    start = text.rfind(anchor)
    if start < 0:
        return None
    region = text[start:]
    if any(compact(needle) not in region for needle in rule.required[1:]):
        return None
    anchor_row = rows[start]
    option_rows: list[OptionRow] = []
    for index in range(anchor_row, len(snapshot.lines)):
        has_cursor, body = option_body(snapshot.lines[index])
        if not body:
            continue
        forbidden = any(label.matches(body) for label in rule.never_select)
        for label in rule.options:
            if label.matches(body):
                option_rows.append(OptionRow(row=index, label=label, has_cursor=has_cursor, forbidden=forbidden))
                break
    return RuleMatch(rule=rule, anchor_row=anchor_row, option_rows=tuple(option_rows))
