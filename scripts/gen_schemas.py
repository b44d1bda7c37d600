"""Write the JSON Schemas (2020-12) of the command line's ``--json`` documents.

    .venv/bin/python scripts/gen_schemas.py          # rewrite src/workspace_trust/schemas/
    .venv/bin/python scripts/gen_schemas.py --check  # exit 1 when a shipped file is stale

The schemas ship as package data (``workspace_trust/schemas/<kind>.schema.json``,
printed by ``workspace-trust schema KIND``); each file stands alone, so a host
in any language can load one without resolving references across files.

The enums (statuses, codes, providers, keys, wait reasons, surfaces) come from
the code of the built-in providers, so a status or code added there without
regenerating fails ``tests/test_schemas.py``, and that test also checks that
docs/cli.md lists the same values. Values a provider plug-in may add (its
id, its codes, its dialects, its trust sources) match ``#/$defs/plugin_value``
as well; the tests validate with that branch switched off.

The shipped schemas leave ``additionalProperties`` open: ``"version": "1"``
only ever gains fields, so a host validating with an older schema keeps
working. The tests close every object, so a field the schemas do not
describe fails them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from workspace_trust.classifier import RetryRule
from workspace_trust.diagnostics import Omission
from workspace_trust.documents import (
    COMMANDS,
    ERROR_INTERNAL,
    ERROR_USAGE,
    JSON_VERSION,
    PROVIDER_FIELDS,
    SCHEMA_KINDS,
    STATUS_OVERALL,
)
from workspace_trust.domain.codes import (
    ArgDialect,
    Code,
    ExecutionStatus,
    Key,
    LaunchMode,
    Provider,
    TrustState,
    WaitReason,
    WorkspaceStatus,
)
from workspace_trust.domain.patches import PatchOwner, TargetSurface
from workspace_trust.domain.results import TrustSource
from workspace_trust.providers import all_specs
from workspace_trust.strategy import PatchPlan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "workspace_trust", "schemas")
BASE_URI = "https://workspace-trust.invalid/schemas/v1/"

#: Where a provider's state file said a folder is trusted (``status`` rows).
TRUST_SOURCES = (
    TrustSource.EXACT,
    TrustSource.REAL,
    TrustSource.GIT_ROOT,
    TrustSource.WORKTREE_MAIN_ROOT,
    TrustSource.PARENT,
    "rule",
)

PROMISE = (
    'Every document carries "version": "1". Within version "1" the format is additive-only: '
    "fields and enum values may be added, none is removed, renamed or changes its meaning or type. "
    "Hosts must ignore fields they do not know, and treat an unknown status or code like the worst "
    "outcome they do know for the exit code that came with it."
)
BYTES_NOTE = (
    "base64 (standard alphabet, padded) of the exact bytes of the path next to it; present only when "
    "that path is not valid Unicode (docs/cli.md, 'Paths that are not UTF-8')"
)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def open_enum(values: list[str], what: str) -> dict[str, Any]:
    return {
        "description": f"{what}: a built-in value, or one a provider plug-in defines",
        "anyOf": [{"enum": values}, ref("plugin_value")],
    }


def obj(properties: dict[str, Any], required: list[str] | None = None, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    if description:
        out["description"] = description
    out["properties"] = properties
    out["required"] = list(properties) if required is None else required
    return out


def path_bytes(required: list[str], properties: dict[str, Any], *fields: str, lists: tuple[str, ...] = ()) -> None:
    """Add the optional ``<field>_bytes`` next to each path field."""
    for field in fields:
        properties[f"{field}_bytes"] = {"type": "string", "contentEncoding": "base64", "description": BYTES_NOTE}
    for field in lists:
        properties[f"{field}_bytes"] = {
            "type": "array",
            "items": nullable({"type": "string", "contentEncoding": "base64"}),
            "description": "parallel to the list next to it, null where that entry is valid Unicode; " + BYTES_NOTE,
        }
    del required  # the _bytes fields are never required


def common_defs() -> dict[str, Any]:
    # Open sets: their members are defined as their modules load, so the
    # order of definition depends on what was imported first; sorted, the
    # schemas are the same whoever generates them.
    providers = sorted(p.value for p in Provider)
    codes = sorted(c.value for c in Code)
    diagnostic = obj(
        {
            "code": ref("code"),
            "message": {"type": "string"},
            "provider": nullable(ref("provider")),
            "workspace_id": {"type": ["string", "null"]},
        },
        description="One structured, redacted fact. Messages never hold environment values or file contents.",
    )
    path_bytes(diagnostic["required"], diagnostic["properties"], "workspace_id")
    return {
        "plugin_value": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9_.-]*$",
            "description": "a value a provider plug-in defines (not one of the built-in values listed beside it)",
        },
        "provider": open_enum(providers, "A provider id"),
        "code": open_enum(codes, "A diagnostic code (docs/cli.md, 'Diagnostic codes')"),
        "key": {"enum": [k.value for k in Key], "description": "a key sent to the CLI; no other key is ever sent"},
        "diagnostic": diagnostic,
        "count": {"type": "integer", "minimum": 0, "maximum": 2**53 - 1},
    }


def row_identity(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "input": {
            "type": ["string", "null"],
            "description": "the DIR argument exactly as given on the command line (null only for a row no "
            "argument accounts for, which is not expected)",
        },
        "provider": ref("provider"),
        "workspace_id": {"type": "string"},
        "workspace": {"type": "string", "description": "the absolute, normalised path"},
        "real_path": {"type": "string", "description": "the canonical path (symlinks resolved)"},
        **properties,
        "duplicate_of": {
            "anyOf": [ref("count"), {"type": "null"}],
            "description": "for an argument that names the same folder as an earlier one: the index in "
            "results of the row that did the work (its outcome is copied here; nothing was done for this "
            "row itself); null otherwise",
        },
    }


def result_row() -> dict[str, Any]:
    properties = row_identity(
        {
            "status": {"enum": [s.value for s in WorkspaceStatus]},
            "code": nullable(ref("code")),
            "trusted_key": {"type": ["string", "null"], "description": "the state-file key that proves trust"},
            "pty_spawned": {"type": "boolean"},
            "dialogs": {"type": "array", "items": {"type": "string"}, "description": "rule ids, in order"},
            "keys": {"type": "array", "items": ref("key"), "description": "keys sent, in order"},
            "elapsed_ms": ref("count"),
            "lock_wait_ms": ref("count"),
            "cli_version": {
                "type": ["string", "null"],
                "description": "the version of the CLI binary a PTY preflight resolved; null where none was looked at",
            },
            "opened_by": {
                "type": ["string", "null"],
                "description": "for a folder a launch argument opens (--add-dir, -C), that argument as the host "
                "gives it (shell-quoted); such a row has input null. null for a folder the command line names",
            },
            "raw_tail": {"type": "string", "description": "with --debug, on failure: the last screen, redacted"},
            "retry": obj(
                {
                    "allowed": {"type": "boolean"},
                    "rule": {"enum": [rule.value for rule in RetryRule]},
                },
                description="preflight only: what retry_allowed decides if the launch that follows fails for "
                "workspace trust (a failure a preflight clears)",
            ),
        }
    )
    row = obj(properties, required=[name for name in properties if name not in ("raw_tail", "retry")])
    path_bytes(row["required"], row["properties"], "input", "workspace", "workspace_id", "real_path", "trusted_key")
    return row


def patch_defs() -> dict[str, Any]:
    patch = obj(
        {
            "id": {"type": "string"},
            "owner": {"enum": [o.value for o in PatchOwner]},
            "target_provider": ref("provider"),
            "target_surface": {"enum": [s.value for s in TargetSurface]},
            "dialect": open_enum(sorted(d.value for d in ArgDialect), "How the values are spelled"),
            "values": {"type": "array", "items": {"type": "string"}},
            "dedupe_key": {"type": "string"},
            "source_workspace_ids": {"type": "array", "items": {"type": "string"}},
            "reason": {"type": "string"},
        },
        description="Arguments to add to a launch (docs/cli.md, 'plan --json').",
    )
    path_bytes(patch["required"], patch["properties"], lists=("source_workspace_ids",))
    env_file = obj(
        {"variable": {"type": "string"}, "name": {"type": "string"}, "content": {"type": "string"}},
        description="A variable whose value is the path of a file the host makes for the launch, with exactly content.",
    )
    env_patch = obj(
        {
            "id": {"type": "string"},
            "owner": {"enum": [o.value for o in PatchOwner]},
            "target_provider": ref("provider"),
            "values": {"type": "object", "additionalProperties": {"type": "string"}},
            "dedupe_key": {"type": "string"},
            "source_workspace_ids": {"type": "array", "items": {"type": "string"}},
            "session_only": {"type": "boolean"},
            "reason": {"type": "string"},
            "files": {"type": "array", "items": ref("env_file")},
        },
        description="Environment variables to set for a launch.",
    )
    path_bytes(env_patch["required"], env_patch["properties"], lists=("source_workspace_ids",))
    return {"patch": patch, "env_patch": env_patch, "env_file": env_file}


def patch_fields() -> dict[str, Any]:
    """The patch lists, and each provider's own per-launch values as its spec
    describes them (``ProviderSpec.plan_field_schemas``): under
    ``provider_fields.<id>``, and at the top level as ``<id>_<field>``
    (deprecated, kept for one release)."""
    own: dict[str, Mapping[str, Any]] = {}
    for spec in all_specs():
        if spec.plan_fields is not None:
            fields = spec.plan_field_schemas
            assert set(fields) == set(spec.plan_fields(PatchPlan())), f"{spec.id.value}: plan_field_schemas differ"
            own[spec.id.value] = fields
    return {
        "patches": {"type": "array", "items": ref("patch")},
        "env_patches": {"type": "array", "items": ref("env_patch")},
        PROVIDER_FIELDS: {
            "type": "object",
            "description": "each provider's own per-launch values, keyed by provider id (its spec's plan_fields)",
            "properties": {provider: obj(dict(fields)) for provider, fields in own.items()},
            "required": list(own),
            "additionalProperties": {"type": "object"},
        },
        **{
            f"{provider}_{name}": {
                **field,
                "description": f"deprecated (kept for one release): {PROVIDER_FIELDS}.{provider}.{name}; "
                + str(field.get("description", "")),
                "deprecated": True,
            }
            for provider, fields in own.items()
            for name, field in fields.items()
        },
    }


def manifest_defs() -> dict[str, Any]:
    session = obj(
        {
            "frames": ref("count"),
            "first_dialog_ms": nullable(ref("count")),
            "last_rule_id": {"type": ["string", "null"]},
            "wait_reason": nullable({"enum": [w.value for w in WaitReason]}),
            "render_faults": ref("count"),
            "dropped_sequences": ref("count"),
            "exit_status": {"type": ["integer", "null"]},
        },
        description="What one PTY session measured, as counts and codes.",
    )
    strategy = obj(
        {
            "provider": ref("provider"),
            "workspace_ids": {"type": "array", "items": {"type": "string"}},
            "workspace_paths": {"type": "array", "items": {"type": "string"}},
            "status": {"enum": [s.value for s in WorkspaceStatus]},
            "code": nullable(ref("code")),
            "dialogs": {"type": "array", "items": {"type": "string"}},
            "keys": {"type": "array", "items": {"type": "string"}},
            "matched_rule_ids": {"type": "array", "items": {"type": "string"}, "description": "alias of dialogs"},
            "keys_sent": {"type": "array", "items": {"type": "string"}, "description": "alias of keys"},
            "elapsed_ms": ref("count"),
            "lock_wait_ms": ref("count"),
            "error_code": {**nullable(ref("code")), "description": "alias of code"},
            "evidence": {"type": "array", "items": {"type": "string"}},
            "raw_tail_included": {"type": "boolean"},
            "raw_tail": {"type": ["string", "null"]},
            "session": nullable(ref("session")),
            "cli_version": {"type": ["string", "null"]},
        },
        description="One provider and workspace, as stored facts (docs/cli.md, 'One vocabulary').",
    )
    path_bytes(strategy["required"], strategy["properties"], lists=("workspace_ids", "workspace_paths"))
    manifest_diagnostic = obj(
        {
            "code": ref("code"),
            "message": {"type": "string"},
            "provider": nullable(ref("provider")),
            "workspace_id": {"type": ["string", "null"]},
            "evidence": {"type": "array", "items": {"type": "string"}},
        },
        description="A diagnostic as the manifest keeps it: with its redacted, bounded evidence.",
    )
    path_bytes(manifest_diagnostic["required"], manifest_diagnostic["properties"], "workspace_id")
    manifest = obj(
        {
            "attempt": ref("count"),
            "feature_flags": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "strategy_results": {"type": "array", "items": ref("strategy_result")},
            "diagnostics": {"type": "array", "items": ref("manifest_diagnostic")},
            "omitted_counts": {
                "type": "object",
                "propertyNames": {"enum": [o.value for o in Omission]},
                "additionalProperties": ref("count"),
            },
        },
        description="The budgeted, redacted diagnostics manifest of the run.",
    )
    return {
        "session": session,
        "strategy_result": strategy,
        "manifest_diagnostic": manifest_diagnostic,
        "manifest": manifest,
    }


def document(kind: str, title: str, properties: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_URI}{kind}.schema.json",
        "title": title,
        "description": f"{title}. {PROMISE}",
        "type": "object",
        "properties": {
            "version": {"const": JSON_VERSION},
            "workspace_trust_version": {
                "type": "string",
                "description": "the version of the workspace-trust package that wrote the document",
            },
            **properties,
        },
        "required": ["version", "workspace_trust_version", *properties],
        "$defs": defs,
    }


def launch_modes() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": {"enum": [m.value for m in LaunchMode]},
        "description": "each provider's launch mode, as the request named it (--launch-mode): interactive, in a "
        "terminal, or prompt, headless",
    }


def schemas() -> dict[str, dict[str, Any]]:
    common = common_defs()
    statuses = {"enum": [s.value for s in ExecutionStatus]}
    preflight = document(
        "preflight",
        "workspace-trust preflight --json",
        {
            "command": {"const": "preflight"},
            "status": statuses,
            "launch_modes": launch_modes(),
            # Every preflight row carries its retry decision.
            "results": {"type": "array", "items": {"allOf": [ref("result_row"), {"required": ["retry"]}]}},
            **patch_fields(),
            "diagnostics": {"type": "array", "items": ref("diagnostic")},
            "manifest": ref("manifest"),
        },
        {**common, "result_row": result_row(), **patch_defs(), **manifest_defs()},
    )
    status_properties = row_identity(
        {
            "status": {"enum": [*(s.value for s in TrustState), WorkspaceStatus.NOT_REQUIRED.value]},
            "code": nullable(ref("code")),
            "trusted_key": {"type": ["string", "null"]},
            "trusted_by": nullable(open_enum(list(TRUST_SOURCES), "Which key proved trust")),
            "pty_spawned": {"const": False},
            "opened_by": {
                "type": ["string", "null"],
                "description": "the launch argument that opens the folder (--add-dir, -C), as the host gives it; null "
                "for a folder the command line names",
            },
        }
    )
    status_row = obj(status_properties)
    path_bytes(
        status_row["required"], status_properties, "input", "workspace", "workspace_id", "real_path", "trusted_key"
    )
    status = document(
        "status",
        "workspace-trust status --json",
        {
            "command": {"const": "status"},
            "status": {"enum": list(STATUS_OVERALL)},
            "results": {"type": "array", "items": ref("status_row")},
            "diagnostics": {"type": "array", "items": ref("diagnostic")},
        },
        {**common, "status_row": status_row},
    )
    workspace = obj(
        {
            "workspace_id": {"type": "string"},
            "workspace": {"type": "string"},
            "real_path": {"type": "string"},
            "persistable": {"type": "boolean"},
            "inputs": {
                "type": "array",
                "items": {"type": "string"},
                "description": "every DIR argument that named this folder, as given, in order",
            },
        }
    )
    path_bytes(workspace["required"], workspace["properties"], "workspace_id", "workspace", "real_path")
    path_bytes(workspace["required"], workspace["properties"], lists=("inputs",))
    plan = document(
        "plan",
        "workspace-trust plan --json",
        {
            "command": {"const": "plan"},
            "status": statuses,
            "providers": {"type": "array", "items": ref("provider")},
            "launch_modes": launch_modes(),
            "workspaces": {"type": "array", "items": ref("workspace")},
            **patch_fields(),
            "results": {"type": "array", "items": ref("result_row")},
            "diagnostics": {"type": "array", "items": ref("diagnostic")},
        },
        {**common, "workspace": workspace, "result_row": result_row(), **patch_defs()},
    )
    frame = obj(
        {
            "event": {"type": "integer"},
            "t": {"type": "integer"},
            "rule": {"type": ["string", "null"]},
            "phase": {"type": ["string", "null"]},
            "decision": {"type": "string"},
            "key": nullable(ref("key")),
        }
    )
    replay = document(
        "replay",
        "workspace-trust replay --json",
        {
            "command": {"const": "replay"},
            "fixture": obj(
                {"provider": ref("provider"), "cli_version": {"type": "string"}, "scenario": {"type": "string"}}
            ),
            "frames": {"type": "array", "items": ref("frame")},
        },
        {**common, "frame": frame},
    )
    error = document(
        "error",
        "workspace-trust --json: the run ended before a result",
        {
            "command": {
                "description": "the subcommand, when the command line named one",
                "anyOf": [{"enum": list(COMMANDS)}, {"type": "null"}],
            },
            "error": obj(
                {
                    "code": {
                        "enum": [ERROR_USAGE, ERROR_INTERNAL],
                        "description": "usage: a bad command line, nothing was run, exit 2; internal_error: the "
                        "command itself failed (a bug; re-run with --debug), exit 1",
                    },
                    "message": {"type": "string"},
                }
            ),
        },
        {},
    )
    out = {"preflight": preflight, "status": status, "plan": plan, "replay": replay, "error": error}
    assert tuple(out) == SCHEMA_KINDS
    return out


def rendered() -> dict[str, str]:
    return {
        f"{kind}.schema.json": json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for kind, schema in schemas().items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when a shipped schema is stale")
    args = parser.parse_args(argv)
    stale = []
    for name, text in rendered().items():
        path = os.path.join(OUT, name)
        try:
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            os.makedirs(OUT, exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
    if args.check and stale:
        print(f"stale schemas (run scripts/gen_schemas.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
