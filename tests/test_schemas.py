"""The JSON Schemas shipped for the ``--json`` documents: current with the code,
printed by ``workspace-trust schema``, and satisfied by real outputs that
together show every status and code docs/cli.md lists.

Validation uses a closed copy of each schema (every object rejects fields the
schema does not describe, and values a plug-in could add are refused), so a
field or value added to the output without the schema, or the other way
round, fails here."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from workspace_trust import ExitCode, wire
from workspace_trust.cli import main
from workspace_trust.cli.commands import plan as plan_command
from workspace_trust.documents import SCHEMA_KINDS, execution_document, load_schema
from workspace_trust.domain.codes import Code, ExecutionStatus, Key, Provider, TrustState, WaitReason, WorkspaceStatus
from workspace_trust.domain.results import Diagnostic, SessionReport, WorkspaceResult
from workspace_trust.redaction import redact_tail
from workspace_trust.requests import ExecutionResult, overall_status

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE = os.path.join(ROOT, "tests", "fake_tui.py")
FIXTURE = os.path.join(ROOT, "fixtures", "snapshots", "claude", "2.1.330", "trust-accept.json")
NAME = b"caf\xe9-\xff"


def generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_schemas", os.path.join(ROOT, "scripts", "gen_schemas.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def closed(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every described object closed and no plug-in values."""
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and node.get("type") == "object":
                node.setdefault("additionalProperties", False)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    if "plugin_value" in out.get("$defs", {}):
        out["$defs"]["plugin_value"] = {"not": {}}
    return out


def validate(kind: str, doc: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(closed(load_schema(kind))).validate(doc)


def kind_of(doc: dict[str, Any]) -> str:
    return "error" if "error" in doc else str(doc["command"])


def cli(args: list[str | bytes], home: str, cwd: str | None = None, **env: str) -> tuple[int, dict[str, Any]]:
    full_env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", **env}
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args],
        env=full_env,
        capture_output=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )
    text = proc.stdout.decode("utf-8")
    assert text.count("\n") == 1, proc.stderr.decode("utf-8", "replace")[-2000:]
    doc: dict[str, Any] = json.loads(text)
    return proc.returncode, doc


# --- the files ---------------------------------------------------------------------


def test_the_shipped_schemas_are_what_the_generator_makes_from_the_code() -> None:
    assert generator().main(["--check"]) == 0, "run scripts/gen_schemas.py"


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_each_schema_is_2020_12_states_the_promise_and_is_printed_by_the_command(kind: str) -> None:
    schema = load_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert '"version": "1"' in schema["description"] and "additive-only" in schema["description"]
    assert schema["properties"]["version"] == {"const": "1"}
    env = {"PATH": os.environ["PATH"]}
    text = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "schema", kind], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(text) == schema
    one = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "schema", kind, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert one.count("\n") == 1 and json.loads(one) == schema


def test_schema_without_a_kind_prints_them_all_and_a_bad_kind_is_a_usage_document() -> None:
    env = {"PATH": os.environ["PATH"]}
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "schema", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(proc.stdout) == {kind: load_schema(kind) for kind in SCHEMA_KINDS}
    bad = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "schema", "nope", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == ExitCode.USAGE
    doc = json.loads(bad.stdout)
    validate("error", doc)
    assert doc["command"] == "schema"


# --- real outputs ------------------------------------------------------------------------


