"""Every recorded fixture under fixtures/snapshots/ replays to its recorded decisions.

* The real runner and engine, on a fake clock driven by the recorded times, send
  exactly the recorded keys, in order, no later than recorded, each to the screen
  it was recorded on, and none to a screen no rule recognises.
* They send the same keys however the bytes are split into chunks and frames.
* The checkpoint verdicts (rule + the key the engine works toward) hold on the
  screens as recorded and under any chunk split.
* The rendered screen of every checkpoint matches its golden ``.screens.txt``.
"""

from __future__ import annotations

import difflib
import glob
import os
import re

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workspace_trust.adapters.screen import ScreenRenderer
from workspace_trust.domain.codes import Key, Provider
from workspace_trust.engine.dialog import Action, Decision, DialogEngine
from workspace_trust.engine.rules import Outcome, match_rule, option_body
from workspace_trust.engine.snapshot import TerminalSnapshot, cursor_glyph_of
from workspace_trust.fixtures import (
    SCREEN_HEADER,
    Event,
    Fixture,
    ReplayedKey,
    ReplaySession,
    SessionReplay,
    load_fixture,
    render_checkpoints,
    render_screens,
    replay_engine,
    replay_session,
    save_fixture,
    screen_verdict,
    screens_path,
)
from workspace_trust.fixtures._replay import _trace  # the trace alone, on a hand-made session
from workspace_trust.providers import all_specs, rule_table
from workspace_trust.redaction import redact
from workspace_trust.session import SessionEnd, SessionFrame
from workspace_trust.testing import FakeClock

ROOT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "snapshots")
FIXTURES = sorted(glob.glob(os.path.join(ROOT, "*", "*", "*.json")))
IDS = [os.path.relpath(p, ROOT).removesuffix(".json") for p in FIXTURES]

#: Every version a provider's spec says it was verified on has its fixtures
#: (tests/test_versions.py ties the specs to real-clis.txt).
REQUIRED = {(spec.id.value, version) for spec in all_specs() for version in spec.verified_versions}


def test_fixtures_cover_every_promised_cli_version() -> None:
    present = {(load_fixture(p).provider, load_fixture(p).cli_version) for p in FIXTURES}
    assert present >= REQUIRED, f"missing fixtures for {sorted(REQUIRED - present)}"


def test_fixture_folders_name_their_cli_version() -> None:
    for path in FIXTURES:
        fixture = load_fixture(path)
        provider_dir, version_dir = os.path.relpath(path, ROOT).split(os.sep)[:2]
        assert (provider_dir, version_dir) == (fixture.provider, fixture.cli_version)


@pytest.fixture(params=FIXTURES, ids=IDS)
def fixture(request: pytest.FixtureRequest) -> Fixture:
    return load_fixture(request.param)


def _recorded_keys(fixture: Fixture) -> list[Key]:
    return [e.key for e in fixture.events if e.key is not None]


def _replay(fixture: Fixture, **kwargs: object) -> SessionReplay:
    return replay_session(fixture, rule_table(Provider(fixture.provider)), **kwargs)  # type: ignore[arg-type]


# -- the engine itself, over the recorded sessions ---------------------------------


def test_the_engine_sends_the_recorded_keys(fixture: Fixture) -> None:
    replay = _replay(fixture)
    assert replay.problems == ()
    assert [k.key for k in replay.keys] == _recorded_keys(fixture)
    for sent in replay.keys:
        # The recording shows nothing of the CLI after a key's recorded time, so
        # the engine must have decided by then (here, 2-29 ms before).
        assert sent.late_ms is not None and sent.late_ms <= 0, (
            f"{sent.key.value} sent {sent.late_ms} ms after the recorded time: the engine now waits "
            "longer than when this fixture was recorded; re-record it (scripts/record_fixtures.py)"
        )
        assert sent.rule is not None and sent.rule == sent.screen_rule == sent.recorded_rule


