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
from workspace_trust.domain.codes import Provider
from workspace_trust.engine.dialog import Action, DialogEngine
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.fixtures import Fixture, load_fixture, render_checkpoints, replay_engine
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
