"""The host contract of ``--json`` (docs/cli.md): exactly one JSON document on
stdout for every run, usage errors included; one row per argument, in input
order, echoing it; the patches in the preflight document; one vocabulary with
the manifest; exit codes a host can act on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from workspace_trust import ExitCode, __version__
from workspace_trust.cli import app as cli_app
from workspace_trust.cli import main
from workspace_trust.cli import output as cli_output
from workspace_trust.cli.commands import status as status_command

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")


def run(args: list[str], home: str, cwd: str | None = None, **env: str) -> tuple[int, dict[str, Any], str]:
    """The command in a subprocess; stdout must be exactly one JSON document."""
    full_env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", **env}
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.count("\n") == 1 and proc.stdout.endswith("\n"), (proc.stdout, proc.stderr[-2000:])
    doc: dict[str, Any] = json.loads(proc.stdout)
    return proc.returncode, doc, proc.stderr


def seeded(sandbox: str, fake_settings: str = "") -> tuple[str, str]:
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "ws", "p")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(fake_settings)
    return home, ws


# --- usage errors are one document too -------------------------------------------


def fixture_naming(sandbox: str, provider: str) -> str:
    base = os.path.join(sandbox, "fixture")
    meta = {
        "format": 1,
        "provider": provider,
        "cli_version": "1",
        "scenario": "s",
        "rows": 24,
        "columns": 80,
        "command": ["x"],
        "events": [],
    }
    with open(base + ".json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle)
    open(base + ".input", "wb").close()
    return base + ".json"


USAGE_CASES: dict[str, list[str]] = {
    "unknown provider": ["preflight", "{ws}", "--provider", "cloude", "--json"],
    "negative timeout": ["preflight", "{ws}", "--timeout", "-1", "--json"],
    "timeout not a number": ["preflight", "{ws}", "--timeout", "soon", "--json"],
    "timeout nan": ["preflight", "{ws}", "--timeout", "nan", "--json"],
    "missing DIR": ["preflight", "--json"],
    "unknown flag": ["preflight", "{ws}", "--json", "--bogus"],
    "unknown command": ["bogus", "--json"],
    "no command": ["--json"],
    "json before the command": ["--json", "preflight", "--provider", "cloude", "{ws}"],
    "json as a prefix": ["status", "{ws}", "--provider", "cloude", "--js"],
    "bad mode": ["plan", "{ws}", "--codex-mode", "nope", "--json"],
    "empty DIR": ["status", "", "--json"],
    "explicit binary missing": ["preflight", "{ws}", "--claude-bin", "/nope", "--json"],
    "explicit binary missing, status": ["status", "{ws}", "--codex-bin", "/nope", "--json"],
    "replay of a missing fixture": ["replay", "--json", "bad.json"],
    "replay of an unreadable fixture": ["replay", "{sandbox}/folder.json", "--json"],
    "replay of a fixture naming an unknown provider": ["replay", "{fixture}", "--json"],
    "record takes no --json": ["record", "--json", "--", "true"],
}


@pytest.mark.parametrize("case", sorted(USAGE_CASES))
def test_every_usage_error_is_one_error_document_with_exit_2(sandbox: str, case: str) -> None:
    home, ws = seeded(sandbox)
    os.makedirs(os.path.join(sandbox, "folder.json"))
    open(os.path.join(sandbox, "folder.input"), "wb").close()
    fixture = fixture_naming(sandbox, "nosuchcli")
    args = [a.format(ws=ws, sandbox=sandbox, fixture=fixture) for a in USAGE_CASES[case]]
    code, doc, stderr = run(args, home, cwd=sandbox)
    assert code == ExitCode.USAGE
    assert doc["version"] == "1" and set(doc) == {"version", "workspace_trust_version", "command", "error"}
    assert doc["workspace_trust_version"] == __version__
    assert doc["error"]["code"] == "usage" and doc["error"]["message"]
    assert doc["error"]["message"] in stderr  # people still see it on stderr
    expected_command = next((a for a in args if a in ("preflight", "status", "plan", "replay", "record")), None)
    assert doc["command"] == expected_command


def test_json_before_the_command_is_json_mode_for_a_run_that_works(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    code, doc, _ = run(["--json", "status", ws], home)
    assert (code, doc["command"], doc["results"][0]["status"]) == (ExitCode.SOFT_FAILED, "status", "untrusted")


def test_without_json_a_usage_error_prints_nothing_on_stdout(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "preflight", ws, "--provider", "cloude"],
        env={"HOME": home, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (ExitCode.USAGE, "")
    assert "unknown provider 'cloude'" in proc.stderr


def test_an_unexpected_failure_is_an_internal_error_document_not_a_traceback(
    sandbox: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_args: object) -> int:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(status_command, "run", broken)
    assert main(["status", sandbox, "--json"]) == ExitCode.SOFT_FAILED
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc == {
        "version": "1",
        "workspace_trust_version": __version__,
        "command": "status",
        "error": {"code": "internal_error", "message": "internal error: RuntimeError"},
    }
    assert "Traceback" not in err and "secret detail" not in err


# --- rows: input order, every argument echoed, duplicates point at the work -------


def test_rows_follow_the_arguments_and_duplicates_point_at_the_row_that_did_the_work(sandbox: str) -> None:
    startlog = os.path.join(sandbox, "starts.log")
    home, ws = seeded(sandbox, f"FAKE_STARTLOG={startlog}\n")
    os.symlink(ws, os.path.join(sandbox, "link"))
    args = ["ws/p", "home", "ws/p/", "./ws/../ws/p", "link"]
    code, doc, _ = run(["preflight", *args, "--claude-bin", FAKE, "--json"], home, cwd=sandbox)
    assert code == ExitCode.BLOCKED  # the home folder
    rows = doc["results"]
    assert [r["input"] for r in rows] == args
    assert [r["status"] for r in rows] == ["accepted", "blocked", "accepted", "accepted", "accepted"]
    assert [r["duplicate_of"] for r in rows] == [None, None, 0, 0, 0]
    assert {r["real_path"] for r in rows if r["status"] == "accepted"} == {ws}
    # Only the first did the work: one session for the folder, nothing for its spellings.
    assert [r["pty_spawned"] for r in rows] == [True, False, False, False, False]
    assert rows[0]["keys"] == ["down", "enter"] and rows[2]["keys"] == [] and rows[2]["elapsed_ms"] == 0
    with open(startlog, encoding="utf-8") as handle:
        assert len(handle.read().splitlines()) == 1
    # The status rows follow the same rule.
    code, status, _ = run(["status", *args, "--json"], home, cwd=sandbox)
    assert [r["input"] for r in status["results"]] == args
    assert [r["status"] for r in status["results"]] == ["trusted", "unknown", "trusted", "trusted", "trusted"]
    assert [r["duplicate_of"] for r in status["results"]] == [None, None, 0, 0, 0]


def test_rows_are_per_argument_then_per_provider_and_plan_lists_every_input(sandbox: str) -> None:
    home, _ = seeded(sandbox)
    args = ["home", "ws/p", "ws/p/"]
    code, doc, _ = run(["preflight", *args, "--provider", "codex,gemini", "--json"], home, cwd=sandbox)
    assert code == ExitCode.BLOCKED
    assert [(r["input"], r["provider"], r["status"], r["duplicate_of"]) for r in doc["results"]] == [
        ("home", "codex", "blocked", None),
        ("home", "gemini", "blocked", None),
        ("ws/p", "codex", "patched", None),
        ("ws/p", "gemini", "patched", None),
        ("ws/p/", "codex", "patched", 2),
        ("ws/p/", "gemini", "patched", 3),
    ]
    code, plan, _ = run(["plan", *args, "--provider", "codex,gemini", "--json"], home, cwd=sandbox)
    assert [(r["input"], r["provider"]) for r in plan["results"]] == [("home", "codex"), ("home", "gemini")]
    assert [w["inputs"] for w in plan["workspaces"]] == [["home"], ["ws/p", "ws/p/"]]


# --- the preflight document carries the patches ---------------------------------------


def test_preflight_includes_the_patches_of_its_patched_rows_as_plan_does(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    providers = ["--provider", "codex,gemini"]
    code, doc, _ = run(["preflight", ws, *providers, "--json"], home)
    assert code == ExitCode.OK
    assert {r["status"] for r in doc["results"]} == {"patched"}
    code, plan, _ = run(["plan", ws, *providers, "--json"], home)
    fields = ("patches", "env_patches", "provider_fields", "codex_config_overrides", "gemini_env", "qwen_env_files")
    assert {f: doc[f] for f in fields} == {f: plan[f] for f in fields}
    assert doc["provider_fields"]["codex"]["config_overrides"] == [f'projects={{"{ws}" = {{trust_level = "trusted"}}}}']
    assert doc["provider_fields"]["gemini"]["env"] == {"GEMINI_CLI_TRUST_WORKSPACE": "true"}
    # Each patch names the rows it serves.
    assert {w for p in doc["patches"] for w in p["source_workspace_ids"]} == {doc["results"][0]["workspace_id"]}


def test_the_deprecated_top_level_provider_fields_repeat_the_nested_ones(sandbox: str) -> None:
    """``<provider>_<field>`` at the top level is kept for one release
    (docs/cli.md): the same value as ``provider_fields.<provider>.<field>``,
    for every provider's every field, in both documents that carry patches."""
    home, ws = seeded(sandbox)
    for command in ("plan", "preflight"):
        _, doc, _ = run([command, ws, "--provider", "codex,gemini", "--json"], home)
        nested = doc["provider_fields"]
        assert {"codex", "gemini", "qwen"} <= set(nested)
        flat = {f"{provider}_{name}": value for provider, fields in nested.items() for name, value in fields.items()}
        assert flat == {name: doc[name] for name in flat}
        assert doc["codex_config_overrides"] == [f'projects={{"{ws}" = {{trust_level = "trusted"}}}}']


