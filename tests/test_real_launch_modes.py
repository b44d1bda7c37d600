"""How each real CLI's folder-trust gate behaves when a host launches it
headless (prompt mode) or with extra folders, offline.

A prompt-mode run fails after the gate (no login, no network), so each test
tells a stop *at* the gate from a failure *past* it by the CLI's own words and
exit code. Where a CLI can be pointed at a model endpoint, the endpoint is a
local stub that answers every request with HTTP 400 at once: a request
reaching the stub is the proof that the run got past the gate, and the
request body shows what the CLI loaded. Every run is bounded and its process
group killed afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pytest

from tests import realcli
from tests.realcli import ModelStub, assert_nothing_left, require_cli
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.domain.codes import Key
from workspace_trust.installed_clis import cli_dir
from workspace_trust.ports import SpawnSpec

pytestmark = [pytest.mark.realcli, pytest.mark.slow]

#: Longest any one raw run may take.
RUN_TIMEOUT = 60


# -- running a raw CLI -------------------------------------------------------------------


@attrs.frozen(slots=True)
class Ran:
    """One finished raw run: exit code and output."""

    code: int
    out: str
    err: str


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_headless(argv: Sequence[str], cwd: str, env: Mapping[str, str], *, stdin_tty: bool = False) -> Ran:
    """Run ``argv`` in its own process group with stdin empty (or, with
    ``stdin_tty``, a terminal nobody types into) and stdout and stderr piped;
    the group is killed afterwards. Fails when the run outlives
    :data:`RUN_TIMEOUT` (a CLI waiting at a dialog nobody can see)."""
    master = slave = -1
    if stdin_tty:
        master, slave = os.openpty()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=slave if stdin_tty else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired as timed_out:
        _kill_group(proc.pid)
        out, err = proc.communicate()
        message = f"still running after {RUN_TIMEOUT}s:\n{out.decode()[-2000:]}\n{err.decode()[-2000:]}"
        raise AssertionError(message) from timed_out
    finally:
        _kill_group(proc.pid)
        if stdin_tty:
            os.close(master)
            os.close(slave)
    return Ran(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


def run_until(argv: Sequence[str], cwd: str, env: Mapping[str, str], needle: str) -> str:
    """Run ``argv`` headless (stdin empty, stdout and stderr merged) until its
    output holds ``needle``, then kill its process group: for a CLI that would
    go on retrying an unreachable model. Returns the output so far."""
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    text = ""
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while needle not in text and time.monotonic() < deadline:
                if not selector.select(timeout=0.5):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                text += chunk.decode(errors="replace")
    finally:
        _kill_group(proc.pid)
        proc.wait(timeout=RUN_TIMEOUT)
        proc.stdout.close()
    assert needle in text, text[-3000:]
    return text


#: Reads (of up to 100 ms each) a screen is watched on after the first outcome
#: shows: Codex draws its main view before the trust dialog that covers it.
SETTLE_READS = 50


def watch_screen(argv: Sequence[str], cwd: str, env: Mapping[str, str], outcomes: Mapping[str, str]) -> tuple[str, str]:
    """Start ``argv`` in a pseudo-terminal, send no key, and watch until the
    screen shows the text of one of ``outcomes``, then on for
    :data:`SETTLE_READS` more reads. Returns the first of ``outcomes`` (in
    their order) seen meanwhile and its screen, or ``exit N`` and the last
    screen when the CLI exits first."""
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=tuple(argv), cwd=cwd, env=dict(env)))
    try:
        text = ""
        seen: dict[str, str] = {}
        left = SETTLE_READS
        for _ in range(600):  # a bound on reads, not a timing assertion
            text = session.read_snapshot(100).text
            for name, wanted in outcomes.items():
                if wanted in text:
                    seen.setdefault(name, text)
            if seen:
                left -= 1
                if left <= 0:
                    break
            elif (code := session.exit_status()) is not None:
                return f"exit {code}", session.read_snapshot(300).text
        assert seen, f"none of {sorted(outcomes)} on the screen:\n{text}"
        first = next(name for name in outcomes if name in seen)
        return first, seen[first]
    finally:
        session.kill()


def read_json(path: str) -> dict[str, object]:
    with open(path, encoding="utf-8") as handle:
        doc: dict[str, object] = json.load(handle)
    return doc


def write_json(path: str, doc: object) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(doc, handle)


def workspace(sandbox: str, name: str = "proj") -> str:
    return realcli.folder(sandbox, "work", name)


# -- Claude Code --------------------------------------------------------------------------

#: Claude's words when it has got past the gate and needs a login.
CLAUDE_NO_LOGIN = "Not logged in · Please run /login"


def claude_projects(home: str) -> Any:
    """The ``projects`` table of ``.claude.json`` (None when there is none)."""
    return read_json(os.path.join(home, ".claude.json")).get("projects")


def claude_transcripts(home: str) -> str:
    found = []
    for folder, _, files in os.walk(os.path.join(home, ".claude", "projects")):
        for name in files:
            if name.endswith(".jsonl"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    found.append(handle.read())
    return "\n".join(found)


@pytest.mark.parametrize("version", ["2.1.197", "2.1.330", "2.1.337"])
@pytest.mark.parametrize("how", ["-p", "redirected stdout"])
def test_claude_prompt_mode_skips_the_trust_dialog_and_persists_nothing(sandbox: str, version: str, how: str) -> None:
    """``claude -p hi``, and ``claude hi`` with stdout piped (stdin a
    terminal), in a folder never trusted: no dialog, Claude goes on to the
    query and fails for want of a login (exit 1). ``.claude.json`` gets no
    ``projects`` entry. 2.1.330 and 2.1.337 record the query in a transcript
    that holds the folder's CLAUDE.md: the project's files were loaded."""
    binary = require_cli("claude", version)
    home, env = realcli.setup_home(sandbox, "claude")
    path = workspace(sandbox)
    with open(os.path.join(path, "CLAUDE.md"), "w", encoding="utf-8") as handle:
        handle.write("project-memory-marker-4711\n")
    argv = [binary, "-p", "hi"] if how == "-p" else [binary, "hi"]
    ran = run_headless(argv, path, env, stdin_tty=how != "-p")
    assert (ran.code, ran.out.strip()) == (1, CLAUDE_NO_LOGIN), ran
    assert claude_projects(home) is None
    transcripts = claude_transcripts(home)
    assert '"content":"hi"' in transcripts
    if version != "2.1.197":
        assert "project-memory-marker-4711" in transcripts
    assert_nothing_left(sandbox)


def trust_in_claude(home: str, *paths: str) -> None:
    """The record an accepted trust dialog leaves, for each of ``paths``."""
    state = os.path.join(home, ".claude.json")
    doc = read_json(state)
    doc["projects"] = {path: {"hasTrustDialogAccepted": True} for path in paths}
    write_json(state, doc)


CLAUDE_ADD_DIR = {"add-dir dialog": "Adding a new directory:", "prompt": "Not logged in"}


@pytest.mark.parametrize(
    ("version", "decline"),
    [("2.1.337", "No, start without it"), ("2.1.330", "No, exit"), ("2.1.197", None)],
)
@pytest.mark.parametrize("spelling", ["--add-dir B", "--add-dir=B"])
def test_claude_asks_about_an_untrusted_add_dir(sandbox: str, version: str, decline: str | None, spelling: str) -> None:
    """Started in a trusted folder with ``--add-dir B`` (either spelling) for a
    folder B never trusted, 2.1.330 and 2.1.337 ask "Adding a new directory:"
    before the prompt (No first and preselected; 2.1.330's No exits, 2.1.337's
    starts without B). 2.1.197 does not ask. Nothing is written about B."""
    binary = require_cli("claude", version)
    home, env = realcli.setup_home(sandbox, "claude")
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    trust_in_claude(home, path)
    flag = ["--add-dir", extra] if spelling == "--add-dir B" else [f"--add-dir={extra}"]
    seen, screen = watch_screen([binary, *flag], path, env, CLAUDE_ADD_DIR)
    if decline is None:
        assert seen == "prompt", screen
    else:
        assert seen == "add-dir dialog", screen
        assert extra in screen and decline in screen and "Yes, add it" in screen
        assert screen.index(decline) < screen.index("Yes, add it")
    assert set(claude_projects(home) or {}) == {path}
    assert_nothing_left(sandbox)


def test_claude_add_dir_of_a_trusted_folder_is_not_asked_about(sandbox: str) -> None:
    """2.1.337: once B holds the record of an accepted trust dialog (as after
    starting Claude in B and saying yes), ``--add-dir B`` starts without the
    "Adding a new directory:" question."""
    binary = require_cli("claude", "2.1.337")
    home, env = realcli.setup_home(sandbox, "claude")
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    trust_in_claude(home, path, extra)
    seen, screen = watch_screen([binary, "--add-dir", extra], path, env, CLAUDE_ADD_DIR)
    assert seen == "prompt", screen
    assert_nothing_left(sandbox)


def test_claude_prompt_mode_does_not_ask_about_add_dir(sandbox: str) -> None:
    """2.1.337 ``-p`` with an untrusted ``--add-dir B``: no question, the same
    failure past the gate as without it."""
    binary = require_cli("claude", "2.1.337")
    home, env = realcli.setup_home(sandbox, "claude")
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    trust_in_claude(home, path)
    ran = run_headless([binary, "-p", "hi", "--add-dir", extra], path, env)
    assert (ran.code, ran.out.strip()) == (1, CLAUDE_NO_LOGIN), ran
    assert set(claude_projects(home) or {}) == {path}
    assert_nothing_left(sandbox)


#: Reads (of up to 100 ms each) a screen is watched on after each key, and
#: how often a key is sent before the screen must have changed as wanted.
SETTLE_KEY_READS = 10
KEY_TRIES = 4


def answer_screen(
    argv: Sequence[str], cwd: str, env: Mapping[str, str], first: str, presses: Sequence[tuple[Key, str]]
) -> str:
    """Start ``argv`` in a pseudo-terminal and wait until the screen holds
    ``first``; then for each of ``presses`` send its key until the screen
    holds its text (a key that comes while the CLI still draws may be lost,
    so it is sent again, up to :data:`KEY_TRIES` times). Returns the last
    screen."""
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=tuple(argv), cwd=cwd, env=dict(env)))
    try:
        text = ""
        for _ in range(600):  # a bound on reads, not a timing assertion
            text = session.read_snapshot(100).text
            if first in text:
                break
            assert session.exit_status() is None, text
        assert first in text, f"{first!r} not on the screen:\n{text}"
        for key, wanted in presses:
            for _ in range(KEY_TRIES):
                session.send_key(key)
                for _ in range(SETTLE_KEY_READS):
                    text = session.read_snapshot(100).text
                if wanted in text:
                    break
            assert wanted in text, f"{wanted!r} not on the screen after {key}:\n{text}"
        return text
    finally:
        session.kill()


@pytest.mark.parametrize("version", ["2.1.330", "2.1.337"])
@pytest.mark.parametrize("layout", ["plain", "git subfolder"])
def test_claude_add_dir_of_a_preflighted_folder_is_not_asked_about(sandbox: str, version: str, layout: str) -> None:
    """Started in a trusted folder with ``--add-dir B`` after ``preflight B
    --provider claude``: no "Adding a new directory:" question. B a plain
    folder: the preflight trusts B itself. B a subfolder of a git repository:
    the preflight trusts the repository root (its trusted_key), and that
    covers B for ``--add-dir`` too."""
    binary = require_cli("claude", version)
    home, env = realcli.setup_home(sandbox, "claude")
    path = workspace(sandbox)
    trust_in_claude(home, path)
    if layout == "plain":
        extra = root = workspace(sandbox, "extra")
    else:
        root = realcli.git_init(os.path.join(sandbox, "work", "repo"))
        extra = realcli.folder(root, "sub")
    code, doc = realcli.preflight("claude", binary, env, extra)
    (result,) = doc["results"]
    assert (code, result["status"], result["trusted_key"]) == (0, "accepted", root), realcli.brief(doc)
    assert set(claude_projects(home)) == {path, root}
    seen, screen = watch_screen([binary, "--add-dir", extra], path, env, CLAUDE_ADD_DIR)
    assert seen == "prompt", screen
    assert_nothing_left(sandbox)


@pytest.mark.parametrize(("version", "decline"), [("2.1.330", "No, exit"), ("2.1.337", "No, start without it")])
def test_claude_add_dir_takes_several_folders_and_asks_about_each_in_turn(
    sandbox: str, version: str, decline: str
) -> None:
    """``--add-dir A B`` (one flag, two untrusted folders) adds both: the
    "Adding a new directory:" question names A alone; after its Yes the same
    question comes again naming B alone. Nothing is written about either."""
    binary = require_cli("claude", version)
    home, env = realcli.setup_home(sandbox, "claude")
    path, first, second = workspace(sandbox), workspace(sandbox, "first"), workspace(sandbox, "second")
    trust_in_claude(home, path)
    presses = [(Key.DOWN, "❯ Yes, add it"), (Key.ENTER, second)]
    screen = answer_screen([binary, "--add-dir", first, second], path, env, first, presses)
    assert "Adding a new directory:" in screen and decline in screen and first not in screen, screen
    assert set(claude_projects(home) or {}) == {path}
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["2.1.330", "2.1.337"])
@pytest.mark.parametrize(("relative", "asks"), [("../extra", True), ("inner", False)])
def test_claude_add_dir_resolves_a_relative_path_against_the_working_folder(
    sandbox: str, version: str, relative: str, asks: bool
) -> None:
    """In a trusted folder W, ``--add-dir ../extra`` asks about W's untrusted
    sibling by its absolute path; ``--add-dir inner``, a folder inside W, is
    covered by W's trust and not asked about."""
    binary = require_cli("claude", version)
    home, env = realcli.setup_home(sandbox, "claude")
    path = workspace(sandbox)
    workspace(sandbox, "extra")
    realcli.folder(path, "inner")
    trust_in_claude(home, path)
    seen, screen = watch_screen([binary, "--add-dir", relative], path, env, CLAUDE_ADD_DIR)
    assert seen == ("add-dir dialog" if asks else "prompt"), screen
    if asks:
        assert os.path.normpath(os.path.join(path, relative)) in screen
    assert set(claude_projects(home) or {}) == {path}
    assert_nothing_left(sandbox)


