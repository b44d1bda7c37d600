"""Dialog rules are data: one table per provider, walked by the engine.

A rule says which screen it recognises (all ``required`` texts, matched in the
dialog's own region), what that screen means (``outcome``), and, when a choice
must be made, which option to select *by its label*. Nothing in the engine
knows which provider a rule belongs to.
"""

from __future__ import annotations

import enum
import re
from typing import ClassVar

import attrs

from workspace_trust.domain.codes import Code, Key, OpenValue
from workspace_trust.engine.snapshot import (
    TerminalSnapshot,
    compact,
    cursor_glyph_of,
    strip_frame,
)


class Phase(OpenValue):
    """A start-up phase a CLI can show a screen in. The phases every CLI has
    are here; a provider names its own in its rules module
    (``Phase.define("resume")``), and each rule table says in which order
    its CLI shows them (:attr:`RuleTable.phases`)."""

    ONBOARDING: ClassVar[Phase]
    AUTH: ClassVar[Phase]
    WORKSPACE_TRUST: ClassVar[Phase]
    NOTICE: ClassVar[Phase]
    READY: ClassVar[Phase]


Phase.ONBOARDING = Phase.define("onboarding", "ONBOARDING")
Phase.AUTH = Phase.define("auth", "AUTH")
Phase.WORKSPACE_TRUST = Phase.define("workspace_trust", "WORKSPACE_TRUST")
Phase.NOTICE = Phase.define("notice", "NOTICE")
Phase.READY = Phase.define("ready", "READY")

#: The order of the phases every CLI has: a table's default.
GENERIC_PHASES: tuple[Phase, ...] = (Phase.ONBOARDING, Phase.AUTH, Phase.WORKSPACE_TRUST, Phase.NOTICE, Phase.READY)


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
    #: The CLI says it is exiting because the folder was not trusted: its
    #: decline option was taken. No key; the session ends, nothing trusted.
    DECLINED = "declined"


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
    """An option's label, matched whole (case and spacing aside).

    ``filled`` is for a label with a name the CLI fills in and then closes:
    ``OptionLabel("Trust folder (", filled=")")`` is "Trust folder (NAME)" and
    nothing more, NAME being any text whose brackets pair up ("project (copy)"
    is a name), so a new suffix ("Trust folder (NAME) and its parents (P)") is
    no match: a new variant, to record and judge. ``prefix`` matches whatever follows the text; it
    recognises screens and names options never to select, and a rule may not
    select by it (``DialogRule``'s checks)."""

    text: str
    prefix: bool = False
    filled: str | None = None

    def matches(self, body: str) -> bool:
        want = compact(self.text)
        got = compact(body)
        if self.filled is not None:
            closing = compact(self.filled)
            name = got[len(want) : len(got) - len(closing)]
            return got.startswith(want) and got.endswith(closing) and bool(name) and _pairs_up(name)
        return got.startswith(want) if self.prefix else got == want


_BRACKETS = {")": "(", "]": "[", "}": "{"}


def _pairs_up(text: str) -> bool:
    """Every closing bracket in ``text`` closes one opened before it, and all
    are closed: the text could be a name, not a name, its closing mark and
    more words."""
    depth = dict.fromkeys(_BRACKETS, 0)
    for char in text:
        if char in _BRACKETS.values():
            depth[next(c for c, o in _BRACKETS.items() if o == char)] += 1
        elif char in _BRACKETS:
            depth[char] -= 1
            if depth[char] < 0:
                return False
    return not any(depth.values())