# --- one vocabulary ---------------------------------------------------------------------


def test_manifest_rows_use_the_row_names_and_keep_the_old_ones_as_aliases(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    code, doc, _ = run(["preflight", ws, "--claude-bin", FAKE, "--json"], home)
    assert code == ExitCode.OK
    (row,) = doc["results"]
    (entry,) = doc["manifest"]["strategy_results"]
    assert (entry["code"], entry["dialogs"], entry["keys"]) == (row["code"], row["dialogs"], row["keys"])
    assert (entry["error_code"], entry["matched_rule_ids"], entry["keys_sent"]) == (
        entry["code"],
        entry["dialogs"],
        entry["keys"],
    )
    assert entry["keys"] == ["down", "enter"]


# --- exit codes ------------------------------------------------------------------------


def test_a_run_where_every_row_was_switched_off_is_a_soft_failure_not_success(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    code, doc, _ = run(["preflight", ws, "--claude-bin", FAKE, "--json"], home, WORKSPACE_TRUST_CLAUDE_PTY="0")
    assert (code, doc["status"]) == (ExitCode.SOFT_FAILED, "soft_failed")
    assert [(r["status"], r["code"]) for r in doc["results"]] == [("skipped", "feature_disabled")]


def test_a_missing_binary_from_the_environment_stays_a_soft_failure(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    code, doc, _ = run(["preflight", ws, "--json"], home, WORKSPACE_TRUST_CLAUDE_BIN="/nope")
    assert (code, doc["results"][0]["code"]) == (ExitCode.SOFT_FAILED, "provider_binary_missing")


def test_a_skipped_row_makes_the_overall_status_a_soft_failure_in_the_library_too() -> None:
    from workspace_trust.domain.codes import ExecutionStatus, Provider, WorkspaceStatus
    from workspace_trust.domain.results import WorkspaceResult
    from workspace_trust.requests import overall_status

    def row(status: WorkspaceStatus) -> WorkspaceResult:
        return WorkspaceResult(Provider.CLAUDE, "/w", "/w", "/w", status)

    assert overall_status([row(WorkspaceStatus.SKIPPED)]) is ExecutionStatus.SOFT_FAILED
    assert overall_status([row(WorkspaceStatus.ACCEPTED), row(WorkspaceStatus.SKIPPED)]) is ExecutionStatus.SOFT_FAILED
    assert overall_status([row(WorkspaceStatus.SKIPPED), row(WorkspaceStatus.BLOCKED)]) is ExecutionStatus.BLOCKED
    assert overall_status([row(WorkspaceStatus.NOT_REQUIRED), row(WorkspaceStatus.PATCHED)]) is ExecutionStatus.OK


def test_a_row_no_argument_accounts_for_is_kept_last_with_a_null_input() -> None:
    from workspace_trust.documents import in_input_order
    from workspace_trust.domain.codes import Provider

    rows = [
        {"provider": "claude", "workspace_id": "/a", "status": "accepted"},
        {"provider": "claude", "workspace_id": "/stray", "status": "blocked"},
    ]
    out = in_input_order([("a", "/a"), ("a/", "/a")], [Provider.CLAUDE], rows)
    assert [(r["input"], r["workspace_id"], r["duplicate_of"]) for r in out] == [
        ("a", "/a", None),
        ("a/", "/a", 0),
        (None, "/stray", None),
    ]


def test_an_internal_error_whose_output_fails_too_still_ends_without_a_traceback(
    sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_args: object) -> int:
        raise RuntimeError("first")

    def no_output(_stream: object, _text: str) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(status_command, "run", broken)
    monkeypatch.setattr(cli_output, "write", no_output)
    monkeypatch.setattr(cli_app, "settle_output", lambda: None)
    assert main(["status", sandbox, "--json"]) == ExitCode.SOFT_FAILED


@pytest.mark.parametrize("command", ["preflight", "status", "plan"])
def test_every_document_names_the_package_version_that_wrote_it(sandbox: str, command: str) -> None:
    """As pip's report carries ``pip_version``: a host can tell which
    workspace-trust wrote a document it stored."""
    home, ws = seeded(sandbox)
    _, doc, _ = run(
        [command, ws, "--json", "--claude-bin", FAKE] if command == "preflight" else [command, ws, "--json"], home
    )
    assert doc["workspace_trust_version"] == __version__


@pytest.mark.parametrize(
    ("flag", "attempt", "rule"), [("0", "1", "retry_flag_off"), ("1", "1", "retry_once"), ("1", "2", "already_retried")]
)
def test_each_preflight_row_carries_the_retry_decision(sandbox: str, flag: str, attempt: str, rule: str) -> None:
    """What retry_allowed would decide for the row's launch, so hosts in other
    languages need no Python: a blocked row is never retried."""
    home, ws = seeded(sandbox)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True, "projects": {ws: {"hasTrustDialogAccepted": True}}}, handle)
    _, doc, _ = run(["preflight", ws, home, "--attempt", attempt, "--json"], home, WORKSPACE_TRUST_RETRY=flag)
    trusted, blocked = doc["results"]
    assert trusted["retry"] == {"allowed": rule == "retry_once", "rule": rule}
    assert blocked["status"] == "blocked" and blocked["retry"] == {"allowed": False, "rule": "preflight_blocked"}
