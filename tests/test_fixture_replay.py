"""Every recorded fixture under fixtures/snapshots/ replays to its expected decisions.

* The checkpoint verdicts (rule + wanted key) hold on the screens as recorded.
* They hold however the bytes are split into chunks (hypothesis chooses the splits).
* On every intermediate screen no rule recognises, the engine sends no key.
"""

from __future__ import annotations

import glob
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workspace_trust.adapters.screen import ScreenRenderer
from workspace_trust.domain.codes import Key, Provider
from workspace_trust.engine.dialog import Action, DialogEngine
from workspace_trust.engine.rules import option_body
from workspace_trust.engine.snapshot import TerminalSnapshot, cursor_glyph_of
from workspace_trust.fixtures import Fixture, load_fixture, render_checkpoints, replay_engine, screen_verdict
from workspace_trust.providers.tables import rule_table

ROOT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "snapshots")
FIXTURES = sorted(glob.glob(os.path.join(ROOT, "*", "*", "*.json")))
IDS = [os.path.relpath(p, ROOT).removesuffix(".json") for p in FIXTURES]

#: The CLI versions the suite promises fixtures for.
REQUIRED = {
    ("claude", "2.1.119"),
    ("claude", "2.1.197"),
    ("claude", "2.1.330"),
    ("codex", "0.125.0"),
    ("codex", "0.169.0"),
    ("gemini", "0.61.0"),
    ("copilot", "1.0.80"),
    ("copilot", "1.0.89"),
    ("copilot", "1.0.102"),
}


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


def test_checkpoints_hold_as_recorded(fixture: Fixture) -> None:
    table = rule_table(Provider(fixture.provider))
    verdicts = {event: verdict for event, verdict, _ in render_checkpoints(fixture, table)}
    assert fixture.checkpoints, "a fixture must state its expected decisions"
    for checkpoint in fixture.checkpoints:
        got = verdicts[checkpoint.event]
        assert (got.rule, got.want) == (checkpoint.rule, checkpoint.want), checkpoint


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_checkpoints_do_not_depend_on_chunk_splits(path: str, data: st.DataObject) -> None:
    fixture = load_fixture(path)
    table = rule_table(Provider(fixture.provider))
    size = len(fixture.data)
    splits = data.draw(st.lists(st.integers(1, max(1, size - 1)), max_size=60)) if size > 1 else []
    verdicts = {event: verdict for event, verdict, _ in render_checkpoints(fixture, table, splits)}
    for checkpoint in fixture.checkpoints:
        got = verdicts[checkpoint.event]
        assert (got.rule, got.want) == (checkpoint.rule, checkpoint.want)


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_no_key_on_any_unrecognised_intermediate_frame(path: str, data: st.DataObject) -> None:
    fixture = load_fixture(path)
    table = rule_table(Provider(fixture.provider))
    size = len(fixture.data)
    splits = data.draw(st.lists(st.integers(1, max(1, size - 1)), max_size=80)) if size > 1 else []
    engine = DialogEngine(table)
    # The engine, fed every screen after every chunk, stays silent on frames no
    # rule recognises.
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    cuts = sorted(set(splits) | {e.out[0] + e.out[1] for e in fixture.events if e.out})
    start = 0
    for frame, cut in enumerate(cuts, start=1):
        renderer.feed(fixture.data[start:cut])
        start = cut
        decision = engine.observe(TerminalSnapshot(lines=renderer.lines(), frame=frame, elapsed_ms=frame * 50))
        if decision.rule_id is None:
            assert decision.action is Action.WAIT and decision.key is None


def test_replay_reports_a_decision_per_output_event(fixture: Fixture) -> None:
    frames = replay_engine(fixture, rule_table(Provider(fixture.provider)))
    outputs = [e for e in fixture.events if e.out is not None]
    assert len(frames) == len(outputs)
    assert all(f.key is None for f in frames if f.rule is None)


def _enter_screens() -> list[tuple[str, tuple[str, ...]]]:
    """Every recorded screen on which the rules want Enter (a trust dialog with the
    cursor on the trust option), with its fixture's provider."""
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
            if screen_verdict(table, lines).want == "enter":
                out.append((fixture.provider, lines))
                break
    return out


ENTER_SCREENS = _enter_screens()


def test_every_trust_dialog_fixture_gives_a_screen_that_wants_enter() -> None:
    # The near-miss property below is only as good as its seeds: each is a
    # screen the engine, left on it, does confirm.
    assert {provider for provider, _ in ENTER_SCREENS} == {"claude", "codex", "gemini", "copilot"}
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
    engine = DialogEngine(table)
    for frame in range(1, 40):
        decision = engine.observe(TerminalSnapshot(lines=screen, frame=frame, elapsed_ms=frame * 100))
        if decision.key is None:
            continue
        # The timing-free verdict, computed apart from the engine, recognises it.
        assert screen_verdict(table, screen).rule is not None, screen
        if decision.key is Key.ENTER:
            rule = next(r for r in table.rules if r.id == decision.rule_id)
            assert rule.select is not None  # Enter confirms a selection, nothing else
            cursor_rows = _glyph_rows(screen)
            assert any(rule.select.matches(row) for row in cursor_rows), screen
            assert not any(f.matches(row) for row in cursor_rows for f in rule.never_select), screen
        if decision.action is Action.FINISH:
            break