def test_a_session_the_engine_finishes_ends_as_its_rule_says(fixture: Fixture) -> None:
    replay = _replay(fixture)
    finishes = {"claude.theme_onboarding": SessionEnd.SETUP_REQUIRED, "codex.auth_picker": SessionEnd.AUTH_REQUIRED}
    # A dialog a rule recognises and never answers ends the session there.
    finishes.update(
        {
            rule.id: SessionEnd.ABORTED
            for rule in rule_table(Provider(fixture.provider)).rules
            if rule.outcome is Outcome.ABORT
        }
    )
    last_rule = fixture.checkpoints[-1].rule
    if last_rule in finishes:
        assert replay.outcome.end is finishes[last_rule]
    else:
        # Nothing in a recording says trust was saved; the replay's state probe never does.
        assert replay.outcome.end in (SessionEnd.PROVIDER_EXITED, SessionEnd.TRUST_NOT_PERSISTED)


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_the_engine_sends_the_same_keys_however_the_output_is_split(path: str, data: st.DataObject) -> None:
    """Each piece is a frame of its own, at its chunk's recorded time: screens
    half drawn, sequences and characters cut in two. The keys, and the rules
    they are sent for, do not change, and none goes to an unrecognised screen."""
    fixture = load_fixture(path)
    size = len(fixture.data)
    splits = data.draw(st.lists(st.integers(1, max(1, size - 1)), max_size=40)) if size > 1 else []
    whole = _replay(fixture)
    split = _replay(fixture, splits=splits, coalesce=False)
    assert split.problems == ()
    assert [(k.key, k.rule) for k in split.keys] == [(k.key, k.rule) for k in whole.keys]


# -- the replay's checks can fail ------------------------------------------------

TRUST_330 = os.path.join(ROOT, "claude", "2.1.330", "trust-accept.json")


def _with_keys(fixture: Fixture, change: dict[int, Key | None]) -> Fixture:
    """``fixture`` with recorded key N replaced (or, for None, removed)."""
    events: list[Event] = []
    number = 0
    for event in fixture.events:
        if event.key is not None:
            number += 1
            if number in change:
                replacement = change[number]
                if replacement is not None:
                    events.append(attrs.evolve(event, key=replacement))
                continue
        events.append(event)
    return attrs.evolve(fixture, events=tuple(events))


def test_a_wrong_key_fails_the_replay_and_ends_it() -> None:
    fixture = _with_keys(load_fixture(TRUST_330), {1: Key.UP})
    replay = _replay(fixture)
    assert any("the recording sent up" in p for p in replay.problems), replay.problems
    # Nothing recorded after the Up can be replayed: the run stops at the key.
    assert [k.key for k in replay.keys] == [Key.DOWN]
    assert replay.outcome.end is SessionEnd.CANCELLED


def test_an_extra_key_fails_the_replay() -> None:
    recorded = load_fixture(TRUST_330)
    fixture = _with_keys(recorded, {len(_recorded_keys(recorded)): None})  # the last one, Enter
    replay = _replay(fixture)
    assert any("extra, the recording sent no more keys" in p for p in replay.problems), replay.problems


def test_a_missing_key_fails_the_replay() -> None:
    recorded = load_fixture(TRUST_330)
    last = recorded.events[-1]
    fixture = attrs.evolve(recorded, events=(*recorded.events, Event(t=last.t + 10, key=Key.ENTER)))
    replay = _replay(fixture)
    assert replay.problems == ("recorded key enter was never sent",)


def test_a_key_sent_before_its_screen_was_recorded_is_never_matched() -> None:
    # The recorded Down moved before everything the CLI drew: what followed it
    # (the dialog among it) is held back until the engine sends it, which it
    # cannot, on a screen no rule recognises.
    recorded = load_fixture(TRUST_330)
    events = list(recorded.events)
    down = events.pop(next(i for i, e in enumerate(events) if e.key is Key.DOWN))
    fixture = attrs.evolve(recorded, events=(attrs.evolve(down, t=0), *events))
    replay = _replay(fixture)
    assert replay.problems == tuple(f"recorded key {key.value} was never sent" for key in _recorded_keys(recorded))
    assert replay.keys == ()


def test_a_late_key_is_measured() -> None:
    # The recorded Down moved 100 ms earlier: the engine's settle time makes it late.
    recorded = load_fixture(TRUST_330)
    events = tuple(attrs.evolve(e, t=e.t - 100) if e.key is Key.DOWN else e for e in recorded.events)
    replay = _replay(attrs.evolve(recorded, events=events))
    late = replay.keys[0].late_ms
    assert late is not None and late > 0


class _KeyOnEveryScreen(DialogEngine):
    """An engine with the safety rule broken: it presses Down on a blank screen."""

    def observe(self, snapshot: TerminalSnapshot) -> Decision:
        if snapshot.is_blank:
            return Decision(Action.PRESS, snapshot.frame, key=Key.DOWN)
        return super().observe(snapshot)


def test_a_key_to_an_unrecognised_screen_fails_the_replay() -> None:
    fixture = load_fixture(TRUST_330)
    table = rule_table(Provider.CLAUDE)
    replay = replay_session(fixture, table, engine=_KeyOnEveryScreen(table))
    assert any("sent to a screen no rule recognises" in p for p in replay.problems), replay.problems


