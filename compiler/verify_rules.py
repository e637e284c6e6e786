"""The verifier's policy half: the accounting problems `solver.verify.build_outcome` found, then each
rule's own check, looked up in the rule-kind table. It lives above `solver/` because the table does:
the rule kinds lower into solver's model, so solver never imports them."""

from __future__ import annotations

from collections.abc import Iterable

from compiler.rules import RULE_KINDS
from solver.verify import Outcome, Violation


def verify(outcome: Outcome, rules: Iterable) -> list[Violation]:
    """Accounting invariants, then each rule's own check (looked up in the rule-kind table)."""
    rules = list(rules)
    violations = list(outcome.problems)
    if outcome.gifts and not any(RULE_KINDS[rule.kind].moves_lots_out for rule in rules):
        violations.append(Violation(code="V106", message=f"{len(outcome.gifts)} lots leave the account "
                                    "in kind, but no rule of the policy moves lots out"))
    return violations + rule_violations(outcome, rules)


def rule_violations(outcome: Outcome, rules: Iterable,
                    rule_ids: Iterable[str] | None = None) -> list[Violation]:
    """Each rule's own check, each violation naming its rule (`rule_ids`: the ids the plan knows the
    rules by, when not their own: a household account's rules, `smith-joint/no-energy`) and its span."""
    rules = list(rules)
    ids = list(rule_ids) if rule_ids is not None else [rule.id for rule in rules]
    return [found.model_copy(update={"rule_id": found.rule_id or rule_id, "span": found.span or rule.span})
            for rule, rule_id in zip(rules, ids, strict=True)
            for found in RULE_KINDS[rule.kind].verify(rule, outcome)]
