"""How fast a preflight gives up on a trust dialog it must not answer, as ratios
taken in one run.

A recognised trust dialog whose options no rule accepts (a Yes with a suffix
no rule knows, or the trust option drawn twice), and a trust-like dialog no
rule knows at all, must each end a few seconds after the screen settles, with
no key, instead of waiting out the session budget. This bench runs the whole
``workspace-trust preflight DIR --json`` process against the fake TUI of the
suite (``tests/fake_tui.py``), interleaving the cases:

  A = a trust dialog the rules answer (accepted; the baseline);
  B = a recognised dialog without one accepted option: the trust option drawn
      twice (``unknown_trust_option``), or a Yes with a suffix no rule knows
      (``unknown_trust_option``, or ``unknown_trust_dialog`` where no rule
      takes the screen at all);
  C = an unknown trust-like dialog (``unknown_trust_dialog``).

It prints the median whole-process time of each, B/A and C/A, and B and C as a
share of the session budget (``EngineTiming.total_budget_ms``). Targets: B and
C each at most 15% of the budget, and every failing case sends no key.

Usage: .venv/bin/python bench/bench_fail_fast.py [--runs 5]
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
from collections.abc import Mapping

from workspace_trust.engine.timing import EngineTiming

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(os.path.dirname(HERE), "tests", "fake_tui.py")
PYTHON = sys.executable

#: Each case: the fake TUI's settings, and the codes the row may end with.
CASES: Mapping[str, tuple[str, frozenset[str]]] = {
    "A accepted": ("", frozenset({"accepted"})),
    "B option twice": (
        "FAKE_OPTIONS=No, exit|Yes, I trust this folder|Yes, I trust this folder\n",
        frozenset({"unknown_trust_option"}),
    ),
    "B new Yes suffix": (
        "FAKE_YES=Yes, I trust this folder and everything next to it\n",
        frozenset({"unknown_trust_option", "unknown_trust_dialog"}),
    ),
    "C unknown dialog": ("FAKE_MODE=unknown-dialog\n", frozenset({"unknown_trust_dialog"})),
}


def run_case(root: str, name: str, index: int) -> tuple[float, str, list[str]]:
    """One whole-process preflight in a fresh HOME and folder: (ms, code, keys)."""
    settings, _ = CASES[name]
    case_root = os.path.join(root, f"{list(CASES).index(name)}-{index}")
    home = os.path.join(case_root, "home")
    folder = os.path.join(case_root, "project")
    os.makedirs(home)
    os.makedirs(folder)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(settings)
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    argv = [PYTHON, "-m", "workspace_trust", "preflight", folder, "--json", "--claude-bin", FAKE]
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=120)
    took = (time.perf_counter() - start) * 1000
    (row,) = json.loads(proc.stdout)["results"]
    code = "accepted" if row["status"] == "accepted" else str(row["code"])
    return took, code, list(row["keys"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    budget = EngineTiming().total_budget_ms
    root = tempfile.mkdtemp(prefix="wt-bench-fail-fast-")
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    seen: dict[str, set[str]] = {name: set() for name in CASES}
    wrong: list[str] = []
    try:
        for index in range(args.runs):
            for name, (_, codes) in CASES.items():
                took, code, keys = run_case(root, name, index)
                samples[name].append(took)
                seen[name].add(code)
                failing = name != "A accepted"
                if code not in codes or (failing and keys):
                    wrong.append(f"{name}: ended {code} with keys {keys}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["A accepted"]
    print(f"session budget: {budget} ms; {args.runs} runs per case, interleaved")
    for name, median in medians.items():
        print(
            f"  {name:<18} {median:7.0f} ms  = {median / base:4.1f}x A  = {100 * median / budget:4.1f}% of the budget"
            f"  ({', '.join(sorted(seen[name]))})"
        )
    worst = max(median for name, median in medians.items() if name != "A accepted") / budget
    print(f"  -> {'meets' if worst <= 0.15 else 'MISSES'} target: B and C <= 15% of the budget")
    for line in wrong:
        print(f"  WRONG: {line}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
