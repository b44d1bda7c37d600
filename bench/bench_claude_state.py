"""Benchmark: reading trust from a large .claude.json, printed as ratios taken in one run.

Builds .claude.json files shaped like the real one (top-level settings, a
changelog cache, and a ``projects`` map whose entries carry conversation
history with pasted contents), with the trusted key near the end, then:

  memory: peak RSS (VmHWM) of a fresh process that probes one workspace, at
          each size, next to the same process that only imports the library
          (the baseline) and one that json.loads the file (what the probe
          did before); printed as MB and as peak / file size;
  time:   the probe against json.loads of the same file, at each size.

Usage: .venv/bin/python bench/bench_claude_state.py [--sizes 10,50,100] [--dir DIR]
Target: peak RSS of the probing process <= 150 MB at 100 MB of state.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

TRUSTED = "/home/bench/projects/p-trusted"

PROBE = """
import json, sys, time
from workspace_trust.domain.paths import HostOs, PathFacts, build_workspace
from workspace_trust.providers.claude.probe import ClaudeStateProbe
path, ws = sys.argv[1], sys.argv[2]
workspace = build_workspace(ws, PathFacts(absolute=ws, real=ws, home="/home/bench", exists=True, is_dir=True),
                            HostOs.LINUX)
start = time.perf_counter()
result = ClaudeStateProbe(path).read_trust(workspace)
elapsed = time.perf_counter() - start
print(json.dumps({"state": result.state.value, "key": result.trusted_key, "s": elapsed, "hwm": hwm()}))
"""

LOADS = """
import json, sys, time
start = time.perf_counter()
with open(sys.argv[1], "rb") as handle:
    doc = json.loads(handle.read())
trusted = doc["projects"][sys.argv[2]]["hasTrustDialogAccepted"]
elapsed = time.perf_counter() - start
print(json.dumps({"state": "trusted" if trusted is True else "untrusted", "key": None, "s": elapsed, "hwm": hwm()}))
"""

BASELINE = """
import json, sys
from workspace_trust.providers.claude.probe import ClaudeStateProbe
print(json.dumps({"state": None, "key": None, "s": 0.0, "hwm": hwm()}))
"""

HWM = """
def hwm():
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0
"""


def build(path: str, size_mb: int, shape: str) -> int:
    """Write a .claude.json of about ``size_mb`` MB; returns its size in bytes.
    ``history``: projects with long conversation histories (as in use);
    ``dense``: very many small projects and tiny values (the most objects per byte)."""
    if shape == "dense":
        return build_dense(path, size_mb)
    target = size_mb * 1000 * 1000
    paste = "def handler(event):\n    return {'ok': True, 'n': %d}  # pasted code ✓\n"
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"numStartups": 412, "theme": "dark", "hasCompletedOnboarding": true, ')
        out.write('"cachedChangelog": ' + json.dumps("## 2.1.330\n- fixes\n" * 2000) + ', "projects": {')
        written, index = out.tell(), 0
        while written < target:
            history = [
                {
                    "display": f"fix the failing test number {index}-{turn}",
                    "pastedContents": {"1": {"id": 1, "type": "text", "content": paste % turn * 8}},
                }
                for turn in range(20)
            ]
            project: dict[str, Any] = {
                "allowedTools": [],
                "history": history,
                "mcpContextUris": [],
                "mcpServers": {},
                "enabledMcpjsonServers": [],
                "disabledMcpjsonServers": [],
                "hasTrustDialogAccepted": index % 3 == 0,
                "projectOnboardingSeenCount": 1,
                "lastCost": 0.4213,
                "lastSessionId": f"{index:08d}-0000-4000-8000-000000000000",
            }
            out.write(("" if index == 0 else ", ") + json.dumps(f"/home/bench/projects/p{index}") + ": ")
            out.write(json.dumps(project))
            written = out.tell()
            index += 1
        out.write(", " + json.dumps(TRUSTED) + ': {"hasTrustDialogAccepted": true, "history": []}')
        out.write('}, "userID": "bench", "tipsHistory": {"a": 1}}\n')
    return os.path.getsize(path)


def build_dense(path: str, size_mb: int) -> int:
    target = size_mb * 1000 * 1000
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"hasCompletedOnboarding": true, "projects": {')
        index = 0
        while out.tell() < target:
            entry = {"allowedTools": [], "mcpServers": {}, "hasTrustDialogAccepted": index % 2 == 0, "n": [0, 1, 2]}
            out.write(("" if index == 0 else ", ") + json.dumps(f"/p{index}") + ": " + json.dumps(entry))
            index += 1
        out.write(", " + json.dumps(TRUSTED) + ': {"hasTrustDialogAccepted": true}}}\n')
    return os.path.getsize(path)


def measure(script: str, path: str, workspace: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", HWM + script, path, workspace],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,50,100", help="file sizes in MB (comma-separated)")
    parser.add_argument("--dir", default=None, help="where to write the files (default: a temp folder)")
    parser.add_argument("--shapes", default="history,dense", help="file shapes: history, dense (comma-separated)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    folder = tempfile.mkdtemp(prefix="bench-claude-state-", dir=args.dir)
    mb = 1000 * 1000
    try:
        base = measure(BASELINE, os.devnull, TRUSTED)
        print(f"baseline (imports only): peak RSS {base['hwm'] / mb:.1f} MB")
        print(
            f"{'shape':>8} {'file MB':>8} {'probe peak MB':>14} {'(peak-base)/file':>17} {'loads peak MB':>14} "
            f"{'probe s':>8} {'loads s':>8} {'probe/loads time':>17}"
        )
        worst = 0.0
        for shape in [s.strip() for s in args.shapes.split(",") if s.strip()]:
            for size_mb in sizes:
                path = os.path.join(folder, f"claude-{shape}-{size_mb}.json")
                size = build(path, size_mb, shape)
                probe = measure(PROBE, path, TRUSTED + "/src")
                loads = measure(LOADS, path, TRUSTED)
                assert (probe["state"], probe["key"]) == ("trusted", TRUSTED), probe
                assert loads["state"] == "trusted", loads
                print(
                    f"{shape:>8} {size / mb:8.1f} {probe['hwm'] / mb:14.1f} {(probe['hwm'] - base['hwm']) / size:17.3f} "
                    f"{loads['hwm'] / mb:14.1f} {probe['s']:8.2f} {loads['s']:8.2f} {probe['s'] / loads['s']:17.2f}"
                )
                if size_mb >= 100:
                    worst = max(worst, probe["hwm"] / mb)
                os.remove(path)
        if worst:
            verdict = "met" if worst <= 150 else "NOT met"
            print(f"target peak RSS <= 150 MB at 100 MB of state: {verdict} (worst {worst:.1f} MB)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
