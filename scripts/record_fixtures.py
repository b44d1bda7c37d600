"""Record the fixture set from the pinned real CLIs, with the project's own recorder.

Usage: .venv/bin/python scripts/record_fixtures.py [--provider NAME] [--version V] [--scenario S]

Each scenario runs in a fresh, seeded HOME and a fresh workspace under /var/tmp
(Codex 0.169.0 refuses its daemon under the system temp folder), drives the
dialog engine with the provider's rules, and writes
fixtures/snapshots/<provider>/<version>/<scenario>.{input,json,screens.txt}.
Success during recording is read from the provider's state file, read-only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable

import attrs

from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.domain.codes import Provider, TrustState
from workspace_trust.domain.paths import build_workspace
from workspace_trust.domain.results import ProbeResult
from workspace_trust.fixtures import save_fixture
from workspace_trust.installed_clis import base_env, cli_dir, installed_cli, seed_home
from workspace_trust.providers import rule_tables, spec_for
from workspace_trust.providers.claude.probe import ClaudeStateProbe
from workspace_trust.providers.copilot.probe import CopilotStateProbe
from workspace_trust.providers.copilot.strategy import build_protected_command
from workspace_trust.providers.copilot.strategy import preflight_env as copilot_env
from workspace_trust.providers.qwen import SAFE_MODE
from workspace_trust.providers.qwen.probe import QwenStateProbe
from workspace_trust.recorder import Recording, record_session
from workspace_trust.registry import default_registry

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "snapshots")
#: The protected command's flags after ``--mcp-config FILE`` (docs/providers.md).
PROTECTED = (
    "--setting-sources",
    "user",
    "--settings",
    '{"disableAllHooks":true}',
    "--tools",
    "",
)


#: Where the Copilot CLI unpacks its package, shared by every recording's HOME.
COPILOT_CACHE = "copilot-package-cache"

#: Shaped like an Anthropic API key, obviously fake: Claude prints part of it.
FAKE_ANTHROPIC_KEY = "sk-ant-api03-" + "FAKE" * 23 + "-NOTAREALKEY0AA"


@attrs.frozen
class Scenario:
    provider: str
    version: str
    name: str
    seeded: bool = True
    git: bool = False
    #: Extra environment for the CLI (fake values only: they end up on screen).
    env: tuple[tuple[str, str], ...] = ()
    #: The engine's total budget. Claude with ANTHROPIC_API_KEY set drew nothing
    #: for ~17 s (2.1.330), so the default leaves room for that.
    duration_ms: int = 40000
    notes: str = ""
    #: Codex: seed its update-check cache with this newer version, so the
    #: "Update available" prompt comes first (offline).
    codex_update_offered: str | None = None
    #: A folder layout of :data:`LAYOUTS` (the drift report's lookup
    #: scenarios); "" keeps the scenario's own (``git``, ``git-subfolder``).
    lookup: str = ""
    #: Claude: where the CLI starts (``CLAUDE_LAYOUTS``); the screen's size; extra arguments.
    layout: str | None = None
    rows: int = 50
    columns: int = 160
    extra_args: tuple[str, ...] = ()


#: Where a CLI decides trust by its own lookup (git root, parents): each one is
#: a drift scenario for every CLI (scripts/drift.py), so that a release that
#: changes its lookup or its dialog there shows up the day it ships.
#: Name -> what it is, in the report's words.
LAYOUTS = {
    "git-root": "started in REPO, a fresh git repository",
    "git-subfolder": "started in REPO/sub/deeper, REPO a fresh git repository",
    "trusted-parent": "started in P/child, P trusted in the CLI's own state",
    "trusted-parent-git": "started in P/repo, a git repository, P trusted in the CLI's own state",
}


def layout_scenarios(provider: str, version: str) -> list[Scenario]:
    """The :data:`LAYOUTS` scenarios of one CLI, seeded as its trust-accept is."""
    return [Scenario(provider, version, name, lookup=name, notes=what) for name, what in LAYOUTS.items()]


def seed_parent_trust(provider: str, home: str, env: dict[str, str], parent: str) -> None:
    """Trust ``parent`` in the CLI's own state file, as accepting its dialog there would."""
    if provider == "claude":
        path = os.path.join(home, ".claude.json")
        doc = _read_commented_json(path)
        projects = doc.get("projects")
        doc["projects"] = {**(projects if isinstance(projects, dict) else {}), parent: {"hasTrustDialogAccepted": True}}
        _write_json(path, doc)
    elif provider == "codex":
        with open(os.path.join(env["CODEX_HOME"], "config.toml"), "a", encoding="utf-8") as handle:
            handle.write(f'\n[projects.{json.dumps(parent)}]\ntrust_level = "trusted"\n')
    elif provider in ("gemini", "qwen"):
        _write_json(os.path.join(home, f".{provider}", "trustedFolders.json"), {parent: "TRUST_FOLDER"})
    elif provider == "copilot":
        folder = env.get("COPILOT_HOME") or os.path.join(home, ".copilot")
        path = os.path.join(folder, "config.json")
        doc = _read_commented_json(path)
        doc["trustedFolders"] = [parent]
        _write_json(path, doc)
    else:
        raise ValueError(f"no parent-trust seed for {provider}")