# -- GitHub Copilot CLI ---------------------------------------------------------------------

#: Where the CLI unpacks its package, shared with tests/providers/copilot/test_real_copilot.py.
COPILOT_PACKAGE_CACHE = "copilot-package-cache"


def copilot_home(sandbox: str, stub: ModelStub | None = None) -> tuple[str, dict[str, str]]:
    """A seeded HOME; with ``stub``, Copilot's own-provider settings point it at
    the stub, so a prompt gets past the GitHub login to a model request."""
    home, env = realcli.setup_home(
        sandbox, "copilot", copilot_package_cache=os.path.join(cli_dir(), COPILOT_PACKAGE_CACHE)
    )
    if stub is not None:
        env.update(
            {
                "COPILOT_OFFLINE": "true",
                "COPILOT_PROVIDER_BASE_URL": stub.url + "/v1",
                "COPILOT_PROVIDER_API_KEY": "sk-test-not-a-real-key",
                "COPILOT_MODEL": "gpt-4o",
            }
        )
    return home, env


def repo_hook(path: str) -> str:
    """A ``.github/hooks`` session-start hook in ``path`` that leaves a mark
    beside it; returns the mark."""
    mark = path + "-hook-ran"
    hook = {"version": 1, "hooks": {"sessionStart": [{"type": "command", "bash": f"touch '{mark}'"}]}}
    write_json(os.path.join(path, ".github", "hooks", "mark.json"), hook)
    return mark


