"""./dev drift (scripts/drift.py) end to end on a pinned real CLI: no npm call
(the version is given, and the CLI is already installed where it looks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import require_cli
from workspace_trust.testing import cli_dir

pytestmark = [pytest.mark.realcli, pytest.mark.slow]

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "scripts", "drift.py")


def drift(*args: str) -> tuple[int, str, list[dict[str, str]]]:
    proc = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, check=False, timeout=300)
    last = proc.stdout.strip().splitlines()[-1]
    return proc.returncode, proc.stdout, json.loads(last)["drift"]


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
    without = RuleTable("claude", tuple(r for r in CLAUDE_RULES.rules if r.id != "claude.workspace_trust.proceed"))
    monkeypatch.setattr(drift_script, "record", lambda scenario, root: Recording(no_keys, outcome))
    monkeypatch.setattr(drift_script, "rule_table", lambda provider: without)
    scenario = next(s for s in drift_script.SCENARIOS if s.provider == "claude" and s.version == "2.0.77")
    line = drift_script.judge(scenario, "/nonexistent")
    assert (line.verdict, line.version, line.scenario) == ("unknown", "2.0.77", "trust-accept")
    assert "end=unknown_dialog" in line.detail
    assert "Do you trust the files in this folder?" in line.screen and "Yes, proceed" in line.screen
