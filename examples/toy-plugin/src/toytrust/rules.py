"""The toy's screens, as data: one rule for its trust dialog. The engine
selects an option by its label, never by its place."""

from __future__ import annotations

from workspace_trust.plugin import DialogRule, OptionLabel, Outcome, Phase, RuleTable

ONCE = OptionLabel("Allow once")
ALWAYS = OptionLabel("Always allow this workspace")
LEAVE = OptionLabel("Leave")

RULES = RuleTable(
    provider="toy",
    rules=(
        DialogRule(
            id="toy.workspace_trust",
            phase=Phase.WORKSPACE_TRUST,
            required=("Allow this workspace?",),
            outcome=Outcome.CHECK_SUCCESS,
            options=(ONCE, ALWAYS, LEAVE),
            select=ALWAYS,
            # "Allow once" is preselected and persists nothing.
            never_select=(ONCE, LEAVE),
            seen_on=("0.3.0",),
        ),
    ),
)