def copilot_trusted_folders(home: str) -> object:
    with open(os.path.join(home, ".copilot", "config.json"), encoding="utf-8") as handle:
        text = "".join(line for line in handle if not line.lstrip().startswith("//"))
    doc: dict[str, object] = json.loads(text)
    return doc.get("trustedFolders", doc.get("trusted_folders"))


@pytest.mark.parametrize("version", ["1.0.80", "1.0.89", "1.0.102"])
def test_copilot_prompt_mode_has_no_gate_and_skips_repo_hooks(sandbox: str, stub: ModelStub, version: str) -> None:
    """``copilot -p hi`` in a folder never trusted does not stop: it sends the
    prompt to the model (the stub's 400 ends it, exit 1) without loading the
    folder's repository hooks, and saves no trust."""
    binary = require_cli("copilot", version)
    home, env = copilot_home(sandbox, stub)
    path = workspace(sandbox)
    mark = repo_hook(path)
    ran = run_headless([binary, "-p", "hi"], path, env)
    assert ran.code == 1 and "offline test stub" in ran.err, ran
    assert any(route.endswith("/chat/completions") for route, _ in stub.requests)
    assert not os.path.exists(mark)
    assert copilot_trusted_folders(home) is None
    assert_nothing_left(sandbox)


def test_copilot_trust_folder_loads_repo_config_for_one_prompt_only(sandbox: str, stub: ModelStub) -> None:
    """1.0.102 ``-p hi --trust-folder``: the folder's hooks run (its log says
    "Loading repo hooks in prompt mode (folder is trusted or opt-in set)"),
    and config.json still names no trusted folder."""
    binary = require_cli("copilot", "1.0.102")
    home, env = copilot_home(sandbox, stub)
    path = workspace(sandbox)
    mark = repo_hook(path)
    ran = run_headless([binary, "-p", "hi", "--trust-folder"], path, env)
    assert ran.code == 1 and "offline test stub" in ran.err, ran
    assert os.path.exists(mark)
    assert copilot_trusted_folders(home) is None
    assert_nothing_left(sandbox)


