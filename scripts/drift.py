"""Drift report: do the current rules still know the newest release of each CLI?

Usage: .venv/bin/python scripts/drift.py [--provider NAME] [--version V] [--quick]
                                         [--budget SECONDS] [--report-only] [--dir DIR]

For each CLI pinned in real-clis.txt it asks npm for the ``latest`` release (or
takes ``--version``), installs it into a scratch folder (``--dir``, default
``$TMPDIR/workspace-trust-drift``), records every scenario the fixtures have for
that CLI (``scripts/record_fixtures.py``; ``--quick``: ``trust-accept`` only),
and, unless ``--quick``, every folder layout of ``record_fixtures.LAYOUTS``
(git root, git subfolder, under a trusted parent, git or not) where the CLI
decides by its own lookup, in throwaway HOMEs; replays each recording through
the current rules, and prints one line per CLI and scenario:

* ``accepted``: the rules drove the dialog and the state file says trusted;
* ``recognised``: a rule recognised the screens (setup, sign-in, no dialog),
  and the replay sends the recorded keys;
* ``unknown``: the session ended on a screen no rule recognises, or the replay
  differs from the recording; the screen is printed below the table.
* ``mismatch``: the CLI showed its trust dialog where the probe (and the
  provider's gating data) says it would not, or the other way round: ``status``
  and ``preflight`` would answer that folder wrongly on this release.

Each line that is not ``accepted``/``recognised`` says what to record next.

The recordings stay in the scratch folder: an ``unknown`` one is the first step
of docs/updating-dialog-rules.md. ``--budget`` bounds the whole run (installs
included); scenarios left when it runs out are reported as ``not run``. Exit
status: 1 when any line is not ``accepted``/``recognised`` (``not run`` too), unless
``--report-only`` (then always 0; CI runs it that way).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import attrs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from record_fixtures import SCENARIOS, Scenario, layout_scenarios, record

from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.adapters.screen import ScreenRenderer
from workspace_trust.domain.codes import Provider
from workspace_trust.domain.paths import build_workspace
from workspace_trust.engine.rules import Phase
from workspace_trust.fixtures import Fixture, replay_session
from workspace_trust.installed_clis import CLI_DIR_ENV
from workspace_trust.providers import rule_table
from workspace_trust.providers.pty_strategy import PtyTrustStrategy
from workspace_trust.registry import default_registry

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: One npm install may take this long at most.
INSTALL_TIMEOUT_S = 300


@attrs.frozen
class Line:
    cli: str
    version: str
    scenario: str
    verdict: str
    detail: str = ""
    screen: str = ""


def pinned_packages() -> dict[str, tuple[str, str]]:
    """CLI name -> (npm package, binary), from real-clis.txt."""
    out: dict[str, tuple[str, str]] = {}
    with open(os.path.join(REPO, "real-clis.txt"), encoding="utf-8") as handle:
        for raw in handle:
            parts = raw.split()
            if len(parts) == 4 and not parts[0].startswith("#"):
                out.setdefault(parts[0], (parts[1], parts[3]))
    return out


def latest_version(package: str) -> str:
    proc = subprocess.run(
        ["npm", "view", package, "dist-tags.latest"], capture_output=True, text=True, check=True, timeout=120
    )
    return proc.stdout.strip()


def install(root: str, name: str, package: str, version: str, binary: str) -> str | None:
    """Install ``package@version`` under ``root/<name>-<version>``; the error text or None."""
    folder = os.path.join(root, f"{name}-{version}")
    if os.access(os.path.join(folder, "node_modules", ".bin", binary), os.X_OK):
        return None
    proc = subprocess.run(
        ["npm", "install", "--prefix", folder, "--no-audit", "--no-fund", "--loglevel=error", f"{package}@{version}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=INSTALL_TIMEOUT_S,
    )
    return None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["npm install failed"])[-1]


def scenarios_for(name: str, version: str, quick: bool) -> list[Scenario]:
    """The newest pinned version's scenarios of this CLI, moved to ``version``."""
    mine = [s for s in SCENARIOS if s.provider == name]
    by_name: dict[str, Scenario] = {}
    for scenario in mine:
        by_name[scenario.name] = scenario  # later entries are newer pins
    chosen = [by_name["trust-accept"]] if quick and "trust-accept" in by_name else list(by_name.values())
    if not quick:
        # The lookup layouts, for every CLI; a recorder scenario of the same
        # name (Claude's and Copilot's git-subfolder) gives way to the layout.
        layouts = layout_scenarios(name, version)
        chosen = [s for s in chosen if s.name not in {layout.name for layout in layouts}] + layouts
    return [attrs.evolve(s, version=version) for s in chosen]


