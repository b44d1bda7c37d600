"""./dev drift (scripts/drift.py) end to end on a pinned real CLI: no npm call
(the version is given, and the CLI is already installed where it looks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import require_cli
from workspace_trust.installed_clis import cli_dir

pytestmark = [pytest.mark.slow]

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "scripts", "drift.py")


def drift(*args: str) -> tuple[int, str, list[dict[str, str]]]:
    proc = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, check=False, timeout=300)
    last = proc.stdout.strip().splitlines()[-1]
    return proc.returncode, proc.stdout, json.loads(last)["drift"]


@pytest.mark.realcli
def test_drift_reports_a_known_release_as_accepted(sandbox: str) -> None:
    require_cli("claude", "2.0.77")
    recordings = os.path.join(sandbox, "recordings")
    code, out, lines = drift(
        "--provider", "claude", "--version", "2.0.77", "--quick", "--dir", cli_dir(), "--recordings", recordings
    )
    assert code == 0, out
    assert [(line["cli"], line["version"], line["scenario"], line["verdict"]) for line in lines] == [
        ("claude", "2.0.77", "trust-accept", "accepted")
    ], out
    assert "DRIFT REPORT: 1 of 1 known" in out
    assert os.path.exists(os.path.join(recordings, "claude", "2.0.77", "trust-accept.json"))


def test_drift_reports_a_release_it_cannot_install_and_fails_unless_report_only(sandbox: str) -> None:
    empty = os.path.join(sandbox, "clis")
    os.makedirs(empty)
    # No such release: npm install fails (or cannot reach the registry); either way "not run".
    args = ("--provider", "claude", "--version", "0.0.0-none", "--quick", "--dir", empty)
    code, out, lines = drift(*args)
    assert code == 1 and [line["verdict"] for line in lines] == ["not run"], out
    code2, _, _ = drift(*args, "--report-only")
    assert code2 == 0


def test_a_recording_no_rule_knows_is_reported_unknown_with_its_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict logic on the Claude 2.0.77 recording, with the rule for its
    dialog taken out: the drift line is `unknown`, and carries the screen."""
    import importlib

    import attrs

    from workspace_trust.domain.codes import WaitReason
    from workspace_trust.engine.rules import RuleTable
    from workspace_trust.fixtures import load_fixture
    from workspace_trust.providers.claude.rules import CLAUDE_RULES
    from workspace_trust.recorder import Recording
    from workspace_trust.session import SessionEnd, SessionOutcome

    sys.path.insert(0, os.path.dirname(SCRIPT))
    drift_script = importlib.import_module("drift")
    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "snapshots")
    fixture = load_fixture(os.path.join(root, "claude", "2.0.77", "trust-accept.json"))
    # What the recorder saw with that table: the dialog, no key, ended early.
    first_key = next(i for i, e in enumerate(fixture.events) if e.key is not None)
    no_keys = attrs.evolve(fixture, events=fixture.events[:first_key], checkpoints=())
    outcome = SessionOutcome(
        end=SessionEnd.UNKNOWN_DIALOG,
        probe=None,
        matched_rule_ids=(),
        keys=(),
        last_rule_id=None,
        last_wait_reason=WaitReason.UNRECOGNISED,
        frames=10,
        exit_status=None,
        last_snapshot=None,
    )
    without = RuleTable(
        "claude", tuple(r for r in CLAUDE_RULES.rules if r.id != "claude.workspace_trust.proceed"), CLAUDE_RULES.phases
    )
    monkeypatch.setattr(drift_script, "record", lambda scenario, root, on_ready=None: Recording(no_keys, outcome))
    monkeypatch.setattr(drift_script, "rule_table", lambda provider: without)
    scenario = next(s for s in drift_script.SCENARIOS if s.provider == "claude" and s.version == "2.0.77")
    line = drift_script.judge(scenario, "/nonexistent")
    assert (line.verdict, line.version, line.scenario) == ("unknown", "2.0.77", "trust-accept")
    assert "end=unknown_dialog" in line.detail
    assert "Do you trust the files in this folder?" in line.screen and "Yes, proceed" in line.screen


# -- the lookup layouts and the probe comparison ----------------------------------------


def _drift_module() -> Any:
    import importlib

    sys.path.insert(0, os.path.dirname(SCRIPT))
    return importlib.import_module("drift")


