"""``workspace-trust schema``: the JSON Schema (2020-12) of a ``--json`` document kind."""

from __future__ import annotations

import argparse
import json
import sys

from workspace_trust.cli.output import emit_json, write
from workspace_trust.documents import SCHEMA_KINDS, load_schema
from workspace_trust.exitcodes import ExitCode


def run(args: argparse.Namespace) -> int:
    doc = load_schema(args.kind) if args.kind else {kind: load_schema(kind) for kind in SCHEMA_KINDS}
    if args.json:
        emit_json(doc)
    else:
        write(sys.stdout, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return ExitCode.OK