@attrs.frozen
class Expected:
    """What the probe (and the provider's gating data) says of the folder the
    CLI was started in, read before it started."""

    dialog: bool
    why: str


def expectation(provider: str, version: str, cwd: str, env: dict[str, str]) -> Expected:
    """Whether the CLI should show its trust dialog in ``cwd``: the folder is
    gated (trust required there, the installed version's gating data) and the
    probe does not find it trusted."""
    registry = default_registry()
    p = Provider(provider)
    strategy = registry.create(p, registry.default_mode(p))
    facts = LocalFileSystemFacts()
    workspace = build_workspace(cwd, facts.gather(cwd, env=env), facts.host)
    if not strategy.trust_required(env):
        return Expected(False, "trust not required")
    probe = strategy.probe(workspace, env)
    if probe.trusted:
        return Expected(False, f"probe: trusted by {probe.source or probe.trusted_key}")
    pty = registry.create(p, "pty") if "pty" in registry.modes(p) else None
    if isinstance(pty, PtyTrustStrategy) and pty.spec.not_gated(workspace, version, probe) is not None:
        return Expected(False, "gating data: not gated")
    return Expected(True, f"probe: {probe.state.value}")


def dialog_shown(provider: str, matched: list[str], end: str) -> bool:
    """Whether the session met the CLI's trust dialog: a trust-phase rule
    recognised a screen, or a screen looked like an unknown trust dialog."""
    trust = {rule.id for rule in rule_table(Provider(provider)).rules if rule.phase is Phase.WORKSPACE_TRUST}
    return bool(trust & set(matched)) or end == "unknown_dialog"


def next_step(line: Line) -> str:
    """What to record (or fix) for a line that is not known."""
    rec = f"scripts/record_fixtures.py --provider {line.cli} --version {line.version} --scenario {line.scenario}"
    if line.verdict == "mismatch":
        return (
            f"{line.cli} {line.version} {line.scenario}: the probe's lookup differs from the CLI's there; "
            f"record it ({rec}, after pinning the version in real-clis.txt), add the layout to the differential "
            f"real-CLI test, and fix providers/{line.cli}/probe.py or its gating data for this version"
        )
    if line.verdict == "unknown":
        return (
            f"{line.cli} {line.version} {line.scenario}: a screen no rule knows; pin the version, record it "
            f"({rec}) and follow docs/updating-dialog-rules.md"
        )
    return f"{line.cli} {line.version} {line.scenario}: not run ({line.detail}); run it again"


def last_screen(fixture: Fixture) -> str:
    """The screen after the recording's last output event."""
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    for event in fixture.events:
        if event.out is not None:
            renderer.feed(fixture.chunk(event))
            renderer.take_replies()
    return "\n".join(line.rstrip() for line in renderer.lines()).strip("\n")


#: Session ends where the rules did not carry the session anywhere: never "known".
_STUCK = frozenset({"timeout", "selection_failed", "unknown_screen", "unknown_dialog", "provider_exited"})
#: Ends of a session that met no dialog at all: the CLI's own main screen.
_NO_DIALOG_ENDS = frozenset({"timeout", "unknown_screen", "trust_not_persisted"})
#: Session ends that come before the CLI's trust decision.
_BEFORE_TRUST = frozenset({"auth_required", "setup_required"})


def judge(scenario: Scenario, root: str) -> Line:
    expected: list[Expected] = []

    def ready(cwd: str, env: dict[str, str]) -> None:
        try:
            expected.append(expectation(scenario.provider, scenario.version, cwd, env))
        except Exception as exc:  # a probe that fails is a finding, not a crash
            expected.append(Expected(True, f"probe failed: {type(exc).__name__}"))

    recording = record(scenario, root, on_ready=ready)
    if recording is None:
        return Line(scenario.provider, scenario.version, scenario.name, "not run", "not installed")
    fixture = recording.fixture
    outcome = recording.outcome
    end = outcome.end.value if outcome else "-"
    table = rule_table(Provider(scenario.provider))
    replay = replay_session(fixture, table)
    problems = replay.problems
    rules = list(outcome.matched_rule_ids) if outcome else []
    detail = f"end={end} rules={rules} keys={[k.value for k in outcome.keys] if outcome else []}"
    if problems:
        return Line(*_who(scenario), "unknown", f"{detail}; replay: {problems[0]}", last_screen(fixture))
    # A session that stopped at a login or first-run screen never reached the
    # point where the CLI decides on trust: nothing to compare there.
    if expected and end not in _BEFORE_TRUST:
        shown = dialog_shown(scenario.provider, rules, end)
        if shown is not expected[0].dialog:
            said = f"CLI {'showed' if shown else 'did not show'} its trust dialog; {expected[0].why}"
            return Line(*_who(scenario), "mismatch", f"{said}; {detail}", last_screen(fixture))
        detail = f"{detail} dialog={'yes' if shown else 'no'} ({expected[0].why})"
        if not shown and end in _NO_DIALOG_ENDS:
            # No dialog, as the probe said: the CLI's main screen, which not
            # every provider has a rule for.
            return Line(*_who(scenario), "recognised", detail)
    if end in _STUCK:
        # A rule may have recognised the screen (Claude 2.1.337's repository
        # dialog: its Yes label is new), yet the session got nowhere.
        return Line(*_who(scenario), "unknown", f"{detail}; the session got stuck", last_screen(fixture))
    if end == "trust_persisted":
        return Line(*_who(scenario), "accepted", detail)
    if outcome is not None and outcome.last_rule_id is not None:
        return Line(*_who(scenario), "recognised", detail)
    return Line(*_who(scenario), "unknown", detail, last_screen(fixture))


