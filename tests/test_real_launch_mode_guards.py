"""Real Copilot CLI: a prompt-mode preflight whose launch arguments move the
working folder (``-C``) to a folder that is never trusted on the user's
behalf gives no switch that trusts it for the launch."""

from __future__ import annotations

import os

import pytest

from tests import realcli
from tests.realcli import ModelStub, require_cli
from tests.test_real_launch_modes import copilot_home, repo_hook, run_headless, workspace
from tests.test_real_prompt_mode import launch_argv

pytestmark = [pytest.mark.realcli, pytest.mark.slow]


def test_copilot_c_home_gets_no_trust_folder(sandbox: str, stub: ModelStub) -> None:
    binary = require_cli("copilot", "1.0.102")
    home, env = copilot_home(sandbox, stub)
    path = workspace(sandbox)
    mark = repo_hook(home)
    code, doc = realcli.preflight(
        "copilot",
        binary,
        env,
        path,
        extra=("--launch-mode", "prompt", "--launch-arg=copilot=-C", f"--launch-arg=copilot={home}"),
    )
    rows = [(r["status"], r["code"], r["opened_by"]) for r in doc["results"]]
    assert ("blocked", "workspace_trust_not_persistable_home", f"-C {home}") in rows, realcli.brief(doc)
    # Without the switch, the launch leaves the home folder's hooks out.
    ran = run_headless([binary, "-C", home, "-p", "hi"], path, env)
    assert ran.code == 1 and "offline test stub" in ran.err, ran
    assert not os.path.exists(mark)
    # The host's launch as the document makes it.
    argv = launch_argv(doc, "copilot", ["-C", home, "-p", "hi"])
    ran = run_headless([binary, *argv], path, env)
    assert ran.code == 1 and "offline test stub" in ran.err, ran
    # Today the document carries --trust-folder, and the home folder's
    # repository hooks run: its configuration was trusted for the launch.
    assert not os.path.exists(mark), (argv, code)
