"""Many preflight processes against one HOME, on the oldest and newest pinned
Claude Code, with a big ``.claude.json``: nothing is lost.

The fast variant runs in ``./dev test``; ``./dev stress`` runs the long one
(``WORKSPACE_TRUST_STRESS=long``: eight processes, eight folders each, three
rounds; and a team of 80 started 8 at a time, each in its own HOME).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from typing import Any

import pytest

from tests import realcli
from tests.realcli import assert_nothing_left, require_cli, setup_home

pytestmark = [pytest.mark.realcli, pytest.mark.slow]

LONG = os.environ.get("WORKSPACE_TRUST_STRESS") == "long"
#: (processes, folders per process, rounds)
SHAPE = (8, 8, 3) if LONG else (3, 2, 1)
OTHER_PROJECTS = 5000


def big_state(home: str) -> dict[str, Any]:
    """5,000 other projects and unrelated keys, as a long-used profile has.
    (No per-project ``history``: Claude Code itself moves that out of the file.)"""
    doc: dict[str, Any] = {
        "hasCompletedOnboarding": True,
        "theme": "dark",
        "numStartups": 41,
        "customApiKeyResponses": {"approved": [], "rejected": []},
        "unrelatedHostKey": {"nested": [1, 2, {"three": 3}], "text": "keep me"},
        "projects": {
            f"/srv/other/project-{i}": {
                "allowedTools": [],
                "hasTrustDialogAccepted": i % 3 != 0,
                "lastCost": i / 7,
                "exampleFiles": [f"src/file-{i}.ts"],
            }
            for i in range(OTHER_PROJECTS)
        },
    }
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump(doc, handle)
    return doc


@pytest.mark.parametrize("version", ["2.1.119", "2.1.330"])
def test_concurrent_preflights_on_one_home_lose_nothing(version: str, sandbox: str) -> None:
    binary = require_cli("claude", version)
    home, env = setup_home(sandbox, "claude", seed=False)
    seeded = big_state(home)
    processes, folders, rounds = SHAPE
    reported: list[str] = []
    for round_ in range(rounds):
        groups = []
        for p in range(processes):
            dirs = [os.path.join(sandbox, f"r{round_}-p{p}-f{f}") for f in range(folders)]
            for d in dirs:
                os.makedirs(d)
            groups.append(dirs)
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "workspace_trust",
                    *realcli.preflight_argv("claude", binary, *dirs, select=False),
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for dirs in groups
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=900)
            doc = json.loads(out)
            assert proc.returncode == 0, (doc, err[-2000:])
            for result in doc["results"]:
                assert result["status"] == "accepted", result
                reported.append(result["workspace"])
        assert not os.path.exists(os.path.join(home, ".claude.json.lock")), "a Claude lock was left behind"

    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        final = json.load(handle)
    # Zero lost: every folder reported accepted is trusted at the end.
    lost = [w for w in reported if final["projects"].get(w, {}).get("hasTrustDialogAccepted") is not True]
    assert lost == []
    assert len(reported) == processes * folders * rounds
    # Every other key untouched: other projects and the host's own keys.
    for key, value in seeded["projects"].items():
        assert final["projects"][key] == value, key
    assert final["unrelatedHostKey"] == seeded["unrelatedHostKey"]
    assert final["hasCompletedOnboarding"] is True
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["2.1.119", "2.1.330"])
def test_a_lock_left_by_someone_elses_killed_claude_is_waited_out(version: str, sandbox: str) -> None:
    """``.claude.json.lock`` made just now by no live process (what a SIGKILLed
    Claude leaves): before, the preflight started Claude at once, Claude could
    not save, and the run failed after 8 s with trust_not_persisted. Now nothing
    starts until Claude would take the lock over itself; then trust persists,
    and the result says it waited. The lock is never removed by us."""
    binary = require_cli("claude", version)
    home, env = setup_home(sandbox, "claude")
    lock = os.path.join(home, ".claude.json.lock")
    os.mkdir(lock)
    ws = realcli.folder(sandbox, "project")
    code, doc = realcli.preflight("claude", binary, env, ws, select=False)
    (result,) = doc["results"]
    assert (code, result["status"]) == (0, "accepted"), realcli.brief(doc)
    assert "provider_lock_waited" in [d["code"] for d in doc["diagnostics"]], realcli.brief(doc)
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert json.load(handle)["projects"][ws]["hasTrustDialogAccepted"] is True
    assert_nothing_left(sandbox)


#: (preflights, run at once): a host starting a team, each member in its own
#: fresh HOME (``./dev stress``: 80 of them, 8 at a time).
TEAM = (80, 8) if LONG else (8, 8)


@pytest.mark.parametrize("version", ["2.1.330", "2.1.337"])
def test_a_team_started_at_once_is_trusted_every_time(version: str, sandbox: str) -> None:
    """Preflights started together, each in its own fresh HOME, load the
    machine the way a host starting a team does (a late selection reset of the
    CLI once sent an Enter onto "No, exit" under such load). Counted, not
    timed: every folder ends accepted and trusted in its own HOME; a session
    the CLI declined is recognised by its words (``trust_declined``) and run
    once more (how often is counted, and shown as a warning)."""
    binary = require_cli("claude", version)
    total, at_once = TEAM
    members = []
    for i in range(total):
        member = os.path.join(sandbox, f"member-{i}")
        home, env = setup_home(member, "claude")
        members.append((home, env, realcli.folder(member, "project")))
    rows: list[dict[str, Any]] = []
    declined = 0
    for start in range(0, total, at_once):
        batch = members[start : start + at_once]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "workspace_trust", *realcli.preflight_argv("claude", binary, ws, select=False)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _, env, ws in batch
        ]
        for (home, _, ws), proc in zip(batch, procs, strict=True):
            out, err = proc.communicate(timeout=900)
            doc = json.loads(out)
            (row,) = doc["results"]
            rows.append(row)
            declined += "trust_declined" in [d["code"] for d in doc["diagnostics"]]
            assert (proc.returncode, row["status"]) == (0, "accepted"), (declined, realcli.brief(doc), err[-2000:])
            with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
                assert json.load(handle)["projects"][ws]["hasTrustDialogAccepted"] is True
    assert len(rows) == total
    if declined:  # recovered, so not a failure; counted where the run's summary shows it
        warnings.warn(f"{declined} of {total} sessions were declined by Claude {version} and run again", stacklevel=1)
    assert all(row["pty_spawned"] and "claude.workspace_trust" in row["dialogs"] for row in rows)
    for i in range(total):
        assert_nothing_left(os.path.join(sandbox, f"member-{i}"))