def _who(scenario: Scenario) -> tuple[str, str, str]:
    return scenario.provider, scenario.version, scenario.name


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--provider", action="append")
    parser.add_argument("--version", help="a release to check instead of npm's latest (with one --provider)")
    parser.add_argument("--quick", action="store_true", help="trust-accept only")
    parser.add_argument("--budget", type=int, default=1800, help="seconds for the whole run (default 1800)")
    parser.add_argument("--report-only", action="store_true", help="always exit 0")
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "workspace-trust-drift"))
    parser.add_argument("--recordings", help="where the recordings go (default: DIR/recordings)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    root = os.path.abspath(args.dir)
    os.makedirs(root, exist_ok=True)
    # record() finds the CLI it records under $WORKSPACE_TRUST_CLI_DIR.
    os.environ[CLI_DIR_ENV] = root
    recordings = os.path.abspath(args.recordings or os.path.join(root, "recordings"))
    lines: list[Line] = []
    for name, (package, binary) in pinned_packages().items():
        if args.provider and name not in args.provider:
            continue
        try:
            version = args.version or latest_version(package)
        except (subprocess.SubprocessError, OSError) as exc:
            lines.append(Line(name, "?", "-", "not run", f"npm view failed: {exc}"))
            continue
        left = args.budget - (time.monotonic() - started)
        if left <= 0:
            lines.append(Line(name, version, "-", "not run", "budget spent"))
            continue
        try:
            error = install(root, name, package, version, binary)
        except subprocess.TimeoutExpired:
            error = f"npm install took over {INSTALL_TIMEOUT_S} s"
        if error:
            lines.append(Line(name, version, "-", "not run", f"install failed: {error}"))
            continue
        for scenario in scenarios_for(name, version, args.quick):
            if time.monotonic() - started + scenario.duration_ms / 1000 > args.budget:
                lines.append(Line(*_who(scenario), "not run", "budget spent"))
                continue
            try:
                lines.append(judge(scenario, recordings))
            except Exception as exc:  # one broken scenario must not hide the rest of the report
                lines.append(Line(*_who(scenario), "not run", f"the recorder failed: {type(exc).__name__}: {exc}"))
    print_report(lines, recordings)
    bad = [line for line in lines if line.verdict not in ("accepted", "recognised")]
    return 0 if args.report_only or not bad else 1


def print_report(lines: list[Line], recordings: str) -> None:
    bad = [line for line in lines if line.verdict not in ("accepted", "recognised")]
    banner = "=" * 78
    print(banner)
    print(f"DRIFT REPORT: {len(lines) - len(bad)} of {len(lines)} known" + (f", {len(bad)} NOT" if bad else ""))
    print(banner)
    print(f"{'CLI':8} {'version':10} {'scenario':20} {'verdict':11} detail")
    for line in lines:
        print(f"{line.cli:8} {line.version:10} {line.scenario:20} {line.verdict:11} {line.detail}")
    for line in lines:
        if line.screen:
            print(f"\n--- {line.cli} {line.version} {line.scenario}: the last screen")
            print("\n".join("| " + row for row in line.screen.splitlines()))
    if bad:
        print(f"\nRecordings: {recordings}. Next: docs/updating-dialog-rules.md")
        print("What to record:")
        for line in bad:
            print(f"  - {next_step(line)}")
    print(json.dumps({"drift": [attrs.asdict(line, filter=lambda a, _: a.name != "screen") for line in lines]}))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
