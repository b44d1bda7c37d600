"""Every JSON document the package writes, built in one place beside their schemas.

Theory of operation
-------------------
The command line's ``--json`` documents (``preflight``, ``status``, ``plan``,
``replay``, ``error``), its ``--progress json`` lines and the diagnostics
manifest a host stores are all plain JSON values made here, from the
library's typed results. Their JSON Schemas ship beside this module
(``schemas/<kind>.schema.json``, written by ``scripts/gen_schemas.py``, which
takes the document kinds, commands and error codes from here), so a field is
added in one module and its schema regenerated next to it.

Nothing here writes: :func:`workspace_trust.wire.dumps` turns a document into
one line of valid UTF-8, with ``<field>_bytes`` beside a path that is not
valid Unicode. Nothing here names a provider either: each provider's own
per-launch values come from its spec (``ProviderSpec.plan_fields``).

``"version": "1"`` only ever gains fields (docs/cli.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from workspace_trust._version import __version__
from workspace_trust.domain.codes import Provider
from workspace_trust.domain.results import Diagnostic, SessionReport, WorkspaceResult
from workspace_trust.providers import all_specs
from workspace_trust.wire import add_path_bytes

if TYPE_CHECKING:
    from workspace_trust.diagnostics import DiagnosticsManifest, StrategyDiagnostic
    from workspace_trust.domain.patches import EnvPatch, LaunchArgPatch
    from workspace_trust.fixtures import Fixture, ReplayFrame
    from workspace_trust.flags import FeatureFlags
    from workspace_trust.requests import ExecutionResult, FullPlan
    from workspace_trust.status_report import StatusReport, StatusRow
    from workspace_trust.strategy import PatchPlan, ProgressEvent

__all__ = [
    "COMMANDS",
    "ERROR_INTERNAL",
    "ERROR_USAGE",
    "JSON_VERSION",
    "PROVIDER_FIELDS",
    "SCHEMA_KINDS",
    "STATUS_OVERALL",
    "Input",
    "diagnostic_to_json",
    "document_head",
    "env_patch_to_json",
    "error_document",
    "execution_document",
    "flags_to_json",
    "in_input_order",
    "load_schema",
    "manifest_to_json",
    "patch_fields",
    "patch_to_json",
    "plan_document",
    "progress_event",
    "replay_document",
    "result_to_json",
    "status_document",
    "status_row_to_json",
]

JSON_VERSION = "1"
#: The document kinds ``--json`` prints, each with a JSON Schema shipped as
#: package data (``workspace_trust/schemas/<kind>.schema.json``).
SCHEMA_KINDS = ("preflight", "status", "plan", "replay", "error")
#: The command line's subcommands (an error document may name one).
COMMANDS = ("preflight", "status", "plan", "replay", "record", "schema")
#: ``error.code`` of an error document: a bad command line (exit 2), or a
#: failure of the command itself that is not any workspace's (exit 1).
ERROR_USAGE = "usage"
ERROR_INTERNAL = "internal_error"
#: ``status``'s overall ``status``: every row trusted (or not required), or not.
STATUS_OVERALL = ("trusted", "not_trusted")
#: The field of ``plan`` and ``preflight`` that holds each provider's own
#: per-launch values, keyed by provider id (``ProviderSpec.plan_fields``).
PROVIDER_FIELDS = "provider_fields"

#: One command-line argument: the DIR as given, and the workspace id its rows carry.
Input = tuple[str, str]


def document_head() -> dict[str, str]:
    """The fields every document starts with: the format's version, and the
    version of the package that wrote it."""
    return {"version": JSON_VERSION, "workspace_trust_version": __version__}


def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one document kind, from the package data."""
    import json
    from importlib import resources

    text = resources.files("workspace_trust").joinpath("schemas", f"{kind}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# --- pieces every document shares ------------------------------------------------


def diagnostic_to_json(item: Diagnostic, *, evidence: bool = True) -> dict[str, Any]:
    """One diagnostic as JSON: the one encoding the command line and the
    manifest share (the command line's documents leave the evidence out; the
    manifest keeps it)."""
    out: dict[str, Any] = {
        "code": item.code.value,
        "message": item.message,
        "provider": None if item.provider is None else item.provider.value,
        "workspace_id": item.workspace_id,
    }
    if evidence:
        out["evidence"] = list(item.evidence)
    return out


def result_to_json(result: WorkspaceResult, *, debug: bool) -> dict[str, Any]:
    """One ``preflight`` or ``plan`` row (before ``input`` and ``duplicate_of``)."""
    out: dict[str, Any] = {
        "provider": result.provider.value,
        "workspace_id": result.workspace_id,
        "workspace": result.workspace,
        "real_path": result.real_path,
        "status": result.status.value,
        "code": result.code.value if result.code else None,
        "trusted_key": result.trusted_key,
        "pty_spawned": result.pty_spawned,
        "dialogs": list(result.dialogs),
        "keys": [k.value for k in result.keys],
        "elapsed_ms": result.elapsed_ms,
        "lock_wait_ms": result.lock_wait_ms,
        "cli_version": result.cli_version,
        "opened_by": result.opened_by,
    }
    if result.raw_tail is not None:
        # Here: ``status`` and a plan's rows have no screen, and need none of the manifest's module.
        from workspace_trust.diagnostics import shows_screen_tail

        if shows_screen_tail(result, debug=debug):
            out["raw_tail"] = result.raw_tail.text
    return out


def status_row_to_json(row: StatusRow) -> dict[str, Any]:
    """One ``status`` row; every row has these keys (docs/cli.md)."""
    return {
        "provider": row.provider.value,
        "workspace_id": row.workspace_id,
        "workspace": row.workspace,
        "real_path": row.real_path,
        "status": row.status.value,
        "code": None if row.code is None else row.code.value,
        "trusted_key": row.trusted_key,
        "trusted_by": row.trusted_by,
        "pty_spawned": False,
        "opened_by": row.opened_by,
    }


#: What a duplicate row did itself: nothing (its ``duplicate_of`` row did the work).
_DUPLICATE_RESET: dict[str, Any] = {
    "pty_spawned": False,
    "dialogs": [],
    "keys": [],
    "elapsed_ms": 0,
    "lock_wait_ms": 0,
}


def in_input_order(
    inputs: Sequence[Input], providers: Sequence[Provider], rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` (one per provider and workspace) as the documents list them:
    for each argument in order, one row per provider in the request's order,
    carrying ``input`` (the argument as given) and ``duplicate_of``. An
    argument naming a folder an earlier one named (``p/``, ``./x/../p``, a
    symlink) gets its own row with the earlier row's outcome, nothing done by
    itself, and ``duplicate_of`` that row's index; otherwise ``duplicate_of``
    is null. A row no argument accounts for (not expected) comes last, with
    ``input`` null."""
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        by_key.setdefault((row["provider"], row["workspace_id"]), row)
    order = list(dict.fromkeys(p.value for p in providers))
    out: list[dict[str, Any]] = []
    first: dict[tuple[str, str], int] = {}
    for given, workspace_id in inputs:
        for provider in order:
            key = (provider, workspace_id)
            found = by_key.get(key)
            if found is None:
                continue
            if key in first:
                reset = {name: value for name, value in _DUPLICATE_RESET.items() if name in found}
                duplicate = {"input": given, **found, **reset, "duplicate_of": first[key]}
                duplicate.pop("raw_tail", None)
                out.append(duplicate)
            else:
                first[key] = len(out)
                out.append({"input": given, **found, "duplicate_of": None})
    out.extend({"input": None, **row, "duplicate_of": None} for key, row in by_key.items() if key not in first)
    return out


# --- patches -----------------------------------------------------------------


def patch_to_json(patch: LaunchArgPatch) -> dict[str, Any]:
    return {
        "id": patch.id,
        "owner": patch.owner.value,
        "target_provider": patch.target_provider.value,
        "target_surface": patch.target_surface.value,
        "dialect": patch.dialect.value,
        "values": list(patch.values),
        "dedupe_key": patch.dedupe_key,
        "source_workspace_ids": list(patch.source_workspace_ids),
        "reason": patch.reason,
    }


def env_patch_to_json(patch: EnvPatch) -> dict[str, Any]:
    return {
        "id": patch.id,
        "owner": patch.owner.value,
        "target_provider": patch.target_provider.value,
        "values": dict(patch.values),
        "dedupe_key": patch.dedupe_key,
        "source_workspace_ids": list(patch.source_workspace_ids),
        "session_only": patch.session_only,
        "reason": patch.reason,
        # Variables whose value is a file the host makes for the launch.
        "files": [{"variable": f.variable, "name": f.name, "content": f.content} for f in patch.files],
    }


def patch_fields(patches: PatchPlan) -> dict[str, Any]:
    """The per-launch patches, as ``plan`` and ``preflight`` both print them:
    the generic lists, then each provider's own values (its spec's
    ``plan_fields``) under ``provider_fields.<provider>``, and once more at the
    top level as ``<provider>_<field>`` (deprecated, docs/cli.md: kept for
    one release)."""
    own = {spec.id.value: dict(spec.plan_fields(patches)) for spec in all_specs() if spec.plan_fields}
    return {
        "patches": [patch_to_json(p) for p in patches.arg_patches],
        "env_patches": [env_patch_to_json(p) for p in patches.env_patches],
        PROVIDER_FIELDS: own,
        **legacy_fields(own),
    }


#: Keys of the ``plan`` and ``preflight`` documents themselves: a provider's
#: deprecated top-level ``<provider>_<field>`` never takes one of them (a
#: plug-in ``env`` with a field ``patches`` would otherwise replace
#: ``env_patches``).
DOCUMENT_KEYS = frozenset(
    {
        "version",
        "workspace_trust_version",
        "command",
        "status",
        "launch_modes",
        "results",
        "patches",
        "env_patches",
        PROVIDER_FIELDS,
        "diagnostics",
        "manifest",
        "error",
    }
)


def legacy_fields(own: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each provider's fields once more at the top level, as ``<provider>_<field>``
    (deprecated), except where that name is one of the document's own keys."""
    flat = {f"{provider}_{name}": value for provider, fields in own.items() for name, value in fields.items()}
    return {key: value for key, value in flat.items() if key not in DOCUMENT_KEYS}


# --- the command line's documents ---------------------------------------------------


def error_document(code: str, message: str, command: str | None) -> dict[str, Any]:
    """The one document of a ``--json`` run that did not get as far as a result
    (``schemas/error.schema.json``)."""
    return {**document_head(), "command": command, "error": {"code": code, "message": message}}


def execution_document(
    command: str, result: ExecutionResult, inputs: Sequence[Input], providers: Sequence[Provider], *, debug: bool
) -> dict[str, Any]:
    """The ``preflight --json`` document (``schemas/preflight.schema.json``)."""
    from workspace_trust.classifier import retry_hint
    from workspace_trust.requests import overall_status

    rows = []
    for r in result.results:
        hint = retry_hint(r.provider, attempt=result.attempt, flags=result.flags, preflight_status=overall_status([r]))
        rows.append({**result_to_json(r, debug=debug), "retry": {"allowed": hint.allowed, "rule": hint.rule.value}})
    return {
        **document_head(),
        "command": command,
        "status": result.status.value,
        "launch_modes": {p.value: mode.value for p, mode in result.launch_modes.items()},
        "results": in_input_order(inputs, providers, rows),
        # The same patches ``plan`` gives, for the rows reported ``patched``.
        **patch_fields(result.patches),
        "diagnostics": [diagnostic_to_json(d, evidence=False) for d in result.all_diagnostics],
        "manifest": manifest_to_json(result.diagnostics_manifest()),
    }


def status_document(report: StatusReport, inputs: Sequence[Input], providers: Sequence[Provider]) -> dict[str, Any]:
    """The ``status --json`` document (``schemas/status.schema.json``)."""
    return {
        **document_head(),
        "command": "status",
        "status": STATUS_OVERALL[0] if report.all_trusted else STATUS_OVERALL[1],
        "results": in_input_order(inputs, providers, [status_row_to_json(row) for row in report.rows]),
        "diagnostics": [diagnostic_to_json(d, evidence=False) for d in report.diagnostics],
    }


def launch_modes(plan: FullPlan) -> dict[str, str]:
    """Each provider's launch mode, as the request names it."""
    return {p.value: plan.request.launch_mode_of(p).value for p in dict.fromkeys(plan.request.providers)}


def plan_document(
    plan: FullPlan,
    inputs: Sequence[Input],
    *,
    settled: Sequence[WorkspaceResult],
    preflight: Sequence[WorkspaceResult],
    diagnostics: Iterable[Diagnostic],
) -> dict[str, Any]:
    """The ``plan --json`` document (``schemas/plan.schema.json``): the
    plan's patches, its ``settled`` rows (blocked folders, soft failures known
    before anything runs) and a ``preflight`` row for each provider and
    folder with no per-launch override."""
    from workspace_trust.requests import overall_status

    providers = plan.request.providers
    return {
        **document_head(),
        "command": "plan",
        "status": overall_status(list(settled)).value,
        "providers": [p.value for p in providers],
        "launch_modes": launch_modes(plan),
        "workspaces": [
            {
                "workspace_id": w.id,
                "workspace": w.absolute_path,
                "real_path": w.real_path,
                "persistable": w.persistable,
                # Every argument that named this folder, as given, in order.
                "inputs": [given for given, workspace_id in inputs if workspace_id == w.id],
            }
            for w in plan.workspaces
        ],
        **patch_fields(plan.patches),
        "results": in_input_order(inputs, providers, [result_to_json(r, debug=False) for r in (*settled, *preflight)]),
        "diagnostics": [diagnostic_to_json(d, evidence=False) for d in diagnostics],
    }


def replay_document(fixture: Fixture, frames: Sequence[ReplayFrame]) -> dict[str, Any]:
    """The ``replay --json`` document (``schemas/replay.schema.json``)."""
    return {
        **document_head(),
        "command": "replay",
        "fixture": {
            "provider": fixture.provider,
            "cli_version": fixture.cli_version,
            "scenario": fixture.scenario,
        },
        "frames": [
            {"event": f.event, "t": f.t, "rule": f.rule, "phase": f.phase, "decision": f.action, "key": f.key}
            for f in frames
        ],
    }


def progress_event(
    event: ProgressEvent,
    *,
    index: int,
    done: int,
    total: int,
    workspace: str,
    given: str | None,
    position: int | None,
    holder: str | None,
    elapsed_ms: int,
) -> dict[str, Any]:
    """One ``--progress json`` line (docs/cli.md, "Progress")."""
    return {
        "event": "progress",
        "index": index,
        "done": done,
        "total": total,
        "provider": event.provider.value,
        "workspace_id": event.workspace_id,
        "workspace": workspace,
        "input": given,
        "arg_index": position,
        "stage": event.stage.value,
        "status": event.status.value if event.status else None,
        "detail": event.detail or None,
        "holder": holder,
        "elapsed_ms": elapsed_ms,
    }


# --- the diagnostics manifest -----------------------------------------------------


def flags_to_json(flags: FeatureFlags) -> dict[str, bool]:
    """The effective flags by name, for ``feature_flags`` in the diagnostics manifest."""
    return flags.effective()


def _strategy_to_json(item: StrategyDiagnostic) -> dict[str, Any]:
    code = None if item.error_code is None else item.error_code.value
    return {
        "provider": item.provider.value,
        "workspace_ids": list(item.workspace_ids),
        "workspace_paths": list(item.workspace_paths),
        "status": item.status.value,
        # The row vocabulary of the command line's documents (docs/cli.md,
        # "One vocabulary"); the older names below stay as aliases.
        "code": code,
        "dialogs": list(item.matched_rule_ids),
        "keys": list(item.keys_sent),
        "matched_rule_ids": list(item.matched_rule_ids),
        "keys_sent": list(item.keys_sent),
        "elapsed_ms": item.elapsed_ms,
        "lock_wait_ms": item.lock_wait_ms,
        "error_code": code,
        "evidence": list(item.evidence),
        "raw_tail_included": item.raw_tail is not None,
        "raw_tail": None if item.raw_tail is None else item.raw_tail.text,
        "session": None if item.session is None else _session_to_json(item.session),
        "cli_version": item.cli_version,
    }


def _session_to_json(item: SessionReport) -> dict[str, Any]:
    return {
        "frames": item.frames,
        "first_dialog_ms": item.first_dialog_ms,
        "last_rule_id": item.last_rule_id,
        "wait_reason": None if item.wait_reason is None else item.wait_reason.value,
        "render_faults": item.render_faults,
        "dropped_sequences": item.dropped_sequences,
        "exit_status": item.exit_status,
    }


def manifest_to_json(manifest: DiagnosticsManifest) -> dict[str, Any]:
    """Plain JSON types only (enums as their string values). Does not apply
    the budget: call :func:`~workspace_trust.diagnostics.apply_budget` first.
    A workspace id or path that is not valid Unicode (a POSIX folder name that
    is not UTF-8) gets its exact bytes next to it (``workspace_ids_bytes``,
    ``workspace_paths_bytes``, ``workspace_id_bytes``; see
    :mod:`workspace_trust.wire`); write the result with
    :func:`workspace_trust.wire.dumps` (or ``json.dumps`` with its default
    ``ensure_ascii=True``) so the text is valid UTF-8."""
    from workspace_trust.diagnostics import Omission

    doc = {
        "attempt": manifest.attempt,
        "feature_flags": {str(name): bool(value) for name, value in manifest.feature_flags.items()},
        "strategy_results": [_strategy_to_json(item) for item in manifest.strategy_results],
        "diagnostics": [diagnostic_to_json(item) for item in manifest.diagnostics],
        "omitted_counts": {
            what.value: manifest.omitted_counts[what] for what in Omission if what in manifest.omitted_counts
        },
    }
    result: dict[str, Any] = add_path_bytes(doc)
    return result