@pytest.mark.parametrize(
    ("screen_rule", "recorded_rule", "problem"),
    [
        (None, "claude.workspace_trust", "sent to a screen no rule recognises"),
        ("claude.workspace_trust", "claude.ready", "the recorded screen before that key is claude.ready"),
    ],
)
def test_problems_name_a_key_sent_to_another_screen(screen_rule: str | None, recorded_rule: str, problem: str) -> None:
    sent = ReplayedKey(Key.DOWN, 10, "claude.workspace_trust", screen_rule, Key.DOWN, 12, recorded_rule)
    replay = attrs.evolve(_replay(load_fixture(TRUST_330)), keys=(sent,), recorded_keys=(Key.DOWN,))
    assert replay.problems == (f"key 1 (down at t=10 ms, rule claude.workspace_trust): {problem}",)


# -- the replay trace (workspace-trust replay) --------------------------------------


def test_the_trace_shows_every_key_and_the_end_of_the_run(fixture: Fixture) -> None:
    replay = _replay(fixture)
    frames = replay.frames
    assert list(frames) == replay_engine(fixture, rule_table(Provider(fixture.provider)))
    assert [f.key for f in frames if f.action == "press"] == [k.value for k in _recorded_keys(fixture)]
    assert all(f.key is None for f in frames if f.rule is None)
    assert all(f.recorded_key_next == f.key for f in frames if f.action == "press")
    assert [f.t for f in frames] == sorted(f.t for f in frames)
    outputs = [i for i, e in enumerate(fixture.events) if e.out is not None]
    if replay.outcome.end is SessionEnd.PROVIDER_EXITED:
        # The recording ran out: everything in it was shown.
        assert frames[-1].event == outputs[-1]
    else:
        # The engine finished, or the runner's own time limit came first
        # (codex 0.169.0 non-git-folder: 8 s after its main screen, trust_not_persisted).
        assert frames[-1].event <= outputs[-1]


# -- timing-free checkpoints -----------------------------------------------------


def test_checkpoints_hold_as_recorded(fixture: Fixture) -> None:
    table = rule_table(Provider(fixture.provider))
    verdicts = dict(render_checkpoints(fixture, table))
    assert fixture.checkpoints, "a fixture must state its expected decisions"
    for checkpoint in fixture.checkpoints:
        got = verdicts[checkpoint.event]
        assert (got.rule, got.want) == (checkpoint.rule, checkpoint.want), checkpoint


def test_the_verdict_is_the_first_key_the_engine_sends_on_that_screen(fixture: Fixture) -> None:
    """The timing-free verdict and the engine agree on every recorded screen:
    a fresh engine, held on the screen, sends the verdict's key first (or none)."""
    table = rule_table(Provider(fixture.provider))
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    for event in fixture.events:
        if event.out is None:
            continue
        renderer.feed(fixture.chunk(event))
        renderer.take_replies()
        screen = renderer.lines()
        engine = DialogEngine(table, scope_check=fixture.scope_check)
        first = None
        for frame in range(1, 20):
            decision = engine.observe(TerminalSnapshot(lines=screen, frame=frame, elapsed_ms=frame * 100))
            if decision.key is not None or decision.action is Action.FINISH:
                first = decision.key
                break
        verdict = screen_verdict(table, screen)
        assert (verdict.rule, verdict.want) == (engine.last_rule_id, first.value if first else "none")


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_checkpoints_do_not_depend_on_chunk_splits(path: str, data: st.DataObject) -> None:
    fixture = load_fixture(path)
    table = rule_table(Provider(fixture.provider))
    size = len(fixture.data)
    splits = data.draw(st.lists(st.integers(1, max(1, size - 1)), max_size=60)) if size > 1 else []
    checkpoints = {c.event for c in fixture.checkpoints}
    verdicts = dict(render_checkpoints(fixture, table, splits, events=checkpoints))
    for checkpoint in fixture.checkpoints:
        got = verdicts[checkpoint.event]
        assert (got.rule, got.want) == (checkpoint.rule, checkpoint.want)


# -- golden screens ----------------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_rendered_checkpoint_screens_match_their_golden_file(path: str) -> None:
    golden = screens_path(path)
    with open(golden, encoding="utf-8") as handle:
        want = handle.read()
    got = render_screens(load_fixture(path))
    if got != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True), got.splitlines(keepends=True), golden, "rendered now", n=2
            )
        )
        pytest.fail(
            f"the rendering of {os.path.relpath(path, ROOT)} changed; review the diff, and if it is "
            f"intended run .venv/bin/python scripts/render_fixture_screens.py\n{diff}"
        )


