"""One lookup of a provider's dialog rule table: the spec's ``dialog_rules``,
behind ``providers.rule_table``, the PTY provider's ``rules`` and a fixture's
replay, with one error for a CLI that has none."""

from __future__ import annotations

import attrs
import pytest

from workspace_trust.domain.codes import Provider
from workspace_trust.providers import all_specs, rule_table, rule_tables, spec_for


def test_every_built_in_table_is_its_specs() -> None:
    tables = rule_tables()
    assert set(tables) == {spec.id for spec in all_specs() if spec.rules is not None}
    for provider, table in tables.items():
        assert table is spec_for(provider).rules is rule_table(provider) is spec_for(provider).dialog_rules()


def test_a_cli_without_rules_is_one_error() -> None:
    # Not registered: a spec made here must not change what the package lists.
    ruleless = attrs.evolve(spec_for(Provider.CLAUDE), rules=None)
    with pytest.raises(ValueError, match=r"^claude has no dialog rules$"):
        ruleless.dialog_rules()