def test_copilot_refuses_trust_folder_in_an_interactive_session(sandbox: str) -> None:
    binary = require_cli("copilot", "1.0.102")
    home, env = copilot_home(sandbox)
    path = workspace(sandbox)
    seen, screen = watch_screen([binary, "--trust-folder"], path, env, {})
    assert seen == "exit 1", screen
    assert "--trust-folder requires a new local prompt-mode session (-p/--prompt or piped stdin)." in screen
    assert not os.path.exists(os.path.join(home, ".copilot", "config.json"))
    assert_nothing_left(sandbox)


def test_copilot_before_the_switch_takes_trust_folder_for_prompt_words(sandbox: str) -> None:
    """1.0.89 has no ``--trust-folder``: it reads it as more words of an
    unquoted prompt and stops before anything runs."""
    binary = require_cli("copilot", "1.0.89")
    _, env = copilot_home(sandbox)
    ran = run_headless([binary, "-p", "hi", "--trust-folder"], workspace(sandbox), env)
    assert ran.code == 1 and "Invalid command format." in ran.err, ran
    assert_nothing_left(sandbox)


@pytest.mark.parametrize(("flag", "asks"), [("--add-dir", False), ("-C", True)])
def test_copilot_checks_trust_for_c_but_not_for_add_dir(sandbox: str, flag: str, asks: bool) -> None:
    """1.0.102 started in a trusted folder: ``--add-dir B`` for an untrusted B
    goes straight to the prompt; ``-C B`` makes B the working folder and asks
    about B."""
    binary = require_cli("copilot", "1.0.102")
    home, env = copilot_home(sandbox)
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    write_json(os.path.join(home, ".copilot", "config.json"), {"trustedFolders": [path]})
    outcomes = {"trust dialog": "Confirm folder trust", "prompt": "Please use /login"}
    seen, screen = watch_screen([binary, flag, extra], path, env, outcomes)
    assert seen == ("trust dialog" if asks else "prompt"), screen
    if asks:
        assert extra in screen
    assert copilot_trusted_folders(home) == [path]
    assert_nothing_left(sandbox)


