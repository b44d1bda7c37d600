"""The dialog rule table of each provider."""

from __future__ import annotations

from workspace_trust.domain.codes import Provider
from workspace_trust.engine.rules import RuleTable
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.providers.codex.rules import CODEX_RULES
from workspace_trust.providers.gemini.rules import GEMINI_RULES

RULE_TABLES: dict[Provider, RuleTable] = {
    Provider.CLAUDE: CLAUDE_RULES,
    Provider.CODEX: CODEX_RULES,
    Provider.GEMINI: GEMINI_RULES,
}


def rule_table(provider: Provider) -> RuleTable:
    return RULE_TABLES[provider]
