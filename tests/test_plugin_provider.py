"""A third party's CLI, added through the ``workspace_trust.providers`` entry
point alone (the example plug-in ``examples/toy-plugin``), works end to end
through the real command line: ``preflight`` drives its dialog in a PTY and
reads its state file, ``status`` reads it, ``plan`` returns its environment
patch, and the guards and the generated options apply to it like to any
built-in. A plug-in that cannot be loaded is said, not dropped.

Most tests put the example's source on ``PYTHONPATH`` beside a distribution
that declares its entry point, as pip leaves them (fast);
``test_the_example_installs_and_works_in_a_fresh_venv`` installs it for real."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from typing import Any

import jsonschema
import pytest
from packaging.requirements import Requirement

from tests import realcli
from workspace_trust.documents import load_schema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "toy-plugin")
PLUGINS = os.path.join(EXAMPLE, "src")
TOY_CLI = os.path.join(PLUGINS, "toytrust", "toy_cli.py")
DISTRIBUTION = "toytrust-example"

#: Broken variants of the example, written next to it as another package
#: would be: ``SPEC_WITHOUT_RULES`` forgot its dialog rules (neither its PTY
#: provider nor its spec names a table; the base class's ``rules`` reads the
#: spec's), ``TAKEN`` claims a built-in's id.
VARIANTS = """
import attrs

from toytrust.spec import SPEC
from toytrust.strategies import ToyPty
from workspace_trust.plugin import Provider, PtyProvider, PtyTrustStrategy, StrategyMode

TAKEN = attrs.evolve(SPEC, id=Provider("claude"))


class RulelessToyPty(ToyPty):
    rules = PtyProvider.rules


