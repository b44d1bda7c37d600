"""``workspace-trust replay``: a recorded fixture through the dialog engine."""

from __future__ import annotations

import argparse

from workspace_trust.cli.output import emit_json, say
from workspace_trust.cli.parser import UsageError
from workspace_trust.documents import replay_document
from workspace_trust.exitcodes import ExitCode


def run(args: argparse.Namespace) -> int:
    from workspace_trust.fixtures import load_fixture, replay_engine

    try:
        fixture = load_fixture(args.fixture)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        frames = replay_engine(fixture)
    except ValueError as exc:
        raise UsageError(f"{args.fixture}: {exc}") from None
    if args.json:
        emit_json(replay_document(fixture, frames))
    else:
        say(f"{fixture.provider} {fixture.cli_version} {fixture.scenario}")
        for f in frames:
            key = f" {f.key}" if f.key else ""
            say(f"  t={f.t:>6}ms  {f.rule or '-':34} {f.phase or '-':20} {f.action}{key}")
    return ExitCode.OK