def test_every_cli_gets_the_lookup_layouts_unless_quick() -> None:
    import importlib

    drift_script = _drift_module()
    layouts = importlib.import_module("record_fixtures").LAYOUTS

    for name in drift_script.pinned_packages():
        full = [s.name for s in drift_script.scenarios_for(name, "9.9.9", quick=False)]
        assert set(layouts) <= set(full), (name, full)
        assert len(full) == len(set(full)), (name, full)
        assert {s.version for s in drift_script.scenarios_for(name, "9.9.9", quick=False)} == {"9.9.9"}
        quick = [s.name for s in drift_script.scenarios_for(name, "9.9.9", quick=True)]
        assert not set(layouts) & set(quick), (name, quick)


def test_a_dialog_the_probe_did_not_expect_is_a_mismatch_with_what_to_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict logic on the Codex 0.169.0 trust-accept recording (the
    dialog is shown and accepted), with the probe saying the folder was
    trusted already: `mismatch`, and the report's next step names the
    version, the scenario and the probe to fix."""
    import attrs

    from workspace_trust.fixtures import load_fixture
    from workspace_trust.recorder import Recording
    from workspace_trust.session import SessionEnd, SessionOutcome

    drift_script = _drift_module()
    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "snapshots")
    fixture = load_fixture(os.path.join(root, "codex", "0.169.0", "trust-accept.json"))
    outcome = SessionOutcome(
        end=SessionEnd.TRUST_PERSISTED,
        probe=None,
        matched_rule_ids=("codex.workspace_trust.v0169",),
        keys=(),
        last_rule_id="codex.workspace_trust.v0169",
        last_wait_reason=None,
        frames=10,
        exit_status=None,
        last_snapshot=None,
    )

    def fake_record(scenario, root, on_ready=None):  # type: ignore[no-untyped-def]
        assert on_ready is not None
        on_ready("/nowhere", {})
        return Recording(fixture, outcome)

    scenario = attrs.evolve(
        next(s for s in drift_script.SCENARIOS if s.provider == "codex" and s.version == "0.169.0"),
        name="trusted-parent-git",
    )
    monkeypatch.setattr(drift_script, "record", fake_record)
    for expected, verdict in ((True, "accepted"), (False, "mismatch")):
        monkeypatch.setattr(
            drift_script, "expectation", lambda *_, e=expected: drift_script.Expected(e, "probe: trusted by parent")
        )
        line = drift_script.judge(scenario, "/nonexistent")
        assert line.verdict == verdict, line
    assert "showed its trust dialog" in line.detail and line.screen
    step = drift_script.next_step(line)
    assert "codex 0.169.0 trusted-parent-git" in step and "providers/codex/probe.py" in step


def test_a_session_stopped_at_sign_in_is_not_compared() -> None:
    drift_script = _drift_module()
    assert drift_script.dialog_shown("codex", ["codex.auth_picker"], "auth_required") is False
    assert drift_script.dialog_shown("codex", ["codex.workspace_trust.v0169"], "trust_persisted") is True
    assert drift_script.dialog_shown("claude", [], "unknown_dialog") is True
    assert "auth_required" in drift_script._BEFORE_TRUST


def test_the_daily_workflow_runs_the_full_report_and_fails_on_findings() -> None:
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), ".github", "workflows", "drift.yml")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "schedule:" in text and "cron:" in text
    run = text.split("scripts/drift.py", 1)[1].split("\n      - ", 1)[0]
    assert "--report-only" not in run and "--quick" not in run, run
    assert "GITHUB_STEP_SUMMARY" in text and "upload-artifact" in text


def test_ci_keeps_its_drift_step_quick_report_only_and_bounded() -> None:
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), ".ci", "run")
    with open(path, encoding="utf-8") as handle:
        line = next(row for row in handle if "./dev drift" in row)
    assert "--quick" in line and "--report-only" in line and "--budget" in line and line.startswith("timeout ")


@pytest.mark.realcli
def test_drift_compares_the_probe_on_real_lookup_layouts(sandbox: str) -> None:
    """Codex 0.169.0 on the layouts: every line known (the probe and the gating
    data agree with the CLI), and the report says so line by line."""
    require_cli("codex", "0.169.0")
    recordings = os.path.join(sandbox, "recordings")
    code, out, lines = drift(
        "--provider", "codex", "--version", "0.169.0", "--dir", cli_dir(), "--recordings", recordings
    )
    layouts = {line["scenario"]: line for line in lines if line["scenario"] in ("git-subfolder", "trusted-parent")}
    assert layouts["git-subfolder"]["verdict"] == "accepted", out
    assert "dialog=yes" in layouts["git-subfolder"]["detail"], out
    assert layouts["trusted-parent"]["verdict"] in ("accepted", "recognised"), out
    assert "dialog=no" in layouts["trusted-parent"]["detail"], out
    assert code == 0 and "NOT" not in out.split("\n", 2)[1], out


@pytest.mark.parametrize("end", ["timeout", "selection_failed", "provider_exited"])
def test_a_recognised_dialog_the_session_got_stuck_on_is_unknown(monkeypatch: pytest.MonkeyPatch, end: str) -> None:
    """Claude 2.1.337 in a git subfolder: the rule recognised the repository
    dialog but found no trust option it accepts, and the session timed out.
    That is not "recognised": it is reported unknown, with its screen."""
    import attrs

    from workspace_trust.fixtures import load_fixture
    from workspace_trust.recorder import Recording
    from workspace_trust.session import SessionEnd, SessionOutcome

    drift_script = _drift_module()
    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "snapshots")
    fixture = load_fixture(os.path.join(root, "claude", "2.0.77", "trust-accept.json"))
    first_key = next(i for i, e in enumerate(fixture.events) if e.key is not None)
    no_keys = attrs.evolve(fixture, events=fixture.events[:first_key], checkpoints=())
    outcome = SessionOutcome(
        end=SessionEnd(end),
        probe=None,
        matched_rule_ids=("claude.workspace_trust.numbered",),
        keys=(),
        last_rule_id="claude.workspace_trust.numbered",
        last_wait_reason=None,
        frames=10,
        exit_status=None,
        last_snapshot=None,
    )
    monkeypatch.setattr(drift_script, "record", lambda scenario, root, on_ready=None: Recording(no_keys, outcome))
    monkeypatch.setattr(drift_script, "replay_session", lambda fixture, table: attrs.make_class("R", ["problems"])([]))
    scenario = next(s for s in drift_script.SCENARIOS if s.provider == "claude" and s.version == "2.0.77")
    line = drift_script.judge(scenario, "/nonexistent")
    assert (line.verdict, line.scenario) == ("unknown", "trust-accept"), line
    assert f"end={end}" in line.detail and "Do you trust the files in this folder?" in line.screen


def test_no_dialog_where_the_probe_says_trusted_is_known_even_on_an_unruled_main_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Gemini 0.61.0 under a trusted parent: no dialog, as the probe says, and
    its main screen has no rule (the session ends unknown_screen): known."""
    import attrs

    from workspace_trust.fixtures import load_fixture
    from workspace_trust.recorder import Recording
    from workspace_trust.session import SessionEnd, SessionOutcome

    drift_script = _drift_module()
    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "snapshots")
    fixture = load_fixture(os.path.join(root, "gemini", "0.61.0", "trust-accept.json"))
    first_key = next(i for i, e in enumerate(fixture.events) if e.key is not None)
    no_keys = attrs.evolve(fixture, events=fixture.events[:1], checkpoints=())
    assert first_key >= 1
    outcome = SessionOutcome(
        end=SessionEnd.UNKNOWN_SCREEN,
        probe=None,
        matched_rule_ids=(),
        keys=(),
        last_rule_id=None,
        last_wait_reason=None,
        frames=10,
        exit_status=None,
        last_snapshot=None,
    )

    def fake_record(scenario, root, on_ready=None):  # type: ignore[no-untyped-def]
        assert on_ready is not None
        on_ready("/nowhere", {})
        return Recording(no_keys, outcome)

    monkeypatch.setattr(drift_script, "record", fake_record)
    monkeypatch.setattr(drift_script, "replay_session", lambda fixture, table: attrs.make_class("R", ["problems"])([]))
    scenario = attrs.evolve(
        next(s for s in drift_script.SCENARIOS if s.provider == "gemini" and s.version == "0.61.0"),
        name="trusted-parent",
    )
    for dialog, verdict in ((False, "recognised"), (True, "mismatch")):
        monkeypatch.setattr(drift_script, "expectation", lambda *_, d=dialog: drift_script.Expected(d, "probe"))
        assert drift_script.judge(scenario, "/nonexistent").verdict == verdict