SPEC_WITHOUT_RULES = attrs.evolve(
    SPEC,
    modes=(StrategyMode("pty", lambda: PtyTrustStrategy(RulelessToyPty()), flag="toy_pty", help="no rules"),),
    rules=None,
)
"""


@pytest.fixture
def toy_env(sandbox: str) -> dict[str, str]:
    """An environment in which the toy plug-in is installed: its package on the
    path and a distribution that declares the entry point, as pip leaves them."""
    return install_toy(sandbox)


def install_toy(sandbox: str, *entries: str) -> dict[str, str]:
    """``entries``: the group's lines, ``toy = toytrust.spec:SPEC`` by default."""
    site = os.path.join(sandbox, "site")
    dist = os.path.join(site, "toytrust_example-0.1.0.dist-info")
    os.makedirs(dist)
    with open(os.path.join(dist, "METADATA"), "w", encoding="utf-8") as handle:
        handle.write(f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: 0.1.0\n")
    with open(os.path.join(dist, "entry_points.txt"), "w", encoding="utf-8") as handle:
        lines = entries or ("toy = toytrust.spec:SPEC",)
        handle.write("[workspace_trust.providers]\n" + "".join(f"{line}\n" for line in lines))
    with open(os.path.join(site, "toyvariants.py"), "w", encoding="utf-8") as handle:
        handle.write(VARIANTS)
    home = os.path.join(sandbox, "home")
    os.makedirs(home)
    return {
        "HOME": home,
        "PATH": os.environ["PATH"],
        "TERM": "xterm-256color",
        "PYTHONPATH": os.pathsep.join([site, PLUGINS]),
    }


def cli(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout.count("\n") == 1, proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


def trusted(env: dict[str, str]) -> list[str]:
    with open(os.path.join(env["HOME"], ".toy", "trusted.json"), encoding="utf-8") as handle:
        listed: list[str] = json.load(handle)["workspaces"]
    return listed


def test_preflight_accepts_the_toy_dialog_by_label_and_persists_it(toy_env: dict[str, str], sandbox: str) -> None:
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = cli(toy_env, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)
    (result,) = doc["results"]
    assert (code, result["provider"], result["status"]) == (0, "toy", "accepted"), doc
    # "Allow once" is preselected and persists nothing: one Down to the
    # persistent choice, then Enter.
    assert (result["dialogs"][0], result["keys"]) == ("toy.workspace_trust", ["down", "enter"])
    assert trusted(toy_env) == [ws]

    code, again = cli(toy_env, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)
    assert (code, again["results"][0]["status"], again["results"][0]["pty_spawned"]) == (0, "already_trusted", False)
    code, status = cli(toy_env, "status", ws, "--provider", "toy")
    assert (code, status["status"], status["results"][0]["trusted_key"]) == (0, "trusted", ws)


def test_plan_returns_the_toy_environment_patch(toy_env: dict[str, str], sandbox: str) -> None:
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = cli(toy_env, "plan", ws, "--provider", "toy", "--toy-mode", "env")
    assert code == 0, doc
    assert doc["provider_fields"]["toy"]["env"] == {"TOY_TRUST_WORKSPACES": ws}
    assert doc["toy_env"] == {"TOY_TRUST_WORKSPACES": ws}  # deprecated: <provider>_<field>
    (patch,) = doc["env_patches"]
    assert patch["target_provider"] == "toy"


def test_the_home_guard_and_the_feature_flag_apply_to_the_plugin(toy_env: dict[str, str], sandbox: str) -> None:
    code, doc = cli(toy_env, "preflight", toy_env["HOME"], "--provider", "toy", "--toy-bin", TOY_CLI)
    assert (code, doc["results"][0]["code"], doc["results"][0]["pty_spawned"]) == (
        3,
        "workspace_trust_not_persistable_home",
        False,
    )
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    off = {**toy_env, "WORKSPACE_TRUST_TOY_PTY": "0"}
    code, doc = cli(off, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)
    assert (doc["results"][0]["status"], doc["results"][0]["code"]) == ("skipped", "feature_disabled")
    assert doc["manifest"]["feature_flags"]["toy_pty"] is False


def test_the_plugins_options_and_codes_are_generated(toy_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "preflight", "--help"],
        env=toy_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "--toy-bin" in proc.stdout and "--toy-mode" in proc.stdout
    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from workspace_trust import Code, Provider; print(Code('toy_state_file_odd').name,"
            " [p.value for p in Provider])",
        ],
        env=toy_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert listed.strip() == "TOY_STATE_FILE_ODD ['claude', 'codex', 'gemini', 'qwen', 'copilot', 'toy']"


def test_without_the_entry_point_the_provider_is_unknown(toy_env: dict[str, str], sandbox: str) -> None:
    """The toy is found through its entry point and nothing else."""
    env = {**toy_env, "PYTHONPATH": PLUGINS}
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "status", sandbox, "--provider", "toy", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown provider 'toy' (claude, codex, gemini, qwen, copilot)" in proc.stderr + proc.stdout


def test_a_provider_that_gates_no_folder_is_not_required_and_nothing_starts(
    toy_env: dict[str, str], sandbox: str
) -> None:
    """The toy with its gate off shows no dialog: ``trust_required`` says so, and
    preflight, status and the manifest report ``not_required`` (ok, exit 0)
    without probing or starting anything; a binary that is not there proves it.
    (It is named by the environment: an explicit ``--toy-bin`` that names no
    executable is a usage error before anything is planned.)"""
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    missing = os.path.join(sandbox, "no-such-toy")
    off = {**toy_env, "TOY_TRUST_GATE": "off", "TOYTRUST_TOY_BIN": missing}
    for mode in ("pty", "env"):
        code, doc = cli(off, "preflight", ws, "--provider", "toy", "--toy-mode", mode)
        (result,) = doc["results"]
        assert (code, doc["status"], result["status"], result["code"]) == (0, "ok", "not_required", None), doc
        assert result["pty_spawned"] is False
        (entry,) = doc["manifest"]["strategy_results"]
        assert entry["status"] == "not_required"
    code, doc = cli(off, "status", ws, "--provider", "toy")
    (row,) = doc["results"]
    assert (code, doc["status"], row["status"], row["code"], row["pty_spawned"]) == (
        0,
        "trusted",
        "not_required",
        None,
        False,
    ), doc
    assert not os.path.exists(os.path.join(toy_env["HOME"], ".toy"))
    # With the gate on, the same folder is untrusted and the binary is needed.
    code, doc = cli(toy_env, "status", ws, "--provider", "toy")
    assert (code, doc["results"][0]["status"]) == (1, "untrusted")
    code, doc = cli({**toy_env, "TOYTRUST_TOY_BIN": missing}, "preflight", ws, "--provider", "toy")
    assert (code, doc["results"][0]["code"]) == (1, "provider_binary_missing")
    code, doc = cli(toy_env, "preflight", ws, "--provider", "toy", "--toy-bin", missing)
    assert (code, doc["error"]["code"]) == (2, "usage")
    # The home folder is refused whether or not the provider gates folders.
    code, doc = cli(off, "preflight", toy_env["HOME"], "--provider", "toy")
    assert (code, doc["results"][0]["status"]) == (3, "blocked")


def test_a_pty_plugin_without_dialog_rules_is_refused_before_anything_starts(sandbox: str) -> None:
    """A plug-in whose PTY provider names no rule table could recognise no
    screen: the preflight says the preflight is unavailable, and neither the
    CLI's ``--help`` nor the CLI itself is ever started (the binary is a script
    that leaves a mark when run)."""
    env = install_toy(sandbox, "toy = toyvariants:SPEC_WITHOUT_RULES")
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    toy, mark = realcli.marking_wrapper(sandbox, TOY_CLI)
    code, doc = cli(env, "preflight", ws, "--provider", "toy", "--toy-bin", toy)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        1,
        "soft_failed",
        "preflight_unavailable_or_unprotected",
        False,
    ), doc
    assert "names no dialog rules" in doc["diagnostics"][0]["message"]
    assert not os.path.exists(mark)
    assert not os.path.exists(os.path.join(env["HOME"], ".toy"))


def test_status_text_of_a_probe_that_names_no_source(toy_env: dict[str, str], sandbox: str) -> None:
    """A plug-in's probe may leave the trust source unset: the status line
    names the key that proved trust, never "by None"."""
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    assert cli(toy_env, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)[0] == 0
    _, doc = cli(toy_env, "status", ws, "--provider", "toy")
    assert doc["results"][0]["trusted_by"] is None
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "status", ws, "--provider", "toy"],
        env=toy_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(f"{ws} (key {ws})")
    assert "None" not in proc.stdout


