"""Benchmarks for the Claude preflight, printed as ratios taken in one run.

Reaction (real Claude Code, fresh folders, one shared seeded HOME):
  A = the CLI's own time from spawn until the trust dialog is drawn;
  B = the full preflight from spawn until trust is persisted and the process
      group is gone, with every safety wait counted.
  Prints B/A per folder and the median, and where B's time beyond A goes.

Fast path:
  probes per second against a .claude.json holding 5,000 projects (in process);
  peak memory (VmHWM) of a `workspace-trust preflight` process.

Usage: .venv/bin/python bench/bench_claude.py [--versions 2.1.330,2.1.197] [--folders 7]
Targets: B/A <= 2.0 on 2.1.330, <= 1.5 on 2.1.197; >= 2,000 probes/s; <= 60 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any

from workspace_trust.adapters.binaries import LocalBinaryLocator
from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.adapters.help import SubprocessHelpReader
from workspace_trust.adapters.locks import WorkspaceLocks
from workspace_trust.adapters.provider_locks import LocalProviderLockFiles
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.adapters.scratch import LocalScratchSpace
from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.domain.codes import Key, Provider, WorkspaceStatus
from workspace_trust.domain.paths import HostOs, PathFacts, build_workspace
from workspace_trust.engine.rules import Phase, match_rule
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.installed_clis import base_env, installed_cli, seed_home
from workspace_trust.ports import ExecutionPorts, KillHold, KillReport, PtySession, PtySpawner, SpawnSpec
from workspace_trust.providers.claude.probe import ClaudeStateProbe
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.providers.claude.strategy import claude_pty_strategy
from workspace_trust.strategy import ExecutionContext


def watch_peak_kb(proc: subprocess.Popen[bytes]) -> int:
    """The process's peak resident memory (VmHWM, KiB) until it exits, read from /proc."""
    peak_kb = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status", encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
        except OSError:
            break
        time.sleep(0.005)
    return peak_kb


TRUST_RULES = [r for r in CLAUDE_RULES.rules if r.phase is Phase.WORKSPACE_TRUST]


class TimedSession(PtySession):
    """Wraps a real session and timestamps: dialog drawn, each key, kill done."""

    def __init__(self, inner: PtySession, spawned_ns: int) -> None:
        self.inner = inner
        self.spawned_ns = spawned_ns
        self.dialog_ns: int | None = None
        self.keys: list[tuple[int, Key]] = []
        self.kill_start_ns = 0
        self.kill_end_ns = 0

    @property
    def pid(self) -> int:
        return self.inner.pid

    def read_snapshot(self, timeout_ms: int) -> TerminalSnapshot:
        snap = self.inner.read_snapshot(timeout_ms)
        if self.dialog_ns is None and any(match_rule(r, snap) for r in TRUST_RULES):
            self.dialog_ns = time.monotonic_ns()
        return snap

    def send_key(self, key: Key) -> None:
        self.keys.append((time.monotonic_ns(), key))
        self.inner.send_key(key)

    def exit_status(self) -> int | None:
        return self.inner.exit_status()

    def kill(self, *, hold: KillHold | None = None, term_grace_ms: int | None = None) -> KillReport:
        if not self.kill_start_ns:
            self.kill_start_ns = time.monotonic_ns()
        report = self.inner.kill(hold=hold, term_grace_ms=term_grace_ms)
        if not self.kill_end_ns:
            self.kill_end_ns = time.monotonic_ns()
        return report


class TimedSpawner(PtySpawner):
    def __init__(self) -> None:
        self.inner = PtyProcessSpawner()
        self.sessions: list[TimedSession] = []

    def spawn(self, spec: SpawnSpec) -> PtySession:
        start = time.monotonic_ns()
        session = TimedSession(self.inner.spawn(spec), start)
        self.sessions.append(session)
        return session


def ms(ns: int) -> float:
    return ns / 1e6


