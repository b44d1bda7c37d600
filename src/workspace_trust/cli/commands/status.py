"""``workspace-trust status``: what each provider's state file says; never starts a process."""

from __future__ import annotations

import argparse

from workspace_trust.cli.output import diagnostic_line, emit_json, say, warn
from workspace_trust.cli.request import build_request, inputs
from workspace_trust.documents import status_document
from workspace_trust.exitcodes import ExitCode


def run(args: argparse.Namespace) -> int:
    from workspace_trust.coordinator import WorkspaceTrustCoordinator

    request, flag_diagnostics = build_request(args)
    coordinator = WorkspaceTrustCoordinator()
    plan = coordinator.plan_full(request)
    report = coordinator.status_report(plan, diagnostics=flag_diagnostics)
    doc = status_document(report, inputs(args, plan), request.providers)
    if args.json:
        emit_json(doc)
    else:
        rows = doc["results"]
        for row in rows:
            by = _trusted_by_text(row.get("trusted_by"), row.get("trusted_key"))
            shown = f" [{row['code']}]" if row.get("code") else ""
            say(f"{row['provider']:7} {row['status']:12} {row['workspace']}{shown}{by}")
        folders = {row["workspace_id"]: row["workspace"] for row in rows}
        for d in report.diagnostics:
            warn(f"  {diagnostic_line(d, folders)}")
    return ExitCode.OK if report.all_trusted else ExitCode.SOFT_FAILED


def _trusted_by_text(source: str | None, key: str | None) -> str:
    """`` (by SOURCE key KEY)`` for a status line; a probe that names no source
    (a plug-in's may not) gives `` (key KEY)``, never ``by None``."""
    if not key:
        return ""
    return f" (by {source} key {key})" if source else f" (key {key})"