#: A plug-in whose module fails as it is imported, with a secret-looking value
#: and a long tail in its message.
EXPLODING = """
raise RuntimeError("cannot reach the license server\\n  with token=ghp_" + "A1b2C3d4" * 5 + " " + "x" * 2000)
"""


def test_a_plugin_that_fails_to_load_is_said_on_stderr_and_in_the_document(sandbox: str) -> None:
    """The toy still works; the two broken entry points are named, with why,
    first on stderr, and as diagnostics of the ``--json`` document; the
    library keeps them (``plugin_failures``). The error is redacted and bounded."""
    env = install_toy(
        sandbox,
        "toy = toytrust.spec:SPEC",
        "missing = toytrust.nowhere:SPEC",
        "exploding = toyexploding:SPEC",
        "claude = toyvariants:TAKEN",
    )
    with open(os.path.join(sandbox, "site", "toyexploding.py"), "w", encoding="utf-8") as handle:
        handle.write(EXPLODING)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "status", ws, "--provider", "toy", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # untrusted: the toy itself works
    lines = [line for line in proc.stderr.splitlines() if "provider plug-in" in line]
    assert lines[0] == (
        f"workspace-trust: provider plug-in 'missing' of {DISTRIBUTION} (toytrust.nowhere:SPEC) could not be "
        "loaded: ModuleNotFoundError: No module named 'toytrust.nowhere'; its CLI is unknown to this run"
    )
    assert lines[1].startswith(
        f"workspace-trust: provider plug-in 'exploding' of {DISTRIBUTION} (toyexploding:SPEC) could not be "
        "loaded: RuntimeError: cannot reach the license server with token="
    )
    assert "A1b2C3d4" not in proc.stderr and "x" * 300 not in proc.stderr
    assert lines[2].endswith(
        "could not be loaded: ValueError: the provider id 'claude' is taken by a built-in provider; its CLI is unknown to this run"
    )
    assert len(lines) == 3
    doc = json.loads(proc.stdout)
    jsonschema.Draft202012Validator(load_schema("status")).validate(doc)
    failed = [d for d in doc["diagnostics"] if d["code"] == "provider_plugin_failed"]
    assert [d["message"] for d in failed] == [line.removeprefix("workspace-trust: ") for line in lines]
    assert doc["results"][0]["status"] == "untrusted"

    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import workspace_trust\n"
            "for f in workspace_trust.plugin_failures(): print(f.name, f.distribution, f.target, len(f.error) <= 300)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert listed.splitlines() == [
        f"missing {DISTRIBUTION} toytrust.nowhere:SPEC True",
        f"exploding {DISTRIBUTION} toyexploding:SPEC True",
        f"claude {DISTRIBUTION} toyvariants:TAKEN True",
    ]


def test_naming_the_provider_of_a_broken_plugin_says_why_it_is_unknown(sandbox: str) -> None:
    """Without the stderr line, ``--provider toy`` would only be a usage error."""
    env = install_toy(sandbox, "toy = toytrust.nowhere:SPEC")
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "preflight", sandbox, "--provider", "toy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    first, *rest = proc.stderr.splitlines()
    assert first.startswith("workspace-trust: provider plug-in 'toy' of toytrust-example (toytrust.nowhere:SPEC)")
    assert any("unknown provider 'toy'" in line for line in rest)