def _validate_rule(instance: DialogRule, _attribute: object, _value: object) -> None:
    if not instance.required:
        raise ValueError(f"rule {instance.id}: needs at least one required text")
    if instance.select is not None:
        if instance.select not in instance.options:
            raise ValueError(f"rule {instance.id}: selected option must be one of its options")
        if instance.select in instance.never_select:
            raise ValueError(f"rule {instance.id}: selects an option it forbids")
        if instance.select.prefix:
            # A prefix would take any new suffix, which may widen what is
            # trusted: an option is selected by its whole label.
            raise ValueError(f"rule {instance.id}: selects an option by a prefix of its label")
    if instance.select is not None and instance.outcome is Outcome.DECLINED:
        raise ValueError(f"rule {instance.id}: a DECLINED screen selects nothing")
    if instance.select is None and instance.outcome is Outcome.CONTINUE:
        raise ValueError(f"rule {instance.id}: CONTINUE needs an option to select")
    if instance.abort_key is not None and (
        instance.outcome is not Outcome.ABORT or instance.abort_key is not Key.ESCAPE
    ):
        raise ValueError(f"rule {instance.id}: only ABORT rules may send Escape")
    if instance.scope_after is not None and instance.select is None:
        raise ValueError(f"rule {instance.id}: a scope is only read on a dialog with an option to select")
    if instance.refuse_input_ms < 0:
        raise ValueError(f"rule {instance.id}: refuse_input_ms cannot be negative")


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
    #: Texts that, drawn in the dialog's region, mean this rule does NOT match
    #: (a screen that says more than the rule was written for: another scope,
    #: another option). Matched like ``required``, wraps tolerated.
    excluded: tuple[str, ...] = ()
    #: The CLI refuses every key sent this soon after the dialog is first drawn
    #: (and restarts that window on each refused key): no key at all, not even
    #: a settle probe, is sent before it has passed since the engine first saw
    #: the dialog.
    refuse_input_ms: int = 0
    #: The dialog prints the folder its option trusts on the lines after this
    #: text (a repository root, not the folder itself). The engine reads it on
    #: every frame and sends no key unless the session's scope check approves
    #: it (``DialogEngine(scope_check=...)``); a scope it cannot read or that is
    #: not approved ends the session with no key. The scope ends at a line
    #: holding one of ``scope_until``, an option row, or a blank line.
    scope_after: str | None = None
    scope_until: tuple[str, ...] = ()
    #: What trusting through this dialog covers, as the result reports it:
    #: ``"repository"`` when the option trusts the whole repository.
    trust_scope: str | None = None
    #: The result's code when the session ends on this rule without trust
    #: (an ABORT rule: a dialog recognised and never answered), and what it
    #: tells the host. None: the outcome's own code.
    code: Code | None = None
    message: str = ""
    #: CLI versions whose recorded screens this rule was written against.
    seen_on: tuple[str, ...] = ()
    note: str = ""


@attrs.frozen(slots=True)
class RuleTable:
    provider: str
    rules: tuple[DialogRule, ...]
    #: The phases this CLI can show screens in, in the order it shows them:
    #: once a rule of one phase has been confirmed, rules of earlier phases
    #: are no longer looked at (the engine's safety rule 6).
    phases: tuple[Phase, ...] = GENERIC_PHASES

    def __attrs_post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate rule ids in table {self.provider}")
        if len(set(self.phases)) != len(self.phases):
            raise ValueError(f"a phase is listed twice in table {self.provider}")
        unordered = sorted({rule.phase.value for rule in self.rules if rule.phase not in self.phases})
        if unordered:
            raise ValueError(f"table {self.provider} does not place phase(s) {', '.join(unordered)} in its order")

    def phase_index(self, phase: Phase) -> int:
        """Where ``phase`` comes in this CLI's start-up."""
        return self.phases.index(phase)


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
    if any(compact(needle) in region for needle in rule.excluded):
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


def read_scope(match: RuleMatch, snapshot: TerminalSnapshot) -> str | None:
    """The folder a scoped dialog says its option trusts (``DialogRule.scope_after``),
    as drawn: the rest of the marker's line and the lines after it, each
    without the frame, joined without separators (a long path wraps). None
    when the marker is not drawn on one line of the dialog's region, or
    nothing follows it."""
    rule = match.rule
    if rule.scope_after is None:
        return None
    marker = compact(rule.scope_after)
    until = tuple(compact(text) for text in rule.scope_until)
    option_rows = {row.row for row in match.option_rows}
    lines = snapshot.lines
    found: int | None = None
    for index in range(match.anchor_row, len(lines)):
        if marker in compact(lines[index]):
            found = index
    if found is None:
        return None
    # Whatever follows the marker on its own line (nothing, on Claude 2.1.337).
    rest = _after_marker(strip_frame(lines[found]), rule.scope_after)
    pieces = [rest] if rest else []
    for index in range(found + 1, len(lines)):
        line = lines[index]
        piece = strip_frame(line)
        squeezed = compact(line)
        if not piece or index in option_rows or cursor_glyph_of(line) is not None:
            break
        if any(stop in squeezed for stop in until):
            break
        pieces.append(piece)
    scope = "".join(pieces)
    return scope or None


def _after_marker(line: str, marker: str) -> str:
    """What follows ``marker`` on ``line`` (spacing as drawn), or "" when the
    line does not hold the marker as written."""
    at = line.find(marker)
    if at < 0:
        return ""
    return line[at + len(marker) :].strip()