def _write_json(path: str, doc: object) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(doc, handle)


def _read_commented_json(path: str) -> dict[str, object]:
    """A JSON file that may start with ``//`` comment lines (Copilot's config)."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        text = "".join(line for line in handle if not line.lstrip().startswith("//"))
    found = json.loads(text) if text.strip() else {}
    return found if isinstance(found, dict) else {}


def prepare_layout(scenario: Scenario, workspace: str, home: str, env: dict[str, str]) -> str:
    """Make ``scenario.lookup`` under ``workspace``; returns the folder to start in."""
    layout = scenario.lookup
    if layout == "git-root":
        subprocess.run(["git", "init", "-q", workspace], check=True)
        return workspace
    if layout == "git-subfolder":
        subprocess.run(["git", "init", "-q", workspace], check=True)
        cwd = os.path.join(workspace, "sub", "deeper")
    elif layout == "trusted-parent":
        cwd = os.path.join(workspace, "child")
    elif layout == "trusted-parent-git":
        cwd = os.path.join(workspace, "repo")
        os.makedirs(cwd)
        subprocess.run(["git", "init", "-q", cwd], check=True)
    else:
        raise ValueError(f"no such layout: {layout}")
    os.makedirs(cwd, exist_ok=True)
    if layout.startswith("trusted-parent"):
        seed_parent_trust(scenario.provider, home, env, workspace)
    return cwd


SCENARIOS = [
    *(
        Scenario("claude", v, "trust-accept", notes="seeded profile, fresh folder")
        for v in ("2.0.77", "2.1.19", "2.1.119", "2.1.197", "2.1.330")
    ),
    *(
        Scenario("claude", v, "theme-onboarding", seeded=False, notes="empty HOME: theme picker, no keys")
        for v in ("2.1.119", "2.1.197", "2.1.330")
    ),
    Scenario(
        "claude",
        "2.1.330",
        "git-subfolder",
        git=True,
        notes="started in REPO/sub/deeper; trust lands on REPO",
    ),
    *(
        Scenario("claude", "2.1.337", name, layout=layout, rows=rows, columns=columns, notes=notes)
        for name, layout, rows, columns, notes in (
            ("trust-accept", "plain", 50, 160, "seeded profile, fresh folder"),
            ("git-root", "git-root", 50, 160, "started at the root of a new git repository"),
            (
                "git-subfolder",
                "git-subfolder",
                50,
                160,
                "started in REPO/sub/deeper: the repository variant, its root printed; trust lands on REPO",
            ),
            (
                "linked-worktree",
                "linked-worktree",
                50,
                160,
                "started in a linked worktree of an untrusted REPO: the repository variant names REPO "
                "(the main checkout); trust lands on REPO",
            ),
            (
                "git-subfolder-narrow",
                "git-subfolder",
                50,
                46,
                "46 columns: plain 'Yes, I trust this folder' while the body names the repository",
            ),
            ("git-subfolder-short", "git-subfolder", 14, 160, "14 rows: 'Trust the whole repository:'"),
            (
                "home-repo-subfolder",
                "home-repo-subfolder",
                50,
                160,
                "HOME is a git repository, started in HOME/proj: 'This repository holds your home folder'; no key",
            ),
            (
                "home-repo-subfolder-short",
                "home-repo-subfolder",
                12,
                160,
                "as home-repo-subfolder, 12 rows: 'Trust repo and home folder:'; no key",
            ),
            ("home-folder", "home", 50, 160, "started in HOME: 'Yes lasts for this session only'; no key"),
        )
    ),
    Scenario(
        "claude",
        "2.1.337",
        "add-dir",
        layout="trusted-folder",
        extra_args=("--add-dir", "OTHER"),
        duration_ms=8000,
        notes="a trusted folder, started with --add-dir OTHER (untrusted): 'Adding a new directory:'; no key",
    ),
    *(
        Scenario("codex", v, "trust-accept", git=True, notes="auth.json with an API key, git repository")
        for v in ("0.125.0", "0.166.0", "0.169.0")
    ),
    *(
        Scenario(
            "codex",
            v,
            "update-then-trust",
            git=True,
            codex_update_offered="0.999.0",
            notes="auth.json with an API key, git repository, update cache offering 0.999.0: Skip, then trust",
        )
        for v in ("0.125.0", "0.169.0")
    ),
    *(
        Scenario("codex", v, "auth-picker", seeded=False, git=True, notes="no credentials: sign-in picker, no keys")
        for v in ("0.125.0", "0.169.0")
    ),
    Scenario(
        "claude",
        "2.1.330",
        "custom-api-key",
        env=(("ANTHROPIC_API_KEY", FAKE_ANTHROPIC_KEY),),
        notes="seeded profile, fake ANTHROPIC_API_KEY: the custom-API-key screen follows trust",
    ),
    Scenario(
        "codex",
        "0.169.0",
        "non-git-folder",
        # No rule knows Codex's main screen, so this one always runs the whole budget.
        duration_ms=15000,
        notes="auth.json with an API key, plain folder (no git): 0.169.0 shows no trust dialog",
    ),
    *(Scenario("gemini", v, "trust-accept", notes="folder trust enabled, API-key auth") for v in ("0.45.2", "0.61.0")),
    *(
        Scenario(
            "qwen", v, "trust-accept", notes="folder trust enabled in settings.json, no login; --safe-mode where listed"
        )
        for v in ("0.15.6", "0.24.4")
    ),
    *(
        Scenario("copilot", v, "trust-accept", notes="empty HOME, logged out, offline, protected command")
        for v in ("1.0.80", "1.0.89", "1.0.102")
    ),
    Scenario(
        "copilot",
        "1.0.102",
        "git-subfolder",
        git=True,
        notes="started in REPO/sub/deeper; trust lands on REPO/sub/deeper itself, not on REPO",
    ),
]


def claude_command(binary: str, sandbox: str, help_text: str) -> tuple[str, ...]:
    """The strategy's protected command: ``--bare`` only where ``--help`` lists it (2.1.x)."""
    mcp = os.path.join(sandbox, "empty-mcp.json")
    with open(mcp, "w", encoding="utf-8") as handle:
        json.dump({"mcpServers": {}}, handle)
    bare = ("--bare",) if "--bare" in help_text else ()
    return (binary, *bare, "--strict-mcp-config", "--mcp-config", mcp, *PROTECTED)