def test_a_trust_dialog_the_plugin_does_not_know_points_to_the_plugin(toy_env: dict[str, str], sandbox: str) -> None:
    """The plug-in's rules, not this package's, need the new screen: the
    message names the plug-in's distribution."""
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    env = {**toy_env, "TOY_QUESTION": "Do you trust this folder?"}
    code, doc = cli(env, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)
    (result,) = doc["results"]
    assert (code, result["code"], result["keys"]) == (1, "unknown_trust_dialog", []), doc
    (message,) = [d["message"] for d in doc["diagnostics"] if d["code"] == "unknown_trust_dialog"]
    assert "no rule of the toytrust-example plug-in recognises" in message
    assert "report it to the toytrust-example plug-in" in message
    assert not os.path.exists(os.path.join(toy_env["HOME"], ".toy"))


# --- the example, installed ------------------------------------------------------------

#: What the example may import of workspace-trust: the public modules.
PUBLIC = {"workspace_trust", "workspace_trust.plugin", "workspace_trust.testing"}


def test_the_example_imports_only_the_public_modules() -> None:
    found: dict[str, set[str]] = {}
    for folder, _, names in os.walk(EXAMPLE):
        for name in (n for n in names if n.endswith(".py")):
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                tree = ast.parse(handle.read(), path)
            for node in ast.walk(tree):
                modules = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                for module in modules:
                    if module.split(".")[0] == "workspace_trust":
                        found.setdefault(module, set()).add(os.path.relpath(path, EXAMPLE))
    assert set(found) <= PUBLIC, {m: w for m, w in found.items() if m not in PUBLIC}
    assert "workspace_trust.plugin" in found


def _requirements(name: str) -> set[str]:
    """``name`` and what it requires to run here (not its extras, not what
    another Python needs), by distribution name."""
    wanted, todo = set(), [name]
    while todo:
        current = todo.pop()
        key = re.sub(r"[-_.]+", "-", current).lower()
        if key in wanted:
            continue
        wanted.add(key)
        for line in metadata.requires(current) or ():
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return wanted


def _library_folder(folder: str, distributions: set[str]) -> None:
    """A folder holding links to exactly these installed distributions of this
    interpreter (their packages and metadata), nothing else of its site-packages."""
    os.makedirs(folder)
    for name in sorted(distributions):
        dist = metadata.distribution(name)
        tops = {str(f).split("/")[0] for f in dist.files or () if not str(f).startswith("..")}
        for top in tops - {"__pycache__"}:
            target = os.path.join(folder, top)
            if not os.path.lexists(target):
                os.symlink(str(dist.locate_file(top)), target)


def _run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert proc.returncode == 0, f"{argv} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_the_example_installs_and_works_in_a_fresh_venv(sandbox: str) -> None:
    """``examples/toy-plugin`` installed by pip in a fresh venv, beside this
    worktree's workspace-trust (editable), and the ``workspace-trust`` command
    of that venv prepares, reads and plans the toy through it, the ``toy``
    command being the one the example installs; the example's own tests pass
    there. Offline: the venv sees this
    interpreter's copies of workspace-trust's dependencies, pip, pytest and the
    build backend (the ``test`` extra), through a ``.pth`` file naming a folder of
    links to exactly those, not its site-packages and not the repository.
    Nothing here is skipped: a venv that cannot be built fails the test."""
    venv = os.path.join(sandbox, "venv")
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = os.path.join(venv, "bin", "python")
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    libraries = os.path.join(sandbox, "libraries")
    wanted = _requirements("workspace-trust") | _requirements("pytest") | {"pip", "setuptools"}
    _library_folder(libraries, wanted - {"workspace-trust"})
    with open(os.path.join(purelib, "_libraries.pth"), "w", encoding="utf-8") as handle:
        handle.write(libraries + "\n")
    assert sysconfig.get_path("purelib") not in libraries
    # The example is built from a copy: a build leaves build/ and *.egg-info beside its sources.
    example = shutil.copytree(EXAMPLE, os.path.join(sandbox, "toy-plugin"))
    pip = [python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "--quiet"]
    _run([*pip, "--editable", ROOT], cwd=sandbox)
    _run([*pip, example], cwd=sandbox)

    bin_dir = os.path.join(venv, "bin")
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(ws)
    env = {"HOME": home, "PATH": os.pathsep.join([bin_dir, os.environ["PATH"]]), "TERM": "xterm-256color"}
    where = _run(
        [python, "-c", "import toytrust, workspace_trust; print(toytrust.__file__); print(workspace_trust.__file__)"],
        env=env,
        cwd=sandbox,
    ).stdout.split()
    assert where == [
        os.path.join(purelib, "toytrust", "__init__.py"),
        os.path.join(ROOT, "src", "workspace_trust", "__init__.py"),
    ]

    def command(*args: str) -> tuple[int, dict[str, Any], str]:
        proc = subprocess.run(
            [os.path.join(bin_dir, "workspace-trust"), *args, "--json"],
            env=env,
            cwd=sandbox,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.stdout.count("\n") == 1, proc.stderr[-2000:]
        return proc.returncode, json.loads(proc.stdout), proc.stderr

    # The plug-in's own tests, on workspace_trust.testing's fakes.
    tests = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], env=env, cwd=example)
    assert "3 passed" in tests.stdout.splitlines()[-1], tests.stdout

    code, doc, stderr = command("preflight", ws, "--provider", "toy")
    (result,) = doc["results"]
    assert (code, result["status"], result["dialogs"], result["keys"]) == (
        0,
        "accepted",
        ["toy.workspace_trust"],
        ["down", "enter"],
    ), doc
    assert result["cli_version"] == "0.3.0"
    assert "provider plug-in" not in stderr
    # Written by the toy itself, the one the example installed.
    with open(os.path.join(home, ".toy", "trusted.json"), encoding="utf-8") as handle:
        assert json.load(handle) == {"workspaces": [ws]}

    code, doc, _ = command("status", ws, "--provider", "toy")
    assert (code, doc["status"]) == (0, "trusted"), doc
    (row,) = doc["results"]
    assert (row["provider"], row["status"], row["trusted_key"]) == ("toy", "trusted", ws)

    code, doc, _ = command("plan", ws, "--provider", "toy", "--toy-mode", "env")
    assert code == 0, doc
    assert doc["toy_env"] == {"TOY_TRUST_WORKSPACES": ws}
    (patch,) = doc["env_patches"]
    assert (patch["target_provider"], patch["id"]) == ("toy", "toy.trust_env")