@pytest.mark.parametrize(("version", "extra"), [("1.0.89", ("--allow-unprotected-copilot",)), ("1.0.102", ())])
def test_copilot_prompt_mode_loads_repo_hooks_after_a_preflight(
    sandbox: str, stub: ModelStub, version: str, extra: tuple[str, ...]
) -> None:
    """After ``preflight W --provider copilot`` (which saves W in config.json
    trustedFolders), ``copilot -p hi`` in W runs W's repository hooks, which
    the same run in a folder never trusted skips (see
    test_copilot_prompt_mode_has_no_gate_and_skips_repo_hooks). The hook is
    written after the preflight, so only the prompt-mode run can have run it."""
    binary = require_cli("copilot", version)
    home, env = copilot_home(sandbox, stub)
    path = workspace(sandbox)
    code, doc = realcli.preflight("copilot", binary, env, path, extra=extra)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    assert copilot_trusted_folders(home) == [path]
    mark = repo_hook(path)
    ran = run_headless([binary, "-p", "hi"], path, env)
    assert ran.code == 1 and "offline test stub" in ran.err, ran
    assert os.path.exists(mark)
    assert copilot_trusted_folders(home) == [path]
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["1.0.89", "1.0.102"])
@pytest.mark.parametrize(("relative", "asks"), [("../extra", True), ("inner", False)])
def test_copilot_c_resolves_a_relative_path_against_the_working_folder(
    sandbox: str, version: str, relative: str, asks: bool
) -> None:
    """Started in a trusted folder W, ``-C ../extra`` asks about W's untrusted
    sibling by its absolute path; ``-C inner``, a folder inside W, is covered
    by W's trust: the prompt, with W/inner as the working folder."""
    binary = require_cli("copilot", version)
    home, env = copilot_home(sandbox)
    path = workspace(sandbox)
    workspace(sandbox, "extra")
    realcli.folder(path, "inner")
    write_json(os.path.join(home, ".copilot", "config.json"), {"trustedFolders": [path]})
    outcomes = {"trust dialog": "Confirm folder trust", "prompt": "Please use /login"}
    seen, screen = watch_screen([binary, "-C", relative], path, env, outcomes)
    assert seen == ("trust dialog" if asks else "prompt"), screen
    assert os.path.normpath(os.path.join(path, relative)) in screen
    assert copilot_trusted_folders(home) == [path]
    assert_nothing_left(sandbox)


# -- Gemini CLI -----------------------------------------------------------------------------

GEMINI_GATE = (
    "Gemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, "
    "set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust this directory in interactive mode."
)
GEMINI_PAST_GATE = "Error when talking to Gemini API"


def gemini_home(sandbox: str, stub: ModelStub) -> tuple[str, dict[str, str]]:
    home, env = realcli.setup_home(sandbox, "gemini")
    return home, {**env, "GOOGLE_GEMINI_BASE_URL": stub.url}


@pytest.mark.parametrize("version", ["0.39.1", "0.45.2", "0.61.0"])
def test_gemini_headless_stops_at_the_gate_with_exit_55(sandbox: str, stub: ModelStub, version: str) -> None:
    binary = require_cli("gemini", version)
    home, env = gemini_home(sandbox, stub)
    ran = run_headless([binary, "-p", "hi"], workspace(sandbox), env)
    assert ran.code == 55 and GEMINI_GATE in ran.err, ran
    assert stub.requests == []
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert_nothing_left(sandbox)


def test_gemini_before_the_switch_has_no_headless_gate(sandbox: str, stub: ModelStub) -> None:
    """0.39.0 asks nothing in prompt mode: an untrusted folder goes straight to
    the model, and ``--skip-trust`` is an unknown argument."""
    binary = require_cli("gemini", "0.39.0")
    home, env = gemini_home(sandbox, stub)
    path = workspace(sandbox)
    ran = run_headless([binary, "-p", "hi"], path, env)
    assert ran.code == 1 and GEMINI_PAST_GATE in ran.err and GEMINI_GATE not in ran.err, ran
    assert stub.requests
    ran = run_headless([binary, "-p", "hi", "--skip-trust"], path, env)
    assert ran.code == 1 and "Unknown arguments: skip-trust, skipTrust" in ran.err, ran
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["0.39.1", "0.45.2", "0.61.0"])
@pytest.mark.parametrize("override", ["--skip-trust", "GEMINI_CLI_TRUST_WORKSPACE=true"])
def test_gemini_session_overrides_pass_the_gate_and_persist_nothing(
    sandbox: str, stub: ModelStub, version: str, override: str
) -> None:
    binary = require_cli("gemini", version)
    home, env = gemini_home(sandbox, stub)
    argv = [binary, "-p", "hi"]
    if override.startswith("--"):
        argv.append(override)
    else:
        name, value = override.split("=")
        env[name] = value
    ran = run_headless(argv, workspace(sandbox), env)
    assert ran.code == 1 and GEMINI_PAST_GATE in ran.err and GEMINI_GATE not in ran.err, ran
    assert stub.requests
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
def test_gemini_asks_about_untrusted_include_directories(sandbox: str, stub: ModelStub, version: str) -> None:
    """Interactive, in a trusted folder, ``--include-directories B`` for an
    untrusted B: "Do you trust the following folders being added to this
    workspace?" naming B, with Yes / Yes, and remember / No."""
    binary = require_cli("gemini", version)
    home, env = gemini_home(sandbox, stub)
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    write_json(os.path.join(home, ".gemini", "trustedFolders.json"), {path: "TRUST_FOLDER"})
    outcomes = {"include dialog": "Do you trust the following folders being added to this workspace?"}
    seen, screen = watch_screen([binary, "--include-directories", extra], path, env, outcomes)
    assert seen == "include dialog", screen
    assert extra in screen and "2. Yes, and remember the directories as trusted" in screen
    assert read_json(os.path.join(home, ".gemini", "trustedFolders.json")) == {path: "TRUST_FOLDER"}
    assert_nothing_left(sandbox)


