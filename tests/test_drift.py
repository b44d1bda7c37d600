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