def real_documents(sandbox: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Documents from real runs (the fake TUI stands in for Claude)."""
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "ws", "p")
    os.makedirs(home)
    os.makedirs(ws)
    odd = os.path.join(os.fsencode(sandbox), NAME)
    os.mkdir(odd)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    env_file = os.path.join(home, "fake_tui.env")
    with open(env_file, "w", encoding="utf-8") as handle:
        handle.write("")
    claude = ["--claude-bin", FAKE]
    yield cli(["status", ws, home, "ws/p/", "--json"], home, cwd=sandbox)  # untrusted, unknown, a duplicate
    yield cli(["status", ws, "--provider", "qwen", "--json"], home)  # not_required
    yield cli(["plan", ws, home, odd, "--provider", "codex,gemini,qwen", "--qwen-mode", "env", "--json"], home)
    yield cli(["preflight", ws, home, "ws/p/", odd, *claude, "--json"], home, cwd=sandbox)  # accepted, blocked
    yield cli(["preflight", ws, *claude, "--json"], home)  # already_trusted
    yield cli(["status", ws, "--json"], home)  # trusted
    yield cli(["preflight", ws, "--provider", "codex,gemini,qwen", "--json"], home)  # patched, not_required
    yield cli(["preflight", ws, *claude, "--json"], home, WORKSPACE_TRUST_CLAUDE_PTY="0")  # skipped
    with open(env_file, "w", encoding="utf-8") as handle:
        handle.write("FAKE_MODE=unknown\n")
    other = os.path.join(sandbox, "other")
    os.makedirs(other)
    yield cli(["preflight", other, *claude, "--json", "--debug", "--timeout", "2"], home)  # soft_failed, raw_tail
    yield cli(["preflight", other, "--json"], home, WORKSPACE_TRUST_CLAUDE_BIN="/nope")  # provider_binary_missing
    yield cli(["replay", FIXTURE, "--json"], home)
    yield cli(["preflight", ws, "--provider", "cloude", "--json"], home)  # usage
    yield cli(["--json"], home)  # usage, no command


def synthetic_preflight() -> dict[str, Any]:
    """A preflight document from the CLI's own builder over results showing
    every row status, every code and every wait reason, a not-UTF-8 path and a
    raw tail: what no single real run can show at once."""
    codes = list(Code)
    statuses = list(WorkspaceStatus)
    reasons = [*WaitReason, None]
    count = max(len(codes), len(statuses), len(reasons))
    results = []
    for i in range(count):
        path = f"/w/{i}" if i % 7 else os.fsdecode(b"/w/" + NAME + str(i).encode())
        code = codes[i % len(codes)]
        status = statuses[i % len(statuses)]
        results.append(
            WorkspaceResult(
                provider=list(Provider)[i % len(list(Provider))],
                workspace_id=path,
                workspace=path,
                real_path=path,
                status=status,
                code=code,
                trusted_key=path if i % 2 else None,
                pty_spawned=bool(i % 2),
                dialogs=("some.rule",),
                keys=(Key.DOWN, Key.ENTER),
                elapsed_ms=i,
                lock_wait_ms=i,
                diagnostics=(Diagnostic(code, "message", None, path, ("evidence",)),),
                raw_tail=redact_tail("screen") if status is WorkspaceStatus.SOFT_FAILED else None,
                session=SessionReport(frames=i, wait_reason=reasons[i % len(reasons)], exit_status=-i),
            )
        )
    result = ExecutionResult(overall_status(results), tuple(results), debug=True)
    inputs = [(r.workspace, r.workspace_id) for r in results] + [("again", results[0].workspace_id)]
    doc = execution_document("preflight", result, inputs, tuple(Provider), debug=True)
    parsed: dict[str, Any] = json.loads(wire.dumps(doc))
    return parsed


def test_real_and_generated_documents_validate_and_show_every_documented_status_and_code(sandbox: str) -> None:
    seen_row_statuses: set[str] = set()
    seen_codes: set[str] = set()
    seen_overall: set[str] = set()
    kinds: set[str] = set()
    documents = [*real_documents(sandbox), (ExitCode.OK, synthetic_preflight())]
    for exit_code, doc in documents:
        kind = kind_of(doc)
        kinds.add(kind)
        validate(kind, doc)
        if kind == "error":
            assert exit_code == ExitCode.USAGE
            continue
        seen_overall.add(doc.get("status", ""))
        for row in doc.get("results", []):
            seen_row_statuses.add(row["status"])
            seen_codes.update(c for c in (row["code"],) if c)
        seen_codes.update(d["code"] for d in doc.get("diagnostics", []))
    assert kinds == set(SCHEMA_KINDS)
    assert {s.value for s in WorkspaceStatus} | {s.value for s in TrustState} <= seen_row_statuses
    assert {c.value for c in Code} <= seen_codes
    assert {s.value for s in ExecutionStatus} | {"trusted", "not_trusted"} <= seen_overall | {
        s.value for s in ExecutionStatus if s is not ExecutionStatus.OK
    }
    # The real runs alone showed these, not only the generated document.
    real_statuses = {row["status"] for _, doc in documents[:-1] for row in doc.get("results", [])}
    assert {"accepted", "already_trusted", "blocked", "patched", "not_required", "skipped", "soft_failed"} <= (
        real_statuses
    )
    assert {"trusted", "untrusted", "unknown"} <= real_statuses


def test_an_internal_error_document_validates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(plan_command, "run", broken)
    assert main(["plan", "/x", "--json"]) == ExitCode.SOFT_FAILED
    doc = json.loads(capsys.readouterr().out)
    validate("error", doc)
    assert doc["error"]["code"] == "internal_error"


def test_the_closed_schemas_reject_an_undescribed_field_and_an_unknown_status() -> None:
    doc = synthetic_preflight()
    extra = copy.deepcopy(doc)
    extra["results"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate("preflight", extra)
    unknown = copy.deepcopy(doc)
    unknown["results"][0]["status"] = "half_trusted"
    with pytest.raises(jsonschema.ValidationError):
        validate("preflight", unknown)
    # The shipped (open) schema accepts a new field: version "1" only grows.
    jsonschema.Draft202012Validator(load_schema("preflight")).validate(extra)


# --- the docs list the same values as the schemas ------------------------------------------


def docs() -> str:
    with open(os.path.join(ROOT, "docs", "cli.md"), encoding="utf-8") as handle:
        return handle.read()


def backticked(text: str) -> set[str]:
    return set(re.findall(r"`([a-z][a-z0-9_]*)`", text))


def section(text: str, start: str, end: str) -> str:
    """The text after ``start`` up to the next ``end``."""
    begin = text.index(start) + len(start)
    return text[begin : text.index(end, begin)]


def enum_of(schema: dict[str, Any], name: str) -> set[str]:
    values: list[str] = schema["$defs"][name]["anyOf"][0]["enum"]
    return set(values)


def test_the_docs_code_list_is_the_schemas_code_enum() -> None:
    listed = backticked(section(docs(), "All codes:", "The full list is"))
    for kind in ("preflight", "status", "plan"):
        assert listed == enum_of(load_schema(kind), "code"), kind
    assert listed == {c.value for c in Code}


def test_the_docs_status_lists_are_the_schemas_status_enums() -> None:
    text = docs()
    preflight = load_schema("preflight")
    row_statuses = backticked(section(text, "* `results[].status`:", "\n"))
    assert row_statuses == set(preflight["$defs"]["result_row"]["properties"]["status"]["enum"])
    overall = backticked(section(text, "* `status` (overall):", "\n"))
    assert overall == set(preflight["properties"]["status"]["enum"])
    status = load_schema("status")
    status_section = section(text, "## `status --json`", "## `plan --json`")
    assert set(status["properties"]["status"]["enum"]) <= backticked(status_section)
    assert set(status["$defs"]["status_row"]["properties"]["status"]["enum"]) <= backticked(status_section)
    error = load_schema("error")
    error_section = section(text, "## Errors: the `error` document", "## ")
    assert set(error["properties"]["error"]["properties"]["code"]["enum"]) <= backticked(error_section)


def test_a_providers_deprecated_field_never_takes_a_document_key() -> None:
    """``<provider>_<field>`` at the top level is dropped where it would be one
    of the document's own keys (a provider ``env`` with a field ``patches``);
    under ``provider_fields`` it is kept."""
    from workspace_trust.documents import legacy_fields

    own: dict[str, dict[str, Any]] = {
        "env": {"patches": ["x"], "values": {"A": "1"}},
        "workspace_trust": {"version": "9"},
    }
    assert legacy_fields(own) == {"env_values": {"A": "1"}}