GEMINI_INCLUDE = {
    "include dialog": "Do you trust the following folders being added to this workspace?",
    "prompt": "Type your message",
}


@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
@pytest.mark.parametrize("entry", ["B TRUST_FOLDER", "parent TRUST_FOLDER", "B TRUST_PARENT", "sibling TRUST_PARENT"])
def test_gemini_include_directories_trusted_in_the_file_are_not_asked_about(
    sandbox: str, stub: ModelStub, version: str, entry: str
) -> None:
    """Interactive, in a trusted folder, ``--include-directories B`` for a B
    that trustedFolders.json trusts (B itself as TRUST_FOLDER, B's parent as
    TRUST_FOLDER, or B's parent through a TRUST_PARENT entry for B or for a
    sibling of B): straight to the prompt, the file unchanged."""
    binary = require_cli("gemini", version)
    home, env = gemini_home(sandbox, stub)
    path, parent = workspace(sandbox), workspace(sandbox, "parent")
    extra = realcli.folder(parent, "extra")
    key, level = {
        "B TRUST_FOLDER": (extra, "TRUST_FOLDER"),
        "parent TRUST_FOLDER": (parent, "TRUST_FOLDER"),
        "B TRUST_PARENT": (extra, "TRUST_PARENT"),
        "sibling TRUST_PARENT": (os.path.join(parent, "sibling"), "TRUST_PARENT"),
    }[entry]
    trusted = {path: "TRUST_FOLDER", key: level}
    write_json(os.path.join(home, ".gemini", "trustedFolders.json"), trusted)
    seen, screen = watch_screen([binary, "--include-directories", extra], path, env, GEMINI_INCLUDE)
    assert seen == "prompt", screen
    assert read_json(os.path.join(home, ".gemini", "trustedFolders.json")) == trusted
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
def test_gemini_asks_about_include_directories_in_a_workspace_trusted_by_env(
    sandbox: str, stub: ModelStub, version: str
) -> None:
    """Interactive, in a folder trusted only through
    GEMINI_CLI_TRUST_WORKSPACE=true, ``--include-directories B`` for an
    untrusted B: the session override does not reach B, the question names
    it. Nothing is written."""
    binary = require_cli("gemini", version)
    home, env = gemini_home(sandbox, stub)
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    env["GEMINI_CLI_TRUST_WORKSPACE"] = "true"
    seen, screen = watch_screen([binary, "--include-directories", extra], path, env, GEMINI_INCLUDE)
    assert seen == "include dialog", screen
    assert f"- {extra}" in screen
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
@pytest.mark.parametrize("first_trusted", [False, True])
def test_gemini_splits_comma_separated_include_directories(
    sandbox: str, stub: ModelStub, version: str, first_trusted: bool
) -> None:
    """``--include-directories A,B`` is two folders: one question lists every
    untrusted one of them, both A and B, or B alone when A is trusted."""
    binary = require_cli("gemini", version)
    home, env = gemini_home(sandbox, stub)
    path, first, second = workspace(sandbox), workspace(sandbox, "first"), workspace(sandbox, "second")
    trusted = {path: "TRUST_FOLDER", **({first: "TRUST_FOLDER"} if first_trusted else {})}
    write_json(os.path.join(home, ".gemini", "trustedFolders.json"), trusted)
    argv = [binary, "--include-directories", f"{first},{second}"]
    seen, screen = watch_screen(argv, path, env, GEMINI_INCLUDE)
    assert seen == "include dialog", screen
    assert (f"- {first}" in screen, f"- {second}" in screen) == (not first_trusted, True), screen
    assert read_json(os.path.join(home, ".gemini", "trustedFolders.json")) == trusted
    assert_nothing_left(sandbox)


def test_gemini_headless_adds_untrusted_include_directories_unasked(sandbox: str, stub: ModelStub) -> None:
    """0.61.0 ``-p`` with ``--skip-trust`` and an untrusted
    ``--include-directories B``: no question, and B is listed among the
    workspace directories of the request."""
    binary = require_cli("gemini", "0.61.0")
    home, env = gemini_home(sandbox, stub)
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    ran = run_headless([binary, "-p", "hi", "--skip-trust", "--include-directories", extra], path, env)
    assert ran.code == 1 and GEMINI_PAST_GATE in ran.err, ran
    assert extra in stub.bodies()
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert_nothing_left(sandbox)


