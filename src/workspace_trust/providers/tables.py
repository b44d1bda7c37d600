"""The dialog rule table of each provider, from its spec."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider
from workspace_trust.engine.rules import RuleTable
from workspace_trust.providers import all_specs, spec_for


def rule_table(provider: Provider) -> RuleTable:
    table = spec_for(provider).rules
    if table is None:
        raise ValueError(f"{provider.value} has no dialog rules")
    return table


def __getattr__(name: str) -> dict[Provider, RuleTable]:
    # ``RULE_TABLES``: every provider's table, computed from the specs on use.
    if name == "RULE_TABLES":
        return {spec.id: spec.rules for spec in all_specs() if spec.rules is not None}
    raise AttributeError(name)