def test_every_checkpoint_has_its_screen_in_the_golden_file(fixture: Fixture) -> None:
    text = render_screens(fixture)
    headers = [line.split()[2] for line in text.splitlines() if line.startswith(SCREEN_HEADER)]
    assert headers == [str(c.event) for c in fixture.checkpoints]
    # Every other line is a comment, a blank separator or a screen row behind "|".
    assert all(line == "" or line[0] in "#|@" for line in text.splitlines())


def test_save_fixture_writes_the_golden_screens(tmp_path: os.PathLike[str]) -> None:
    fixture = load_fixture(TRUST_330)
    out = os.path.join(str(tmp_path), "copy.json")
    save_fixture(out, fixture)
    with open(screens_path(out), encoding="utf-8") as handle:
        assert handle.read() == render_screens(fixture)
    assert load_fixture(out) == fixture


#: Key-shaped text the fixtures were recorded with on purpose (fixtures/snapshots/README.md).
DOCUMENTED_FAKES = ("NOTAREALKEY", "not-a-real-key")
_PRIVATE = re.compile(r"/home/|/Users/|/root/|[\w.+-]+@[\w-]+\.[\w.]+")


def test_golden_screens_hold_no_secrets_or_private_paths() -> None:
    for path in FIXTURES:
        with open(screens_path(path), encoding="utf-8") as handle:
            rows = [line[1:] for line in handle if line.startswith("|")]
        for row in rows:
            if not any(fake in row for fake in DOCUMENTED_FAKES):
                assert redact(row) == row, (path, row)
            assert _PRIVATE.search(row) is None, (path, row)


# -- the near-miss property (screens damaged the ways a screen can mislead) ---------