# -- Codex CLI ------------------------------------------------------------------------------

CODEX_VERSIONS = ["0.125.0", "0.158.0", "0.162.0", "0.166.0", "0.169.0"]


def codex_trust_table(path: str) -> str:
    return f'projects={{"{path}"={{trust_level="trusted"}}}}'


@pytest.mark.parametrize("version", CODEX_VERSIONS)
@pytest.mark.parametrize(
    ("override", "sandbox_line"),
    [
        (None, "sandbox: read-only"),
        ("table", "sandbox: workspace-write"),
        ("dotted", "sandbox: read-only"),
    ],
)
def test_codex_exec_has_no_gate_and_reads_trust_from_an_inline_table(
    sandbox: str, version: str, override: str | None, sandbox_line: str
) -> None:
    """``codex exec hi`` in an untrusted git repository does not stop: it
    prints its session header and the prompt, and goes on to the model. Trust
    only changes the default sandbox: read-only untrusted, workspace-write
    with ``-c 'projects={"<path>"={trust_level="trusted"}}'``. The dotted
    ``-c 'projects."<path>".trust_level="trusted"'`` is not read as trust.
    Nothing is written to config.toml."""
    binary = require_cli("codex", version)
    home, env = realcli.setup_home(sandbox, "codex")
    path = realcli.git_init(os.path.join(sandbox, "work", "repo"))
    flags = {
        None: [],
        "table": ["-c", codex_trust_table(path)],
        "dotted": ["-c", f'projects."{path}".trust_level="trusted"'],
    }[override]
    text = run_until([binary, "exec", *flags, "hi"], path, env, "\nuser\nhi\n")
    assert f"workdir: {path}" in text
    assert sandbox_line in text
    assert not os.path.exists(os.path.join(home, ".codex", "config.toml"))
    assert_nothing_left(sandbox)


@pytest.mark.parametrize(("version", "listed"), [("0.166.0", False), ("0.169.0", True)])
def test_codex_exec_trust_saves_broad_trust_by_its_own_help(sandbox: str, version: str, listed: bool) -> None:
    """Never run here: ``codex exec --trust`` (from 0.169.0) saves trust for
    future chats and MCP commands outside the sandbox, by its ``--help``."""
    binary = require_cli("codex", version)
    _, env = realcli.setup_home(sandbox, "codex")
    ran = run_headless([binary, "exec", "--help"], sandbox, env)
    assert ran.code == 0, ran
    words = "Save trust for this project and future chats, including MCP commands outside the sandbox."
    assert (words in " ".join(ran.out.split())) is listed
    assert_nothing_left(sandbox)


@pytest.mark.parametrize(("flag", "asks"), [("--add-dir", False), ("-C", True)])
def test_codex_checks_trust_for_cd_but_not_for_add_dir(sandbox: str, flag: str, asks: bool) -> None:
    """0.169.0 started in a repository trusted by ``-c``: ``--add-dir B`` for
    an untrusted repository B goes to the prompt; ``-C B`` asks "Trust this
    folder?" about B. No trust is saved either way."""
    binary = require_cli("codex", "0.169.0")
    home, env = realcli.setup_home(sandbox, "codex")
    path = realcli.git_init(os.path.join(sandbox, "work", "repo"))
    extra = realcli.git_init(os.path.join(sandbox, "work", "extra"))
    argv = [binary, "--no-daemon", "-c", codex_trust_table(path), flag, extra]
    outcomes = {"trust dialog": "Trust this folder?", "prompt": "Ask Codex to do anything"}
    seen, screen = watch_screen(argv, path, env, outcomes)
    assert seen == ("trust dialog" if asks else "prompt"), screen
    if asks:
        assert extra in screen
    config = os.path.join(home, ".codex", "config.toml")
    if os.path.exists(config):
        with open(config, encoding="utf-8") as handle:
            assert "trust_level" not in handle.read()
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("spelling", ["--cd B", "--cd=B", "-C=B", "-CB"])
def test_codex_asks_about_cd_in_every_spelling(sandbox: str, spelling: str) -> None:
    """0.169.0 started in a repository trusted by ``-c``: ``--cd B``,
    ``--cd=B``, ``-C=B`` and ``-CB`` ask "Trust this folder?" about the
    untrusted repository B, as ``-C B`` does. No trust is saved."""
    binary = require_cli("codex", "0.169.0")
    home, env = realcli.setup_home(sandbox, "codex")
    path = realcli.git_init(os.path.join(sandbox, "work", "repo"))
    extra = realcli.git_init(os.path.join(sandbox, "work", "extra"))
    flag = {
        "--cd B": ["--cd", extra],
        "--cd=B": [f"--cd={extra}"],
        "-C=B": [f"-C={extra}"],
        "-CB": [f"-C{extra}"],
    }[spelling]
    argv = [binary, "--no-daemon", "-c", codex_trust_table(path), *flag]
    outcomes = {"trust dialog": "Trust this folder?", "prompt": "Ask Codex to do anything"}
    seen, screen = watch_screen(argv, path, env, outcomes)
    assert seen == "trust dialog", screen
    assert extra in screen
    config = os.path.join(home, ".codex", "config.toml")
    if os.path.exists(config):
        with open(config, encoding="utf-8") as handle:
            assert "trust_level" not in handle.read()
    assert_nothing_left(sandbox)


