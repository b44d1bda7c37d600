"""Folder names that are not UTF-8: every document the command line prints stays
valid UTF-8 JSON, and the folder's exact bytes can be read back from it.

Run through the installed ``workspace-trust`` entry point in a subprocess,
under the stream settings that broke it: a UTF-8 locale whose stdout passes
undecodable bytes on (``surrogateescape``), and one that refuses them
(``strict``, which used to end in a traceback).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from workspace_trust import ExitCode, wire
from workspace_trust.diagnostics import DiagnosticsManifest, StrategyDiagnostic
from workspace_trust.documents import manifest_to_json
from workspace_trust.domain.codes import Provider, WorkspaceStatus

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
ROOT = os.path.dirname(os.path.dirname(__file__))
NAME = b"caf\xe9-\xff\xfe"
#: The stream settings that broke the output: raw bytes passed on, and a traceback.
STREAMS = {
    "surrogateescape": {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:surrogateescape"},
    "strict": {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"},
}


def entry_point() -> str:
    """The console script installed next to this interpreter (fails loudly if missing)."""
    path = os.path.join(os.path.dirname(sys.executable), "workspace-trust")
    assert os.access(path, os.X_OK), f"{path} is missing: install the package (./dev setup)"
    return path


def run(args: list[bytes | str], home: str, stream: str, cwd: str | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", **STREAMS[stream]}
    return subprocess.run([entry_point(), *args], env=env, capture_output=True, timeout=120, check=False, cwd=cwd)


def folder(sandbox: str) -> tuple[str, bytes, str]:
    """A seeded HOME and a workspace made from bytes that are not UTF-8."""
    home = os.path.join(sandbox, "home")
    os.makedirs(home)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write("")
    ws = os.fsencode(sandbox) + b"/" + NAME
    os.mkdir(ws)
    return home, ws, os.fsdecode(ws)


def parse(out: bytes) -> dict[str, Any]:
    """Strict: the bytes must be UTF-8 and hold exactly one JSON document."""
    text = out.decode("utf-8")
    assert text.count("\n") == 1 and text.endswith("\n")
    doc: dict[str, Any] = json.loads(text)
    return doc


def decoded(b64: str) -> bytes:
    return base64.b64decode(b64, validate=True)


def check_path_fields(row: dict[str, Any], ws: bytes, fields: tuple[str, ...]) -> None:
    for field in fields:
        assert os.fsencode(row[field]) == ws, field
        assert decoded(row[f"{field}_bytes"]) == ws, field


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_status_json_keeps_the_exact_bytes(sandbox: str, stream: str) -> None:
    home, ws, _ = folder(sandbox)
    proc = run(["status", ws, "--json"], home, stream)
    assert proc.returncode == ExitCode.SOFT_FAILED, proc.stderr.decode("utf-8", "replace")
    (row,) = parse(proc.stdout)["results"]
    assert row["status"] == "untrusted"
    check_path_fields(row, ws, ("workspace", "real_path", "workspace_id"))
    # A valid path gets no bytes field: ordinary documents do not change.
    assert "trusted_key_bytes" not in row and row["trusted_key"] is None


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_plan_json_keeps_the_exact_bytes(sandbox: str, stream: str) -> None:
    home, ws, _ = folder(sandbox)
    proc = run(["plan", ws, "--provider", "gemini", "--json"], home, stream)
    assert proc.returncode == ExitCode.OK, proc.stderr.decode("utf-8", "replace")
    doc = parse(proc.stdout)
    (workspace,) = doc["workspaces"]
    check_path_fields(workspace, ws, ("workspace", "real_path", "workspace_id"))
    (patch,) = doc["env_patches"]
    assert [decoded(b) for b in patch["source_workspace_ids_bytes"]] == [ws]


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_preflight_json_keeps_the_exact_bytes_in_results_and_manifest(sandbox: str, stream: str) -> None:
    home, ws, _ = folder(sandbox)
    proc = run(["preflight", ws, "--claude-bin", FAKE, "--json"], home, stream)
    assert proc.returncode == ExitCode.OK, proc.stderr.decode("utf-8", "replace")[-2000:]
    doc = parse(proc.stdout)
    (result,) = doc["results"]
    assert result["status"] == "accepted"
    check_path_fields(result, ws, ("workspace", "real_path", "workspace_id", "trusted_key"))
    (entry,) = doc["manifest"]["strategy_results"]
    assert [decoded(b) for b in entry["workspace_paths_bytes"]] == [ws]
    assert [decoded(b) for b in entry["workspace_ids_bytes"]] == [ws]
    assert [os.fsencode(p) for p in entry["workspace_paths"]] == [ws]


@pytest.mark.parametrize("stream", sorted(STREAMS))
@pytest.mark.parametrize("command", ["preflight", "status", "plan"])
def test_the_input_echo_follows_the_same_rule(sandbox: str, stream: str, command: str) -> None:
    """``input`` is the argument as given (here relative, with a trailing
    slash): escaped as a lone surrogate, its bytes in ``input_bytes``."""
    home, ws, _ = folder(sandbox)
    given = NAME + b"/"
    extra = ["--claude-bin", FAKE] if command == "preflight" else ["--provider", "gemini"] if command == "plan" else []
    proc = run([command, given, NAME, *extra, "--json"], home, stream, cwd=sandbox)
    assert proc.returncode in (ExitCode.OK, ExitCode.SOFT_FAILED), proc.stderr.decode("utf-8", "replace")[-2000:]
    doc = parse(proc.stdout)
    if command == "plan":
        (workspace,) = doc["workspaces"]
        assert [os.fsencode(i) for i in workspace["inputs"]] == [given, NAME]
        assert [decoded(b) for b in workspace["inputs_bytes"]] == [given, NAME]
        return
    first, second = doc["results"]
    assert (first["duplicate_of"], second["duplicate_of"]) == (None, 0)
    for row, arg in ((first, given), (second, NAME)):
        assert os.fsencode(row["input"]) == arg
        assert decoded(row["input_bytes"]) == arg
        check_path_fields(row, ws, ("workspace", "real_path", "workspace_id"))


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_a_failed_preflight_with_debug_is_valid_json_too(sandbox: str, stream: str) -> None:
    home, ws, _ = folder(sandbox)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write("FAKE_MODE=unknown\n")
    proc = run(["preflight", ws, "--claude-bin", FAKE, "--json", "--debug", "--timeout", "2"], home, stream)
    assert proc.returncode == ExitCode.SOFT_FAILED
    doc = parse(proc.stdout)
    (result,) = doc["results"]
    assert result["code"] == "unknown_screen" and "Something entirely new" in result["raw_tail"]
    check_path_fields(result, ws, ("workspace", "real_path"))


@pytest.mark.parametrize("stream", sorted(STREAMS))
@pytest.mark.parametrize("command", ["status", "plan", "preflight"])
def test_text_output_escapes_the_bytes_visibly(sandbox: str, stream: str, command: str) -> None:
    home, ws, _ = folder(sandbox)
    extra = ["--claude-bin", FAKE] if command == "preflight" else []
    # plan prints patches and blocked folders: give it one that is missing.
    target = ws + b"-gone" if command == "plan" else ws
    proc = run([command, target, *extra], home, stream)
    expected = (
        ExitCode.BLOCKED if command == "plan" else ExitCode.OK if command == "preflight" else ExitCode.SOFT_FAILED
    )
    assert proc.returncode == expected, proc.stderr.decode("utf-8", "replace")
    out = proc.stdout.decode("utf-8")  # strict: no invalid byte reached stdout
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err
    shown = "caf\\xe9-\\xff\\xfe"
    assert shown in out
    if command == "preflight":
        assert shown in err  # the progress lines name the folder the same way


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_replay_of_a_fixture_in_such_a_folder(sandbox: str, stream: str) -> None:
    home, ws, _ = folder(sandbox)
    source = os.path.join(ROOT, "fixtures", "snapshots", "claude", "2.1.330", "trust-accept")
    target = ws + b"/trust-accept"
    with open(source + ".json", encoding="utf-8") as handle:
        meta = json.load(handle)
    # The scenario named after the folder, as json.dump writes it (a \\udcff escape).
    meta["scenario"] = os.fsdecode(NAME)
    with open(target + b".json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle)
    shutil.copyfile(source + ".input", target + b".input")
    proc = run(["replay", target + b".json", "--json"], home, stream)
    assert proc.returncode == ExitCode.OK, proc.stderr.decode("utf-8", "replace")
    doc = parse(proc.stdout)
    assert os.fsencode(doc["fixture"]["scenario"]) == NAME
    assert any(f["rule"] == "claude.workspace_trust" for f in doc["frames"])
    text = run(["replay", target + b".json"], home, stream)
    assert "caf\\xe9-\\xff\\xfe" in text.stdout.decode("utf-8")


# --- the encoder itself ------------------------------------------------------------


def test_dumps_escapes_lone_surrogates_and_adds_bytes_next_to_paths() -> None:
    path = os.fsdecode(b"/w/\xff")
    text = wire.dumps({"workspace": path, "message": f"at {path}", "ok": "/w/é"})
    text.encode("utf-8")  # valid UTF-8
    assert "\\udcff" in text and "é" in text
    doc = json.loads(text)
    assert list(doc) == ["workspace", "workspace_bytes", "message", "ok"]
    assert doc["workspace"] == path and doc["message"] == f"at {path}"
    assert decoded(doc["workspace_bytes"]) == b"/w/\xff"
    assert "ok_bytes" not in doc


def test_lists_of_paths_get_a_parallel_list() -> None:
    doc = wire.add_path_bytes({"workspace_ids": ["/ok", os.fsdecode(b"/\xfe")], "workspace_paths": ["/a"]})
    assert doc["workspace_ids_bytes"] == [None, base64.b64encode(b"/\xfe").decode()]
    assert "workspace_paths_bytes" not in doc
    assert wire.add_path_bytes(doc) == doc  # idempotent


def test_a_windows_style_unpaired_surrogate_is_kept_as_wtf8() -> None:
    assert decoded(wire.path_bytes("C:\\x\ud800") or "") == "C:\\x\ud800".encode("utf-8", "surrogatepass")


def test_display_shows_bytes_as_hex_escapes() -> None:
    assert wire.display(os.fsdecode(b"/w/caf\xe9") + " \ud800 é") == "/w/caf\\xe9 \\ud800 é"


def test_library_manifest_json_carries_the_bytes() -> None:
    path = os.fsdecode(b"/srv/\xff")
    manifest = DiagnosticsManifest(
        attempt=1,
        strategy_results=(StrategyDiagnostic(Provider.CLAUDE, (path,), (path,), WorkspaceStatus.SOFT_FAILED),),
    )
    entry = manifest_to_json(manifest)["strategy_results"][0]
    assert [decoded(b) for b in entry["workspace_paths_bytes"]] == [b"/srv/\xff"]
    assert json.dumps(manifest_to_json(manifest)).encode("ascii")


def test_display_keeps_a_folders_control_characters_from_the_terminal() -> None:
    """A folder named to forge a line (a newline, then an escape sequence) shows
    as one line with its control characters spelt out."""
    name = "/w/x\nworkspace-trust: [1/1] claude \x1b[32mFORGED\r\x9b\x7f"
    shown = wire.display(name)
    assert shown == "/w/x\\x0aworkspace-trust: [1/1] claude \\x1b[32mFORGED\\x0d\\x9b\\x7f"
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in shown)


def test_a_progress_line_stays_one_line_whatever_the_folder_is_named() -> None:
    import io

    from workspace_trust.cli.progress import ProgressPrinter
    from workspace_trust.domain.codes import Provider
    from workspace_trust.strategy import ProgressEvent, ProgressStage

    folder = "/w/x\nworkspace-trust: [1/1] claude \x1b[32mFORGED: finished accepted"
    out = io.StringIO()
    printer = ProgressPrinter(mode="text", folders={("claude", folder): folder}, stream=lambda: out)
    printer(ProgressEvent(Provider.CLAUDE, folder, ProgressStage.SPAWNED))
    (line,) = out.getvalue().splitlines()
    assert "\x1b" not in line and line.startswith("workspace-trust: [0/1] claude /w/x\\x0aworkspace-trust")