def claude_layout(layout: str, sandbox: str, home: str, workspace: str) -> str:
    """Lay out the sandbox for a Claude scenario; the folder to start in."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], check=True, capture_output=True)

    if layout == "plain":
        return workspace
    if layout == "git-root":
        git("init", "-q", workspace)
        return workspace
    if layout == "git-subfolder":
        git("init", "-q", workspace)
        cwd = os.path.join(workspace, "sub", "deeper")
        os.makedirs(cwd)
        return cwd
    if layout == "linked-worktree":
        git("init", "-q", workspace)
        git(
            "-C",
            workspace,
            "-c",
            "user.email=rec@example.invalid",
            "-c",
            "user.name=rec",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "start",
        )
        worktree = os.path.join(sandbox, "worktree")
        git("-C", workspace, "worktree", "add", "-q", worktree)
        return worktree
    if layout == "home-repo-subfolder":
        git("init", "-q", home)
        cwd = os.path.join(home, "proj")
        os.makedirs(cwd)
        return cwd
    if layout == "home":
        return home
    if layout == "trusted-folder":
        state = os.path.join(home, ".claude.json")
        with open(state, encoding="utf-8") as handle:
            doc = json.load(handle)
        doc["projects"] = {workspace: {"hasTrustDialogAccepted": True}}
        with open(state, "w", encoding="utf-8") as handle:
            json.dump(doc, handle)
        return workspace
    raise ValueError(f"unknown layout {layout}")


def codex_trusted(config: str, path: str) -> Callable[[], ProbeResult]:
    def check() -> ProbeResult:
        try:
            with open(config, "rb") as handle:
                doc = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError):
            return ProbeResult(TrustState.UNTRUSTED)
        level = doc.get("projects", {}).get(path, {}).get("trust_level")
        return ProbeResult(TrustState.TRUSTED if level == "trusted" else TrustState.UNTRUSTED)

    return check


def gemini_trusted(trusted_file: str, path: str) -> Callable[[], ProbeResult]:
    def check() -> ProbeResult:
        try:
            with open(trusted_file, encoding="utf-8") as handle:
                doc = json.load(handle)
        except (OSError, ValueError):
            return ProbeResult(TrustState.UNTRUSTED)
        return ProbeResult(TrustState.TRUSTED if doc.get(path) == "TRUST_FOLDER" else TrustState.UNTRUSTED)

    return check


def record(
    scenario: Scenario, root: str = ROOT, on_ready: Callable[[str, dict[str, str]], None] | None = None
) -> Recording | None:
    """Record one scenario into ``root``/<provider>/<version>/<scenario>.*; None
    when the CLI is not installed (under ``$WORKSPACE_TRUST_CLI_DIR``).
    ``on_ready(cwd, env)`` is called once the folders and the HOME are made,
    before the CLI starts (the drift report reads the probe's verdict there)."""
    binary = installed_cli(scenario.provider, scenario.version)
    if binary is None:
        print(f"SKIP {scenario.provider} {scenario.version}: not installed (./dev clis)")
        return None
    sandbox = tempfile.mkdtemp(prefix="wt-rec-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
    try:
        # Not "home": a recorded screen that shows HOME must not look like a private path.
        home = os.path.join(sandbox, "user-home" if scenario.layout or scenario.lookup else "home")
        os.makedirs(home)
        workspace = os.path.join(sandbox, "project")
        os.makedirs(workspace)
        cwd = workspace
        if scenario.git:
            subprocess.run(["git", "init", "-q", workspace], check=True)
        extra: dict[str, str] = {}
        approved: tuple[str, ...] = ()
        if scenario.provider == "copilot":
            # One unpacked package for every HOME (else 235 MB under each).
            extra = seed_home("copilot", home, copilot_package_cache=os.path.join(cli_dir(), COPILOT_CACHE))
        elif scenario.provider == "codex":
            extra = seed_home(
                scenario.provider,
                home,
                codex_auth=scenario.seeded,
                codex_update_offered=scenario.codex_update_offered,
            )
        elif scenario.seeded:
            # The Codex options are Codex's own: every other seed takes none.
            extra = seed_home(scenario.provider, home)
        env = base_env(home, extra)
        env.update(dict(scenario.env))
        if scenario.lookup:
            cwd = prepare_layout(scenario, workspace, home, env)
        # The pinned CLI goes first on the child's PATH and the command names it
        # bare, so the stored command is not tied to this machine's cache folder.
        env["PATH"] = os.path.dirname(binary) + os.pathsep + env["PATH"]
        name = os.path.basename(binary)
        if scenario.provider == "claude":
            env.update(spec_for(Provider.CLAUDE).preflight_env)
            help_text = subprocess.run([binary, "--help"], env=env, capture_output=True, text=True, check=False).stdout
            command = claude_command(name, sandbox, help_text)
            other = os.path.join(sandbox, "other")
            os.makedirs(other)
            command += tuple(other if arg == "OTHER" else arg for arg in scenario.extra_args)
            if scenario.layout is not None:
                cwd = claude_layout(scenario.layout, sandbox, home, workspace)
            elif scenario.name == "git-subfolder" and not scenario.lookup:
                cwd = os.path.join(workspace, "sub", "deeper")
                os.makedirs(cwd)
            facts = LocalFileSystemFacts()
            ws = build_workspace(cwd, facts.gather(cwd, env=env), facts.host)
            if ws.repository_root_reason is None:
                approved = tuple(root for root in (ws.git_root, ws.worktree_main_root) if root is not None)
            probe = ClaudeStateProbe(os.path.join(home, ".claude.json"))

            def success() -> ProbeResult:
                return probe.read_trust(ws)
        elif scenario.provider == "copilot":
            env = copilot_env(env)
            help_text = subprocess.run([binary, "--help"], env=env, capture_output=True, text=True, check=False).stdout
            # 1.0.80 lacks --disable-client-telemetry: record with every flag it does list.
            protected = build_protected_command(name, help_text, allow_unprotected=True)
            assert protected is not None
            command = protected.argv
            if scenario.name == "git-subfolder" and not scenario.lookup:
                cwd = os.path.join(workspace, "sub", "deeper")
                os.makedirs(cwd)
            facts = LocalFileSystemFacts()
            ws = build_workspace(cwd, facts.gather(cwd, env=env), facts.host)
            copilot_probe = CopilotStateProbe(os.path.join(home, ".copilot", "config.json"))

            def success() -> ProbeResult:
                return copilot_probe.read_trust(ws)
        elif scenario.provider == "codex":
            help_text = subprocess.run([binary, "--help"], env=env, capture_output=True, text=True, check=False).stdout
            command = (name, "--no-daemon") if "--no-daemon" in help_text else (name,)
            success = codex_trusted(os.path.join(extra["CODEX_HOME"], "config.toml"), workspace)
        elif scenario.provider == "qwen":
            help_text = subprocess.run([binary, "--help"], env=env, capture_output=True, text=True, check=False).stdout
            command = (name, SAFE_MODE) if SAFE_MODE in help_text else (name,)
            facts = LocalFileSystemFacts()
            qwen_ws = build_workspace(cwd, facts.gather(cwd, env=env), facts.host)
            qwen_probe = QwenStateProbe(env)

            def success() -> ProbeResult:
                return qwen_probe.read_trust(qwen_ws)
        else:
            command = (name,)
            success = gemini_trusted(os.path.join(home, ".gemini", "trustedFolders.json"), workspace)
        if scenario.lookup:
            # The CLI's own lookup decides where trust lands: the probe reads it.
            success = probe_success(scenario.provider, cwd, env)
        if on_ready is not None:
            on_ready(cwd, env)
        recording = record_session(
            approved_scopes=approved,
            rows=scenario.rows,
            columns=scenario.columns,
            command=command,
            cwd=cwd,
            env=env,
            table=rule_tables()[Provider(scenario.provider)],
            provider=scenario.provider,
            cli_version=scenario.version,
            scenario=scenario.name,
            drive=True,
            success=success,
            duration_ms=scenario.duration_ms,
            notes=scenario.notes,
        )
        out = os.path.join(root, scenario.provider, scenario.version, f"{scenario.name}.json")
        save_fixture(out, recording.fixture)
        outcome = recording.outcome
        keys = [k.value for k in outcome.keys] if outcome else []
        print(
            f"{scenario.provider} {scenario.version} {scenario.name}: "
            f"{outcome.end.value if outcome else '-'} keys={keys} rules={list(outcome.matched_rule_ids) if outcome else []}"
        )
        for checkpoint in recording.fixture.checkpoints:
            print(f"    event {checkpoint.event:>4}: {checkpoint.rule or '-':34} want {checkpoint.want}")
        return recording
    finally:
        for pid, argv in leftover_processes(sandbox):
            print(f"    LEFTOVER pid {pid}: {argv} (killed)")
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(sandbox, ignore_errors=True)
        if os.path.exists(sandbox):
            print(f"    WARNING: could not remove {sandbox}")


def probe_success(provider: str, cwd: str, env: dict[str, str]) -> Callable[[], ProbeResult]:
    """Success read by the provider's own probe (any strategy's: they read one
    state file), for the folder the CLI was started in."""
    registry = default_registry()
    strategy = registry.create(Provider(provider), registry.default_mode(Provider(provider)))
    facts = LocalFileSystemFacts()
    ws = build_workspace(cwd, facts.gather(cwd, env=env), facts.host)

    def check() -> ProbeResult:
        return strategy.probe(ws, env)

    return check


def leftover_processes(sandbox: str) -> list[tuple[int, str]]:
    """Processes still running from this scenario: HOME, CODEX_HOME or cwd inside the sandbox."""
    found: list[tuple[int, str]] = []
    marker = sandbox.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                environ = handle.read().split(b"\0")
            cwd = os.readlink(f"/proc/{entry}/cwd")
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        mine = cwd.startswith(sandbox) or any(
            var.startswith((b"HOME=", b"CODEX_HOME=")) and marker in var for var in environ
        )
        if mine:
            found.append((int(entry), argv))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider")
    parser.add_argument("--version")
    parser.add_argument("--scenario")
    args = parser.parse_args()
    for scenario in SCENARIOS:
        if args.provider and scenario.provider != args.provider:
            continue
        if args.version and scenario.version != args.version:
            continue
        if args.scenario and scenario.name != args.scenario:
            continue
        record(scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
