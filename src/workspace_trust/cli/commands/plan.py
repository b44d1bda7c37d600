"""``workspace-trust plan``: the per-launch patches (arguments, environment); reads no state."""

from __future__ import annotations

import argparse
import shlex

from workspace_trust.cli.output import emit_json, say
from workspace_trust.cli.request import build_request, inputs
from workspace_trust.documents import plan_document
from workspace_trust.exitcodes import ExitCode
from workspace_trust.providers import all_specs
from workspace_trust.requests import overall_status


def run(args: argparse.Namespace) -> int:
    from workspace_trust.coordinator import WorkspaceTrustCoordinator

    request, flag_diagnostics = build_request(args)
    coordinator = WorkspaceTrustCoordinator()
    # What a prompt-mode answer depends on is read from the installed CLI's --help.
    plan = coordinator.check_installed(coordinator.plan_full(request))
    patches = plan.patches
    # Blocked folders (home, roots, missing) and soft failures known before
    # anything runs (a provider whose launch ignores persisted trust).
    settled = [*plan.settled, *plan.soft_settled, *plan.uncarried()]
    # A provider with no per-launch override gets a row saying what to use
    # instead; planning did not fail for it, so the status leaves it out.
    preflight = plan.needing_preflight()
    # A provider that asks nothing in this launch mode: a row saying so.
    not_gated = plan.not_gated()
    if args.json:
        emit_json(
            plan_document(
                plan,
                inputs(args, plan),
                settled=settled,
                preflight=(*preflight, *not_gated),
                diagnostics=(
                    *flag_diagnostics,
                    *plan.diagnostics,
                    *(d for r in (*settled, *preflight) for d in r.diagnostics),
                ),
            )
        )
    else:
        for spec in all_specs():
            for line in spec.plan_lines(patches) if spec.plan_lines else ():
                say(line)
        # One line per folder and finding: the guard does not depend on the provider.
        for state, workspace, code in dict.fromkeys(
            (r.status.value, r.workspace, r.code.value if r.code else "") for r in settled
        ):
            say(f"{state} {workspace} [{code}]")
        for row in not_gated:
            say(f"{row.provider.value}: asks no trust question in this launch of {row.workspace}; nothing to prepare")
        for row in preflight:
            for note in row.diagnostics:
                if note.code is not row.code:
                    say(f"{row.provider.value}: {note.message}")
            say(
                f"{row.provider.value}: no per-launch trust override for {row.workspace};"
                f" prepare it with: workspace-trust preflight {shlex.quote(row.workspace)}"
                f" --provider {row.provider.value}"
            )
    return ExitCode.for_status(overall_status(settled))