def reaction(version: str, folders: int, *, quiet: bool = False) -> float | None:
    binary = installed_cli("claude", version)
    if binary is None:
        print(f"claude {version}: not installed (./dev clis)")
        return None
    sandbox = tempfile.mkdtemp(prefix="wt-bench-", dir="/var/tmp")
    try:
        home = os.path.join(sandbox, "home")
        seed_home("claude", home)
        env = base_env(home)
        clock = SystemClock()
        spawner = TimedSpawner()
        ports = ExecutionPorts(
            spawner=spawner,
            clock=clock,
            locks=WorkspaceLocks(clock, os.path.join(sandbox, "locks")),
            help_reader=SubprocessHelpReader(),
            provider_locks=LocalProviderLockFiles(),
            state_files=LocalStateFiles(),
            binary_locator=LocalBinaryLocator(),
            scratch=LocalScratchSpace(),
        )
        ctx = ExecutionContext(ports=ports, env=env, binaries={Provider.CLAUDE: binary})
        strategy = claude_pty_strategy()
        facts = LocalFileSystemFacts()
        # One warm-up: the first start in a new HOME does one-time work.
        rows: list[dict[str, Any]] = []
        failed = 0
        for index in range(folders + 1):
            ws = os.path.join(sandbox, f"project-{index}")
            os.makedirs(ws)
            workspace = build_workspace(ws, facts.gather(ws, env=env), facts.host)
            result = strategy.execute_workspace(workspace, ctx)
            session = spawner.sessions[-1]
            if result.status is not WorkspaceStatus.ACCEPTED or session.dialog_ns is None:
                print(f"  {version} folder {index}: {result.status.value} {result.code}")
                failed += index > 0
                continue
            if index == 0:
                continue
            a = session.dialog_ns - session.spawned_ns
            b = session.kill_end_ns - session.spawned_ns
            first_key = session.keys[0][0]
            enter = next(t for t, k in session.keys if k is Key.ENTER)
            rows.append(
                {
                    "A": ms(a),
                    "B": ms(b),
                    "ratio": b / a,
                    "settle+select": ms(enter - session.dialog_ns),
                    "first_key_after_paint": ms(first_key - session.dialog_ns),
                    "enter_to_persisted": ms(session.kill_start_ns - enter),
                    "kill": ms(session.kill_end_ns - session.kill_start_ns),
                    "keys": "+".join(k.value for _, k in session.keys),
                }
            )
        if not rows:
            return None
        sequences = Counter(row["keys"] for row in rows)
        print(
            f"claude {version}: {len(rows)} of {folders} fresh folders accepted"
            f" (keys: {', '.join(f'{keys} x{n}' for keys, n in sequences.most_common())})"
        )
        for row in rows if not quiet else ():
            print(
                "  A={A:7.1f}ms  B={B:7.1f}ms  B/A={ratio:4.2f}  paint->Enter={settle+select:6.1f}  "
                "Enter->persisted={enter_to_persisted:6.1f}  kill={kill:6.1f}  keys={keys}".format(**row)
            )
        median = float(statistics.median(r["ratio"] for r in rows))
        parts = {
            k: statistics.median(r[k] for r in rows)
            for k in ("A", "first_key_after_paint", "settle+select", "enter_to_persisted", "kill")
        }
        print(
            f"  median B/A = {median:.2f}   (median A {parts['A']:.0f} ms; beyond A: "
            f"first key {parts['first_key_after_paint']:.0f} ms after paint, "
            f"paint->Enter {parts['settle+select']:.0f} ms, Enter->persisted {parts['enter_to_persisted']:.0f} ms, "
            f"kill {parts['kill']:.0f} ms)"
        )
        return median
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


def probes_per_second(projects: int = 5000, seconds: float = 1.0) -> float:
    sandbox = tempfile.mkdtemp(prefix="wt-bench-")
    try:
        path = os.path.join(sandbox, ".claude.json")
        doc = {
            "projects": {
                f"/home/u/src/project-{i}": {
                    "hasTrustDialogAccepted": i % 2 == 0,
                    "allowedTools": [],
                    "history": [],
                }
                for i in range(projects)
            }
        }
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(doc, handle)
        probe = ClaudeStateProbe(path)
        facts = PathFacts(
            absolute="/home/u/src/project-4999/sub",
            real="/home/u/src/project-4999/sub",
            home="/home/u",
            exists=True,
            is_dir=True,
        )
        ws = build_workspace(facts.absolute, facts, HostOs.LINUX)
        probe.read_trust(ws)  # the first read parses; later ones hit the stat-keyed cache
        count = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            probe.read_trust(ws)
            count += 1
        rate = count / (time.perf_counter() - start)
        cold_start = time.perf_counter()
        ClaudeStateProbe(path).read_trust(ws)
        cold = time.perf_counter() - cold_start
        print(f"probe: {rate:,.0f} probes/s against {projects} projects (cold first read {cold * 1000:.1f} ms)")
        return rate
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


def preflight_peak_mb(version: str) -> float | None:
    binary = installed_cli("claude", version)
    if binary is None:
        return None
    sandbox = tempfile.mkdtemp(prefix="wt-bench-", dir="/var/tmp")
    try:
        home = os.path.join(sandbox, "home")
        seed_home("claude", home)
        ws = os.path.join(sandbox, "project")
        os.makedirs(ws)
        proc = subprocess.Popen(
            [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", binary],
            env=base_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        peak_kb = watch_peak_kb(proc)
        proc.communicate()
        mb = peak_kb / 1024
        print(f"preflight process peak memory (VmHWM, excluding Claude itself): {mb:.1f} MB")
        return mb
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", default="2.1.330,2.1.197")
    parser.add_argument("--folders", type=int, default=7)
    parser.add_argument("--quiet", action="store_true", help="the summary only, not a line per folder")
    args = parser.parse_args()
    targets = {"2.1.330": 2.0, "2.1.197": 1.5}
    for version in args.versions.split(","):
        median = reaction(version, args.folders, quiet=args.quiet)
        if median is not None and version in targets:
            verdict = "meets" if median <= targets[version] else "MISSES"
            print(f"  -> {verdict} target B/A <= {targets[version]}")
    rate = probes_per_second()
    print(f"  -> {'meets' if rate >= 2000 else 'MISSES'} target >= 2,000 probes/s")
    peak = preflight_peak_mb(args.versions.split(",")[0])
    if peak is not None:
        print(f"  -> {'meets' if peak <= 60 else 'MISSES'} target <= 60 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
