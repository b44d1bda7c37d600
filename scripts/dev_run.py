"""``./dev preflight|status|plan|replay|record ...``: run the command with a CLI binary that exists.

For each provider the command names (``--provider``; the default one when it
names none), unless the command line (``--NAME-bin``) or the environment
(``WORKSPACE_TRUST_NAME_BIN``) already says which binary to use:

1. the user's own CLI, looked up the way the library looks it up (PATH, then
   the usual install places);
2. otherwise the newest version of it pinned in ``real-clis.txt``, from the
   folder ``./dev`` installs the pinned CLIs into, installed from npm if it is
   not there yet.

It prints one line per provider on stderr saying which binary it chose and why,
then replaces itself with ``workspace-trust COMMAND ...``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

import attrs

from workspace_trust.errors import BinaryMissingError
from workspace_trust.providers import all_specs, default_providers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@attrs.frozen(slots=True)
class PinnedCli:
    name: str
    package: str
    version: str
    binary: str


def pinned_clis(path: str) -> tuple[PinnedCli, ...]:
    """The rows of ``real-clis.txt`` (``NAME PACKAGE VERSION BINARY``)."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) == 4 and not fields[0].startswith("#"):
                rows.append(PinnedCli(*fields))
    return tuple(rows)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


def newest_pinned(rows: Sequence[PinnedCli], name: str) -> PinnedCli | None:
    mine = [row for row in rows if row.name == name]
    return max(mine, key=lambda row: _version_key(row.version)) if mine else None


def requested_providers(argv: Sequence[str], known: Sequence[str], default: Sequence[str]) -> tuple[str, ...]:
    """The provider names ``--provider`` gives (comma lists, repeated), in order;
    ``default`` when none. Unknown names are left to the command to refuse."""
    values: list[str] = []
    args = list(argv)
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--provider" and index + 1 < len(args):
            values.append(args[index + 1])
        elif arg.startswith("--provider="):
            values.append(arg.split("=", 1)[1])
    names: list[str] = []
    for value in values:
        for raw in value.split(","):
            name = raw.strip().lower()
            if name in known and name not in names:
                names.append(name)
    return tuple(names) or tuple(default)


def binary_given(argv: Sequence[str], name: str) -> bool:
    flag = f"--{name}-bin"
    return any(arg == flag or arg.startswith(flag + "=") for arg in argv)


def cli_dir(env: Mapping[str, str]) -> str:
    return env.get("WORKSPACE_TRUST_CLI_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "workspace-trust", "clis"
    )


def install_pinned(row: PinnedCli, base: str) -> tuple[str, bool]:
    """The pinned binary's path, and whether it was installed just now."""
    prefix = os.path.join(base, f"{row.name}-{row.version}")
    binary = os.path.join(prefix, "node_modules", ".bin", row.binary)
    if os.access(binary, os.X_OK):
        return binary, False
    os.makedirs(base, exist_ok=True)
    print(f"dev: installing {row.package}@{row.version} into {prefix} (npm) ...", file=sys.stderr, flush=True)
    done = subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            prefix,
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"{row.package}@{row.version}",
        ],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0 or not os.access(binary, os.X_OK):
        raise SystemExit(f"dev: npm install {row.package}@{row.version} failed (exit {done.returncode})")
    return binary, True


def choose_binaries(argv: Sequence[str], env: dict[str, str]) -> None:
    """Sets ``WORKSPACE_TRUST_NAME_BIN`` in ``env`` for each provider that needs
    the pinned CLI, and says on stderr which binary each provider uses."""
    rows = pinned_clis(os.path.join(ROOT, "real-clis.txt"))
    specs = {spec.id.value: spec for spec in all_specs()}
    for name in requested_providers(argv, list(specs), [p.value for p in default_providers()]):
        spec = specs[name]
        if binary_given(argv, name):
            print(f"dev: {name}: the binary given with --{name}-bin", file=sys.stderr)
            continue
        if env.get(spec.binary_env):
            print(f"dev: {name}: the binary named by ${spec.binary_env}", file=sys.stderr)
            continue
        try:
            found = spec.resolve_binary(None, env)
        except BinaryMissingError:
            found = None
        if found:
            print(f"dev: {name}: {found} (your own: PATH or a usual install place)", file=sys.stderr)
            continue
        row = newest_pinned(rows, name)
        if row is None:
            print(f"dev: {name}: not installed, and real-clis.txt pins no version of it", file=sys.stderr)
            continue
        binary, fresh = install_pinned(row, cli_dir(env))
        how = "installed now" if fresh else "installed earlier by ./dev"
        print(
            f"dev: {name}: {binary} (none on PATH or in the usual install places;"
            f" the newest pinned, {row.version}, {how})",
            file=sys.stderr,
        )
        env[spec.binary_env] = binary


def main(argv: Sequence[str]) -> int:
    if not argv:
        print("usage: dev_run.py COMMAND [ARGS ...]", file=sys.stderr)
        return 2
    env = dict(os.environ)
    # status only reads state files and never needs a CLI.
    if argv[0] in ("preflight", "plan") and not any(arg in ("-h", "--help") for arg in argv[1:]):
        choose_binaries(argv[1:], env)
    command = os.path.join(os.path.dirname(sys.executable), "workspace-trust")
    sys.stderr.flush()
    os.execve(command, [command, *argv], env)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
