"""Redaction stays linear in the input size, printed as ratios taken in one run.

For each adversarial shape (runs that make unanchored patterns quadratic), times
``redact`` on an input of size N and of size 4N and prints t(4N)/t(N). Linear
work gives about 4; quadratic work gives about 16.

Usage: .venv/bin/python bench/bench_redaction.py [--size 50000] [--repeat 5]
Target: every ratio <= 6.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from workspace_trust.redaction import redact

SHAPES: dict[str, Callable[[int], str]] = {
    "letters": lambda n: "a" * n,
    "dashes": lambda n: "a-" * (n // 2),
    "dots": lambda n: "a." * (n // 2),
    "key prefix": lambda n: "sk-" + "a" * n,
    "email-ish": lambda n: "x@" + "a." * (n // 2),
    "words": lambda n: "token" * (n // 5),
    "csi params": lambda n: "\x1b[" + "1;" * (n // 2),
    "mixed case": lambda n: "aB3" * (n // 3),
}
TARGET = 6.0


def best_time(text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        redact(text, home="/home/ana")
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    worst = 0.0
    for name, make in SHAPES.items():
        small = best_time(make(args.size), args.repeat)
        large = best_time(make(4 * args.size), args.repeat)
        ratio = large / small if small > 0 else float("inf")
        worst = max(worst, ratio)
        print(f"{name:>12}: t(N)={small * 1000:8.2f} ms  t(4N)={large * 1000:8.2f} ms  ratio {ratio:5.2f}")
    ratios_ok = worst <= TARGET
    print(f"worst ratio {worst:.2f} (target <= {TARGET}): {'meets' if ratios_ok else 'misses'}")
    return 0 if ratios_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