def _enter_screens() -> list[tuple[str, tuple[str, ...]]]:
    """Every recorded screen on which the rules want Enter (a trust dialog with the
    cursor on the trust option), with its fixture's provider. Screens whose
    option trusts a scope read off the screen (a repository root) are left out:
    the engine confirms them only with the recording's scope check."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for path in FIXTURES:
        fixture = load_fixture(path)
        table = rule_table(Provider(fixture.provider))
        renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
        for event in fixture.events:
            if event.out is None:
                continue
            renderer.feed(fixture.chunk(event))
            renderer.take_replies()
            lines = renderer.lines()
            verdict = screen_verdict(table, lines)
            scoped = any(rule.id == verdict.rule and rule.scope_after is not None for rule in table.rules)
            if verdict.want == "enter" and not scoped:
                out.append((fixture.provider, lines))
                break
    return out


ENTER_SCREENS = _enter_screens()


def test_every_trust_dialog_fixture_gives_a_screen_that_wants_enter() -> None:
    # The near-miss property below is only as good as its seeds: each is a
    # screen the engine, left on it, does confirm.
    assert {provider for provider, _ in ENTER_SCREENS} == {"claude", "codex", "gemini", "qwen", "copilot"}
    for provider, screen in ENTER_SCREENS:
        engine = DialogEngine(rule_table(Provider(provider)))
        keys = [engine.observe(TerminalSnapshot(lines=screen, frame=f, elapsed_ms=f * 100)).key for f in range(1, 40)]
        assert Key.ENTER in keys, provider


def _swap_label(line: str, labels: set[str], replacement: str) -> str:
    for label in labels:
        if label in line:
            return line.replace(label, replacement)
    return line


def _glyph_rows(lines: tuple[str, ...]) -> list[str]:
    """The option text of every row that starts with a cursor glyph (frame,
    glyph and numbering removed), as a label is matched against it: a label
    that is the start of another ("Yes" and "Yes, and remember this folder")
    is told apart from it by its own exact or prefix rule."""
    return [option_body(line)[1] for line in lines if cursor_glyph_of(line) is not None]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_near_miss_screens_never_get_enter_off_the_trust_row(data: st.DataObject) -> None:
    """Real trust dialogs, damaged the ways a screen can mislead: lines lost, the
    cursor glyph moved to another row, the trust label swapped for a forbidden one.
    Whatever the engine does over many frames, it presses Enter only where the
    cursor row carries the trust label and no forbidden one, and it sends a key
    only on a screen a rule recognises."""
    provider, seed = data.draw(st.sampled_from(ENTER_SCREENS))
    table = rule_table(Provider(provider))
    lines = list(seed)
    rows = [i for i, line in enumerate(lines) if line.strip()]
    for i in data.draw(st.sets(st.sampled_from(rows), max_size=len(rows))):
        lines[i] = ""
    if data.draw(st.booleans()):
        glyph_rows = [i for i, line in enumerate(lines) if cursor_glyph_of(line) is not None]
        others = [i for i, line in enumerate(lines) if line.strip() and i not in glyph_rows]
        if glyph_rows and others:
            source = data.draw(st.sampled_from(glyph_rows))
            target = data.draw(st.sampled_from(others))
            glyph = cursor_glyph_of(lines[source])
            assert glyph is not None
            lines[source] = lines[source].replace(glyph, " ", 1)
            lines[target] = f"{glyph} {lines[target].strip()}"
    forbidden = [label.text for rule in table.rules for label in rule.never_select]
    selects = {rule.select.text for rule in table.rules if rule.select is not None}
    swap_labels: bool = data.draw(st.booleans())
    if forbidden and swap_labels:
        swap = data.draw(st.sampled_from(forbidden))
        lines = [_swap_label(line, selects, swap) for line in lines]
    screen = tuple(lines)
    snapshot = TerminalSnapshot(lines=screen, frame=1, elapsed_ms=0)
    engine = DialogEngine(table)
    for frame in range(1, 40):
        decision = engine.observe(TerminalSnapshot(lines=screen, frame=frame, elapsed_ms=frame * 100))
        if decision.key is None:
            continue
        # Some rule of the table, matched on its own (not the engine's choice), recognises it.
        assert any(match_rule(rule, snapshot) is not None for rule in table.rules), screen
        if decision.key is Key.ENTER:
            rule = next(r for r in table.rules if r.id == decision.rule_id)
            assert rule.select is not None  # Enter confirms a selection, nothing else
            cursor_rows = _glyph_rows(screen)
            assert any(rule.select.matches(row) for row in cursor_rows), screen
            assert not any(f.matches(row) for row in cursor_rows for f in rule.never_select), screen
        if decision.action is Action.FINISH:
            break


def rules_firing_per_version() -> dict[tuple[str, str], set[str]]:
    """(provider, rule id) -> the fixture versions on whose screens the rule
    recognises a frame: a rule that selects an option where it wins the screen,
    an observe-only rule (a notice, the ready screen) wherever it matches, since
    another rule may outrank it on the same screen (Copilot's tip beside its
    login prompt)."""
    fired: dict[tuple[str, str], set[str]] = {}
    for path in FIXTURES:
        fx = load_fixture(path)
        table = rule_table(Provider(fx.provider))
        observers = [rule for rule in table.rules if rule.select is None]
        renderer = ScreenRenderer(columns=fx.columns, lines=fx.rows)
        for event in fx.events:
            if event.out is None:
                continue
            start, length = event.out
            renderer.feed(fx.data[start : start + length])
            renderer.take_replies()
            lines = tuple(renderer.lines())
            winner = screen_verdict(table, lines).rule
            snapshot = TerminalSnapshot(lines=lines, frame=1, elapsed_ms=0)
            seen = {winner} | {rule.id for rule in observers if match_rule(rule, snapshot) is not None}
            for rule_id in seen - {None}:
                fired.setdefault((fx.provider, str(rule_id)), set()).add(fx.cli_version)
    return fired


def test_every_rules_seen_on_is_the_fixture_versions_where_it_fires() -> None:
    """``seen_on`` is what a rule was verified on: exactly the versions of the
    recorded fixtures on whose screens it recognises a frame (none for a rule
    no fixture shows)."""
    fired = rules_firing_per_version()
    wrong = {}
    for provider in {load_fixture(p).provider for p in FIXTURES}:
        for rule in rule_table(Provider(provider)).rules:
            want = fired.get((provider, rule.id), set())
            if set(rule.seen_on) != want:
                wrong[rule.id] = (sorted(rule.seen_on), sorted(want))
    assert not wrong, f"seen_on (declared, fixtures) differ: {wrong}"


def test_the_trace_shows_only_keys_the_runner_sent() -> None:
    """A key the engine decided on a frame where the CLI had already exited is
    not sent (the runner's rule), and the trace does not show it as sent."""
    fixture = load_fixture(TRUST_330)
    table = rule_table(Provider.CLAUDE)
    session = ReplaySession(fixture, table, FakeClock())
    decision = Decision(Action.PRESS, 1, key=Key.DOWN, rule_id="claude.workspace_trust")
    session.reads.append((1, 400, 0, True))
    session.seen(SessionFrame(TerminalSnapshot(lines=(), frame=1, elapsed_ms=400), decision))
    (frame,) = _trace(fixture, table, session)
    assert (frame.action, frame.key, frame.recorded_key_next) == ("press", None, "down")
    session.seen(SessionFrame(TerminalSnapshot(lines=(), frame=1, elapsed_ms=400), decision, Key.DOWN))
    (frame,) = _trace(fixture, table, session)
    assert frame.key == "down"
