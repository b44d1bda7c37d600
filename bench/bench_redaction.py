"""Redaction stays linear in the input size, printed as ratios taken in one run.

For each adversarial shape (runs that make unanchored patterns quadratic), times
``redact`` on an input of size N and of size 4N and prints t(4N)/t(N). Linear
work gives about 4; quadratic work gives about 16. Rows marked ``+env`` also
look for the values of an environment's secrets (``environment_secrets``).

Usage: .venv/bin/python bench/bench_redaction.py [--size 50000] [--repeat 5]
Target: every ratio <= 6.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from workspace_trust.redaction import EnvironmentSecrets, environment_secrets, redact

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
#: An environment with secrets of several shapes, as a preflight's child has.
ENV = {
    "ANTHROPIC_API_KEY": "sk-ant-api03-" + "Ab1_" * 24 + "AA",
    "OPENAI_API_KEY": "sk-proj-" + "Zx9-" * 39,
    "DB_PASSWORD": "correct horse battery staple",
    "HOME": "/home/ana",
    "PATH": "/usr/bin:/bin",
}
SECRETS = environment_secrets(ENV)


def _boxed_env(n: int) -> str:
    """An environment dump wrapped in a 37-column box, repeated to about n characters."""
    line = "".join(f"{k}={v}" for k, v in ENV.items())
    box = "\n".join("│ " + line[i : i + 37].ljust(37) + " │" for i in range(0, len(line), 37)) + "\n"
    return box * max(1, n // len(box))


#: The same shapes again with the environment's secrets looked for, plus a
#: screen made of wrapped secrets.
SHAPES_WITH_SECRETS: dict[str, Callable[[int], str]] = {
    "letters": SHAPES["letters"],
    "mixed case": SHAPES["mixed case"],
    "boxed env": _boxed_env,
}
TARGET = 6.0


def best_time(text: str, repeat: int, secrets: EnvironmentSecrets | None = None) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        redact(text, home="/home/ana", secrets=secrets)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    worst = 0.0
    runs: list[tuple[str, Callable[[int], str], EnvironmentSecrets | None]]
    runs = [(name, make, None) for name, make in SHAPES.items()]
    runs += [(f"{name} +env", make, SECRETS) for name, make in SHAPES_WITH_SECRETS.items()]
    for name, make, secrets in runs:
        small = best_time(make(args.size), args.repeat, secrets)
        large = best_time(make(4 * args.size), args.repeat, secrets)
        ratio = large / small if small > 0 else float("inf")
        worst = max(worst, ratio)
        print(f"{name:>16}: t(N)={small * 1000:8.2f} ms  t(4N)={large * 1000:8.2f} ms  ratio {ratio:5.2f}")
    ratios_ok = worst <= TARGET
    print(f"worst ratio {worst:.2f} (target <= {TARGET}): {'meets' if ratios_ok else 'misses'}")
    return 0 if ratios_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