@pytest.mark.parametrize(
    ("trusted", "sandbox_line"),
    [(None, "sandbox: read-only"), ("W", "sandbox: read-only"), ("B", "sandbox: workspace-write")],
)
def test_codex_exec_reads_trust_of_the_cd_folder(sandbox: str, trusted: str | None, sandbox_line: str) -> None:
    """0.169.0 ``codex exec -C B hi`` started in a repository W, for another
    repository B: no gate, B is the workdir, and the sandbox follows B's
    trust alone: read-only with no trust or only W trusted by ``-c``,
    workspace-write with B trusted by ``-c``. Nothing is written to config.toml."""
    binary = require_cli("codex", "0.169.0")
    home, env = realcli.setup_home(sandbox, "codex")
    path = realcli.git_init(os.path.join(sandbox, "work", "repo"))
    extra = realcli.git_init(os.path.join(sandbox, "work", "extra"))
    flags = {None: [], "W": ["-c", codex_trust_table(path)], "B": ["-c", codex_trust_table(extra)]}[trusted]
    text = run_until([binary, "exec", *flags, "-C", extra, "hi"], path, env, "\nuser\nhi\n")
    assert f"workdir: {extra}" in text
    assert sandbox_line in text
    assert not os.path.exists(os.path.join(home, ".codex", "config.toml"))
    assert_nothing_left(sandbox)


# -- Qwen Code ------------------------------------------------------------------------------


def qwen_home(sandbox: str, stub: ModelStub) -> tuple[str, dict[str, str]]:
    """Folder trust on (the seed), and an OpenAI-style key for the stub."""
    home, env = realcli.setup_home(sandbox, "qwen")
    return home, {**env, "OPENAI_API_KEY": "sk-test-not-a-real-key", "OPENAI_BASE_URL": stub.url + "/v1"}


@pytest.mark.parametrize(
    ("version", "untrusted_reads_project"), [("0.12.0", True), ("0.15.6", True), ("0.24.4", False)]
)
@pytest.mark.parametrize("trusted_by_env", [False, True])
def test_qwen_headless_has_no_gate(
    sandbox: str, stub: ModelStub, version: str, untrusted_reads_project: bool, trusted_by_env: bool
) -> None:
    """``qwen -p hi`` with folder trust on, in a folder never trusted, does not
    stop: the prompt reaches the model. 0.24.4 then ignores the folder's
    ``.qwen/settings.json`` (its model is not the one asked for) unless
    QWEN_CODE_TRUSTED_FOLDERS_PATH names a file that trusts the folder;
    0.12.0 and 0.15.6 read it either way. No trust is saved."""
    binary = require_cli("qwen", version)
    home, env = qwen_home(sandbox, stub)
    path = workspace(sandbox)
    write_json(os.path.join(path, ".qwen", "settings.json"), {"model": {"name": "project-model-marker"}})
    if trusted_by_env:
        trust_file = os.path.join(sandbox, "qwen-trusted-folders.json")
        write_json(trust_file, {path: "TRUST_FOLDER"})
        env["QWEN_CODE_TRUSTED_FOLDERS_PATH"] = trust_file
    ran = run_headless([binary, "-p", "hi", "--auth-type", "openai"], path, env)
    assert ran.code == 1 and "[API Error: 400 offline test stub]" in ran.err, ran
    assert stub.requests
    reads_project = '"model":"project-model-marker"' in stub.bodies()
    assert reads_project is (trusted_by_env or untrusted_reads_project)
    assert not os.path.exists(os.path.join(home, ".qwen", "trustedFolders.json"))
    assert_nothing_left(sandbox)


def test_qwen_does_not_ask_about_include_directories(sandbox: str, stub: ModelStub) -> None:
    """0.24.4, interactive, in a folder trusted through
    QWEN_CODE_TRUSTED_FOLDERS_PATH, with an untrusted ``--include-directories
    B``: straight to the prompt."""
    binary = require_cli("qwen", "0.24.4")
    home, env = qwen_home(sandbox, stub)
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    trust_file = os.path.join(sandbox, "qwen-trusted-folders.json")
    write_json(trust_file, {path: "TRUST_FOLDER"})
    env["QWEN_CODE_TRUSTED_FOLDERS_PATH"] = trust_file
    outcomes = {"trust dialog": "Do you trust", "prompt": "Type your message"}
    argv = [binary, "--auth-type", "openai", "--include-directories", extra]
    seen, screen = watch_screen(argv, path, env, outcomes)
    assert seen == "prompt", screen
    assert not os.path.exists(os.path.join(home, ".qwen", "trustedFolders.json"))
    assert_nothing_left(sandbox)
