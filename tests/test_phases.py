"""Phases are an open set, and each rule table carries its CLI's order.

The engine knows no CLI's phases: the generic ones (onboarding, auth,
workspace trust, notice, ready) are its own, a provider defines the rest in its
rules module, and once a rule is confirmed the engine looks only at rules of
that phase or later *in that table's order*.
"""

from __future__ import annotations

import pytest

from workspace_trust.domain.codes import Key
from workspace_trust.engine.dialog import DialogEngine
from workspace_trust.engine.rules import GENERIC_PHASES, DialogRule, OptionLabel, Outcome, Phase, RuleTable
from workspace_trust.engine.snapshot import snapshot_from_text
from workspace_trust.engine.timing import EngineTiming
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.providers.codex.rules import CODEX_RULES

TIMING = EngineTiming(first_paint_settle_ms=0, confirm_stable_ms=0)

#: A phase no built-in CLI has, as a plug-in would define it.
WARMUP = Phase.define("toy_warmup", "TOY_WARMUP")


def _rule(rule_id: str, phase: Phase, question: str) -> DialogRule:
    return DialogRule(
        id=rule_id,
        phase=phase,
        required=(question,),
        options=(OptionLabel("Yes"), OptionLabel("No")),
        select=OptionLabel("Yes"),
        outcome=Outcome.CONTINUE,
        settle_ms=0,
    )


def _confirm(engine: DialogEngine, question: str, start_frame: int) -> list[Key]:
    keys = []
    for i in range(4):
        text = f"{question}\n❯ Yes\n  No\n"
        decision = engine.observe(snapshot_from_text(text, frame=start_frame + i, elapsed_ms=10 * (start_frame + i)))
        if decision.key is not None:
            keys.append(decision.key)
    return keys


def test_the_built_in_phases_are_the_generic_ones_and_a_provider_names_its_own() -> None:
    assert [phase.value for phase in GENERIC_PHASES] == ["onboarding", "auth", "workspace_trust", "notice", "ready"]
    assert "resume" in {phase.value for phase in CLAUDE_RULES.phases}
    assert "resume" not in {phase.value for phase in CODEX_RULES.phases}
    assert "update" in {phase.value for phase in CODEX_RULES.phases}
    # Every built-in table places each of its rules' phases, trust in the middle.
    for table in (CLAUDE_RULES, CODEX_RULES):
        assert {rule.phase for rule in table.rules} <= set(table.phases)
        assert table.phase_index(Phase.ONBOARDING) < table.phase_index(Phase.WORKSPACE_TRUST)
        assert table.phase_index(Phase.WORKSPACE_TRUST) < table.phase_index(Phase.READY)


def test_a_table_must_place_every_phase_its_rules_use() -> None:
    with pytest.raises(ValueError, match="toy_warmup"):
        RuleTable("toy", (_rule("toy.warmup", WARMUP, "Warm up?"),))
    with pytest.raises(ValueError, match="twice"):
        RuleTable("toy", (), phases=(Phase.AUTH, Phase.AUTH))


@pytest.mark.parametrize("warmup_first", [True, False])
def test_the_engine_follows_the_tables_order(warmup_first: bool) -> None:
    """Two dialogs, a plug-in's own phase and workspace trust. After the one
    that comes later in the table's order is confirmed, the other is a stale
    screen: no key for it. Confirmed in the table's order, both get their key."""
    warmup = _rule("toy.warmup", WARMUP, "Warm up the toy?")
    trust = _rule("toy.trust", Phase.WORKSPACE_TRUST, "Trust this toy folder?")
    order = (WARMUP, Phase.WORKSPACE_TRUST) if warmup_first else (Phase.WORKSPACE_TRUST, WARMUP)
    engine = DialogEngine(RuleTable("toy", (warmup, trust), phases=order), TIMING)
    assert _confirm(engine, "Trust this toy folder?", 1) == [Key.ENTER]
    after = _confirm(engine, "Warm up the toy?", 10)
    assert after == ([] if warmup_first else [Key.ENTER])