def test_a_spec_may_not_take_another_providers_feature_flag() -> None:
    """Last-registered-wins on a flag would let a plug-in change a built-in's
    safety switch (``allow_unprotected_claude`` on by default): the registry
    refuses such a spec before it registers anything. (The id made for it is
    taken out again: it would otherwise join every provider enumeration of
    this test process, the schemas' included.)"""
    import attrs

    from workspace_trust.domain.codes import Provider
    from workspace_trust.flags import parse_flags
    from workspace_trust.providers import FlagSpec, _refuse_clashes, all_specs, register_spec, spec_for

    before = all_specs()
    clash = attrs.evolve(
        spec_for(Provider.CODEX),
        flags=(FlagSpec("allow_unprotected_claude", True, "clash"),),
        cli_options=(),
    )
    with pytest.raises(ValueError, match="allow_unprotected_claude"):
        _refuse_clashes(clash)
    # And through register_spec, under an id of its own, removed again after.
    probe_id = Provider.define("flag_clash_probe", "FLAG_CLASH_PROBE")
    try:
        with pytest.raises(ValueError, match="allow_unprotected_claude"):
            register_spec(attrs.evolve(clash, id=probe_id))
    finally:
        Provider._members.pop(probe_id.value, None)
        Provider._by_name.pop(probe_id.name, None)
    assert all_specs() == before
    assert parse_flags({}).flags.value("allow_unprotected_claude") is False


def test_a_plugin_option_that_clashes_is_left_out_and_said() -> None:
    """An option a plug-in names that the command already has (``--json``)
    is left out of that command with one line, never a crash of the parser."""
    import argparse

    from workspace_trust.cli import parser as cli_parser
    from workspace_trust.domain.codes import Provider
    from workspace_trust.providers import spec_for

    p = argparse.ArgumentParser(prog="workspace-trust status")
    p.add_argument("--json", action="store_true")
    cli_parser._add_provider_option(p, spec_for(Provider.CLAUDE), "--json", dest="x", help="clash")
    try:
        assert any("--json left out of status" in line for line in cli_parser.OPTION_CLASHES)
        assert p.parse_args(["--json"]).json is True
    finally:
        cli_parser.OPTION_CLASHES.clear()


def test_a_strategy_cannot_skip_the_folder_guard() -> None:
    """``execute_workspace`` runs the guard (home, root, a folder above a
    home, a non-project folder) before the strategy's ``prepare``: a subclass
    that overrides it is refused when the class is made, so a plug-in's
    strategy cannot trust a folder no provider may trust."""
    from workspace_trust.plugin import TrustStrategy

    with pytest.raises(TypeError, match="implement prepare"):

        class Skipping(TrustStrategy):  # pragma: no cover - refused as it is made
            def execute_workspace(self, workspace: object, ctx: object) -> object:  # type: ignore[override]
                return None
